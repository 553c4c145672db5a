"""Soak: 4 MCP clients on ``/mcp`` against ``--workers 2`` for 10 minutes; errors and worker memory.

    .venv/bin/python -m benches.soak [--minutes 10] [--out benches/results/soak.json]

A fresh database (``mcp_server``, 200 seeded partners, the setup of ``benches.e2e`` plus create,
write and unlink on ``res.partner``). Four ``mcp.Client`` instances (the official Python SDK,
Streamable HTTP, 2026-07-28) loop over a mix of calls: ``search_records`` (80 rows),
``get_record``, ``aggregate_records``, and a ``create_record`` / ``update_record`` /
``delete_record`` cycle. Any exception or ``isError`` result is an error. Workers are started with
a request limit no run reaches, so the same processes serve the whole run; the resident memory
(``VmRSS``) of each worker is sampled every 30 s. The report: calls, errors, calls per second,
and per worker the RSS after the warm-up minute, at the end and its peak. Not part of
``make test``; benchmarks never gate CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import tempfile
import time
from pathlib import Path

import anyio

from benches.e2e import LOGIN, PASSWORD, SETUP_SCRIPT, _git_head
from benches.mcp_e2e import FIELDS, native_clients
from tests.harness.odoo_env import REPO, OdooServer, PgCluster, find_odoo, install_wheel, odoo_shell, run_odoo

RESULTS = REPO / "benches" / "results"
CLIENTS = 4
SAMPLE_EVERY = 30.0
WARMUP = 60.0
EXTRA_SETUP = """
env['mcp.enabled.model'].search([('model_name', '=', 'res.partner')]).write(
    dict(allow_write=True, allow_create=True, allow_unlink=True))
