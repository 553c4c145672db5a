"""Side-by-side timings of the native core against Python baselines, in one process.

Each comparison runs ours and its baselines in interleaved rounds (ours, baseline, ours, ...)
so that drift in CPU frequency or background load hits both alike; it reports the median time
per call across rounds and the ratio ours / baseline. The last line is a one-line JSON summary.

    .venv/bin/python benches/compare_core.py [--quick]

Targets (absolute, from Python): credential cache hit < 1 us, rate-limit check < 300 ns,
permission decision < 300 ns, argon2id verify <= 1.5x argon2-cffi with the same parameters.
Benchmarks never gate CI.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable

from odoo_mcp_native import CredentialCache, PermissionMatrix, RateLimiter, keys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.oracle import METHOD_OPS

Bench = Callable[[int], None]


def per_call_ns(fn: Bench, n: int) -> float:
    start = time.perf_counter_ns()
    fn(n)
    return (time.perf_counter_ns() - start) / n


def interleaved(cases: dict[str, Bench], n: int, rounds: int) -> dict[str, float]:
    """Median ns per call of each case, over `rounds` interleaved rounds of `n` calls."""
    for fn in cases.values():  # warm up
        fn(max(1, n // 10))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(per_call_ns(fn, n))
    return {name: statistics.median(s) for name, s in samples.items()}


def show(title: str, medians: dict[str, float], ours: str) -> None:
    print(f"\n{title}")
    base = medians[ours]
    for name, ns in medians.items():
        ratio = "" if name == ours else f"  ours/this = {base / ns:.2f}x"
        print(f"  {name:<34} {fmt(ns):>12}{ratio}")


def fmt(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.0f} ns"


# --- credential cache ---------------------------------------------------------------------------


def bench_cache(n: int, rounds: int) -> dict[str, float]:
    cache = CredentialCache()
    plain: dict[bytes, tuple[int, int | None, str | None]] = {}
    secrets = [keys.generate() for _ in range(2000)]
    for i, s in enumerate(secrets):
        cache.insert(s, i, key_id=i, scope="res.partner:R", kind="mcp")
        plain[hashlib.sha256(s.encode()).digest()] = (i, i, "res.partner:R")
    key = secrets[1234]
    get = cache.get
    sha256 = hashlib.sha256

    def ours(k: int) -> None:
        for _ in range(k):
            get(key)

    def dict_sha256(k: int) -> None:
        for _ in range(k):
            plain.get(sha256(key.encode()).digest())

    def empty_loop(k: int) -> None:
        for _ in range(k):
            pass

    medians = interleaved(
        {"ours: CredentialCache.get": ours, "dict keyed by sha256": dict_sha256, "empty loop": empty_loop},
        n,
        rounds,
    )
    show("warm credential check (per call)", medians, "ours: CredentialCache.get")
    return medians


# --- argon2id verify ----------------------------------------------------------------------------


class Counter(threading.Thread):
    """A Python thread that counts as fast as it can: it only moves while the GIL is free."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.count = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.count += 1


def bench_argon2(rounds: int) -> dict[str, float] | None:
    try:
        import argon2
    except ImportError:
        print("\nargon2-cffi is not installed: skipping the argon2id comparison")
        return None
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    key = keys.generate()
    ours_phc = keys.hash(key)
    theirs_phc = hasher.hash(key)
    assert keys.verify(key, ours_phc) and hasher.verify(theirs_phc, key)

    counter = Counter()
    counter.start()
    times: dict[str, list[float]] = {"ours": [], "argon2-cffi": []}
    counts: dict[str, list[int]] = {"ours": [], "argon2-cffi": []}
    cases: dict[str, Callable[[], object]] = {
        "ours": lambda: keys.verify(key, ours_phc),
        "argon2-cffi": lambda: hasher.verify(theirs_phc, key),
    }
    try:
        time.sleep(0.02)
        for _ in range(rounds):
            for name, fn in cases.items():
                before = counter.count
                start = time.perf_counter_ns()
                fn()
                times[name].append(time.perf_counter_ns() - start)
                counts[name].append(counter.count - before)
    finally:
        counter.stop.set()
        counter.join()
    out = {
        "ours_ns": statistics.median(times["ours"]),
        "cffi_ns": statistics.median(times["argon2-cffi"]),
        "ours_counter": statistics.median(counts["ours"]),
        "cffi_counter": statistics.median(counts["argon2-cffi"]),
    }
    print("\nargon2id verify, m=19456 KiB t=2 p=1, a counter thread running (per call)")
    for label, ns, moved in (
        ("ours: keys.verify", out["ours_ns"], out["ours_counter"]),
        ("argon2-cffi PasswordHasher.verify", out["cffi_ns"], out["cffi_counter"]),
    ):
        print(f"  {label:<34} {fmt(ns):>12}  counter +{moved:.0f}")
    print(f"  ratio ours/argon2-cffi = {out['ours_ns'] / out['cffi_ns']:.2f}x (target <= 1.5x)")
    return out


# --- rate limiting ------------------------------------------------------------------------------

WINDOW = 60.0


