"""Rate limits exact across workers and hosts: two prefork servers (``--workers 2`` each) on one
database, then one server with ``--workers 4``; a client spread over them, several requests in
flight at once. Over the run's duration ``t``, a caller's accepted requests stay within
``burst + rate x t`` (as if the deployment were one worker), and refusals do start. A per-worker
limit would accept up to a burst per worker, which these runs would exceed.

The limits are low (20 per minute per user, 10 for an MCP key of its own), so a run takes seconds.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest

from tests.harness.odoo_env import OdooServer, odoo_shell

from .conftest import Stack

USER_LIMIT = 20
KEY_LIMIT = 10
IN_FLIGHT = 6

SETUP = """
import json
from odoo.addons.mcp_server import compat
ICP = env['ir.config_parameter'].sudo()
out = {{}}
for name in {names!r}:
    groups = [env.ref('base.group_user').id, env.ref('mcp_server.group_mcp_user').id]
    user = env['res.users'].with_context(no_reset_password=True).create(dict(
        name=name, login=name, password='rl-Secret-Passw0rd!', **{{compat.USER_GROUPS: [(6, 0, groups)]}},
    ))
    odoo_key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'rl', None)
    narrow = env['mcp.api.key'].with_user(user)._generate('rl narrow', user)
    roomy = env['mcp.api.key'].with_user(user)._generate('rl roomy', user)
    out[name] = dict(uid=user.id, odoo_key=odoo_key, narrow=narrow, roomy=roomy)
ICP.set_param('mcp_server.request_limit', '{user_limit}')
env['mcp.api.key'].search([('name', '=', 'rl narrow')]).write(dict(rate_limit={key_limit}))
print('RL_SETUP ' + json.dumps(out))
"""


@pytest.fixture(scope="module")
def callers(stack: Stack) -> Iterator[dict[str, dict]]:
    names = ["mcp_rl_hosts_u", "mcp_rl_hosts_k", "mcp_rl_workers_u", "mcp_rl_workers_k"]
    out = odoo_shell(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        SETUP.format(names=names, user_limit=USER_LIMIT, key_limit=KEY_LIMIT)
        + "env.cr.commit()\nenv.registry.signal_changes()\n",
    )
    found = re.search(r"^RL_SETUP (.*)$", out, re.MULTILINE)
    assert found, out[-3000:]
    try:
        yield json.loads(found.group(1))
    finally:
        # the rest of the level runs with its own, roomy limit
        stack.admin("ir.config_parameter", "set_param", "mcp_server.request_limit", "100000")


@contextmanager
def servers(stack: Stack, *workers: int) -> Iterator[list[OdooServer]]:
    with ExitStack() as stop:
        started = []
        for i, n in enumerate(workers):
            server = OdooServer(
                stack.odoo,
                stack.pg,
                stack.db,
                stack.data_dir,
                workers=n,
                log=stack.workdir / f"odoo-rl-{len(workers)}-{i}.log",
            )
            stop.callback(server.stop)
            started.append(server.start())
        yield started


def rest_status(server: OdooServer, stack: Stack, key: str) -> int:
    request = urllib.request.Request(
        server.url + "/mcp/auth/validate", headers={"X-Odoo-Database": stack.db, "X-API-Key": key}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def xmlrpc_status(server: OdooServer, stack: Stack, uid: int, key: str) -> int:
    """200 for a result, else the fault code (429 over the limit)."""
    body = xmlrpc.client.dumps(
        (stack.db, uid, key, "res.partner", "search_count", [[]], {}), "execute_kw"
    ).encode()
    request = urllib.request.Request(
        server.url + "/mcp/xmlrpc/object",
        data=body,
        headers={"Content-Type": "text/xml", "X-Odoo-Database": stack.db},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    try:
        xmlrpc.client.loads(payload)
    except xmlrpc.client.Fault as fault:
        return fault.faultCode
    return 200


def spread(targets: list[OdooServer], count: int, call: Callable[[OdooServer], int]):
    """``count`` calls, round robin over ``targets``, ``IN_FLIGHT`` at a time: per server, the
    statuses it answered, and the seconds from the first call sent to the last answer."""
    started = time.monotonic()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        futures = [(i % len(targets), pool.submit(call, targets[i % len(targets)])) for i in range(count)]
        answered: list[list[int]] = [[] for _ in targets]
        for index, future in futures:
            answered[index].append(future.result())
    return answered, time.monotonic() - started


def assert_exact(answered: list[list[int]], elapsed: float, limit: int, refused_status: int):
    statuses = [s for per_server in answered for s in per_server]
    accepted = statuses.count(200)
    assert set(statuses) <= {200, refused_status}, statuses
    bound = limit + limit * elapsed / 60
    assert accepted <= bound, f"{accepted} accepted in {elapsed:.1f}s, more than {bound:.1f}"
    assert accepted >= limit, f"the burst ({limit}) must pass: {accepted}"
    assert statuses.count(refused_status) > 0, "refusals must start"
    assert all(200 in per_server for per_server in answered), "every server must have accepted some"


def check_user_and_key(targets: list[OdooServer], stack: Stack, user: dict, holder: dict):
    # a user's limit, over REST with the user's Odoo key
    answered, elapsed = spread(targets, 3 * USER_LIMIT, lambda s: rest_status(s, stack, user["odoo_key"]))
    assert_exact(answered, elapsed, USER_LIMIT, 429)
    # an MCP key's own limit, over XML-RPC
    answered, elapsed = spread(
        targets, 3 * KEY_LIMIT, lambda s: xmlrpc_status(s, stack, holder["uid"], holder["narrow"])
    )
    assert_exact(answered, elapsed, KEY_LIMIT, 429)
    # the key's limit, not its user's: the user's other key still passes
    assert xmlrpc_status(targets[0], stack, holder["uid"], holder["roomy"]) == 200


def test_two_servers_two_workers_each(stack: Stack, callers: dict[str, dict]):
    with servers(stack, 2, 2) as targets:
        check_user_and_key(targets, stack, callers["mcp_rl_hosts_u"], callers["mcp_rl_hosts_k"])


def test_one_server_four_workers(stack: Stack, callers: dict[str, dict]):
    with servers(stack, 4) as targets:
        check_user_and_key(targets, stack, callers["mcp_rl_workers_u"], callers["mcp_rl_workers_k"])
        # several requests in flight: the kernel handed them to several workers
        assert targets[0].log is not None
        log = targets[0].log.read_text(errors="replace")
        pids = set(re.findall(r"^\S+ \S+ (\d+) INFO \S+ werkzeug: .*\"(?:GET|POST) /mcp/", log, re.MULTILINE))
        assert len(pids) >= 2, pids
