from odoo import api, fields, models
from odoo.exceptions import AccessError

from .. import compat


class McpApiKeyWizard(models.TransientModel):
    _name = "mcp.api.key.wizard"
    _description = "New MCP Key"

    name = fields.Char(
        "Description", required=True, help="What the key is for, e.g. 'Claude Desktop on my laptop'."
    )
    user_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        domain=lambda self: [(compat.USER_ALL_GROUPS, "in", self.env.ref("mcp_server.group_mcp_user").ids)],
    )
    # The default gives the value a new wizard opens with: 18.0's onchange sets a computed field
    # without dependencies to False instead of computing it.
    is_mcp_admin = fields.Boolean(compute="_compute_is_mcp_admin", default=lambda self: self._is_mcp_admin())
    scope = fields.Char(
        help="Narrows the user's MCP rights, e.g. 'res.partner:RW,sale.order:R,*:R' "
        "(R read, W write, C create, D delete, * any enabled model). Empty: the user's full MCP rights."
    )
    expiration_date = fields.Datetime("Expires On", help="Empty: the key does not expire.")

    @api.model
    def _is_mcp_admin(self):
        return self.env.user.has_group("mcp_server.group_mcp_admin")

    @api.depends_context("uid")
    def _compute_is_mcp_admin(self):
        is_admin = self._is_mcp_admin()
        for wizard in self:
            wizard.is_mcp_admin = is_admin

    def action_generate(self):
        self.ensure_one()
        if self.user_id != self.env.user and not self.env.user.has_group("mcp_server.group_mcp_admin"):
            raise AccessError(self.env._("Only MCP administrators can create keys for other users."))
        secret = self.env["mcp.api.key"]._generate(self.name, self.user_id, self.scope, self.expiration_date)
        # The wizard row holds nothing secret, but it has served its purpose.
        self.unlink()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mcp.api.key.show",
            "name": self.env._("MCP Key Ready"),
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": secret},
        }


class McpApiKeyShow(models.AbstractModel):
    """Shows a new key once. Abstract: the key lives only in the client's context, never in a table."""

    _name = "mcp.api.key.show"
    _description = "Show MCP Key"

    # The form's onchange needs an 'id' field to return the value of 'key'.
    id = fields.Id()
    key = fields.Char(readonly=True)
