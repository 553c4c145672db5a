import base64
import hashlib
import os
import re
import secrets
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlencode

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import SQL

from .common import McpCase


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_mcp_server_tour(self):
        self.env["ir.config_parameter"].sudo().set_param("mcp_server.enabled", "True")
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("mcp_server.group_mcp_admin"))
        EnabledModel = self.env["mcp.enabled.model"].with_context(active_test=False)
        category = self.env["ir.model"]._get("res.partner.category")
        EnabledModel.search([("model_id", "=", category.id)]).unlink()
        keys_before = self.env["mcp.api.key"].search([("user_id", "=", admin.id)])

        self.start_tour("/odoo/mcp-models?debug=1", "mcp_server_tour", login="admin")

        row = EnabledModel.search([("model_id", "=", category.id)])
        self.assertEqual(len(row), 1, "the wizard enabled the model")
        self.assertTrue(row.active)
        self.assertTrue(row.allow_read, "default right of the wizard")
        self.assertTrue(row.allow_write, "toggled on in the list")
        self.assertFalse(row.allow_create or row.allow_unlink)

        key = self.env["mcp.api.key"].search([("user_id", "=", admin.id)]) - keys_before
        self.assertEqual(key.name, "Tour key")
        self.assertEqual(key.state, "active")
        self.env.cr.execute(
            SQL("SELECT key_hash, row_to_json(k)::text FROM mcp_api_key k WHERE id = %s", key.id)
        )
        key_hash, row_text = self.env.cr.fetchone()
        self.assertTrue(key_hash.startswith("$argon2id$"), "only an argon2id hash is stored")
        self.assertFalse(re.search(r"mcp_[a-z2-7]{40}", row_text), "no plaintext key in the row")
        self.assertFalse(self.env["mcp.api.key.wizard"].search([]), "the wizard row is gone")


@tagged("post_install", "-at_install")
class TestAdminAppUi(McpCase):
    """The MCP app in a browser. With ``MCP_SCREENSHOTS`` set to a folder, each tour's last screen
    is saved there (``make screenshots`` refreshes the Apps page's pictures that way)."""

    def tour(self, url, name, picture):
        folder = os.environ.get("MCP_SCREENSHOTS")
        if not folder:
            return self.start_tour(url, name, login="admin")
        stop = ChromeBrowser.stop

        def stop_after_picture(browser):
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
            Path(folder, picture).write_bytes(base64.b64decode(shot["data"]))
            return stop(browser)

        with patch.object(ChromeBrowser, "stop", stop_after_picture):
            return self.start_tour(url, name, login="admin")

    def some_traffic(self):
        """A few real calls, allowed and refused, for the dashboard to show."""
        for _ in range(3):
            self.execute(self.mcp_user.id, self.mcp_key, "res.partner", "search_count", [[]])
            self.execute(self.mcp_user.id, self.mcp_key, "res.country", "search_read", [[]], {"limit": 5})
        for model in ("res.users", "ir.config_parameter"):
            with self.assertFault(403):
                self.execute(self.mcp_user.id, self.mcp_key, model, "search", [[]])

    def test_dashboard_tour(self):
        self.some_traffic()
        self.tour("/odoo/mcp-dashboard", "mcp_dashboard_tour", "screenshot_dashboard.png")

    def test_dashboard_and_playground_tour(self):
        admin = self.env.ref("base.user_admin")
        self.some_traffic()
        self.tour("/odoo/mcp-dashboard", "mcp_admin_app_tour", "screenshot_playground.png")
        run = self.env["mcp.log"].search([("endpoint", "=", "playground"), ("user_id", "=", admin.id)])
        self.assertEqual(run.mapped("operation"), ["list_models"], "the tour ran one tool through the gate")

    def test_via_mcp_in_the_chatter_tour(self):
        self.mcp_user.name = "Alex Assistant"
        partner = self.env["res.partner"].create({"name": "Chatter Partner"})
        self.execute(
            self.mcp_user.id, self.mcp_key, "res.partner", "write", [[partner.id], {"email": "c@example.com"}]
        )
        self.tour(
            f"/odoo/action-base.action_partner_form/{partner.id}",
            "mcp_via_chatter_tour",
            "screenshot_chatter.png",
        )


@tagged("post_install", "-at_install")
class TestOAuthUi(McpCase):
    """The OAuth consent in a browser, then the user's Connected Clients list, where one click
    takes the access back."""

    def test_oauth_consent_and_revoke_tour(self):
        base = self.base_url()
        self.icp.set_param("web.base.url", base)
        self.icp.set_param("web.base.url.freeze", "True")
        self.icp.set_param("mcp_server.oauth_enabled", "True")
        admin = self.env.ref("base.user_admin")
        # the redirect URI is a page of this Odoo, so that the browser (and the tour) stays here
        redirect_uri = f"{base}/odoo/mcp-models?mcp_oauth_test=1"
        client = self.env["mcp.oauth.client"].create(
            {
                "name": "Tour Client",
                "client_id": "tour-client-1",
                "kind": "registered",
                "redirect_uris": redirect_uri,
                "token_endpoint_auth_method": "none",
            }
        )
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": redirect_uri,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": "tour-state",
                "scope": "mcp:read mcp:write",
                "resource": f"{base}/mcp",
            }
        )

        self.start_tour(f"/mcp/oauth/authorize?{query}", "mcp_oauth_consent_tour", login="admin")

        Grant = self.env["mcp.oauth.grant"].with_context(active_test=False)
        grant = Grant.search([("client_id", "=", client.id)])
        self.assertEqual(len(grant), 1, "the consent made one grant")
        self.assertEqual(grant.user_id, admin)
        self.assertEqual((grant.scope, grant.oauth_scope), ("*:R", "mcp:read"), "read only was chosen")
        self.assertFalse(grant.active, "revoked from the Connected Clients list")
        self.assertTrue(client.active, "revoking a grant leaves the client registered")
