"""L3: the official MCP conformance suite (``@modelcontextprotocol/conformance``, the 0.2 line, under
the Node 22 npm installs beside it) against ``/mcp``.

The suite connects without credentials, so it talks to a loopback proxy that adds what a
configured client sends (``Authorization: Bearer <MCP key>``, ``X-Odoo-Database``) and passes
everything else through unchanged (an ``Origin`` the suite sends still reaches the server).

Scenarios are run one by one with ``--expected-failures conformance-baseline.yaml``: the checks
``/mcp`` is known to fail are listed there with why (the suite fails on any other failure, and on a
listed check that passes). :data:`SCENARIOS` are the scenarios run; :data:`EXCLUDED` says why each
other scenario of the suite is not run (most need the suite's own fixture tools, prompts or
resources, or features this server does not offer). A scenario in neither list fails the test: a
new suite version is looked at, not silently skipped.
"""

from __future__ import annotations

import http.client
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import Stack

JS_DIR = Path(__file__).parent / "js"
NODE = JS_DIR / "node_modules" / ".bin" / "node"
BASELINE = Path(__file__).parent / "conformance-baseline.yaml"
SUITE = JS_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"

#: Scenarios run against /mcp (all must pass).
SCENARIOS = [
    "server-initialize",
    "server-stateless",
    "ping",
    "tools-list",
    "resources-list",
    "sep-2164-resource-not-found",
    "dns-rebinding-protection",
    "caching",
    "http-header-validation",
]

#: Scenarios of the suite that are not run, and why.
EXCLUDED = {
    "server-session-lifecycle": "needs a server-held session (Mcp-Session-Id); /mcp is stateless by design",
    "logging-set-level": "the server offers no logging capability",
    "completion-complete": "the server offers no completion capability",
    "tools-call-simple-text": "calls the suite's fixture tool test_simple_text",
    "tools-call-image": "calls the suite's fixture tool test_image_content",
    "tools-call-audio": "calls the suite's fixture tool test_audio_content",
    "tools-call-embedded-resource": "calls the suite's fixture tool test_embedded_resource",
    "tools-call-mixed-content": "calls the suite's fixture tool test_multiple_content_types",
    "tools-call-with-logging": "calls the suite's fixture tool test_tool_with_logging",
    "tools-call-error": "calls the suite's fixture tool test_error_handling",
    "tools-call-with-progress": "calls the suite's fixture tool test_tool_with_progress",
    "tools-call-sampling": "calls the suite's fixture tool test_sampling (and needs sampling)",
    "tools-call-elicitation": "calls the suite's fixture tool test_elicitation (and needs elicitation)",
    "json-schema-2020-12": "calls the suite's fixture tool json_schema_2020_12_tool",
    "elicitation-sep1034-defaults": "needs elicitation and the suite's fixture tool",
    "elicitation-sep1330-enums": "needs elicitation and the suite's fixture tool",
    "server-sse-polling": "needs SSE responses; /mcp answers JSON only",
    "server-sse-multiple-streams": "needs SSE streams; /mcp answers JSON only",
    "resources-read-text": "reads the suite's fixture resource test://static-text",
    "resources-read-binary": "reads the suite's fixture resource test://static-binary",
    "resources-templates-read": "reads the suite's fixture template test://template/{id}/data",
    "resources-subscribe": "the server offers no resource subscriptions",
    "resources-unsubscribe": "the server offers no resource subscriptions",
    "prompts-list": "the server offers no prompts",
    "prompts-get-simple": "the server offers no prompts (fixture prompt test_simple_prompt)",
    "prompts-get-with-args": "the server offers no prompts (fixture prompt test_prompt_with_arguments)",
    "prompts-get-embedded-resource": "the server offers no prompts (fixture prompt)",
    "prompts-get-with-image": "the server offers no prompts (fixture prompt)",
    "http-custom-header-server-validation": "calls the suite's fixture tool with x-mcp-header parameters",
}
#: Prefixes of scenario families that are extensions or need input-required results.
EXCLUDED_PREFIXES = {
    "sep-2640-skills-": "the skills extension is not offered",
    "tasks-": "the tasks extension is not offered",
    "input-required-result-": "needs the suite's fixture tools that ask for input (elicitation and the like)",
}


class _Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, headers: dict[str, str]):
        self.upstream = urlsplit(upstream)
        self.extra = headers
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    def handle_error(self, request, client_address):
        # The suite drops connections on purpose in some checks; anything else is reported.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        for name, value in self.server.extra.items():
            if name.lower() not in (k.lower() for k in headers):
                headers[name] = value
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname, self.server.upstream.port, timeout=60
        )
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_OPTIONS = _forward


@pytest.fixture(scope="module")
def proxy_url(stack: Stack) -> Iterator[str]:
    if not (NODE.exists() and SUITE.exists()):
        pytest.fail("the conformance suite is not installed: run `make setup` (npm ci in tests/e2e/js)")
    proxy = _Proxy(stack.url, {"Authorization": f"Bearer {stack.mcp_key}", "X-Odoo-Database": stack.db})
    port = proxy.server_address[1]
    # The suite sends the Origin of the URL it tests (the proxy's); an administrator lists it, as
    # for any client whose origin is not web.base.url.
    stack.admin(
        "ir.config_parameter",
        "set_param",
        "mcp_server.allowed_origins",
        f"http://localhost:{port} http://127.0.0.1:{port}",
    )
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/mcp"
    finally:
        proxy.shutdown()
        proxy.server_close()
        stack.admin("ir.config_parameter", "set_param", "mcp_server.allowed_origins", "")


def suite_scenarios() -> list[str]:
    listed = subprocess.run(
        [str(NODE), str(SUITE), "list", "--server"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [line.split()[1] for line in listed.splitlines() if line.strip().startswith("- ")]


def test_every_scenario_of_the_suite_is_run_or_excluded_with_a_reason(proxy_url: str) -> None:
    unknown = [
        name
        for name in suite_scenarios()
        if name not in SCENARIOS
        and name not in EXCLUDED
        and not any(name.startswith(prefix) for prefix in EXCLUDED_PREFIXES)
    ]
    assert not unknown, f"scenarios neither run nor excluded: {unknown}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario(scenario: str, proxy_url: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [
            str(NODE),
            str(SUITE),
            "server",
            "--url",
            proxy_url,
            "--scenario",
            scenario,
            "--expected-failures",
            str(BASELINE),
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=JS_DIR,
    )
    checks = [c for path in tmp_path.rglob("checks.json") for c in json.loads(path.read_text())]
    assert checks, f"{scenario}: the suite ran no check\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
    summary = [line for line in run.stdout.splitlines() if line.strip().startswith(("~", "✓", "✗"))]
    assert run.returncode == 0, (
        f"{scenario}: exit {run.returncode} (unexpected failures or stale baseline entries):\n"
        + "\n".join(summary)
        + "\n"
        + json.dumps([c for c in checks if c.get("status") == "FAILURE"], indent=1)[:4000]
    )
