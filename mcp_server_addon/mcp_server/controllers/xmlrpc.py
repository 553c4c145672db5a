"""``/mcp/xmlrpc/{common,db,object}`` (CONTRACT §3): Odoo's XML-RPC, decoded and encoded by the native
codec, every call through ``mcp.gateway``. Refusals are faults with HTTP 200, as Odoo answers them."""

import logging
import time
import xmlrpc.client

import odoo.release
from odoo import http
from odoo.exceptions import AccessDenied, AccessError, MissingError, RedirectWarning, UserError
from odoo.http import request
from odoo.service import db as db_service
from odoo.tools import config, lazy

from .. import native
from ..models.mcp_gateway import McpError
from .common import ROUTE, Audit

_logger = logging.getLogger(__name__)

#: Largest XML-RPC body accepted (a create of thousands of rows fits well under it).
MAX_XMLRPC_BODY = 32 * 1024 * 1024
XML_CONTENT_TYPES = ("text/xml", "application/xml", "")
DB_READ_METHODS = ("list", "server_version", "list_lang", "list_countries", "db_exist")
XMLRPC_ROUTE = {**ROUTE, "type": "http", "methods": ["POST"]}


class McpXmlRpcController(http.Controller):
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
        self.audit.principal(principal)
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
