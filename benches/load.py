"""The load client of the end-to-end bench: a separate process on loopback, stdlib only.

    python -m benches.load PLAN.json RESULT.json

The plan lists variants (a path, a pre-encoded XML-RPC body, a concurrency) and how long a slice
lasts. Every round runs one slice of every variant, in a shuffled order (seeded), so that drift of
the machine (other users of its two cores, CPU frequency) hits every variant alike; the caller takes
medians over rounds. Each worker thread keeps one ``http.client`` connection: HTTP/1.1 keep-alive
where the server allows it. Odoo's built-in server answers HTTP/1.0 and closes the connection after
every response, so there a request usually includes its TCP connect; the result counts how many
responses closed their connection.

Every request carries ``X-Odoo-Database``. A response that is not HTTP 200 or carries its API's
error marker (an XML-RPC ``<fault>``, a JSON-RPC ``"error"``) counts as an error, not as a latency
sample. Every loop is bounded in time and count.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path
from urllib.parse import urlsplit

from benches.procstat import sample

#: A slice stops early after this many errors (a broken variant must not spin for its whole slice).
MAX_ERRORS = 20
#: No worker sends more than this many requests in one slice.
MAX_REQUESTS_PER_WORKER = 200_000
TIMEOUT = 30.0


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def parse_server_timing(header: str) -> dict[str, float]:
    """``decode;dur=0.123, parse;dur=0.010`` -> ``{"decode": 0.123, "parse": 0.010}`` (ms)."""
    out: dict[str, float] = {}
    for item in header.split(","):
        name, _, dur = item.strip().partition(";dur=")
        if dur:
            out[name] = float(dur)
    return out


class Slice:
    """``concurrency`` threads sending one variant's request for ``seconds``."""

    def __init__(self, host: str, port: int, variant: dict, db: str, seconds: float):
        self.host, self.port = host, port
        self.variant = variant
        self.body = variant["body"].encode()
        self.headers = {
            "Content-Type": "text/xml",
            **variant.get("headers", {}),
            "X-Odoo-Database": db,
            "User-Agent": "mcp-bench/1",
        }
        marker = variant.get("error_marker", "<fault>")
        self.error_marker = marker.encode() if marker else None
        self.seconds = seconds
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.timings: list[str] = []
        self.errors = 0
        self.closed = 0
        self.first_error: str | None = None

    def _worker(self, start: threading.Barrier, deadline_box: list[float]) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        latencies: list[float] = []
        timings: list[str] = []
        errors = closed = 0
        first_error = None
        path, body, headers = self.variant["path"], self.body, self.headers
        start.wait()
        deadline = deadline_box[0]
        try:
            for _ in range(MAX_REQUESTS_PER_WORKER):
                t0 = time.perf_counter()
                if t0 >= deadline or errors >= MAX_ERRORS:
                    break
                try:
                    conn.request("POST", path, body, headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    errors += 1
                    first_error = first_error or repr(exc)
                    conn.close()
                    continue
                t1 = time.perf_counter()
                if resp.will_close:
                    closed += 1
                if resp.status != 200 or (self.error_marker is not None and self.error_marker in data):
                    errors += 1
                    first_error = first_error or f"HTTP {resp.status}: {data[:300]!r}"
                    continue
                latencies.append(t1 - t0)
                timing = resp.getheader("Server-Timing")
                if timing:
                    timings.append(timing)
        finally:
            conn.close()
        with self.lock:
            self.latencies += latencies
            self.timings += timings
            self.errors += errors
            self.closed += closed
            self.first_error = self.first_error or first_error

    def run(self) -> dict:
        concurrency = self.variant["concurrency"]
        deadline_box = [0.0]
        start = threading.Barrier(concurrency + 1)
        threads = [
            threading.Thread(target=self._worker, args=(start, deadline_box), daemon=True)
            for _ in range(concurrency)
        ]
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        deadline_box[0] = t0 + self.seconds
        start.wait()
        for t in threads:
            t.join(self.seconds + TIMEOUT + 5)
        elapsed = time.perf_counter() - t0
        return self.summary(elapsed)

    def summary(self, elapsed: float) -> dict:
        lat = sorted(self.latencies)
        n = len(lat)
        out = {
            "variant": self.variant["name"],
            "n": n,
            "elapsed_s": round(elapsed, 4),
            "rps": n / elapsed if elapsed > 0 else 0.0,
            "p50_ms": percentile(lat, 0.50) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000,
            "errors": self.errors,
            "closed_connections": self.closed,
            "first_error": self.first_error,
        }
        if self.timings:
            phases: dict[str, list[float]] = {}
            gates: list[float] = []
            server: list[float] = []
            outside: list[float] = []
            # Server-Timing and latency line up only when every request answered one; use the
            # per-request pairing for "outside" only then.
            paired = len(self.timings) == n
            for i, header in enumerate(self.timings):
                parsed = parse_server_timing(header)
                for phase, ms in parsed.items():
                    phases.setdefault(phase, []).append(ms)
                gates.append(sum(parsed.get(p, 0.0) for p in ("auth", "user", "rate", "decide")))
                total = sum(parsed.values())
                server.append(total)
                if paired:
                    outside.append(self.latencies[i] * 1000 - total)
            out["timing"] = {phase: statistics.median(v) for phase, v in phases.items()}
            out["timing"]["gate"] = statistics.median(gates)
            out["timing"]["phases_total"] = statistics.median(server)
            if outside:
                out["timing"]["outside_phases"] = statistics.median(outside)
        return out


def set_param(url: str, db: str, admin: dict, key: str, value: str) -> None:
    """Set a system parameter as the admin through Odoo's own XML-RPC (signals every worker)."""

    class Transport(xmlrpc.client.Transport):
        def send_headers(self, connection, headers):  # type: ignore[override]
            super().send_headers(connection, [*headers, ("X-Odoo-Database", db)])

    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", transport=Transport(), allow_none=True)
    proxy.execute_kw(db, admin["uid"], admin["password"], "ir.config_parameter", "set_param", [key, value])


def main(plan_path: str, result_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    url = plan["url"]
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    db = plan["db"]
    variants = {v["name"]: v for v in plan["variants"]}
    rng = random.Random(plan.get("seed", 1))
    pgid = plan.get("server_pgid")
    result: dict = {"warmup": [], "slices": [], "idle_checks": [], "ab": []}

    def log(msg: str) -> None:
        print(f"[load] {msg}", file=sys.stderr, flush=True)

    # Warm-up: fill every worker's caches (credentials, ormcaches, the snapshot) for every variant.
    for name, variant in variants.items():
        warm = dict(variant, concurrency=max(variant["concurrency"], plan.get("warmup_concurrency", 2)))
        got = Slice(host, port, warm, db, plan["warmup_seconds"]).run()
        result["warmup"].append(got)
        if got["errors"]:
            log(f"warm-up of {name}: {got['errors']} error(s), first: {got['first_error']}")

    order = list(variants)
    for rnd in range(plan["rounds"]):
        if pgid:
            idle = sample(pgid, plan.get("idle_sample_seconds", 1.0))
            result["idle_checks"].append({"round": rnd, **idle.__dict__, "idle": idle.idle})
            log(f"round {rnd + 1}/{plan['rounds']}: {idle.describe()}")
        rng.shuffle(order)
        for name in order:
            got = Slice(host, port, variants[name], db, plan["slice_seconds"]).run()
            got["round"] = rnd
            result["slices"].append(got)
            if got["errors"]:
                log(f"{name}: {got['errors']} error(s), first: {got['first_error']}")

    # Server-Timing on against off, on the same variants, alternating: its own cost.
    ab = plan.get("ab")
    if ab and ab["pairs"] > 0:
        try:
            for pair in range(ab["pairs"]):
                for state in ("True", "False") if pair % 2 == 0 else ("False", "True"):
                    set_param(url, db, plan["admin"], "mcp_server.server_timing", state)
                    for name in ab["variants"]:
                        # the first requests after the change rebuild the snapshot in each worker
                        Slice(host, port, dict(variants[name], concurrency=2), db, 0.3).run()
                        got = Slice(host, port, variants[name], db, plan["slice_seconds"]).run()
                        got.update(pair=pair, server_timing=state == "True")
                        result["ab"].append(got)
        finally:
            set_param(url, db, plan["admin"], "mcp_server.server_timing", "True")

    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m benches.load PLAN.json RESULT.json")
    main(sys.argv[1], sys.argv[2])
