"""``/mcp`` and the database: how Odoo finds it, and what a request that names none (or one the
server does not serve) gets back.

Odoo resolves the database before it matches a route: from the session, from ``X-Odoo-Database``
(kept only when the db filter lets it through) or, when the filter leaves exactly one database, that
one. A request left without a database is matched against the routes of the server-wide modules
only (``--load``): unless ``mcp_server`` is one of them, ``/mcp`` is not found there and Odoo answers
its HTML 404 page, which MCP clients cannot read. With ``mcp_server`` loaded server-wide, ``/mcp``
answers a JSON-RPC error that says what is missing.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.harness.odoo_env import OdooServer

from .conftest import Stack

PING = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()


def post(server: OdooServer, key: str, db: str | None, path: str = "/mcp") -> tuple[int, str, bytes]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    if db is not None:
        headers["X-Odoo-Database"] = db
    request = urllib.request.Request(server.url + path, data=PING, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def get(server: OdooServer, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def server_wide(stack: Stack) -> str:
    """Odoo's default server-wide modules (``rpc`` is one since 19.0) and ``mcp_server``."""
    defaults = "base,web" if stack.odoo.serie.startswith("18") else "base,rpc,web"
    return f"--load={defaults},mcp_server"


@pytest.fixture(scope="module")
def other_db(stack: Stack) -> Iterator[str]:
    """A second (empty) database, so that the db filter leaves two and none is implied."""
    name = f"{stack.db}_other"
    stack.pg.drop_db(name)
    stack.pg.psql(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        stack.pg.drop_db(name)


def start(stack: Stack, other_db: str, label: str, *extra: str) -> OdooServer:
    return OdooServer(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        workers=0,
        db_filter=f"^({stack.db}|{other_db})$",
        log=stack.workdir / f"odoo-mcp-{label}.log",
        extra=extra,
    ).start()


@pytest.fixture(scope="module")
def loaded(stack: Stack, other_db: str) -> Iterator[OdooServer]:
    server = start(stack, other_db, "server-wide", server_wide(stack))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def plain(stack: Stack, other_db: str) -> Iterator[OdooServer]:
    server = start(stack, other_db, "plain")
    try:
        yield server
    finally:
        server.stop()


def test_server_wide_mcp_answers_json_without_a_database(stack: Stack, loaded: OdooServer):
    status, content_type, body = post(loaded, stack.odoo_key, None)
    assert (status, content_type.split(";")[0]) == (400, "application/json"), body
    error = json.loads(body)["error"]
    assert "X-Odoo-Database" in error["message"]
    status, content_type, body = post(loaded, stack.odoo_key, "no_such_database")
    assert (status, content_type.split(";")[0]) == (400, "application/json"), body
    assert "'no_such_database'" in json.loads(body)["error"]["message"]
    # the OAuth documents too: a JSON 404, never Odoo's HTML page
    status, content_type, body = get(loaded, "/.well-known/oauth-protected-resource/mcp")
    assert (status, content_type.split(";")[0]) == (404, "application/json"), body
    # the legitimate neighbour: the header naming a served database
    status, _content_type, body = post(loaded, stack.odoo_key, stack.db)
    assert (status, json.loads(body)) == (200, {"jsonrpc": "2.0", "id": 1, "result": {}})


def test_without_server_wide_loading_odoo_answers_html(stack: Stack, plain: OdooServer):
    """Why the README asks for ``--load``: without it Odoo's own HTML 404 is all a client gets."""
    status, content_type, _body = post(plain, stack.odoo_key, None)
    assert (status, content_type.split(";")[0]) == (404, "text/html")
    status, _content_type, body = post(plain, stack.odoo_key, stack.db)
    assert (status, json.loads(body)["result"]) == (200, {})


def test_single_database_needs_no_header(stack: Stack):
    """The level's own server filters to one database: no header is needed at all."""
    request = urllib.request.Request(
        stack.url + "/mcp",
        data=PING,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {stack.odoo_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["result"] == {}
