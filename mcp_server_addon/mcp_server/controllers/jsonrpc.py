"""``/mcp/jsonrpc``: Odoo's JSON-RPC (``{"jsonrpc": "2.0", "method": "call", "params": {"service",
"method", "args"}}``) with the services of :mod:`.services` behind ``mcp.gateway``, and
``/mcp/web/webclient/version_info``, which JSON-RPC clients ask first.

Errors have Odoo's own JSON-RPC shape (``{"code", "message": "Odoo Server Error", "data": {"name",
"message", "arguments", "context", "debug"}}``, HTTP 200) with an empty ``debug``: no traceback leaves
the server. :func:`refusal_error` is the one mapping of the gate's refusals onto it."""

import json
import logging

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request
from odoo.models import BaseModel
from odoo.tools import json_default

from .. import compat, native
from ..models.mcp_gateway import McpError
from . import services
from .common import (
    ROUTE,
    Audit,
    canonical_path,
    odoo_error_data,
    paths,
    refusal_data,
    require_database,
    retry_after_headers,
)

_logger = logging.getLogger(__name__)

#: Largest JSON-RPC body accepted, as for XML-RPC.
MAX_JSONRPC_BODY = 32 * 1024 * 1024
JSON_CONTENT_TYPES = ("application/json", "application/json-rpc")
JSONRPC_ROUTE = {**ROUTE, "type": "http", "methods": ["POST"]}
SERVICES = {"common": services.common, "db": services.db, "object": services.object_call}


def refusal_error(exc):
    """The JSON-RPC error of a refusal of the gate: Odoo's shape, the gate's message."""
    if exc.status == 404:
        return {"code": 404, "message": "404: Not Found", "data": refusal_data(exc)}
    return {"code": compat.JSONRPC_ERROR_CODE, "message": "Odoo Server Error", "data": refusal_data(exc)}


def odoo_error(exc):
    """The JSON-RPC error of an exception Odoo raised: its name and message, no traceback."""
    return {"code": compat.JSONRPC_ERROR_CODE, "message": "Odoo Server Error", "data": odoo_error_data(exc)}


def json_bytes(body):
    """``body`` as compact JSON, by the native codec (Odoo's types through ``result_default``); by
    Python's ``json`` to say that the native module is missing, and for what the native codec
    refuses and Odoo's own JSON answers write: a float that is ``NaN`` or infinite (a float column
    can hold one) is written ``NaN``/``Infinity`` as Odoo writes it, not turned into an error."""
    lib = native.get()
    if lib is not None:
        try:
            return lib.json.dumps(body, default=result_default)
        except lib.json.JsonEncodeError as exc:  # rare: Python's json writes it, or raises as Odoo's would
            _logger.debug("MCP: the native codec refused a JSON answer (%s); writing it with json", exc)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=result_default).encode()


def json_body(data):
    """The decoded JSON of a request body, by the native codec; ``ValueError`` when it is not JSON."""
    return native.get().json.loads(data)


def result_default(value):
    """Types Odoo returns that JSON does not know: recordsets become ids, the rest as Odoo does."""
    if isinstance(value, BaseModel):
        return value.ids
    return json_default(value)


class McpJsonRpcController(http.Controller):
    @http.route(paths("jsonrpc"), **JSONRPC_ROUTE)
    def jsonrpc(self):
        return JsonRpcCall().serve(JsonRpcCall.dispatch)

    @http.route(paths("web/webclient/version_info"), **JSONRPC_ROUTE)
    def version_info(self):
        return JsonRpcCall().serve(lambda call, gateway, params: services.version())


class JsonRpcCall:
    """One JSON-RPC request: parse, dispatch, answer; every refusal is a JSON-RPC error."""

    def __init__(self):
        self.audit = Audit(canonical_path())
        self.request_id = None

    def mark(self, phase):
        """Phases are timed on XML-RPC only (``Server-Timing``)."""

    def respond(self, result=None, error=None, status=200, headers=()):
        body = {"jsonrpc": "2.0", "id": self.request_id}
        if error is not None:
            body["error"] = error
        elif result is not None:  # as Odoo: a None result is no "result" member
            body["result"] = result
        payload = json_bytes(body)
        return request.make_response(
            payload,
            headers=[("Content-Type", "application/json; charset=utf-8"), *headers],
            status=status,
        )

    def refused(self, exc):
        if exc.event_type:
            self.audit.add(exc.event_type, error_code=str(exc.status), error_message=exc.message)
        return self.respond(error=refusal_error(exc), headers=retry_after_headers(exc))

    def serve(self, handler):
        require_database()
        try:
            response = self._serve(handler)
        finally:
            self.audit.flush()
        return response

    def _serve(self, handler):
        if native.get() is None:
            return self.respond(error=refusal_error(McpError(503, native.UNAVAILABLE)), status=503)
        try:
            params = self._parse()
            gateway = request.env["mcp.gateway"].sudo()
            snapshot = gateway._mcp_check_enabled()
            self.audit.enabled = snapshot.logging
            return self.respond(handler(self, gateway, params))
        except McpError as exc:
            return self.refused(exc)
        except AccessDenied as exc:
            request.env.cr.rollback()
            self.audit.add("auth_failure", error_code="3", error_message="Access Denied")
            return self.respond(error=odoo_error(exc))
        except Exception as exc:
            request.env.cr.rollback()
            error = odoo_error(exc)
            if error["data"]["name"].startswith("odoo.exceptions."):
                _logger.info("MCP: JSON-RPC call refused by Odoo: %s", error["data"]["message"])
            else:
                _logger.exception("MCP: error in a JSON-RPC call")
            self.audit.add(
                "error", error_code=type(exc).__name__[:32], error_message=error["data"]["message"]
            )
            return self.respond(error=error)

    def _parse(self):
        """The request's ``params`` object; 400 for anything that is not a JSON-RPC call."""
        httprequest = request.httprequest
        if (httprequest.mimetype or "").lower() not in JSON_CONTENT_TYPES:
            raise services.bad_request(
                f"Unsupported content type {httprequest.mimetype}: send application/json."
            )
        length = httprequest.content_length
        if length is not None and length > MAX_JSONRPC_BODY:
            raise McpError(413, f"Request body too large: more than {MAX_JSONRPC_BODY} bytes.", "error")
        try:
            body = json_body(httprequest.get_data(parse_form_data=False) or b"null")
        except ValueError:
            raise services.bad_request("Invalid JSON data.") from None
        if not isinstance(body, dict):
            raise services.bad_request("Invalid JSON-RPC data: the request must be an object.")
        self.request_id = body.get("id")
        params = body.get("params", {})
        if not isinstance(params, dict):
            raise services.bad_request("Invalid JSON-RPC data: params must be an object.")
        return params

    @staticmethod
    def dispatch(call, gateway, params):
        service, method, args = params.get("service"), params.get("method"), params.get("args", [])
        if service not in SERVICES:
            raise services.bad_request(f"Unsupported service {service}. Use common, db or object.")
        if not isinstance(method, str) or not isinstance(args, list):
            raise services.bad_request("A call takes params {service, method, args} with args a list.")
        return SERVICES[service](call, gateway, method, args)
