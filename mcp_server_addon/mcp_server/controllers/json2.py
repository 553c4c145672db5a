"""``/mcp/json/2/<model>/<method>``: Odoo 19's JSON-2 API behind ``mcp.gateway``, on 18.0 as well,
and ``GET /mcp/web/version``, which JSON-2 clients ask first.

As Odoo's JSON-2: a bearer API key (an Odoo key or an MCP key, no password), the database in
``X-Odoo-Database``, a JSON object of named arguments (``ids`` the records, ``context``, the method's
own parameters), the result as JSON, errors as an HTTP status with Odoo's error body (``name``,
``message``, ``arguments``, ``context``, ``debug``) and an empty ``debug``. :func:`refusal_response`
is the one mapping of the gate's refusals onto it."""

import logging

import odoo.release
from odoo import http
from odoo.http import request

from .. import compat, native
from ..models import mcp_reach
from ..models.mcp_gateway import McpError, MethodNotFound
from . import services
from .common import (
    ROUTE,
    Audit,
    bearer_token,
    canonical_path,
    error_data,
    odoo_error_data,
    odoo_error_status,
    paths,
    refusal_data,
    require_database,
    retry_after_headers,
)
from .jsonrpc import MAX_JSONRPC_BODY, json_body, json_bytes

_logger = logging.getLogger(__name__)

JSON2_ROUTE = {**ROUTE, "type": "http"}
NO_CREDENTIALS = "Authentication required: send an API key as Authorization: bearer <key>."
INVALID_KEY = "Invalid API key."


def json_response(body, status=200, headers=()):
    payload = json_bytes(body)
    return request.make_response(
        payload, headers=[("Content-Type", "application/json; charset=utf-8"), *headers], status=status
    )


def refusal_response(exc):
    """The JSON-2 answer to a refusal of the gate: its status, Odoo's error body, its message."""
    headers = retry_after_headers(exc)
    if exc.status == 401:
        headers.append(("WWW-Authenticate", "Bearer"))
    return json_response(refusal_data(exc), exc.status, headers)


class McpJson2Controller(http.Controller):
    @http.route(paths("json/2/<string:model>/<string:method>"), methods=["POST"], **JSON2_ROUTE)
    def json2(self, model, method):
        return Json2Call().serve(model, method)

    @http.route(paths("json/2", "json/2/<path:subpath>"), **JSON2_ROUTE)
    def json2_not_found(self, subpath=None):
        message = "Did you mean POST /mcp/json/2/<model>/<method>?"
        return json_response(error_data("werkzeug.exceptions.NotFound", message, [message, 404]), 404)

    @http.route(paths("web/version", "json/version"), methods=["GET"], **JSON2_ROUTE)
    def version(self):
        if native.get() is None:
            return refusal_response(McpError(503, native.UNAVAILABLE))
        try:
            request.env["mcp.gateway"].sudo()._mcp_check_enabled()
        except McpError as exc:
            return refusal_response(exc)
        return json_response(
            {"version_info": list(odoo.release.version_info), "version": odoo.release.version}
        )


class Json2Call:
    """One JSON-2 request: bearer key, named arguments, the gate, the call."""

    def __init__(self):
        self.audit = Audit(canonical_path())

    def mark(self, phase):
        """Phases are timed on XML-RPC only (``Server-Timing``)."""

    def serve(self, model, method):
        require_database()
        try:
            return self._serve(model, method)
        finally:
            self.audit.flush()

    def _serve(self, model, method):
        if native.get() is None:
            return refusal_response(McpError(503, native.UNAVAILABLE))
        try:
            gateway = request.env["mcp.gateway"].sudo()
            snapshot = gateway._mcp_check_enabled()
            self.audit.enabled = snapshot.logging
            principal = self._principal(gateway)
            if not gateway._mcp_native().valid_model_name(model):
                raise services.bad_request("Invalid model name.")
            self.audit.base.update(model_name=model, operation=method[:64])
            args, kwargs = self._arguments(model, method)
            try:
                result = services.run(self, gateway, principal, model, method, args, kwargs)
            except MethodNotFound as exc:  # Odoo's JSON-2 answers 404
                raise McpError(404, str(exc), "error") from None
            return json_response(result)
        except McpError as exc:
            if exc.event_type:
                self.audit.add(exc.event_type, error_code=str(exc.status), error_message=exc.message)
            return refusal_response(exc)
        except Exception as exc:
            request.env.cr.rollback()
            status = odoo_error_status(exc)
            body = odoo_error_data(exc)
            if status is None:
                _logger.exception("MCP: error in a JSON-2 call")
                status = 500
            else:
                _logger.info("MCP: JSON-2 call refused by Odoo: %s", body["message"])
            self.audit.add("error", error_code=str(status), error_message=body["message"])
            return json_response(body, status)

    def _principal(self, gateway):
        secret = bearer_token()
        if not secret:
            raise McpError(401, NO_CREDENTIALS, "auth_failure")
        principal = gateway._mcp_check_key(secret)
        if principal is None:
            raise McpError(401, INVALID_KEY, "auth_failure")
        self.audit.principal(principal)
        return principal

    def _body(self):
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > MAX_JSONRPC_BODY:
            raise McpError(413, f"Request body too large: more than {MAX_JSONRPC_BODY} bytes.", "error")
        data = httprequest.get_data(parse_form_data=False)
        if not data:
            return {}
        if (httprequest.mimetype or "").lower() != "application/json":
            raise McpError(415, "Send the arguments as application/json.", "error")
        try:
            body = json_body(data)
        except ValueError as exc:
            raise services.bad_request(f"could not parse the body as json: {exc}") from None
        if not isinstance(body, dict):
            raise services.bad_request("The body must be a JSON object of named arguments.")
        return body

    def _arguments(self, model, method):
        """Positional ``args`` and ``kwargs`` for the gate, as Odoo's JSON-2 binds them: ``ids`` are
        the records (the first argument of a record method), everything else is named."""
        kwargs = self._body()
        ids = kwargs.pop("ids", [])
        if isinstance(ids, int) and not isinstance(ids, bool):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise McpError(422, "ids must be a list of record ids.", "error")
        if "context" in kwargs and not isinstance(kwargs["context"], dict):
            raise McpError(422, "context must be an object.", "error")
        cls = request.env.registry.models.get(model)
        func = getattr(cls, method, None) if cls is not None and not method.startswith("_") else None
        if func is not None and compat.is_model_method(func):
            if ids:
                raise McpError(422, f"cannot call {model}.{method} with ids", "error")
            return positional(method, [], kwargs)
        return positional(method, [ids], kwargs)


def positional(method, args, kwargs):
    """Named arguments that are the method's leading positional parameters (per
    :data:`~..models.mcp_reach.SIGNATURES`) moved into ``args``, in order, as Odoo's ``call_kw``
    expects some of them (``create`` takes its values first)."""
    signature = mcp_reach.SIGNATURES.get(method)
    if signature is None:
        return args, kwargs
    kwargs = dict(kwargs)
    for names, _role in signature[1]:
        name = next((n for n in names if n in kwargs), None)
        if name is None:
            break
        args.append(kwargs.pop(name))
    return args, kwargs
