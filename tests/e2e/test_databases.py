"""Several databases on one server: each request reaches the database its ``X-Odoo-Database``
names, and each database has its own rights, keys and native state (CONTRACT §1); a database the
db filter excludes is never reached through the header.

The two-database server loads no registry before its first request and lists ``mcp_server`` in
``server_wide_modules``, as the README asks of such servers: on 18.0 the addon is what makes Odoo
read the header, so it must be imported before any request."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.harness.odoo_env import OdooServer, odoo_shell

from .conftest import Stack, _HeaderTransport, install_addon

SECOND_DB_SCRIPT = """
import json
from odoo.addons.mcp_server import compat
env['ir.config_parameter'].sudo().set_param('mcp_server.enabled', 'True')
env['mcp.enabled.model'].create({'model_id': env['ir.model']._get('res.country').id})
user = env['res.users'].with_context(no_reset_password=True).create(dict(
    name='Second DB User', login='second_db_user', password='second-DB-passw0rd',
))
user[compat.USER_GROUPS] = [(6, 0, [env.ref('base.group_user').id, env.ref('mcp_server.group_mcp_user').id])]
print('SECOND_DB ' + json.dumps(dict(
    uid=user.id,
    odoo_key=env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'second', None),
    mcp_key=env['mcp.api.key'].with_user(user)._generate('second', user),
)))
"""


@dataclass(frozen=True)
class Second:
    db: str
    uid: int
    odoo_key: str
    mcp_key: str
    server: OdooServer


@pytest.fixture(scope="module")
def second(stack: Stack) -> Iterator[Second]:
    db = f"{stack.db}_second"
    install_addon(stack, db, "install-second.log")
    out = odoo_shell(stack.odoo, stack.pg, db, stack.data_dir, SECOND_DB_SCRIPT)
    found = re.search(r"^SECOND_DB (.*)$", out, re.MULTILINE)
    assert found, out[-3000:]
    creds = json.loads(found.group(1))
    server = OdooServer(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        workers=0,
        db_filter=f"^({stack.db}|{db})$",
        log=stack.workdir / "odoo-two-dbs.log",
        preload=False,
        extra=(f"--load={stack.odoo.server_wide_modules},mcp_server",),
    ).start()
    try:
        yield Second(db, creds["uid"], creds["odoo_key"], creds["mcp_key"], server)
    finally:
        server.stop()
        stack.pg.drop_db(db)


def rest(url: str, db: str, path: str, key: str) -> tuple[int, dict]:
    """``GET url + path`` with the database header and a key: the status and the JSON body (or, for
    a page that is not JSON, such as Odoo's "not found", its start under ``"page"``)."""
    request = urllib.request.Request(url + path, headers={"X-Odoo-Database": db, "X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"page": raw[:300].decode(errors="replace")}


def models(server: OdooServer, db: str, key: str) -> list[str]:
    status, body = rest(server.url, db, "/mcp/models", key)
    assert status == 200, body
    return [m["model"] for m in body["data"]["models"]]


def test_each_database_has_its_own_enabled_models(stack: Stack, second: Second):
    assert models(second.server, stack.db, stack.odoo_key) == ["mail.message", "res.country", "res.partner"]
    assert models(second.server, second.db, second.odoo_key) == ["res.country"]
    assert models(second.server, second.db, second.mcp_key) == ["res.country"]
    # and again the first one: nothing of the second leaked into it
    assert models(second.server, stack.db, stack.mcp_key) == ["mail.message", "res.country", "res.partner"]


def test_keys_belong_to_their_database(stack: Stack, second: Second):
    for key in (stack.odoo_key, stack.mcp_key):
        status, body = rest(second.server.url, second.db, "/mcp/auth/validate", key)
        assert status == 401, body
    for key in (second.odoo_key, second.mcp_key):
        status, body = rest(second.server.url, stack.db, "/mcp/auth/validate", key)
        assert status == 401, body
        status, body = rest(second.server.url, second.db, "/mcp/auth/validate", key)
        assert (status, body["data"]["user_id"]) == (200, second.uid)


def test_xmlrpc_object_on_the_second_database(stack: Stack, second: Second):
    proxy = xmlrpc.client.ServerProxy(
        f"{second.server.url}/mcp/xmlrpc/object", transport=_HeaderTransport({"X-Odoo-Database": second.db})
    )
    count = proxy.execute_kw(second.db, second.uid, second.mcp_key, "res.country", "search_count", [[]])
    assert count > 0
    with pytest.raises(xmlrpc.client.Fault) as denied:
        proxy.execute_kw(second.db, second.uid, second.mcp_key, "res.partner", "search_count", [[]])
    assert denied.value.faultCode == 403
    with pytest.raises(xmlrpc.client.Fault) as mismatch:  # the body names another database
        proxy.execute_kw(stack.db, second.uid, second.mcp_key, "res.country", "search_count", [[]])
    assert mismatch.value.faultCode == 400


def test_a_database_the_filter_excludes_is_not_reached(stack: Stack, second: Second):
    # the first server's filter admits its own database only: the header cannot take a request
    # to the second one, though it exists on the same PostgreSQL
    status, body = rest(stack.url, second.db, "/mcp/models", second.odoo_key)
    assert status == 404, body
    # the same request where the filter admits the second database is served from it
    assert models(second.server, second.db, second.odoo_key) == ["res.country"]
    # on the two-database server, a database outside its filter is no database: the MCP routes
    # (reachable there without one, the addon being server-wide) answer as a missing route
    for path in ("/mcp/models", "/mcp/health"):
        status, body = rest(second.server.url, "postgres", path, second.odoo_key)
        assert status == 404, (path, body)
    proxy = xmlrpc.client.ServerProxy(
        f"{second.server.url}/mcp/xmlrpc/object", transport=_HeaderTransport({"X-Odoo-Database": "postgres"})
    )
    with pytest.raises(xmlrpc.client.ProtocolError) as missing:
        proxy.execute_kw("postgres", second.uid, second.mcp_key, "res.country", "search_count", [[]])
    assert missing.value.errcode == 404
