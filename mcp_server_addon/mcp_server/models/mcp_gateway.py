"""The MCP gate: settings, authentication, rate limiting and permission decisions.

Every MCP route goes through this model, so the rules live in one place. The derived state (the
permission matrix, the verified-credential cache and the settings) is built once per registry in an
``ormcache``d snapshot: any ``registry.clear_cache()`` (a change of enabled models, keys or settings,
in this worker or, through Odoo's cache signalling, in another one) makes the next request rebuild it.
"""

import logging
import re
import time
from dataclasses import dataclass, field

from odoo import api, models, tools
from odoo.exceptions import AccessDenied, UserError
from odoo.service.model import retrying
from odoo.tools import SQL

from .. import compat, native
from . import mcp_reach
from .mcp_rate_state import StoreUnavailable

_logger = logging.getLogger(__name__)

GROUP_USER = "mcp_server.group_mcp_user"

#: Odoo's own API keys: 40 lowercase hex characters.
ODOO_KEY_RE = re.compile(r"^[0-9a-f]{40}$")
#: Our own keys carry this prefix (see ``odoo_mcp_native.keys``).
MCP_KEY_PREFIX = "mcp_"
#: OAuth access tokens (``mcp.oauth.token``) carry this one; only ``/mcp`` accepts them.
OAUTH_ACCESS_PREFIX = "mcpat_"

DEFAULT_REQUEST_LIMIT = 300
DEFAULT_RETENTION_DAYS = 30
#: Rows of ``auth_failure`` written per address and minute; the rest are counted, not written.
AUTH_FAILURE_LOG_LIMIT = 10
#: Context key of calls made through MCP: who made them and how, for the chatter's "via MCP".
MCP_VIA = "mcp_via"
#: What a request gets while the shared rate-limit state cannot be reached.
RATE_STORE_UNAVAILABLE = (
    "Rate limit unavailable: the shared rate-limit state cannot be reached. Try again shortly."
)
#: Seconds between two records of a key's last use.
KEY_TOUCH_INTERVAL = 60.0


