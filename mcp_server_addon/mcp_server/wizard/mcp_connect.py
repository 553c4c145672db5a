import json

from odoo import api, fields, models

KEY_PLACEHOLDER = "<your API key>"


class McpConnect(models.TransientModel):
    """ "Connect a client": this server's ``/mcp`` URL and snippets to paste into each MCP client.
    The form fills everything in when it opens (its defaults) and is never saved."""

    _name = "mcp.connect"
    _description = "Connect an MCP Client"

    url = fields.Char("MCP URL", readonly=True, default=lambda self: self._mcp_url())
    database = fields.Char(readonly=True, default=lambda self: self.env.cr.dbname)
    claude_code = fields.Text(readonly=True, default=lambda self: self._mcp_snippets()["claude_code"])
    vscode = fields.Text("VS Code", readonly=True, default=lambda self: self._mcp_snippets()["vscode"])
    cursor = fields.Text(readonly=True, default=lambda self: self._mcp_snippets()["cursor"])
    n8n = fields.Text("n8n", readonly=True, default=lambda self: self._mcp_snippets()["n8n"])
    claude_desktop = fields.Text(readonly=True, default=lambda self: self._mcp_snippets()["claude_desktop"])

    @api.model
    def _mcp_url(self):
        base = (self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "").rstrip("/")
        return f"{base}/mcp"

    @api.model
    def _mcp_snippets(self):
        url, db, key = self._mcp_url(), self.env.cr.dbname, KEY_PLACEHOLDER
        base = url.removesuffix("/mcp")
        headers = {"Authorization": f"Bearer {key}", "X-Odoo-Database": db}
        return {
            "claude_code": (
                f'claude mcp add --transport http odoo {url} \\\n  --header "Authorization: Bearer {key}" '
                f'\\\n  --header "X-Odoo-Database: {db}"'
            ),
            "vscode": json.dumps(
                {"servers": {"odoo": {"type": "http", "url": url, "headers": headers}}}, indent=2
            ),
            "cursor": json.dumps({"mcpServers": {"odoo": {"url": url, "headers": headers}}}, indent=2),
            "n8n": (
                f"MCP Client node: Endpoint {url}, Server Transport 'HTTP Streamable', Authentication "
                f"'Bearer Auth' with the token {key} (add the header X-Odoo-Database: {db} when the "
                "server has several databases)."
            ),
            "claude_desktop": json.dumps(
                {
                    "mcpServers": {
                        "odoo": {
                            "command": "uvx",
                            "args": ["mcp-server-odoo"],
                            "env": {"ODOO_URL": base, "ODOO_DB": db, "ODOO_API_KEY": key},
                        }
                    }
                },
                indent=2,
            ),
        }
