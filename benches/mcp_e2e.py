"""End to end: the same MCP tool call through ``/mcp`` and through the bridge, in one run.

    .venv/bin/python -m benches.mcp_e2e [--quick] [--out benches/results/mcp-e2e.json]

One Odoo 19 (``--workers 2``, a fresh database with ``mcp_server`` and 1,000 seeded partners, the
setup of ``benches.e2e``). Both ways use the official Python SDK ``mcp`` as the client and the same
MCP key:

* **/mcp**: ``mcp.Client`` over Streamable HTTP to ``/mcp`` (2026-07-28, stateless);
* **bridge**: ``mcp.ClientSession`` over stdio to ``mcp-server-odoo`` (PyPI), which calls
  ``/mcp/xmlrpc/object`` (the way an assistant reaches Odoo without ``/mcp``).

Calls: ``search_records`` (80 rows, fixed fields) and ``get_record`` (one id, fixed fields). Each
round runs, for each way in alternating order: a latency slice (``BENCH_CALLS`` sequential calls
of each tool on one client, its p50) and a throughput slice per tool (4 clients calling
concurrently for ``BENCH_SECONDS``, calls per second). The report is the median over rounds of
each figure and the ratio bridge / ``/mcp`` (above 1: ``/mcp`` is better). Both ways return the
same records (checked before measuring). Beside them, the same ``tools/call`` as bare HTTP (no
client library, p50 per round) shows what ``/mcp`` itself takes. Benchmarks never gate CI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import anyio

from benches.e2e import LOGIN, PASSWORD, SETUP_SCRIPT, _cpu_model, _git_head
from tests.harness.odoo_env import REPO, OdooServer, PgCluster, find_odoo, install_wheel, odoo_shell, run_odoo

RESULTS = REPO / "benches" / "results"
FIELDS = ["name", "email", "phone", "city", "country_id", "parent_id", "is_company", "function"]
CLIENTS = 4


def calls(sample_id: int) -> dict[str, tuple[str, dict]]:
    return {
        "search_records": (
            "search_records",
            {"model": "res.partner", "domain": [], "fields": FIELDS, "limit": 80, "order": "id"},
        ),
        "get_record": ("get_record", {"model": "res.partner", "record_id": sample_id, "fields": FIELDS}),
    }


@contextlib.asynccontextmanager
async def native_clients(url: str, db: str, key: str, n: int):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with contextlib.AsyncExitStack() as stack:
        sessions = []
        for _ in range(n):
            http = await stack.enter_async_context(
                create_mcp_http_client(headers={"Authorization": f"Bearer {key}", "X-Odoo-Database": db})
            )
            client = await stack.enter_async_context(
                Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="auto")
            )
            assert client.protocol_version == "2026-07-28", client.protocol_version
            sessions.append(client)
        yield sessions


@contextlib.asynccontextmanager
async def bridge_clients(url: str, db: str, key: str, n: int, work: Path):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    python = str(REPO / ".venv" / "bin" / "python")
    async with contextlib.AsyncExitStack() as stack:
        sessions = []
        for i in range(n):
            cwd = work / f"bridge-{i}"
            cwd.mkdir(exist_ok=True)
            params = StdioServerParameters(
                command=python,
                args=["-m", "mcp_server_odoo"],
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(cwd),
                    "ODOO_URL": url,
                    "ODOO_DB": db,
                    "ODOO_API_KEY": key,
                    "ODOO_MCP_LOG_LEVEL": "WARNING",
                },
                cwd=str(cwd),
            )
            errlog = stack.enter_context((work / f"bridge-{i}.log").open("a"))
            read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
            session = await stack.enter_async_context(ClientSession(read, write))
            with anyio.fail_after(120):
                await session.initialize()
            sessions.append(session)
        yield sessions


async def call_once(session, tool: str, arguments: dict) -> dict:
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {[getattr(c, 'text', '') for c in result.content]}")
    return result.structured_content


async def latency(session, tool: str, arguments: dict, n: int) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call_once(session, tool, arguments)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def throughput(sessions, tool: str, arguments: dict, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(session) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call_once(session, tool, arguments)
            done += 1

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for session in sessions:
            group.start_soon(worker, session)
    return done / (time.perf_counter() - started)


def raw_call(url: str, db: str, key: str, tool: str, arguments: dict) -> float:
    """One ``tools/call`` as bare HTTP (no MCP client library): milliseconds to the full answer."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {
                "name": tool,
                "arguments": arguments,
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {key}",
        "X-Odoo-Database": db,
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/mcp", body, headers), timeout=60) as answer:
        payload = json.loads(answer.read())
    elapsed = (time.perf_counter() - started) * 1000
    if payload.get("result", {}).get("isError") or "error" in payload:
        raise RuntimeError(f"{tool} failed: {payload}")
    return elapsed


def ids_of(structured: dict) -> list[int]:
    if "records" in structured:
        return [row["id"] for row in structured["records"]]
    return [structured["record"]["id"]]


