"""L3: OAuth 2.1 on ``/mcp`` with the official MCP Python SDK's client provider, on ``--workers 2``.

The SDK's ``OAuthClientProvider`` is the ``httpx2.Auth`` of the MCP client's HTTP connection. On the
first 401 from ``/mcp`` it does everything on its own: protected-resource metadata (named by the
``WWW-Authenticate`` header), authorization-server metadata, dynamic client registration, the
authorization URL with PKCE, the token exchange, and the retry with the token. The one thing it
cannot do is be a person: its redirect and callback handlers hand the authorization URL to
``oauth_browser.Browser``, which signs in with Odoo's login form and answers the consent form, and
give the SDK back the ``code``, ``state`` and ``iss`` of the redirect Odoo sends.

One prefork Odoo (``--workers 2``) serves this module; Odoo's issuer and resource come from
``web.base.url``, which the fixture sets (frozen) to that server's address. Revocations and
settings are changed as an admin through the level's threaded server, so that neither worker of the
prefork server sees the change happen: each learns of it through Odoo's cache signalling only. No
request carries ``X-Odoo-Database``: the server's database filter resolves the one database, as a
browser needs.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
import requests
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from tests.harness.odoo_env import OdooServer, free_port

from .conftest import LOGIN, PASSWORD, Stack
from .oauth_browser import Browser, Page

#: Seconds for one client to connect, authorize and run its calls.
FLOW_TIMEOUT = 180
MODERN = "2026-07-28"
WRITE_TOOLS = {"create_record", "update_record", "delete_record", "post_message"}
#: Requests per phase, requests in flight at once, and the bound while waiting for the second worker.
ROUNDS = 16
IN_FLIGHT = 4
MAX_REQUESTS = 400
REFUSED_MODEL = "Model 'res.users' is not enabled for MCP access."


@dataclass
class OAuthOdoo:
    server: OdooServer
    base: str
    stack: Stack

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"

    def set_param(self, key: str, value: str) -> None:
        self.stack.admin("ir.config_parameter", "set_param", key, value)


@pytest.fixture(scope="module")
def oauth_odoo(stack: Stack) -> Iterator[OAuthOdoo]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    params = {
        "web.base.url": base,
        "web.base.url.freeze": "True",
        "mcp_server.oauth_enabled": "True",
        "mcp_server.oauth_registration": "True",
    }
    before = {key: stack.admin("ir.config_parameter", "get_param", key) for key in params}
    for key, value in params.items():
        stack.admin("ir.config_parameter", "set_param", key, value)
    server = OdooServer(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        workers=2,
        port=port,
        log=stack.workdir / "odoo-prefork-oauth.log",
    ).start()
    try:
        yield OAuthOdoo(server, base, stack)
    finally:
        server.stop()
        for key, value in before.items():
            stack.admin("ir.config_parameter", "set_param", key, value or False)


# -- the client side: the SDK's provider, its storage, and the person it asks ---------------------


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory: one client registration and its tokens."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class ReauthorizationRefused(Exception):
    """The person was asked to authorize again and would not."""


def holds(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` is a ``kind``, or an exception group with one inside."""
    return isinstance(exc, kind) or any(holds(inner, kind) for inner in getattr(exc, "exceptions", ()))


