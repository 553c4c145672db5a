"""``/mcp`` against a real Odoo with ``mail``: the tools that need a chatter, and the audit rows.

Plain JSON-RPC over HTTP, as the transport defines it (the MCP SDK clients are exercised elsewhere):
these tests check what Odoo ends up holding after each call.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .conftest import Stack

MODERN = "2026-07-28"


def call(stack: Stack, key: str, method: str, params: dict[str, Any] | None = None) -> tuple[int, dict]:
    params = dict(params or {})
    params["_meta"] = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {key}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
    }
    if method == "tools/call":
        headers["Mcp-Name"] = params["name"]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(stack.url + "/mcp", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def tool(stack: Stack, key: str, name: str, **arguments: Any) -> dict:
    status, body = call(stack, key, "tools/call", {"name": name, "arguments": arguments})
    assert status == 200, body
    return body["result"]


def test_post_message_lands_in_the_chatter(stack: Stack):
    result = tool(
        stack,
        stack.odoo_key,
        "post_message",
        model="res.partner",
        record_id=stack.partner_id,
        body="<b>Hi</b>",
    )
    assert result["isError"] is False, result
    message_id = result["structuredContent"]["message_id"]
    [message] = stack.admin(
        "mail.message", "read", [message_id], ["body", "model", "res_id", "author_id", "subtype_id"]
    )
    assert (message["model"], message["res_id"]) == ("res.partner", stack.partner_id)
    assert "&lt;b&gt;Hi&lt;/b&gt;" in message["body"]  # plain text: the markup is escaped
    assert message["subtype_id"][1] == "Note"
    # read back through MCP: mail.message is enabled read-only, the partner is readable
    found = tool(
        stack, stack.odoo_key, "search_records", model="mail.message", domain=[["id", "=", message_id]]
    )
    assert found["structuredContent"]["total"] == 1
    html = tool(
        stack,
        stack.odoo_key,
        "post_message",
        model="res.partner",
        record_id=stack.partner_id,
        body="<b>Hi</b>",
        body_is_html=True,
        subtype="comment",
    )
    [message] = stack.admin("mail.message", "read", [html["structuredContent"]["message_id"]], ["body"])
    assert "<b>Hi</b>" in message["body"]


def test_post_message_refusals(stack: Stack):
    # res.country is readable only: writing in its chatter is refused by the gate, with its message
    result = tool(stack, stack.odoo_key, "post_message", model="res.country", record_id=1, body="no")
    assert result["isError"] is True
    assert "Access denied by MCP" in result["content"][0]["text"]
    # a read-only key does not even see the tool
    status, body = call(stack, stack.scoped_key, "tools/list")
    assert status == 200, body
    names = [t["name"] for t in body["result"]["tools"]]
    assert "post_message" not in names and "search_records" in names
    status, body = call(
        stack,
        stack.scoped_key,
        "tools/call",
        {
            "name": "post_message",
            "arguments": {"model": "res.partner", "record_id": stack.partner_id, "body": "x"},
        },
    )
    assert (status, body["error"]["code"]) == (400, -32602)


def test_audit_rows_name_the_tool(stack: Stack):
    result = tool(
        stack, stack.mcp_key, "get_record", model="res.partner", record_id=stack.partner_id, fields=["name"]
    )
    assert result["isError"] is False, result
    rows = stack.admin(
        "mcp.log",
        "search_read",
        [["endpoint", "=", "/mcp"], ["operation", "=", "get_record"], ["model_name", "=", "res.partner"]],
        ["event_type", "user_id", "api_key_used", "request_data"],
    )
    assert rows, "no audit row for the tool call"
    assert rows[-1]["event_type"] == "resource_retrieval"
    assert rows[-1]["user_id"][0] == stack.uid
    assert stack.mcp_key not in json.dumps(rows)  # never a secret in the log
