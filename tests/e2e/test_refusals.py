"""What MCP refuses: a read-only model, a model that is not enabled, a key scoped to reading.

The client asks the addon's REST routes for the rights before it calls, so a refusal usually
comes back in the client's words (``Operation 'create' not allowed on model 'res.country'``); the
addon's own gate (``Access denied by MCP for model '<m>' method '<op>'.``) is checked directly on
``/mcp/xmlrpc/object`` as well, so neither side alone can hide a hole. Every refusal is also
checked in Odoo: nothing was created, changed or deleted.
"""

from __future__ import annotations

import re
import uuid
import xmlrpc.client

import pytest
from anyio.from_thread import BlockingPortal

from .conftest import LOGIN, McpClient, Stack, open_client


def refusal(model: str, operation: str, method: str | None = None) -> re.Pattern[str]:
    """The addon's refusal, or the client's rendering of the rights the addon reported."""
    method = method or operation
    return re.compile(
        rf"Access denied by MCP for model '{re.escape(model)}' method '{method}'"
        rf"|Operation '{operation}' not allowed on model '{re.escape(model)}'"
    )


def country(stack: Stack, code: str = "BE") -> dict:
    return stack.admin("res.country", "search_read", [("code", "=", code)], ["name"])[0]


def test_create_on_a_read_only_model_is_refused(mcp: McpClient, stack: Stack):
    text = mcp.refused("create_record", model="res.country", values={"name": "Atlantis", "code": "XA"})
    assert refusal("res.country", "create").search(text), text
    assert stack.admin("res.country", "search_count", [("code", "=", "XA")]) == 0


def test_update_on_a_read_only_model_is_refused(mcp: McpClient, stack: Stack):
    belgium = country(stack)
    text = mcp.refused(
        "update_record", model="res.country", record_id=belgium["id"], values={"name": "Renamed"}
    )
    assert refusal("res.country", "write").search(text), text
    assert country(stack)["name"] == belgium["name"]


def test_delete_on_a_read_only_model_is_refused(mcp: McpClient, stack: Stack):
    belgium = country(stack)
    text = mcp.refused("delete_record", model="res.country", record_id=belgium["id"])
    assert refusal("res.country", "unlink").search(text), text
    assert stack.admin("res.country", "search_count", [("id", "=", belgium["id"])]) == 1


def test_a_model_that_is_not_enabled_is_refused(mcp: McpClient):
    text = mcp.refused("search_records", model="res.currency", domain=[])
    assert "Model 'res.currency' is not enabled for MCP access" in text, text


def test_posting_on_a_model_without_write_is_refused(mcp: McpClient, stack: Stack):
    before = stack.admin("mail.message", "search_count", [("model", "=", "res.country")])
    text = mcp.refused("post_message", model="res.country", record_id=country(stack)["id"], body="nope")
    assert refusal("res.country", "write", "message_post").search(text), text
    assert stack.admin("mail.message", "search_count", [("model", "=", "res.country")]) == before


def test_the_module_refusal_reaches_the_tool_result(mcp: McpClient):
    """``get_current_context`` reads the caller's own user, which every MCP user may (res.users is
    not enabled); anything else on res.users is refused, and the gate's message shows through."""
    data = mcp.ok("get_current_context")
    assert (data["user_name"], data["login"]) == ("MCP E2E User", LOGIN)
    text = mcp.refused("search_records", model="res.users", domain=[], fields=["name"])
    assert "Model 'res.users' is not enabled for MCP access." in text, text


@pytest.mark.parametrize("kind", ["outsider_api_key", "outsider_password"])
def test_a_user_outside_mcp_user_is_turned_away(portal: BlockingPortal, stack: Stack, kind: str):
    """The module's 403 is fatal for the client, with the module's reason (no silent fallback)."""
    try:
        with open_client(portal, stack, kind) as client:
            text = client.refused("list_models")
    except RuntimeError as exc:  # the client gave up at startup and said why on stderr
        text = str(exc)
    assert "not a member of the MCP User group" in text, text


# -- a key scoped to res.partner:R ------------------------------------------------------------


def test_scoped_key_sees_only_its_narrower_rights(scoped_mcp: McpClient):
    models = {row["model"]: row for row in scoped_mcp.ok("list_models")["models"]}
    assert models["res.partner"]["operations"] == {
        "read": True,
        "write": False,
        "create": False,
        "unlink": False,
    }


def test_scoped_key_reads(scoped_mcp: McpClient, stack: Stack):
    name = f"E2E scoped read {uuid.uuid4().hex[:8]}"
    partner_id = stack.admin("res.partner", "create", {"name": name})
    data = scoped_mcp.ok("search_records", model="res.partner", domain=[["name", "=", name]], fields=["name"])
    assert [r["id"] for r in data["records"]] == [partner_id]


def test_scoped_key_cannot_write_create_or_delete(scoped_mcp: McpClient, stack: Stack):
    name = f"E2E scoped {uuid.uuid4().hex[:8]}"
    partner_id = stack.admin("res.partner", "create", {"name": name})

    text = scoped_mcp.refused(
        "update_record", model="res.partner", record_id=partner_id, values={"name": "x"}
    )
    assert refusal("res.partner", "write").search(text), text
    text = scoped_mcp.refused("create_record", model="res.partner", values={"name": f"{name} new"})
    assert refusal("res.partner", "create").search(text), text
    text = scoped_mcp.refused("delete_record", model="res.partner", record_id=partner_id)
    assert refusal("res.partner", "unlink").search(text), text

    assert stack.admin("res.partner", "read", [partner_id], fields=["name"])[0]["name"] == name
    assert stack.admin("res.partner", "search_count", [("name", "=", f"{name} new")]) == 0


# -- the addon's own gate, without the client's pre-check -------------------------------------


@pytest.mark.parametrize(
    ("key_attr", "model", "method", "args"),
    [
        ("odoo_key", "res.country", "create", [{"name": "Atlantis", "code": "XA"}]),
        ("mcp_key", "res.country", "write", [[1], {"name": "Renamed"}]),
        ("odoo_key", "res.currency", "search_read", [[]]),
        ("scoped_key", "res.partner", "write", [[1], {"name": "Renamed"}]),
        ("scoped_key", "res.partner", "create", [{"name": "Nope"}]),
    ],
)
def test_gate_refuses_with_the_module_message(
    stack: Stack, key_attr: str, model: str, method: str, args: list
):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        stack.mcp_object().execute_kw(stack.db, stack.uid, getattr(stack, key_attr), model, method, args, {})
    assert caught.value.faultCode == 403
    assert caught.value.faultString == f"Access denied by MCP for model '{model}' method '{method}'."
    assert stack.admin("res.country", "search_count", [("code", "=", "XA")]) == 0
