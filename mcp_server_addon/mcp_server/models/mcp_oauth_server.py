"""The OAuth 2.1 authorization server of ``/mcp``: discovery documents, the authorization code flow
with PKCE, the token endpoint with rotating refresh tokens, dynamic client registration (RFC 7591),
Client ID Metadata Documents and revocation (RFC 7009).

The rules live here, once; ``controllers/oauth.py`` only parses the wire and writes answers. No
secret (code, token, client secret, PKCE verifier) ever reaches a log line, ``mcp.log`` or an error
message: only hashes are stored, and comparisons of secrets are constant-time.
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from urllib.parse import urlsplit

from odoo import api, fields, models

from . import mcp_oauth_fetch
from .mcp_gateway import McpError, _parse_bool
from .mcp_oauth_client import METADATA_MAX_AGE, check_redirect_uri
from .mcp_oauth_token import LIFETIMES
from .mcp_rate_state import StoreUnavailable

_logger = logging.getLogger(__name__)

SCOPE_READ = "mcp:read"
SCOPE_WRITE = "mcp:write"
SCOPES = (SCOPE_READ, SCOPE_WRITE)
#: PKCE (RFC 7636): a verifier is 43 to 128 unreserved characters; an S256 challenge is the
#: base64url (unpadded) of a SHA-256, 43 characters.
VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: Requests per minute and address at the token and revocation endpoints, and at registration.
TOKEN_RATE_LIMIT = 60
REGISTER_RATE_LIMIT = 20
#: Registered clients never granted, past which registration is refused (a cron deletes them
#: after a week).
MAX_UNUSED_CLIENTS = 1000
MAX_CLIENT_NAME = 200
MAX_METADATA_URI = 2000
REGISTRATION_FIELDS = ("client_uri", "logo_uri", "software_id", "software_version")
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
#: The parameters of an authorization request, carried from the consent page to its POST.
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
    "resource",
)


class OAuthError(Exception):
    """An OAuth error answer (RFC 6749 5.2, RFC 7591 3.2.2): its code, description and status.
    The description never carries a secret."""

    def __init__(self, error, description, status=400, headers=(), retry_after=None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = list(headers)
        if retry_after is not None:
            self.headers.append(("Retry-After", str(max(1, int(retry_after + 0.999)))))

    def body(self):
        return {"error": self.error, "error_description": self.description}


class AuthorizePageError(Exception):
    """A request to the authorization endpoint whose client or redirect URI cannot be trusted:
    answered with an error page, never a redirect."""


class AuthorizeRedirectError(OAuthError):
    """Any other error of the authorization endpoint: sent back to the client's redirect URI."""

    def __init__(self, error, description, redirect_uri, state):
        super().__init__(error, description)
        self.redirect_uri = redirect_uri
        self.state = state


