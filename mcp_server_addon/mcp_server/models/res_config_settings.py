from odoo import api, fields, models

from .mcp_gateway import DEFAULT_REQUEST_LIMIT, DEFAULT_RETENTION_DAYS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mcp_enabled = fields.Boolean("Enable MCP Server", config_parameter="mcp_server.enabled")
    mcp_enable_rate_limiting = fields.Boolean("Rate Limiting")
    mcp_request_limit = fields.Integer(
        "Requests per Minute",
        default=DEFAULT_REQUEST_LIMIT,
        help="Per user, per 60 seconds. 0 means unlimited; values from 1 to 9 count as 10.",
    )
    mcp_enable_logging = fields.Boolean("Audit Log")
    mcp_log_retention_days = fields.Integer(
        "Keep Log Entries (days)", default=DEFAULT_RETENTION_DAYS, help="0 keeps entries forever."
    )
    mcp_allowed_origins = fields.Char(
        "Allowed Browser Origins",
        config_parameter="mcp_server.allowed_origins",
        help="Web pages (origins such as https://claude.ai) allowed to call /mcp from a browser, "
        "comma separated. The server's own address is always allowed; clients that are not "
        "browsers send no origin and are not concerned.",
    )
    mcp_oauth_enabled = fields.Boolean(
        "OAuth Sign-in",
        config_parameter="mcp_server.oauth_enabled",
        help="Let MCP clients (claude.ai, ChatGPT...) connect through OAuth: the user signs in to Odoo "
        "and grants the client a scope no wider than their own MCP rights.",
    )
    mcp_oauth_registration = fields.Boolean("Dynamic Client Registration")
    mcp_oauth_metadata_documents = fields.Boolean("Client Metadata Documents")
    mcp_enabled_model_count = fields.Integer(compute="_compute_mcp_enabled_model_count")

    @api.depends("mcp_enabled")
    def _compute_mcp_enabled_model_count(self):
        count = self.env["mcp.enabled.model"].sudo().search_count([])
        for settings in self:
            settings.mcp_enabled_model_count = count

    # The two switches below default to on when absent, which a config_parameter boolean cannot express.
    @api.model
    def get_values(self):
        res = super().get_values()
        settings = self.env["mcp.gateway"].sudo()._mcp_read_settings()
        res.update(
            mcp_enable_rate_limiting=settings["enable_rate_limiting"],
            mcp_enable_logging=settings["enable_logging"],
            mcp_request_limit=settings["request_limit"],
            mcp_log_retention_days=settings["log_retention_days"],
        )
        oauth = self.env["mcp.oauth.server"].sudo()._settings()
        res.update(
            mcp_oauth_registration=oauth["registration"],
            mcp_oauth_metadata_documents=oauth["metadata_documents"],
        )
        return res

    def set_values(self):
        result = super().set_values()
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param("mcp_server.enable_rate_limiting", str(bool(self.mcp_enable_rate_limiting)))
        set_param("mcp_server.enable_logging", str(bool(self.mcp_enable_logging)))
        set_param("mcp_server.request_limit", str(self.mcp_request_limit))
        set_param("mcp_server.log_retention_days", str(self.mcp_log_retention_days))
        set_param("mcp_server.oauth_registration", str(bool(self.mcp_oauth_registration)))
        set_param("mcp_server.oauth_metadata_documents", str(bool(self.mcp_oauth_metadata_documents)))
        return result
