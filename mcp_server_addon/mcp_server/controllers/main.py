"""HTTP face of the MCP gate: thin routes over ``mcp.gateway`` and the native XML-RPC codec.

The REST routes answer the JSON envelope of CONTRACT §2; the XML-RPC routes answer faults with
HTTP 200 (CONTRACT §3). Authentication, rate limiting and permission decisions happen once, in
``mcp.gateway``; this module only reads the request and writes the response and the audit rows.
"""

import functools
import json
import logging
import math
import time
import xmlrpc.client
from datetime import datetime, timezone

import odoo.release
from odoo import http
from odoo.exceptions import AccessDenied, AccessError, MissingError, RedirectWarning, UserError
from odoo.http import request
from odoo.modules.module import get_manifest
from odoo.service import db as db_service
from odoo.tools import config, lazy

from .. import native
from ..models.mcp_gateway import McpError

_logger = logging.getLogger(__name__)

MAX_LOGGED_ARGS = 10_000
#: Largest XML-RPC body accepted (a create of thousands of rows fits well under it).
MAX_XMLRPC_BODY = 32 * 1024 * 1024
SECRET_HINTS = ("pass", "secret", "token", "key", "otp", "auth")
XML_CONTENT_TYPES = ("text/xml", "application/xml", "")
DB_READ_METHODS = ("list", "server_version", "list_lang", "list_countries", "db_exist")
# Every MCP route writes (audit rows, a key's last use, the caller's own writes): read/write cursor.
REST_ROUTE = {
    "type": "http",
    "auth": "none",
    "methods": ["GET"],
    "csrf": False,
    "save_session": False,
    "readonly": False,
}
XMLRPC_ROUTE = {
    "type": "http",
    "auth": "none",
    "methods": ["POST"],
    "csrf": False,
    "save_session": False,
    "readonly": False,
}


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

    def __init__(self, endpoint):
        httprequest = request.httprequest
        self.started = time.perf_counter()
        self.base = {
            "endpoint": endpoint,
            "http_method": httprequest.method,
            "ip_address": httprequest.remote_addr,
            "user_agent": (httprequest.headers.get("User-Agent") or "")[:256],
        }
        self.rows = []
        self.enabled = False

    def request_data(self, args, kwargs):
        return dump_for_log({"args": args, "kwargs": kwargs})

    def add(self, event_type, **values):
        self.rows.append(dict(self.base, event_type=event_type, **values))

    def flush(self):
        if not self.enabled or not self.rows or not request.db:
            return
        duration = round((time.perf_counter() - self.started) * 1000.0, 2)
        gateway = request.env["mcp.gateway"]
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
            request.env["mcp.log"]._mcp_insert(request.env.cr, rows)
        except Exception:
            _logger.warning("MCP: could not write %d audit row(s)", len(rows), exc_info=True)


# ----------------------------------------------------------------------
# REST
# ----------------------------------------------------------------------
def json_response(status, data=None, message=None, headers=None):
    body = {"success": status < 400, "meta": {"timestamp": utc_timestamp()}}
    if status < 400:
        body["data"] = data
    else:
        body["error"] = {"message": message, "code": f"E{status}"}
    payload = json.dumps(body, ensure_ascii=False, default=str).encode()
    all_headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
    return request.make_response(payload, headers=all_headers + list(headers or []), status=status)


def error_response(exc):
    headers = []
    if exc.retry_after is not None:
        headers.append(("Retry-After", str(max(1, math.ceil(exc.retry_after)))))
    return json_response(exc.status, message=exc.message, headers=headers)


