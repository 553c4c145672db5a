import json
import xmlrpc.client

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import PASSWORD, McpCase


@tagged("post_install", "-at_install")
class TestAdminApp(McpCase):
    """The MCP app: its menus per group, the dashboard's views and figures, "via MCP" in the chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mcp_admin = new_test_user(
            cls.env,
            login="mcp_app_admin",
            groups="base.group_user,mcp_server.group_mcp_admin",
            password=PASSWORD,
        )

    def visible_menus(self, user):
        return set(
            self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            & set(
                self.env["ir.model.data"]
                .search([("module", "=", "mcp_server"), ("model", "=", "ir.ui.menu")])
                .mapped("res_id")
            )
        )

    def menu(self, xml_id):
        return self.env.ref(f"mcp_server.{xml_id}").id

    def test_menus_per_group(self):
        root = self.env.ref("mcp_server.mcp_menu_root")
        self.assertFalse(root.parent_id, "MCP is an app of its own")
        self.assertTrue(root.web_icon)
        admin_only = {self.menu(x) for x in ("mcp_dashboard_menu", "mcp_enabled_model_menu", "mcp_log_menu")}
        user_menus = self.visible_menus(self.mcp_user)
        self.assertIn(self.menu("mcp_api_key_menu"), user_menus)
        self.assertIn(root.id, user_menus)
        self.assertFalse(admin_only & user_menus, "an MCP user does not see the administrators' menus")
        admin_menus = self.visible_menus(self.mcp_admin)
        self.assertLessEqual(admin_only | {self.menu("mcp_api_key_menu")}, admin_menus)
        self.assertNotIn(self.menu("mcp_settings_menu"), admin_menus, "settings need Settings rights")
        self.assertIn(self.menu("mcp_settings_menu"), self.visible_menus(self.env.ref("base.user_admin")))
        self.assertFalse(self.visible_menus(self.plain_user), "no MCP app outside MCP User")

    def test_dashboard_views_load(self):
        for xml_id in ("mcp_dashboard_action", "mcp_log_action", "mcp_log_latency_action"):
            action = self.env.ref(f"mcp_server.{xml_id}")
            model = self.env[action.res_model].with_user(self.mcp_admin)
            views = model.get_views(
                [(False, mode) for mode in action.view_mode.split(",")] + [(False, "search")]
            )
            self.assertLessEqual(set(action.view_mode.split(",")), set(views["views"]), xml_id)

    def test_dashboard_figures(self):
        Log = self.env["mcp.log"]
        Log._mcp_insert(
            self.env.cr,
            [
                {
                    "event_type": "resource_retrieval",
                    "endpoint": "/dash",
                    "duration_ms": ms,
                    "user_id": self.mcp_user.id,
                }
                for ms in (10.0, 20.0, 30.0, 40.0)
            ]
            + [{"event_type": "permission_denied", "endpoint": "/dash", "duration_ms": 1.0}]
            + [{"event_type": "rate_limit", "endpoint": "/dash", "duration_ms": 1.0}],
        )
        rows = Log.search([("endpoint", "=", "/dash")])
        self.assertEqual(
            sorted(rows.mapped("outcome")),
            ["allowed"] * 4 + ["rate_limited", "refused"],
            "each row has its outcome",
        )
        by_outcome = dict(
            Log.with_user(self.mcp_admin)._read_group([("endpoint", "=", "/dash")], ["outcome"], ["__count"])
        )
        self.assertEqual(by_outcome, {"allowed": 4, "refused": 1, "rate_limited": 1})
        Latency = self.env["mcp.log.latency"].with_user(self.mcp_admin)
        (allowed,) = Latency.search_read(
            [("endpoint", "=", "/dash"), ("outcome", "=", "allowed")],
            ["request_count", "p50_ms", "p95_ms", "max_ms", "user_id"],
        )
        self.assertEqual(allowed["request_count"], 4)
        self.assertAlmostEqual(allowed["p50_ms"], 25.0)
        self.assertAlmostEqual(allowed["p95_ms"], 38.5)
        self.assertEqual(allowed["max_ms"], 40.0)
        self.assertEqual(allowed["user_id"][0], self.mcp_user.id)
        with self.assertRaises(AccessError):
            self.env["mcp.log.latency"].with_user(self.mcp_user).search([])

    def test_audit_rows_name_the_key(self):
        self.execute(self.mcp_user.id, self.mcp_key, "res.partner", "search", [[]], {"limit": 1})
        self.execute(self.mcp_user.id, self.odoo_key, "res.partner", "search", [[]], {"limit": 1})
        rows = self.logs(endpoint="/mcp/xmlrpc/object", event_type="resource_retrieval")
        self.assertEqual(
            rows.mapped("api_key_id"), self.env["mcp.api.key"].search([("user_id", "=", self.mcp_user.id)])
        )
        self.assertEqual(
            len(rows.filtered(lambda r: not r.api_key_id and r.api_key_used)), 1, "an Odoo key has no MCP key"
        )

    def tracking_bodies(self, partner):
        self.env.invalidate_all()
        return [str(m.body) for m in partner.message_ids]

    def test_via_mcp_in_the_chatter(self):
        headers = {"User-Agent": "mcp-test-client/1.0 (tests)"}
        partner_id = self.rpc_with(headers, "create", [{"name": "Made by MCP"}])
        partner = self.env["res.partner"].browse(partner_id)
        self.assertTrue(
            any("via MCP (key “test key”, mcp-test-client/1.0)" in b for b in self.tracking_bodies(partner)),
            self.tracking_bodies(partner),
        )
        self.rpc_with(headers, "write", [[partner_id], {"email": "mcp@example.com"}])
        bodies = self.tracking_bodies(partner)
        tracked = partner.message_ids.filtered("tracking_value_ids")
        self.assertEqual(len(tracked), 1, bodies)
        self.assertIn("via MCP (key “test key”", str(tracked.body))
        # The legitimate neighbour: the same change made in Odoo itself carries no mark.
        partner.with_user(self.mcp_user).write({"email": "odoo@example.com"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()
        latest = partner.message_ids.filtered("tracking_value_ids").sorted("id")[-1]
        self.assertNotEqual(latest, tracked)
        self.assertNotIn("via MCP", str(latest.body))

    def rpc_with(self, headers, method, args):
        body = xmlrpc.client.dumps(
            (self.env.cr.dbname, self.mcp_user.id, self.mcp_key, "res.partner", method, args, {}),
            "execute_kw",
            allow_none=True,
        ).encode()
        response = self.url_open(
            "/mcp/xmlrpc/object",
            data=body,
            headers={"Content-Type": "text/xml", "X-Odoo-Database": self.env.cr.dbname, **headers},
        )
        return xmlrpc.client.loads(response.content)[0][0]


@tagged("post_install", "-at_install")
class TestPlayground(McpCase):
    """The playground runs a tool as its user through the real gate, as the web client's button does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.read_key = (
            cls.env["mcp.api.key"]
            .with_user(cls.mcp_user)
            ._generate("read only", cls.mcp_user, scope="res.partner:R")
        )
        cls.read_key_row = cls.env["mcp.api.key"].search([("name", "=", "read only")])
        cls.partner = cls.env["res.partner"].create({"name": "Playground Partner"})

    def run_tool(self, tool, arguments, key=None):
        wizard = (
            self.env["mcp.playground"]
            .with_user(self.mcp_user)
            .create(
                {"tool": tool, "arguments": json.dumps(arguments), "api_key_id": key.id if key else False}
            )
        )
        self.authenticate("mcp_tester", PASSWORD)
        self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {"model": "mcp.playground", "method": "action_run", "args": [wizard.ids], "kwargs": {}},
        )
        wizard.invalidate_recordset()
        return wizard

    def test_arguments_start_from_the_schema(self):
        wizard = self.env["mcp.playground"].with_user(self.mcp_user).create({"tool": "get_record"})
        arguments = json.loads(wizard.arguments)
        self.assertLessEqual({"model", "record_id"}, set(arguments), "the required arguments, to fill in")
        self.assertIn('"record_id"', wizard.input_schema)

    def test_runs_a_tool_and_shows_its_audit_row(self):
        wizard = self.run_tool(
            "search_records", {"model": "res.partner", "domain": [["id", "=", self.partner.id]]}
        )
        self.assertFalse(wizard.is_error, wizard.result)
        self.assertIn("Playground Partner", wizard.result)
        self.assertTrue(wizard.log_ids, "the call's audit rows are shown")
        self.assertEqual(set(wizard.log_ids.mapped("endpoint")), {"playground"})
        self.assertEqual(wizard.log_ids.user_id, self.mcp_user)

    def test_refuses_what_the_gate_refuses(self):
        # The key's scope names partners only: countries, enabled for the user, are refused.
        search_countries = {"model": "res.country", "domain": [["code", "=", "BE"]]}
        refused = self.run_tool("search_records", search_countries, key=self.read_key_row)
        self.assertTrue(refused.is_error)
        self.assertIn("res.country", refused.result)
        self.assertIn("refused", refused.log_ids.mapped("outcome"))
        allowed = self.run_tool("search_records", search_countries)
        self.assertFalse(allowed.is_error, allowed.result)
        self.assertIn("Belgium", allowed.result)
        # A read-only key has no write tool; the user's own rights do.
        arguments = {"model": "res.partner", "record_id": self.partner.id, "values": {"name": "Renamed"}}
        refused = self.run_tool("update_record", arguments, key=self.read_key_row)
        self.assertTrue(refused.is_error)
        self.assertIn("Unknown tool: update_record", refused.result)
        self.assertEqual(self.partner.name, "Playground Partner")
        allowed = self.run_tool("update_record", arguments)
        self.assertFalse(allowed.is_error, allowed.result)
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.name, "Renamed")

    def test_only_own_keys(self):
        self.env["mcp.api.key"].with_user(self.other_user)._generate("other's", self.other_user)
        others = self.env["mcp.api.key"].search([("name", "=", "other's")])
        Playground = self.env["mcp.playground"].with_user(self.mcp_user)
        with self.assertRaises(UserError):
            Playground.create({"tool": "list_models", "api_key_id": others.id})._principal()
        own = Playground.create({"tool": "list_models", "api_key_id": self.read_key_row.id})._principal()
        self.assertEqual((own.uid, own.key_id), (self.mcp_user.id, self.read_key_row.id))
        self.assertIsNotNone(own.scope, "the key's scope applies")
