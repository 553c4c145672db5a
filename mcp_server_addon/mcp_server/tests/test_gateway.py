import sys
import types
from unittest.mock import patch

import psycopg2
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .. import native
from ..models.mcp_gateway import McpError, Principal, parse_request_limit, parse_retention_days
from .common import McpCase


@tagged("post_install", "-at_install")
class TestGateway(TransactionCase):
    def setUp(self):
        super().setUp()
        self.env.registry.clear_cache()
        self.gateway = self.env["mcp.gateway"].sudo()
        self.icp = self.env["ir.config_parameter"].sudo()

    def test_settings_parsing(self):
        self.assertEqual(parse_request_limit(None), 300)
        self.assertEqual(parse_request_limit("abc"), 300)
        self.assertEqual(parse_request_limit("0"), 0)
        self.assertEqual(parse_request_limit("-5"), 0)
        self.assertEqual(parse_request_limit("1"), 10)
        self.assertEqual(parse_request_limit("9"), 10)
        self.assertEqual(parse_request_limit(" 120 "), 120)
        self.assertEqual(parse_retention_days(None), 30)
        self.assertEqual(parse_retention_days("x"), 30)
        self.assertEqual(parse_retention_days("0"), 0)

    def test_defaults_when_absent(self):
        for key in (
            "enabled",
            "enable_rate_limiting",
            "request_limit",
            "enable_logging",
            "log_retention_days",
        ):
            self.icp.search([("key", "=", f"mcp_server.{key}")]).unlink()
        self.assertEqual(
            self.gateway._mcp_read_settings(),
            {
                "enabled": False,
                "enable_rate_limiting": True,
                "request_limit": 300,
                "enable_logging": True,
                "log_retention_days": 30,
                "server_timing": False,
            },
        )

    def test_matrix_follows_enabled_models(self):
        before = self.gateway._mcp_snapshot()
        row = self.env["mcp.enabled.model"].create({"model_id": self.env["ir.model"]._get_id("res.country")})
        after = self.gateway._mcp_snapshot()
        self.assertIsNot(before, after, "a change of enabled models rebuilds the snapshot")
        self.assertGreater(after.matrix.generation, before.matrix.generation)
        principal = Principal(self.env.uid, "session")
        self.assertEqual(self.gateway._mcp_decide(principal, "res.country", "read"), "read")
        row.allow_read = False
        with self.assertRaises(McpError) as ctx:
            self.gateway._mcp_decide(principal, "res.country", "read")
        self.assertEqual(ctx.exception.status, 403)
        row.unlink()
        self.assertIsNone(self.gateway._mcp_operations("res.country", principal))

    def test_mcp_models_cannot_be_enabled(self):
        with self.assertRaises(Exception):  # noqa: B017 - ValidationError, or the field's domain
            with self.env.cr.savepoint():
                self.env["mcp.enabled.model"].create({"model_id": self.env["ir.model"]._get_id("mcp.log")})

    def test_key_stores_no_plaintext(self):
        user = new_test_user(self.env, login="key_owner", groups="base.group_user,mcp_server.group_mcp_user")
        secret = self.env["mcp.api.key"].with_user(user)._generate("k", user)
        self.assertTrue(secret.startswith("mcp_"))
        self.env.cr.execute("SELECT key_index, key_hash FROM mcp_api_key WHERE user_id = %s", [user.id])
        index, key_hash = self.env.cr.fetchone()
        self.assertTrue(key_hash.startswith("$argon2id$"))
        self.assertNotIn(secret, key_hash)
        self.assertEqual(index, native.get().keys.index(secret))
        record = self.env["mcp.api.key"].search([("user_id", "=", user.id)])
        self.assertNotIn(secret, repr(record.read()))
        self.assertNotIn("key_hash", record._fields)

    def test_non_admin_cannot_create_keys_for_others(self):
        user = new_test_user(self.env, login="key_u1", groups="base.group_user,mcp_server.group_mcp_user")
        other = new_test_user(self.env, login="key_u2", groups="base.group_user,mcp_server.group_mcp_user")
        with self.assertRaises(Exception):  # noqa: B017 - AccessError
            self.env["mcp.api.key"].with_user(user)._generate("k", other)

    def test_failing_audit_insert_leaves_the_transaction_usable(self):
        Log = self.env["mcp.log"]
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.Error):
            Log._mcp_insert(self.env.cr, [{"event_type": "error", "user_id": 10**9}])  # no such user
        self.env.cr.execute("SELECT 1")  # an aborted transaction would refuse any query
        self.assertEqual(self.env.cr.fetchone(), (1,))
        Log._mcp_insert(self.env.cr, [{"event_type": "error", "error_message": "after"}])
        self.assertTrue(Log.search([("error_message", "=", "after")]))

    def test_log_retention(self):
        Log = self.env["mcp.log"]
        Log._mcp_insert(self.env.cr, [{"event_type": "error", "error_message": "old"}])
        self.env.cr.execute(
            "UPDATE mcp_log SET create_date = now() - interval '40 days' WHERE error_message = 'old'"
        )
        self.icp.set_param("mcp_server.log_retention_days", "0")
        Log._gc_mcp_logs()
        self.assertTrue(Log.search([("error_message", "=", "old")]))
        self.icp.set_param("mcp_server.log_retention_days", "30")
        Log._gc_mcp_logs()
        self.assertFalse(Log.search([("error_message", "=", "old")]))