@dataclass
class Person:
    """The user at the browser: what the SDK's redirect and callback handlers reach."""

    base: str
    access: str | None = None  # "read" / "write"; None: as the consent page preselects
    models: list[str] | None = None
    #: How many more times the person agrees to go through the consent (after that: refuse).
    patience: int = 1
    urls: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    async def redirect_handler(self, url: str) -> None:
        self.urls.append(url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        if self.patience <= 0:
            raise ReauthorizationRefused(f"asked to authorize again: {self.urls[-1]}")
        self.patience -= 1
        return await anyio.to_thread.run_sync(self._visit, self.urls[-1])

    def _visit(self, url: str) -> AuthorizationCodeResult:
        browser = Browser(self.base)
        page = browser.consent_page(url, LOGIN, PASSWORD)
        assert isinstance(page, Page), f"no consent page for {url}: {page}"
        self.pages.append(page)
        redirect = browser.consent(page, access=self.access, models=self.models)
        assert redirect.code, f"no code in the redirect: {redirect}"
        return AuthorizationCodeResult(code=redirect.code, state=redirect.state, iss=redirect.iss)


@dataclass
class Connection:
    client: Client
    provider: OAuthClientProvider
    storage: MemoryStorage
    person: Person
    #: (method, path, status) of every HTTP exchange the SDK made, its OAuth requests included
    exchanges: list[tuple[str, str, int]]

    @property
    def tokens(self) -> OAuthToken:
        assert self.storage.tokens is not None, "the SDK holds no tokens"
        return self.storage.tokens

    @property
    def client_id(self) -> str:
        assert self.storage.client_info is not None, "the SDK registered no client"
        return self.storage.client_info.client_id

    async def call(self, name: str, **arguments: Any) -> Any:
        return await self.client.call_tool(name, arguments)

    async def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        result = await self.call(name, **arguments)
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        assert not result.is_error, f"{name}({arguments}) failed: {text}"
        assert isinstance(result.structured_content, dict), result
        return result.structured_content


@contextlib.asynccontextmanager
async def connect(
    odoo: OAuthOdoo, person: Person, *, auth_method: str = "none", name: str = "E2E SDK client"
) -> AsyncIterator[Connection]:
    storage = MemoryStorage()
    metadata = OAuthClientMetadata(
        client_name=name,
        redirect_uris=[f"http://127.0.0.1:{free_port()}/callback"],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=auth_method,
    )
    provider = OAuthClientProvider(
        server_url=odoo.mcp_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=person.redirect_handler,
        callback_handler=person.callback_handler,
    )
    exchanges: list[tuple[str, str, int]] = []

    async def record(response: httpx2.Response) -> None:
        exchanges.append((response.request.method, response.request.url.path, response.status_code))

    timeout = httpx2.Timeout(30, read=120)
    async with httpx2.AsyncClient(auth=provider, timeout=timeout, event_hooks={"response": [record]}) as http:
        async with Client(streamable_http_client(odoo.mcp_url, http_client=http)) as client:
            yield Connection(client, provider, storage, person, exchanges)


def run(odoo: OAuthOdoo, main: Callable[[], Any]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(FLOW_TIMEOUT):
            await main()

    try:
        anyio.run(bounded)
    except Exception as exc:
        raise AssertionError(f"{exc!r}\n--- Odoo log ---\n{log_digest(odoo)}") from exc


def log_digest(odoo: OAuthOdoo, lines: int = 60) -> str:
    assert odoo.server.log is not None
    text = odoo.server.log.read_text(errors="replace")
    keep = [
        line
        for line in text.splitlines()
        if re.search(r"\d (ERROR|CRITICAL|WARNING) ", line) or line.startswith(("Traceback", "  "))
    ]
    return "\n".join(keep[-lines:]) or "(nothing logged above INFO)"


# -- plain HTTP, for what the SDK does not show: statuses across both workers ---------------------


def post_mcp(odoo: OAuthOdoo, token: str, method: str = "tools/list") -> requests.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        },
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
    }
    return requests.post(odoo.mcp_url, json=body, headers=headers, timeout=30)


def serving_pids(odoo: OAuthOdoo, method: str, path: str, since: int) -> set[str]:
    """PIDs of the workers that logged ``method path`` after byte ``since`` of the log."""
    assert odoo.server.log is not None
    text = odoo.server.log.read_text(errors="replace")[since:]
    pattern = rf"^\S+ \S+ (\d+) INFO \S+ werkzeug: .*\"{method} {re.escape(path)} "
    return set(re.findall(pattern, text, re.MULTILINE))


def across_workers(
    odoo: OAuthOdoo, method: str, path: str, send: Callable[[], requests.Response]
) -> list[requests.Response]:
    """``ROUNDS`` requests, then more until both workers have answered one (the kernel picks the
    worker), at most ``MAX_REQUESTS``; the responses, once both have answered."""
    assert odoo.server.log is not None
    start = len(odoo.server.log.read_text(errors="replace"))
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        responses = list(pool.map(lambda _: send(), range(ROUNDS)))
        pids = serving_pids(odoo, method, path, start)
        while len(pids) < 2 and len(responses) < MAX_REQUESTS:
            responses += list(pool.map(lambda _: send(), range(IN_FLIGHT)))
            pids = serving_pids(odoo, method, path, start)
    assert len(pids) == 2, f"both workers must answer {method} {path}: {pids}"
    return responses