user.write({'group_ids': [(4, env.ref('base.group_partner_manager').id)]})
"""


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (the prefork workers of an Odoo master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def worker_rss(master: int) -> dict[int, int]:
    out = {}
    for pid in children(master):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        # The websocket process is started as `odoo-bin gevent ...`; the HTTP workers are forks of
        # the master, whose command line only names the gevent port.
        if b"\0gevent\0" in cmdline:
            continue
        rss = rss_kib(pid)
        if rss is not None:
            out[pid] = rss
    return out


async def soak(url: str, db: str, creds: dict, seconds: float, master: int) -> dict:
    counts = {"calls": 0, "errors": 0}
    errors: list[str] = []
    samples: list[dict] = []

    async def call(client, tool: str, arguments: dict) -> dict | None:
        counts["calls"] += 1
        try:
            result = await client.call_tool(tool, arguments)
        except Exception as exc:
            counts["errors"] += 1
            errors.append(f"{tool}: {exc!r}"[:300])
            return None
        if result.is_error:
            counts["errors"] += 1
            errors.append(f"{tool}: {[getattr(c, 'text', '') for c in result.content]}"[:300])
            return None
        return result.structured_content

    async def loop(client, index: int, deadline: float) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            await call(client, "search_records", {"model": "res.partner", "fields": FIELDS, "limit": 80})
            await call(client, "get_record", {"model": "res.partner", "record_id": creds["sample_id"]})
            await call(client, "aggregate_records", {"model": "res.partner", "groupby": ["is_company"]})
            created = await call(
                client, "create_record", {"model": "res.partner", "values": {"name": f"Soak {index}-{n}"}}
            )
            if created:
                record_id = created["record"]["id"]
                await call(
                    client,
                    "update_record",
                    {
                        "model": "res.partner",
                        "record_id": record_id,
                        "values": {"email": f"s{n}@example.com"},
                    },
                )
                await call(client, "delete_record", {"model": "res.partner", "record_id": record_id})

    async def sampler(started: float, deadline: float) -> None:
        while True:
            samples.append({"t": round(time.monotonic() - started, 1), "rss_kib": worker_rss(master)})
            if time.monotonic() >= deadline:
                return
            await anyio.sleep(min(SAMPLE_EVERY, max(0.0, deadline - time.monotonic())))

    async with native_clients(url, db, creds["mcp_key"], CLIENTS) as clients:
        started = time.monotonic()
        deadline = started + seconds
        async with anyio.create_task_group() as group:
            group.start_soon(sampler, started, deadline)
            for index, client in enumerate(clients):
                group.start_soon(loop, client, index, deadline)
        elapsed = time.monotonic() - started
    rate = counts["calls"] / elapsed
    return {
        **counts,
        "seconds": elapsed,
        "calls_per_second": rate,
        "errors_seen": errors[:20],
        "samples": samples,
    }


def summarise(samples: list[dict]) -> dict:
    after_warmup = next((s for s in samples if s["t"] >= WARMUP), samples[0])
    last = samples[-1]
    workers = {}
    for pid in sorted({pid for s in samples for pid in s["rss_kib"]}):
        series = [s["rss_kib"][pid] for s in samples if pid in s["rss_kib"]]
        start, end = after_warmup["rss_kib"].get(pid), last["rss_kib"].get(pid)
        workers[str(pid)] = {
            "rss_mib_after_warmup": None if start is None else round(start / 1024, 1),
            "rss_mib_end": None if end is None else round(end / 1024, 1),
            "rss_mib_peak": round(max(series) / 1024, 1),
            "growth_mib": None if start is None or end is None else round((end - start) / 1024, 1),
            "present_whole_run": len(series) == len(samples),
        }
    return workers


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "10")))
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    odoo, reason = find_odoo()
    if odoo is None:
        print(f"SKIPPED: no Odoo found ({reason})")
        return None
    install_wheel(odoo.python)
    commit = _git_head()
    work = Path(
        tempfile.mkdtemp(prefix="mcp-soak-", dir=REPO / ".work" if (REPO / ".work").is_dir() else None)
    )
    data_dir = work / "data"
    db = f"mcp_soak_{os.getpid()}"
    with PgCluster.from_env_or_new() as pg:
        try:
            proc = run_odoo(
                odoo, pg, db, data_dir, "-i", "mcp_server", "--stop-after-init", "--log-level=warn",
                log=work / "install.log", timeout=900,
            )  # fmt: skip
            if proc.returncode != 0:
                raise SystemExit(f"installing mcp_server failed; see {work / 'install.log'}")
            script = f"LOGIN = {LOGIN!r}\nPASSWORD = {PASSWORD!r}\nROWS = 200\n" + SETUP_SCRIPT
            script = script.replace("print('BENCH_SETUP '", EXTRA_SETUP + "print('BENCH_SETUP '")
            found = re.search(r"^BENCH_SETUP (.*)$", odoo_shell(odoo, pg, db, data_dir, script), re.MULTILINE)
            if not found:
                raise SystemExit("the setup script printed no credentials")
            creds = json.loads(found.group(1))
            server = OdooServer(
                odoo, pg, db, data_dir, workers=2, log=work / "odoo.log",
                extra=("--log-level=warn", "--limit-request=100000000"),
            ).start()  # fmt: skip
            try:
                assert server.proc is not None
                print(
                    f"soak: {args.minutes:g} min, {CLIENTS} clients on {server.url}/mcp, --workers 2",
                    flush=True,
                )
                measured = anyio.run(soak, server.url, db, creds, args.minutes * 60, server.proc.pid)
            finally:
                server.stop()
        finally:
            pg.drop_db(db)
    result = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "odoo": odoo.version(),
        "commit": commit,
        "minutes": args.minutes,
        "clients": CLIENTS,
        "workers": summarise(measured["samples"]),
        **measured,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"soak: {result['calls']} calls in {result['seconds']:.0f} s ({result['calls_per_second']:.1f}/s), "
        f"{result['errors']} errors"
    )
    for pid, got in result["workers"].items():
        print(f"  worker {pid}: {got}")
    for line in result["errors_seen"]:
        print(f"  error: {line}")
    return result


if __name__ == "__main__":
    main()
