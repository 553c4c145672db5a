"""What every MCP surface shares: the audit rows of a request (secrets masked) and the version."""

import json
import logging
import time
from datetime import datetime, timezone

from odoo.http import request
from odoo.modules.module import get_manifest

_logger = logging.getLogger(__name__)

MAX_LOGGED_ARGS = 10_000
SECRET_HINTS = ("pass", "secret", "token", "key", "otp", "auth")
#: Every MCP route writes (audit rows, a key's last use, the caller's own writes), so none takes a
#: read-only cursor; none keeps a session. A surface adds its ``type`` and ``methods``.
ROUTE = {"auth": "none", "csrf": False, "save_session": False, "readonly": False}


def mcp_version():
    return get_manifest("mcp_server")["version"]


def utc_timestamp():
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat()


def redact(value, depth=0):
    """A copy of ``value`` fit for the audit log: secrets masked, nothing too deep."""
    if depth > 8:
        return "..."
    if isinstance(value, dict):
        return {
            str(k): "***" if any(h in str(k).lower() for h in SECRET_HINTS) else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in value[:200]]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(type(value).__name__)


def dump_for_log(value):
    try:
        return json.dumps(redact(value), default=str)[:MAX_LOGGED_ARGS]
    except (TypeError, ValueError):
        return None


class Audit:
    """Audit rows of one request, written at its end, after a failed call has rolled its own work
    back, so that a refused or failed request keeps its rows. No extra connection or commit per
    request. Writing never breaks the request: a failure is logged and forgotten."""

    def __init__(self, endpoint, env=None):
        # ``env``: where rows go when there is no HTTP request of our own (the playground's button)
        httprequest = request.httprequest if request else None
        self.env = env
        self.started = time.perf_counter()
        self.base = {
            "endpoint": endpoint,
            "http_method": httprequest.method if httprequest else None,
            "ip_address": httprequest.remote_addr if httprequest else None,
            "user_agent": ((httprequest.headers.get("User-Agent") or "") if httprequest else "")[:256],
        }
        self.rows = []
        self.enabled = False

    @property
    def client(self):
        """The client as it names itself (the first word of its ``User-Agent``), or ``None``."""
        agent = self.base.get("user_agent") or ""
        return agent.split(" ", 1)[0][:64] or None

    def principal(self, principal):
        """Name who the request runs as on every row of it: the user, and the MCP key if one."""
        self.base["user_id"] = principal.uid
        self.base["api_key_used"] = principal.auth_method == "api_key"
        self.base["api_key_id"] = principal.key_id

    def request_data(self, args, kwargs):
        return dump_for_log({"args": args, "kwargs": kwargs})

    def add(self, event_type, **values):
        self.rows.append(dict(self.base, event_type=event_type, **values))

    def flush(self):
        env = self.env if self.env is not None else request.env if request and request.db else None
        if not self.enabled or not self.rows or env is None:
            return
        duration = round((time.perf_counter() - self.started) * 1000.0, 2)
        gateway = env["mcp.gateway"]
        rows = []
        for row in self.rows:
            if row["event_type"] == "auth_failure" and not gateway._mcp_log_allowed(row["ip_address"]):
                continue
            row.setdefault("duration_ms", duration)
            rows.append(row)
        if not rows:
            return
        try:
            # In the request's own transaction, which every route ends by committing: a failed call
            # has rolled its work back before this point, so its rows stay.
            env["mcp.log"]._mcp_insert(env.cr, rows)
        except Exception:
            _logger.warning("MCP: could not write %d audit row(s)", len(rows), exc_info=True)
