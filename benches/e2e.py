"""End to end: ``/mcp/xmlrpc/object`` against Odoo's own ``/xmlrpc/2/object``, in one run.

    .venv/bin/python -m benches.e2e [--quick] [--out benches/results/e2e.json]

A fresh PostgreSQL cluster and database with ``mcp_server`` installed and 5,000 ``res.partner`` rows
(seeded, through the ORM); MCP enabled, ``res.partner`` readable, the rate limit on with a quota
far above what the run can send (so the limiter runs and never refuses), audit logging at its
default (on), Server-Timing on. Odoo runs threaded (``--workers 0``), then prefork
(``--workers 2``); for each, a load client in its own process (``benches.load``) runs every variant
(call x credential x concurrency) in interleaved slices, and this script reports medians over the
rounds: requests per second, p50 and p99 latency, the ratio of each MCP variant to the best native
variant of the same call and concurrency, and the Server-Timing breakdown of the MCP path.

Environment: BENCH_SECONDS (one slice, default 1.5), BENCH_ROUNDS (default 5), BENCH_ROWS (default
5000), BENCH_AB_PAIRS (Server-Timing on/off pairs, default 4), BENCH_FLOOD and BENCH_FLOOD_KEYS
(failed authentications and bad keys of the flood of ``benches/ratelimit.py``, default 1,000,000
and 100,000), BENCH_MODES (default
``threaded,prefork``), BENCH_QUICK=1 (short slices, one round: for iterating, not for quoting).
Benchmarks never gate CI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from benches.gate import SCRIPT as GATE_SCRIPT
from benches.procstat import wait_idle
from benches.ratelimit import FLOOD_SCRIPT
from benches.ratelimit import SCRIPT as RATELIMIT_SCRIPT
from tests.harness import odoo_env as harness
from tests.harness.odoo_env import (
    REPO,
    OdooServer,
    PgCluster,
    find_odoo,
    install_wheel,
    odoo_shell,
    run_odoo,
)

RESULTS = REPO / "benches" / "results"
LOGIN = "mcp_bench_user"
PASSWORD = "bench-Secret-Passw0rd!"
ADMIN_PASSWORD = "admin"
PHASES = ("decode", "parse", "auth", "user", "rate", "decide", "odoo", "encode", "other", "log")
MODES = {"threaded": 0, "prefork": 2}

#: (path, credential) of each way in; "mcp" ones go through the addon.
WAYS = {
    "mcp+odoo_key": ("/mcp/xmlrpc/object", "odoo_key"),
    "mcp+mcp_key": ("/mcp/xmlrpc/object", "mcp_key"),
    "native+password": ("/xmlrpc/2/object", "password"),
    "native+odoo_key": ("/xmlrpc/2/object", "odoo_key"),
}
#: Odoo's other APIs, each against its own native route: (path, credential); ``{method}`` is the
#: called method (JSON-2). The API is the way's name up to ``+`` after its ``mcp-`` or ``native-``.
#: Odoo's own JSON-2 exists from 19.0 on. ``BENCH_APIS`` (default ``jsonrpc,json2``) selects them.
API_WAYS = {
    "mcp-jsonrpc+odoo_key": ("/mcp/jsonrpc", "odoo_key"),
    "native-jsonrpc+odoo_key": ("/jsonrpc", "odoo_key"),
    "mcp-json2+odoo_key": ("/mcp/json/2/res.partner/{method}", "odoo_key"),
    "native-json2+odoo_key": ("/json/2/res.partner/{method}", "odoo_key"),
}
#: What marks an error in a 200 answer of each API (JSON-2 errors are HTTP statuses).
ERROR_MARKERS = {"xmlrpc": "<fault>", "jsonrpc": '"error": {', "json2": None}


def api_of(way: str) -> str:
    """``mcp-json2+odoo_key`` -> ``json2``; the XML-RPC ways (``mcp+...``) -> ``xmlrpc``."""
    head = way.split("+", 1)[0]
    return head.split("-", 1)[1] if "-" in head else "xmlrpc"


def all_ways(serie: str) -> dict[str, tuple[str, str]]:
    apis = os.environ.get("BENCH_APIS", "jsonrpc,json2").split(",")
    if serie == "18.0":
        apis = [a for a in apis if a != "json2"]  # no native JSON-2 to compare with
    return {**WAYS, **{w: v for w, v in API_WAYS.items() if api_of(w) in apis}}


def request_of(way: str, path: str, secret: str, db: str, uid: int, method: str, args: list, kwargs: dict):
    """``(path, body, headers)`` of one call over the way's API."""
    api = api_of(way)
    if api == "xmlrpc":
        body = xmlrpc.client.dumps((db, uid, secret, "res.partner", method, args, kwargs), "execute_kw")
        return path, body, {"Content-Type": "text/xml"}
    if api == "jsonrpc":
        params = {
            "service": "object",
            "method": "execute_kw",
            "args": [db, uid, secret, "res.partner", method, args, kwargs],
        }
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        return path, body, {"Content-Type": "application/json"}
    named = dict(kwargs)
    if method in ("read",):
        named["ids"] = args[0]
    else:
        named["domain"] = args[0]
    headers = {"Content-Type": "application/json", "Authorization": f"bearer {secret}"}
    return path.format(method=method), json.dumps(named), headers


