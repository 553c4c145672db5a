"""L3: ``/mcp`` driven by real MCP clients from the registries, threaded and ``--workers 2``.

Each client connects the way it does on its own (the official Python SDK ``mcp`` in ``auto`` mode
discovers and speaks 2026-07-28, in ``legacy`` mode it runs the ``initialize`` handshake;
``fastmcp``'s ``Client``; the TypeScript SDK's Streamable HTTP transport under Node), then runs one
scenario: list the tools, create, search, get, update, aggregate, post a message, read a resource,
see a refusal with the gate's message (beside a legitimate call that passes), delete. Every write is
checked against Odoo's own ``/xmlrpc/2/object`` as admin.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from tests.harness.odoo_env import REPO, OdooServer

from .conftest import Stack

JS_DIR = REPO / "tests" / "e2e" / "js"
#: The Node that runs the TypeScript SDK: the one npm installed beside it (22), else the system's.
NODE = JS_DIR / "node_modules" / ".bin" / "node"
#: Seconds for one client to connect and run the whole scenario.
SCENARIO_TIMEOUT = 180
MODERN = "2026-07-28"
LEGACY = ("2025-11-25", "2025-06-18")
CORE_TOOLS = {
    "search_records",
    "get_record",
    "create_record",
    "update_record",
    "delete_record",
    "aggregate_records",
    "post_message",
}


@dataclass
class Called:
    is_error: bool
    structured: Any
    text: str


class Driver:
    """One connected client: what the scenario needs of it, whatever the client library."""

    protocol_version: str | None = None
    session_id: str | None = None
    instructions: str | None = None

    async def list_tools(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def call(self, name: str, arguments: dict[str, Any]) -> Called:
        raise NotImplementedError

    async def read(self, uri: str) -> str:
        raise NotImplementedError

    async def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        called = await self.call(name, arguments)
        assert not called.is_error, f"{name}({arguments}) failed: {called.text}"
        assert isinstance(called.structured, dict), f"{name} returned no structured content: {called}"
        # The text part carries the same JSON as structuredContent.
        assert json.loads(called.text) == called.structured
        return called.structured


def _text(content: Any) -> str:
    return "\n".join(getattr(part, "text", "") or "" for part in content)


class SdkDriver(Driver):
    """``mcp.Client`` (the official Python SDK) or ``fastmcp.Client``: the same result types."""

    def __init__(self, client: Any, fastmcp: bool):
        self.client = client
        self.fastmcp = fastmcp

    async def list_tools(self) -> list[dict[str, Any]]:
        listed = await self.client.list_tools()
        tools = listed if self.fastmcp else listed.tools
        return [tool.model_dump(by_alias=True, exclude_none=True) for tool in tools]

    async def call(self, name: str, arguments: dict[str, Any]) -> Called:
        if self.fastmcp:
            result = await self.client.call_tool(name, arguments, raise_on_error=False)
        else:
            result = await self.client.call_tool(name, arguments)
        return Called(bool(result.is_error), result.structured_content, _text(result.content))

    async def read(self, uri: str) -> str:
        result = await self.client.read_resource(uri)
        contents = result if self.fastmcp else result.contents
        return _text(contents)


class NodeDriver(Driver):
    """``tests/e2e/js/client.mjs``: the TypeScript SDK, one JSON line per command."""

    def __init__(self, process: anyio.abc.Process):
        self.process = process
        self.buffer = b""

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        while b"\n" not in self.buffer:
            chunk = await self.process.stdout.receive()
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    async def command(self, **command: Any) -> Any:
        assert self.process.stdin is not None
        await self.process.stdin.send((json.dumps(command) + "\n").encode())
        answer = await self.line()
        assert answer["ok"], f"TypeScript SDK: {command} failed: {answer}"
        return answer["result"]

    async def list_tools(self) -> list[dict[str, Any]]:
        return (await self.command(op="list_tools"))["tools"]

    async def call(self, name: str, arguments: dict[str, Any]) -> Called:
        result = await self.command(op="call", name=name, arguments=arguments)
        return Called(
            bool(result.get("isError")),
            result.get("structuredContent"),
            "\n".join(part.get("text", "") for part in result["content"]),
        )

    async def read(self, uri: str) -> str:
        result = await self.command(op="read", uri=uri)
        return "\n".join(part.get("text", "") for part in result["contents"])


@contextlib.asynccontextmanager
async def connect(kind: str, url: str, stack: Stack) -> AsyncIterator[Driver]:
    headers = {"Authorization": f"Bearer {stack.mcp_key}", "X-Odoo-Database": stack.db}
    if kind in ("mcp-auto", "mcp-legacy"):
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        async with create_mcp_http_client(headers=headers) as http:
            transport = streamable_http_client(url, http_client=http)
            async with Client(transport, mode=kind.removeprefix("mcp-")) as client:
                driver = SdkDriver(client, fastmcp=False)
                driver.protocol_version = client.protocol_version
                driver.instructions = client.instructions
                yield driver
    elif kind == "fastmcp":
        from fastmcp import Client as FastClient
        from fastmcp.client.transports import StreamableHttpTransport

        async with FastClient(StreamableHttpTransport(url, headers=headers)) as client:
            driver = SdkDriver(client, fastmcp=True)
            driver.protocol_version = client.protocol_version
            driver.instructions = client.instructions
            yield driver
    elif kind == "typescript":
        node = str(NODE) if NODE.exists() else shutil.which("node")
        if node is None or not (JS_DIR / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
            pytest.fail("the TypeScript SDK is not installed: run `make setup` (npm ci in tests/e2e/js)")
        env = {**os.environ, "MCP_URL": url, "MCP_KEY": stack.mcp_key, "MCP_DB": stack.db}
        async with await anyio.open_process(
            [node, str(JS_DIR / "client.mjs")], env=env, cwd=JS_DIR
        ) as process:
            driver = NodeDriver(process)
            ready = await driver.line()
            assert ready["ready"], f"TypeScript SDK did not connect: {ready}"
            driver.protocol_version = ready["protocolVersion"]
            driver.session_id = ready["sessionId"]
            driver.instructions = ready["instructions"]
            try:
                yield driver
            finally:
                with contextlib.suppress(Exception):
                    await driver.command(op="close")
    else:
        raise ValueError(kind)


@pytest.fixture(scope="module")
def prefork(stack: Stack) -> Iterator[OdooServer]:
    server = OdooServer(
        stack.odoo,
        stack.pg,
        stack.db,
        stack.data_dir,
        workers=2,
        log=stack.workdir / "odoo-prefork-clients.log",
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["threaded", "prefork"])
def mcp_url(request: pytest.FixtureRequest, stack: Stack) -> str:
    if request.param == "threaded":
        return f"{stack.url}/mcp"
    return f"{request.getfixturevalue('prefork').url}/mcp"


async def scenario(driver: Driver, stack: Stack, kind: str) -> None:
    tools = {tool["name"]: tool for tool in await driver.list_tools()}
    assert set(tools) >= CORE_TOOLS, sorted(tools)
    assert tools["delete_record"]["annotations"]["destructiveHint"] is True
    assert tools["search_records"]["annotations"]["readOnlyHint"] is True
    assert "outputSchema" in tools["search_records"]
    assert driver.instructions and "MCP E2E User" in driver.instructions

    tag = f"E2E {kind} {uuid.uuid4().hex[:8]}"
    created = await driver.ok(
        "create_record", model="res.partner", values={"name": tag, "email": "a@example.com"}
    )
    record_id = created["record"]["id"]
    assert stack.admin("res.partner", "read", [record_id], fields=["name"])[0]["name"] == tag

    found = await driver.ok(
        "search_records", model="res.partner", domain=[["name", "=", tag]], fields=["name", "email"]
    )
    assert found["total"] == 1
    assert [row["id"] for row in found["records"]] == [record_id]
    assert found["records"][0]["email"] == "a@example.com"

    got = await driver.ok("get_record", model="res.partner", record_id=record_id, fields=["name", "email"])
    assert got["record"]["name"] == tag

    await driver.ok(
        "update_record", model="res.partner", record_id=record_id, values={"email": "b@example.com"}
    )
    assert stack.admin("res.partner", "read", [record_id], fields=["email"])[0]["email"] == "b@example.com"

    counted = await driver.ok("aggregate_records", model="res.partner", domain=[["name", "=", tag]])
    assert counted["groups"][0]["__count"] == 1

    posted = await driver.ok(
        "post_message", model="res.partner", record_id=record_id, body=f"hello from {kind}"
    )
    message = stack.admin("mail.message", "read", [posted["message_id"]], fields=["body", "res_id", "model"])[
        0
    ]
    assert (message["model"], message["res_id"]) == ("res.partner", record_id)
    assert f"hello from {kind}" in message["body"]

    text = await driver.read(f"odoo://res.partner/record/{record_id}")
    assert tag in text

    # A refusal carries the gate's message; its neighbour, a model that is enabled, passes.
    refused = await driver.call("search_records", {"model": "res.users", "limit": 1})
    assert refused.is_error
    assert "Model 'res.users' is not enabled for MCP access." in refused.text
    countries = await driver.ok("search_records", model="res.country", limit=1)
    assert len(countries["records"]) == 1

    deleted = await driver.ok("delete_record", model="res.partner", record_id=record_id)
    assert deleted["deleted_id"] == record_id
    assert stack.admin("res.partner", "search", [["id", "=", record_id]]) == []


@pytest.mark.parametrize("kind", ["mcp-auto", "mcp-legacy", "fastmcp", "typescript"])
def test_client_runs_the_scenario(kind: str, mcp_url: str, stack: Stack) -> None:
    async def main() -> None:
        with anyio.fail_after(SCENARIO_TIMEOUT):
            async with connect(kind, mcp_url, stack) as driver:
                if kind in ("mcp-auto", "fastmcp"):
                    assert driver.protocol_version == MODERN
                else:
                    assert driver.protocol_version in LEGACY, driver.protocol_version
                assert driver.session_id is None  # stateless: never an Mcp-Session-Id
                await scenario(driver, stack, kind)

    try:
        anyio.run(main)
    except Exception as exc:
        raise AssertionError(f"{kind} on {mcp_url}: {exc!r}\n--- Odoo log ---\n{stack.log_digest()}") from exc