def mcp_rest(authenticated=True):
    """Wrap a REST handler ``handler(self, gateway, principal, audit, **kwargs) -> data``."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(self, **kwargs):
            audit = Audit(request.httprequest.path)
            try:
                gateway = request.env["mcp.gateway"].sudo()
                snapshot = gateway._mcp_check_enabled()
                audit.enabled = snapshot.logging
                principal = None
                if authenticated:
                    principal = _rest_principal(gateway)
                    audit.base["user_id"] = principal.uid
                    audit.base["api_key_used"] = principal.auth_method == "api_key"
                    gateway._mcp_check_user(principal)
                return json_response(200, handler(self, gateway, principal, audit, **kwargs))
            except McpError as exc:
                if exc.event_type:
                    audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
                return error_response(exc)
            except Exception:
                request.env.cr.rollback()  # keep nothing of a failed request but its audit row
                _logger.exception("MCP: unexpected error on %s", request.httprequest.path)
                audit.add("error", error_code="E500", error_message="Internal server error.")
                return json_response(500, message="Internal server error.")
            finally:
                audit.flush()

        return wrapper

    return decorator


def _rest_principal(gateway):
    """Credentials in the contract's order: ``X-API-Key``, then the web session."""
    api_key = request.httprequest.headers.get("X-API-Key")
    if api_key is not None:
        principal = gateway._mcp_check_key(api_key.strip())
        if principal is None:
            raise McpError(401, "Invalid API key.", "auth_failure")
        return principal
    uid = request.session.uid
    if uid:
        return gateway._mcp_principal(uid, "session")
    raise McpError(
        401, "Authentication required: send an X-API-Key header or a session cookie.", "auth_failure"
    )