SEARCH_READ_FIELDS = [
    "name",
    "email",
    "phone",
    "street",
    "city",
    "zip",
    "country_id",
    "parent_id",
    "is_company",
    "function",
]
READ_FIELDS = ["name", "email", "phone", "city", "country_id"]

SETUP_SCRIPT = r"""
import json, random
ICP = env['ir.config_parameter'].sudo()
ICP.set_param('mcp_server.enabled', 'True')
# Rate limiting stays on (the limiter runs on every request) with a quota no run can reach.
ICP.set_param('mcp_server.enable_rate_limiting', 'True')
ICP.set_param('mcp_server.request_limit', '100000000')
ICP.set_param('mcp_server.server_timing', 'True')
env['mcp.enabled.model'].create(dict(model_id=env['ir.model']._get('res.partner').id, allow_read=True))
user = env['res.users'].with_context(no_reset_password=True).create(dict(
    name='MCP Bench User', login=LOGIN, password=PASSWORD,
    group_ids=[(6, 0, [env.ref('base.group_user').id, env.ref('mcp_server.group_mcp_user').id])],
))
odoo_key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'bench', None)
mcp_key = env['mcp.api.key'].with_user(user)._generate('bench', user)

rng = random.Random(20250101)
FIRST = ['Alice', 'Bruno', 'Chloe', 'David', 'Emma', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas',
         'Katrin', 'Luca', 'Maya', 'Nils', 'Olga', 'Pierre', 'Quentin', 'Rosa', 'Sven', 'Tara',
         'Ugo', 'Vera', 'Wout', 'Xenia', 'Yann', 'Zoe', 'Amelie', 'Bastien', 'Celine', 'Dries']
LAST = ['Janssens', 'Peeters', 'Maes', 'Dubois', 'Lambert', 'Martin', 'Muller', 'Schmidt',
        'de Vries', 'van Dijk', 'Rossi', 'Garcia', 'Smith', 'Jones', 'Novak', 'Kowalski',
        'Leclercq', 'Hermans', 'Claes', 'Wouters', 'Fischer', 'Weber', 'Moreau', 'Laurent']
CO_A = ['Blue', 'Northern', 'Bright', 'Delta', 'Green', 'Atlas', 'Nova', 'Alpine', 'Coastal',
        'Urban', 'Summit', 'Golden', 'Silver', 'Prime', 'Vertex', 'Harbor']
CO_B = ['Logistics', 'Foods', 'Systems', 'Textiles', 'Consulting', 'Motors', 'Pharma',
        'Builders', 'Energy', 'Media', 'Robotics', 'Furniture', 'Optics', 'Trading']
CO_C = ['SA', 'NV', 'BV', 'GmbH', 'Ltd', 'SRL', 'Inc.', 'SAS']
STREETS = ['Rue de la Loi', 'Avenue Louise', 'Kerkstraat', 'Stationsstraat', 'Hauptstrasse',
           'High Street', 'Via Roma', 'Calle Mayor', 'Rue du Commerce', 'Dorpstraat', 'Main St']
PLACES = {'BE': ['Brussels', 'Antwerp', 'Ghent', 'Liege', 'Namur'],
          'FR': ['Paris', 'Lyon', 'Lille', 'Nantes'], 'DE': ['Berlin', 'Hamburg', 'Munich'],
          'NL': ['Amsterdam', 'Rotterdam', 'Utrecht'], 'LU': ['Luxembourg'],
          'GB': ['London', 'Leeds'], 'US': ['New York', 'Chicago', 'Austin'],
          'ES': ['Madrid', 'Valencia'], 'IT': ['Milan', 'Turin'], 'CH': ['Zurich', 'Geneva']}
countries = {c.code: c.id for c in env['res.country'].search([('code', 'in', list(PLACES))])}
FUNCTIONS = ['Sales Manager', 'Accountant', 'CEO', 'Buyer', 'Engineer', 'Office Manager', False]

def address():
    code = rng.choice(list(PLACES))
    return dict(street=f"{rng.choice(STREETS)} {rng.randint(1, 250)}", city=rng.choice(PLACES[code]),
                zip=str(rng.randint(1000, 99999)), country_id=countries[code])

def phone():
    digits = (rng.randint(30, 49), rng.randint(10, 99), rng.randint(100, 999), rng.randint(10, 99))
    return "+{} {} {} {}".format(*digits)

n_companies = ROWS // 5
Partner = env['res.partner'].with_context(tracking_disable=True, mail_create_nolog=True)
companies = Partner.browse()
batch = []
for i in range(n_companies):
    name = f"{rng.choice(CO_A)} {rng.choice(CO_B)} {rng.choice(CO_C)} {i}"
    domain = name.split()[0].lower() + name.split()[1].lower() + f"{i}.example.com"
    batch.append(dict(name=name, is_company=True, email=f"info@{domain}", phone=phone(),
                      website=f"https://{domain}", **address()))
    if len(batch) == 250:
        companies |= Partner.create(batch); batch = []
if batch:
    companies |= Partner.create(batch); batch = []
env.cr.commit()
contacts = Partner.browse()
for i in range(ROWS - n_companies):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    vals = dict(name=f"{first} {last}", phone=phone(), function=rng.choice(FUNCTIONS))
    if rng.random() < 0.8:  # a contact of a company: address comes from the company
        company = companies[rng.randrange(len(companies))]
        vals.update(parent_id=company.id, type='contact',
                    email=f"{first}.{last}".lower().replace(' ', '') + f"{i}@" + company.email.split('@')[1])
    else:  # a private person
        vals.update(email=f"{first}.{last}{i}@mail.example.org".lower().replace(' ', ''), **address())
    batch.append(vals)
    if len(batch) == 250:
        contacts |= Partner.create(batch); batch = []
        env.cr.commit()
if batch:
    contacts |= Partner.create(batch)
sample_id = contacts[len(contacts) // 2].id
print('BENCH_SETUP ' + json.dumps(dict(
    uid=user.id, odoo_key=odoo_key, mcp_key=mcp_key, sample_id=sample_id,
    partners=env['res.partner'].search_count([]), admin_uid=env.ref('base.user_admin').id,
)))
"""


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def calls(sample_id: int) -> dict[str, tuple[str, list, dict]]:
    """The three calls: (method, args, kwargs) on res.partner."""
    return {
        "search_read": (
            "search_read",
            [[["is_company", "=", False]]],
            {"fields": SEARCH_READ_FIELDS, "limit": 80, "order": "name, id"},
        ),
        "read": ("read", [[sample_id]], {"fields": READ_FIELDS}),
        "search_count": ("search_count", [[["is_company", "=", True]]], {}),
    }


