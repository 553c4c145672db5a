"""Rewrite the README's end-to-end table from ``benches/results/e2e.json``: no hand-typed numbers.

    .venv/bin/python -m benches.readme [--results benches/results/e2e.json] [--check]

Replaces what lies between ``<!-- bench:e2e:start -->`` and ``<!-- bench:e2e:end -->`` in README.md.
``--check`` only says whether the README is up to date with the results (exit 1 when not).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- bench:e2e:start -->", "<!-- bench:e2e:end -->"
GATE = ("auth", "user", "rate", "decide")


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(result: dict) -> str:
    cfg = result["config"]
    lines = [
        f"Measured {result['generated']} on {result['machine']['cpus']} CPU(s) ({result['machine']['cpu']}), "
        f"{result['odoo']}, commit `{result['commit']}`: {cfg['rows']:,} partners, "
        f"{cfg['rounds']} interleaved rounds of {cfg['slice']} s slices per variant; medians over rounds. "
        "*rps / best* is requests per second of the MCP variant over the best native variant of the same "
        "call, concurrency and server mode, paired round by round (above 1.0: MCP is faster); "
        "*p99 / best* likewise for p99 latency (below 1.0: MCP is better). Regenerate with `make bench`.",
        "",
    ]
    for mode, got in result["modes"].items():
        lines += [
            f"**{mode}** (`--workers {got['workers']}`)",
            "",
            "| call | c | way | rps | p50 ms | p99 ms | rps / best | p99 / best |",
            "|---|--:|---|--:|--:|--:|--:|--:|",
        ]
        for row in got["variants"].values():
            lines.append(
                f"| {row['call']} | {row['concurrency']} | {row['way']} | {_num(row['rps'], '.0f')} "
                f"| {_num(row['p50_ms'], '.2f')} | {_num(row['p99_ms'], '.2f')} "
                f"| {_num(row.get('rps_ratio'), '.2f')} | {_num(row.get('p99_ratio'), '.2f')} |"
            )
        lines.append("")
    # The breakdown: threaded mode (one process, the clearest picture), concurrency 1.
    mode, got = next(iter(result["modes"].items()))
    phases = ("decode", "parse", "auth", "user", "rate", "decide", "odoo", "encode", "other", "log")
    lines += [
        f"Where an MCP request spends its time ({mode}, concurrency 1; `Server-Timing`, median µs; "
        "*gate* = auth + user + rate + decide; *outside* = client latency minus the phases: Odoo's HTTP "
        "layer before and after the route, the TCP connect and the client):",
        "",
        "| call | way | " + " | ".join(phases) + " | **gate** | outside |",
        "|---|---|" + "--:|" * (len(phases) + 2),
    ]
    for row in got["variants"].values():
        timing = row.get("timing_ms")
        if not timing or row["concurrency"] != 1:
            continue
        cells = [_num(timing.get(p) * 1000 if timing.get(p) is not None else None, ".0f") for p in phases]
        gate = _num(timing["gate"] * 1000 if timing.get("gate") is not None else None, ".0f")
        outside = timing.get("outside_phases")
        lines.append(
            f"| {row['call']} | {row['way']} | "
            + " | ".join(cells)
            + f" | **{gate}** | {_num(outside * 1000 if outside is not None else None, '.0f')} |"
        )
    gate = result.get("gate_in_process")
    if gate:
        lines += [
            "",
            "The same steps in process, without HTTP or load (median µs and SQL queries per call, "
            "fresh record cache as in a new request, warm credential cache and ormcaches; "
            "`benches/gate.py`):",
            "",
            "| step | µs | queries |",
            "|---|--:|--:|",
        ]
        lines += [f"| {step} | {got['us']:.1f} | {got['queries']:.0f} |" for step, got in gate.items()]
    lines += _rate_limit(result.get("rate_limit"))
    costs = [
        f"{name}: {ab['rps_ratio_on_off']:.3f}"
        for got in result["modes"].values()
        for name, ab in got.get("server_timing_cost", {}).items()
        if ab.get("rps_ratio_on_off")
    ]
    if costs:
        lines += [
            "",
            "Cost of `Server-Timing` itself (rps with it on / off, paired): " + "; ".join(costs) + ".",
        ]
    return "\n".join(lines)


def _rate_limit(got: dict | None) -> list[str]:
    """The shared rate limit's tables (``benches/ratelimit.py``), when the run has them."""
    if not got:
        return []
    limiter = got["limiter_us"]
    lines = [
        "",
        "The shared rate limit in process (`benches/ratelimit.py`; median µs per call, interleaved): one "
        "check of the limit every worker and host shares, beside the per-process limiter it replaces, "
        "and the gate's rate step with rate limiting off and on:",
        "",
        "| step | µs |",
        "|---|--:|",
    ]
    lines += [f"| {name} | {us:.1f} |" for name, us in limiter.items()]
    growth = got["gate_growth_us"]
    models = sorted({int(k.split()[0]) for k in growth if k.endswith(" keys") and "models" in k})
    keys = sorted({int(k.split(", ")[1].split()[0]) for k in growth if "models" in k})
    base = growth.get(f"{models[0]} models, {keys[0]} keys") if models and keys else None
    lines += [
        "",
        "The gate per request (auth with a warm credential cache, member, rate, decide; median µs, and "
        "the ratio to 1 model and 1 key) as the deployment grows: enabled models are permission-matrix "
        "rows, keys are verified-credential cache entries, per-key limits and live rows of the shared "
        "rate state:",
        "",
        "| enabled models | " + " | ".join(f"{k:,} keys" for k in keys) + " |",
        "|--:|" + "--:|" * len(keys),
    ]
    for m in models:
        cells = []
        for k in keys:
            us = growth.get(f"{m} models, {k} keys")
            ratio = f" ({us / base:.2f})" if us and base else ""
            cells.append(f"{_num(us, '.1f')}{ratio}")
        lines.append(f"| {m:,} | " + " | ".join(cells) + " |")
    f = got["flood"]
    lines += [
        "",
        f"A flood of {f['bad_keys']:,} failed authentications, each from a distinct address (the first "
        f"{f['checked_keys']:,} with a distinct bad MCP key), in one worker "
        f"({f['us_per_bad_key']:.0f} µs each): worker memory {f['rss_kib_before'] / 1024:.1f} → "
        f"{f['rss_kib_after'] / 1024:.1f} MiB; shared state {f['rows_before']:,} → {f['rows_after']:,} "
        f"rows (at most {f['rows_peak']:,} on the way), {f['table_bytes_before'] / 1024:.0f} → "
        f"{f['table_bytes_after'] / 1024:.0f} KiB (at most {f['table_bytes_peak'] / 1024:.0f} KiB, "
        f"{f.get('table_bytes_after_vacuum', 0) / 1024:.0f} KiB after a `VACUUM`); "
        f"verified-credential cache: {f['credential_cache_entries']:,} entries.",
    ]
    return lines


