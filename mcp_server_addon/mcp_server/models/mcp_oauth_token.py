import hashlib
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: Prefixes of the three kinds of OAuth secrets.
PREFIXES = {"code": "mcpoc_", "access": "mcpat_", "refresh": "mcprt_"}
LIFETIMES = {
    "code": timedelta(seconds=60),
    "access": timedelta(seconds=3600),
    "refresh": timedelta(days=30),
}
#: Expired rows are kept this long (a spent refresh token is kept until it expires, so that its
#: reuse is still recognised), then deleted by the cron.
EXPIRED_KEPT = timedelta(days=1)


def token_hash(secret):
    """SHA-256 hex of a token or a client secret: the only form in which either is stored (both
    are 256-bit random values, which a slow hash would not make harder to guess)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class McpOAuthToken(models.Model):
    """Authorization codes, access tokens and refresh tokens of the OAuth grants.

    Only the SHA-256 of a token is kept, in a column no ORM field maps (unique index). No user has
    any access to these rows: the OAuth endpoints and the gate work on them as superuser."""

    _name = "mcp.oauth.token"
    _description = "MCP OAuth Token"
    _order = "id desc"
    _log_access = True

    grant_id = fields.Many2one("mcp.oauth.grant", required=True, ondelete="cascade", index=True)
    kind = fields.Selection(
        [("code", "Authorization Code"), ("access", "Access Token"), ("refresh", "Refresh Token")],
        required=True,
    )
    expires_at = fields.Datetime(required=True)
    spent = fields.Boolean(help="A code that was exchanged, a refresh token that was rotated.")
    revoked = fields.Boolean()
    scope = fields.Char(help="The MCP rights of the token (the grant's, or narrower).")
    oauth_scope = fields.Char("OAuth Scope")
    code_challenge = fields.Char()
    redirect_uri = fields.Char()
    resource = fields.Char()

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE %(table)s ADD COLUMN IF NOT EXISTS token_hash varchar;
                CREATE UNIQUE INDEX IF NOT EXISTS mcp_oauth_token_token_hash_idx ON %(table)s (token_hash);
                """,
                table=SQL.identifier(self._table),
            )
        )

    @api.model
    def _issue(self, grant, kind, **values):
        """A new token of ``kind`` for ``grant``: returns ``(secret, record)``; the secret is
        never stored."""
        secret = PREFIXES[kind] + secrets.token_urlsafe(32)
        record = self.sudo().create(
            {
                "grant_id": grant.id,
                "kind": kind,
                "expires_at": fields.Datetime.now() + LIFETIMES[kind],
                **values,
            }
        )
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET token_hash = %s WHERE id = %s",
                SQL.identifier(self._table),
                token_hash(secret),
                record.id,
            )
        )
        return secret, record

    @api.model
    def _find(self, secret, kinds=None):
        """The token row of ``secret`` (any state), or an empty recordset."""
        if not isinstance(secret, str) or not secret or len(secret) > 512:
            return self.browse()
        if kinds and not any(secret.startswith(PREFIXES[kind]) for kind in kinds):
            return self.browse()
        self.flush_model()
        self.env.cr.execute(
            SQL("SELECT id FROM %s WHERE token_hash = %s", SQL.identifier(self._table), token_hash(secret))
        )
        row = self.env.cr.fetchone()
        token = self.sudo().browse(row[0]) if row else self.browse()
        if token and kinds and token.kind not in kinds:
            return self.browse()
        return token

    @api.model
    def _mcp_lookup_access(self, secret, resource):
        """``(grant id, user id, client id, scope, expires_at)`` of a usable access token for
        ``resource``: the token, its grant, client and user all active, the token unexpired. One
        query on the hash's unique index; ``None`` otherwise."""
        if not resource or not isinstance(secret, str) or len(secret) > 512:
            return None
        for model in ("mcp.oauth.token", "mcp.oauth.grant", "mcp.oauth.client"):
            self.env[model].flush_model()
        self.env.cr.execute(
            """
            SELECT g.id, g.user_id, g.client_id, t.scope, t.expires_at
              FROM mcp_oauth_token t
              JOIN mcp_oauth_grant g ON g.id = t.grant_id
              JOIN mcp_oauth_client c ON c.id = g.client_id
              JOIN res_users u ON u.id = g.user_id
             WHERE t.token_hash = %s AND t.kind = 'access'
               AND NOT coalesce(t.revoked, false)
               AND t.expires_at > %s
               AND g.active AND c.active AND u.active
               AND t.resource = %s AND g.resource = %s
            """,
            [token_hash(secret), fields.Datetime.now(), resource, resource],
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        grant_id, user_id, client_id, scope, expires_at = row
        return grant_id, user_id, client_id, scope, expires_at.timestamp() if expires_at else None

    def _spend(self):
        """Mark this code or refresh token spent; ``False`` when it already was (a concurrent
        request spent it first)."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET spent = true WHERE id = %s AND NOT coalesce(spent, false) RETURNING id",
                SQL.identifier(self._table),
                self.id,
            )
        )
        spent = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["spent"])
        return spent

    def _is_expired(self):
        self.ensure_one()
        return self.expires_at <= fields.Datetime.now()

    def _revoke(self):
        """Revoke these tokens; every worker refuses them from its next request on."""
        if self:
            self.sudo().write({"revoked": True})
            self.env.registry.clear_cache()

    @api.model
    def _gc_mcp_oauth_tokens(self):
        """Delete expired codes and tokens (a day after their expiry)."""
        self.flush_model()
        self.env.cr.execute(
            "DELETE FROM mcp_oauth_token WHERE expires_at < %s", [fields.Datetime.now() - EXPIRED_KEPT]
        )
        if self.env.cr.rowcount:
            _logger.info("MCP OAuth: %d expired token row(s) deleted", self.env.cr.rowcount)
