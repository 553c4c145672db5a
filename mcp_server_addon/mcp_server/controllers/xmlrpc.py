"""``/mcp/xmlrpc/{common,db,object}`` (CONTRACT §3) and Odoo's own paths under the prefix,
``/mcp/xmlrpc/2/{common,db,object}``: Odoo's XML-RPC, decoded and encoded by the native codec, every
call through ``mcp.gateway`` (the services of :mod:`.services`). Refusals are faults with HTTP 200,
as Odoo answers them; :func:`refusal_fault` is the one mapping of the gate's refusals onto faults."""

import functools
import logging
import time
import xmlrpc.client

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, MissingError, RedirectWarning, UserError
from odoo.http import request
from odoo.tools import lazy

from .. import native
from ..models.mcp_gateway import McpError
from . import services
from .common import ROUTE, Audit, canonical_path, paths, require_database

_logger = logging.getLogger(__name__)

#: Largest XML-RPC body accepted (a create of thousands of rows fits well under it).
MAX_XMLRPC_BODY = 32 * 1024 * 1024
XML_CONTENT_TYPES = ("text/xml", "application/xml", "")
DB_READ_METHODS = services.DB_READ_METHODS
XMLRPC_ROUTE = {**ROUTE, "type": "http", "methods": ["POST"]}


class McpXmlRpcController(http.Controller):
    @http.route(paths("xmlrpc/common", "xmlrpc/2/common"), **XMLRPC_ROUTE)
    def xmlrpc_common(self):
        return XmlRpcCall("common").serve(services.common)

    @http.route(paths("xmlrpc/db", "xmlrpc/2/db"), **XMLRPC_ROUTE)
    def xmlrpc_db(self):
        return XmlRpcCall("db").serve(services.db)

    @http.route(paths("xmlrpc/object"), **XMLRPC_ROUTE)
    def xmlrpc_object(self):
        # CONTRACT §3: the legacy path takes execute_kw only
        handler = functools.partial(services.object_call, methods=services.EXECUTE_KW_ONLY)
        return XmlRpcCall("object").serve(handler)

    @http.route(paths("xmlrpc/2/object"), **XMLRPC_ROUTE)
    def xmlrpc_2_object(self):
        return XmlRpcCall("object").serve(services.object_call)


def refusal_fault(exc):
    """The fault of a refusal of the gate: its status as the code, its message."""
    return exc.status, exc.message


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
        self.audit = Audit(canonical_path())
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

    def serve(self, handler):
        require_database()
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
        except McpError as exc:
            return self.fault(*refusal_fault(exc), exc.event_type)
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