def variants(db: str, creds: dict, concurrencies: list[int], ways: dict | None = None) -> list[dict]:
    out = []
    secrets = {"odoo_key": creds["odoo_key"], "mcp_key": creds["mcp_key"], "password": PASSWORD}
    for call, (method, args, kwargs) in calls(creds["sample_id"]).items():
        for way, (path, credential) in (ways or WAYS).items():
            url_path, body, headers = request_of(
                way, path, secrets[credential], db, creds["uid"], method, args, kwargs
            )
            for c in concurrencies:
                out.append(
                    {
                        "name": f"{call}/{way}/c{c}",
                        "call": call,
                        "way": way,
                        "api": api_of(way),
                        "concurrency": c,
                        "path": url_path,
                        "body": body,
                        "headers": headers,
                        "error_marker": ERROR_MARKERS[api_of(way)],
                    }
                )
    return out


def decode(variant: dict, data: bytes):
    """The result of one answer of the variant's API; raises on an error answer."""
    if variant["api"] == "xmlrpc":
        (result,), _ = xmlrpc.client.loads(data)  # raises Fault on a fault
        return result
    body = json.loads(data)
    if variant["api"] == "jsonrpc":
        if "error" in body:
            raise SystemExit(f"{variant['name']}: {body['error']}")
        return body.get("result")
    return body


