import xmlrpc.client

from odoo.tests import HttpCase, new_test_user

from .. import compat

PASSWORD = "Mcp-Test-Password-42"


class McpCase(HttpCase):
    """Routes driven over real HTTP, with users, keys and enabled models built here (no demo data)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.icp = cls.env["ir.config_parameter"].sudo()
        cls.icp.set_param("mcp_server.enabled", "True")
        cls.icp.set_param("mcp_server.request_limit", "0")
        cls.mcp_user = new_test_user(
            cls.env,
            login="mcp_tester",
            groups="base.group_user,base.group_partner_manager,mcp_server.group_mcp_user",
            password=PASSWORD,
        )
        cls.other_user = new_test_user(
            cls.env, login="mcp_other", groups="base.group_user,mcp_server.group_mcp_user", password=PASSWORD
        )
        cls.plain_user = new_test_user(
            cls.env, login="plain_tester", groups="base.group_user", password=PASSWORD
        )
        Enabled = cls.env["mcp.enabled.model"]
        cls.partner_rights = Enabled.create(
            {
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "allow_read": True,
                "allow_write": True,
                "allow_create": True,
                "allow_unlink": True,
            }
        )
        cls.country_rights = Enabled.create({"model_id": cls.env["ir.model"]._get_id("res.country")})
        cls.odoo_key = cls.new_odoo_key(cls.mcp_user)
        cls.plain_key = cls.new_odoo_key(cls.plain_user)
        cls.mcp_key = cls.env["mcp.api.key"].with_user(cls.mcp_user)._generate("test key", cls.mcp_user)

    def setUp(self):
        super().setUp()
        # the gate's snapshot and user states are ormcached: a previous test's rolled-back data
        # must not linger there
        self.env.registry.clear_cache(*{"default", compat.USER_CACHE})
        # rate limits (requests, audit-row throttle): a fresh runtime and no shared state
        self.env.registry.__dict__.pop("_mcp_runtime", None)
        self.env["mcp.rate.state"]._mcp_store().execute("DELETE FROM mcp_rate_state")

    @classmethod
    def new_odoo_key(cls, user, expiration_date=None):
        return (
            cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "mcp test", expiration_date)
        )

    # ------------------------------------------------------------------
    def rest(self, path, key=None, headers=None):
        all_headers = {"X-Odoo-Database": self.env.cr.dbname}
        if key is not None:
            all_headers["X-API-Key"] = key
        all_headers.update(headers or {})
        return self.url_open(path, headers=all_headers)

    def assertRestError(self, response, status, message=None):
        self.assertEqual(response.status_code, status, response.text)
        body = response.json()
        self.assertIs(body["success"], False)
        self.assertEqual(body["error"]["code"], f"E{status}")
        if message is not None:
            self.assertEqual(body["error"]["message"], message)
        self.assertIn("timestamp", body["meta"])
        return body

    def post_xml(self, service, body, content_type="text/xml"):
        return self.url_open(
            f"/mcp/xmlrpc/{service}",
            data=body,
            headers={"Content-Type": content_type, "X-Odoo-Database": self.env.cr.dbname},
        )

    def rpc(self, service, method, *params):
        response = self.post_xml(service, xmlrpc.client.dumps(params, method, allow_none=True).encode())
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        return xmlrpc.client.loads(response.content, use_datetime=True)[0][0]

    def execute(self, uid, secret, model, method, args=(), kwargs=None):
        return self.rpc(
            "object", "execute_kw", self.env.cr.dbname, uid, secret, model, method, list(args), kwargs or {}
        )

    def assertFault(self, code, message=None):
        test = self

        class _Ctx:
            def __enter__(self):
                return self

            def __exit__(self, exc_type, exc, tb):
                test.assertIsNotNone(exc_type, "no XML-RPC fault was raised")
                test.assertTrue(issubclass(exc_type, xmlrpc.client.Fault), f"{exc_type}: {exc}")
                test.assertEqual(exc.faultCode, code, exc.faultString)
                if message is not None:
                    test.assertEqual(exc.faultString, message)
                self.fault = exc
                return True

        return _Ctx()

    def logs(self, **domain):
        return self.env["mcp.log"].sudo().search([(k, "=", v) for k, v in domain.items()])
