"""L3: a real Odoo (18.0 or 19.0) with ``mcp_server``, driven by the real ``mcp-server-odoo`` client
over MCP stdio.

One Odoo (one PostgreSQL cluster, one database, one server with ``workers=0``) serves the whole
level. One ``mcp-server-odoo`` subprocess runs per kind of credential and is shared by every test
that uses that kind: the session lives in a background event loop (an anyio blocking portal), and
every await on it is bounded by ``anyio.fail_after`` so a hung client fails the test instead of CI.

What Odoo holds after the setup script (all through the ORM, as an admin would do it):

* ``mcp_server.enabled`` on, the rate limit raised so the level never trips it;
* ``res.partner`` enabled with read, write, create and unlink; ``res.country`` read only;
  ``mail.message`` read only (to read back a posted message through MCP); nothing else;
* an internal user in MCP User and Contact Creation, with a password, an email address, an Odoo API
  key, an MCP key and an MCP key scoped to ``res.partner:R``;
* an internal user outside MCP User, with the same password and an Odoo API key.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
import tempfile
import xmlrpc.client
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

from tests.harness.odoo_env import (
    REPO,
    Odoo,
    OdooServer,
    PgCluster,
    find_odoo,
    install_wheel,
    odoo_shell,
    run_odoo,
)

#: The models the setup script enables, with (read, write, create, unlink).
ENABLED_MODELS = {
    "res.partner": (True, True, True, True),
    "res.country": (True, False, False, False),
    "mail.message": (True, False, False, False),
}
LOGIN = "mcp_e2e_user"
#: An internal user outside the MCP User group, with the same password and an Odoo API key.
OUTSIDER_LOGIN = "mcp_e2e_outsider"
PASSWORD = "e2e-Secret-Passw0rd!"
ADMIN_LOGIN = ADMIN_PASSWORD = "admin"

#: Seconds allowed for one tool call; for starting a client and its MCP handshake.
CALL_TIMEOUT = 60
START_TIMEOUT = 120

SETUP_SCRIPT = """
import json
from odoo.addons.mcp_server import compat
ICP = env['ir.config_parameter'].sudo()
ICP.set_param('mcp_server.enabled', 'True')
ICP.set_param('mcp_server.request_limit', '100000')
for name, (r, w, c, u) in json.loads({models!r}).items():
    env['mcp.enabled.model'].create(dict(
        model_id=env['ir.model']._get(name).id,
        allow_read=r, allow_write=w, allow_create=c, allow_unlink=u,
    ))
