from odoo import Command, api, fields, models
from odoo.exceptions import UserError

#: Technical models that MCP clients never reach, by name prefix.
EXCLUDED_PREFIXES = ("ir.", "base_", "mcp.")


def _like_prefix(prefix):
    """An ``=like`` pattern matching names that start with ``prefix`` (``_`` is a wildcard in LIKE)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _is_excluded(model):
    registry = model.env.registry
    abstract = model.model in registry and registry[model.model]._abstract
    return model.transient or abstract or model.model.startswith(EXCLUDED_PREFIXES)


class McpModelSelectionWizard(models.TransientModel):
    _name = "mcp.model.selection.wizard"
    _description = "Enable Models for MCP"

    model_ids = fields.Many2many(
        "ir.model",
        string="Models",
        domain="[('id', 'in', selectable_model_ids)]",
        help="Models that MCP clients may reach once enabled.",
    )
    # The default gives the value a new wizard opens with: 18.0's onchange sets a computed field
    # without dependencies to False instead of computing it (and the picker would offer nothing).
    selectable_model_ids = fields.Many2many(
        "ir.model",
        compute="_compute_selectable_model_ids",
        default=lambda self: self._get_selectable_models(),
    )
    allow_read = fields.Boolean("Read", default=True)
    allow_write = fields.Boolean("Write", default=False)
    allow_create = fields.Boolean("Create", default=False)
    allow_unlink = fields.Boolean("Delete", default=False)

    @api.model
    def _selectable_models_domain(self):
        """Models that may be enabled: stored, not technical, not MCP's own and not enabled yet."""
        enabled = self.env["mcp.enabled.model"].sudo().search([]).model_id
        domain = [
            ("transient", "=", False),
            # from the registry: ir.model has no ``abstract`` field in 18.0
            ("model", "not in", [name for name, cls in self.env.registry.items() if cls._abstract]),
            ("id", "not in", enabled.ids),
        ]
        for prefix in EXCLUDED_PREFIXES:  # "not =like" is 19.0 only
            domain += ["!", ("model", "=like", _like_prefix(prefix))]
        return domain

    @api.model
    def _get_selectable_models(self):
        return self.env["ir.model"].sudo().search(self._selectable_models_domain())

    def _compute_selectable_model_ids(self):
        selectable = self._get_selectable_models()
        for wizard in self:
            wizard.selectable_model_ids = selectable

    @api.model
    def default_get(self, fields):
        result = super().default_get(fields)
        context = self.env.context
        if "model_ids" in fields and context.get("active_model") == "ir.model" and context.get("active_ids"):
            selected = self.env["ir.model"].browse(context["active_ids"])
            result["model_ids"] = [Command.set((selected & self._get_selectable_models()).ids)]
        return result

    def action_enable(self):
        self.ensure_one()
        if not self.model_ids:
            raise UserError(self.env._("Select at least one model to enable."))
        refused = self.model_ids.filtered(_is_excluded)
        if refused:
            raise UserError(
                self.env._(
                    "These models cannot be enabled for MCP: %s",
                    ", ".join(refused.mapped("model")),
                )
            )
        EnabledModel = self.env["mcp.enabled.model"]
        existing = EnabledModel.with_context(active_test=False).search(
            [("model_id", "in", self.model_ids.ids)]
        )
        rights = {
            "allow_read": self.allow_read,
            "allow_write": self.allow_write,
            "allow_create": self.allow_create,
            "allow_unlink": self.allow_unlink,
        }
        # Enabled meanwhile (by someone else): leave as is. Archived: bring back with the chosen rights.
        archived = existing.filtered(lambda row: not row.active)
        if archived:
            archived.write(dict(rights, active=True))
        new_models = self.model_ids - existing.model_id
        if new_models:
            EnabledModel.create([dict(rights, model_id=model.id) for model in new_models])
        if self.env.context.get("active_model") == "ir.model":
            return self.env["ir.actions.act_window"]._for_xml_id("mcp_server.mcp_enabled_model_action")
        return {"type": "ir.actions.act_window_close"}