class McpController(http.Controller):
    @http.route("/mcp/health", **REST_ROUTE)
    @mcp_rest(authenticated=False)
    def health(self, gateway, principal, audit):
        return {"status": "ok", "mcp_server_version": mcp_version()}

    @http.route("/mcp/system/info", **REST_ROUTE)
    @mcp_rest()
    def system_info(self, gateway, principal, audit):
        user = request.env["res.users"].sudo().browse(principal.uid)
        return {
            "db_name": request.db,
            "odoo_version": odoo.release.version,
            "language": user.lang or "en_US",
            "enabled_mcp_models": len(gateway._mcp_snapshot().matrix),
            "mcp_server_version": mcp_version(),
            "server_timezone": user.tz or "UTC",
        }

    @http.route("/mcp/auth/validate", **REST_ROUTE)
    @mcp_rest()
    def auth_validate(self, gateway, principal, audit):
        audit.add("auth_success")
        return {"valid": True, "user_id": principal.uid, "auth_method": principal.auth_method}

    @http.route("/mcp/models", **REST_ROUTE)
    @mcp_rest()
    def models(self, gateway, principal, audit):
        audit.add("model_access", operation="list")
        return {"models": gateway._mcp_models(principal)}

    @http.route("/mcp/models/<string:model>/access", **REST_ROUTE)
    @mcp_rest()
    def model_access(self, gateway, principal, audit, model):
        return gateway._mcp_model_access(principal, model, audit.add)

    # ------------------------------------------------------------------
    # XML-RPC
    # ------------------------------------------------------------------
    @http.route("/mcp/xmlrpc/common", **XMLRPC_ROUTE)
    def xmlrpc_common(self):
        return XmlRpcCall("common").serve(self._common)

    @http.route("/mcp/xmlrpc/db", **XMLRPC_ROUTE)
    def xmlrpc_db(self):
        return XmlRpcCall("db").serve(self._db)

    @http.route("/mcp/xmlrpc/object", **XMLRPC_ROUTE)
    def xmlrpc_object(self):
        return XmlRpcCall("object").serve(self._object)

    def _common(self, call, gateway, method, params):
        if method == "version":
            return {
                "server_version": odoo.release.version,
                "server_version_info": list(odoo.release.version_info),
                "server_serie": odoo.release.serie,
                "protocol_version": 1,
            }
        if method not in ("authenticate", "login"):
            raise XmlRpcFault(400, f"Unsupported method {method}. Use version, authenticate or login.")
        if len(params) < 3:
            raise XmlRpcFault(400, f"{method} takes (db, login, password).")
        db, login, secret = params[:3]
        user_agent_env = params[3] if len(params) > 3 and isinstance(params[3], dict) else {}
        if db != request.db:
            raise XmlRpcFault(400, "The database does not match the X-Odoo-Database header of the request.")
        uid = gateway._mcp_check_login(login, secret, user_agent_env)
        if not uid:
            call.audit.add("auth_failure", error_code="3", error_message="Access Denied")
            return False
        principal = gateway._mcp_principal(uid, "password")
        call.audit.base["user_id"] = uid
        gateway._mcp_check_user(principal)
        call.audit.add("auth_success", operation=method)
        return uid

    def _db(self, call, gateway, method, params):
        if method not in DB_READ_METHODS:
            raise XmlRpcFault(403, f"Method {method} is not available: only read-only database services are.")
        if method == "list":
            if not config["list_db"]:
                raise AccessDenied()
            return db_service.list_dbs(True)
        if method == "server_version":
            return odoo.release.version
        if method == "list_lang":
            return db_service.exp_list_lang()
        if method == "list_countries":
            return db_service.exp_list_countries()
        if not params or not isinstance(params[0], str):
            raise XmlRpcFault(400, "db_exist takes (db_name).")
        return db_service.exp_db_exist(params[0])

    def _object(self, call, gateway, method, params):
        if method != "execute_kw":
            raise XmlRpcFault(400, f"Unsupported method {method}. Only execute_kw is allowed.")
        if len(params) < 5:
            raise XmlRpcFault(400, "execute_kw takes (db, uid, password, model, method, args, kwargs).")
        db, uid, secret, model, model_method = params[:5]
        if db != request.db:
            raise XmlRpcFault(400, "The database does not match the X-Odoo-Database header of the request.")
        if not isinstance(model, str) or not gateway._mcp_native().valid_model_name(model):
            raise XmlRpcFault(400, "Invalid model name.")
        args = params[5] if len(params) > 5 else []
        kwargs = params[6] if len(params) > 6 else {}
        if not isinstance(model_method, str) or not isinstance(args, list) or not isinstance(kwargs, dict):
            raise XmlRpcFault(400, "execute_kw takes (db, uid, password, model, method, args, kwargs).")
        call.audit.base.update(model_name=model, operation=model_method[:64])
        call.mark("parse")
        principal = call.authenticate(gateway, uid, secret)
        call.mark("auth")
        gateway._mcp_check_member(principal)
        call.mark("user")
        gateway._mcp_rate_limit(principal)
        call.mark("rate")
        plan = gateway._mcp_authorize(principal, model, model_method, args, kwargs)
        call.audit.base["operation"] = plan.operation
        call.mark("decide")
        return gateway._mcp_execute(principal, model, model_method, plan, call.audit)


class XmlRpcFault(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def fault_body(code, message):
    lib = native.get()
    if lib is None:
        return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True).encode()
    return lib.xmlrpc.dumps_fault(code, message)


def odoo_fault(exc):
    """Odoo's own fault codes (``rpc`` addon): 2 warnings, 3 access denied, 4 access error, 1 else."""
    if isinstance(exc, RedirectWarning):
        return 2, str(exc)
    if isinstance(exc, AccessError):
        return 4, str(exc)
    if isinstance(exc, AccessDenied):
        return 3, "Access Denied"
    if isinstance(exc, (UserError, MissingError)):
        return 2, str(exc)
    return 1, f"{type(exc).__name__}: {exc}"


def marshal_default(value):
    """Types Odoo returns that XML-RPC does not know: recordsets become ids, lazies their value."""
    from odoo.models import BaseModel

    if isinstance(value, BaseModel):
        return value.ids
    if isinstance(value, lazy):
        return value._value
    raise TypeError(f"cannot marshal {type(value)} objects")