def s256(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_metadata_url(client_id):
    """Whether a client id is a Client ID Metadata Document URL (``https://`` with a path)."""
    if not isinstance(client_id, str) or not client_id.startswith("https://"):
        return False
    try:
        parts = urlsplit(client_id)
    except ValueError:
        return False
    return bool(parts.hostname) and parts.path not in ("", "/")


def read_only_scope(scope):
    """The read part of an MCP key scope (empty: every enabled model)."""
    if not scope:
        return "*:R"
    items = []
    for item in scope.split(","):
        model, _sep, letters = item.partition(":")
        items.append(f"{model}:{'R' if 'R' in letters.upper() else ''}")
    return ",".join(items)


def scope_letters(rights):
    """``RWCD`` letters of a ``(model, read, write, create, unlink)`` row."""
    return "".join(letter for letter, on in zip("RWCD", rights[1:], strict=True) if on)


def _string(values, name, required=False):
    """A single-valued string parameter; ``invalid_request`` when repeated or not a string."""
    value = values.get(name)
    if isinstance(value, list):
        if len(value) != 1:
            raise OAuthError("invalid_request", f"The '{name}' parameter must be sent once.")
        value = value[0]
    if value is None or value == "":
        if required:
            raise OAuthError("invalid_request", f"The '{name}' parameter is required.")
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise OAuthError("invalid_request", f"The '{name}' parameter is invalid.")
    return value


class McpOAuthServer(models.AbstractModel):
    _name = "mcp.oauth.server"
    _description = "MCP OAuth Authorization Server"

    # ------------------------------------------------------------------
    # Settings and discovery
    # ------------------------------------------------------------------
    @api.model
    def _settings(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {
            "enabled": _parse_bool(get("mcp_server.oauth_enabled"), False),
            "registration": _parse_bool(get("mcp_server.oauth_registration"), True),
            "metadata_documents": _parse_bool(get("mcp_server.oauth_metadata_documents"), True),
        }

    @api.model
    def _enabled(self):
        return self._settings()["enabled"]

    @api.model
    def _issuer(self):
        return (self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "").rstrip("/")

    @api.model
    def _resource(self):
        return f"{self._issuer()}/mcp"

    @api.model
    def _resource_metadata_url(self):
        return f"{self._issuer()}/.well-known/oauth-protected-resource/mcp"

    @api.model
    def _protected_resource_metadata(self):
        """RFC 9728."""
        return {
            "resource": self._resource(),
            "authorization_servers": [self._issuer()],
            "scopes_supported": list(SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Odoo MCP Server",
        }

    @api.model
    def _authorization_server_metadata(self):
        """RFC 8414 (with RFC 9207's ``iss`` and the Client ID Metadata Documents flag)."""
        base = self._issuer()
        settings = self._settings()
        document = {
            "issuer": base,
            "authorization_endpoint": f"{base}/mcp/oauth/authorize",
            "token_endpoint": f"{base}/mcp/oauth/token",
            "revocation_endpoint": f"{base}/mcp/oauth/revoke",
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "scopes_supported": list(SCOPES),
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": settings["metadata_documents"],
        }
        if settings["registration"]:
            document["registration_endpoint"] = f"{base}/mcp/oauth/register"
        return document

    @api.model
    def _rate_check(self, bucket, address, limit):
        """The per-address limit of an endpoint; :class:`OAuthError` 429 (or 503 while the shared
        state is unavailable)."""
        try:
            retry_after = self.env["mcp.gateway"]._mcp_rate_check([(f"oauth-{bucket}:{address}", limit)])
        except StoreUnavailable:
            raise OAuthError(
                "temporarily_unavailable", "Rate limit state unavailable; try again shortly.", 503
            ) from None
        if retry_after is not None:
            raise OAuthError(
                "temporarily_unavailable",
                "Too many requests. Rate limit exceeded.",
                429,
                retry_after=retry_after,
            )

    # ------------------------------------------------------------------
    # Clients
    # ------------------------------------------------------------------
    @api.model
    def _authorize_client(self, client_id):
        """The active client a request to the authorization endpoint names, fetching (or
        refreshing) its metadata document when its id is a URL; :class:`AuthorizePageError` when
        there is none."""
        if not client_id:
            raise AuthorizePageError(self.env._("The request names no client (client_id is missing)."))
        settings = self._settings()
        Client = self.env["mcp.oauth.client"].sudo()
        client = Client._find(client_id)
        if is_metadata_url(client_id):
            if not settings["metadata_documents"]:
                raise AuthorizePageError(self.env._("This server does not accept client metadata documents."))
            stale = not client or (
                client.kind == "metadata"
                and (
                    not client.metadata_fetched_at
                    or client.metadata_fetched_at < fields.Datetime.now() - METADATA_MAX_AGE
                )
            )
            if stale and (not client or client.active):
                client = self._fetch_metadata_client(client_id, client)
        if not client or not client.active:
            raise AuthorizePageError(self.env._("This client is unknown, or its access was revoked."))
        return client

    @api.model
    def _fetch_metadata_client(self, url, client):
        """Fetch the Client ID Metadata Document at ``url`` and store (or refresh) its client."""

        try:
            document = mcp_oauth_fetch.fetch_client_metadata(url)
            values = self._metadata_values(url, document)
        except ValueError as exc:
            _logger.info("MCP OAuth: client metadata document refused: %s", exc)
            raise AuthorizePageError(
                self.env._("The client's metadata document cannot be used: %s", exc)
            ) from None
        values["metadata_fetched_at"] = fields.Datetime.now()
        if client:
            client.write(values)
            return client
        return (
            self.env["mcp.oauth.client"]
            .sudo()
            .create({**values, "client_id": url, "kind": "metadata", "token_endpoint_auth_method": "none"})
        )

    @api.model
    def _metadata_values(self, url, document):
        """The client's values from its metadata document, or :class:`ValueError`."""
        if not isinstance(document, dict):
            raise ValueError("the document is not a JSON object")
        if document.get("client_id") != url:
            raise ValueError("its client_id is not the URL it was fetched from")
        method = document.get("token_endpoint_auth_method", "none")
        if method != "none":
            raise ValueError("a client metadata document client must use token_endpoint_auth_method 'none'")
        values = self._client_values(document)
        if not values.get("name"):
            values["name"] = urlsplit(url).hostname
        return values

    @api.model
    def _client_values(self, metadata):
        """Validated client values from registration metadata (RFC 7591 2), or :class:`ValueError`
        whose first word names the RFC 7591 error."""
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not uris or len(uris) > 20:
            raise ValueError("invalid_redirect_uri: redirect_uris must be a list of 1 to 20 URIs")
        for uri in uris:
            reason = check_redirect_uri(uri)
            if reason:
                raise ValueError(f"invalid_redirect_uri: {reason}")
        name = metadata.get("client_name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_CLIENT_NAME):
            raise ValueError(
                "invalid_client_metadata: client_name must be a string of at most "
                f"{MAX_CLIENT_NAME} characters"
            )
        grant_types = metadata.get("grant_types", ["authorization_code", "refresh_token"])
        if (
            not isinstance(grant_types, list)
            or "authorization_code" not in grant_types
            or not set(grant_types) <= set(GRANT_TYPES)
        ):
            raise ValueError(
                "invalid_client_metadata: grant_types must include authorization_code "
                "and may include refresh_token only"
            )
        response_types = metadata.get("response_types", ["code"])
        if response_types != ["code"]:
            raise ValueError("invalid_client_metadata: response_types must be ['code']")
        scope = metadata.get("scope")
        if scope is not None and (not isinstance(scope, str) or not set(scope.split()) <= set(SCOPES)):
            raise ValueError("invalid_client_metadata: scope may only name mcp:read and mcp:write")
        values = {"name": (name or "").strip() or False, "redirect_uris": "\n".join(uris)}
        for key in REGISTRATION_FIELDS:
            value = metadata.get(key)
            if value is None:
                values[key] = False
                continue
            if not isinstance(value, str) or len(value) > MAX_METADATA_URI:
                raise ValueError(f"invalid_client_metadata: {key} must be a string")
            if key.endswith("_uri") and not value.startswith(("https://", "http://")):
                raise ValueError(f"invalid_client_metadata: {key} must be an http(s) URL")
            values[key] = value
        return values

    @api.model
    def _register_client(self, metadata, address):
        """Dynamic client registration (RFC 7591): the client's information (201)."""
        if not self._settings()["registration"]:
            raise OAuthError("not_found", "Dynamic client registration is switched off.", 404)
        self._rate_check("register", address, REGISTER_RATE_LIMIT)
        if not isinstance(metadata, dict):
            raise OAuthError("invalid_client_metadata", "The registration request must be a JSON object.")
        method = metadata.get("token_endpoint_auth_method", "none")
        if method not in AUTH_METHODS:
            raise OAuthError(
                "invalid_client_metadata",
                "token_endpoint_auth_method must be one of none, client_secret_post, client_secret_basic.",
            )
        try:
            values = self._client_values(metadata)
        except ValueError as exc:
            error, _sep, description = str(exc).partition(": ")
            raise OAuthError(error, description) from None
        Client = self.env["mcp.oauth.client"].sudo().with_context(active_test=False)
        self.env.cr.execute(
            """
            SELECT count(*) FROM mcp_oauth_client c
             WHERE c.kind = 'registered'
               AND NOT EXISTS (SELECT 1 FROM mcp_oauth_grant g WHERE g.client_id = c.id)
            """
        )
        if self.env.cr.fetchone()[0] >= MAX_UNUSED_CLIENTS:
            raise OAuthError(
                "temporarily_unavailable",
                "Too many client registrations are waiting for a first authorization; try again later.",
                503,
            )
        client = Client.create(
            {
                **values,
                "name": values["name"] or self.env._("Unnamed client"),
                "client_id": "mcpc_" + secrets.token_urlsafe(24),
                "kind": "registered",
                "token_endpoint_auth_method": method,
            }
        )
        answer = {
            "client_id": client.client_id,
            "client_id_issued_at": int(time.time()),
            "client_name": client.name,
            "redirect_uris": client._redirect_uri_list(),
            "token_endpoint_auth_method": method,
            "grant_types": metadata.get("grant_types", list(GRANT_TYPES)),
            "response_types": ["code"],
        }
        if metadata.get("scope"):
            answer["scope"] = metadata["scope"]
        for key in REGISTRATION_FIELDS:
            if values.get(key):
                answer[key] = values[key]
        if method != "none":
            answer["client_secret"] = client._set_secret()
            answer["client_secret_expires_at"] = 0
        _logger.info("MCP OAuth: client #%s registered (%s)", client.id, method)
        return answer

    @api.model
    def _authenticate_client(self, client_id, secret, basic):
        """The active client of a token or revocation request, authenticated as it registered;
        :class:`OAuthError` ``invalid_client`` (401) otherwise."""
        headers = [("WWW-Authenticate", 'Basic realm="mcp"')] if basic else []
        client = self.env["mcp.oauth.client"]._find(client_id) if client_id else None
        if not client or not client.active:
            raise OAuthError("invalid_client", "Unknown or revoked client.", 401, headers)
        if client._is_confidential():
            if not secret or not client._check_secret(secret):
                raise OAuthError("invalid_client", "Client authentication failed.", 401, headers)
        elif secret:
            raise OAuthError("invalid_client", "This client is public: it has no secret.", 401, headers)
        return client

    # ------------------------------------------------------------------
    # Authorization endpoint
    # ------------------------------------------------------------------
    @api.model
    def _authorize_check(self, params, user):
        """Validate an authorization request of ``user``: returns what the consent needs, raises
        :class:`AuthorizePageError` (bad client or redirect URI) or :class:`AuthorizeRedirectError`."""
        client = self._authorize_client(params.get("client_id"))
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri or not client._has_redirect_uri(redirect_uri):
            raise AuthorizePageError(
                self.env._("The redirect URI is missing or is not one registered for this client.")
            )
        state = params.get("state") or None

        def fail(error, description):
            return AuthorizeRedirectError(error, description, redirect_uri, state)

        if params.get("response_type") != "code":
            raise fail("unsupported_response_type", "Only response_type=code is supported.")
        challenge = params.get("code_challenge")
        if not challenge:
            raise fail(
                "invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256."
            )
        if params.get("code_challenge_method") != "S256":
            raise fail("invalid_request", "Only the S256 code challenge method is supported.")
        if not CHALLENGE_RE.match(challenge):
            raise fail("invalid_request", "The code_challenge is not a valid S256 challenge.")
        resource = params.get("resource")
        if not resource:
            raise fail("invalid_target", f"The resource parameter is required: {self._resource()}")
        if resource.rstrip("/") != self._resource():
            raise fail("invalid_target", f"This server's only resource is {self._resource()}")
        requested = (params.get("scope") or " ".join(SCOPES)).split()
        if not requested or not set(requested) <= set(SCOPES):
            raise fail("invalid_scope", "The scope may only name mcp:read and mcp:write.")
        gateway = self.env["mcp.gateway"].sudo()
        try:
            gateway._mcp_check_enabled()
        except McpError:  # disabled, or the native module missing
            raise fail("temporarily_unavailable", "MCP is not available on this server now.") from None
        if not user.has_group("mcp_server.group_mcp_user"):
            raise fail("access_denied", "This user is not allowed to use MCP.")
        rights = self._user_rights(user)
        if not rights:
            raise fail("access_denied", "No model is open to this user through MCP.")
        can_write = SCOPE_WRITE in requested and any(w or c or d for _m, _r, w, c, d in rights)
        return {
            "client": client,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "resource": self._resource(),
            "requested": requested,
            "rights": rights,
            "can_write": can_write,
            "fail": fail,
        }

    @api.model
    def _user_rights(self, user):
        """``(model, read, write, create, unlink)`` of every enabled model the user may read: the
        matrix's rights that Odoo's own access rights grant the user too."""
        matrix = self.env["mcp.gateway"].sudo()._mcp_snapshot().matrix
        rights = []
        for model, read, write, create, unlink in matrix.models(None):
            if not read or model not in self.env:
                continue
            records = self.env[model].with_user(user)
            if not records.has_access("read"):
                continue
            rights.append(
                (
                    model,
                    True,
                    write and records.has_access("write"),
                    create and records.has_access("create"),
                    unlink and records.has_access("unlink"),
                )
            )
        return rights

    @api.model
    def _consent_values(self, info, user, params):
        client = info["client"]
        parts = urlsplit(info["redirect_uri"])
        names = dict(
            self.env["ir.model"]
            .sudo()
            .search_fetch([("model", "in", [r[0] for r in info["rights"]])], ["model", "name"])
            .mapped(lambda m: (m.model, m.name))
        )
        return {
            "client": client,
            "client_name": client.name,
            "redirect_host": parts.hostname or f"{parts.scheme}:",
            # a metadata document client is vouched for by the host that publishes it; a registered
            # client's name is its own claim
            "client_host": urlsplit(client.client_id).hostname if client.kind == "metadata" else None,
            "user": user,
            "can_write": info["can_write"],
            "models": [(r[0], names.get(r[0], r[0])) for r in info["rights"]],
            "hidden": [(name, params[name]) for name in AUTHORIZE_PARAMS if params.get(name)],
        }

    @api.model
    def _authorize_grant(self, info, user, access, chosen_models):
        """The user's consent: a grant no wider than their own MCP rights and a code for it."""
        fail = info["fail"]
        if access not in ("read", "write"):
            raise fail("invalid_request", "Choose read-only or read-and-write access.")
        if access == "write" and not info["can_write"]:
            raise fail("invalid_scope", "Write access was not requested, or this user may write nothing.")
        rights = {r[0]: r for r in info["rights"]}
        chosen = list(dict.fromkeys(m for m in chosen_models if m))
        unknown = [m for m in chosen if m not in rights]
        if unknown:
            raise fail("invalid_scope", f"Models not open to this user through MCP: {', '.join(unknown)}")
        if access == "read":
            scope = ",".join(f"{m}:R" for m in chosen) if chosen else "*:R"
            oauth_scope = SCOPE_READ
        else:
            scope = ",".join(f"{m}:{scope_letters(rights[m])}" for m in chosen) if chosen else ""
            oauth_scope = f"{SCOPE_READ} {SCOPE_WRITE}"
        lib = self.env["mcp.gateway"]._mcp_native()
        if scope:
            scope = str(lib.Scope.parse(scope))
        grant = (
            self.env["mcp.oauth.grant"]
            .sudo()
            .create(
                {
                    "user_id": user.id,
                    "client_id": info["client"].id,
                    "scope": scope or False,
                    "oauth_scope": oauth_scope,
                    "resource": info["resource"],
                }
            )
        )
        code, _record = self.env["mcp.oauth.token"]._issue(
            grant,
            "code",
            code_challenge=info["code_challenge"],
            redirect_uri=info["redirect_uri"],
            resource=info["resource"],
            scope=scope or False,
            oauth_scope=oauth_scope,
        )
        _logger.info("MCP OAuth: user #%s granted client #%s (%s)", user.id, info["client"].id, oauth_scope)
        return code

    # ------------------------------------------------------------------
    # Token endpoint
    # ------------------------------------------------------------------
    @api.model
    def _token_request(self, form, basic, address):
        """RFC 6749 3.2: ``form`` the request's parameters (lists of values), ``basic``
        ``(client_id, secret)`` of an HTTP Basic header or ``None``. Returns the token answer."""
        self._rate_check("token", address, TOKEN_RATE_LIMIT)
        client = self._client_of(form, basic)
        grant_type = _string(form, "grant_type", required=True)
        if grant_type == "authorization_code":
            return self._token_from_code(form, client)
        if grant_type == "refresh_token":
            return self._token_from_refresh(form, client)
        raise OAuthError(
            "unsupported_grant_type", "Supported grant types: authorization_code, refresh_token."
        )

    @api.model
    def _client_of(self, form, basic):
        body_id = _string(form, "client_id")
        body_secret = _string(form, "client_secret")
        if basic is not None:
            if body_secret:
                raise OAuthError("invalid_request", "Use one client authentication method only.")
            if body_id and body_id != basic[0]:
                raise OAuthError("invalid_request", "client_id does not match the authenticated client.")
            return self._authenticate_client(basic[0], basic[1], basic=True)
        if not body_id:
            raise OAuthError("invalid_client", "Client authentication required: send client_id.", 401)
        return self._authenticate_client(body_id, body_secret, basic=False)

    @api.model
    def _check_resource(self, form, bound):
        resource = _string(form, "resource")
        if resource is not None and resource.rstrip("/") != (bound or "").rstrip("/"):
            raise OAuthError("invalid_target", "The resource is not the one this grant was issued for.")

    @api.model
    def _token_from_code(self, form, client):
        code = _string(form, "code", required=True)
        redirect_uri = _string(form, "redirect_uri", required=True)
        verifier = _string(form, "code_verifier", required=True)
        if not VERIFIER_RE.match(verifier):
            raise OAuthError("invalid_request", "code_verifier must be 43 to 128 unreserved characters.")
        token = self.env["mcp.oauth.token"]._find(code, kinds=("code",))
        if not token:
            raise OAuthError("invalid_grant", "Unknown or expired authorization code.")
        grant = token.grant_id
        if grant.client_id != client:
            raise OAuthError("invalid_grant", "The authorization code was issued to another client.")
        if token.spent or not token._spend():
            # a code used twice: what it issued is revoked (it may be in an attacker's hands)
            self._revoke_grant(grant, "authorization code reused")
            raise OAuthError("invalid_grant", "The authorization code was already used.")
        if token.revoked or token._is_expired():
            raise OAuthError("invalid_grant", "Unknown or expired authorization code.")
        if token.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
        if not hmac.compare_digest(s256(verifier), token.code_challenge or ""):
            raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
        self._check_resource(form, token.resource)
        self._check_grant_usable(grant)
        return self._issue_pair(grant, token.scope, token.oauth_scope)

    @api.model
    def _token_from_refresh(self, form, client):
        secret = _string(form, "refresh_token", required=True)
        token = self.env["mcp.oauth.token"]._find(secret, kinds=("refresh",))
        if not token:
            raise OAuthError("invalid_grant", "Unknown or expired refresh token.")
        grant = token.grant_id
        if grant.client_id != client:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        if token.spent or not token._spend():
            # a rotated refresh token presented again: the family is revoked
            self._revoke_grant(grant, "refresh token reused")
            raise OAuthError("invalid_grant", "The refresh token was already used.")
        if token.revoked or token._is_expired():
            raise OAuthError("invalid_grant", "Unknown or expired refresh token.")
        self._check_resource(form, grant.resource)
        self._check_grant_usable(grant)
        scope, oauth_scope = token.scope, token.oauth_scope
        requested = _string(form, "scope")
        if requested is not None:
            wanted = set(requested.split())
            held = set((oauth_scope or "").split())
            if not wanted or not wanted <= held:
                raise OAuthError("invalid_scope", "A refresh may only narrow the granted scope.")
            if SCOPE_WRITE not in wanted and SCOPE_WRITE in held:
                scope, oauth_scope = read_only_scope(scope), SCOPE_READ
        return self._issue_pair(grant, scope, oauth_scope)

    @api.model
    def _check_grant_usable(self, grant):
        grant = grant.with_context(active_test=False)
        user = grant.user_id.sudo()
        if not grant.active or not grant.client_id.active:
            raise OAuthError("invalid_grant", "The grant was revoked.")
        if not user.active or not user.has_group("mcp_server.group_mcp_user"):
            raise OAuthError("invalid_grant", "The user may no longer use MCP.")

    @api.model
    def _issue_pair(self, grant, scope, oauth_scope):
        Token = self.env["mcp.oauth.token"]
        values = {"scope": scope or False, "oauth_scope": oauth_scope, "resource": grant.resource}
        access, _record = Token._issue(grant, "access", **values)
        refresh, _record = Token._issue(grant, "refresh", **values)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(LIFETIMES["access"].total_seconds()),
            "refresh_token": refresh,
            "scope": oauth_scope,
        }

    @api.model
    def _revoke_grant(self, grant, reason):
        grant = grant.sudo().with_context(active_test=False)
        if grant.active:
            grant.write({"active": False})
        _logger.warning("MCP OAuth: grant #%s revoked: %s", grant.id, reason)

    # ------------------------------------------------------------------
    # Revocation endpoint (RFC 7009)
    # ------------------------------------------------------------------
    @api.model
    def _revoke_request(self, form, basic, address):
        self._rate_check("token", address, TOKEN_RATE_LIMIT)
        client = self._client_of(form, basic)
        secret = _string(form, "token", required=True)
        _string(form, "token_type_hint")
        token = self.env["mcp.oauth.token"]._find(secret)
        if not token or token.grant_id.client_id != client:
            return  # RFC 7009 2.2: an unknown token (or another client's) is answered as revoked
        if token.kind == "access":
            token._revoke()
        else:
            self._revoke_grant(token.grant_id, f"{token.kind} revoked by its client")
