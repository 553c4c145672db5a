"""Each tool of ``mcp-server-odoo`` against the addon, once per kind of credential.

Every effect is checked in Odoo itself, as admin over Odoo's own ``/xmlrpc/2/object``: a created
record exists and was created by the MCP user (not by a superuser), a write really changed the
values, a deleted record is gone, a posted message is in the record's chatter.
"""

from __future__ import annotations

import uuid

from .conftest import ENABLED_MODELS, McpClient, Stack

ALL_RIGHTS = {"read": True, "write": True, "create": True, "unlink": True}
READ_ONLY = {"read": True, "write": False, "create": False, "unlink": False}


def unique(label: str, mcp: McpClient) -> str:
    return f"E2E {label} {mcp.kind} {uuid.uuid4().hex[:8]}"


def admin_read(stack: Stack, model: str, record_id: int, fields: list[str]) -> dict:
    rows = stack.admin(model, "read", [record_id], fields=fields)
    assert len(rows) == 1, f"{model} #{record_id} not found by admin"
    return rows[0]


def test_list_models_shows_enabled_models_with_their_rights(mcp: McpClient, stack: Stack):
    data = mcp.ok("list_models")
    models = {row["model"]: row for row in data["models"]}
    assert set(models) == set(ENABLED_MODELS)
    assert models["res.partner"]["operations"] == ALL_RIGHTS
    assert models["res.country"]["operations"] == READ_ONLY
    names = {
        row["model"]: row["name"]
        for row in stack.admin(
            "ir.model", "search_read", [("model", "in", list(ENABLED_MODELS))], ["model", "name"]
        )
    }
    assert {m: row["name"] for m, row in models.items()} == names


def test_search_records_finds_exactly_the_matching_partner(mcp: McpClient, stack: Stack):
    name = unique("search", mcp)
    partner_id = stack.admin("res.partner", "create", {"name": name, "email": "search@e2e.example"})
    data = mcp.ok(
        "search_records", model="res.partner", domain=[["name", "=", name]], fields=["name", "email"]
    )
    assert data["total"] == 1
    assert [(r["id"], r["name"], r["email"]) for r in data["records"]] == [
        (partner_id, name, "search@e2e.example")
    ]


def test_search_records_on_a_read_only_model(mcp: McpClient, stack: Stack):
    data = mcp.ok(
        "search_records", model="res.country", domain=[["code", "=", "BE"]], fields=["name", "code"]
    )
    expected = stack.admin("res.country", "search_read", [("code", "=", "BE")], ["name"])
    assert [(r["id"], r["code"]) for r in data["records"]] == [(expected[0]["id"], "BE")]


def test_get_record_returns_the_stored_values(mcp: McpClient, stack: Stack):
    name = unique("get", mcp)
    partner_id = stack.admin(
        "res.partner", "create", {"name": name, "email": "get@e2e.example", "phone": "+32 2 555 01 01"}
    )
    data = mcp.ok("get_record", model="res.partner", record_id=partner_id, fields=["name", "email", "phone"])
    record = data["record"]
    assert (record["id"], record["name"], record["email"], record["phone"]) == (
        partner_id,
        name,
        "get@e2e.example",
        "+32 2 555 01 01",
    )


def test_create_record_creates_it_as_the_mcp_user(mcp: McpClient, stack: Stack):
    name = unique("create", mcp)
    data = mcp.ok("create_record", model="res.partner", values={"name": name, "email": "create@e2e.example"})
    assert data["success"] is True
    partner_id = data["record"]["id"]
    stored = admin_read(stack, "res.partner", partner_id, ["name", "email", "create_uid"])
    assert (stored["name"], stored["email"]) == (name, "create@e2e.example")
    # The call ran as the key's (or login's) user, not as a superuser
    assert stored["create_uid"][0] == stack.uid


def test_update_record_changes_the_values_in_odoo(mcp: McpClient, stack: Stack):
    partner_id = stack.admin(
        "res.partner", "create", {"name": unique("update", mcp), "email": "old@e2e.example"}
    )
    new_name = unique("updated", mcp)
    data = mcp.ok(
        "update_record",
        model="res.partner",
        record_id=partner_id,
        values={"name": new_name, "email": "new@e2e.example"},
    )
    assert data["success"] is True
    stored = admin_read(stack, "res.partner", partner_id, ["name", "email", "write_uid"])
    assert (stored["name"], stored["email"]) == (new_name, "new@e2e.example")
    assert stored["write_uid"][0] == stack.uid