class XmlRpcCall:
    """One XML-RPC request: decode, dispatch, encode; every refusal becomes a fault (HTTP 200)."""

    def __init__(self, service):
        self.service = service
        self.audit = Audit(f"/mcp/xmlrpc/{service}")
        self.audit.base["http_method"] = "POST"
        self.timing = None  # phase -> seconds, when Server-Timing is on
        self._mark = time.perf_counter()

    def mark(self, phase):
        """Close the current phase of the request (for the optional ``Server-Timing`` header)."""
        if self.timing is not None:
            now = time.perf_counter()
            self.timing[phase] = self.timing.get(phase, 0.0) + now - self._mark
            self._mark = now

    def respond(self, body, status=200):
        return request.make_response(
            body, headers=[("Content-Type", "text/xml; charset=utf-8")], status=status
        )

    def fault(self, code, message, event_type="error"):
        if event_type:
            self.audit.add(event_type, error_code=str(code), error_message=message)
        return self.respond(fault_body(code, message))

    def authenticate(self, gateway, uid, secret):
        principal = gateway._mcp_check_uid_secret(uid, secret)
        self.audit.base["user_id"] = principal.uid
        self.audit.base["api_key_used"] = principal.auth_method == "api_key"
        return principal

    def serve(self, handler):
        response = self._serve(handler)
        self.mark("other")
        self.audit.flush()
        self.mark("log")
        if self.timing is not None:
            response.headers["Server-Timing"] = ", ".join(
                f"{phase};dur={seconds * 1000:.3f}" for phase, seconds in self.timing.items()
            )
        return response

    def _serve(self, handler):
        lib = native.get()
        if lib is None:
            return self.respond(fault_body(503, native.UNAVAILABLE), status=503)
        try:
            gateway = request.env["mcp.gateway"].sudo()
            try:
                snapshot = gateway._mcp_check_enabled()
            except McpError:
                return self.fault(403, "MCP Server is disabled globally.", event_type=None)
            self.audit.enabled = snapshot.logging
            if snapshot.server_timing:
                self.timing = {}
            content_type = (request.httprequest.mimetype or "").lower()
            if content_type not in XML_CONTENT_TYPES:
                return self.fault(400, f"Unsupported content type {content_type}: send text/xml.")
            length = request.httprequest.content_length
            if length is not None and length > MAX_XMLRPC_BODY:
                return self.fault(413, f"Request body too large: more than {MAX_XMLRPC_BODY} bytes.")
            try:
                body = request.httprequest.get_data()
                params, method = lib.xmlrpc.loads(body, max_body_bytes=MAX_XMLRPC_BODY)
            except ValueError as exc:
                return self.fault(400, f"Malformed XML-RPC request: {exc}")
            if method is None:
                return self.fault(400, "Malformed XML-RPC request: no methodName.")
            self.mark("decode")
            result = handler(self, gateway, method, params)
            self.mark("odoo")
            body = lib.xmlrpc.dumps_response(result, default=marshal_default)
            self.mark("encode")
            return self.respond(body)
        except XmlRpcFault as exc:
            return self.fault(exc.code, exc.message)
        except McpError as exc:
            return self.fault(exc.status, exc.message, exc.event_type)
        except AccessDenied:
            request.env.cr.rollback()
            return self.fault(3, "Access Denied", "auth_failure")
        except lib.XmlRpcEncodeError as exc:
            # As in Odoo's own XML-RPC, the call itself succeeded and stays committed: only its
            # result cannot be sent (a None result is the usual case, which clients expect).
            return self.fault(1, str(exc))
        except Exception as exc:
            request.env.cr.rollback()
            code, message = odoo_fault(exc)
            if code == 1:
                _logger.exception("MCP: error in XML-RPC %s call", self.service)
            else:
                _logger.info("MCP: XML-RPC %s call refused by Odoo: %s", self.service, message)
            return self.fault(code, message)