def check_variants(url: str, db: str, plan_variants: list[dict]) -> None:
    """One request of each variant, compared with the native answer: same result or stop here."""
    import urllib.request

    answers: dict[str, object] = {}
    for v in plan_variants:
        if v["concurrency"] != 1:
            continue
        req = urllib.request.Request(
            url + v["path"],
            data=v["body"].encode(),
            headers={**v["headers"], "X-Odoo-Database": db},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            result = decode(v, resp.read())
        previous = answers.setdefault((v["call"], v["api"]), result)
        if previous != result:
            raise SystemExit(f"{v['name']} answers differently from the other ways of {v['call']}")


def median(values: list[float]) -> float | None:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else None


def aggregate(slices: list[dict], plan_variants: list[dict]) -> dict:
    """Medians over rounds per variant, and MCP / best native ratios paired within each round."""
    meta = {v["name"]: v for v in plan_variants}
    by_variant: dict[str, list[dict]] = {}
    for s in slices:
        by_variant.setdefault(s["variant"], []).append(s)
    rows: dict[str, dict] = {}
    for name, got in by_variant.items():
        v = meta[name]
        row = {
            "call": v["call"],
            "way": v["way"],
            "concurrency": v["concurrency"],
            "slices": len(got),
            "requests": sum(s["n"] for s in got),
            "errors": sum(s["errors"] for s in got),
            "closed_connection_share": round(
                sum(s["closed_connections"] for s in got) / max(1, sum(s["n"] + s["errors"] for s in got)), 3
            ),
            "api": v.get("api", "xmlrpc"),
            "rps": median([s["rps"] for s in got]),
            "p50_ms": median([s["p50_ms"] for s in got]),
            "p99_ms": median([s["p99_ms"] for s in got]),
        }
        timed = [s["timing"] for s in got if s.get("timing")]
        if timed:
            keys = [*PHASES, "gate", "phases_total", "outside_phases"]
            row["timing_ms"] = {
                k: median([t[k] for t in timed if k in t]) for k in keys if timed[0].get(k) is not None
            }
        rows[name] = row
    call_order, way_order = ["search_read", "read", "search_count"], [*WAYS, *API_WAYS]
    rows = dict(
        sorted(
            rows.items(),
            key=lambda kv: (
                call_order.index(kv[1]["call"]),
                kv[1]["concurrency"],
                way_order[::-1].index(kv[1]["way"]),  # native first, then MCP
            ),
        )
    )
    # The best native variant of each (call, concurrency): highest median rps.
    for name, row in rows.items():
        if not row["way"].startswith("mcp"):
            continue
        natives = [
            (other, r)
            for other, r in rows.items()
            if r["call"] == row["call"]
            and r["concurrency"] == row["concurrency"]
            and r["way"].startswith("native")
            and r["api"] == row["api"]
        ]
        if not natives:
            continue
        best_name, best = max(natives, key=lambda nr: nr[1]["rps"] or 0.0)
        mine = {s["round"]: s for s in by_variant[name]}
        theirs = {s["round"]: s for s in by_variant[best_name]}
        paired = [
            (mine[r]["rps"] / theirs[r]["rps"], mine[r]["p99_ms"] / theirs[r]["p99_ms"])
            for r in mine.keys() & theirs.keys()
            if theirs[r]["rps"] and theirs[r]["p99_ms"] and mine[r]["n"]
        ]
        row["best_native"] = best["way"]
        row["rps_ratio"] = median([p[0] for p in paired])
        row["p99_ratio"] = median([p[1] for p in paired])
    return rows


def aggregate_ab(ab: list[dict]) -> dict:
    """Server-Timing on / off, paired by pair number and variant: rps ratio (1.0 = free)."""
    out: dict[str, dict] = {}
    for name in sorted({s["variant"] for s in ab}):
        on = {s["pair"]: s for s in ab if s["variant"] == name and s["server_timing"]}
        off = {s["pair"]: s for s in ab if s["variant"] == name and not s["server_timing"]}
        ratios = [on[p]["rps"] / off[p]["rps"] for p in on.keys() & off.keys() if off[p]["rps"]]
        out[name] = {
            "pairs": len(ratios),
            "rps_on": median([s["rps"] for s in on.values()]),
            "rps_off": median([s["rps"] for s in off.values()]),
            "rps_ratio_on_off": median(ratios),
        }
    return out


def run_mode(mode: str, odoo, pg, db, data_dir, work, creds, cfg) -> dict:
    workers = MODES[mode]
    log_path = work / f"odoo-{mode}.log"
    server = OdooServer(odoo, pg, db, data_dir, workers=workers, log=log_path, extra=("--log-level=warn",))
    with _server_env(cfg.get("pythonpath")):
        server.start()
    try:
        assert server.proc is not None
        pgid = server.proc.pid  # started in a session of its own: its pid is the group id
        time.sleep(2 if workers else 0.5)  # let prefork spawn its workers and gevent child
        idle = wait_idle(pgid, timeout=30)
        print(f"  [{mode}] before the run: {idle.describe()}", flush=True)
        plan_variants = variants(db, creds, cfg["concurrencies"], all_ways(odoo.serie))
        check_variants(server.url, db, plan_variants)
        mcp_c1 = [v["name"] for v in plan_variants if v["way"] == "mcp+odoo_key" and v["concurrency"] == 1]
        plan = {
            "url": server.url,
            "db": db,
            "seed": 7,
            "server_pgid": pgid,
            "slice_seconds": cfg["slice"],
            "warmup_seconds": cfg["warmup"],
            "warmup_concurrency": max(2, workers),
            "rounds": cfg["rounds"],
            "variants": plan_variants,
            "admin": {"uid": creds["admin_uid"], "password": ADMIN_PASSWORD},
            "ab": {
                "pairs": cfg["ab_pairs"],
                "variants": [n for n in mcp_c1 if not n.startswith("search_count")],
            },
        }
        plan_path, result_path = work / f"plan-{mode}.json", work / f"load-{mode}.json"
        plan_path.write_text(json.dumps(plan))
        budget = len(plan_variants) * (cfg["slice"] * cfg["rounds"] + cfg["warmup"] + 2) + 600
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "benches.load", str(plan_path), str(result_path)],
            cwd=REPO,
            check=True,
            timeout=budget,
        )
        after = wait_idle(pgid, timeout=10)
        print(f"  [{mode}] after the run: {after.describe()}", flush=True)
        loaded = json.loads(result_path.read_text())
        return {
            "workers": workers,
            "seconds": round(time.monotonic() - started, 1),
            "idle_before": {**idle.__dict__, "idle": idle.idle},
            "idle_after": {**after.__dict__, "idle": after.idle},
            "idle_per_round": loaded["idle_checks"],
            "variants": aggregate(loaded["slices"], plan_variants),
            "server_timing_cost": aggregate_ab(loaded["ab"]),
            "odoo_warnings": _warnings(log_path),
        }
    finally:
        server.stop()


