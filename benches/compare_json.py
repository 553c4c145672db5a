"""Side by side: the JSON codec of the native core against Python's ``json``, in one process.

The document is what ``/mcp`` answers to a ``search_records`` of 100 ``res.partner`` rows: the
JSON-RPC envelope, ``structuredContent`` and the same JSON as text. The baseline is what ``/mcp``
used before the core had a codec: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))
.encode()`` and ``json.loads(body)``. Rounds are interleaved (ours, baseline, ours, ...); the report
is the median time per call and the ratio baseline / ours (above 1: ours is faster). The last
line is a one-line JSON summary.

    .venv/bin/python -m benches.compare_json [--quick]

Goal: 5x on both. Benchmarks never gate CI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from odoo_mcp_native import json as native_json

NAMES = ["Alice Janssens", "Bruno Peeters", "Chloé Dubois", "Dries de Vries", "Émile Müller"]


def search_read_result(rows: int = 100) -> dict:
    records = [
        {
            "id": 1000 + i,
            "name": NAMES[i % len(NAMES)] + f" {i}",
            "display_name": f"Atlas Logistics SA, {NAMES[i % len(NAMES)]} {i}",
            "email": f"contact{i}@atlas-logistics.example.com",
            "phone": f"+32 2 555 {i:04d}",
            "street": f"Rue de la Loi {i}",
            "city": "Brussels",
            "zip": "1000",
            "country_id": [20, "Belgium"],
            "parent_id": [7, "Atlas Logistics SA"] if i % 3 else False,
            "is_company": i % 5 == 0,
            "function": "Sales Manager" if i % 2 else False,
            "credit_limit": 1500.0 + i * 12.5,
            "category_id": [1, 4, 9][: i % 4],
            "write_date": "2026-11-02 10:11:12",
            "comment": f'<p>Prefers e-mail. Line one\nline two "quoted" #{i}</p>',
        }
        for i in range(rows)
    ]
    structured = {"records": records, "total": 5000, "limit": rows, "offset": 0, "model": "res.partner"}
    text = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    return {
        "jsonrpc": "2.0",
        "id": 42,
        "result": {
            "resultType": "complete",
            "content": [{"type": "text", "text": text}],
            "structuredContent": structured,
            "isError": False,
        },
    }


def per_call_us(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - start) / n / 1000


def interleaved(cases: dict[str, Callable[[], object]], n: int, rounds: int) -> dict[str, float]:
    for fn in cases.values():
        per_call_us(fn, max(1, n // 5))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(per_call_us(fn, n))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n, rounds = (20, 5) if args.quick else (100, 21)
    document = search_read_result()
    body = native_json.dumps(document)
    baseline_body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    assert body == baseline_body, "the codec must write what the baseline writes"
    assert native_json.loads(body) == json.loads(body)

    dumps = interleaved(
        {
            "native": lambda: native_json.dumps(document),
            "json": lambda: json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
            "json (defaults)": lambda: json.dumps(document),
        },
        n,
        rounds,
    )
    loads = interleaved(
        {"native": lambda: native_json.loads(body), "json": lambda: json.loads(body)}, n, rounds
    )
    summary = {
        "document_bytes": len(body),
        "rounds": rounds,
        "calls_per_round": n,
        "dumps_us": dumps,
        "loads_us": loads,
        "dumps_ratio": dumps["json"] / dumps["native"],
        "dumps_ratio_vs_defaults": dumps["json (defaults)"] / dumps["native"],
        "loads_ratio": loads["json"] / loads["native"],
    }
    print(f"JSON codec, /mcp search_records result of 100 rows ({len(body):,} bytes), {rounds} rounds:")
    for op, got in (("dumps", dumps), ("loads", loads)):
        for name, us in got.items():
            print(f"  {op:<6}{name:<18}{us:>9.1f} us")
    print(
        f"  ratio json/native: dumps {summary['dumps_ratio']:.2f}x "
        f"(json.dumps defaults: {summary['dumps_ratio_vs_defaults']:.2f}x), "
        f"loads {summary['loads_ratio']:.2f}x (goal 5x)"
    )
    print(json.dumps({"compare_json": summary}))
    if not args.quick:
        out = Path(__file__).parent / "results" / "json-codec.json"
        out.write_text(json.dumps(summary, indent=1) + "\n")
    return summary


if __name__ == "__main__":
    main()
