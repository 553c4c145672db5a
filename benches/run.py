"""``make bench``: every benchmark of the project in one command.

1. criterion benches of the core (``cargo bench -p odoo-mcp-core``, short warm-up and measurement);
2. the in-process comparisons of the native core: ``compare_core.py`` here, ``compare_xmlrpc.py``
   under Odoo's Python (against Odoo's own marshaller) when an Odoo is found;
3. the end-to-end run (``benches.e2e``): ``/mcp/xmlrpc/object`` against ``/xmlrpc/2/object`` on a
   real Odoo 19, threaded then prefork; its JSON lands in ``benches/results/e2e.json`` and the
   README's Performance table is regenerated from it (``benches.readme``);
4. ``/mcp`` against the bridge (``benches.mcp_e2e``): the same tool calls through the native
   endpoint and through ``mcp-server-odoo`` over stdio, ``--workers 2``; its JSON lands in
   ``benches/results/mcp-e2e.json`` and feeds the README's ``/mcp`` table with the codec ratio.

Without an Odoo, the Odoo parts print ``SKIPPED: no Odoo found (reason)``.

Environment: BENCH_PARTS (comma list of ``criterion,compare,e2e,mcp``; default all), BENCH_QUICK=1
(short everything, results to ``e2e-quick.json``, README untouched), CRITERION_ARGS (default
``--warm-up-time 1 --measurement-time 3``), and those of ``benches.e2e`` (BENCH_SECONDS,
BENCH_ROUNDS, BENCH_ROWS, BENCH_AB_PAIRS, BENCH_MODES). About 12-15 minutes on two cores.
Benchmarks never gate CI: this exits non-zero only when a part fails to run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time

from benches import e2e, mcp_e2e, readme
from tests.harness.odoo_env import REPO, find_odoo, install_wheel


def banner(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}", flush=True)


def run(cmd: list[str], timeout: float, **kw) -> bool:
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        return subprocess.run(cmd, cwd=REPO, timeout=timeout, check=False, **kw).returncode == 0
    except subprocess.TimeoutExpired:
        print(f"timed out after {timeout:.0f} s", flush=True)
        return False


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parts = os.environ.get("BENCH_PARTS", "criterion,compare,e2e,mcp").split(",")
    failed: list[str] = []
    timings: dict[str, float] = {}
    odoo, reason = find_odoo()

    if "criterion" in parts:
        banner("criterion: cargo bench -p odoo-mcp-core")
        started = time.monotonic()
        default = (
            "--warm-up-time 0.3 --measurement-time 1" if quick else "--warm-up-time 1 --measurement-time 3"
        )
        args = shlex.split(os.environ.get("CRITERION_ARGS", default))
        if not run(["cargo", "bench", "-p", "odoo-mcp-core", "--", *args], timeout=1800):
            failed.append("criterion")
        timings["criterion"] = time.monotonic() - started

    if "compare" in parts:
        banner("compare_core.py: the native core against Python baselines, in one process")
        started = time.monotonic()
        quick_flag = ["--quick"] if quick else []
        if not run([sys.executable, "benches/compare_core.py", *quick_flag], timeout=900):
            failed.append("compare_core")
        banner("compare_json.py: the native JSON codec against json.dumps/json.loads, in one process")
        if not run([sys.executable, "-m", "benches.compare_json", *quick_flag], timeout=600):
            failed.append("compare_json")
        banner("compare_xmlrpc.py: the native codec against xmlrpc.client and Odoo's marshaller")
        if odoo is None:
            print(f"SKIPPED: no Odoo found ({reason}); comparing against xmlrpc.client only", flush=True)
            python, env = sys.executable, None
        else:
            install_wheel(odoo.python)
            python = str(odoo.python)
            # the script imports Odoo's marshaller from ODOO_BIN's folder
            env = {**os.environ, "ODOO_BIN": str(odoo.bin)}
        rounds = ["--rounds", "5"] if quick else []
        if not run([python, "benches/compare_xmlrpc.py", *rounds], timeout=900, env=env):
            failed.append("compare_xmlrpc")
        timings["compare"] = time.monotonic() - started

    if "e2e" in parts:
        banner("end to end: /mcp/xmlrpc/object against Odoo's /xmlrpc/2/object")
        started = time.monotonic()
        if odoo is None:
            print(f"SKIPPED: no Odoo found ({reason})", flush=True)
        else:
            try:
                result = e2e.main(["--quick"] if quick else [])
            except (Exception, SystemExit) as exc:  # report and go on: benchmarks never gate
                print(f"e2e failed: {exc!r}", flush=True)
                failed.append("e2e")
                result = None
            if result is not None and not quick:
                readme.main([])
        timings["e2e"] = time.monotonic() - started

    if "mcp" in parts:
        banner("end to end: /mcp against the bridge (mcp-server-odoo over stdio to /mcp/xmlrpc/object)")
        started = time.monotonic()
        if odoo is None:
            print(f"SKIPPED: no Odoo found ({reason})", flush=True)
        else:
            try:
                result = mcp_e2e.main(["--quick"] if quick else [])
            except (Exception, SystemExit) as exc:  # report and go on: benchmarks never gate
                print(f"mcp_e2e failed: {exc!r}", flush=True)
                failed.append("mcp")
                result = None
            if result is not None and not quick and (e2e.RESULTS / "e2e.json").exists():
                readme.main([])
        timings["mcp"] = time.monotonic() - started

    banner("bench: done")
    for part, seconds in timings.items():
        print(f"  {part:<10} {seconds:>6.0f} s")
    if failed:
        print(f"  did not complete: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