@tagged("post_install", "-at_install")
class TestWheelCheck(TransactionCase):
    def tearDown(self):
        native._load()  # back to the real wheel
        super().tearDown()

    def test_mismatched_or_missing_wheel_is_one_clear_error(self):
        fake = types.ModuleType("odoo_mcp_native")
        fake.__version__ = "9.9.0"
        with (
            patch.dict(sys.modules, {"odoo_mcp_native": fake}),
            self.assertLogs(native._logger, "ERROR") as logs,
        ):
            native._load()
        self.assertIsNone(native.get())
        self.assertIn("9.9.0", native.error())
        self.assertEqual(len(logs.output), 1)
        self.assertIn("Every MCP route answers 503", logs.output[0])
        with patch.dict(sys.modules, {"odoo_mcp_native": None}), self.assertLogs(native._logger, "ERROR"):
            native._load()
        self.assertIsNone(native.get())
        self.assertIn("not installed", native.error())
        native._load()
        self.assertIsNotNone(native.get())
        self.assertIsNone(native.error())


@tagged("post_install", "-at_install")
class TestMissingWheel(McpCase):
    def test_every_route_answers_503_and_nothing_else_breaks(self):
        with patch.object(native, "get", return_value=None):
            self.env.registry.clear_cache()
            for path in ("/mcp/health", "/mcp/auth/validate", "/mcp/models"):
                with self.subTest(path=path):
                    response = self.rest(path, self.odoo_key)
                    self.assertEqual(response.status_code, 503, response.text)
                    self.assertEqual(response.json()["error"]["code"], "E503")
            response = self.post_xml(
                "object", b"<methodCall><methodName>execute_kw</methodName></methodCall>"
            )
            self.assertEqual(response.status_code, 503)
            self.assertIn(b"<fault>", response.content)
            # the rest of Odoo keeps working
            self.assertEqual(self.url_open("/web/health").status_code, 200)
        self.env.registry.clear_cache()
        self.assertEqual(self.rest("/mcp/health").status_code, 200)

    def test_key_holders_may_rename_and_revoke_only(self):
        user = new_test_user(self.env, login="key_holder", groups="base.group_user,mcp_server.group_mcp_user")
        self.env["mcp.api.key"].with_user(user)._generate("mine", user, scope="res.partner:R")
        key = self.env["mcp.api.key"].with_user(user).search([("user_id", "=", user.id)])
        key.name = "renamed"
        for vals in ({"scope": "*:RWCD"}, {"expiration_date": False}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                key.write(vals)
        key.action_revoke()
        self.assertFalse(key.active)
        with self.assertRaises(AccessError):
            key.active = True
