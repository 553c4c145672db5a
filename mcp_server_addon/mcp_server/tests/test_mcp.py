import base64
import json

from odoo.tests import tagged

from .common import McpCase

MODERN = "2026-07-28"
#: A 1x1 PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
LEGACY = ("2025-11-25", "2025-06-18")


class McpHttpCase(McpCase):
    """``/mcp`` driven over real HTTP, as an MCP client drives it."""

    def post_mcp(self, body, key=None, headers=None, raw=None, path="/mcp"):
        all_headers = {
            "X-Odoo-Database": self.env.cr.dbname,
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        all_headers.update(headers or {})
        all_headers = {k: v for k, v in all_headers.items() if v is not None}
        data = raw if raw is not None else json.dumps(body).encode()
        return self.url_open(path, data=data, headers=all_headers)

    def legacy(self, method, params=None, key="default", version=LEGACY[0], request_id=1, headers=None):
        body = {"jsonrpc": "2.0", "method": method}
        if request_id is not None:
            body["id"] = request_id
        if params is not None:
            body["params"] = params
        all_headers = {"MCP-Protocol-Version": version} if version else {}
        all_headers.update(headers or {})
        return self.post_mcp(body, self.odoo_key if key == "default" else key, all_headers)

    def modern(self, method, params=None, key="default", request_id=1, headers=None, version=MODERN):
        params = dict(params or {})
        params.setdefault(
            "_meta",
            {
                "io.modelcontextprotocol/protocolVersion": version,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
            },
        )
        all_headers = {"MCP-Protocol-Version": version, "Mcp-Method": method}
        if method in ("tools/call", "prompts/get"):
            all_headers["Mcp-Name"] = params.get("name")
        if method == "resources/read":
            all_headers["Mcp-Name"] = params.get("uri")
        all_headers.update(headers or {})
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        return self.post_mcp(body, self.odoo_key if key == "default" else key, all_headers)

    def result(self, response, status=200):
        self.assertEqual(response.status_code, status, response.text)
        self.assertNotIn("Mcp-Session-Id", response.headers)
        body = response.json()
        self.assertNotIn("error", body, body)
        return body["result"]

    def rpc_error(self, response, status, code, message=None):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        body = response.json()
        self.assertEqual(body["jsonrpc"], "2.0")
        self.assertEqual(body["error"]["code"], code, body)
        if message is not None:
            self.assertIn(message, body["error"]["message"])
        return body

    def tool(self, name, arguments=None, key="default", modern=True):
        params = {"name": name, "arguments": arguments or {}}
        response = (
            self.modern("tools/call", params, key) if modern else self.legacy("tools/call", params, key)
        )
        return self.result(response)

    def tool_ok(self, name, arguments=None, key="default"):
        result = self.tool(name, arguments, key)
        self.assertFalse(result["isError"], result)
        self.assertEqual(json.loads(result["content"][0]["text"]), result["structuredContent"])
        return result["structuredContent"]

    def tool_refused(self, name, arguments=None, key="default", message=None):
        result = self.tool(name, arguments, key)
        self.assertTrue(result["isError"], result)
        if message is not None:
            self.assertIn(message, result["content"][0]["text"])
        return result["content"][0]["text"]


@tagged("post_install", "-at_install")
class TestMcpProtocol(McpHttpCase):
    def test_legacy_handshake_per_revision(self):
        for version in LEGACY:
            with self.subTest(version=version):
                response = self.legacy(
                    "initialize",
                    {
                        "protocolVersion": version,
                        "capabilities": {},
                        "clientInfo": {"name": "t", "version": "1"},
                    },
                    version=None,
                )
                result = self.result(response)
                self.assertEqual(result["protocolVersion"], version)
                self.assertIn("tools", result["capabilities"])
                self.assertEqual(result["serverInfo"]["name"], "odoo-mcp-server")
                self.assertIn(self.mcp_user.name, result["instructions"])
                self.assertIn(self.mcp_user.company_id.name, result["instructions"])
                self.assertIn("Timezone", result["instructions"])
                self.assertNotIn("resultType", result)
                notified = self.legacy("notifications/initialized", version=version, request_id=None)
                self.assertEqual(notified.status_code, 202, notified.text)
                self.assertEqual(notified.content, b"")
                self.assertEqual(self.result(self.legacy("ping", version=version)), {})
        # an unknown revision asked for in initialize: the newest legacy one is offered
        result = self.result(self.legacy("initialize", {"protocolVersion": "2024-01-01"}, version=None))
        self.assertEqual(result["protocolVersion"], LEGACY[0])

    def test_modern_discover_and_lists(self):
        result = self.result(self.modern("server/discover"))
        self.assertEqual(result["resultType"], "complete")
        self.assertEqual(result["supportedVersions"], [MODERN, *LEGACY])
        self.assertEqual(result["cacheScope"], "private")
        self.assertGreaterEqual(result["ttlMs"], 0)
        self.assertEqual(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "odoo-mcp-server")
        self.assertIn(self.mcp_user.name, result["instructions"])
        tools = self.result(self.modern("tools/list"))
        self.assertEqual(tools["resultType"], "complete")
        self.assertEqual(tools["cacheScope"], "private")
        self.assertIn("search_records", [t["name"] for t in tools["tools"]])
        templates = self.result(self.modern("resources/templates/list"))
        self.assertIn(
            "odoo://{model}/record/{record_id}", [t["uriTemplate"] for t in templates["resourceTemplates"]]
        )
        self.assertEqual(templates["cacheScope"], "private")

    def test_modern_header_rules(self):
        # the version header must match _meta
        self.rpc_error(self.modern("tools/list", headers={"MCP-Protocol-Version": None}), 400, -32020)
        self.rpc_error(self.modern("tools/list", headers={"Mcp-Method": "tools/call"}), 400, -32020)
        self.rpc_error(
            self.modern("tools/call", {"name": "list_models"}, headers={"Mcp-Name": "get_record"}),
            400,
            -32020,
        )
        # Mcp-Name may be base64-encoded; values are trimmed
        encoded = "=?base64?" + base64.b64encode(b"list_models").decode() + "?="
        result = self.result(
            self.modern("tools/call", {"name": "list_models"}, headers={"Mcp-Name": encoded})
        )
        self.assertFalse(result["isError"])
        result = self.result(
            self.modern(
                "tools/list", headers={"Mcp-Method": "tools/list  ", "MCP-Protocol-Version": f"{MODERN} "}
            )
        )
        self.assertTrue(result["tools"])
        # unknown revision: -32022 listing what is supported
        body = self.rpc_error(self.modern("tools/list", version="2099-01-01"), 400, -32022)
        self.assertEqual(body["error"]["data"]["supported"], [MODERN, *LEGACY])
        self.assertEqual(body["error"]["data"]["requested"], "2099-01-01")
        # _meta without the capabilities key
        self.rpc_error(
            self.modern("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}),
            400,
            -32602,
        )
        # unknown method: 404 -32601 in the modern era, 200 in the legacy one
        self.rpc_error(self.modern("nope/nothing"), 404, -32601)
        self.rpc_error(self.legacy("nope/nothing"), 200, -32601)
        # 2026-07-28 removed ping
        self.rpc_error(self.modern("ping"), 404, -32601)
        # prompts are declared, and there are none
        prompts = self.result(self.modern("prompts/list"))
        self.assertEqual((prompts["prompts"], prompts["cacheScope"]), ([], "private"))
        self.rpc_error(self.modern("prompts/get", {"name": "x"}), 400, -32602, "Prompt not found")

    def test_http_rules(self):
        headers = {"X-Odoo-Database": self.env.cr.dbname}
        for method in ("GET", "DELETE"):
            with self.subTest(method=method):
                response = self.opener.request(method, self.base_url() + "/mcp", headers=headers, timeout=30)
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response.headers["Allow"], "POST")
        self.rpc_error(self.post_mcp(None, self.odoo_key, raw=b"{nope"), 400, -32700)
        batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}]
        self.rpc_error(self.post_mcp(batch, self.odoo_key), 400, -32600, "Batch")
        self.rpc_error(self.post_mcp({"id": 1, "method": "ping"}, self.odoo_key), 400, -32600)
        self.rpc_error(self.legacy("ping", headers={"Accept": "text/html"}), 406, -32600)
        self.rpc_error(self.legacy("ping", headers={"Content-Type": "text/plain"}), 415, -32600)
        big = (
            b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "'
            + b"a" * (8 * 1024 * 1024)
            + b'"}}'
        )
        self.rpc_error(self.post_mcp(None, self.odoo_key, raw=big), 413, -32600)
        # its legitimate neighbours: Accept of the spec, no Accept at all, /mcp/
        self.assertEqual(self.result(self.legacy("ping")), {})
        self.assertEqual(self.result(self.legacy("ping", headers={"Accept": None})), {})
        self.assertEqual(
            self.result(
                self.post_mcp({"jsonrpc": "2.0", "id": 2, "method": "ping"}, self.odoo_key, path="/mcp/")
            ),
            {},
        )
        # a modern notification is accepted, never a session id
        response = self.post_mcp(
            {"jsonrpc": "2.0", "method": "notifications/cancelled"},
            self.odoo_key,
            {"MCP-Protocol-Version": MODERN},
        )
        self.assertEqual(response.status_code, 202)
        self.assertNotIn("Mcp-Session-Id", response.headers)

    def test_origin(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.rpc_error(self.legacy("ping", headers={"Origin": "https://evil.example"}), 403, -32600, "Origin")
        self.assertEqual(self.result(self.legacy("ping", headers={"Origin": base})), {})
        self.icp.set_param("mcp_server.allowed_origins", "https://claude.ai, https://inspector.example:6274")
        self.assertEqual(self.result(self.legacy("ping", headers={"Origin": "https://claude.ai"})), {})
        self.assertEqual(
            self.result(self.legacy("ping", headers={"Origin": "https://inspector.example:6274"})), {}
        )
        self.rpc_error(self.legacy("ping", headers={"Origin": "https://inspector.example"}), 403, -32600)

    def test_authentication(self):
        response = self.legacy("ping", key=None)
        self.rpc_error(response, 401, 401, "Authentication required")
        self.assertEqual(response.headers["WWW-Authenticate"], 'Bearer realm="mcp"')
        self.rpc_error(self.legacy("ping", key="0" * 40), 401, 401, "Invalid API key.")
        self.rpc_error(self.legacy("ping", key=None, headers={"Authorization": "Basic abc"}), 401, 401)
        self.assertTrue(self.logs(event_type="auth_failure", endpoint="/mcp"))
        # not an MCP user
        self.rpc_error(self.legacy("ping", key=self.plain_key), 403, 403, "MCP User")
        # the legitimate neighbours: each credential, each header
        self.assertEqual(self.result(self.legacy("ping", key=self.mcp_key)), {})
        self.assertEqual(self.result(self.legacy("ping", key=None, headers={"X-API-Key": self.odoo_key})), {})
        self.assertEqual(
            self.result(
                self.legacy("ping", key=None, headers={"Authorization": f"Bearer   {self.odoo_key}  "})
            ),
            {},
        )

    def test_disabled_and_rate_limit(self):
        self.icp.set_param("mcp_server.enabled", "False")
        self.rpc_error(self.legacy("ping"), 503, 503, "disabled")
        self.icp.set_param("mcp_server.enabled", "True")
        self.assertEqual(self.result(self.legacy("ping")), {})
        self.icp.set_param("mcp_server.request_limit", "10")
        statuses = [self.legacy("ping").status_code for _ in range(11)]
        self.assertEqual(statuses[:10], [200] * 10)
        self.assertEqual(statuses[10], 429)
        response = self.legacy("ping")
        self.rpc_error(response, 429, 429, "Rate limit")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        # another user is not limited by the first one's calls
        other_key = self.new_odoo_key(self.other_user)
        self.assertEqual(self.result(self.legacy("ping", key=other_key)), {})

    def test_oauth_metadata_is_a_json_404(self):
        for path in (
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server",
        ):
            with self.subTest(path=path):
                response = self.url_open(
                    path, headers={"X-Odoo-Database": self.env.cr.dbname}, allow_redirects=False
                )
                self.assertEqual(response.status_code, 404)
                self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
                self.assertEqual(response.json()["error"], "not_found")


@tagged("post_install", "-at_install")
class TestMcpTools(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.partners = Partner.create(
            [{"name": f"MCP Tool Partner {i}", "ref": f"mcp-{i}"} for i in range(30)]
        )

    def test_search_records(self):
        found = self.tool_ok(
            "search_records",
            {
                "model": "res.partner",
                "domain": [["ref", "=like", "mcp-%"]],
                "fields": ["name", "ref"],
                "order": "id",
            },
        )
        self.assertEqual(found["total"], 30)
        self.assertEqual(found["limit"], 25)
        self.assertEqual(found["offset"], 0)
        self.assertEqual(len(found["records"]), 25)
        self.assertEqual(found["records"][0]["name"], "MCP Tool Partner 0")
        self.assertEqual(set(found["records"][0]), {"id", "name", "ref"})
        page = self.tool_ok(
            "search_records",
            {"model": "res.partner", "domain": [["ref", "=like", "mcp-%"]], "limit": 500, "offset": 25},
        )
        self.assertEqual(page["limit"], 100)
        self.assertEqual(len(page["records"]), 5)
        self.assertIn("display_name", page["records"][0])  # smart defaults
        # the same call on the legacy era
        legacy = self.tool(
            "search_records",
            {"model": "res.partner", "domain": [["id", "=", self.partners[0].id]]},
            modern=False,
        )
        self.assertEqual(legacy["structuredContent"]["total"], 1)
        self.assertTrue(self.logs(endpoint="/mcp", operation="search_records", model_name="res.partner"))

    def test_get_record(self):
        partner = self.partners[3]
        record = self.tool_ok(
            "get_record", {"model": "res.partner", "record_id": partner.id, "fields": ["name"]}
        )
        self.assertEqual(record["record"], {"id": partner.id, "name": partner.name})
        smart = self.tool_ok("get_record", {"model": "res.partner", "record_id": partner.id})
        self.assertEqual(smart["metadata"]["field_selection_method"], "smart_defaults")
        self.assertEqual(smart["record"]["display_name"], partner.display_name)
        self.tool_refused(
            "get_record", {"model": "res.partner", "record_id": 999_999_999}, message="not found"
        )

    def test_get_record_previews_small_relations_it_may_read(self):
        parent = self.partners[4]
        children = self.env["res.partner"].create(
            [{"name": f"MCP Child {i}", "parent_id": parent.id} for i in range(2)]
        )
        category = self.env["res.partner.category"].create({"name": "MCP Category"})
        parent.category_id = category
        record = self.tool_ok(
            "get_record",
            {"model": "res.partner", "record_id": parent.id, "fields": ["name", "child_ids", "category_id"]},
        )
        self.assertEqual(record["record"]["child_ids"], children.ids)  # the ids stay as they are
        self.assertEqual(
            record["related_summaries"],
            {"child_ids": [{"id": c.id, "display_name": c.display_name} for c in children]},
        )
        # res.partner.category is not enabled: no preview of it, and the read itself still works
        self.assertEqual(record["record"]["category_id"], category.ids)
        # a collection over the preview's size is left out
        self.env["res.partner"].create(
            [{"name": f"MCP Child {i}", "parent_id": parent.id} for i in range(2, 6)]
        )
        record = self.tool_ok(
            "get_record", {"model": "res.partner", "record_id": parent.id, "fields": ["name", "child_ids"]}
        )
        self.assertNotIn("related_summaries", record)

    def test_refusals_carry_the_gate_message(self):
        self.tool_refused(
            "search_records",
            {"model": "res.users"},
            message="Model 'res.users' is not enabled for MCP access.",
        )
        # reaching a model that is not enabled through a domain path (the reach rule)
        self.tool_refused(
            "search_records",
            {"model": "res.partner", "domain": [["user_ids.login", "=", "admin"]]},
            message="Access denied by MCP",
        )
        self.tool_refused(
            "create_record",
            {"model": "res.country", "values": {"name": "X", "code": "XX"}},
            message="Access denied by MCP",
        )
        # the legitimate neighbour
        self.tool_ok("search_records", {"model": "res.country", "limit": 1})

    def test_bad_arguments_and_unknown_tool(self):
        self.rpc_error(
            self.modern("tools/call", {"name": "no_such_tool", "arguments": {}}), 400, -32602, "Unknown tool"
        )
        self.rpc_error(self.legacy("tools/call", {"name": "no_such_tool"}), 200, -32602)
        # Arguments that do not fit the schema are a tool error the model can correct (2025-11-25).
        self.tool_refused(
            "get_record", {"model": "res.partner"}, message="missing required argument 'record_id'"
        )
        self.tool_refused("get_record", {"model": "res.partner", "record_id": "x"}, message="record_id")
        self.tool_refused(
            "get_record",
            {"model": "res.partner", "record_id": 1, "nope": 1},
            message="unknown argument 'nope'",
        )
        # the legitimate neighbour
        self.tool_ok(
            "get_record", {"model": "res.partner", "record_id": self.env.ref("base.main_partner").id}
        )

    def test_tools_list_per_credential(self):
        def names(key):
            listed = self.result(self.modern("tools/list", key=key))["tools"]
            return [tool["name"] for tool in listed]

        read_tools = [
            "search_records",
            "get_record",
            "get_fields",
            "get_current_context",
            "list_models",
            "list_resource_templates",
            "read_attachment",
            "list_record_attachments",
            "aggregate_records",
        ]
        full = names(self.odoo_key)
        for name in ("create_record", "create_records", "update_record", "update_records", "delete_record"):
            self.assertIn(name, full)
        self.assertEqual(full, names(self.odoo_key), "tools/list must be deterministic")
        read_only = (
            self.env["mcp.api.key"]
            .with_user(self.mcp_user)
            ._generate("ro", self.mcp_user, scope="res.partner:R")
        )
        self.assertEqual(names(read_only), read_tools)
        no_unlink = (
            self.env["mcp.api.key"]
            .with_user(self.mcp_user)
            ._generate("rw", self.mcp_user, scope="res.partner:RWC")
        )
        listed = names(no_unlink)
        self.assertIn("update_record", listed)
        self.assertNotIn("delete_record", listed)
        # a tool not listed for a credential cannot be called with it either
        body = self.rpc_error(
            self.modern(
                "tools/call",
                {"name": "delete_record", "arguments": {"model": "res.partner", "record_id": 1}},
                key=no_unlink,
            ),
            400,
            -32602,
        )
        self.assertIn("Unknown tool", body["error"]["message"])
        tool = next(
            t for t in self.result(self.modern("tools/list"))["tools"] if t["name"] == "delete_record"
        )
        self.assertEqual(tool["title"], "Delete Record")
        self.assertIs(tool["annotations"]["destructiveHint"], True)
        self.assertIs(tool["annotations"]["readOnlyHint"], False)
        self.assertEqual(tool["inputSchema"]["required"], ["model", "record_id"])
        self.assertIn("deleted_name", tool["outputSchema"]["properties"])

    def test_write_tools(self):
        created = self.tool_ok(
            "create_record", {"model": "res.partner", "values": {"name": "Created by MCP"}}
        )
        partner = self.env["res.partner"].browse(created["record"]["id"])
        self.assertEqual(partner.name, "Created by MCP")
        self.assertEqual(partner.create_uid, self.mcp_user)  # runs as the key's user, never as superuser
        self.assertTrue(created["url"].endswith(f"/odoo/res.partner/{partner.id}"))
        bulk = self.tool_ok(
            "create_records", {"model": "res.partner", "records": [{"name": "Bulk A"}, {"name": "Bulk B"}]}
        )
        self.assertEqual(bulk["created_count"], 2)
        self.assertEqual([r["display_name"] for r in bulk["records"]], ["Bulk A", "Bulk B"])
        updated = self.tool_ok(
            "update_record", {"model": "res.partner", "record_id": partner.id, "values": {"name": "Renamed"}}
        )
        self.assertEqual(updated["record"]["display_name"], "Renamed")
        ids = [r["id"] for r in bulk["records"]]
        same = self.tool_ok(
            "update_records", {"model": "res.partner", "record_ids": ids, "values": {"ref": "same"}}
        )
        self.assertEqual(same["updated_count"], 2)
        self.assertEqual(set(self.env["res.partner"].browse(ids).mapped("ref")), {"same"})
        each = self.tool_ok(
            "update_records",
            {
                "model": "res.partner",
                "updates": [{"id": ids[0], "values": {"ref": "a"}}, {"id": ids[1], "values": {"ref": "b"}}],
            },
        )
        self.assertEqual(each["updated_count"], 2)
        self.assertEqual(self.env["res.partner"].browse(ids).mapped("ref"), ["a", "b"])
        self.tool_refused(
            "update_records", {"model": "res.partner", "record_ids": ids}, message="record_ids with values"
        )
        self.tool_refused(
            "update_record",
            {"model": "res.partner", "record_id": 999_999_999, "values": {"name": "x"}},
            message="not found",
        )
        deleted = self.tool_ok("delete_record", {"model": "res.partner", "record_id": partner.id})
        self.assertEqual((deleted["deleted_id"], deleted["deleted_name"]), (partner.id, "Renamed"))
        self.assertFalse(partner.exists())
        self.assertTrue(self.logs(endpoint="/mcp", operation="delete_record", event_type="write_operation"))
        # a model whose create right is off: the gate's refusal, nothing written
        text = self.tool_refused(
            "create_record", {"model": "res.country", "values": {"name": "No", "code": "QQ"}}
        )
        self.assertIn("Access denied by MCP", text)
        self.assertFalse(self.env["res.country"].search([("code", "=", "QQ")]))
        # an Odoo error (a required field missing) comes back as an isError result
        self.tool_refused("create_record", {"model": "res.partner", "values": {"type": "nonsense"}})

    def test_get_fields_and_context_and_models(self):
        described = self.tool_ok("get_fields", {"model": "res.partner"})
        names = [f["name"] for f in described["fields"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("name", names)
        self.assertEqual(
            set(next(f for f in described["fields"] if f["name"] == "name")) - {"name"},
            {"type", "string", "required", "readonly"},
        )
        self.assertEqual(described["total"], len(names))
        self.assertIn("child_ids", names)  # relations are always described
        some = self.tool_ok(
            "get_fields",
            {"model": "res.partner", "field_names": ["name", "nope"], "attributes": ["type", "help"]},
        )
        self.assertEqual([f["name"] for f in some["fields"]], ["name"])
        self.assertIn("nope", some["note"])
        context = self.tool_ok("get_current_context")
        self.assertEqual(
            (context["login"], context["company_id"]), (self.mcp_user.login, self.mcp_user.company_id.id)
        )
        models = self.tool_ok("list_models")
        self.assertEqual([m["model"] for m in models["models"]], ["res.country", "res.partner"])
        templates = self.tool_ok("list_resource_templates")
        self.assertEqual(templates["enabled_models"], ["res.country", "res.partner"])
        self.assertEqual(len(templates["templates"]), 6)

    def test_aggregate_records(self):
        grouped = self.tool_ok(
            "aggregate_records",
            {
                "model": "res.partner",
                "groupby": ["ref"],
                "domain": [["ref", "=like", "mcp-1%"]],
                "order": "ref",
            },
        )
        self.assertEqual(grouped["aggregates"], ["__count"])
        self.assertEqual(
            [g["ref"] for g in grouped["groups"]], sorted(f"mcp-1{s}" for s in ["", *map(str, range(10))])
        )
        self.assertTrue(all(g["__count"] == 1 for g in grouped["groups"]))
        self.assertFalse(grouped["has_more"])
        paged = self.tool_ok(
            "aggregate_records",
            {"model": "res.partner", "groupby": ["ref"], "domain": [["ref", "=like", "mcp-%"]], "limit": 5},
        )
        self.assertEqual(len(paged["groups"]), 5)
        self.assertTrue(paged["has_more"])
        total = self.tool_ok(
            "aggregate_records", {"model": "res.partner", "domain": [["ref", "=like", "mcp-%"]]}
        )
        self.assertEqual(total["groups"][0]["__count"], 30)
        # grouping through a field of a model that is not enabled: refused by the reach rule
        self.tool_refused("aggregate_records", {"model": "res.partner", "groupby": ["user_id.login"]})

    def test_attachments_and_resources(self):
        partner = self.partners[0]
        upload_key = self.odoo_key
        self.tool_refused(  # ir.attachment is not enabled: upload_attachment is not even listed
            "list_record_attachments",
            {"model": "res.partner", "record_id": partner.id},
            message="ir.attachment",
        )
        self.env["mcp.enabled.model"].create(
            {"model_id": self.env["ir.model"]._get_id("ir.attachment"), "allow_create": True}
        )
        self.env.registry.clear_cache()
        data = base64.b64encode(b"hello from MCP\n").decode()
        uploaded = self.tool_ok(
            "upload_attachment",
            {"model": "res.partner", "record_id": partner.id, "name": "hello.txt", "data": data},
            key=upload_key,
        )
        self.assertEqual((uploaded["name"], uploaded["size"]), ("hello.txt", 15))
        listed = self.tool_ok("list_record_attachments", {"model": "res.partner", "record_id": partner.id})
        self.assertEqual([a["id"] for a in listed["attachments"]], [uploaded["attachment_id"]])
        read = self.tool_ok("read_attachment", {"uri": uploaded["uri"]})
        self.assertEqual((read["kind"], read["text"]), ("text", "hello from MCP\n"))
        self.tool_refused(
            "read_attachment", {"uri": uploaded["uri"], "attachment_id": 1}, message="exactly one"
        )
        self.tool_refused(
            "upload_attachment",
            {"model": "res.partner", "record_id": partner.id, "name": "x", "data": "***"},
            message="base64",
        )
        # a PDF: the text Odoo extracted (attachment_indexation), else a note saying why there is none
        pdf = self.env["ir.attachment"].create(
            {"name": "offer.pdf", "raw": b"%PDF-1.4 fake", "res_model": "res.partner", "res_id": partner.id}
        )
        self.assertEqual(pdf.mimetype, "application/pdf")
        pdf.index_content = "application"  # what Odoo stores without attachment_indexation
        read = self.tool_ok("read_attachment", {"attachment_id": pdf.id})
        self.assertEqual((read["kind"], read["text"]), ("link", None))
        self.assertIn("attachment_indexation", read["note"])
        pdf.index_content = "Offer for MCP: 42 units"
        read = self.tool_ok("read_attachment", {"attachment_id": pdf.id})
        self.assertEqual((read["kind"], read["text"]), ("extracted_text", "Offer for MCP: 42 units"))
        # a file of a record whose model is not enabled is not there for MCP, as in Odoo's own reads
        foreign = self.env["ir.attachment"].create(
            {"name": "secret.txt", "raw": b"secret", "res_model": "res.users", "res_id": self.plain_user.id}
        )
        self.tool_refused("read_attachment", {"attachment_id": foreign.id}, message="not found")
        self.rpc_error(
            self.modern("resources/read", {"uri": f"odoo://attachment/{foreign.id}"}), 200, 400, "not found"
        )
        # the resources of the same files and records
        contents = self.result(self.modern("resources/read", {"uri": uploaded["uri"]}))["contents"]
        self.assertEqual(base64.b64decode(contents[0]["blob"]), b"hello from MCP\n")
        record = self.result(
            self.modern("resources/read", {"uri": f"odoo://res.partner/record/{partner.id}"})
        )
        self.assertEqual(json.loads(record["contents"][0]["text"])["name"], partner.name)
        self.assertEqual((record["ttlMs"], record["cacheScope"]), (0, "private"))
        count = self.result(self.legacy("resources/read", {"uri": "odoo://res.country/count"}))
        self.assertEqual(
            json.loads(count["contents"][0]["text"])["count"], self.env["res.country"].search_count([])
        )
        self.rpc_error(self.modern("resources/read", {"uri": "odoo://nothing/here/at/all"}), 400, -32602)
        self.rpc_error(
            self.modern("resources/read", {"uri": "odoo://res.users/count"}), 200, 403, "not enabled"
        )

    def test_a_float_json_cannot_carry_is_null(self):
        partner, other = self.partners[5], self.partners[6]
        self.env.cr.execute("UPDATE res_partner SET partner_latitude = 'NaN' WHERE id = %s", [partner.id])
        other.partner_latitude = 50.5
        self.env.invalidate_all()
        found = self.tool_ok(
            "search_records",
            {
                "model": "res.partner",
                "domain": [["id", "in", [partner.id, other.id]]],
                "fields": ["partner_latitude"],
                "order": "id",
            },
        )
        self.assertEqual([r["partner_latitude"] for r in found["records"]], [None, 50.5])

    def test_binary_fields_are_uris(self):
        partner = self.partners[1]
        partner.image_1920 = PNG
        record = self.tool_ok(
            "get_record", {"model": "res.partner", "record_id": partner.id, "fields": ["image_128"]}
        )
        uri = f"odoo://res.partner/record/{partner.id}/image_128"
        self.assertEqual(record["record"]["image_128"], uri)
        read = self.result(self.modern("tools/call", {"name": "read_attachment", "arguments": {"uri": uri}}))
        self.assertFalse(read["isError"], read)
        self.assertEqual(read["structuredContent"]["kind"], "image")
        self.assertEqual(read["content"][1]["type"], "image")
        self.assertEqual(read["content"][1]["mimeType"], "image/png")
        # a field that is not binary is not served as a file
        self.tool_refused(
            "read_attachment", {"uri": f"odoo://res.partner/record/{partner.id}/name"}, message="not a binary"
        )


@tagged("post_install", "-at_install")
class TestMcpConnect(McpCase):
    def test_connect_view_fills_in_this_server(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        names = ["url", "database", "claude_code", "vscode", "cursor", "n8n", "claude_desktop"]
        values = self.env["mcp.connect"].with_user(self.mcp_user).default_get(names)
        self.assertEqual(values["url"], f"{base}/mcp")
        self.assertEqual(values["database"], self.env.cr.dbname)
        self.assertIn(f"claude mcp add --transport http odoo {base}/mcp", values["claude_code"])
        vscode = json.loads(values["vscode"])["servers"]["odoo"]
        self.assertEqual((vscode["type"], vscode["url"]), ("http", f"{base}/mcp"))
        self.assertTrue(vscode["headers"]["Authorization"].startswith("Bearer "))
        self.assertEqual(json.loads(values["cursor"])["mcpServers"]["odoo"]["url"], f"{base}/mcp")
        desktop = json.loads(values["claude_desktop"])["mcpServers"]["odoo"]
        self.assertEqual((desktop["command"], desktop["env"]["ODOO_URL"]), ("uvx", base))
        self.assertIn(f"{base}/mcp", values["n8n"])
