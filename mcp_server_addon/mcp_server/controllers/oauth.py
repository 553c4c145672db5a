"""OAuth 2.1 for ``/mcp``: the discovery documents (RFC 9728, RFC 8414), the authorization endpoint
with its consent page, the token endpoint, dynamic client registration (RFC 7591) and revocation
(RFC 7009). Thin: every rule is ``mcp.oauth.server``'s; this module parses and answers.

While OAuth is switched off, every route here answers a plain JSON 404.
"""

import base64
import binascii
import json
import logging
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from odoo import http
from odoo.http import request

from ..models.mcp_oauth_server import (
    AUTHORIZE_PARAMS,
    AuthorizePageError,
    AuthorizeRedirectError,
    OAuthError,
)
from .common import ROUTE

_logger = logging.getLogger(__name__)

NOT_FOUND_BODY = {
    "error": "not_found",
    "error_description": "This server offers no OAuth: send an API key as 'Authorization: Bearer <key>'.",
}
#: Public endpoints a browser-based client may call from any origin (no cookie is ever used).
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version"),
    ("Access-Control-Max-Age", "86400"),
]
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
#: The consent and error pages are never framed (a framed consent could be clicked unknowingly).
PAGE_HEADERS = [
    *NO_STORE,
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
]
MAX_REGISTRATION_BODY = 64 * 1024
OAUTH_ROUTE = {**ROUTE, "type": "http"}


def json_response(body, status=200, headers=(), cors=True):
    all_headers = [("Content-Type", "application/json; charset=utf-8"), *NO_STORE]
    if cors:
        all_headers += CORS_HEADERS
    return request.make_response(json.dumps(body), headers=all_headers + list(headers), status=status)


def preflight():
    return request.make_response(b"", headers=CORS_HEADERS, status=204)


def not_found(cors=True):
    return json_response(NOT_FOUND_BODY, 404, cors=cors)


def oauth_server():
    """``mcp.oauth.server`` when a database is selected and OAuth is on, else ``None``."""
    if not request.db:
        return None
    server = request.env["mcp.oauth.server"].sudo()
    return server if server._enabled() else None


def json_endpoint(handler):
    """One of the JSON endpoints (discovery, token, registration, revocation): a CORS preflight
    for OPTIONS, the plain JSON 404 while OAuth is off, else ``handler(server)``'s answer, an
    :class:`OAuthError` as its error body."""
    if request.httprequest.method == "OPTIONS":
        return preflight()
    server = oauth_server()
    if server is None:
        return not_found()
    try:
        return handler(server)
    except OAuthError as exc:
        return json_response(exc.body(), exc.status, exc.headers)


def form_params():
    """The request's form parameters, each name with the list of its values; ``OAuthError`` when
    the body is not form-encoded."""
    mimetype = (request.httprequest.mimetype or "").lower()
    if mimetype != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request", "Send the parameters form-encoded (application/x-www-form-urlencoded)."
        )
    form = request.httprequest.form
    return {name: form.getlist(name) for name in form}


def basic_credentials():
    """``(client_id, secret)`` of an ``Authorization: Basic`` header (RFC 6749 2.3.1: each part
    form-encoded), ``None`` without one, ``OAuthError`` when it is malformed."""
    authorization = (request.httprequest.headers.get("Authorization") or "").strip()
    if not authorization:
        return None
    scheme, _sep, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "Only HTTP Basic client authentication is supported here.", 401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client", "Malformed Basic credentials.", 401, [("WWW-Authenticate", 'Basic realm="mcp"')]
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise OAuthError(
            "invalid_client", "Malformed Basic credentials.", 401, [("WWW-Authenticate", 'Basic realm="mcp"')]
        )
    return unquote_plus(client_id), unquote_plus(secret)


def with_query(uri, params):
    """``uri`` with ``params`` added to its query (the client's own query kept)."""
    parts = urlsplit(uri)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def redirect(location):
    return request.make_response(b"", headers=[("Location", location), *NO_STORE], status=303)


