"""``make setup``: a ready-to-use Odoo with mcp_server, for a newcomer or a client to try."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from .odoo_env import REPO, OdooServer, PgCluster, find_odoo, install_wheel, log, odoo_shell, run_odoo

WORK = REPO / ".work"
STATE = WORK / "server.json"
DB = os.environ.get("MCP_DEV_DB", "mcp_demo")
PORT = int(os.environ.get("MCP_DEV_PORT", "8069"))

#: Models enabled in the demo database, with their rights (read, write, create, unlink).
DEMO_MODELS = {
    "res.partner": (True, True, True, False),
    "res.users": (True, False, False, False),
    "res.country": (True, False, False, False),
    "res.currency": (True, False, False, False),
}

SETUP_SCRIPT = """
import json
ICP = env['ir.config_parameter'].sudo()
ICP.set_param('mcp_server.enabled', 'True')
for name, (r, w, c, u) in json.loads({models!r}).items():
    model = env['ir.model']._get(name)
    row = env['mcp.enabled.model'].with_context(active_test=False).search([('model_id', '=', model.id)])
    vals = dict(allow_read=r, allow_write=w, allow_create=c, allow_unlink=u, active=True)
    if row:
        row.write(vals)
    else:
        env['mcp.enabled.model'].create(dict(vals, model_id=model.id))
admin = env.ref('base.user_admin')
key = env['res.users.apikeys'].with_user(admin).sudo()._generate(None, 'mcp-server-odoo (make setup)', None)
print('MCP_KEY=' + key)
"""


def setup(_argv: list[str]) -> int:
    odoo, reason = find_odoo()
    if odoo is None:
        print(
            "The wheel is built and installed in .venv, but no Odoo was found, so no server was started:\n"
            f"  {reason}\n"
            "Point at an Odoo 18.0 or 19.0 checkout and its Python, then run `make setup` again:\n"
            "  export ODOO_BIN=/path/to/odoo/odoo-bin ODOO_PYTHON=/path/to/odoo/venv/bin/python"
        )
        return 0
    stop([])
    log(f"Using {reason}")
    install_wheel(odoo.python)
    WORK.mkdir(exist_ok=True)
    pg = PgCluster.from_env_or_new(WORK / "pg").start()
    data_dir = WORK / "data"
    exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'")
    log(f"{'Updating' if exists else 'Creating'} database {DB} with mcp_server (a minute or two)...")
    flag = "-u" if exists else "-i"
    proc = run_odoo(
        odoo, pg, DB, data_dir, flag, "mcp_server", "--stop-after-init", "--no-http", log=WORK / "install.log"
    )
    if proc.returncode != 0:
        print(f"Installing mcp_server failed; see {WORK / 'install.log'}")
        return 1
    out = odoo_shell(odoo, pg, DB, data_dir, SETUP_SCRIPT.format(models=json.dumps(DEMO_MODELS)))
    key = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("MCP_KEY="))
    server = OdooServer(
        odoo, pg, DB, data_dir, port=PORT if _port_free(PORT) else 0, log=WORK / "odoo.log"
    ).start()
    STATE.write_text(
        json.dumps(
            {
                "pid": server.proc.pid,
                "port": server.port,
                "db": DB,
                "pg": str(pg.base) if pg.base else None,
                "external_pg": pg.external,
            }
        )
    )
    config = {
        "mcpServers": {
            "odoo": {
                "command": "uvx",
                "args": ["mcp-server-odoo"],
                "env": {"ODOO_URL": server.url, "ODOO_DB": DB, "ODOO_API_KEY": key},
            }
        }
    }
    print(
        f"\nOdoo {odoo.serie} with mcp_server is running at {server.url} (database {DB}, log {server.log}).\n"
        f"Sign in as admin / admin. MCP is enabled for: {', '.join(DEMO_MODELS)}.\n\n"
        f"API key (shown once): {key}\n\n"
        "Client configuration for mcp-server-odoo (paste into your MCP client's settings):\n"
        f"{json.dumps(config, indent=2)}\n\n"
        "Stop everything with `make stop`."
    )
    return 0


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def stop(_argv: list[str]) -> int:
    if not STATE.exists():
        return 0
    state = json.loads(STATE.read_text())
    try:
        os.killpg(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    if state.get("pg") and not state.get("external_pg"):
        PgCluster(base=Path(state["pg"])).stop()
    STATE.unlink()
    log("Stopped the Odoo server and its PostgreSQL cluster (data kept in .work/).")
    return 0