def token_request(odoo: OAuthOdoo, **data: str) -> requests.Response:
    return requests.post(f"{odoo.base}/mcp/oauth/token", data=data, timeout=30)


def grant_of(odoo: OAuthOdoo, client_id: str) -> dict[str, Any]:
    grants = odoo.stack.admin(
        "mcp.oauth.grant",
        "search_read",
        [("client_id.client_id", "=", client_id)],
        ["user_id", "scope", "oauth_scope", "resource", "active"],
        context={"active_test": False},
    )
    assert len(grants) == 1, f"one consent, one grant: {grants}"
    return grants[0]


# -- the tests ---------------------------------------------------------------------------------


def test_sdk_discovers_registers_authorizes_and_calls(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="write")

    async def main() -> None:
        async with connect(oauth_odoo, person, name="E2E SDK full flow") as conn:
            assert conn.client.protocol_version == MODERN
            names = {tool.name for tool in (await conn.client.list_tools()).tools}
            assert names >= {"search_records", *WRITE_TOOLS}, sorted(names)

            found = await conn.ok(
                "search_records", model="res.partner", domain=[["id", "=", stack.partner_id]], fields=["name"]
            )
            assert [row["id"] for row in found["records"]] == [stack.partner_id]
            created = await conn.ok(
                "create_record", model="res.partner", values={"name": "E2E OAuth partner"}
            )
            record_id = created["record"]["id"]
            [row] = stack.admin("res.partner", "read", [record_id], ["name", "create_uid"])
            assert row["create_uid"][0] == stack.uid, "the token acts as the person who granted it"

            # a refusal carries the gate's message; its neighbours above passed
            refused = await conn.call("search_records", model="res.users", limit=1)
            assert refused.is_error
            assert REFUSED_MODEL in "\n".join(part.text for part in refused.content)

            # what the SDK did on its own, in order, before its first MCP request went through
            seen = [(method, path, status) for method, path, status in conn.exchanges]
            first_401 = seen.index(("POST", "/mcp", 401))
            oauth = [(m, p, s) for m, p, s in seen[first_401:] if p != "/mcp"]
            assert [(m, p) for m, p, _s in oauth][:4] == [
                ("GET", "/.well-known/oauth-protected-resource/mcp"),
                ("GET", "/.well-known/oauth-authorization-server"),
                ("POST", "/mcp/oauth/register"),
                ("POST", "/mcp/oauth/token"),
            ], seen
            assert [s for _m, _p, s in oauth][:4] == [200, 200, 201, 200], seen

            # the authorization URL the SDK built, and the consent page Odoo showed for it
            [url] = person.urls
            query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            assert urlsplit(url).path == "/mcp/oauth/authorize"
            assert query["code_challenge_method"] == "S256"
            assert query["resource"] == oauth_odoo.mcp_url
            [page] = person.pages
            assert page.class_text("mcp_oauth_client_name") == "E2E SDK full flow"
            assert "MCP E2E User" in page.text

            tokens = conn.tokens
            assert tokens.access_token.startswith("mcpat_")
            assert tokens.refresh_token and tokens.refresh_token.startswith("mcprt_")
            assert set((tokens.scope or "").split()) == {"mcp:read", "mcp:write"}
            grant = grant_of(oauth_odoo, conn.client_id)
            assert grant["user_id"][0] == stack.uid
            assert grant["active"]

            # the audit rows name the client; no token reaches them or the server's log
            rows = stack.admin(
                "mcp.log",
                "search_read",
                [("endpoint", "=", "/mcp"), ("oauth_client_id.client_id", "=", conn.client_id)],
                ["operation", "user_id", "request_data", "response_data", "api_key_used"],
            )
            assert {"search_records", "create_record"} <= {row["operation"] for row in rows}, rows
            assert all(row["user_id"][0] == stack.uid for row in rows)
            assert tokens.access_token not in repr(rows)
            stack.admin("res.partner", "unlink", [record_id])
            assert oauth_odoo.server.log is not None
            server_log = oauth_odoo.server.log.read_text(errors="replace")
            for secret in (tokens.access_token, tokens.refresh_token):
                assert secret not in server_log

    run(oauth_odoo, main)


