"""The shared rate limit in process, inside Odoo (an ``odoo-bin shell`` script): what it adds to
a request, how the gate's cost grows with the deployment, and what a flood leaves behind.

1. *limiter*: one check of the shared limit (one statement on this worker's autocommit connection)
   beside the per-process ``RateLimiter.check`` it replaces, and ``_mcp_rate_limit`` with rate
   limiting on against off, interleaved; medians.
2. *growth*: the gate's cost per request (auth with a warm credential cache, member, rate, decide)
   with 1, 100 and 1,000 enabled models and 1, 1,000 and 100,000 keys. Enabled models are rows of
   the permission matrix (a database has fewer real models than 1,000); keys are entries of the
   verified-credential cache and of the per-key limits, and live rows of the shared rate state (as
   if every key had been used within the last minute), without hashing 100,000 secrets.
3. *flood* (``FLOOD_SCRIPT``, a shell of its own): ``FLOOD`` failed authentications, each from a
   distinct address (the worst case: each gets an audit-throttle row of its own), through the store
   function the audit log asks (``_mcp_log_allowed``), the first ``FLOOD_KEYS`` of them with a
   distinct bad MCP key through ``_mcp_check_key`` (which keeps nothing of a bad key); worker memory
   (VmRSS) before and after, and the rows and size of ``mcp_rate_state`` at the end, at their
   largest (sampled every 50,000) and after a plain ``VACUUM``. The shell ends its transaction every
   1,000 failures, as requests do, so that no long transaction holds back autovacuum.

``SCRIPT`` needs ``UID``, ``MCP_KEY`` and ``N`` (samples per case) defined before it;
``FLOOD_SCRIPT`` needs ``FLOOD`` and ``FLOOD_KEYS``.
"""

SCRIPT = r"""
import dataclasses, json, statistics, time
import odoo_mcp_native as lib
from odoo.addons.mcp_server.models.mcp_rate_state import TABLE, DB_NOW

gw = env['mcp.gateway'].sudo()
Gateway = type(gw)
env['ir.config_parameter'].sudo().set_param('mcp_server.enable_rate_limiting', 'True')
env['ir.config_parameter'].sudo().set_param('mcp_server.request_limit', '100000000')
env.cr.commit()
env.registry.clear_cache()
base = gw._mcp_snapshot()
principal = gw._mcp_check_uid_secret(UID, MCP_KEY)
store = env['mcp.rate.state']._mcp_store()
original_snapshot = Gateway._mcp_snapshot

def rss_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])

def table():
    rows, size = store.execute(f"SELECT count(*), pg_total_relation_size('{TABLE}') FROM {TABLE}")[0]
    return rows, size

def sample(cases, n, samples):
    for _ in range(n):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            samples.setdefault(name, []).append(time.perf_counter() - t0)

def interleaved(cases, n):
    samples = {}
    sample(cases, n, samples)
    return {name: statistics.median(s[n // 10:]) * 1e6 for name, s in samples.items()}

# 1. the limiter
local = lib.RateLimiter(100000000)
shared = lib.SharedLimiter(100000000)
off = dataclasses.replace(base, rate_limiting=False)
def rate_off():
    Gateway._mcp_snapshot = lambda self: off
    gw._mcp_rate_limit(principal)
    Gateway._mcp_snapshot = original_snapshot
def rate_on():
    Gateway._mcp_snapshot = lambda self: base
    gw._mcp_rate_limit(principal)
    Gateway._mcp_snapshot = original_snapshot
limiter = interleaved({
    'per-process RateLimiter.check (before)': lambda: local.check('u:1'),
    'shared: one statement (store.check)': lambda: store.check([('u:bench/100000000', shared)]),
    '_mcp_rate_limit, rate limiting off': rate_off,
    '_mcp_rate_limit, on (key + user: one statement)': rate_on,
}, N)

# 2. growth
def snapshot_for(models, keys):
    rows = [('res.partner', True, False, False, False)]
    rows += [(f'x_bench.model_{i}', True, False, False, False) for i in range(models - 1)]
    credentials = lib.CredentialCache(max_entries=max(10000, keys))
    credentials.insert(MCP_KEY, UID, key_id=principal.key_id, kind='mcp')
    for i in range(keys - 1):
        credentials.insert(f'mcp_synthetic_{i:036d}', UID, key_id=10**7 + i, kind='mcp')
    return dataclasses.replace(
        base, matrix=lib.PermissionMatrix(rows, 1), credentials=credentials,
        key_limits={10**7 + i: 60 for i in range(keys - 1)},
    )

def gate():
    p = gw._mcp_check_uid_secret(UID, MCP_KEY)
    gw._mcp_check_member(p)
    gw._mcp_rate_limit(p)
    gw._mcp_decide(p, 'res.partner', 'search_read')

# The key counts cannot share one table state, so they take turns over ROUNDS rounds (the model
# counts, which can, are interleaved within each turn); medians over every sample of a case.
SYNTHETIC = 'k:synthetic-%'
ROUNDS = 4
snaps = {(m, k): snapshot_for(m, k) for m in (1, 100, 1000) for k in (1, 1000, 100000)}
def case(snap):
    def run():
        Gateway._mcp_snapshot = lambda self: snap
        gate()
    return run
samples, rows_seen = {}, {}
for _ in range(ROUNDS):
    for keys in (1, 1000, 100000):
        # bulk setup on the shell's own cursor (the store's connection keeps its 2 s timeout)
        env.cr.execute(f"DELETE FROM {TABLE} WHERE key LIKE %s", [SYNTHETIC])
        env.cr.execute(
            f"INSERT INTO {TABLE} SELECT 'k:synthetic-' || g || '/60', {DB_NOW} + 600000000000,"
            f" {DB_NOW}, true FROM generate_series(0, %s) g", [keys - 2])
        env.cr.commit()
        env.cr.execute(f"ANALYZE {TABLE}")
        env.cr.commit()
        cases = {f'{m} models, {keys} keys': case(snaps[m, keys]) for m in (1, 100, 1000)}
        sample(cases, N // ROUNDS + N // 10, samples)
        Gateway._mcp_snapshot = original_snapshot
        rows_seen[keys] = table()[0]
growth = {name: statistics.median(s) * 1e6 for name, s in samples.items()}
for keys, rows in rows_seen.items():
    growth[f'state rows with {keys} keys'] = rows
env.cr.execute(f"DELETE FROM {TABLE} WHERE key LIKE %s", [SYNTHETIC])
env.cr.commit()
print('BENCH_RATELIMIT ' + json.dumps({'limiter_us': limiter, 'gate_growth_us': growth}))
"""

