import math

from odoo import release
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PASSWORD
from .mirror_common import DENIED, DISABLED, NOT_A_MEMBER, RATE_LIMITED, MirrorCase, nan_rate


@tagged("post_install", "-at_install")
class TestJsonRpc(MirrorCase):
    def test_common_version_login_authenticate(self):
        db = self.env.cr.dbname
        version = self.jsonrpc("common", "version")
        self.assertEqual(version["server_version"], release.version)
        self.assertEqual(version["protocol_version"], 1)
        for secret in (PASSWORD, self.odoo_key, self.mcp_key):
            with self.subTest(secret=secret[:4]):
                self.assertEqual(self.jsonrpc("common", "login", db, "mcp_tester", secret), self.mcp_user.id)
                self.assertEqual(
                    self.jsonrpc("common", "authenticate", db, "mcp_tester", secret, {}), self.mcp_user.id
                )
        self.assertIs(self.jsonrpc("common", "login", db, "mcp_tester", "wrong password"), False)
        self.assertIs(self.jsonrpc("common", "login", db, "mcp_other", self.mcp_key), False)
        body = self.jsonrpc_call("common", "login", db, "plain_tester", PASSWORD)
        self.assertJsonRpcError(body, "odoo.exceptions.AccessError", NOT_A_MEMBER)
        info = self.jsonrpc("common", "version", path="/mcp/web/webclient/version_info")
        self.assertEqual(info["server_version"], release.version)

    def test_execute_kw_and_execute_with_each_credential(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        expected = self.env["res.partner"].with_user(self.mcp_user).search_count([])
        for secret in (PASSWORD, self.odoo_key, self.mcp_key):
            with self.subTest(secret=secret[:4]):
                count = self.jsonrpc(
                    "object", "execute_kw", db, uid, secret, "res.partner", "search_count", [[]]
                )
                self.assertEqual(count, expected)
                self.assertEqual(
                    self.jsonrpc("object", "execute", db, uid, secret, "res.partner", "search_count", []),
                    expected,
                )
        partner = self.env["res.partner"].create({"name": "JSON-RPC partner", "email": "j@example.com"})
        rows = self.jsonrpc(
            "object",
            "execute",
            db,
            uid,
            self.odoo_key,
            "res.partner",
            "read",
            [partner.id],
            ["name", "email"],
        )
        self.assertEqual(rows, [{"id": partner.id, "name": "JSON-RPC partner", "email": "j@example.com"}])
        self.assertTrue(
            self.jsonrpc(
                "object",
                "execute_kw",
                db,
                uid,
                self.mcp_key,
                "res.partner",
                "write",
                [[partner.id], {"email": "k@example.com"}],
                {},
            )
        )
        self.assertEqual(partner.email, "k@example.com")
        self.assertEqual(partner.write_uid, self.mcp_user)
        rows = self.logs(endpoint="/mcp/jsonrpc", event_type="write_operation", user_id=uid)
        self.assertEqual(rows.mapped("record_ids"), [str(partner.id)])

    @mute_logger("odoo.addons.mcp_server.controllers.jsonrpc", "odoo.http")
    def test_refusals_have_odoo_error_shape(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        # a model that is not enabled, and its enabled neighbour
        body = self.jsonrpc_call(
            "object", "execute_kw", db, uid, self.odoo_key, self.unenabled, "search", [[]]
        )
        data = self.assertJsonRpcError(
            body, "odoo.exceptions.AccessError", DENIED.format(self.unenabled, "search")
        )
        self.assertEqual(data["arguments"], [DENIED.format(self.unenabled, "search"), 403])
        self.assertIsInstance(
            self.jsonrpc("object", "execute_kw", db, uid, self.odoo_key, "res.partner", "search", [[]]), list
        )
        # wrong credentials
        for secret in ("wrong password", self.plain_key, "mcp_" + "x" * 40):
            with self.subTest(secret=secret[:4]):
                body = self.jsonrpc_call(
                    "object", "execute_kw", db, uid, secret, "res.partner", "search", [[]]
                )
                self.assertJsonRpcError(body, "odoo.exceptions.AccessDenied", "Access Denied")
        # a valid key of a user outside MCP User
        body = self.jsonrpc_call(
            "object", "execute_kw", db, self.plain_user.id, self.plain_key, "res.partner", "search", [[]]
        )
        self.assertJsonRpcError(body, "odoo.exceptions.AccessError", NOT_A_MEMBER)
        # malformed calls
        body = self.jsonrpc_call(
            "object", "execute_kw", "other_db", uid, self.odoo_key, "res.partner", "search", [[]]
        )
        self.assertJsonRpcError(body, "werkzeug.exceptions.BadRequest")
        body = self.jsonrpc_call("report", "render_report", db)
        self.assertJsonRpcError(
            body, "werkzeug.exceptions.BadRequest", "Unsupported service report. Use common, db or object."
        )
        body = self.jsonrpc_call(
            "object", "execute_kw", db, uid, self.odoo_key, "res.partner", "search_read", [[]], {"nope": 1}
        )
        self.assertJsonRpcError(
            body,
            "werkzeug.exceptions.BadRequest",
            "Invalid arguments for MCP: search_read takes no argument 'nope'.",
        )
        # the database service is read-only
        self.assertEqual(self.jsonrpc("db", "server_version"), release.version)
        body = self.jsonrpc_call("db", "drop", "admin", db)
        self.assertJsonRpcError(body, "odoo.exceptions.AccessError")

    @mute_logger("odoo.addons.mcp_server.controllers.jsonrpc")
    def test_odoo_errors_keep_their_names_without_traceback(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        self.country_rights.allow_create = True  # MCP allows it; Odoo's ACL does not
        self.env.registry.clear_cache()
        body = self.jsonrpc_call(
            "object",
            "execute_kw",
            db,
            uid,
            self.odoo_key,
            "res.country",
            "create",
            [[{"name": "X", "code": "XX"}]],
        )
        self.assertJsonRpcError(body, "odoo.exceptions.AccessError")
        body = self.jsonrpc_call(
            "object",
            "execute_kw",
            db,
            uid,
            self.odoo_key,
            "res.partner",
            "write",
            [[10**9], {"name": "x"}],
            {},
        )
        self.assertJsonRpcError(body, "odoo.exceptions.MissingError")
        # and the legitimate neighbour: a country read
        self.assertTrue(
            self.jsonrpc(
                "object",
                "execute_kw",
                db,
                uid,
                self.odoo_key,
                "res.country",
                "search",
                [[["code", "=", "BE"]]],
            )
        )

    def test_rate_limit_and_switch(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        self.icp.set_param("mcp_server.request_limit", "10")
        for _i in range(10):
            self.jsonrpc("object", "execute_kw", db, uid, self.odoo_key, "res.partner", "search_count", [[]])
        body = self.jsonrpc_call(
            "object", "execute_kw", db, uid, self.odoo_key, "res.partner", "search_count", [[]]
        )
        self.assertJsonRpcError(body, "werkzeug.exceptions.TooManyRequests", RATE_LIMITED)
        self.assertTrue(self.logs(endpoint="/mcp/jsonrpc", event_type="rate_limit", user_id=uid))
        self.icp.set_param("mcp_server.request_limit", "0")
        self.icp.set_param("mcp_server.enabled", "False")
        body = self.jsonrpc_call("common", "version")
        self.assertJsonRpcError(body, "werkzeug.exceptions.ServiceUnavailable", DISABLED)

    def test_a_nan_float_is_answered_as_odoo_answers_it(self):
        nan, finite = nan_rate(self)
        db, uid = self.env.cr.dbname, self.mcp_user.id
        read = ("object", "execute_kw", db, uid, self.odoo_key, "res.currency.rate", "read")
        [row] = self.jsonrpc(*read, [[nan.id]], {"fields": ["rate"]})
        self.assertTrue(math.isnan(row["rate"]))
        self.assertEqual(
            self.jsonrpc(*read, [[finite.id]], {"fields": ["rate"]}), [{"id": finite.id, "rate": 1.5}]
        )

    def test_doubled_slash(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        count = self.jsonrpc(
            "object",
            "execute_kw",
            db,
            uid,
            self.odoo_key,
            "res.partner",
            "search_count",
            [[]],
            path="/mcp//jsonrpc",
        )
        self.assertEqual(count, self.env["res.partner"].with_user(self.mcp_user).search_count([]))
        body = self.jsonrpc_call(
            "object",
            "execute_kw",
            db,
            uid,
            self.odoo_key,
            self.unenabled,
            "search",
            [[]],
            path="/mcp//jsonrpc",
        )
        self.assertJsonRpcError(body, "odoo.exceptions.AccessError", DENIED.format(self.unenabled, "search"))
        self.assertTrue(self.logs(endpoint="/mcp/jsonrpc", event_type="resource_retrieval", user_id=uid))
