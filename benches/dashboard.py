"""The MCP app's dashboard on a large audit log: what its views read, timed inside Odoo.

A fresh database with ``mcp_server`` gets ``BENCH_LOG_ROWS`` (default 100,000) audit rows spread
over the last 14 days, written by ``mcp.log._mcp_insert`` as requests write them. Then each read
the dashboard makes when an administrator opens it (the graph: requests per day by outcome over
the last 7 days; the pivot: per model and outcome with the mean duration; the latency pivot: per
surface and day with p50/p95/p99; the log's first page) is run as an MCP administrator from a cold
record cache, ``BENCH_SAMPLES`` times, interleaved with the same read on the same rows without the
``create_date`` index (the baseline), and the medians and their ratio are printed as JSON.

Run: ``.venv/bin/python -m benches.dashboard`` (``make bench`` runs it as the ``dashboard`` part).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from tests.harness.odoo_env import PgCluster, find_odoo, install_wheel, odoo_shell, run_odoo

SCRIPT = r"""
import json, random, statistics, time
from datetime import datetime, timedelta
from odoo.tests import new_test_user

random.seed(7)
Log = env['mcp.log']
admin = new_test_user(env, login='bench_dash_admin',
                      groups='base.group_user,mcp_server.group_mcp_admin')
users = [new_test_user(env, login=f'bench_dash_{i}',
                       groups='base.group_user,mcp_server.group_mcp_user').id for i in range(5)]
events = (['resource_retrieval'] * 80 + ['write_operation'] * 10 + ['permission_denied'] * 5
          + ['rate_limit'] * 3 + ['error'] * 2)
models = ['res.partner', 'res.country', 'product.product', 'sale.order', 'account.move', 'mail.message']
rows = []
for i in range(ROWS):
    rows.append({
        'event_type': random.choice(events),
        'endpoint': random.choice(['/mcp', '/mcp/xmlrpc/object']),
        'model_name': random.choice(models),
        'operation': random.choice(['search_read', 'read', 'write', 'search_records']),
        'user_id': random.choice(users),
        'duration_ms': random.lognormvariate(2.5, 0.6),
    })
    if len(rows) == 5000:
        Log._mcp_insert(env.cr, rows)
        rows = []
Log._mcp_insert(env.cr, rows)
# spread the rows over the last 14 days
env.cr.execute("UPDATE mcp_log SET create_date = now() at time zone 'utc' - (random() * interval '14 days')")
env.cr.execute("ANALYZE mcp_log")
env.cr.commit()

since = (datetime.utcnow() - timedelta(days=7)).strftime('%Y-%m-%d')
L = env['mcp.log'].with_user(admin)
T = env['mcp.log.latency'].with_user(admin)
today = datetime.utcnow().strftime('%Y-%m-%d')
LIST_FIELDS = ['create_date', 'event_type', 'user_id', 'endpoint', 'model_name', 'operation', 'duration_ms']
reads = {
    'graph: per day by outcome, 7 days': lambda: L._read_group(
        [('create_date', '>=', since)], ['create_date:day', 'outcome'], ['__count']),
    'pivot: per model by outcome, mean duration': lambda: L._read_group(
        [('create_date', '>=', since)], ['model_name', 'outcome'], ['__count', 'duration_ms:avg']),
    'latency: per surface and day, p50/p95/p99': lambda: T._read_group(
        [('period', '>=', since), ('outcome', '=', 'allowed')], ['endpoint', 'period:day'],
        ['request_count:sum', 'p50_ms:max', 'p95_ms:max', 'p99_ms:max']),
    'list: first page, today': lambda: L.search_fetch(
        [('create_date', '>=', today)], LIST_FIELDS, limit=80),
}
INDEX = 'mcp_log__create_date_index'
env.cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
(indexdef,) = env.cr.fetchone()
def timed(fn):
    env.invalidate_all()
    t0 = time.perf_counter(); fn(); return time.perf_counter() - t0
samples = {name: {'ours': [], 'no_index': []} for name in reads}
for _ in range(SAMPLES):
    for name, fn in reads.items():
        samples[name]['ours'].append(timed(fn))
        env.cr.execute(f"DROP INDEX {INDEX}")
        samples[name]['no_index'].append(timed(fn))
        env.cr.execute(indexdef)
out = {}
for name, s in samples.items():
    ours, base = statistics.median(s['ours']) * 1000, statistics.median(s['no_index']) * 1000
    out[name] = {'ours_ms': round(ours, 2), 'no_index_ms': round(base, 2), 'ratio': round(base / ours, 2)}
out['_total_ms'] = round(sum(v['ours_ms'] for k, v in out.items() if not k.startswith('_')), 2)
out['_rows'] = env['mcp.log'].search_count([])
print('DASHBOARD ' + json.dumps(out))
"""


def main() -> int:
    odoo, reason = find_odoo()
    if odoo is None:
        print(f"SKIPPED: no Odoo found ({reason})")
        return 0
    rows = int(os.environ.get("BENCH_LOG_ROWS", "100000"))
    samples = int(os.environ.get("BENCH_SAMPLES", "7"))
    install_wheel(odoo.python)
    db = f"mcp_bench_dash_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="mcp-dash-") as tmp, PgCluster.from_env_or_new() as pg:
        data = Path(tmp) / "data"
        try:
            done = run_odoo(
                odoo, pg, db, data, "-i", "mcp_server", "--stop-after-init", "--no-http", timeout=1800
            )
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:])
                return 1
            out = odoo_shell(odoo, pg, db, data, f"ROWS = {rows}\nSAMPLES = {samples}\n{SCRIPT}")
        finally:
            pg.drop_db(db)
    line = next(line for line in out.splitlines() if line.startswith("DASHBOARD "))
    result = json.loads(line.removeprefix("DASHBOARD "))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
