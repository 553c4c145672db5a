import xmlrpc.client
from unittest.mock import patch

from odoo import release
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..controllers import xmlrpc as mcp_controllers
from .common import PASSWORD, McpCase

DENIED = "Access denied by MCP for model '{}' method '{}'."


@tagged("post_install", "-at_install")
class TestXmlRpcObject(McpCase):
    def test_credentials_of_each_kind(self):
        uid = self.mcp_user.id
        for secret in (PASSWORD, self.odoo_key, self.mcp_key):
            with self.subTest(secret=secret[:4]):
                self.assertEqual(
                    self.execute(uid, secret, "res.partner", "search_count", [[]]),
                    self.env["res.partner"].with_user(self.mcp_user).search_count([]),
                )

    def test_refusal_order(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        with self.assertFault(400, "Unsupported method execute. Only execute_kw is allowed."):
            self.rpc("object", "execute", db, uid, PASSWORD, "res.partner", "search", [])
        for method in ("EXECUTE_KW", " execute_kw", "execute_kw\n"):
            with self.subTest(method=method), self.assertFault(400):
                self.rpc("object", method, db, uid, PASSWORD, "res.partner", "search", [[]])
        with self.assertFault(400):
            self.rpc("object", "execute_kw", db, uid, PASSWORD, "res.partner")
        with self.assertFault(400):
            self.rpc("object", "execute_kw", "other_db", uid, PASSWORD, "res.partner", "search", [[]])
        with self.assertFault(400):
            self.rpc("object", "execute_kw", db, uid, PASSWORD, "res.partner where 1=1", "search", [[]])
        # nothing about the model is revealed before the credentials are checked
        with self.assertFault(3, "Access Denied"):
            self.execute(uid, "wrong password", "res.users", "search", [[]])
        with self.assertFault(3, "Access Denied"):
            self.execute(uid, "0123456789abcdef0123456789abcdef01234567", "res.partner", "search", [[]])

    def test_key_of_another_user(self):
        with self.assertFault(3, "Access Denied"):
            self.execute(self.other_user.id, self.odoo_key, "res.partner", "search", [[]])
        with self.assertFault(3, "Access Denied"):
            self.execute(self.other_user.id, self.mcp_key, "res.partner", "search", [[]])

    def test_user_outside_mcp_group(self):
        with self.assertFault(403):
            self.execute(self.plain_user.id, PASSWORD, "res.partner", "search", [[]])
        with self.assertFault(403):
            self.execute(self.plain_user.id, self.plain_key, "res.partner", "search", [[]])

    def test_disabled(self):
        self.icp.set_param("mcp_server.enabled", "False")
        with self.assertFault(403, "MCP Server is disabled globally."):
            self.execute(self.mcp_user.id, PASSWORD, "res.partner", "search", [[]])

    def test_permission_refusals(self):
        uid = self.mcp_user.id
        cases = [
            ("res.users", "search"),  # not enabled
            ("res.country", "create"),  # operation off
            ("res.country", "write"),
            ("res.partner", "action_do_something"),  # not in the map
            ("res.partner", "_read"),  # private
            ("res.partner", "read "),  # whitespace is a denial, not a normalisation
            ("res.partner", "sudo"),
        ]
        for model, method in cases:
            with (
                self.subTest(model=model, method=method),
                self.assertFault(403, DENIED.format(model, method)),
            ):
                self.execute(uid, self.mcp_key, model, method, [[]])
        self.assertTrue(self.logs(event_type="permission_denied", user_id=uid))

    def test_method_map_is_case_insensitive_but_the_name_runs_as_sent(self):
        # the map knows SEARCH_COUNT (no MCP refusal), but Odoo has no method of that name
        with self.assertFault(1) as ctx:
            self.execute(self.mcp_user.id, self.mcp_key, "res.partner", "SEARCH_COUNT", [[]])
        self.assertIn("SEARCH_COUNT", ctx.fault.faultString)
        count = self.execute(self.mcp_user.id, self.mcp_key, "res.partner", "search_count", [[]])
        self.assertIsInstance(count, int)

    def test_rate_limit(self):
        self.icp.set_param("mcp_server.request_limit", "3")  # counts as 10
        uid = self.other_user.id
        for _ in range(10):
            self.execute(uid, PASSWORD, "res.country", "search_count", [[]])
        with self.assertFault(429, "Too many requests. Rate limit exceeded."):
            self.execute(uid, PASSWORD, "res.country", "search_count", [[]])

    def test_crud_and_marshalling(self):
        uid, key = self.mcp_user.id, self.mcp_key
        partner_id = self.execute(
            uid, key, "res.partner", "create", [{"name": "MCP Partner", "comment": "x"}]
        )
        self.assertIsInstance(partner_id, int)
        partner = self.env["res.partner"].browse(partner_id)
        self.assertEqual(partner.create_uid, self.mcp_user, "the call ran as the user, not as superuser")
        self.assertTrue(self.execute(uid, key, "res.partner", "write", [[partner_id], {"name": "Renamed"}]))
        rows = self.execute(
            uid, key, "res.partner", "read", [[partner_id], ["name", "create_date", "parent_id"]]
        )
        self.assertEqual(rows[0]["name"], "Renamed")
        self.assertRegex(rows[0]["create_date"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertIs(rows[0]["parent_id"], False)
        copy_ids = self.execute(uid, key, "res.partner", "copy", [partner_id])  # a recordset: its ids
        self.assertEqual(len(copy_ids), 1)
        self.assertTrue(self.execute(uid, key, "res.partner", "unlink", [copy_ids]))
        self.assertFalse(self.env["res.partner"].browse(copy_ids).exists())
        rows = self.logs(event_type="write_operation", model_name="res.partner")
        self.assertIn(str(partner_id), rows.mapped("record_ids"))

    def test_audit_rows_follow_the_call(self):
        """A write's row commits with it; a write Odoo refuses leaves its error row and no write row."""
        uid, key = self.mcp_user.id, self.mcp_key
        partner = self.env["res.partner"].create({"name": "Audited"})
        before = self.logs(model_name="res.partner")
        self.assertTrue(self.execute(uid, key, "res.partner", "write", [[partner.id], {"name": "Audited 2"}]))
        with self.assertFault(2):  # a partner cannot be its own parent
            self.execute(uid, key, "res.partner", "write", [[partner.id], {"parent_id": partner.id}])
        self.assertEqual(
            self.execute(uid, key, "res.partner", "read", [[partner.id], ["name"]])[0]["name"], "Audited 2"
        )
        rows = (self.logs(model_name="res.partner") - before).sorted("id")
        self.assertEqual(rows.mapped("event_type"), ["write_operation", "error", "resource_retrieval"])
        self.assertEqual(rows.mapped("operation"), ["write", "write", "read"])
        partner.invalidate_recordset()
        self.assertFalse(partner.parent_id)

    def test_none_result_is_the_fault_the_client_expects(self):
        partner = self.env["res.partner"].create({"name": "To archive"})
        with self.assertFault(1) as ctx:
            self.execute(self.mcp_user.id, self.mcp_key, "res.partner", "action_archive", [[partner.id]])
        self.assertIn("cannot marshal None unless allow_none is enabled", ctx.fault.faultString)
        partner.invalidate_recordset()
        self.assertFalse(partner.active, "the call itself succeeded and stays committed")

    def test_context_is_the_callers(self):
        partner = self.env["res.partner"].create({"name": "Archived MCP", "active": False})
        uid, key = self.mcp_user.id, self.mcp_key
        domain = [[("id", "=", partner.id)]]
        self.assertEqual(self.execute(uid, key, "res.partner", "search", domain), [])
        found = self.execute(uid, key, "res.partner", "search", domain, {"context": {"active_test": False}})
        self.assertEqual(found, [partner.id])

    @mute_logger("odoo.sql_db", "odoo.addons.mcp_server.controllers.xmlrpc")
    def test_odoo_errors_map_to_core_fault_codes(self):
        uid, key = self.mcp_user.id, self.mcp_key
        with self.assertFault(2):  # ValidationError
            self.execute(uid, key, "res.partner", "create", [{"name": False, "type": "contact"}])
        with self.assertFault(2):  # MissingError
            self.execute(uid, key, "res.partner", "write", [[10**8], {"name": "x"}])
        # Odoo's ACLs still apply underneath: an internal user cannot read system parameters
        self.env["mcp.enabled.model"].create(
            {"model_id": self.env["ir.model"]._get_id("ir.config_parameter")}
        )
        with self.assertFault(4):
            self.execute(uid, key, "ir.config_parameter", "search_read", [[]])
        with self.assertFault(1) as ctx:
            self.execute(uid, key, "res.partner", "search", [[("no_such_field", "=", 1)]])
        self.assertNotIn("Traceback", ctx.fault.faultString)

    def test_acls_apply_underneath(self):
        self.env["mcp.enabled.model"].create(
            {"model_id": self.env["ir.model"]._get_id("res.users"), "allow_read": True, "allow_write": True}
        )
        # MCP allows the write, Odoo's ACLs do not: an internal user cannot change another user
        with self.assertFault(4):
            self.execute(
                self.mcp_user.id, self.mcp_key, "res.users", "write", [[self.other_user.id], {"login": "x"}]
            )
        self.assertEqual(self.other_user.login, "mcp_other")

    def test_bad_bodies(self):
        for body, content_type in (
            (b"<methodCall><methodName>execute_kw</methodName><params>", "text/xml"),
            (b"not xml at all", "text/xml"),
            (
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><methodCall><methodName>&a;</methodName>'
                b"</methodCall>",
                "text/xml",
            ),
            (b'{"jsonrpc": "2.0"}', "application/json"),
            (b"\xff\xfe<methodCall/>", "text/xml"),
        ):
            with self.subTest(body=body[:30]):
                response = self.post_xml("object", body, content_type)
                self.assertEqual(response.status_code, 200)
                with self.assertRaises(xmlrpc.client.Fault) as ctx:
                    xmlrpc.client.loads(response.content)
                self.assertEqual(ctx.exception.faultCode, 400)
        # the worker is alive and well
        self.assertIsInstance(
            self.execute(self.mcp_user.id, PASSWORD, "res.partner", "search_count", [[]]), int
        )

    def test_oversized_body(self):
        args = [[("name", "=", "x" * 2000)]]
        body = xmlrpc.client.dumps(
            (self.env.cr.dbname, self.mcp_user.id, PASSWORD, "res.partner", "search", args), "execute_kw"
        ).encode()
        with patch.object(mcp_controllers, "MAX_XMLRPC_BODY", 1000):
            response = self.post_xml("object", body)
        with self.assertRaises(xmlrpc.client.Fault) as ctx:
            xmlrpc.client.loads(response.content)
        self.assertEqual(ctx.exception.faultCode, 413)
        self.assertFalse(self.logs(user_id=self.mcp_user.id, event_type="resource_retrieval"))

    def test_server_timing_is_opt_in(self):
        body = xmlrpc.client.dumps(
            (self.env.cr.dbname, self.mcp_user.id, self.mcp_key, "res.partner", "search_count", [[]]),
            "execute_kw",
        ).encode()
        self.assertNotIn("Server-Timing", self.post_xml("object", body).headers)
        self.icp.set_param("mcp_server.server_timing", "True")
        timing = self.post_xml("object", body).headers["Server-Timing"]
        phases = dict(item.split(";dur=") for item in timing.split(", "))
        for phase in ("decode", "auth", "user", "rate", "decide", "odoo", "encode", "log"):
            self.assertGreaterEqual(float(phases[phase]), 0.0)

    def test_only_post(self):
        response = self.url_open("/mcp/xmlrpc/object", headers={"X-Odoo-Database": self.env.cr.dbname})
        self.assertEqual(response.status_code, 405)


@tagged("post_install", "-at_install")
class TestXmlRpcCommonDb(McpCase):
    def test_version(self):
        version = self.rpc("common", "version")
        self.assertTrue(version["server_version"].startswith(release.serie))
        self.assertEqual(version["protocol_version"], 1)

    def test_authenticate(self):
        db = self.env.cr.dbname
        for secret in (PASSWORD, self.odoo_key, self.mcp_key):
            with self.subTest(secret=secret[:4]):
                self.assertEqual(
                    self.rpc("common", "authenticate", db, "mcp_tester", secret, {}), self.mcp_user.id
                )
        self.assertEqual(self.rpc("common", "login", db, "mcp_tester", PASSWORD), self.mcp_user.id)
        self.assertIs(self.rpc("common", "authenticate", db, "mcp_tester", "nope", {}), False)
        self.assertIs(self.rpc("common", "authenticate", db, "mcp_other", self.mcp_key, {}), False)
        with self.assertFault(403):
            self.rpc("common", "authenticate", db, "plain_tester", PASSWORD, {})
        self.icp.set_param("mcp_server.enabled", "False")
        with self.assertFault(403, "MCP Server is disabled globally."):
            self.rpc("common", "authenticate", db, "mcp_tester", PASSWORD, {})

    def test_db_is_read_only(self):
        self.assertTrue(self.rpc("db", "server_version").startswith(release.serie))
        self.assertIsInstance(self.rpc("db", "list_lang"), list)
        for method in (
            "create_database",
            "drop",
            "duplicate_database",
            "dump",
            "restore",
            "rename",
            "change_admin_password",
        ):
            with self.subTest(method=method), self.assertFault(403):
                self.rpc("db", method, "admin", self.env.cr.dbname)
