"""``/mcp``: MCP over Streamable HTTP, stateless and JSON-only, over ``mcp.gateway``.

One endpoint serves three protocol revisions, chosen per request as the specification's dual-era
rules say: a request whose ``MCP-Protocol-Version`` header (or ``_meta``) names a modern revision
(2026-07-28) is served statelessly from its own metadata; anything else is a legacy request of the
``initialize`` handshake era (2025-11-25, 2025-06-18). No session is ever kept: any worker answers
any request, and no ``Mcp-Session-Id`` is minted or echoed.

The transport parses, checks and maps; what a method does is the gate's (``_mcp_tools``,
``_mcp_call_tool``, the resources and the instructions in :mod:`..models.mcp_tools`).
"""

import base64
import binascii
import logging
import math
from urllib.parse import urlsplit

from odoo import http
from odoo.http import request

from .. import native
from ..models.mcp_gateway import OAUTH_ACCESS_PREFIX, McpError
from ..models.mcp_gateway_tools import McpResourceNotFound
from .common import ROUTE, Audit, bearer_token, mcp_version

_logger = logging.getLogger(__name__)

MODERN_VERSIONS = ("2026-07-28",)
LEGACY_VERSIONS = ("2025-11-25", "2025-06-18")
SUPPORTED_VERSIONS = MODERN_VERSIONS + LEGACY_VERSIONS
#: What a legacy ``initialize`` asking for a revision we do not serve is offered.
LATEST_LEGACY = LEGACY_VERSIONS[0]

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
#: The methods whose ``Mcp-Name`` header mirrors a body parameter.
NAME_PARAMS = {"tools/call": "name", "resources/read": "uri", "prompts/get": "name"}

#: Largest body accepted: an attachment upload of about 2.9 MB fits, base64 and envelope included.
MAX_MCP_BODY = 8 * 1024 * 1024
#: How long a client may keep a list (tools, templates, discovery) before asking again.
LIST_TTL_MS = 60_000

# JSON-RPC 2.0 and MCP error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
UNSUPPORTED_VERSION = -32022
#: HTTP status of a JSON-RPC error in a modern exchange (the specification's table).
MODERN_STATUS = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    UNSUPPORTED_VERSION: 400,
    METHOD_NOT_FOUND: 404,
    INTERNAL_ERROR: 500,
}

MCP_ROUTE = {**ROUTE, "type": "http"}  # every method: GET and DELETE are answered 405 here


# ----------------------------------------------------------------------
# The JSON codec of /mcp: the two functions every body goes through.
# ----------------------------------------------------------------------
# Both are the Rust core's (``odoo_mcp_native.json``, serde_json underneath); the routes answer 503
# before any body is read when the wheel is unusable.
def loads(body):
    """The decoded JSON of a request body (``bytes`` or ``str``); ``ValueError`` when it is not
    JSON (also: NaN/Infinity, lone surrogates, nesting deeper than 64 levels)."""
    return native.get().json.loads(body, max_bytes=MAX_MCP_BODY)


def dumps(value):
    """``value`` (JSON types only) as compact UTF-8 JSON ``bytes``, as
    ``json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()``."""
    return native.get().json.dumps(value)


