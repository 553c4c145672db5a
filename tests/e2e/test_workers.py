"""Prefork Odoo (``--workers 2``): a change saved in one process is in force in every worker at its
next request, through Odoo's cache signalling.

The change is made through another Odoo process (the threaded server of the fixture, or an
``odoo-bin shell`` that signals explicitly), so that no worker of the prefork server saw it happen:
each one can only learn of it from the signalling.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.harness.odoo_env import OdooServer, odoo_shell

from .conftest import Stack

#: Requests per phase: enough for both workers to serve several of them, as a rule.
ROUNDS = 24
#: Requests in flight at once, so that a busy worker leaves the next one to the other.
IN_FLIGHT = 4
#: Bound on the requests of one phase while waiting for the second worker to serve one.
MAX_REQUESTS = 400


@pytest.fixture(scope="module")
def prefork(stack: Stack) -> Iterator[OdooServer]:
    server = OdooServer(
        stack.odoo, stack.pg, stack.db, stack.data_dir, workers=2, log=stack.workdir / "odoo-prefork.log"
    ).start()
    try:
        yield server
    finally:
        server.stop()


def get(server: OdooServer, stack: Stack, path: str, key: str) -> int:
    request = urllib.request.Request(
        server.url + path, headers={"X-Odoo-Database": stack.db, "X-API-Key": key}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def serving_pids(server: OdooServer, path: str, since: int) -> set[str]:
    """PIDs of the workers that logged a request for ``path`` after byte ``since`` of the log."""
    assert server.log is not None
    text = server.log.read_text(errors="replace")[since:]
    return set(
        re.findall(rf"^\S+ \S+ (\d+) INFO \S+ werkzeug: .*\"GET {re.escape(path)} ", text, re.MULTILINE)
    )


def log_size(server: OdooServer) -> int:
    assert server.log is not None
    return len(server.log.read_text(errors="replace"))


def statuses(server: OdooServer, stack: Stack, path: str, key: str) -> tuple[list[int], set[str]]:
    """Send ``ROUNDS`` requests, then more until both workers have served at least one (which
    worker accepts a connection is the kernel's choice), at most ``MAX_REQUESTS`` in all."""
    start = log_size(server)

    def batch(count: int) -> list[int]:
        # a few in flight at once: one at a time, the worker that just answered tends to take the next
        return list(pool.map(lambda _: get(server, stack, path, key), range(count)))

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        codes = batch(ROUNDS)
        pids = serving_pids(server, path, start)
        while len(pids) < 2 and len(codes) < MAX_REQUESTS:
            codes += batch(IN_FLIGHT)
            pids = serving_pids(server, path, start)
    return codes, pids


def test_enabled_model_change_reaches_every_worker(prefork: OdooServer, stack: Stack):
    path = "/mcp/models/res.country/access"
    codes, pids = statuses(prefork, stack, path, stack.mcp_key)
    assert set(codes) == {200}
    assert len(pids) == 2, f"both workers must have served (and cached) the model first: {pids}"
    [row] = stack.admin("mcp.enabled.model", "search", [("model_name", "=", "res.country")])
    stack.admin("mcp.enabled.model", "write", [row], {"active": False})
    try:
        codes, pids = statuses(prefork, stack, path, stack.mcp_key)
        assert set(codes) == {403}, codes
        assert len(pids) == 2, pids
    finally:
        stack.admin("mcp.enabled.model", "write", [row], {"active": True})
    codes, _pids = statuses(prefork, stack, path, stack.mcp_key)
    assert set(codes) == {200}


def test_revoked_mcp_key_stops_in_every_worker(prefork: OdooServer, stack: Stack):
    path = "/mcp/auth/validate"
    codes, pids = statuses(prefork, stack, path, stack.spare_mcp_key)
    assert set(codes) == {200}
    assert len(pids) == 2, pids
    [key] = stack.admin("mcp.api.key", "search", [("name", "=", "e2e spare")])
    stack.admin("mcp.api.key", "write", [key], {"active": False})
    codes, pids = statuses(prefork, stack, path, stack.spare_mcp_key)
    assert set(codes) == {401}, codes
    assert len(pids) == 2, pids


def test_removed_odoo_key_stops_in_every_worker(prefork: OdooServer, stack: Stack):
    """Odoo's own XML-RPC keeps accepting a removed key in a worker that cached it; MCP does not."""
    path = "/mcp/auth/validate"
    codes, pids = statuses(prefork, stack, path, stack.spare_odoo_key)
    assert set(codes) == {200}
    assert len(pids) == 2, pids
    odoo_shell(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        "env['res.users.apikeys'].search([('name', '=', 'e2e spare')]).unlink()\n"
        "env.cr.commit()\n"
        "env.registry.signal_changes()\n",
    )
    codes, pids = statuses(prefork, stack, path, stack.spare_odoo_key)
    assert set(codes) == {401}, codes
    assert len(pids) == 2, pids