def py_list_window(limit: int) -> Callable[[str], float | None]:
    """A module-style sliding window: a list of timestamps per key, pruned on every call."""
    windows: dict[str, list[float]] = {}

    def check(key: str) -> float | None:
        now = time.monotonic()
        stamps = [t for t in windows.get(key, ()) if now - t < WINDOW]
        windows[key] = stamps
        if len(stamps) >= limit:
            return WINDOW - (now - stamps[0])
        stamps.append(now)
        return None

    return check


def py_deque_window(limit: int) -> Callable[[str], float | None]:
    """A sliding window on a deque per key, popping expired stamps from the left."""
    windows: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def check(key: str) -> float | None:
        now = time.monotonic()
        stamps = windows[key]
        while stamps and now - stamps[0] >= WINDOW:
            stamps.popleft()
        if len(stamps) >= limit:
            return WINDOW - (now - stamps[0])
        stamps.append(now)
        return None

    return check


def bench_ratelimit(n: int, rounds: int) -> dict[str, float]:
    limit = 300  # the addon's default request limit
    ours_check = RateLimiter(limit).check
    list_check = py_list_window(limit)
    deque_check = py_deque_window(limit)
    roomy_check = RateLimiter(4_000_000_000).check

    def loop(check: Callable[[str], float | None]) -> Bench:
        def run(k: int) -> None:
            for _ in range(k):
                check("u:42")

        return run

    medians = interleaved(
        {
            "ours: RateLimiter.check (refused)": loop(ours_check),
            "ours: RateLimiter.check (allowed)": loop(roomy_check),
            "python list window": loop(list_check),
            "python deque window": loop(deque_check),
        },
        n,
        rounds,
    )
    show(
        f"rate-limit check, {limit}/min, one hot key (per call)", medians, "ours: RateLimiter.check (refused)"
    )
    return medians


# --- permission decision ------------------------------------------------------------------------

MODEL_RE = re.compile(r"[a-zA-Z0-9._]+")


def py_matrix(rows: list[tuple[str, bool, bool, bool, bool]]) -> Callable[[str, str], tuple[bool, str]]:
    """The same decision in Python: a dict of dicts, the regex and the method map."""
    matrix = {m: {"read": r, "write": w, "create": c, "unlink": u} for m, r, w, c, u in rows}

    def decide(model: str, method: str) -> tuple[bool, str]:
        if not MODEL_RE.fullmatch(model):
            return (False, "invalid_model")
        rights = matrix.get(model)
        if rights is None:
            return (False, "model_not_enabled")
        op = METHOD_OPS.get(method.lower()) if method.isascii() else None
        if op is None:
            return (False, "method_not_allowed")
        return (True, op) if rights[op] else (False, "operation_denied")

    return decide


def bench_perms(n: int, rounds: int) -> dict[str, float]:
    rows = [(f"x_model_{i}.line", True, i % 2 == 0, False, False) for i in range(200)]
    rows += [("res.partner", True, True, True, False), ("sale.order", True, False, False, False)]
    ours_decide = PermissionMatrix(rows).decide
    py_decide = py_matrix(rows)
    assert ours_decide("res.partner", "search_read") == py_decide("res.partner", "search_read")
    assert ours_decide("sale.order", "unlink") == py_decide("sale.order", "unlink")

    def loop(decide: Callable[[str, str], tuple[bool, str]]) -> Bench:
        def run(k: int) -> None:
            for _ in range(k):
                decide("res.partner", "search_read")

        return run

    medians = interleaved(
        {"ours: PermissionMatrix.decide": loop(ours_decide), "python dict + regex": loop(py_decide)},
        n,
        rounds,
    )
    show("permission decision, allowed (per call)", medians, "ours: PermissionMatrix.decide")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args()
    n, rounds, argon_rounds = (20_000, 5, 5) if args.quick else (200_000, 15, 21)

    cache = bench_cache(n, rounds)
    limiter = bench_ratelimit(n, rounds)
    perms = bench_perms(n, rounds)
    argon = bench_argon2(argon_rounds)

    summary = {
        "cache_get_ns": round(cache["ours: CredentialCache.get"], 1),
        "cache_dict_sha256_ns": round(cache["dict keyed by sha256"], 1),
        "ratelimit_check_ns": round(limiter["ours: RateLimiter.check (refused)"], 1),
        "ratelimit_check_allowed_ns": round(limiter["ours: RateLimiter.check (allowed)"], 1),
        "ratelimit_list_ns": round(limiter["python list window"], 1),
        "ratelimit_deque_ns": round(limiter["python deque window"], 1),
        "ratelimit_vs_deque": round(
            limiter["ours: RateLimiter.check (refused)"] / limiter["python deque window"], 3
        ),
        "perms_decide_ns": round(perms["ours: PermissionMatrix.decide"], 1),
        "perms_python_ns": round(perms["python dict + regex"], 1),
        "perms_vs_python": round(perms["ours: PermissionMatrix.decide"] / perms["python dict + regex"], 3),
    }
    if argon is not None:
        summary |= {
            "argon2_verify_ms": round(argon["ours_ns"] / 1e6, 2),
            "argon2_cffi_verify_ms": round(argon["cffi_ns"] / 1e6, 2),
            "argon2_vs_cffi": round(argon["ours_ns"] / argon["cffi_ns"], 3),
            "argon2_counter_ours": argon["ours_counter"],
            "argon2_counter_cffi": argon["cffi_counter"],
        }
    print()
    print(json.dumps(summary, separators=(",", ":")))


if __name__ == "__main__":
    main()
