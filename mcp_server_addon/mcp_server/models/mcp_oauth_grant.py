import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)


class McpOAuthGrant(models.Model):
    """One consent: a user let a client act for them on ``/mcp`` within ``scope``. Its tokens (one
    family: the code, the access tokens, the rotating refresh tokens) die with it: unchecking
    ``active`` refuses them at the next request in every worker."""

    _name = "mcp.oauth.grant"
    _inherit = ["mcp.cache.mixin"]
    _description = "MCP OAuth Grant"
    _order = "create_date desc, id desc"
    _rec_name = "client_name"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True, readonly=True)
    client_id = fields.Many2one(
        "mcp.oauth.client", required=True, ondelete="cascade", index=True, readonly=True
    )
    client_name = fields.Char(related="client_id.name", string="Client Name")
    scope = fields.Char(
        readonly=True,
        help="The MCP rights granted, in the grammar of MCP keys ('*:R' read only); empty: the "
        "user's full MCP rights.",
    )
    oauth_scope = fields.Char("OAuth Scope", readonly=True)
    resource = fields.Char(readonly=True)
    active = fields.Boolean(default=True, readonly=True)
    last_used = fields.Datetime(readonly=True)
    create_date = fields.Datetime("Granted On", readonly=True)
    access = fields.Selection([("read", "Read only"), ("write", "Read and write")], compute="_compute_access")

    @api.depends("oauth_scope")
    def _compute_access(self):
        for grant in self:
            grant.access = "write" if "mcp:write" in (grant.oauth_scope or "").split() else "read"

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group("mcp_server.group_mcp_admin"):
            # a user may only revoke their own grants (the record rule keeps them to their own)
            if set(vals) != {"active"} or vals["active"]:
                raise AccessError(self.env._("A grant can only be revoked."))
        return super().write(vals)

    def action_revoke(self):
        """Revoke the grant: every token it issued is refused from the next request on."""
        self.write({"active": False})
        _logger.info("MCP OAuth: grant(s) %s revoked by user #%s", self.ids, self.env.uid)
        return True
