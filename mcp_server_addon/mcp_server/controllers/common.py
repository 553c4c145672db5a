"""What every MCP surface shares: the audit rows of a request (secrets masked) and the version."""

import json
import logging
import math
import re
import time
from datetime import datetime, timezone

from odoo.http import request
from odoo.modules.module import get_manifest
from odoo.tools import exception_to_unicode
from werkzeug.exceptions import NotFound

_logger = logging.getLogger(__name__)

MAX_LOGGED_ARGS = 10_000
SECRET_HINTS = ("pass", "secret", "token", "key", "otp", "auth")
#: Every MCP route writes (audit rows, a key's last use, the caller's own writes), so none takes a
#: read-only cursor; none keeps a session. A surface adds its ``type`` and ``methods``.
ROUTE = {"auth": "none", "csrf": False, "save_session": False, "readonly": False}


BEARER_RE = re.compile(r"^bearer\s+(\S.*)$", re.IGNORECASE)


def bearer_token():
    """The key of the request's ``Authorization: Bearer <key>`` header (the scheme in any case, the
    key trimmed): ``None`` without the header, ``""`` for another scheme or no key."""
    authorization = (request.httprequest.headers.get("Authorization") or "").strip()
    if not authorization:
        return None
    found = BEARER_RE.match(authorization)
    return found.group(1).strip() if found else ""


def require_database():
    """Answer 404, as for a route that does not exist, when the request has no database: none named
    (or one the db filter excludes) on a server with several. Only a server that lists the addon in
    ``server_wide_modules`` routes such a request to an MCP surface at all."""
    if not request.db:
        raise NotFound()


#: The gate's refusals (:class:`~..models.mcp_gateway.McpError`, by HTTP status) in the terms of
#: each protocol: XML-RPC faults carry the status as their code; JSON-RPC errors and JSON-2 bodies
#: name the exception Odoo itself raises in that case, and JSON-2 answers with the status. The
#: message is the gate's, the same everywhere.
REFUSAL_NAMES = {
    400: "werkzeug.exceptions.BadRequest",
    401: "odoo.exceptions.AccessDenied",
    403: "odoo.exceptions.AccessError",
    404: "werkzeug.exceptions.NotFound",
    413: "werkzeug.exceptions.RequestEntityTooLarge",
    415: "werkzeug.exceptions.UnsupportedMediaType",
    422: "werkzeug.exceptions.UnprocessableEntity",
    429: "werkzeug.exceptions.TooManyRequests",
    503: "werkzeug.exceptions.ServiceUnavailable",
}
#: Odoo's exceptions whose message may reach the caller, and the status JSON-2 answers them with
#: (Odoo 19's ``http_status``; 18.0 has the classes without it). Most specific first.
ODOO_ERROR_STATUSES = (
    ("AccessDenied", 403),
    ("AccessError", 403),
    ("MissingError", 404),
    ("LockError", 409),
    ("UserError", 422),
)


def paths(*suffixes):
    """Each route path under ``/mcp``, and the same with the doubled slash that a base URL ending
    in ``/`` gives (``/mcp//jsonrpc``): Odoo's routing map does not merge slashes."""
    return [f"/mcp{sep}{suffix}" for suffix in suffixes for sep in ("/", "//")]


def canonical_path():
    """The request's path as the audit log names it: the doubled slash after ``/mcp`` merged."""
    path = request.httprequest.path
    return "/mcp/" + path[len("/mcp//") :] if path.startswith("/mcp//") else path


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
    """Audit rows of one request: a write's rows with the write, in the transaction that commits it
    (:meth:`write_pending`), the others at the end of the request (:meth:`flush`), after a failed
    call has rolled its own work back, so that a refused or failed request keeps its rows. No extra
    connection or commit per request. Writing never breaks the request: a failure is logged and
    forgotten."""

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
        #: How many of ``rows`` are written already (by :meth:`write_pending`).
        self.written = 0
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
        self.base["oauth_client_id"] = principal.client_id

    def request_data(self, args, kwargs):
        return dump_for_log({"args": args, "kwargs": kwargs})

    def add(self, event_type, **values):
        self.rows.append(dict(self.base, event_type=event_type, **values))

    def checkpoint(self):
        """Where the rows stand, for :meth:`rewind`."""
        return len(self.rows), self.written

    def rewind(self, checkpoint):
        """Forget the rows added since ``checkpoint``, and that those written since then were
        written: their transaction rolled back (a failed or retried call)."""
        count, written = checkpoint
        del self.rows[count:]
        self.written = written

    def write_pending(self, env):
        """Write the rows gathered so far with ``env``'s cursor, in the transaction that is about
        to commit the call's own work: a call and its rows commit together, in one transaction,
        and :meth:`flush` writes only the rows added afterwards."""
        self._write(env)

    def flush(self):
        """Write the rows not written yet, at the end of the request."""
        self._write(self.env if self.env is not None else request.env if request and request.db else None)

    def _write(self, env):
        pending = self.rows[self.written :]
        self.written = len(self.rows)
        if not self.enabled or not pending or env is None:
            return
        duration = round((time.perf_counter() - self.started) * 1000.0, 2)
        gateway = env["mcp.gateway"]
        rows = []
        for row in pending:
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


def refusal_data(exc):
    """The ``data`` of a JSON-RPC error and the body of a JSON-2 error for a refusal of the gate:
    Odoo's own error shape (``serialize_exception``), without a traceback."""
    return error_data(
        REFUSAL_NAMES.get(exc.status, "odoo.exceptions.UserError"), exc.message, [exc.message, exc.status]
    )


def odoo_error_data(exc):
    """Odoo's error shape for an exception raised by Odoo while running the call: the exception's
    name and message, no traceback."""
    cls = type(exc)
    name = f"{cls.__module__}.{cls.__name__}" if cls.__module__ else cls.__name__
    message = "Access Denied" if cls.__name__ == "AccessDenied" else exception_to_unicode(exc)
    arguments = [message] if cls.__name__ == "AccessDenied" else [str(a) for a in exc.args]
    return error_data(name, message, arguments)


def error_data(name, message, arguments):
    return {"name": name, "message": message, "arguments": arguments, "context": {}, "debug": ""}


def odoo_error_status(exc):
    """The JSON-2 status of an exception Odoo raised, or ``None`` for an internal error (500)."""
    names = {cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "odoo.exceptions"}
    return next((status for name, status in ODOO_ERROR_STATUSES if name in names), None)


def retry_after_headers(exc):
    """``Retry-After`` of a rate-limit refusal, in whole seconds (at least 1)."""
    if exc.retry_after is None:
        return []
    return [("Retry-After", str(max(1, math.ceil(exc.retry_after))))]
