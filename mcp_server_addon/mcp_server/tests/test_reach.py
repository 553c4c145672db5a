"""The reach rule over real XML-RPC: each leak is refused and its legitimate neighbour runs."""

import base64

from odoo import SUPERUSER_ID, Command
from odoo.tests import new_test_user, tagged

from .. import compat
from .common import PASSWORD, McpCase


def denied(model, operation):
    return f"Access denied by MCP for model '{model}' operation '{operation}'"


@tagged("post_install", "-at_install")
class TestReach(McpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.belgium = cls.env.ref("base.be")
        cls.partner = cls.env["res.partner"].create(
            {"name": "Reach Partner", "country_id": cls.belgium.id, "vat": "BE0477472701", "ref": "R-1"}
        )
        cls.child = cls.env["res.partner"].create({"name": "Reach Child", "parent_id": cls.partner.id})
        cls.exporter = new_test_user(
            cls.env,
            login="mcp_exporter",
            groups="base.group_user,base.group_allow_export,mcp_server.group_mcp_user",
            password=PASSWORD,
        )

    def setUp(self):
        super().setUp()
        self.uid = self.mcp_user.id
        # the calls below run in this test's transaction as the MCP user: set up as superuser
        self.su = self.env(user=SUPERUSER_ID, su=True)

    def call(self, model, method, args=(), kwargs=None):
        return self.execute(self.uid, self.mcp_key, model, method, args, kwargs)

    def assertRefused(self, model, operation, model_called, method, args=(), kwargs=None):
        with self.assertFault(403) as ctx:
            self.call(model_called, method, args, kwargs)
        self.assertIn(denied(model, operation), ctx.fault.faultString)
        return ctx.fault

    def set_rights(self, record, **rights):
        record.write({f"allow_{k}": v for k, v in rights.items()})

    # -- domains, groupby, order, exports, specifications ----------------------------------
    def test_dotted_domain_paths(self):
        self.assertRefused(
            "res.users", "read", "res.partner", "search_count", [[("user_ids.login", "=", "admin")]]
        )
        count = self.call("res.partner", "search_count", [[("country_id.code", "=", "BE")]])
        self.assertGreaterEqual(count, 1)

    def test_any_and_name_conditions(self):
        self.assertRefused(
            "res.users",
            "read",
            "res.partner",
            "search",
            [[("user_ids", "any", [("login", "=", "admin")])]],
        )
        self.assertRefused("res.users", "read", "res.partner", "search", [[("user_ids", "ilike", "adm")]])
        self.assertRefused("res.users", "read", "res.partner", "search", [["!", ("user_ids", "not any", [])]])
        ids = self.call("res.partner", "search", [[("country_id", "any", [("code", "=", "BE")])]])
        self.assertIn(self.partner.id, ids)
        ids = self.call("res.partner", "search", [[("country_id", "ilike", "Belgi")]])
        self.assertIn(self.partner.id, ids)
        self.assertIsInstance(self.call("res.partner", "search", [[("user_ids", "=", False)]]), list)

    def test_groupby_order_and_export_paths(self):
        self.assertRefused(
            "res.users", "read", "res.partner", "read_group", [[], ["name"], ["create_uid.login"]]
        )
        groups = self.call("res.partner", "read_group", [[], ["name"], ["country_id"]])
        self.assertTrue(groups)
        self.assertRefused("res.users", "read", "res.partner", "search", [[]], {"order": "create_uid.login"})
        self.assertTrue(self.call("res.partner", "search", [[]], {"order": "name desc, id"}))
        self.assertRefused(
            "res.users", "read", "res.partner", "export_data", [[self.partner.id], ["user_ids/login"]]
        )
        data = self.execute(
            self.exporter.id,
            PASSWORD,
            "res.partner",
            "export_data",
            [[self.partner.id], ["name", "country_id/code"]],
        )
        self.assertEqual(data["datas"][0], ["Reach Partner", "BE"])

    def test_web_save_multi_specification(self):
        self.assertRefused(
            "res.users",
            "read",
            "res.partner",
            "web_save_multi",
            [[self.partner.id], [{"comment": "x"}], {"user_ids": {"fields": {"login": {}}}}],
        )
        args = [
            [self.partner.id],
            [{"comment": "spec"}],
            {"name": {}, "country_id": {"fields": {"display_name": {}}}},
        ]
        if not compat.HAS_WEB_SAVE_MULTI:
            # the gate lets the call through, and Odoo answers as its own XML-RPC does
            with self.assertFault(1) as ctx:
                self.call("res.partner", "web_save_multi", args)
            self.assertIn("The method 'web_save_multi' does not exist", ctx.fault.faultString)
            return
        rows = self.call("res.partner", "web_save_multi", args)
        self.assertEqual(rows[0]["country_id"]["display_name"], self.belgium.display_name)

    # -- values -----------------------------------------------------------------------------
    def test_x2many_commands_on_a_disabled_model(self):
        admin = self.su.ref("base.user_admin")
        pid = self.partner.id
        self.assertRefused(
            "res.users",
            "create",
            "res.partner",
            "write",
            [[pid], {"user_ids": [[0, 0, {"login": "mcp_sneak", "name": "Sneak"}]]}],
        )
        self.assertRefused(
            "res.users",
            "write",
            "res.partner",
            "write",
            [[pid], {"user_ids": [[1, admin.id, {"login": "x"}]]}],
        )
        self.assertRefused(
            "res.users", "unlink", "res.partner", "write", [[pid], {"user_ids": [[2, admin.id]]}]
        )
        self.assertRefused(
            "res.partner.bank",
            "create",
            "res.partner",
            "write",
            [[pid], {"bank_ids": [[0, 0, {"acc_number": "BE71096123456769"}]]}],
        )
        self.assertEqual(admin.login, "admin")
        self.assertFalse(self.su["res.users"].search([("login", "=", "mcp_sneak")]))
        # the neighbour: plain values, and links on a many2many, which change only this record
        tag = self.su["res.partner.category"].create({"name": "Reach tag"})
        self.assertTrue(
            self.call("res.partner", "write", [[pid], {"comment": "ok", "category_id": [[4, tag.id]]}])
        )
        self.assertIn(tag, self.partner.category_id)
        # creating a tag through the partner needs create on tags
        self.assertRefused(
            "res.partner.category",
            "create",
            "res.partner",
            "write",
            [[pid], {"category_id": [[0, 0, {"name": "New tag"}]]}],
        )
        self.su["mcp.enabled.model"].create(
            {"model_id": self.su["ir.model"]._get_id("res.partner.category"), "allow_create": True}
        )
        self.assertTrue(
            self.call("res.partner", "write", [[pid], {"category_id": [[0, 0, {"name": "New tag"}]]}])
        )
        self.assertIn("New tag", self.partner.category_id.mapped("name"))

    def test_one2many_commands_need_the_related_rights(self):
        self.set_rights(self.partner_rights, create=False, unlink=False)
        pid = self.partner.id
        self.assertRefused(
            "res.partner", "create", "res.partner", "write", [[pid], {"child_ids": [[0, 0, {"name": "Kid"}]]}]
        )
        self.assertRefused(
            "res.partner", "unlink", "res.partner", "write", [[pid], {"child_ids": [[3, self.child.id]]}]
        )
        self.assertRefused(
            "res.partner", "unlink", "res.partner", "write", [[pid], {"child_ids": [self.child.id]}]
        )
        self.assertRefused("res.partner", "unlink", "res.partner", "write", [[pid], {"child_ids": [[5]]}])
        other = self.su["res.partner"].create({"name": "Adopted"})
        self.assertTrue(self.call("res.partner", "write", [[pid], {"child_ids": [[4, other.id]]}]))
        self.assertEqual(other.parent_id, self.partner)
        # nested commands are checked too
        self.set_rights(self.partner_rights, create=True)
        self.assertRefused(
            "res.users",
            "create",
            "res.partner",
            "write",
            [[pid], {"child_ids": [[0, 0, {"name": "Kid", "user_ids": [[0, 0, {"login": "kid"}]]}]]}],
        )
        self.assertTrue(self.call("res.partner", "write", [[pid], {"child_ids": [[0, 0, {"name": "Kid"}]]}]))
        self.assertIn("Kid", self.partner.child_ids.mapped("name"))

    def test_inherited_and_related_fields_need_the_model_written(self):
        admin_mcp = new_test_user(
            self.su,
            login="mcp_admin_reach",
            # Contact Creation: on 18.0 the Settings group alone may not write partners
            groups="base.group_system,base.group_partner_manager,mcp_server.group_mcp_user",
            password=PASSWORD,
        )
        self.su["mcp.enabled.model"].create(
            {"model_id": self.su["ir.model"]._get_id("res.company"), "allow_write": True}
        )
        self.set_rights(self.partner_rights, write=False)
        company = self.su.company
        with self.assertFault(403) as ctx:
            self.execute(
                admin_mcp.id, PASSWORD, "res.company", "write", [[company.id], {"email": "x@example.com"}]
            )
        self.assertIn(denied("res.partner", "write"), ctx.fault.faultString)
        self.assertTrue(
            self.execute(
                admin_mcp.id, PASSWORD, "res.company", "write", [[company.id], {"report_footer": "f"}]
            )
        )
        self.set_rights(self.partner_rights, write=True)
        self.assertTrue(
            self.execute(
                admin_mcp.id, PASSWORD, "res.company", "write", [[company.id], {"email": "reach@example.com"}]
            )
        )
        self.assertEqual(company.partner_id.email, "reach@example.com")

    # -- documents --------------------------------------------------------------------------
    def test_documents_are_filtered_by_their_owner(self):
        Attachment = self.su["ir.attachment"]
        data = base64.b64encode(b"reach").decode()
        mine = Attachment.create(
            {"name": "p.txt", "datas": data, "res_model": "res.partner", "res_id": self.partner.id}
        )
        hidden = Attachment.create(
            {"name": "u.txt", "datas": data, "res_model": "res.users", "res_id": self.mcp_user.id}
        )
        self.su["mcp.enabled.model"].create(
            {
                "model_id": self.su["ir.model"]._get_id("ir.attachment"),
                "allow_create": True,
                "allow_write": True,
            }
        )
        ids = self.call("ir.attachment", "search", [[("id", "in", [mine.id, hidden.id])]])
        self.assertEqual(ids, [mine.id])
        rows = self.call("ir.attachment", "read", [[mine.id, hidden.id], ["name"]])
        self.assertEqual([r["id"] for r in rows], [mine.id])
        self.assertEqual(self.call("ir.attachment", "search_count", [[("id", "=", hidden.id)]]), 0)
        self.assertRefused(
            "res.users",
            "write",
            "ir.attachment",
            "create",
            [{"name": "x", "datas": data, "res_model": "res.users", "res_id": self.mcp_user.id}],
        )
        self.assertRefused("res.users", "write", "ir.attachment", "write", [[hidden.id], {"name": "renamed"}])
        new_id = self.call(
            "ir.attachment",
            "create",
            [{"name": "n.txt", "datas": data, "res_model": "res.partner", "res_id": self.partner.id}],
        )
        self.assertTrue(Attachment.browse(new_id).exists())
        self.assertTrue(self.call("ir.attachment", "write", [[mine.id], {"name": "renamed.txt"}]))

    # -- context ----------------------------------------------------------------------------
    def test_context_keys_are_dropped(self):
        pid = self.call(
            "res.partner",
            "create",
            [{"name": "Ctx partner"}],
            {"context": {"default_comment": "leaked", "default_ref": "leaked"}},
        )
        partner = self.su["res.partner"].browse(pid)
        self.assertFalse(partner.comment)
        self.assertFalse(partner.ref)
        self.partner.copy({"name": "Archived", "active": False})
        count_active = self.call("res.partner", "search_count", [[("name", "=", "Archived")]])
        count_all = self.call(
            "res.partner", "search_count", [[("name", "=", "Archived")]], {"context": {"active_test": False}}
        )
        self.assertEqual((count_active, count_all), (0, 1), "active_test passes")

    def test_allowed_company_ids(self):
        other = self.su["res.company"].create({"name": "Reach Co B"})
        foreign = self.su["res.company"].create({"name": "Reach Co C"})
        main = self.su.company
        self.mcp_user.write({"company_ids": [Command.link(other.id)]})
        in_b = self.su["res.partner"].create({"name": "Partner of B", "company_id": other.id})
        both = [main.id, other.id]
        with self.assertFault(403) as ctx:
            self.call("res.partner", "search", [[]], {"context": {"allowed_company_ids": [foreign.id]}})
        self.assertIn("allowed_company_ids", ctx.fault.faultString)
        only_main = self.call(
            "res.partner", "search", [[("id", "=", in_b.id)]], {"context": {"allowed_company_ids": [main.id]}}
        )
        with_b = self.call(
            "res.partner", "search", [[("id", "=", in_b.id)]], {"context": {"allowed_company_ids": both}}
        )
        self.assertEqual((only_main, with_b), ([], [in_b.id]))

    # -- field rules ------------------------------------------------------------------------
    def test_field_rules(self):
        fields = self.su["ir.model.fields"]
        self.partner_rights.write(
            {
                "denied_read_field_ids": [Command.set(fields._get("res.partner", "vat").ids)],
                "denied_write_field_ids": [Command.set(fields._get("res.partner", "ref").ids)],
            }
        )
        pid = self.partner.id
        row = self.call("res.partner", "read", [[pid], ["name", "vat", "ref"]])[0]
        self.assertEqual((row["name"], row["ref"]), ("Reach Partner", "R-1"))
        self.assertNotIn("vat", row)
        self.assertEqual(self.call("res.partner", "read", [[pid], ["vat"]]), [{"id": pid}])
        self.assertNotIn("vat", self.call("res.partner", "read", [[pid]])[0])
        row = self.call("res.partner", "search_read", [[("id", "=", pid)]], {"fields": []})[0]
        self.assertNotIn("vat", row)
        self.assertIn("email", row)
        described = self.call("res.partner", "fields_get", [], {"attributes": ["string", "readonly"]})
        self.assertEqual(described["vat"]["mcp_denied"], ["read"])
        self.assertEqual(described["ref"]["mcp_denied"], ["write"])
        self.assertIs(described["ref"]["readonly"], True)
        field_denied = "Access denied by MCP for field '{}' of model 'res.partner' operation '{}'."
        for method, args, kwargs in (
            ("search", [[("vat", "=", "BE0477472701")]], {}),
            ("read_group", [[], ["name"], ["vat"]], {}),
            ("search", [[]], {"order": "vat"}),
            ("export_data", [[pid], ["vat"]], {}),
            ("search", [[("child_ids.vat", "=", "x")]], {}),
        ):
            with self.subTest(method=method), self.assertFault(403, field_denied.format("vat", "read")):
                self.call("res.partner", method, args, kwargs)
        with self.assertFault(403, field_denied.format("ref", "write")):
            self.call("res.partner", "write", [[pid], {"ref": "R-2"}])
        self.assertTrue(self.call("res.partner", "write", [[pid], {"name": "Still writable"}]))
        self.assertEqual(self.partner.ref, "R-1")

    # -- method names -------------------------------------------------------------------------
    def test_a_method_runs_under_its_own_name(self):
        doomed = self.su["res.partner"].create({"name": "Doomed"})
        with self.assertFault(1) as ctx:
            self.call("res.partner", "Unlink", [[doomed.id]])
        self.assertIn("Unlink", ctx.fault.faultString)
        self.assertTrue(doomed.exists(), "'Unlink' is not run as 'unlink'")
        self.assertTrue(self.call("res.partner", "unlink", [[doomed.id]]))
        self.assertFalse(doomed.exists())
