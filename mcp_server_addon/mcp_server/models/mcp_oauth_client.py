import hmac
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .. import compat
from .mcp_oauth_token import token_hash

_logger = logging.getLogger(__name__)

AUTH_METHODS = [
    ("none", "None (public client, PKCE only)"),
    ("client_secret_post", "Client secret in the request body"),
    ("client_secret_basic", "Client secret in HTTP Basic authentication"),
]
#: A stored Client ID Metadata Document is fetched again when older than this.
METADATA_MAX_AGE = timedelta(hours=24)
#: Registered clients that were never granted are deleted after this long.
UNUSED_CLIENT_AGE = timedelta(days=7)
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")
FORBIDDEN_SCHEMES = ("javascript", "data", "file", "vbscript", "blob", "about")


def check_redirect_uri(uri):
    """``None`` when ``uri`` may be registered as a redirect URI, else why not: ``https://``, or
    ``http://`` to a loopback host, or a private-use scheme with a dot in the scheme or the
    authority (``com.example.app:/cb``, ``cursor://anysphere.cursor/cb``); never a fragment, never
    ``javascript:``, ``data:`` or ``file:``."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        return "a redirect URI must be a string of 1 to 2000 characters"
    if any(ord(c) <= 32 or ord(c) == 127 for c in uri):
        return "a redirect URI must not contain spaces or control characters"
    if "#" in uri:
        return "a redirect URI must not have a fragment"
    try:
        parts = urlsplit(uri)
        _port = parts.port  # raises on a bad port
    except ValueError:
        return "the redirect URI is not a valid URI"
    scheme = parts.scheme.lower()
    if not scheme:
        return "a redirect URI must be absolute"
    if scheme in FORBIDDEN_SCHEMES:
        return f"the '{scheme}' scheme is not allowed for redirect URIs"
    if scheme == "https":
        if not parts.hostname:
            return "an https redirect URI must name a host"
        return None
    if scheme == "http":
        host = (parts.netloc.rsplit("@", 1)[-1]).lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host not in LOOPBACK_HOSTS:
            return "an http redirect URI must point to a loopback host (127.0.0.1, [::1], localhost)"
        return None
    if "." not in scheme and "." not in parts.netloc:
        # a private-use scheme names its app: com.example.app:/cb, or cursor://anysphere.cursor/cb
        return (
            "a private-use redirect URI must name its app with a dot "
            "(com.example.app:/callback or myapp://example.app/callback)"
        )
    return None


class McpOAuthClient(models.Model):
    """An OAuth client of ``/mcp``: registered (RFC 7591) or known by its metadata document URL.

    A confidential client's secret is kept as a SHA-256 hash in a column no ORM field maps, as
    ``mcp.api.key`` keeps its hash. Unchecking ``active`` revokes the client: no new grant, and
    its tokens are refused at the next request in every worker."""

    _name = "mcp.oauth.client"
    _inherit = ["mcp.cache.mixin"]
    _description = "MCP OAuth Client"
    _order = "create_date desc, id desc"

    name = fields.Char(required=True)
    client_id = fields.Char("Client ID", required=True, readonly=True, index=True)
    kind = fields.Selection(
        [("registered", "Registered"), ("metadata", "Metadata Document")],
        required=True,
        readonly=True,
        default="registered",
    )
    redirect_uris = fields.Text("Redirect URIs", required=True, help="One per line, matched exactly.")
    token_endpoint_auth_method = fields.Selection(
        AUTH_METHODS, string="Authentication", required=True, default="none", readonly=True
    )
    client_uri = fields.Char("Client URI")
    logo_uri = fields.Char("Logo URI")
    software_id = fields.Char("Software ID")
    software_version = fields.Char()
    metadata_fetched_at = fields.Datetime("Metadata Fetched On", readonly=True)
    active = fields.Boolean(default=True, help="Uncheck to revoke the client and every grant it holds.")
    grant_ids = fields.One2many("mcp.oauth.grant", "client_id", string="Grants")
    grant_count = fields.Integer(compute="_compute_grant_count")

    locals().update(
        compat.unique_constraint("client_id_unique", "UNIQUE(client_id)", "This client id is already in use.")
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN IF NOT EXISTS secret_hash varchar",
                SQL.identifier(self._table),
            )
        )

    @api.constrains("redirect_uris")
    def _check_redirect_uris(self):
        for client in self:
            uris = client._redirect_uri_list()
            if not uris:
                raise ValidationError(self.env._("A client needs at least one redirect URI."))
            for uri in uris:
                reason = check_redirect_uri(uri)
                if reason:
                    raise ValidationError(
                        self.env._("Invalid redirect URI %(uri)s: %(reason)s", uri=uri, reason=reason)
                    )

    def _compute_grant_count(self):
        counts = dict.fromkeys(self.ids, 0)
        grants = self.env["mcp.oauth.grant"].sudo().with_context(active_test=False)
        for grant in grants.search([("client_id", "in", self.ids), ("active", "=", True)]):
            counts[grant.client_id.id] += 1
        for client in self:
            client.grant_count = counts.get(client.id, 0)

    def action_revoke(self):
        self.write({"active": False})
        return True

    def action_view_grants(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Grants of %s", self.name),
            "res_model": "mcp.oauth.grant",
            "view_mode": "list,form",
            "domain": [("client_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    def _redirect_uri_list(self):
        self.ensure_one()
        return [line.strip() for line in (self.redirect_uris or "").splitlines() if line.strip()]

    def _has_redirect_uri(self, uri):
        """Exact match, character for character."""
        return isinstance(uri, str) and uri in self._redirect_uri_list()

    def _is_confidential(self):
        self.ensure_one()
        return self.token_endpoint_auth_method != "none"

    def _check_secret(self, secret):
        """Whether ``secret`` is this client's secret (constant-time comparison of the hashes)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT secret_hash FROM %s WHERE id = %s", SQL.identifier(self._table), self.id)
        )
        row = self.env.cr.fetchone()
        stored = row[0] if row else None
        if not stored or not isinstance(secret, str) or not secret:
            return False
        return hmac.compare_digest(stored, token_hash(secret))

    def _set_secret(self):
        """A new secret for this confidential client, returned once; only its hash is kept."""
        self.ensure_one()
        secret = "mcpcs_" + secrets.token_urlsafe(32)
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET secret_hash = %s WHERE id = %s",
                SQL.identifier(self._table),
                token_hash(secret),
                self.id,
            )
        )
        return secret

    @api.model
    def _find(self, client_id):
        """The client (active or not) whose id is ``client_id``, or an empty recordset."""
        if not isinstance(client_id, str) or not client_id or len(client_id) > 2048:
            return self.browse()
        return self.sudo().with_context(active_test=False).search([("client_id", "=", client_id)], limit=1)

    @api.model
    def _gc_mcp_oauth_clients(self):
        """Delete registered clients never granted, a week after their registration."""
        limit = fields.Datetime.now() - UNUSED_CLIENT_AGE
        self.flush_model()
        self.env["mcp.oauth.grant"].flush_model()
        self.env.cr.execute(
            """
            DELETE FROM mcp_oauth_client c
             WHERE c.kind = 'registered' AND c.create_date < %s
               AND NOT EXISTS (SELECT 1 FROM mcp_oauth_grant g WHERE g.client_id = c.id)
            """,
            [limit],
        )
        if self.env.cr.rowcount:
            _logger.info("MCP OAuth: %d unused client registration(s) deleted", self.env.cr.rowcount)
            self.env.registry.clear_cache()
