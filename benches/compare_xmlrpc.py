"""Side-by-side timing of ``odoo_mcp_native.xmlrpc`` and its Python baselines, in one process.

Decode baseline: ``xmlrpc.client.loads(body, use_datetime=True)``. Encode baseline: Odoo 19's own
``odoo.addons.rpc.controllers.xmlrpc.dumps`` when this runs under Odoo's Python (ODOO_BIN's folder
or /opt/odoo19 on the path), else an equivalent ``xmlrpc.client.Marshaller`` subclass (said so in
the output). Rounds alternate between the two; medians and ratios are printed, then one JSON line.

    python benches/compare_xmlrpc.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from datetime import date
from typing import Any

from odoo_mcp_native import xmlrpc as codec

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.oracle import odoo_reference_dumps


def odoo_dumps() -> tuple[Callable[[Any], str], str]:
    root = os.path.dirname(os.environ["ODOO_BIN"]) if os.environ.get("ODOO_BIN") else "/opt/odoo19"
    try:
        sys.path.insert(0, root)
        import odoo.addons

        addons = os.path.join(root, "addons")
        if addons not in odoo.addons.__path__:
            odoo.addons.__path__.append(addons)
        from odoo.addons.rpc.controllers.xmlrpc import dumps

        return dumps, "odoo.addons.rpc.controllers.xmlrpc.dumps"
    except Exception as exc:
        sys.path.remove(root)
        return odoo_reference_dumps, f"fallback oracle (Odoo not importable: {type(exc).__name__}: {exc})"


def search_read(n: int) -> list[dict[str, Any]]:
    """A search_read result: 10 fields of the usual kinds per row."""
    return [
        {
            "id": i,
            "name": f"Partner {i} & Sons <main>",
            "active": i % 7 != 0,
            "credit_limit": i * 10.5,
            "parent_id": [i // 3 + 1, f"Company {i // 3 + 1}"] if i % 4 else False,
            "email": f"partner{i}@example.com",
            "date": date(2024, 1 + i % 12, 1 + i % 28),
            "phone": False,
            "user_id": [2, "Mitchell Admin"],
            "sequence": i % 100,
        }
        for i in range(n)
    ]


def execute_kw_request() -> bytes:
    params = (
        "odoo_db",
        2,
        "0123456789abcdef0123456789abcdef01234567",
        "res.partner",
        "search_read",
        [[["is_company", "=", True], ["customer_rank", ">", 0]]],
        {
            "fields": ["name", "email", "phone", "country_id", "parent_id"],
            "limit": 80,
            "offset": 0,
            "order": "name asc",
            "context": {"lang": "en_US", "tz": "Europe/Brussels", "allowed_company_ids": [1]},
        },
    )
    return xmlrpc.client.dumps(params, methodname="execute_kw").encode()


def large_request() -> bytes:
    rows = [
        {k: v for k, v in row.items() if k != "date"} | {"date": f"2024-01-{1 + i % 28:02d}"}
        for i, row in enumerate(search_read(1000))
    ]
    params = ("odoo_db", 2, "secret", "res.partner", "create", [rows])
    return xmlrpc.client.dumps(params, methodname="execute_kw").encode()


def median_time(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(name: str, ours: Callable[[], Any], base: Callable[[], Any], rounds: int, size: int) -> dict:
    # one call to size the inner loop to ~20 ms of baseline
    t = median_time(base, 1)
    number = max(1, int(0.02 / max(t, 1e-7)))
    our_times, base_times = [], []
    for _ in range(rounds):
        base_times.append(median_time(base, number))
        our_times.append(median_time(ours, number * 5))
    o, b = statistics.median(our_times), statistics.median(base_times)
    print(
        f"{name:32s} {size:>10,d} B   ours {o * 1e6:10.1f} us   baseline {b * 1e6:10.1f} us   x{b / o:6.1f}"
    )
    return {
        "case": name,
        "bytes": size,
        "ours_us": round(o * 1e6, 2),
        "baseline_us": round(b * 1e6, 2),
        "ratio": round(b / o, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    dumps, baseline = odoo_dumps()
    print(f"python {sys.version.split()[0]}; encode baseline: {baseline}")
    results = []
    for name, body in [
        ("decode/execute_kw_1k", execute_kw_request()),
        ("decode/large_1.1M", large_request()),
    ]:
        assert codec.loads(body)[1] == xmlrpc.client.loads(body, use_datetime=True)[1]
        results.append(
            compare(
                name,
                lambda body=body: codec.loads(body),
                lambda body=body: xmlrpc.client.loads(body, use_datetime=True),
                args.rounds,
                len(body),
            )
        )
    for n in (80, 1000):
        rows = search_read(n)
        ours = codec.dumps_response(rows)
        assert ours == dumps((rows,)).encode(), "outputs differ"
        results.append(
            compare(
                f"encode/search_read_{n}",
                lambda rows=rows: codec.dumps_response(rows),
                lambda rows=rows: dumps((rows,)).encode(),
                args.rounds,
                len(ours),
            )
        )
    print(json.dumps({"python": sys.version.split()[0], "encode_baseline": baseline, "results": results}))


if __name__ == "__main__":
    main()