# ----------------------------------------------------------------------
class RpcError(Exception):
    """A JSON-RPC error answer: its code, message, optional data and HTTP status (``None``: the
    era's default)."""

    def __init__(self, code, message, data=None, status=None, headers=()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.status = status
        self.headers = list(headers)


def header(name):
    """A request header, trimmed; ``None`` when absent."""
    value = request.httprequest.headers.get(name)
    return value.strip() if value is not None else None


def decode_header_value(value):
    """``Mcp-Name`` and ``Mcp-Param-*`` values may be sent as ``=?base64?...?=``."""
    if value and value.startswith("=?base64?") and value.endswith("?=") and len(value) >= 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return value


def json_response(body, status=200, headers=()):
    all_headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
    return request.make_response(dumps(body), headers=all_headers + list(headers), status=status)


def error_body(request_id, code, message, data=None):
    error = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def origin_of(url):
    """``scheme://host[:port]`` of a URL, lowercase, or ``None``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class McpExchange:
    """One POST to ``/mcp``: checks in the order the transport defines them, then one method."""

    def __init__(self):
        self.audit = Audit("/mcp")
        self.request_id = None
        self.modern = False
        self.version = None
        self.oauth = False

    # -- answers ---------------------------------------------------------------------------
    def error(self, exc):
        status = exc.status
        if status is None:
            status = MODERN_STATUS.get(exc.code, 200) if self.modern else 200
        return json_response(
            error_body(self.request_id, exc.code, exc.message, exc.data), status, exc.headers
        )

    def refusal(self, exc):
        """The gate's refusal (:class:`McpError`) as an HTTP status with a JSON-RPC error body."""
        headers = []
        if exc.status == 401:
            headers.append(("WWW-Authenticate", self.challenge()))
        if exc.retry_after is not None:
            headers.append(("Retry-After", str(max(1, math.ceil(exc.retry_after)))))
        if exc.event_type:
            self.audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
        return self.error(RpcError(exc.status, exc.message, status=exc.status, headers=headers))

    def challenge(self):
        """``WWW-Authenticate`` of a 401: with OAuth on, where to find the authorization server."""
        if not self.oauth:
            return 'Bearer realm="mcp"'
        metadata = request.env["mcp.oauth.server"].sudo()._resource_metadata_url()
        return f'Bearer realm="mcp", resource_metadata="{metadata}", scope="mcp:read mcp:write"'

    # -- the exchange ----------------------------------------------------------------------
    def serve(self):
        try:
            return self._serve()
        finally:
            self.audit.flush()

    def _serve(self):
        if not request.db:
            return self.error(RpcError(INVALID_REQUEST, no_database_message(), status=400))
        if native.get() is None:
            return self.error(RpcError(503, native.UNAVAILABLE, status=503))
        gateway = request.env["mcp.gateway"].sudo()
        try:
            snapshot = gateway._mcp_check_enabled()
        except McpError as exc:
            return self.refusal(exc)
        self.audit.enabled = snapshot.logging
        self.oauth = snapshot.oauth
        try:
            self.check_transport(gateway)
            message = self.parse()
            self.choose_era(message)
        except RpcError as exc:
            return self.error(exc)
        self.audit.base["operation"] = message["method"][:64]
        try:
            principal = self.authenticate(gateway)
            gateway._mcp_check_member(principal)
            gateway._mcp_rate_limit(principal)
        except McpError as exc:
            return self.refusal(exc)
        if "id" not in message:
            return request.make_response(b"", status=202)
        try:
            result = self.dispatch(gateway, principal, message["method"], message.get("params") or {})
        except RpcError as exc:
            return self.error(exc)
        except McpError as exc:
            return self.refusal(exc)
        except Exception:
            request.env.cr.rollback()
            _logger.exception("MCP: unexpected error in %s", message["method"])
            self.audit.add("error", error_code="E500", error_message="Internal server error.")
            return self.error(RpcError(INTERNAL_ERROR, "Internal server error.", status=500))
        if self.modern:
            result = {"resultType": "complete", **result}
        return json_response({"jsonrpc": "2.0", "id": self.request_id, "result": result})

    def check_transport(self, gateway):
        """Origin (403), Accept (406), Content-Type (415) and size (413), before the body is read."""
        origin = header("Origin")
        if origin and not gateway._mcp_origin_allowed(origin_of(origin) or origin):
            raise RpcError(INVALID_REQUEST, f"Origin '{origin}' is not allowed.", status=403)
        accept = (header("Accept") or "*/*").lower()
        accepted = {part.split(";", 1)[0].strip() for part in accept.split(",")}
        if not accepted & {"application/json", "application/*", "*/*"}:
            raise RpcError(
                INVALID_REQUEST, "Not Acceptable: this endpoint answers application/json.", status=406
            )
        content_type = (request.httprequest.mimetype or "").lower()
        if content_type != "application/json":
            raise RpcError(INVALID_REQUEST, "Unsupported Media Type: send application/json.", status=415)
        length = request.httprequest.content_length
        if length is not None and length > MAX_MCP_BODY:
            raise RpcError(
                INVALID_REQUEST, f"Request body too large: more than {MAX_MCP_BODY} bytes.", status=413
            )

    def parse(self):
        body = request.httprequest.get_data(cache=False)
        if len(body) > MAX_MCP_BODY:
            raise RpcError(
                INVALID_REQUEST, f"Request body too large: more than {MAX_MCP_BODY} bytes.", status=413
            )
        try:
            message = loads(body)
        except (ValueError, RecursionError):
            raise RpcError(PARSE_ERROR, "Parse error: the body is not JSON.", status=400) from None
        if isinstance(message, list):
            raise RpcError(INVALID_REQUEST, "Batch requests are not supported.", status=400)
        if not isinstance(message, dict):
            raise RpcError(INVALID_REQUEST, "The body must be a JSON-RPC request object.", status=400)
        request_id = message.get("id")
        if "id" in message and (
            isinstance(request_id, bool) or not isinstance(request_id, (str, int)) or request_id is None
        ):
            raise RpcError(INVALID_REQUEST, "The request id must be a string or an integer.", status=400)
        self.request_id = request_id
        if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
            raise RpcError(INVALID_REQUEST, "Invalid request: expected a JSON-RPC 2.0 request.", status=400)
        params = message.get("params")
        if params is not None and not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, "params must be an object.", status=400)
        return message

    def choose_era(self, message):
        """The dual-era rule: a modern version in the header, or modern ``_meta`` in the body,
        makes the request modern; otherwise it is of the handshake era."""
        params = message.get("params") or {}
        meta = params.get("_meta")
        header_version = header("MCP-Protocol-Version")
        body_modern = isinstance(meta, dict) and META_VERSION in meta
        if header_version in LEGACY_VERSIONS or (header_version is None and not body_modern):
            self.version = header_version
            return
        self.modern = True
        if "id" not in message:  # a notification: only the version it came with is checked
            if header_version not in MODERN_VERSIONS:
                raise self.unsupported(header_version)
            return
        if not isinstance(meta, dict) or META_VERSION not in meta or META_CAPABILITIES not in meta:
            raise RpcError(
                INVALID_PARAMS,
                f"params._meta must carry '{META_VERSION}' and '{META_CAPABILITIES}'.",
            )
        version = meta[META_VERSION]
        if header_version is None or header_version != version:
            raise RpcError(
                HEADER_MISMATCH,
                "Header mismatch: MCP-Protocol-Version does not match the request's protocol version.",
            )
        method_header = header("Mcp-Method")
        if method_header != message["method"]:
            raise RpcError(HEADER_MISMATCH, "Header mismatch: Mcp-Method does not match the method.")
        name_key = NAME_PARAMS.get(message["method"])
        if name_key is not None and params.get(name_key) is not None:
            if decode_header_value(header("Mcp-Name")) != params[name_key]:
                raise RpcError(
                    HEADER_MISMATCH, f"Header mismatch: Mcp-Name does not match params.{name_key}."
                )
        if version not in MODERN_VERSIONS:
            raise self.unsupported(version)
        self.version = version

    def unsupported(self, requested):
        return RpcError(
            UNSUPPORTED_VERSION,
            "Unsupported protocol version",
            {"supported": list(SUPPORTED_VERSIONS), "requested": requested},
        )

    def authenticate(self, gateway):
        """``Authorization: Bearer <key>``, else ``X-API-Key``: an Odoo API key, an MCP key, or
        (this surface only) an OAuth access token."""
        secret = bearer_token()
        if secret == "":
            raise McpError(401, "Invalid credentials: use 'Authorization: Bearer <API key>'.", "auth_failure")
        if secret is None:
            secret = header("X-API-Key")
        if not secret:
            raise McpError(
                401, "Authentication required: send 'Authorization: Bearer <API key>'.", "auth_failure"
            )
        if secret.startswith(OAUTH_ACCESS_PREFIX):
            principal = gateway._mcp_check_token(secret)
            if principal is None:
                raise McpError(401, "Invalid or expired access token.", "auth_failure")
        else:
            principal = gateway._mcp_check_key(secret)
        if principal is None:
            raise McpError(401, "Invalid API key.", "auth_failure")
        self.audit.principal(principal)
        return principal

    # -- methods ---------------------------------------------------------------------------
    def dispatch(self, gateway, principal, method, params):
        if method == "initialize" and not self.modern:
            return self.initialize(gateway, principal, params)
        if method == "server/discover":
            return self.discover(gateway, principal)
        if method == "ping" and not self.modern:  # 2026-07-28 has no ping
            return {}
        if method == "tools/list":
            return self.listing({"tools": gateway._mcp_tools(principal)})
        if method == "tools/call":
            return self.call_tool(gateway, principal, params)
        if method == "resources/list":
            return self.listing({"resources": []})
        if method == "resources/templates/list":
            return self.listing({"resourceTemplates": gateway._mcp_resource_templates(principal)})
        if method == "resources/read":
            uri = params.get("uri")
            if not isinstance(uri, str) or not uri:
                raise RpcError(INVALID_PARAMS, "resources/read takes a 'uri' string.")
            self.audit.base["operation"] = "resources/read"
            try:
                return self.listing(gateway._mcp_read_resource(principal, uri, self.audit), 0)
            except McpResourceNotFound:
                raise RpcError(INVALID_PARAMS, f"Resource not found: {uri}", {"uri": uri}) from None
            except McpError as exc:
                if exc.event_type:
                    self.audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
                raise RpcError(exc.status, exc.message) from None
        if method == "prompts/list":  # no prompts: the client's own prompts are its users'
            return self.listing({"prompts": []})
        if method == "prompts/get":
            raise RpcError(INVALID_PARAMS, f"Prompt not found: {params.get('name')}")
        if method == "initialize":
            raise RpcError(
                METHOD_NOT_FOUND,
                f"initialize is not used with protocol version {self.version}: "
                f"this server supports {', '.join(SUPPORTED_VERSIONS)}.",
            )
        raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")

    def listing(self, result, ttl_ms=LIST_TTL_MS):
        """A cacheable result: in a modern exchange it carries its caching hints (private: every
        answer depends on the credential)."""
        if self.modern:
            result.update(ttlMs=ttl_ms, cacheScope="private")
        return result

    def capabilities(self):
        return {"tools": {"listChanged": False}, "resources": {}, "prompts": {"listChanged": False}}

    def server_info(self):
        return {"name": "odoo-mcp-server", "title": "Odoo MCP Server", "version": mcp_version()}

    def initialize(self, gateway, principal, params):
        requested = params.get("protocolVersion")
        version = requested if requested in LEGACY_VERSIONS else LATEST_LEGACY
        self.audit.add("auth_success")
        return {
            "protocolVersion": version,
            "capabilities": self.capabilities(),
            "serverInfo": self.server_info(),
            "instructions": gateway._mcp_instructions(principal),
        }

    def discover(self, gateway, principal):
        return self.listing(
            {
                "supportedVersions": list(SUPPORTED_VERSIONS),
                "capabilities": self.capabilities(),
                "_meta": {META_SERVER_INFO: self.server_info()},
                "instructions": gateway._mcp_instructions(principal),
            }
        )

    def call_tool(self, gateway, principal, params):
        name = params.get("name")
        arguments = params.get("arguments")
        if not isinstance(name, str):
            raise RpcError(INVALID_PARAMS, "tools/call takes a tool 'name'.")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "tools/call 'arguments' must be an object.")
        self.audit.base["operation"] = name[:64]
        try:
            return gateway._mcp_call_tool(principal, name, arguments, self.audit)
        except ValueError as exc:  # an unknown tool
            raise RpcError(INVALID_PARAMS, str(exc)) from None


def no_database_message():
    wanted = header("X-Odoo-Database")
    if wanted:
        return f"Database '{wanted}' is not served here (unknown, or excluded by the server's db filter)."
    return "No database selected: this server has several; send the X-Odoo-Database header."


class McpController(http.Controller):
    @http.route(["/mcp", "/mcp/"], **MCP_ROUTE)
    def mcp(self):
        if request.httprequest.method != "POST":
            response = json_response(
                error_body(None, INVALID_REQUEST, "Method Not Allowed: send JSON-RPC messages by POST."),
                405,
                [("Allow", "POST")],
            )
            return response
        return McpExchange().serve()
