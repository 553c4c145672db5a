""" "via MCP" in the chatter: the tracking and creation messages of a record changed through any MCP
surface say so, and with which key and client. The note rides on the message tracking already
writes (its body); nothing else is written."""

from odoo import models

from .mcp_gateway import MCP_VIA


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _track_get_default_log_message(self, tracked_fields):
        return _joined(super()._track_get_default_log_message(tracked_fields), self._mcp_via_note())

    def _creation_message(self):
        return _joined(super()._creation_message(), self._mcp_via_note())

    def _mcp_via_note(self):
        """``via MCP (key “Laptop”, mcp-server-odoo/0.9.0)``, or ``""`` outside MCP calls."""
        via = self.env.context.get(MCP_VIA)
        if not isinstance(via, dict):
            return ""
        how = {
            "api_key": self.env._("Odoo API key"),
            "password": self.env._("password"),
            "session": self.env._("web session"),
            "oauth": self.env._("OAuth"),
        }.get(via.get("auth"), "")
        key_id = via.get("key_id")
        if isinstance(key_id, int) and key_id:
            key = self.env["mcp.api.key"].sudo().browse(key_id).exists()
            if key:
                how = self.env._("key “%(name)s”", name=key.name)
        oauth_client_id = via.get("oauth_client_id")
        if isinstance(oauth_client_id, int) and oauth_client_id:
            oauth_client = self.env["mcp.oauth.client"].sudo().browse(oauth_client_id).exists()
            if oauth_client:
                how = self.env._("OAuth client “%(name)s”", name=oauth_client.name)
        client = via.get("client")
        details = ", ".join(part for part in (how, client if isinstance(client, str) else "") if part)
        return self.env._("via MCP (%(details)s)", details=details) if details else self.env._("via MCP")


def _joined(message, note):
    if not note:
        return message
    return f"{message} {note}" if message else note