class McpError(Exception):
    """A refusal with its HTTP status; routes turn it into their envelope or an XML-RPC fault."""

    def __init__(self, status, message, event_type=None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.event_type = event_type
        self.retry_after = retry_after


class MethodNotFound(AttributeError):
    """A method the gate allows that the model does not have: Odoo's own ``AttributeError`` (a
    fault on XML-RPC and JSON-RPC, as Odoo answers), a 404 on JSON-2, an error result on ``/mcp``."""


@dataclass(frozen=True)
class Principal:
    """Who a request runs as, and how it proved it."""

    uid: int
    auth_method: str  # 'api_key', 'session', 'password' or 'oauth'
    key_id: int | None = None  # an MCP key's id
    scope: object = None  # odoo_mcp_native.Scope of an MCP key or OAuth token, or None
    client_id: int | None = None  # the mcp.oauth.client of an OAuth access token
    grant_id: int | None = None  # the mcp.oauth.grant of an OAuth access token


@dataclass(frozen=True)
class Snapshot:
    enabled: bool
    rate_limiting: bool
    request_limit: int
    logging: bool
    log_retention_days: int
    server_timing: bool
    matrix: object
    credentials: object
    field_rules: dict  # model -> (fields never read, fields never written)
    key_limits: dict = field(default_factory=dict)  # MCP key id -> its own requests per minute
    oauth: bool = False  # OAuth access tokens accepted on /mcp
    oauth_resource: str = ""  # the audience a token must be bound to
    oauth_clients: dict = field(default_factory=dict)  # grant id -> client id, filled on misses


def _parse_bool(value, default):
    if value is None or value is False:
        return default
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def parse_request_limit(value):
    """Contract §4: absent or unparsable is 300, 0 is unlimited, 1-9 become 10."""
    if value is None or value is False:
        return DEFAULT_REQUEST_LIMIT
    try:
        limit = int(str(value).strip())
    except ValueError:
        return DEFAULT_REQUEST_LIMIT
    if limit <= 0:
        return 0
    return max(limit, 10)


def parse_retention_days(value):
    if value is None or value is False:
        return DEFAULT_RETENTION_DAYS
    try:
        return int(str(value).strip())
    except ValueError:
        return DEFAULT_RETENTION_DAYS


class McpGateway(models.AbstractModel):
    _name = "mcp.gateway"
    _description = "MCP Gateway"

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    @api.model
    def _mcp_native(self):
        lib = native.get()
        if lib is None:
            raise McpError(503, native.UNAVAILABLE)
        return lib

    @api.model
    def _mcp_read_settings(self):
        """The settings of CONTRACT §4 as parsed values; needs no native module."""
        get = self.env["ir.config_parameter"].sudo().get_param
        return {
            "enabled": _parse_bool(get("mcp_server.enabled"), False),
            "enable_rate_limiting": _parse_bool(get("mcp_server.enable_rate_limiting"), True),
            "request_limit": parse_request_limit(get("mcp_server.request_limit")),
            "enable_logging": _parse_bool(get("mcp_server.enable_logging"), True),
            "log_retention_days": parse_retention_days(get("mcp_server.log_retention_days")),
            "server_timing": _parse_bool(get("mcp_server.server_timing"), False),
        }

    @api.model
    @tools.ormcache()
    def _mcp_snapshot(self):
        lib = self._mcp_native()
        settings = self._mcp_read_settings()
        enabled_models = self.env["mcp.enabled.model"].sudo()
        rows = enabled_models._mcp_matrix_rows()
        oauth_server = self.env["mcp.oauth.server"].sudo()
        oauth = oauth_server._enabled()
        runtime = self._mcp_runtime()
        runtime["generation"] += 1
        return Snapshot(
            enabled=settings["enabled"],
            rate_limiting=settings["enable_rate_limiting"],
            request_limit=settings["request_limit"],
            logging=settings["enable_logging"],
            log_retention_days=settings["log_retention_days"],
            server_timing=settings["server_timing"],
            matrix=lib.PermissionMatrix(rows, runtime["generation"]),
            credentials=lib.CredentialCache(),
            field_rules=enabled_models._mcp_field_rules(),
            key_limits=self._mcp_key_limits(),
            oauth=oauth,
            oauth_resource=oauth_server._resource() if oauth else "",
        )

    @api.model
    def _mcp_key_limits(self):
        """The MCP keys that carry a rate limit of their own (few: most keep their user's)."""
        self.env["mcp.api.key"].flush_model(["rate_limit"])
        self.env.cr.execute("SELECT id, rate_limit FROM mcp_api_key WHERE rate_limit > 0")
        return dict(self.env.cr.fetchall())

    @api.model
    def _mcp_runtime(self):
        """State that outlives a snapshot: the rate limits' arithmetic per limit and this worker's
        connection to their shared state (``rate_store``). One set per registry (database)."""
        runtime = self.env.registry.__dict__.get("_mcp_runtime")
        if runtime is None:
            runtime = self.env.registry.__dict__.setdefault(
                "_mcp_runtime", {"generation": 0, "limiters": {}, "touched": {}}
            )
        return runtime

    @api.model
    def _mcp_limiter(self, limit):
        """The native arithmetic of ``limit`` requests per minute (with this worker's record of the
        keys the shared state refused, and until when)."""
        limiters = self._mcp_runtime()["limiters"]
        limiter = limiters.get(limit)
        if limiter is None:
            if len(limiters) > 64:
                limiters.clear()  # limits no longer in use: only local refusals are forgotten
            limiter = limiters.setdefault(limit, self._mcp_native().SharedLimiter(limit))
        return limiter

    @api.model
    def _mcp_rate_check(self, checks):
        """Count one request against each ``(key, limit)`` of ``checks`` in the state every worker
        and host shares: ``None`` when all passed, else the first refusal's retry-after. Raises
        :class:`~.mcp_rate_state.StoreUnavailable`. The limit is part of the key, so a changed
        limit starts afresh (as a new quota should)."""
        store = self.env["mcp.rate.state"]._mcp_store()
        return store.check([(f"{key}/{limit}", self._mcp_limiter(limit)) for key, limit in checks])

    @api.model
    def _mcp_log_allowed(self, ip_address):
        """Throttle of ``auth_failure`` rows per address, so a flood cannot fill the log; shared
        by every worker and host. While the shared state is unavailable, nothing is written."""
        try:
            return self._mcp_rate_check([(f"ip:{ip_address}", AUTH_FAILURE_LOG_LIMIT)]) is None
        except StoreUnavailable:
            return False  # the store has warned

    @api.model
    def _mcp_check_enabled(self):
        snapshot = self._mcp_snapshot()
        if not snapshot.enabled:
            raise McpError(503, "MCP Server is disabled globally.")
        return snapshot

    # ------------------------------------------------------------------
    # Authentication
    # ------------------------------------------------------------------
    @api.model
    def _mcp_check_key(self, secret):
        """The principal of an API key (ours or Odoo's), or ``None`` when it is not a valid key.

        A key is verified as a key: one candidate row, no password attempt first. The result is
        kept in the verified-credential cache until the key is removed, revoked or expires.
        """
        if not secret or not isinstance(secret, str):
            return None
        snapshot = self._mcp_snapshot()
        cached = snapshot.credentials.get(secret)
        if cached is not None and cached.kind == "oauth":
            return None  # an OAuth access token is never a key (only /mcp takes it)
        if cached is not None:
            scope = self._mcp_native().Scope.parse(cached.scope) if cached.scope else None
            if cached.key_id:
                self._mcp_touch_key(cached.key_id)
            return Principal(cached.user_id, "api_key", cached.key_id, scope)
        if secret.startswith(MCP_KEY_PREFIX):
            return self._mcp_check_mcp_key(secret, snapshot)
        if ODOO_KEY_RE.match(secret):
            return self._mcp_check_odoo_key(secret, snapshot)
        return None

    @api.model
    def _mcp_check_token(self, secret):
        """The principal of an OAuth access token, or ``None``: only ``mcpat_`` tokens, only while
        OAuth is on, only for this server's ``/mcp`` (the token's audience). A miss costs one
        indexed query (token, grant, client and user all active, not expired); a hit none, until a
        revocation clears the registry's caches (the grant's, the client's, the token's, or OAuth
        switched off)."""
        if not isinstance(secret, str) or not secret.startswith(OAUTH_ACCESS_PREFIX):
            return None
        snapshot = self._mcp_snapshot()
        if not snapshot.oauth:
            return None
        lib = self._mcp_native()
        cached = snapshot.credentials.get(secret)
        if cached is not None:
            if cached.kind != "oauth":
                return None
            grant_id = cached.grant_id
            scope = lib.Scope.parse(cached.scope) if cached.scope else None
            self._mcp_touch_grant(grant_id)
            return Principal(
                cached.user_id, "oauth", None, scope, snapshot.oauth_clients.get(grant_id), grant_id
            )
        found = self.env["mcp.oauth.token"].sudo()._mcp_lookup_access(secret, snapshot.oauth_resource)
        if found is None:
            return None
        grant_id, user_id, client_id, scope, expires_at = found
        snapshot.oauth_clients[grant_id] = client_id
        snapshot.credentials.insert(
            secret, user_id, key_id=grant_id, scope=scope or None, kind="oauth", expires_at=expires_at
        )
        self._mcp_touch_grant(grant_id)
        return Principal(
            user_id, "oauth", None, lib.Scope.parse(scope) if scope else None, client_id, grant_id
        )

    @api.model
    def _mcp_touch_grant(self, grant_id):
        """Record an OAuth grant's last use, as :meth:`_mcp_touch_key` does for keys."""
        self._mcp_touch_key(grant_id, table="mcp_oauth_grant")

    @api.model
    def _mcp_check_mcp_key(self, secret, snapshot):
        lib = self._mcp_native()
        for key_id, user_id, key_hash, scope, expiration in (
            self.env["mcp.api.key"].sudo()._mcp_lookup(secret)
        ):
            if key_hash and lib.keys.verify(secret, key_hash):
                expires_at = expiration.timestamp() if expiration else None
                snapshot.credentials.insert(
                    secret, user_id, key_id=key_id, scope=scope or None, kind="mcp", expires_at=expires_at
                )
                self._mcp_touch_key(key_id)
                return Principal(user_id, "api_key", key_id, lib.Scope.parse(scope) if scope else None)
        return None

    @api.model
    def _mcp_check_odoo_key(self, secret, snapshot):
        apikeys = self.env["res.users.apikeys"].sudo()
        user_id = apikeys._check_credentials(scope="rpc", key=secret)
        if not user_id:
            return None
        # Cache until the key's own expiry (the earliest of the rows sharing its index).
        self.env.cr.execute(
            """
            SELECT min(expiration_date) FROM res_users_apikeys
             WHERE user_id = %s AND index = %s AND (scope IS NULL OR scope = 'rpc')
            """,
            [user_id, secret[:8]],
        )
        (expiration,) = self.env.cr.fetchone()
        snapshot.credentials.insert(
            secret,
            user_id,
            kind="odoo",
            expires_at=expiration.replace(tzinfo=None).timestamp() if expiration else None,
        )
        return Principal(user_id, "api_key")

    @api.model
    def _mcp_touch_key(self, key_id, table="mcp_api_key"):
        """Record the key's last use, at most once a minute per key and worker, on a short
        transaction of its own (so that concurrent requests never contend for the key's row)."""
        touched = self._mcp_runtime()["touched"]
        now = time.monotonic()
        if now - touched.get((table, key_id), -KEY_TOUCH_INTERVAL) < KEY_TOUCH_INTERVAL:
            return
        touched[(table, key_id)] = now
        if len(touched) > 10_000:
            touched.clear()
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(
                    SQL(
                        "UPDATE %s SET last_used = now() at time zone 'utc' WHERE id = %s",
                        SQL.identifier(table),
                        key_id,
                    )
                )
        except Exception:  # bookkeeping must never break a request
            _logger.warning("MCP: could not record the last use of key #%s", key_id, exc_info=True)

    @api.model
    def _mcp_check_uid_secret(self, uid, secret):
        """XML-RPC credentials ``(uid, password or key)``, verified as Odoo core verifies them.

        A key must belong to ``uid``. Raises :class:`AccessDenied` on any failure.
        """
        try:
            uid = int(uid)
        except (TypeError, ValueError):
            raise AccessDenied() from None
        if not secret or not isinstance(secret, str) or uid <= 0:
            raise AccessDenied()
        principal = self._mcp_check_key(secret)
        if principal is not None:
            if principal.uid != uid:
                raise AccessDenied()
            return principal
        if secret.startswith(MCP_KEY_PREFIX):
            raise AccessDenied()  # an MCP key is never a password
        # A password (or a key Odoo would accept that is not of rpc scope): core's check.
        compat.check_uid_password(self.env["res.users"].sudo(), uid, secret)
        return Principal(uid, "password")

    @api.model
    def _mcp_check_login(self, login, secret, user_agent_env=None):
        """``common.authenticate``: the uid for ``login`` and a password or key, or ``False``."""
        if not login or not secret or not isinstance(login, str) or not isinstance(secret, str):
            return False
        principal = self._mcp_check_key(secret)
        if principal is not None:
            user = self.env["res.users"].sudo().browse(principal.uid)
            return principal.uid if user.login == login else False
        if secret.startswith(MCP_KEY_PREFIX):
            return False
        credential = {"login": login, "password": secret, "type": "password"}
        try:
            return compat.authenticate(
                self.env["res.users"], credential, {**(user_agent_env or {}), "interactive": False}
            )
        except AccessDenied:
            return False

    # ------------------------------------------------------------------
    # Authorisation
    # ------------------------------------------------------------------
    @api.model
    def _mcp_check_user(self, principal):
        """The user must be active and an MCP user; then the rate limit applies."""
        self._mcp_check_member(principal)
        self._mcp_rate_limit(principal)

    @api.model
    def _mcp_check_member(self, principal):
        """The user must be active and in MCP User."""
        active, member = self._mcp_user_status(principal.uid)
        if not active:
            raise McpError(401, "Invalid credentials.", "auth_failure")
        if not member:
            raise McpError(
                403,
                "User is not allowed to use MCP: not a member of the MCP User group.",
                "permission_denied",
            )

    @api.model
    @tools.ormcache("uid", cache=compat.USER_CACHE)
    def _mcp_user_status(self, uid):
        """``(active, in MCP User)`` of a user: no query on the hot path. Kept in Odoo's 'stable'
        cache, which Odoo empties on any change of group membership (``res.groups`` or
        ``res.users``) and ``res.users`` here on a change of activity or on deletion."""
        user = self.env["res.users"].sudo().with_context(active_test=False).browse(uid).exists()
        if not user:
            return False, False
        return bool(user.active), user.has_group(GROUP_USER)

    @api.model
    def _mcp_rate_limit(self, principal):
        """The MCP key's limit (its own, never above its user's), then the user's, exact across
        every worker and host of the database: one statement on the shared state. The narrower
        limit comes first, so that what it refuses does not spend the user's other keys' share."""
        snapshot = self._mcp_snapshot()
        if not snapshot.rate_limiting:
            return
        user_limit = snapshot.request_limit
        checks = []
        if principal.grant_id and user_limit:
            checks.append((f"g:{principal.grant_id}", user_limit))
        if principal.key_id:
            key_limit = snapshot.key_limits.get(principal.key_id) or user_limit
            if key_limit:
                checks.append((f"k:{principal.key_id}", min(key_limit, user_limit or key_limit)))
        if user_limit:
            checks.append((f"u:{principal.uid}", user_limit))
        if not checks:
            return
        try:
            retry_after = self._mcp_rate_check(checks)
        except StoreUnavailable:  # the store has warned
            raise McpError(503, RATE_STORE_UNAVAILABLE, "error", retry_after=1.0) from None
        if retry_after is not None:
            raise McpError(
                429, "Too many requests. Rate limit exceeded.", "rate_limit", retry_after=retry_after
            )

    @api.model
    def _mcp_operations(self, model, principal):
        """The four rights of ``model`` for the principal, or ``None`` when it is not enabled."""
        rights = self._mcp_snapshot().matrix.rights(model, principal.scope)
        if rights is None:
            return None
        read, write, create, unlink = rights
        return {"read": read, "write": write, "create": create, "unlink": unlink}

    @api.model
    def _mcp_models(self, principal):
        """Enabled models with their display names and the principal's rights, sorted by model."""
        entries = self._mcp_snapshot().matrix.models(principal.scope)
        names = dict(
            self.env["ir.model"]
            .sudo()
            .search_fetch([("model", "in", [e[0] for e in entries])], ["model", "name"])
            .mapped(lambda m: (m.model, m.name))
        )
        return [
            {
                "model": model,
                "name": names.get(model, model),
                "operations": {"read": r, "write": w, "create": c, "unlink": u},
            }
            for model, r, w, c, u in entries
        ]

    @api.model
    def _mcp_authorize(self, principal, model, method, args, kwargs):
        """The one decision every surface asks for before it runs a model method: the named model
        and method (the matrix), then everything the call reaches (:mod:`.mcp_reach`). Returns the
        :class:`~.mcp_reach.Plan` to run, or raises :class:`McpError` 403 (or 400 for arguments
        that cannot be analysed), naming what was missing. The calls by which a caller learns who it is
        (:func:`~.mcp_reach.self_identity`) pass for every MCP user without the matrix."""
        world = McpWorld(self.env, self._mcp_snapshot(), principal)
        try:
            # who am I: the caller's own context and identity, for every MCP user (reach rule)
            plan = mcp_reach.self_identity(world, principal.uid, model, method, args, kwargs)
            if plan is not None:
                return plan
            operation = self._mcp_decide(principal, model, method)
            return mcp_reach.analyse(world, model, method.lower(), operation, args, kwargs)
        except mcp_reach.Refusal as refusal:
            raise McpError(
                refusal.status,
                refusal.message,
                "permission_denied" if refusal.status == 403 else "error",
            ) from None

    @api.model
    def _mcp_decide(self, principal, model, method):
        """The operation ``method`` needs on ``model``, or :class:`McpError` 403."""
        allowed, what = self._mcp_snapshot().matrix.decide(model, method, principal.scope)
        if not allowed:
            raise McpError(
                403, f"Access denied by MCP for model '{model}' method '{method}'.", "permission_denied"
            )
        return what

    # ------------------------------------------------------------------
    # Routes' work
    # ------------------------------------------------------------------
    @api.model
    def _mcp_principal(self, uid, auth_method):
        return Principal(uid, auth_method)

    @api.model
    def _mcp_model_access(self, principal, model, audit):
        """``/mcp/models/<model>/access``: 400 bad name, 404 unknown, 403 not enabled, else the rights."""
        if not self._mcp_native().valid_model_name(model):
            raise McpError(400, f"Invalid model name '{model}'.")
        if model not in self.env.registry:
            raise McpError(404, f"Model '{model}' not found in Odoo instance.")
        operations = self._mcp_operations(model, principal)
        if operations is None:
            raise McpError(403, f"Model '{model}' is not enabled for MCP access.", "permission_denied")
        audit("model_access", model_name=model)
        return {"model": model, "enabled": True, "operations": operations}

    @api.model
    def _mcp_execute(self, principal, model, method, plan, audit):
        """Run ``model.method`` with the plan's arguments as the principal's user, never as
        superuser, with the caller's (trimmed) context. The method runs under the name it was
        sent with.

        A call that writes runs in Odoo's retrying transaction, as Odoo's own ``execute_kw`` does,
        and its audit rows commit with it. A read runs in the request's transaction, which Odoo's
        retrying commits at the end of the request (as Odoo's JSON-2 runs every call): the reads of
        one request (a tool's page and its count) and their audit rows share one transaction."""
        env = api.Environment(self.env.cr, principal.uid, {})
        compat.set_default_env(env)
        records = env.get(model)
        if records is None:
            raise UserError(env._("Object %s doesn't exist", model))
        if not callable(getattr(type(records), method, None)):  # a method the gate knows, not this model
            raise MethodNotFound(compat.missing_method_message(model, method))
        args, kwargs = plan.args, plan.kwargs
        # Set here, after the reach rule trimmed the caller's context: a client cannot forge it.
        via = {"auth": principal.auth_method, "key_id": principal.key_id, "client": audit.client}
        if principal.client_id:
            via["oauth_client_id"] = principal.client_id
        call_kwargs = {**kwargs, "context": {**(kwargs.get("context") or {}), MCP_VIA: via}}
        if plan.document_filter is not None and args:
            args = [_readable_documents(records, args[0], *plan.document_filter), *args[1:]]
        checkpoint = audit.checkpoint()

        def attempt():
            audit.rewind(checkpoint)  # a retried attempt starts again from here
            result = compat.call_kw(records, method, args, call_kwargs)
            if plan.fields_marks:
                result = plan.mark_fields(result)
            audit.add(
                "resource_retrieval" if plan.operation == "read" else "write_operation",
                record_ids=_record_ids(method, args, result),
                request_data=audit.request_data(args, kwargs),
                response_data=_summary(result),
            )
            return result

        if plan.operation == "read":
            return attempt()  # its rows are written at the end of the request

        def attempt_and_write():
            result = attempt()
            # The call's rows commit with its work, in the transaction ``retrying`` commits: no
            # second transaction (and its round trips) for them at the end of the request.
            env.flush_all()
            audit.write_pending(self.env)
            return result

        try:
            return retrying(attempt_and_write, env)
        except Exception:
            audit.rewind(checkpoint)  # rolled back with the call: the surface records the failure
            raise


class McpWorld:
    """What :mod:`.mcp_reach` needs to know, from the registry's field metadata, the snapshot's
    matrix and field rules, and (for documents) a few reads as superuser."""

    __slots__ = ("_env", "_principal", "_registry", "_snapshot")
    NO_RULES = (frozenset(), frozenset())

    def __init__(self, env, snapshot, principal):
        self._env = env
        self._snapshot = snapshot
        self._principal = principal
        self._registry = env.registry

    def _model(self, model):
        return self._registry.models.get(model)

    def field(self, model, name):
        cls = self._model(model)
        return cls._fields.get(name) if cls is not None else None

    def fields(self, model):
        cls = self._model(model)
        return list(cls._fields) if cls is not None else []

    def readable_fields(self, model):
        """The fields the user may read (as ``fields_get`` lists them), less the relations to a
        model they may not read at all: a read of them would fail."""
        records = self._env.get(model)
        if records is None:
            return []
        records = records.with_user(self._principal.uid)
        env = records.env
        readable = []
        for name in records.fields_get(attributes=()):
            field = records._fields.get(name)
            comodel = field.comodel_name if field is not None and field.relational else None
            if comodel and (comodel not in env or not env[comodel].has_access("read")):
                continue
            readable.append(name)
        return readable

    def inherits(self, model):
        cls = self._model(model)
        return dict(cls._inherits) if cls is not None else {}

    def rec_names(self, model):
        cls = self._model(model)
        return cls._rec_names_search if cls is not None else None

    def rec_name(self, model):
        cls = self._model(model)
        return cls._rec_name if cls is not None else None

    def rights(self, model):
        return self._snapshot.matrix.rights(model, self._principal.scope)

    def enabled_models(self):
        return [m[0] for m in self._snapshot.matrix.models(self._principal.scope)]

    def denied(self, model):
        return self._snapshot.field_rules.get(model, self.NO_RULES)

    def owners(self, model, ids):
        path = mcp_reach.DOCUMENT_MODELS[model]
        records = self._env[model].sudo().with_context(active_test=False).browse(ids).exists()
        return {name for name in records.mapped(path) if name}

    def ir_model_name(self, model_id):
        if not isinstance(model_id, int) or isinstance(model_id, bool):
            return None
        return self._env["ir.model"].sudo().browse(model_id).exists().model or None

    def companies(self):
        return self._env["res.users"].sudo().browse(self._principal.uid).company_ids.ids


def _readable_documents(records, ids, path, readable):
    """The ids of a document model's records (read as the caller) that belong to a readable model,
    in the order asked; the others are left out, as if they did not exist."""
    single = isinstance(ids, int) and not isinstance(ids, bool)
    wanted = [ids] if single else list(ids) if isinstance(ids, (list, tuple)) else []
    wanted = [i for i in wanted if isinstance(i, int) and not isinstance(i, bool)]
    kept = set(
        records.with_context(active_test=False).search([("id", "in", wanted), (path, "in", readable)]).ids
    )
    return [i for i in wanted if i in kept]


def _record_ids(method, args, result):
    ids = None
    if method in ("create", "copy", "name_create"):
        ids = result if isinstance(result, list) else [result] if isinstance(result, int) else None
        if method == "name_create" and isinstance(result, (list, tuple)) and result:
            ids = [result[0]]
    elif args and isinstance(args[0], list) and all(isinstance(i, int) for i in args[0][:1000]):
        ids = args[0]
    elif args and isinstance(args[0], int) and not isinstance(args[0], bool):
        ids = [args[0]]
    if not ids:
        return None
    text = ",".join(str(i) for i in ids[:1000] if isinstance(i, int))
    return text[:1024]


def _summary(result):
    if isinstance(result, (list, tuple)):
        return f"{type(result).__name__} of {len(result)}"
    if isinstance(result, dict):
        return f"dict of {len(result)} keys"
    return type(result).__name__