async def measure(url: str, db: str, creds: dict, cfg: dict, work: Path) -> dict:
    plan = calls(creds["sample_id"])
    samples: dict[str, dict[str, list[float]]] = {
        way: {f"{name}_{m}": [] for name in plan for m in ("p50_ms", "cps")} for way in ("mcp", "bridge")
    }
    # The server's side alone: the same tools/call as bare HTTP, no client library.
    raw: dict[str, list[float]] = {name: [] for name in plan}
    async with (
        native_clients(url, db, creds["mcp_key"], CLIENTS) as native,
        bridge_clients(url, db, creds["mcp_key"], CLIENTS, work) as bridge,
    ):
        ways = {"mcp": native, "bridge": bridge}
        for name, (tool, arguments) in plan.items():  # same answer both ways, and a warm-up
            got = {
                way: ids_of(await call_once(sessions[0], tool, arguments)) for way, sessions in ways.items()
            }
            assert got["mcp"] == got["bridge"], f"{name}: /mcp and the bridge disagree: {got}"
            assert name != "search_records" or len(got["mcp"]) == 80
            for sessions in ways.values():
                for session in sessions:
                    for _ in range(3):
                        await call_once(session, tool, arguments)
        for round_no in range(cfg["rounds"]):
            order = ["mcp", "bridge"] if round_no % 2 == 0 else ["bridge", "mcp"]
            for name, (tool, arguments) in plan.items():
                raw[name].append(
                    statistics.median(
                        raw_call(url, db, creds["mcp_key"], tool, arguments) for _ in range(cfg["calls"])
                    )
                )
            for way in order:
                for name, (tool, arguments) in plan.items():
                    samples[way][f"{name}_p50_ms"].append(
                        await latency(ways[way][0], tool, arguments, cfg["calls"])
                    )
                    samples[way][f"{name}_cps"].append(
                        await throughput(ways[way], tool, arguments, cfg["seconds"])
                    )
            print(
                f"  round {round_no + 1}/{cfg['rounds']}: "
                + ", ".join(
                    f"{way} {metric} {values[-1]:.1f}"
                    for way, got in samples.items()
                    for metric, values in got.items()
                ),
                flush=True,
            )
    result: dict = {"ways": {}, "ratios": {}}
    for way, got in samples.items():
        result["ways"][way] = {metric: statistics.median(values) for metric, values in got.items()}
    for metric in result["ways"]["mcp"]:
        bridge, native = result["ways"]["bridge"][metric], result["ways"]["mcp"][metric]
        # latency: bridge / mcp; throughput: mcp / bridge (both: above 1 means /mcp is better)
        result["ratios"][metric] = bridge / native if metric.endswith("_ms") else native / bridge
    result["raw_http_p50_ms"] = {name: statistics.median(values) for name, values in raw.items()}
    result["samples"] = {**samples, "raw_http_p50_ms": raw}
    return result


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    cfg = {
        "rows": 1000,
        "rounds": int(os.environ.get("BENCH_ROUNDS", "2" if args.quick else "5")),
        "calls": int(os.environ.get("BENCH_CALLS", "10" if args.quick else "30")),
        "seconds": float(os.environ.get("BENCH_SECONDS", "2" if args.quick else "5")),
        "clients": CLIENTS,
        "workers": 2,
    }
    out = args.out or RESULTS / ("mcp-e2e-quick.json" if args.quick else "mcp-e2e.json")
    odoo, reason = find_odoo()
    if odoo is None:
        print(f"SKIPPED: no Odoo found ({reason})")
        return None
    install_wheel(odoo.python)
    commit = _git_head()
    work = Path(
        tempfile.mkdtemp(prefix="mcp-e2e-", dir=REPO / ".work" if (REPO / ".work").is_dir() else None)
    )
    data_dir = work / "data"
    db = f"mcp_e2e_bench_{os.getpid()}"
    started = time.monotonic()
    with PgCluster.from_env_or_new() as pg:
        try:
            proc = run_odoo(
                odoo, pg, db, data_dir, "-i", "mcp_server", "--stop-after-init", "--log-level=warn",
                log=work / "install.log", timeout=900,
            )  # fmt: skip
            if proc.returncode != 0:
                raise SystemExit(f"installing mcp_server failed; see {work / 'install.log'}")
            script = f"LOGIN = {LOGIN!r}\nPASSWORD = {PASSWORD!r}\nROWS = {cfg['rows']}\n" + SETUP_SCRIPT
            found = re.search(r"^BENCH_SETUP (.*)$", odoo_shell(odoo, pg, db, data_dir, script), re.MULTILINE)
            if not found:
                raise SystemExit("the setup script printed no credentials")
            creds = json.loads(found.group(1))
            print(f"mcp_e2e: database {db} ready in {time.monotonic() - started:.0f} s", flush=True)
            server = OdooServer(
                odoo, pg, db, data_dir, workers=cfg["workers"], log=work / "odoo.log",
                extra=("--log-level=warn",),
            ).start()  # fmt: skip
            try:
                measured = anyio.run(measure, server.url, db, creds, cfg, work)
            finally:
                server.stop()
        finally:
            pg.drop_db(db)
    result = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "odoo": odoo.version(),
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model()},
        "commit": commit,
        "config": cfg,
        **measured,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print_report(result)
    print(f"mcp_e2e: wrote {out} in {time.monotonic() - started:.0f} s")
    return result


def print_report(result: dict) -> None:
    ways, ratios = result["ways"], result["ratios"]
    print(f"\n/mcp against the bridge (median of {result['config']['rounds']} interleaved rounds):")
    print(f"  {'metric':<28}{'/mcp':>10}{'bridge':>10}{'ratio':>8}  (goal 3x)")
    for metric in ways["mcp"]:
        mcp, bridge = ways["mcp"][metric], ways["bridge"][metric]
        print(f"  {metric:<28}{mcp:>10.1f}{bridge:>10.1f}{ratios[metric]:>7.2f}x")
    for name, p50 in result.get("raw_http_p50_ms", {}).items():
        print(f"  {name} as bare HTTP tools/call on /mcp (no client library): p50 {p50:.1f} ms")


if __name__ == "__main__":
    main()
