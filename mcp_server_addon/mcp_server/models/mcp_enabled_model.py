from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import compat


class McpEnabledModel(models.Model):
    _name = "mcp.enabled.model"
    _inherit = ["mcp.cache.mixin"]
    _description = "MCP Enabled Model"
    _order = "model_name"
    _rec_name = "model_id"

    model_id = fields.Many2one(
        "ir.model",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("transient", "=", False), ("model", "not like", "mcp.%")],
    )
    model_name = fields.Char(related="model_id.model", store=True, index=True, string="Technical Name")
    name = fields.Char(related="model_id.name", string="Model Description")
    active = fields.Boolean(default=True)
    allow_read = fields.Boolean("Read", default=True)
    allow_write = fields.Boolean("Write", default=False)
    allow_create = fields.Boolean("Create", default=False)
    allow_unlink = fields.Boolean("Delete", default=False)
    notes = fields.Text()
    denied_read_field_ids = fields.Many2many(
        "ir.model.fields",
        "mcp_enabled_model_denied_read_rel",
        "enabled_model_id",
        "field_id",
        string="Never Read",
        domain="[('model_id', '=', model_id)]",
        help="Fields MCP clients never see: left out of reads, refused in writes, domains, "
        "grouping, ordering and exports.",
    )
    denied_write_field_ids = fields.Many2many(
        "ir.model.fields",
        "mcp_enabled_model_denied_write_rel",
        "enabled_model_id",
        "field_id",
        string="Never Written",
        domain="[('model_id', '=', model_id)]",
        help="Fields MCP clients may read but never change.",
    )

    locals().update(
        compat.unique_constraint(
            "model_uniq", "UNIQUE(model_id)", "This model is already enabled for MCP access."
        )
    )

    @api.constrains("model_id")
    def _check_model_id(self):
        for record in self:
            name = record.model_id.model or ""
            if name.startswith("mcp."):
                raise ValidationError(self.env._("MCP's own models (%s) cannot be enabled.", name))
            if record.model_id.transient:
                raise ValidationError(self.env._("Transient models (%s) cannot be enabled.", name))

    @api.constrains("model_id", "denied_read_field_ids", "denied_write_field_ids")
    def _check_denied_fields(self):
        for record in self:
            foreign = (record.denied_read_field_ids | record.denied_write_field_ids).filtered(
                lambda f, model=record.model_id: f.model_id != model
            )
            if foreign:
                raise ValidationError(
                    self.env._("Field rules must name fields of %s.", record.model_id.model)
                )

    @api.model
    def _mcp_field_rules(self):
        """``{model: (fields never read, fields never written)}`` of the active enabled models."""
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT em.model_name, f.name, 0
              FROM mcp_enabled_model_denied_read_rel rel
              JOIN mcp_enabled_model em ON em.id = rel.enabled_model_id
              JOIN ir_model_fields f ON f.id = rel.field_id
             WHERE em.active
            UNION ALL
            SELECT em.model_name, f.name, 1
              FROM mcp_enabled_model_denied_write_rel rel
              JOIN mcp_enabled_model em ON em.id = rel.enabled_model_id
              JOIN ir_model_fields f ON f.id = rel.field_id
             WHERE em.active
            """
        )
        rules = {}
        for model, name, slot in self.env.cr.fetchall():
            rules.setdefault(model, (set(), set()))[slot].add(name)
        return {model: (frozenset(r), frozenset(w)) for model, (r, w) in rules.items()}

    @api.model
    def _mcp_matrix_rows(self):
        """Rows of the permission matrix: the active enabled models and their four rights."""
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT model_name, allow_read, allow_write, allow_create, allow_unlink
              FROM mcp_enabled_model
             WHERE active AND model_name IS NOT NULL
            """
        )
        return [(name, bool(r), bool(w), bool(c), bool(u)) for name, r, w, c, u in self.env.cr.fetchall()]
