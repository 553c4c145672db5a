from odoo.tests import tagged

from ..models.mcp_reach import SELF_FIELDS
from .mirror_common import DENIED, NOT_A_MEMBER, MirrorCase


@tagged("post_install", "-at_install")
class TestSelfIdentity(MirrorCase):
    """A caller learns who it is (its context, its own user's name, login, company, time zone)
    without ``res.users`` being enabled; nothing about any other user."""

    def call(self, method, args, kwargs=None, key=None):
        return self.xmlrpc_at(
            "/mcp/xmlrpc/2/object",
            "execute_kw",
            self.env.cr.dbname,
            self.mcp_user.id,
            key or self.odoo_key,
            "res.users",
            method,
            args,
            kwargs or {},
        )

    def assertRefused(self, method, args, kwargs=None):
        with self.assertFault(403, DENIED.format("res.users", method)):
            self.call(method, args, kwargs)

    def test_context_get_for_every_kind_of_key(self):
        self.mcp_user.write({"tz": "Europe/Brussels", "lang": "en_US"})
        scoped = (
            self.env["mcp.api.key"]
            .with_user(self.mcp_user)
            ._generate("scoped", self.mcp_user, scope="res.partner:R")
        )
        for key in (self.odoo_key, self.mcp_key, scoped):
            with self.subTest(key=key[:4]):
                context = self.call("context_get", [], key=key)
                self.assertEqual(context["tz"], "Europe/Brussels")
                self.assertEqual(context["lang"], "en_US")
        self.assertEqual(self.json2_ok("res.users", "context_get", {}, self.mcp_key)["tz"], "Europe/Brussels")
        self.assertTrue(self.logs(model_name="res.users", event_type="resource_retrieval"))

    def test_read_own_identity(self):
        uid = self.mcp_user.id
        fields = ["name", "login", "tz", "company_id", "company_ids"]
        [row] = self.call("read", [[uid], fields])
        self.assertEqual(row["login"], "mcp_tester")
        self.assertEqual(
            row["company_id"], [self.mcp_user.company_id.id, self.mcp_user.company_id.display_name]
        )
        self.assertEqual(row["company_ids"], self.mcp_user.company_ids.ids)
        [row] = self.call("search_read", [[["id", "=", uid]]], {"fields": ["name", "login"]})
        self.assertEqual((row["id"], row["login"]), (uid, "mcp_tester"))
        [row] = self.call("read", [uid])  # no fields named: the identity fields only
        self.assertLessEqual(set(row), SELF_FIELDS)
        self.assertLessEqual({"id", "name", "login", "tz", "lang", "company_id"}, set(row))
        rows = self.json2_ok("res.users", "read", {"ids": [uid], "fields": ["name", "login"]})
        self.assertEqual(rows, [{"id": uid, "name": self.mcp_user.name, "login": "mcp_tester"}])

    def test_nothing_else_about_users(self):
        uid, other = self.mcp_user.id, self.other_user.id
        self.assertRefused("read", [[other], ["name"]])
        self.assertRefused("read", [[uid, other], ["name"]])
        self.assertRefused("read", [[uid], ["name", "password"]])
        self.assertRefused(
            "read", [[uid], ["groups_id" if "groups_id" in self.mcp_user._fields else "group_ids"]]
        )
        self.assertRefused("read", [[uid], ["partner_id.email"]])
        self.assertRefused("search_read", [[]], {"fields": ["name"]})
        self.assertRefused("search_read", [[["id", "=", other]]], {"fields": ["name"]})
        self.assertRefused("search_read", [[["id", "in", [uid, other]]]], {"fields": ["name"]})
        self.assertRefused("search_read", [[["id", "=", uid]]], {"fields": ["name"], "order": "password"})
        self.assertRefused(
            "search_read", [["|", ["id", "=", uid], ["login", "=", "mcp_other"]]], {"fields": ["name"]}
        )
        self.assertRefused("search", [[["id", "=", uid]]])
        self.assertRefused("search_count", [[]])
        self.assertRefused("write", [[uid], {"name": "renamed"}])
        self.assertRefused("context_get", [], {"fields": ["name"]})
        response = self.json2("res.users", "read", {"ids": [other], "fields": ["name"]}, key=self.odoo_key)
        self.assertJson2Error(
            response, 403, "odoo.exceptions.AccessError", DENIED.format("res.users", "read")
        )
        self.assertEqual(self.mcp_user.name, self.env["res.users"].browse(uid).name)

    def test_not_for_users_outside_mcp(self):
        with self.assertFault(403, NOT_A_MEMBER):
            self.xmlrpc_at(
                "/mcp/xmlrpc/2/object",
                "execute_kw",
                self.env.cr.dbname,
                self.plain_user.id,
                self.plain_key,
                "res.users",
                "context_get",
                [],
                {},
            )
        with self.assertFault(3, "Access Denied"):
            self.xmlrpc_at(
                "/mcp/xmlrpc/2/object",
                "execute_kw",
                self.env.cr.dbname,
                self.mcp_user.id,
                "wrong password",
                "res.users",
                "context_get",
                [],
                {},
            )

    def test_enabled_res_users_keeps_its_own_rules(self):
        """With ``res.users`` enabled, the matrix decides the rest as for any model."""
        self.env["mcp.enabled.model"].create({"model_id": self.env["ir.model"]._get_id("res.users")})
        self.env.registry.clear_cache()
        rows = self.call("search_read", [[["login", "=", "mcp_other"]]], {"fields": ["name"]})
        self.assertEqual([r["id"] for r in rows], [self.other_user.id])
        self.assertRefused("write", [[self.mcp_user.id], {"name": "renamed"}])
        self.assertIsInstance(self.call("context_get", []), dict)