@contextlib.contextmanager
def _server_env(pythonpath: str | None):
    """Start Odoo with ``PYTHONPATH`` set (the harness clears it): the prefork master passes its
    environment on to the gevent child it spawns."""
    if not pythonpath:
        yield
        return
    original = harness.odoo_env
    harness.odoo_env = lambda: {**original(), "PYTHONPATH": pythonpath}
    try:
        yield
    finally:
        harness.odoo_env = original


def gevent_shim(odoo) -> tuple[str | None, str]:
    """The shim folder when Odoo's Python has gevent but no ``pkg_resources``, and why."""
    check = subprocess.run(
        [str(odoo.python), "-c", "import gevent, pkg_resources"], capture_output=True, text=True, check=False
    )
    if check.returncode == 0 or "pkg_resources" not in check.stderr:
        return None, "Odoo's Python imports gevent and pkg_resources: no shim"
    if os.environ.get("BENCH_NO_SHIM") == "1":
        return None, (
            "Odoo's Python has no pkg_resources (setuptools >= 81), so in prefork its gevent child "
            "crash-loops; BENCH_NO_SHIM=1: measured with the crash loop"
        )
    return str(REPO / "benches" / "shims"), (
        "Odoo's Python has no pkg_resources (setuptools >= 81): in prefork its gevent child would die at "
        "import and be respawned every second; the server runs with benches/shims on PYTHONPATH "
        "(a 10-line pkg_resources.iter_entry_points) so prefork runs as deployed (BENCH_NO_SHIM=1 to not)"
    )