FLOOD_SCRIPT = r"""
import json, time
import odoo_mcp_native
from odoo.addons.mcp_server.models.mcp_rate_state import STATEMENT_TIMEOUT_MS, TABLE

gw = env['mcp.gateway'].sudo()
env['ir.config_parameter'].sudo().set_param('mcp_server.enable_rate_limiting', 'True')
env.cr.commit()
store = env['mcp.rate.state']._mcp_store()

def rss_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])

def table():
    rows, size = store.execute(f"SELECT count(*), pg_total_relation_size('{TABLE}') FROM {TABLE}")[0]
    return rows, size

gw._mcp_check_key(odoo_mcp_native.keys.generate())  # warm
# 3. flood
store.gc()
rss_before, (rows_before, size_before) = rss_kib(), table()
peak_rows = peak_size = 0
series = []
t0 = time.perf_counter()
for i in range(FLOOD):
    if i < FLOOD_KEYS:
        assert gw._mcp_check_key(odoo_mcp_native.keys.generate()) is None  # well formed, unknown
    gw._mcp_log_allowed(f'10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}-{i >> 24}')
    if i % 1000 == 999:
        env.cr.rollback()  # requests end their transactions: none holds back vacuum
    if i % 50000 == 49999:
        rows, size = table()
        peak_rows, peak_size = max(peak_rows, rows), max(peak_size, size)
        series.append((i + 1, rows, size, rss_kib()))
flood_seconds = time.perf_counter() - t0
rows_after, size_after = table()
store.execute("SET statement_timeout = 0")
store.execute(f"VACUUM {TABLE}")
store.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
_rows, size_vacuumed = table()
flood = {
    'bad_keys': FLOOD,
    'checked_keys': FLOOD_KEYS,
    'seconds': round(flood_seconds, 1),
    'us_per_bad_key': round(flood_seconds / FLOOD * 1e6, 1),
    'rss_kib_before': rss_before,
    'rss_kib_after': rss_kib(),
    'rows_before': rows_before,
    'rows_after': rows_after,
    'rows_peak': max(peak_rows, rows_after),
    'table_bytes_before': size_before,
    'table_bytes_after': size_after,
    'table_bytes_peak': max(peak_size, size_after),
    'table_bytes_after_vacuum': size_vacuumed,
    'series': series,  # (failures so far, rows, table bytes, worker KiB) every 50,000
    'credential_cache_entries': len(gw._mcp_snapshot().credentials),
}
env.cr.rollback()
print('BENCH_FLOOD ' + json.dumps(flood))
"""
