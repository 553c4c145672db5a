import math

from odoo import release
from odoo.tests import tagged
from odoo.tools import mute_logger

from .. import compat
from .common import PASSWORD
from .mirror_common import DENIED, DISABLED, NOT_A_MEMBER, RATE_LIMITED, MirrorCase, nan_rate


@tagged("post_install", "-at_install")
class TestJson2(MirrorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "JSON-2 partner", "email": "p@example.com"})

    def test_named_arguments_with_each_key(self):
        for key in (self.odoo_key, self.mcp_key):
            with self.subTest(key=key[:4]):
                rows = self.json2_ok(
                    "res.partner", "read", {"ids": [self.partner.id], "fields": ["name", "email"]}, key
                )
                self.assertEqual(
                    rows, [{"id": self.partner.id, "name": "JSON-2 partner", "email": "p@example.com"}]
                )
                rows = self.json2_ok(
                    "res.partner",
                    "search_read",
                    {"domain": [["id", "=", self.partner.id]], "fields": ["name"], "limit": 5},
                    key,
                )
                self.assertEqual(rows, [{"id": self.partner.id, "name": "JSON-2 partner"}])
        count = self.json2_ok("res.partner", "search_count", {"domain": []})
        self.assertEqual(count, self.env["res.partner"].with_user(self.mcp_user).search_count([]))

    def test_writes_run_as_the_user_and_are_audited(self):
        self.assertIs(
            self.json2_ok(
                "res.partner", "write", {"ids": [self.partner.id], "vals": {"email": "w@example.com"}}
            ),
            True,
        )
        self.assertEqual(self.partner.email, "w@example.com")
        self.assertEqual(self.partner.write_uid, self.mcp_user)
        [new_id] = self.json2_ok("res.partner", "create", {"vals_list": [{"name": "JSON-2 created"}]})
        self.assertEqual(self.env["res.partner"].browse(new_id).create_uid, self.mcp_user)
        rows = self.logs(endpoint="/mcp/json/2/res.partner/create", event_type="write_operation")
        self.assertEqual(rows.user_id, self.mcp_user)
        self.assertEqual(rows.record_ids, str(new_id))

    def test_a_nan_float_is_answered_as_odoo_answers_it(self):
        # Odoo's JSON-2 writes json.dumps' NaN; the native codec refuses NaN, so the answer
        # falls back rather than failing with a 500
        nan, finite = nan_rate(self)
        response = self.json2(
            "res.currency.rate", "read", {"ids": [nan.id], "fields": ["rate"]}, self.odoo_key
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.content, b'[{"id":%d,"rate":NaN}]' % nan.id)
        self.assertTrue(math.isnan(response.json()[0]["rate"]))
        rows = self.json2_ok("res.currency.rate", "read", {"ids": [finite.id], "fields": ["rate"]})
        self.assertEqual(rows, [{"id": finite.id, "rate": 1.5}])

    @mute_logger("odoo.addons.mcp_server.controllers.json2")
    def test_credentials(self):
        response = self.json2("res.partner", "search_count", {"domain": []})
        self.assertJson2Error(response, 401, "odoo.exceptions.AccessDenied")
        self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        for secret in (PASSWORD, "0" * 40, "mcp_" + "y" * 40):
            with self.subTest(secret=secret[:4]):
                response = self.json2("res.partner", "search_count", {"domain": []}, key=secret)
                self.assertJson2Error(response, 401, "odoo.exceptions.AccessDenied", "Invalid API key.")
        response = self.json2("res.partner", "search_count", {"domain": []}, key=self.plain_key)
        self.assertJson2Error(response, 403, "odoo.exceptions.AccessError", NOT_A_MEMBER)
        self.assertEqual(
            self.json2_ok("res.partner", "search_count", {"domain": []}, self.odoo_key) > 0, True
        )
        self.assertTrue(self.logs(endpoint="/mcp/json/2/res.partner/search_count", event_type="auth_failure"))

    @mute_logger("odoo.addons.mcp_server.controllers.json2")
    def test_refusals_and_statuses(self):
        response = self.json2(self.unenabled, "search_read", {"domain": []}, key=self.odoo_key)
        body = self.assertJson2Error(
            response, 403, "odoo.exceptions.AccessError", DENIED.format(self.unenabled, "search_read")
        )
        self.assertEqual(body["arguments"], [DENIED.format(self.unenabled, "search_read"), 403])
        self.assertTrue(self.logs(model_name=self.unenabled, event_type="permission_denied"))
        response = self.json2("res.partner", "unlink_all", {}, key=self.odoo_key)
        self.assertJson2Error(
            response, 403, "odoo.exceptions.AccessError", DENIED.format("res.partner", "unlink_all")
        )
        # ids on a model method, an argument the method does not take, a body that is no object
        response = self.json2(
            "res.partner", "search_count", {"ids": [self.partner.id], "domain": []}, key=self.odoo_key
        )
        self.assertJson2Error(
            response,
            422,
            "werkzeug.exceptions.UnprocessableEntity",
            "cannot call res.partner.search_count with ids",
        )
        response = self.json2("res.partner", "search_read", {"nope": 1}, key=self.odoo_key)
        self.assertJson2Error(
            response,
            400,
            "werkzeug.exceptions.BadRequest",
            "Invalid arguments for MCP: search_read takes no argument 'nope'.",
        )
        response = self.json2("res.partner", "search_read", [1, 2], key=self.odoo_key)
        self.assertJson2Error(response, 400, "werkzeug.exceptions.BadRequest")
        response = self.json2("res partner", "search_read", {}, key=self.odoo_key)
        self.assertJson2Error(response, 400, "werkzeug.exceptions.BadRequest", "Invalid model name.")
        # a company the user is not in
        response = self.json2(
            "res.partner",
            "search_count",
            {"domain": [], "context": {"allowed_company_ids": [10**6]}},
            key=self.odoo_key,
        )
        self.assertJson2Error(response, 403, "odoo.exceptions.AccessError")
        # Odoo's own errors keep their JSON-2 statuses: missing record 404, access 403
        response = self.json2(
            "res.partner", "write", {"ids": [10**9], "vals": {"name": "x"}}, key=self.odoo_key
        )
        self.assertJson2Error(response, 404, "odoo.exceptions.MissingError")
        self.country_rights.allow_create = True
        self.env.registry.clear_cache()
        response = self.json2(
            "res.country", "create", {"vals_list": [{"name": "X", "code": "XX"}]}, key=self.odoo_key
        )
        self.assertJson2Error(response, 403, "odoo.exceptions.AccessError")
        response = self.url_open(
            "/mcp/json/2/res.partner", headers={"Authorization": f"bearer {self.odoo_key}"}
        )
        self.assertJson2Error(response, 404, "werkzeug.exceptions.NotFound")
        # a method the gate knows that this model does not have: the gate first, then 404, as
        # Odoo's JSON-2 answers
        response = self.json2("res.country", "message_post", {"ids": [1], "body": "x"}, key=self.odoo_key)
        self.assertJson2Error(response, 403, "odoo.exceptions.AccessError")
        self.country_rights.allow_write = True
        self.env.registry.clear_cache()
        response = self.json2("res.country", "message_post", {"ids": [1], "body": "x"}, key=self.odoo_key)
        self.assertJson2Error(
            response,
            404,
            "werkzeug.exceptions.NotFound",
            compat.missing_method_message("res.country", "message_post"),
        )
        self.json2_ok("res.partner", "search_count", {"domain": [["id", "=", 0]]})

    def test_rate_limit_and_switch(self):
        self.icp.set_param("mcp_server.request_limit", "10")
        for _i in range(10):
            self.json2_ok("res.partner", "search_count", {"domain": []})
        response = self.json2("res.partner", "search_count", {"domain": []}, key=self.odoo_key)
        self.assertJson2Error(response, 429, "werkzeug.exceptions.TooManyRequests", RATE_LIMITED)
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        self.icp.set_param("mcp_server.request_limit", "0")
        self.icp.set_param("mcp_server.enabled", "False")
        response = self.json2("res.partner", "search_count", {"domain": []}, key=self.odoo_key)
        self.assertJson2Error(response, 503, "werkzeug.exceptions.ServiceUnavailable", DISABLED)
        self.assertEqual(self.url_open("/mcp/web/version").status_code, 503)

    def test_version_and_doubled_slash(self):
        for path in ("/mcp/web/version", "/mcp//web/version"):
            with self.subTest(path=path):
                response = self.url_open(path)
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(
                    response.json(), {"version_info": list(release.version_info), "version": release.version}
                )
        rows = self.json2_ok(
            "res.partner", "read", {"ids": [self.partner.id], "fields": ["name"]}, path_prefix="/mcp/"
        )
        self.assertEqual(rows, [{"id": self.partner.id, "name": "JSON-2 partner"}])
        response = self.json2(
            self.unenabled, "search", {"domain": []}, key=self.odoo_key, path_prefix="/mcp/"
        )
        self.assertJson2Error(
            response, 403, "odoo.exceptions.AccessError", DENIED.format(self.unenabled, "search")
        )
        self.assertTrue(self.logs(endpoint="/mcp/json/2/res.partner/read", event_type="resource_retrieval"))