def run_gate(odoo, pg, db, data_dir, creds: dict, n: int) -> dict:
    head = (
        f"UID = {creds['uid']}\nODOO_KEY = {creds['odoo_key']!r}\nMCP_KEY = {creds['mcp_key']!r}\n"
        f"PASSWORD = {PASSWORD!r}\nN = {n}\n"
    )
    out = odoo_shell(odoo, pg, db, data_dir, head + GATE_SCRIPT)
    found = re.search(r"^BENCH_GATE (.*)$", out, re.MULTILINE)
    if not found:
        raise SystemExit(f"the gate script printed nothing:\n{out[-3000:]}")
    return json.loads(found.group(1))


def run_ratelimit(odoo, pg, db, data_dir, creds: dict, n: int, flood: int, flood_keys: int) -> dict:
    head = f"UID = {creds['uid']}\nMCP_KEY = {creds['mcp_key']!r}\nN = {n}\n"
    out = odoo_shell(odoo, pg, db, data_dir, head + RATELIMIT_SCRIPT)
    found = re.search(r"^BENCH_RATELIMIT (.*)$", out, re.MULTILINE)
    if not found:
        raise SystemExit(f"the rate-limit script printed nothing:\n{out[-3000:]}")
    got = json.loads(found.group(1))
    head = f"FLOOD = {flood}\nFLOOD_KEYS = {flood_keys}\n"
    out = odoo_shell(odoo, pg, db, data_dir, head + FLOOD_SCRIPT, timeout=3600)
    found = re.search(r"^BENCH_FLOOD (.*)$", out, re.MULTILINE)
    if not found:
        raise SystemExit(f"the flood script printed nothing:\n{out[-3000:]}")
    got["flood"] = json.loads(found.group(1))
    return got