def test_delete_record_removes_it_from_odoo(mcp: McpClient, stack: Stack):
    name = unique("delete", mcp)
    partner_id = stack.admin("res.partner", "create", {"name": name})
    data = mcp.ok("delete_record", model="res.partner", record_id=partner_id)
    assert (data["success"], data["deleted_id"]) == (True, partner_id)
    assert (
        stack.admin("res.partner", "search_count", [("id", "=", partner_id)], context={"active_test": False})
        == 0
    )


def test_aggregate_records_counts_per_group(mcp: McpClient, stack: Stack):
    tag = unique("aggregate", mcp)
    for index, is_company in enumerate([True, True, False]):
        stack.admin("res.partner", "create", {"name": f"{tag} {index}", "ref": tag, "is_company": is_company})
    data = mcp.ok(
        "aggregate_records",
        model="res.partner",
        groupby=["is_company"],
        aggregates=["__count"],
        domain=[["ref", "=", tag]],
    )
    counts = {group["is_company"]: group["__count"] for group in data["groups"]}
    assert counts == {True: 2, False: 1}


def test_post_message_lands_in_the_chatter(mcp: McpClient, stack: Stack):
    partner_id = stack.admin("res.partner", "create", {"name": unique("chatter", mcp)})
    body = f"Hello from the e2e test ({mcp.kind}) {uuid.uuid4().hex}"
    data = mcp.ok("post_message", model="res.partner", record_id=partner_id, body=body)
    message_id = data["message_id"]
    stored = admin_read(stack, "mail.message", message_id, ["model", "res_id", "author_id", "body"])
    assert (stored["model"], stored["res_id"]) == ("res.partner", partner_id)
    assert stored["author_id"][0] == stack.partner_id
    assert body in stored["body"]
    # mail.message is enabled read-only: the message reads back through MCP (scoped to its document)
    read_back = mcp.ok("get_record", model="mail.message", record_id=message_id, fields=["body", "res_id"])
    assert read_back["record"]["res_id"] == partner_id
    assert body in read_back["record"]["body"]


def test_create_records_creates_them_all_in_one_call(mcp: McpClient, stack: Stack):
    tag = unique("bulk", mcp)
    data = mcp.ok(
        "create_records",
        model="res.partner",
        records=[{"name": f"{tag} A", "ref": tag}, {"name": f"{tag} B", "ref": tag}],
    )
    assert data["created_count"] == 2
    created = {row["id"] for row in data["records"]}
    stored = stack.admin("res.partner", "search_read", [("ref", "=", tag)], ["name", "create_uid"])
    assert {row["id"] for row in stored} == created
    assert sorted(row["name"] for row in stored) == [f"{tag} A", f"{tag} B"]
    assert {row["create_uid"][0] for row in stored} == {stack.uid}


def test_update_records_with_values_per_record(mcp: McpClient, stack: Stack):
    """The per-record form goes through ``web_save_multi``, a write in the gate's map. Odoo 18 has
    no such method: there the client refuses the form itself and writes nothing."""
    first = stack.admin("res.partner", "create", {"name": unique("each A", mcp)})
    second = stack.admin("res.partner", "create", {"name": unique("each B", mcp)})
    updates = [
        {"id": first, "values": {"email": "first@e2e.example"}},
        {"id": second, "values": {"email": "second@e2e.example"}},
    ]
    if stack.odoo.serie == "18.0":
        assert "need Odoo 19" in mcp.refused("update_records", model="res.partner", updates=updates)
        stored = stack.admin("res.partner", "read", [first, second], fields=["email"])
        assert [row["email"] for row in stored] == [False, False]
        return
    data = mcp.ok("update_records", model="res.partner", updates=updates)
    assert data["updated_count"] == 2
    stored = stack.admin("res.partner", "read", [first, second], fields=["email"])
    assert {row["id"]: row["email"] for row in stored} == {
        first: "first@e2e.example",
        second: "second@e2e.example",
    }