user = env['res.users'].with_context(no_reset_password=True).create(dict(
    name='MCP E2E User',
    login={login!r},
    password={password!r},
    email='mcp-e2e-user@example.com',  # Odoo 18 posts no message from an author without one
))
user[compat.USER_GROUPS] = [(6, 0, [
    env.ref('base.group_user').id,
    env.ref('base.group_partner_manager').id,
    env.ref('mcp_server.group_mcp_user').id,
])]
odoo_key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'e2e', None)
mcp_key = env['mcp.api.key'].with_user(user)._generate('e2e', user)
scoped_key = env['mcp.api.key'].with_user(user)._generate('e2e scoped', user, scope='res.partner:R')
outsider = env['res.users'].with_context(no_reset_password=True).create(dict(
    name='Not An MCP User',
    login={outsider_login!r},
    password={password!r},
))
outsider[compat.USER_GROUPS] = [(6, 0, [env.ref('base.group_user').id])]
outsider_key = env['res.users.apikeys'].with_user(outsider).sudo()._generate(None, 'e2e outsider', None)
spare_odoo_key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'e2e spare', None)
spare_mcp_key = env['mcp.api.key'].with_user(user)._generate('e2e spare', user)
print('E2E_SETUP ' + json.dumps(dict(
    uid=user.id, partner_id=user.partner_id.id,
    odoo_key=odoo_key, mcp_key=mcp_key, scoped_key=scoped_key, outsider_key=outsider_key,
    spare_odoo_key=spare_odoo_key, spare_mcp_key=spare_mcp_key,
)))
"""


@dataclass(frozen=True)
class Stack:
    """A running Odoo with the addon, and the credentials the setup script made."""

    url: str
    db: str
    uid: int
    partner_id: int
    odoo_key: str
    mcp_key: str
    scoped_key: str
    outsider_key: str
    spare_odoo_key: str  # for tests that remove a key
    spare_mcp_key: str
    log: Path
    workdir: Path
    odoo: Odoo
    pg: PgCluster
    data_dir: Path

    def admin(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``execute_kw`` as admin on Odoo's own ``/xmlrpc/2/object``: the ground truth."""
        uid = _admin_uid(self.url, self.db)
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return proxy.execute_kw(self.db, uid, ADMIN_PASSWORD, model, method, list(args), kwargs)

    def mcp_object(self) -> xmlrpc.client.ServerProxy:
        """The addon's ``/mcp/xmlrpc/object``, called directly (no MCP client in between)."""
        transport = _HeaderTransport({"X-Odoo-Database": self.db})
        return xmlrpc.client.ServerProxy(f"{self.url}/mcp/xmlrpc/object", transport=transport)

    def log_digest(self, lines: int = 60) -> str:
        """The interesting end of Odoo's log: errors, warnings and tracebacks."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError as exc:
            return f"(no Odoo log: {exc})"
        keep = [
            line
            for line in text.splitlines()
            if re.search(r"\d (ERROR|CRITICAL|WARNING) ", line) or line.startswith(("Traceback", "  ", "\t"))
        ]
        return "\n".join(keep[-lines:]) or "(nothing logged above INFO)"


def install_addon(stack: Stack, db: str, log_name: str) -> None:
    """Install ``mcp_server`` into database ``db`` of the stack's cluster (created when missing);
    the test fails with the end of the install log when Odoo does."""
    log = stack.workdir / log_name
    proc = run_odoo(
        stack.odoo,
        stack.pg,
        db,
        stack.data_dir,
        "-i",
        "mcp_server",
        "--stop-after-init",
        "--log-level=warn",
        log=log,
        timeout=900,
    )
    if proc.returncode != 0:
        pytest.fail(f"installing mcp_server in {db} failed:\n{log.read_text(errors='replace')[-3000:]}")


@functools.cache
def _admin_uid(url: str, db: str) -> int:
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        db, ADMIN_LOGIN, ADMIN_PASSWORD, {}
    )
    assert uid, "admin/admin cannot log in to the test database"
    return uid


class _HeaderTransport(xmlrpc.client.Transport):
    def __init__(self, headers: dict[str, str]):
        super().__init__()
        self._extra = headers

    def send_headers(self, connection, headers):  # type: ignore[override]
        super().send_headers(connection, [*headers, *self._extra.items()])


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    odoo, reason = find_odoo()
    if odoo is None:
        pytest.skip(f"L3 needs Odoo 18.0 or 19.0: {reason}")
    try:
        install_wheel(odoo.python)
    except SystemExit as exc:  # the harness says "run `make wheel` first"
        pytest.fail(f"cannot install the odoo_mcp_native wheel into Odoo's Python: {exc}")

    work = tmp_path_factory.mktemp("e2e")
    data_dir = work / "data"
    db = f"mcp_e2e_{os.getpid()}"
    pg = PgCluster.from_env_or_new()
    server: OdooServer | None = None
    try:
        pg.start()
        install_log = work / "install.log"
        proc = run_odoo(
            odoo,
            pg,
            db,
            data_dir,
            "-i",
            "mcp_server,mail",
            "--stop-after-init",
            "--log-level=warn",
            log=install_log,
            timeout=900,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"installing mcp_server,mail failed ({proc.returncode}):\n"
                + install_log.read_text(errors="replace")[-4000:]
            )
        script = SETUP_SCRIPT.format(
            models=json.dumps({k: list(v) for k, v in ENABLED_MODELS.items()}),
            login=LOGIN,
            outsider_login=OUTSIDER_LOGIN,
            password=PASSWORD,
        )
        out = odoo_shell(odoo, pg, db, data_dir, script)
        found = re.search(r"^E2E_SETUP (.*)$", out, re.MULTILINE)
        if not found:
            pytest.fail(f"the setup script printed no credentials:\n{out[-3000:]}")
        creds = json.loads(found.group(1))
        server = OdooServer(odoo, pg, db, data_dir, workers=0, log=work / "odoo.log").start()
        yield Stack(
            url=server.url,
            db=db,
            uid=creds["uid"],
            partner_id=creds["partner_id"],
            odoo_key=creds["odoo_key"],
            mcp_key=creds["mcp_key"],
            scoped_key=creds["scoped_key"],
            outsider_key=creds["outsider_key"],
            spare_odoo_key=creds["spare_odoo_key"],
            spare_mcp_key=creds["spare_mcp_key"],
            log=server.log or work / "odoo.log",
            workdir=work,
            odoo=odoo,
            pg=pg,
            data_dir=data_dir,
        )
    finally:
        if server is not None:
            server.stop()
        pg.drop_db(db)
        pg.stop()


# -- the MCP client ---------------------------------------------------------------------------


class McpClient:
    """One ``mcp-server-odoo`` subprocess and its MCP session, used from synchronous tests."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, stack: Stack, kind: str):
        self.portal = portal
        self.session = session
        self.stack = stack
        self.kind = kind

    def call(self, tool: str, timeout: float = CALL_TIMEOUT, **arguments: Any) -> types.CallToolResult:
        async def _call() -> types.CallToolResult:
            with anyio.fail_after(timeout):
                return await self.session.call_tool(tool, arguments)

        return self.portal.call(_call)

    def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call ``tool``, require success, return its structured result."""
        result = self.call(tool, **arguments)
        assert not result.is_error, (
            f"{tool}({arguments}) with {self.kind} failed: {text_of(result)}\n"
            f"--- Odoo log ---\n{self.stack.log_digest()}"
        )
        data = result.structured_content
        assert isinstance(data, dict), f"{tool} returned no structured content: {result}"
        return data

    def refused(self, tool: str, **arguments: Any) -> str:
        """Call ``tool``, require a tool error, return its text."""
        result = self.call(tool, **arguments)
        assert result.is_error, f"{tool}({arguments}) with {self.kind} should be refused, got {result}"
        return text_of(result)


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


def client_env(stack: Stack, kind: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(stack.workdir),
        "ODOO_URL": stack.url,
        "ODOO_DB": stack.db,
        "ODOO_MCP_LOG_LEVEL": "INFO",
    }
    if kind == "odoo_api_key":
        env["ODOO_API_KEY"] = stack.odoo_key
    elif kind == "mcp_key":
        env["ODOO_API_KEY"] = stack.mcp_key
    elif kind == "scoped_mcp_key":
        env["ODOO_API_KEY"] = stack.scoped_key
    elif kind == "password":
        env["ODOO_USER"], env["ODOO_PASSWORD"] = LOGIN, PASSWORD
    elif kind == "outsider_api_key":
        env["ODOO_API_KEY"] = stack.outsider_key
    elif kind == "outsider_password":
        env["ODOO_USER"], env["ODOO_PASSWORD"] = OUTSIDER_LOGIN, PASSWORD
    elif kind in YOLO_TRANSPORTS:
        # YOLO mode: Odoo's own API paths, appended to a base URL that puts them behind the gate
        env.update(ODOO_URL=f"{stack.url}/mcp", ODOO_YOLO="true", ODOO_RPC_TRANSPORT=YOLO_TRANSPORTS[kind])
        env["ODOO_USER"], env["ODOO_API_KEY"] = LOGIN, stack.odoo_key
    else:
        raise ValueError(kind)
    return env


@contextlib.asynccontextmanager
async def _open_session(params: StdioServerParameters, errlog_path: Path) -> AsyncIterator[ClientSession]:
    with errlog_path.open("a") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            with anyio.fail_after(START_TIMEOUT):
                await session.initialize()
            yield session


@pytest.fixture(scope="session")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


@contextlib.contextmanager
def open_client(portal: BlockingPortal, stack: Stack, kind: str) -> Iterator[McpClient]:
    # An empty working directory: the client loads a .env from its cwd, which must not leak in.
    cwd = Path(tempfile.mkdtemp(prefix=f"client-{kind}-", dir=stack.workdir))
    errlog = stack.workdir / f"client-{kind}.log"
    params = StdioServerParameters(
        command=str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").is_dir() else sys.executable,
        args=["-m", "mcp_server_odoo"],
        env=client_env(stack, kind),
        cwd=str(cwd),
    )
    session_cm = portal.wrap_async_context_manager(_open_session(params, errlog))
    try:
        session = session_cm.__enter__()
    except Exception as exc:
        client_log = errlog.read_text(errors="replace")[-3000:] if errlog.exists() else ""
        raise RuntimeError(
            f"mcp-server-odoo with {kind} did not start: {exc!r}\n--- client log ---\n{client_log}"
            f"\n--- Odoo log ---\n{stack.log_digest()}"
        ) from exc
    try:
        yield McpClient(portal, session, stack, kind)
    finally:
        session_cm.__exit__(None, None, None)


#: Client kinds of ``mcp-server-odoo`` in YOLO mode, with their ``ODOO_RPC_TRANSPORT``.
YOLO_TRANSPORTS = {"yolo_xmlrpc": "xmlrpc", "yolo_json2": "json2"}

#: The credential kinds every tool test runs with.
CREDENTIAL_KINDS = ["odoo_api_key", "mcp_key", "password"]


@pytest.fixture(scope="session", params=CREDENTIAL_KINDS)
def mcp(request: pytest.FixtureRequest, portal: BlockingPortal, stack: Stack) -> Iterator[McpClient]:
    with open_client(portal, stack, request.param) as client:
        yield client


@pytest.fixture(scope="session")
def scoped_mcp(portal: BlockingPortal, stack: Stack) -> Iterator[McpClient]:
    with open_client(portal, stack, "scoped_mcp_key") as client:
        yield client