def rewrite(readme: str, table: str, start_marker: str = START, end_marker: str = END) -> str:
    start, end = readme.find(start_marker), readme.find(end_marker)
    if start < 0 or end < start:
        raise SystemExit(f"README.md has no {start_marker} ... {end_marker} markers")
    return readme[: start + len(start_marker)] + "\n" + table + "\n" + readme[end:]


MCP_START, MCP_END = "<!-- bench:mcp:start -->", "<!-- bench:mcp:end -->"


def render_mcp(mcp: dict | None, codec: dict | None) -> str:
    """The ``/mcp`` table: ``benches/results/mcp-e2e.json`` and ``json-codec.json``."""
    lines: list[str] = []
    if codec is not None:
        native, baseline = codec["dumps_us"], codec["loads_us"]
        lines += [
            "JSON codec (`odoo_mcp_native.json`) on the `/mcp` answer to a 100-row `search_records` "
            f"({codec['document_bytes']:,} bytes), median of {codec['rounds']} interleaved rounds, "
            "against what `/mcp` used before (`json.dumps(..., ensure_ascii=False, "
            "separators=(',', ':'))`, `json.loads`):",
            "",
            "| op | native µs | json µs | json / native |",
            "|---|--:|--:|--:|",
            f"| dumps | {native['native']:.0f} | {native['json']:.0f} | {codec['dumps_ratio']:.2f} |",
            f"| loads | {baseline['native']:.0f} | {baseline['json']:.0f} | {codec['loads_ratio']:.2f} |",
            "",
        ]
    if mcp is not None:
        cfg = mcp["config"]
        lines += [
            "`/mcp` against the bridge (`mcp-server-odoo` over stdio to `/mcp/xmlrpc/object`), measured "
            f"{mcp['generated']} on {mcp['machine']['cpus']} CPU(s), {mcp['odoo']}, "
            f"commit `{mcp['commit']}`, `--workers {cfg['workers']}`, the official Python SDK as the "
            f"client of both, {cfg['rounds']} interleaved rounds (p50 of {cfg['calls']} sequential "
            f"calls; calls per second of {cfg['clients']} concurrent clients over {cfg['seconds']:g} s); "
            "medians over rounds. *gain*: bridge / `/mcp` for latency, `/mcp` / bridge for throughput "
            "(above 1.0: `/mcp` is better; goal 3).",
            "",
            "| call | metric | /mcp | bridge | gain |",
            "|---|---|--:|--:|--:|",
        ]
        for metric, ratio in mcp["ratios"].items():
            latency = metric.endswith("_p50_ms")
            call = metric.removesuffix("_p50_ms") if latency else metric.removesuffix("_cps")
            label = "p50 ms" if latency else f"calls/s, {cfg['clients']} clients"
            ours, bridge = mcp["ways"]["mcp"][metric], mcp["ways"]["bridge"][metric]
            lines.append(f"| {call} | {label} | {ours:.1f} | {bridge:.1f} | {ratio:.2f} |")
        lines.append("")
        raw = mcp.get("raw_http_p50_ms")
        if raw:
            lines += [
                "The same `tools/call` on `/mcp` as bare HTTP (no client library; p50 ms): "
                + ", ".join(f"`{call}` {p50:.1f}" for call, p50 in raw.items())
                + " (a new connection and Python's `json.loads` of the answer per call; the `/mcp` column "
                "above is the Python SDK's client, the same client the bridge column uses).",
                "",
            ]
    return "\n".join(lines) if lines else "(no `/mcp` results yet: run `make bench`)"


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "benches" / "results" / "e2e.json")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme = args.readme.read_text()
    new = rewrite(readme, render(json.loads(args.results.read_text())))
    if MCP_START in new:
        results = args.results.parent
        mcp_table = render_mcp(_load(results / "mcp-e2e.json"), _load(results / "json-codec.json"))
        new = rewrite(new, mcp_table, MCP_START, MCP_END)
    if args.check:
        print(
            "README.md is up to date" if new == readme else "README.md is stale: run python -m benches.readme"
        )
        return 0 if new == readme else 1
    if new != readme:
        args.readme.write_text(new)
        print(f"README.md: rewrote the table from {args.results.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
