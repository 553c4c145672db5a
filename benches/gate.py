"""In-process cost of each step of the MCP gate, inside Odoo (an ``odoo-bin shell`` script).

The end-to-end ``Server-Timing`` says how long each phase took under load; this says what each
step costs on an otherwise quiet process and how many SQL queries it sends, so that a phase that
misses its budget can be pinned on a line of the addon. Every sample starts from an empty record
cache (``env.invalidate_all()``), as a new request does; ormcaches and the credential cache stay
warm, as they are in a running server. Odoo's own check (``res.users._check_uid_passwd``, what
``/xmlrpc/2/object`` pays) is measured alongside.

Run by ``benches.e2e`` after its setup; ``SCRIPT`` needs ``UID``, ``ODOO_KEY``, ``MCP_KEY``,
``PASSWORD`` and ``N`` defined before it.
"""

SCRIPT = r"""
import json, statistics, time
from odoo.addons.mcp_server.models.mcp_gateway import Principal, GROUP_USER

gw = env['mcp.gateway'].sudo()
users = env['res.users'].sudo()
# the shared rate limit's statement runs on a connection of its own: counted with the queries
store = env['mcp.rate.state']._mcp_store()
# the write case below needs write and create on partners (rolled back at the end)
env['mcp.enabled.model'].search([('model_name', '=', 'res.partner')]).write(
    {'allow_write': True, 'allow_create': True})
gw._mcp_check_enabled()
by_key = gw._mcp_check_uid_secret(UID, ODOO_KEY)  # fills the credential cache
by_mcp = gw._mcp_check_uid_secret(UID, MCP_KEY)
users._check_uid_passwd(UID, PASSWORD)  # fills Odoo's own ormcache

DOMAIN5_ARGS = [['&', '&', '&', '&', ('name', 'ilike', 'a'), ('parent_id.name', 'ilike', 'a'),
                 ('active', '=', True), ('email', '!=', False), ('parent_id', '=', False)]]
NESTED_ARGS = [[1], {'name': 'x',
                     'child_ids': [[0, 0, {'name': 'c', 'child_ids': [[0, 0, {'name': 'g'}]]}],
                                   [4, 2], [1, 3, {'name': 'y'}]],
                     'category_id': [[6, 0, [1, 2]]]}]
SEARCH_KW = {'fields': ['name', 'email'], 'limit': 80}

def measure(fn):
    samples, queries = [], []
    for i in range(N + N // 10):
        env.invalidate_all()
        q0 = env.cr.sql_log_count + store.statements
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        if i >= N // 10:  # the first tenth warms up
            samples.append(t1 - t0)
            queries.append(env.cr.sql_log_count + store.statements - q0)
    return {'us': statistics.median(samples) * 1e6, 'p90_us': sorted(samples)[int(0.9 * len(samples))] * 1e6,
            'queries': statistics.median(queries)}

steps = {
    'snapshot (enabled check)': lambda: gw._mcp_check_enabled(),
    'auth: odoo key, warm cache': lambda: gw._mcp_check_uid_secret(UID, ODOO_KEY),
    'auth: mcp key, warm cache': lambda: gw._mcp_check_uid_secret(UID, MCP_KEY),
    'user: _mcp_check_member': lambda: gw._mcp_check_member(by_key),
    'user: browse().exists()': lambda: users.browse(UID).exists(),
    'user: .active (record fetch)': lambda: users.browse(UID).active,
    'user: has_group (ormcached)': lambda: users.browse(UID).has_group(GROUP_USER),
    'rate: _mcp_rate_limit': lambda: gw._mcp_rate_limit(by_key),
    'decide: _mcp_decide': lambda: gw._mcp_decide(by_key, 'res.partner', 'search_read'),
    'reach: search_read, 5-clause domain':
        lambda: gw._mcp_authorize(by_key, 'res.partner', 'search_read', DOMAIN5_ARGS, SEARCH_KW),
    'reach: write, nested commands':
        lambda: gw._mcp_authorize(by_key, 'res.partner', 'write', NESTED_ARGS, {}),
    'native: _check_uid_passwd (ormcached)': lambda: users._check_uid_passwd(UID, PASSWORD),
}

def gate():
    p = gw._mcp_check_uid_secret(UID, ODOO_KEY)
    gw._mcp_check_member(p)
    gw._mcp_rate_limit(p)
    gw._mcp_decide(p, 'res.partner', 'search_read')

def gate_without_member():
    p = gw._mcp_check_uid_secret(UID, ODOO_KEY)
    gw._mcp_rate_limit(p)
    gw._mcp_decide(p, 'res.partner', 'search_read')

steps['gate: auth + user + rate + decide'] = gate
steps['gate without the user step'] = gate_without_member

def audit_row_own_cursor():
    with env.registry.cursor() as cr:
        env['mcp.log']._mcp_insert(cr, [ROW])

def audit_row_savepoint():
    with env.cr.savepoint(flush=False):
        env['mcp.log']._mcp_insert(env.cr, [ROW])

ROW = dict(endpoint='/mcp/xmlrpc/object', http_method='POST', ip_address='127.0.0.1',
               user_agent='bench', user_id=UID, api_key_used=True, model_name='res.partner',
               operation='read', event_type='resource_retrieval', record_ids='1',
               request_data='{"args": [[1]], "kwargs": {"fields": ["name"]}}', response_data='list of 1',
               duration_ms=1.0)

steps['log: one mcp.log row, savepoint in the request transaction'] = audit_row_savepoint
steps['log: one mcp.log row on a cursor of its own'] = audit_row_own_cursor
out = {name: measure(fn) for name, fn in steps.items()}
env.cr.rollback()
print('BENCH_GATE ' + json.dumps(out))
"""
