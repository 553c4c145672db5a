import re
from datetime import datetime, timedelta

from odoo import release
from odoo.fields import Command
from odoo.tests import tagged

from .. import compat
from .common import PASSWORD, McpCase

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


@tagged("post_install", "-at_install")
class TestRest(McpCase):
    def test_health(self):
        response = self.rest("/mcp/health")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        body = response.json()
        self.assertIs(body["success"], True)
        self.assertEqual(body["data"], {"status": "ok", "mcp_server_version": f"{release.serie}.1.0.0"})
        self.assertRegex(body["meta"]["timestamp"], TIMESTAMP_RE)

    def test_disabled_answers_503_everywhere(self):
        self.icp.set_param("mcp_server.enabled", "False")
        for path in (
            "/mcp/health",
            "/mcp/system/info",
            "/mcp/auth/validate",
            "/mcp/models",
            "/mcp/models/res.partner/access",
        ):
            with self.subTest(path=path):
                self.assertRestError(self.rest(path, self.odoo_key), 503, "MCP Server is disabled globally.")

    def test_auth_validate_with_each_credential(self):
        for key, label in ((self.odoo_key, "odoo key"), (self.mcp_key, "mcp key")):
            with self.subTest(label):
                response = self.rest("/mcp/auth/validate", key)
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(
                    response.json()["data"],
                    {"valid": True, "user_id": self.mcp_user.id, "auth_method": "api_key"},
                )
        self.authenticate("mcp_tester", PASSWORD)
        response = self.rest("/mcp/auth/validate")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["auth_method"], "session")
        self.assertEqual(response.json()["data"]["user_id"], self.mcp_user.id)

    def test_auth_refusals(self):
        self.assertRestError(self.rest("/mcp/auth/validate"), 401)
        self.assertRestError(self.rest("/mcp/auth/validate", "0" * 40), 401, "Invalid API key.")
        self.assertRestError(self.rest("/mcp/auth/validate", "mcp_" + "a" * 40), 401, "Invalid API key.")
        self.assertRestError(self.rest("/mcp/auth/validate", PASSWORD), 401)
        # a valid key of a user outside MCP User
        body = self.assertRestError(self.rest("/mcp/auth/validate", self.plain_key), 403)
        self.assertIn("MCP User", body["error"]["message"])
        self.assertTrue(self.logs(event_type="auth_failure"))
        self.assertTrue(self.logs(event_type="permission_denied", user_id=self.plain_user.id))

    def test_expired_and_revoked_mcp_keys(self):
        Key = self.env["mcp.api.key"]
        expiring = Key.with_user(self.mcp_user)._generate(
            "expiring", self.mcp_user, expiration_date=datetime.now() + timedelta(days=1)
        )
        self.assertEqual(self.rest("/mcp/auth/validate", expiring).status_code, 200)
        record = Key.sudo().search([("name", "=", "expiring")])
        record.expiration_date = datetime.now() - timedelta(minutes=1)
        self.assertRestError(self.rest("/mcp/auth/validate", expiring), 401)

        revoked = Key.with_user(self.mcp_user)._generate("revoked", self.mcp_user)
        self.assertEqual(self.rest("/mcp/auth/validate", revoked).status_code, 200)
        Key.sudo().search([("name", "=", "revoked")]).with_user(self.mcp_user).action_revoke()
        self.assertRestError(self.rest("/mcp/auth/validate", revoked), 401)

    def test_removed_odoo_key_stops_working_at_once(self):
        key = self.new_odoo_key(self.mcp_user)
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)  # now from the cache
        self.env["res.users.apikeys"].sudo().search(
            [("user_id", "=", self.mcp_user.id), ("name", "=", "mcp test")]
        )._remove()
        self.assertRestError(self.rest("/mcp/auth/validate", key), 401)

    def test_deactivated_user_is_refused(self):
        key = self.new_odoo_key(self.other_user)
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)
        self.other_user.active = False
        self.assertIn(self.rest("/mcp/auth/validate", key).status_code, (401, 403))

    def test_models(self):
        response = self.rest("/mcp/models", self.odoo_key)
        self.assertEqual(response.status_code, 200, response.text)
        models = {m["model"]: m for m in response.json()["data"]["models"]}
        self.assertEqual(set(models), {"res.partner", "res.country"})
        self.assertEqual(models["res.partner"]["name"], self.env["ir.model"]._get("res.partner").name)
        self.assertEqual(
            models["res.country"]["operations"],
            {"read": True, "write": False, "create": False, "unlink": False},
        )
        self.country_rights.active = False
        models = [m["model"] for m in self.rest("/mcp/models", self.odoo_key).json()["data"]["models"]]
        self.assertEqual(models, ["res.partner"])

    def test_scoped_mcp_key_narrows_rights(self):
        scoped = (
            self.env["mcp.api.key"]
            .with_user(self.mcp_user)
            ._generate("scoped", self.mcp_user, scope="res.partner:R")
        )
        models = self.rest("/mcp/models", scoped).json()["data"]["models"]
        self.assertEqual(
            models,
            [
                {
                    "model": "res.partner",
                    "name": self.env["ir.model"]._get("res.partner").name,
                    "operations": {"read": True, "write": False, "create": False, "unlink": False},
                }
            ],
        )
        access = self.rest("/mcp/models/res.partner/access", scoped).json()["data"]
        self.assertEqual(access["operations"]["write"], False)
        self.assertRestError(
            self.rest("/mcp/models/res.country/access", scoped),
            403,
            "Model 'res.country' is not enabled for MCP access.",
        )

    def test_model_access(self):
        response = self.rest("/mcp/models/res.partner/access", self.mcp_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json()["data"],
            {
                "model": "res.partner",
                "enabled": True,
                "operations": {"read": True, "write": True, "create": True, "unlink": True},
            },
        )
        self.assertRestError(self.rest("/mcp/models/res.partner;x/access", self.mcp_key), 400)
        self.assertRestError(
            self.rest("/mcp/models/x.nope/access", self.mcp_key),
            404,
            "Model 'x.nope' not found in Odoo instance.",
        )
        self.assertRestError(
            self.rest("/mcp/models/res.users/access", self.mcp_key),
            403,
            "Model 'res.users' is not enabled for MCP access.",
        )
        # nothing about a model is revealed before authentication
        self.assertRestError(self.rest("/mcp/models/x.nope/access"), 401)

    def test_system_info(self):
        response = self.rest("/mcp/system/info", self.odoo_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(data["db_name"], self.env.cr.dbname)
        self.assertEqual(data["enabled_mcp_models"], 2)
        self.assertEqual(data["mcp_server_version"], f"{release.serie}.1.0.0")
        self.assertTrue(data["odoo_version"].startswith(release.serie))
        self.assertEqual(
            set(data),
            {
                "db_name",
                "odoo_version",
                "language",
                "enabled_mcp_models",
                "mcp_server_version",
                "server_timezone",
            },
        )

    def test_rate_limit(self):
        self.icp.set_param("mcp_server.request_limit", "10")
        key = self.new_odoo_key(self.other_user)
        for _ in range(10):
            self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)
        response = self.rest("/mcp/auth/validate", key)
        self.assertRestError(response, 429, "Too many requests. Rate limit exceeded.")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        self.assertTrue(self.logs(event_type="rate_limit", user_id=self.other_user.id))
        # another user has a bucket of their own
        self.assertEqual(self.rest("/mcp/auth/validate", self.odoo_key).status_code, 200)
        # 1-9 count as 10, 0 is unlimited
        self.icp.set_param("mcp_server.request_limit", "0")
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)

    def test_log_rows_hold_no_secret(self):
        self.rest("/mcp/auth/validate", self.odoo_key)
        self.rest("/mcp/auth/validate", self.mcp_key)
        self.rest("/mcp/auth/validate", "f" * 40)
        logs = self.env["mcp.log"].sudo().search([])
        self.assertTrue(logs)
        text = repr(logs.read())
        for secret in (self.odoo_key, self.mcp_key, "f" * 40):
            self.assertNotIn(secret, text)

    def test_odd_headers_and_bodies(self):
        for key in ("", "x" * 10_000, "mcp_" + "é" * 40, self.odoo_key.upper(), self.odoo_key[:-1]):
            with self.subTest(key=key[:12]):
                self.assertRestError(self.rest("/mcp/auth/validate", key), 401)
        # REST routes are GET only
        response = self.url_open(
            "/mcp/models",
            data=b"{}",
            headers={"X-Odoo-Database": self.env.cr.dbname, "X-API-Key": self.odoo_key},
        )
        self.assertEqual(response.status_code, 405)

    def test_unknown_database(self):
        count = self.env["mcp.log"].sudo().search_count([])
        response = self.rest("/mcp/models", self.odoo_key, headers={"X-Odoo-Database": "no_such_database"})
        self.assertGreaterEqual(response.status_code, 400)
        self.assertLess(response.status_code, 500)
        self.assertEqual(self.env["mcp.log"].sudo().search_count([]), count)

    def test_session_and_header_name_the_same_database(self):
        # Odoo's rule on every series: a session's database wins, a header naming another is refused
        self.authenticate("mcp_tester", PASSWORD)
        response = self.rest("/mcp/auth/validate", headers={"X-Odoo-Database": self.env.cr.dbname})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["auth_method"], "session")
        count = self.env["mcp.log"].sudo().search_count([])
        response = self.rest("/mcp/auth/validate", headers={"X-Odoo-Database": f"{self.env.cr.dbname}_other"})
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(self.env["mcp.log"].sudo().search_count([]), count)

    def test_repeated_failures_from_one_address_are_throttled_in_the_log(self):
        for _ in range(15):
            self.assertRestError(self.rest("/mcp/auth/validate", "e" * 40), 401)
        rows = self.logs(event_type="auth_failure", ip_address="127.0.0.1")
        # 10 a minute: a slow machine may earn one more token (one per 6 s) during the loop
        self.assertIn(len(rows), (10, 11))

    def test_mcp_key_use_is_recorded(self):
        key = self.env["mcp.api.key"].sudo().search([("name", "=", "test key")])
        key.last_used = False
        self.env.registry.clear_cache()
        self.assertEqual(self.rest("/mcp/auth/validate", self.mcp_key).status_code, 200)
        self.assertEqual(self.rest("/mcp/auth/validate", self.mcp_key).status_code, 200)
        key.invalidate_recordset()
        self.assertTrue(key.last_used)

    def test_group_membership_changes_apply_at_once(self):
        key = self.new_odoo_key(self.other_user)
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)
        group = self.env.ref("mcp_server.group_mcp_user")
        group[compat.GROUP_USERS] = [Command.unlink(self.other_user.id)]  # through the group, not the user
        self.assertRestError(self.rest("/mcp/auth/validate", key), 403)
        self.other_user[compat.USER_GROUPS] = [Command.link(group.id)]  # through the user
        self.assertEqual(self.rest("/mcp/auth/validate", key).status_code, 200)
