"""Uninstalling the addon leaves nothing of it in the database (its tables, the columns it adds,
its shared rate-limit state, its groups and models), and it installs again afterwards."""

from __future__ import annotations

import json
import re

from tests.harness.odoo_env import odoo_shell

from .conftest import Stack, install_addon

USE_SCRIPT = """
env['ir.config_parameter'].sudo().set_param('mcp_server.enabled', 'True')
env['mcp.enabled.model'].create({'model_id': env['ir.model']._get('res.country').id})
from odoo.addons.mcp_server import compat
admin = env.ref('base.user_admin')
admin[compat.USER_GROUPS] = [(4, env.ref('mcp_server.group_mcp_user').id)]
env['mcp.api.key'].with_user(admin)._generate('uninstall test', admin)
env.cr.execute("INSERT INTO mcp_rate_state (key, tat, seen, allowed) VALUES ('u:2/300', 1, 1, true)")
env.cr.execute("SELECT count(*) FROM mcp_rate_state")
print('RATE_ROWS', env.cr.fetchone()[0])
"""

UNINSTALL_SCRIPT = """
env['ir.module.module'].search([('name', '=', 'mcp_server')]).button_immediate_uninstall()
"""

LEFT_SCRIPT = """
import json
cr = env.cr
cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'mcp%'")
tables = sorted(r[0] for r in cr.fetchall())
cr.execute(
    "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE column_name LIKE 'mcp%'"
)
columns = sorted(r[0] for r in cr.fetchall())
cr.execute("SELECT model FROM ir_model WHERE model LIKE 'mcp.%'")
models = sorted(r[0] for r in cr.fetchall())
cr.execute("SELECT name FROM ir_model_data WHERE module = 'mcp_server'")
data = sorted(r[0] for r in cr.fetchall())
state = env['ir.module.module'].search([('name', '=', 'mcp_server')]).state
print('LEFT ' + json.dumps(dict(tables=tables, columns=columns, models=models, data=data, state=state)))
"""


def left_behind(stack: Stack, db: str) -> dict:
    out = odoo_shell(stack.odoo, stack.pg, db, stack.data_dir, LEFT_SCRIPT)
    found = re.search(r"^LEFT (.*)$", out, re.MULTILINE)
    assert found, out[-3000:]
    return json.loads(found.group(1))


def test_uninstall_leaves_nothing_and_reinstall_works(stack: Stack) -> None:
    db = f"{stack.db}_uninstall"
    try:
        install_addon(stack, db, "install-uninstall.log")
        installed = left_behind(stack, db)
        assert installed["state"] == "installed"
        assert "mcp_rate_state" in installed["tables"] and "mcp_api_key" in installed["tables"]
        out = odoo_shell(stack.odoo, stack.pg, db, stack.data_dir, USE_SCRIPT)
        assert re.search(r"^RATE_ROWS [1-9]", out, re.MULTILINE), out[-3000:]

        odoo_shell(stack.odoo, stack.pg, db, stack.data_dir, UNINSTALL_SCRIPT)
        left = left_behind(stack, db)
        assert left == {"tables": [], "columns": [], "models": [], "data": [], "state": "uninstalled"}

        install_addon(stack, db, "reinstall-uninstall.log")
        again = left_behind(stack, db)
        assert again["state"] == "installed"
        assert "mcp_rate_state" in again["tables"]
    finally:
        stack.pg.drop_db(db)