def test_read_only_consent_lists_no_write_tools(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="read")

    async def main() -> None:
        async with connect(oauth_odoo, person, name="E2E SDK read only") as conn:
            names = {tool.name for tool in (await conn.client.list_tools()).tools}
            assert "search_records" in names and "get_record" in names, sorted(names)
            assert not names & WRITE_TOOLS, sorted(names)
            [page] = person.pages
            form = page.form(id="mcp_oauth_consent")
            assert set(form.choice_values("access")) == {"read", "write"}, "write was offered"
            assert conn.tokens.scope == "mcp:read"
            assert grant_of(oauth_odoo, conn.client_id)["scope"] == "*:R"
            found = await conn.ok("search_records", model="res.country", limit=1)
            assert len(found["records"]) == 1

    run(oauth_odoo, main)


def test_a_consent_narrowed_to_some_models_reaches_only_those(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="read", models=["res.country"])

    async def main() -> None:
        async with connect(oauth_odoo, person, name="E2E SDK one model") as conn:
            [page] = person.pages
            offered = set(page.form(id="mcp_oauth_consent").choice_values("models"))
            assert offered >= {"res.partner", "res.country"}, offered
            assert grant_of(oauth_odoo, conn.client_id)["scope"] == "res.country:R"
            found = await conn.ok("search_records", model="res.country", limit=1)
            assert len(found["records"]) == 1
            # enabled for the user, but not granted to this client: to this token it is not enabled,
            # as to an MCP key of the same scope
            refused = await conn.call("search_records", model="res.partner", limit=1)
            assert refused.is_error
            text = "\n".join(part.text for part in refused.content)
            assert "Model 'res.partner' is not enabled for MCP access." in text, text

    run(oauth_odoo, main)


def test_refresh_rotates_and_a_spent_refresh_token_revokes_the_family(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="write")

    async def main() -> None:
        async with connect(oauth_odoo, person, name="E2E SDK refresh") as conn:
            await conn.ok("search_records", model="res.country", limit=1)
            first = conn.tokens
            # the SDK refreshes before a request once it thinks the access token has expired
            conn.provider.context.token_expiry_time = time.time() - 1
            await conn.ok("search_records", model="res.country", limit=1)
            second = conn.tokens
            assert len(person.urls) == 1, "a refresh, not a new consent"
            assert second.access_token != first.access_token
            assert second.refresh_token and second.refresh_token != first.refresh_token, "rotation"
            assert set((second.scope or "").split()) == {"mcp:read", "mcp:write"}
            refreshes = [e for e in conn.exchanges if e[:2] == ("POST", "/mcp/oauth/token")]
            assert [status for _m, _p, status in refreshes] == [200, 200], conn.exchanges
            assert post_mcp(oauth_odoo, second.access_token).status_code == 200

            # someone replays the spent refresh token: refused, and the whole family is revoked
            assert first.refresh_token is not None
            replay = token_request(
                oauth_odoo,
                grant_type="refresh_token",
                refresh_token=first.refresh_token,
                client_id=conn.client_id,
            )
            assert replay.status_code == 400, replay.text
            assert replay.json()["error"] == "invalid_grant"
            assert post_mcp(oauth_odoo, second.access_token).status_code == 401
            assert not grant_of(oauth_odoo, conn.client_id)["active"]
            assert second.refresh_token is not None
            again = token_request(
                oauth_odoo,
                grant_type="refresh_token",
                refresh_token=second.refresh_token,
                client_id=conn.client_id,
            )
            assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")

    run(oauth_odoo, main)


def test_confidential_client_authenticates_at_the_token_endpoint(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="read")

    async def main() -> None:
        async with connect(
            oauth_odoo, person, auth_method="client_secret_post", name="E2E SDK secret"
        ) as conn:
            await conn.ok("search_records", model="res.country", limit=1)
            info = conn.storage.client_info
            assert info is not None and info.client_secret, "a confidential client gets a secret"
            assert conn.tokens.refresh_token is not None
            # its refresh token is worthless without the secret; with it, it works
            bare = token_request(
                oauth_odoo,
                grant_type="refresh_token",
                refresh_token=conn.tokens.refresh_token,
                client_id=conn.client_id,
            )
            assert (bare.status_code, bare.json()["error"]) == (401, "invalid_client"), bare.text
            conn.provider.context.token_expiry_time = time.time() - 1
            await conn.ok("search_records", model="res.country", limit=1)
            assert len(person.urls) == 1, "the refresh with the secret worked"

    run(oauth_odoo, main)


