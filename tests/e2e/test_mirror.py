"""Odoo's external APIs under ``/mcp``, driven by real clients that only got a new base URL:
``mcp-server-odoo`` in its YOLO modes (standard Odoo XML-RPC, and JSON-2) and ``odoorpc``
(JSON-RPC). Each goes through the gate: an enabled model works, a model that is not enabled is
refused with the gate's message, and the call leaves an audit row."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import odoorpc
import pytest
from anyio.from_thread import BlockingPortal

from .conftest import LOGIN, McpClient, Stack, open_client

DENIED = "Access denied by MCP for model '{}' method '{}'."
#: A model that exists and that the setup script does not enable.
NOT_ENABLED = "res.bank"


def audit_rows(stack: Stack, endpoint: str, **values: object) -> list[dict]:
    domain = [("endpoint", "=like", endpoint), *((k, "=", v) for k, v in values.items())]
    return stack.admin("mcp.log", "search_read", domain, ["event_type", "model_name", "user_id"])


# -- mcp-server-odoo in YOLO mode -------------------------------------------------------------


@pytest.fixture(scope="module", params=["yolo_xmlrpc", "yolo_json2"])
def yolo(request: pytest.FixtureRequest, portal: BlockingPortal, stack: Stack) -> Iterator[McpClient]:
    if request.param == "yolo_json2" and stack.odoo.serie == "18.0":
        # our /mcp/web/version answers 18.0, and mcp-server-odoo takes JSON-2 for 19.0 and later
        # only; JSON-2 on 18.0 itself is tested below with a plain HTTP client
        pytest.skip("mcp-server-odoo uses JSON-2 only with Odoo 19.0 and later")
    with open_client(portal, stack, request.param) as client:
        yield client


def test_yolo_tools_go_through_the_gate(yolo: McpClient, stack: Stack):
    name = f"E2E yolo {yolo.kind} {uuid.uuid4().hex[:8]}"
    created = yolo.ok("create_record", model="res.partner", values={"name": name, "email": "y@e2e.example"})
    record_id = created["record"]["id"]
    rows = stack.admin("res.partner", "read", [record_id], fields=["name", "create_uid"])
    assert rows[0]["name"] == name
    assert rows[0]["create_uid"][0] == stack.uid  # ran as the MCP user, not as a superuser
    found = yolo.ok("search_records", model="res.partner", domain=[["name", "=", name]], fields=["name"])
    assert [r["id"] for r in found["records"]] == [record_id]
    endpoint = "/mcp/xmlrpc/2/object" if yolo.kind == "yolo_xmlrpc" else "/mcp/json/2/res.partner/create"
    assert audit_rows(stack, endpoint, event_type="write_operation", user_id=stack.uid)


def test_yolo_refusal_is_the_gates_message(yolo: McpClient, stack: Stack):
    text = yolo.refused("search_records", model=NOT_ENABLED, domain=[], fields=["name"])
    assert re.search(rf"Access denied by MCP for model '{NOT_ENABLED}' method '\w+'\.", text), text
    endpoint = "/mcp/xmlrpc/2/object" if yolo.kind == "yolo_xmlrpc" else f"/mcp/json/2/{NOT_ENABLED}/%"
    assert audit_rows(stack, endpoint, event_type="permission_denied", model_name=NOT_ENABLED)
    # and its legitimate neighbour, a read-only enabled model
    countries = yolo.ok("search_records", model="res.country", domain=[["code", "=", "BE"]], fields=["code"])
    assert [r["code"] for r in countries["records"]] == ["BE"]


# -- odoorpc over JSON-RPC --------------------------------------------------------------------


class _BaseUrl(urllib.request.BaseHandler):
    """odoorpc builds ``http://host:port/<path>``: this opener (its ``opener`` option) moves each
    request under the base URL's path and names the database, as a proxy in front would."""

    handler_order = 100

    def __init__(self, prefix: str, db: str):
        self.prefix = prefix
        self.db = db

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        parts = urlsplit(req.full_url)
        req.full_url = f"{parts.scheme}://{parts.netloc}{self.prefix}{parts.path}"
        req.add_header("X-Odoo-Database", self.db)
        return req


def odoorpc_client(stack: Stack, secret: str) -> odoorpc.ODOO:
    address = urlsplit(stack.url)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _BaseUrl("/mcp", stack.db))
    client = odoorpc.ODOO(address.hostname, port=address.port, opener=opener)
    client.login(stack.db, LOGIN, secret)
    return client


@pytest.mark.parametrize("credential", ["odoo_key", "mcp_key"])
def test_odoorpc_reads_and_writes(stack: Stack, credential: str):
    client = odoorpc_client(stack, getattr(stack, credential))
    assert client.env.uid == stack.uid
    assert client.version.startswith(stack.odoo.serie)  # from /mcp/web/webclient/version_info
    partners = client.env["res.partner"]
    name = f"E2E odoorpc {credential} {uuid.uuid4().hex[:8]}"
    record_id = partners.create({"name": name})
    partners.write([record_id], {"email": "o@e2e.example"})
    assert partners.search([("name", "=", name)]) == [record_id]
    assert partners.read([record_id], ["name", "email"]) == [
        {"id": record_id, "name": name, "email": "o@e2e.example"}
    ]
    rows = stack.admin("res.partner", "read", [record_id], fields=["write_uid"])
    assert rows[0]["write_uid"][0] == stack.uid
    assert audit_rows(stack, "/mcp/jsonrpc", event_type="write_operation", user_id=stack.uid)


def test_odoorpc_refused_call(stack: Stack):
    client = odoorpc_client(stack, stack.odoo_key)
    with pytest.raises(odoorpc.error.RPCError) as refused:
        client.execute(NOT_ENABLED, "search", [])
    assert str(refused.value) == DENIED.format(NOT_ENABLED, "search")
    assert refused.value.info["data"]["debug"] == ""
    assert audit_rows(stack, "/mcp/jsonrpc", event_type="permission_denied", model_name=NOT_ENABLED)
    with pytest.raises(odoorpc.error.RPCError):
        odoorpc_client(stack, "not the password")
    assert client.execute("res.country", "search_count", [("code", "=", "BE")]) == 1


# -- JSON-2 with a plain HTTP client (both series) ----------------------------------------------


def json2(stack: Stack, path: str, body: dict, key: str) -> tuple[int, object]:
    request = urllib.request.Request(
        f"{stack.url}{path}",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"bearer {key}",
            "X-Odoo-Database": stack.db,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, data = exc.code, exc.read()
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data[:200]  # not a JSON answer (a page)


def test_json2_on_every_series(stack: Stack):
    status, rows = json2(
        stack, "/mcp//json/2/res.partner/read", {"ids": [stack.partner_id], "fields": ["name"]}, stack.mcp_key
    )
    assert status == 200, rows
    assert [r["id"] for r in rows] == [stack.partner_id]
    status, body = json2(stack, f"/mcp/json/2/{NOT_ENABLED}/search", {"domain": []}, stack.mcp_key)
    assert (status, body["message"], body["debug"]) == (403, DENIED.format(NOT_ENABLED, "search"), "")
    # an MCP key on Odoo's own JSON-2 (19.0) is no Odoo key: refused; 18.0 has no such route
    status, body = json2(stack, "/json/2/res.partner/search_count", {"domain": []}, stack.mcp_key)
    if stack.odoo.serie == "18.0":
        assert isinstance(body, bytes), body  # Odoo's page for an unknown path, no data
    else:
        assert status == 401, body