class McpOAuthController(http.Controller):
    # ------------------------------------------------------------------
    # Discovery
    # ------------------------------------------------------------------
    @http.route(
        ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"],
        **OAUTH_ROUTE,
    )
    def protected_resource_metadata(self, **_kwargs):
        return json_endpoint(lambda server: json_response(server._protected_resource_metadata()))

    @http.route(
        [
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server/mcp",
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration/mcp",
        ],
        **OAUTH_ROUTE,
    )
    def authorization_server_metadata(self, **_kwargs):
        return json_endpoint(lambda server: json_response(server._authorization_server_metadata()))

    # ------------------------------------------------------------------
    # Authorization endpoint: Odoo's own login, then the consent page
    # ------------------------------------------------------------------
    @http.route(
        "/mcp/oauth/authorize",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        sitemap=False,
        readonly=False,
    )
    def authorize(self, **_kwargs):
        server = oauth_server()
        if server is None:
            return not_found(cors=False)
        httprequest = request.httprequest
        post = httprequest.method == "POST"
        source = httprequest.form if post else httprequest.args
        params = {name: source.get(name) for name in AUTHORIZE_PARAMS}
        user = request.env.user
        if user._is_public():
            if post:
                return self.error_page(request.env._("Your session ended: start the connection again."))
            return redirect(f"/web/login?{urlencode({'redirect': httprequest.full_path})}")
        try:
            info = server._authorize_check(params, user)
            if not post:
                values = server._consent_values(info, user, params)
                return request.render("mcp_server.mcp_oauth_consent", values, headers=PAGE_HEADERS)
            if source.get("decision") != "allow":
                raise info["fail"]("access_denied", "The user denied the request.")
            code = server._authorize_grant(info, user, source.get("access"), source.getlist("models"))
        except AuthorizePageError as exc:
            return self.error_page(str(exc))
        except AuthorizeRedirectError as exc:
            return redirect(
                with_query(
                    exc.redirect_uri,
                    {
                        "error": exc.error,
                        "error_description": exc.description,
                        "state": exc.state,
                        "iss": server._issuer(),
                    },
                )
            )
        return redirect(
            with_query(info["redirect_uri"], {"code": code, "state": info["state"], "iss": server._issuer()})
        )

    def error_page(self, message):
        return request.render(
            "mcp_server.mcp_oauth_error", {"message": message}, status=400, headers=PAGE_HEADERS
        )

    # ------------------------------------------------------------------
    # Token, registration, revocation
    # ------------------------------------------------------------------
    @http.route("/mcp/oauth/token", methods=["POST", "OPTIONS"], **OAUTH_ROUTE)
    def token(self, **_kwargs):
        return json_endpoint(
            lambda server: json_response(
                server._token_request(form_params(), basic_credentials(), request.httprequest.remote_addr)
            )
        )

    @http.route("/mcp/oauth/register", methods=["POST", "OPTIONS"], **OAUTH_ROUTE)
    def register(self, **_kwargs):
        return json_endpoint(self._register)

    def _register(self, server):
        if not server._settings()["registration"]:
            return not_found()
        if (request.httprequest.mimetype or "").lower() != "application/json":
            raise OAuthError("invalid_client_metadata", "Send the client metadata as application/json.")
        body = request.httprequest.get_data(cache=False)
        if len(body) > MAX_REGISTRATION_BODY:
            raise OAuthError("invalid_client_metadata", "The registration request is too large.")
        try:
            metadata = json.loads(body)
        except (ValueError, RecursionError):
            raise OAuthError("invalid_client_metadata", "The body is not JSON.") from None
        return json_response(server._register_client(metadata, request.httprequest.remote_addr), 201)

    @http.route("/mcp/oauth/revoke", methods=["POST", "OPTIONS"], **OAUTH_ROUTE)
    def revoke(self, **_kwargs):
        def revoke(server):
            server._revoke_request(form_params(), basic_credentials(), request.httprequest.remote_addr)
            return json_response({})

        return json_endpoint(revoke)