def test_revoked_grant_is_refused_in_every_worker(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="write", patience=1)

    async def main() -> None:
        refused: Exception | None = None
        try:
            async with connect(oauth_odoo, person, name="E2E SDK revoked") as conn:
                await conn.ok("search_records", model="res.country", limit=1)
                token = conn.tokens.access_token
                before = await anyio.to_thread.run_sync(
                    across_workers, oauth_odoo, "POST", "/mcp", functools.partial(post_mcp, oauth_odoo, token)
                )
                assert {r.status_code for r in before} == {200}, "both workers accept (and cache) the token"

                grant = grant_of(oauth_odoo, conn.client_id)
                stack.admin("mcp.oauth.grant", "action_revoke", [grant["id"]])
                assert not grant_of(oauth_odoo, conn.client_id)["active"]

                after = await anyio.to_thread.run_sync(
                    across_workers, oauth_odoo, "POST", "/mcp", functools.partial(post_mcp, oauth_odoo, token)
                )
                assert {r.status_code for r in after} == {401}, [r.status_code for r in after]
                challenge = after[0].headers.get("WWW-Authenticate", "")
                assert "resource_metadata=" in challenge, challenge
                assert conn.tokens.refresh_token is not None
                refresh = token_request(
                    oauth_odoo,
                    grant_type="refresh_token",
                    refresh_token=conn.tokens.refresh_token,
                    client_id=conn.client_id,
                )
                assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")

                # the SDK's next call is refused too: its token gets a 401, and all the SDK can do
                # is ask the person again (who declines, which ends the session)
                with anyio.fail_after(60):
                    await conn.call("search_records", model="res.country", limit=1)
        except Exception as exc:  # the SDK's task group ends with it, as an exception group
            if not holds(exc, ReauthorizationRefused):
                raise
            refused = exc
        assert refused is not None, "the SDK's call after the revocation went through"
        assert len(person.urls) == 2, "the SDK asked for a new consent after the 401"

    run(oauth_odoo, main)


def test_oauth_off_discovery_404s_and_a_static_key_still_works(oauth_odoo: OAuthOdoo, stack: Stack):
    person = Person(oauth_odoo.base, access="read")
    well_known = [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
    ]

    def get(path: str) -> requests.Response:
        return requests.get(oauth_odoo.base + path, timeout=30)

    async def main() -> None:
        async with connect(oauth_odoo, person, name="E2E SDK switched off") as conn:
            await conn.ok("search_records", model="res.country", limit=1)
            token = conn.tokens.access_token
        for path in well_known:
            assert get(path).status_code == 200, path
        oauth_odoo.set_param("mcp_server.oauth_enabled", "False")
        try:
            for path in well_known:
                answers = await anyio.to_thread.run_sync(
                    across_workers, oauth_odoo, "GET", path, functools.partial(get, path)
                )
                assert {r.status_code for r in answers} == {404}, path
                assert answers[0].headers["Content-Type"].startswith("application/json")
            refused = await anyio.to_thread.run_sync(
                across_workers, oauth_odoo, "POST", "/mcp", functools.partial(post_mcp, oauth_odoo, token)
            )
            assert {r.status_code for r in refused} == {401}, "a token is refused while OAuth is off"
            assert "resource_metadata" not in refused[0].headers.get("WWW-Authenticate", "")
            # a static key, through the same SDK, still works
            headers = {"Authorization": f"Bearer {stack.mcp_key}"}
            async with (
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
                Client(streamable_http_client(oauth_odoo.mcp_url, http_client=http)) as client,
            ):
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert "search_records" in names
                result = await client.call_tool("search_records", {"model": "res.country", "limit": 1})
                assert not result.is_error, result
        finally:
            oauth_odoo.set_param("mcp_server.oauth_enabled", "True")
        for path in well_known:
            assert get(path).status_code == 200, path

    run(oauth_odoo, main)
