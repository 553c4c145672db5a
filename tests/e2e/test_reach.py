"""The reach rule end to end: the client's tools keep working where a call stays inside the enabled
models, and a call that reaches further is refused with the gate's message, through the client and
directly on ``/mcp/xmlrpc/object`` (any key holder can skip the client)."""

from __future__ import annotations

import uuid
import xmlrpc.client

import pytest

from .conftest import McpClient, Stack

DENIED = "Access denied by MCP for model '{}' operation '{}'"


def gate(stack: Stack, model: str, method: str, args: list, kwargs: dict | None = None):
    return stack.mcp_object().execute_kw(
        stack.db, stack.uid, stack.mcp_key, model, method, args, kwargs or {}
    )


def test_a_path_through_enabled_models_works(mcp: McpClient, stack: Stack):
    name = f"E2E reach {uuid.uuid4().hex[:8]}"
    belgium = stack.admin("res.country", "search", [("code", "=", "BE")])[0]
    partner_id = stack.admin("res.partner", "create", {"name": name, "country_id": belgium})
    data = mcp.ok(
        "search_records",
        model="res.partner",
        domain=[["name", "=", name], ["country_id.code", "=", "BE"]],
        fields=["name", "country_id"],
    )
    assert [r["id"] for r in data["records"]] == [partner_id]


def test_a_path_into_a_disabled_model_is_refused_through_the_client(mcp: McpClient):
    text = mcp.refused("search_records", model="res.partner", domain=[["user_ids.login", "=", "admin"]])
    assert DENIED.format("res.users", "read") in text or "res.users" in text, text


def test_messages_of_records_the_user_may_read_are_listed(mcp: McpClient, stack: Stack):
    name = f"E2E chatter {uuid.uuid4().hex[:8]}"
    partner_id = stack.admin("res.partner", "create", {"name": name})
    stack.admin("res.partner", "message_post", [partner_id], body=f"{name} note")
    data = mcp.ok("search_records", model="mail.message", domain=[["body", "ilike", name]], fields=["model"])
    assert [r["model"] for r in data["records"]] == ["res.partner"]


@pytest.mark.parametrize(
    ("args", "model", "operation"),
    [
        ([[("user_ids.login", "=", "admin")]], "res.users", "read"),
        ([[("user_ids", "any", [("login", "=", "admin")])]], "res.users", "read"),
    ],
)
def test_gate_refuses_domains_that_reach_a_disabled_model(stack: Stack, args, model, operation):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        gate(stack, "res.partner", "search", args)
    assert caught.value.faultCode == 403
    assert DENIED.format(model, operation) in caught.value.faultString


def test_gate_refuses_writes_that_change_another_model(stack: Stack):
    admin_login = stack.admin("res.users", "read", [2], ["login"])[0]["login"]
    with pytest.raises(xmlrpc.client.Fault) as caught:
        gate(stack, "res.partner", "write", [[stack.partner_id], {"user_ids": [[1, 2, {"login": "pwned"}]]}])
    assert DENIED.format("res.users", "write") in caught.value.faultString
    assert stack.admin("res.users", "read", [2], ["login"])[0]["login"] == admin_login
    assert gate(stack, "res.partner", "write", [[stack.partner_id], {"comment": "reach ok"}]) is True


def test_messages_of_disabled_models_stay_hidden(stack: Stack):
    marker = f"E2E hidden {uuid.uuid4().hex[:8]}"
    user_partner = stack.admin("res.users", "read", [2], ["partner_id"])[0]["partner_id"][0]
    stack.admin("res.partner", "message_post", [user_partner], body=marker)
    # a message on res.currency (not enabled) is invisible; the partner's one is listed
    currency = stack.admin("res.currency", "search", [], limit=1)[0]
    stack.admin(
        "mail.message",
        "create",
        {"model": "res.currency", "res_id": currency, "body": marker, "message_type": "comment"},
    )
    rows = gate(stack, "mail.message", "search_read", [[("body", "ilike", marker)]], {"fields": ["model"]})
    assert {r["model"] for r in rows} == {"res.partner"}