def print_ratelimit(got: dict) -> None:
    print("e2e: the shared rate limit in process (median us per call, interleaved):")
    for name, us in got["limiter_us"].items():
        print(f"  {name:<62}{us:>9.1f} us")
    print("e2e: the gate per request as the deployment grows (median us):")
    for name, value in got["gate_growth_us"].items():
        unit = "rows" if name.startswith("state rows") else "us"
        print(f"  {name:<62}{value:>9.1f} {unit}")
    f = got["flood"]
    print(
        f"e2e: flood of {f['bad_keys']:,} failed authentications from as many addresses "
        f"({f['checked_keys']:,} distinct bad keys) in {f['seconds']} s: "
        f"worker RSS {f['rss_kib_before']:,} -> {f['rss_kib_after']:,} KiB; state rows "
        f"{f['rows_before']:,} -> {f['rows_after']:,} (peak {f['rows_peak']:,}), table "
        f"{f['table_bytes_before']:,} -> {f['table_bytes_after']:,} bytes (peak {f['table_bytes_peak']:,})"
    )


def _warnings(log_path: Path) -> list[str]:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return []
    return [line[:300] for line in text.splitlines() if re.search(r"\d (ERROR|CRITICAL|WARNING) ", line)][:20]


def print_report(result: dict) -> None:
    for mode, got in result["modes"].items():
        print(f"\n== {mode} (--workers {got['workers']}): medians over {result['config']['rounds']} round(s)")
        print(
            f"  {'call':<13}{'c':>2}  {'way':<16}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'rps/best':>10}{'p99/best':>10}  {'errors':>6} {'closed':>6}"
        )
        for row in got["variants"].values():
            ratio = f"{row['rps_ratio']:.2f}" if row.get("rps_ratio") else ""
            p99r = f"{row['p99_ratio']:.2f}" if row.get("p99_ratio") else ""
            print(
                f"  {row['call']:<13}{row['concurrency']:>2}  {row['way']:<16}{row['rps'] or 0:>8.1f}"
                f"{row['p50_ms'] or 0:>9.2f}{row['p99_ms'] or 0:>9.2f}{ratio:>10}{p99r:>10}"
                f"  {row['errors']:>6} {row['closed_connection_share']:>6.0%}"
            )
        print("  Server-Timing of the MCP path, median per phase, microseconds (c=1):")
        print("  " + f"{'call/way':<28}" + "".join(f"{p:>8}" for p in (*PHASES, "gate", "outside")))
        for row in got["variants"].values():
            t = row.get("timing_ms")
            if not t or row["concurrency"] != 1:
                continue
            cells = [t.get(p) for p in (*PHASES, "gate", "outside_phases")]
            print(
                "  "
                + f"{row['call'] + '/' + row['way']:<28}"
                + "".join(f"{c * 1000:>8.0f}" if c is not None else f"{'-':>8}" for c in cells)
            )
        for name, ab in got["server_timing_cost"].items():
            if ab["rps_ratio_on_off"]:
                print(
                    f"  Server-Timing cost, {name}: rps on/off = {ab['rps_ratio_on_off']:.3f}"
                    f" over {ab['pairs']} pair(s)"
                )


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    quick = args.quick
    cfg = {
        "slice": env_float("BENCH_SECONDS", 0.5 if quick else 1.5),
        "rounds": int(env_float("BENCH_ROUNDS", 1 if quick else 5)),
        "warmup": 0.3 if quick else 1.0,
        "rows": int(env_float("BENCH_ROWS", 5000)),
        "ab_pairs": int(env_float("BENCH_AB_PAIRS", 0 if quick else 4)),
        "concurrencies": [1, 4],
        "modes": os.environ.get("BENCH_MODES", "threaded,prefork").split(","),
    }
    out = args.out or RESULTS / ("e2e-quick.json" if quick else "e2e.json")

    odoo, reason = find_odoo()
    if odoo is None:
        print(f"SKIPPED: no Odoo found ({reason})")
        return None
    print(f"e2e: {reason}; slices of {cfg['slice']} s, {cfg['rounds']} round(s), {cfg['rows']} partners")
    install_wheel(odoo.python)
    commit = _git_head()  # the code the servers load, before anyone edits it during the run
    work = Path(
        tempfile.mkdtemp(prefix="mcp-bench-", dir=REPO / ".work" if (REPO / ".work").is_dir() else None)
    )
    data_dir = work / "data"
    db = f"mcp_bench_{os.getpid()}"
    started = time.monotonic()
    with PgCluster.from_env_or_new() as pg:
        try:
            proc = run_odoo(
                odoo,
                pg,
                db,
                data_dir,
                "-i",
                "mcp_server",
                "--stop-after-init",
                "--log-level=warn",
                log=work / "install.log",
                timeout=900,
            )
            if proc.returncode != 0:
                raise SystemExit(f"installing mcp_server failed; see {work / 'install.log'}")
            script = f"LOGIN = {LOGIN!r}\nPASSWORD = {PASSWORD!r}\nROWS = {cfg['rows']}\n" + SETUP_SCRIPT
            shell_out = odoo_shell(odoo, pg, db, data_dir, script)
            found = re.search(r"^BENCH_SETUP (.*)$", shell_out, re.MULTILINE)
            if not found:
                raise SystemExit(f"the setup script printed no credentials:\n{shell_out[-3000:]}")
            creds = json.loads(found.group(1))
            print(
                f"e2e: database {db} ready in {time.monotonic() - started:.0f} s,"
                f" {creds['partners']} partners"
            )
            gate = run_gate(odoo, pg, db, data_dir, creds, 300 if quick else 2000)
            print("e2e: the gate in process (median us, SQL queries; fresh record cache, warm caches):")
            for step, got in gate.items():
                print(f"  {step:<62}{got['us']:>9.1f} us{got['queries']:>4.0f} q")
            flood = int(env_float("BENCH_FLOOD", 20_000 if quick else 1_000_000))
            flood_keys = min(flood, int(env_float("BENCH_FLOOD_KEYS", 100_000)))
            rate_limit = run_ratelimit(
                odoo, pg, db, data_dir, creds, 300 if quick else 2000, flood, flood_keys
            )
            print_ratelimit(rate_limit)
            cfg["pythonpath"], shim_note = gevent_shim(odoo)
            print(f"e2e: {shim_note}")
            modes = {}
            for mode in cfg["modes"]:
                print(f"e2e: {mode} run", flush=True)
                modes[mode] = run_mode(mode, odoo, pg, db, data_dir, work, creds, cfg)
        finally:
            pg.drop_db(db)
    result = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "odoo": odoo.version(),
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version()},
        "commit": commit,
        "config": {k: v for k, v in cfg.items() if k != "pythonpath"},
        "notes": [
            "Odoo's built-in HTTP server answers HTTP/1.0 and closes the connection after each response: "
            "every request of every variant pays a TCP connect on loopback (see closed_connection_share).",
            "Load client and server share the machine's cores; other users of the machine add noise "
            "that the interleaving spreads over all variants alike.",
            "Rate limiting is on with a quota of 100,000,000 per minute, so the limiter runs but never "
            "refuses; audit logging is at its default (on), so every MCP request writes one mcp.log row.",
            shim_note,
        ],
        "gate_in_process": gate,
        "rate_limit": rate_limit,
        "modes": modes,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    print_report(result)
    print(f"\ne2e: wrote {out} in {time.monotonic() - started:.0f} s")
    return result


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git_head() -> str:
    """HEAD, with ``+dirty`` when the addon or the Rust code has uncommitted changes."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "mcp_server_addon", "rust"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() + ("+dirty" if status else "")


if __name__ == "__main__":
    main()
