import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .. import compat
from .mirror_common import MirrorCase


@tagged("post_install", "-at_install")
class TestOdooRoutes(MirrorCase):
    """Odoo's own, unprefixed API routes are left as they are: an MCP key is refused there (it is
    no Odoo credential), an Odoo key works as before, and nothing of the gate runs (no audit row)."""

    def odoo_jsonrpc(self, secret):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.env.cr.dbname, self.mcp_user.id, secret, "res.partner", "search_count", [[]]],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json", "X-Odoo-Database": self.env.cr.dbname},
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    @mute_logger("odoo.http", "odoo.addons.rpc.controllers.jsonrpc", "odoo.addons.rpc.controllers.xmlrpc")
    def test_mcp_key_refused_odoo_key_works(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        logged = self.env["mcp.log"].sudo().search_count([])
        expected = self.env["res.partner"].with_user(self.mcp_user).search_count([])
        # XML-RPC
        with self.assertFault(3):
            self.xmlrpc_at(
                "/xmlrpc/2/object", "execute_kw", db, uid, self.mcp_key, "res.partner", "search_count", [[]]
            )
        self.assertIs(
            self.xmlrpc_at("/xmlrpc/2/common", "authenticate", db, "mcp_tester", self.mcp_key, {}), False
        )
        count = self.xmlrpc_at(
            "/xmlrpc/2/object", "execute_kw", db, uid, self.odoo_key, "res.partner", "search_count", [[]]
        )
        self.assertEqual(count, expected)
        # JSON-RPC
        body = self.odoo_jsonrpc(self.mcp_key)
        self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.AccessDenied")
        self.assertEqual(self.odoo_jsonrpc(self.odoo_key)["result"], expected)
        # JSON-2 (Odoo's own from 19.0 on)
        response = self.json2("res.partner", "search_count", {"domain": []}, key=self.mcp_key, path_prefix="")
        if compat.HAS_ODOO_JSON2:
            self.assertEqual(response.status_code, 401, response.text)
            response = self.json2(
                "res.partner", "search_count", {"domain": []}, key=self.odoo_key, path_prefix=""
            )
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json(), expected)
        else:  # 18.0 has no JSON-2: Odoo answers its page for an unknown path, never data
            self.assertFalse(response.headers["Content-Type"].startswith("application/json"), response.text)
        self.assertEqual(self.env["mcp.log"].sudo().search_count([]), logged)
