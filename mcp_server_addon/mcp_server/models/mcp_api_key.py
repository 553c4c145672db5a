import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .. import native

_logger = logging.getLogger(__name__)


class McpApiKey(models.Model):
    """MCP keys: argon2id-hashed, optionally scoped and expiring.

    The hash and the lookup index live in columns that no ORM field maps (as Odoo's own
    ``res.users.apikeys`` keeps its secret column), so no read, export or log ever returns them.
    """

    _name = "mcp.api.key"
    _inherit = ["mcp.cache.mixin"]
    _description = "MCP Key"
    _order = "create_date desc, id desc"

    name = fields.Char("Description", required=True)
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, default=lambda self: self.env.user
    )
    scope = fields.Char(
        help="Narrows the user's MCP rights, e.g. 'res.partner:RW,sale.order:R,*:R' "
        "(R read, W write, C create, D delete, * any enabled model). Empty: the user's full MCP rights."
    )
    expiration_date = fields.Datetime("Expires On")
    rate_limit = fields.Integer(
        help="Requests per minute this key may make, never above its user's limit (which keeps "
        "applying). 0: its user's limit. Set by an MCP administrator.",
    )
    last_used = fields.Datetime(readonly=True)
    active = fields.Boolean(default=True, help="Uncheck to revoke the key.")
    state = fields.Selection(
        [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")],
        compute="_compute_state",
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE %(table)s
                    ADD COLUMN IF NOT EXISTS key_index varchar(8),
                    ADD COLUMN IF NOT EXISTS key_hash varchar;
                CREATE INDEX IF NOT EXISTS mcp_api_key_key_index_idx ON %(table)s (key_index);
                """,
                table=SQL.identifier(self._table),
            )
        )

    @api.depends("active", "expiration_date")
    def _compute_state(self):
        now = fields.Datetime.now()
        for key in self:
            if not key.active:
                key.state = "revoked"
            elif key.expiration_date and key.expiration_date < now:
                key.state = "expired"
            else:
                key.state = "active"

    @api.constrains("scope")
    def _check_scope(self):
        lib = native.get()
        for key in self:
            if key.scope and lib is not None:
                try:
                    lib.Scope.parse(key.scope)
                except ValueError as exc:
                    raise ValidationError(self.env._("Invalid scope: %s", exc)) from exc

    @api.constrains("rate_limit")
    def _check_rate_limit(self):
        user_limit = self.env["mcp.gateway"]._mcp_read_settings()["request_limit"]
        for key in self:
            if key.rate_limit < 0:
                raise ValidationError(self.env._("A key's rate limit cannot be negative (0: its user's)."))
            if user_limit and key.rate_limit > user_limit:
                raise ValidationError(
                    self.env._(
                        "A key's rate limit (%(key)s per minute) cannot be above its user's (%(user)s).",
                        key=key.rate_limit,
                        user=user_limit,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        # Keys only come into being through _generate(), which sets the secret columns.
        if not self.env.context.get("mcp_key_generation"):
            raise UserError(self.env._("MCP keys are created with the 'New Key' wizard."))
        return super().create(vals_list)

    def write(self, vals):
        if "user_id" in vals:
            raise UserError(self.env._("The owner of a key cannot be changed; create a new key instead."))
        if not self.env.su and not self.env.user.has_group("mcp_server.group_mcp_admin"):
            # A key's holder may rename or revoke it; its scope, expiry and revocation are an
            # administrator's to change (an administrator may have narrowed it on purpose).
            if set(vals) - {"name", "active"} or vals.get("active", False):
                raise AccessError(
                    self.env._("Only MCP administrators can change a key's scope or expiry, or restore it.")
                )
        return super().write(vals)

    def action_revoke(self):
        self.write({"active": False})
        return True

    @api.model
    def _generate(self, name, user, scope=None, expiration_date=None):
        """Create a key for ``user`` and return its secret, which is shown once and never stored."""
        lib = native.get()
        if lib is None:
            raise UserError(self.env._("MCP Server is unavailable: %s", native.error()))
        if user != self.env.user and not self.env.user.has_group("mcp_server.group_mcp_admin"):
            raise AccessError(self.env._("Only MCP administrators can create keys for other users."))
        if not user.has_group("mcp_server.group_mcp_user"):
            raise UserError(self.env._("%s is not an MCP user.", user.display_name))
        if scope:
            scope = scope.strip()
            try:
                scope = str(lib.Scope.parse(scope))
            except ValueError as exc:
                raise ValidationError(self.env._("Invalid scope: %s", exc)) from exc
        secret = lib.keys.generate()
        key = (
            self.sudo()
            .with_context(mcp_key_generation=True)
            .create(
                {
                    "name": name,
                    "user_id": user.id,
                    "scope": scope or False,
                    "expiration_date": expiration_date or False,
                }
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET key_index = %s, key_hash = %s WHERE id = %s",
                SQL.identifier(self._table),
                lib.keys.index(secret),
                lib.keys.hash(secret),
                key.id,
            )
        )
        _logger.info("MCP key #%s created for user #%s by user #%s", key.id, user.id, self.env.uid)
        return secret

    @api.model
    def _mcp_lookup(self, secret):
        """The active, unexpired key rows whose index matches ``secret`` (at most a few)."""
        lib = native.get()
        try:
            index = lib.keys.index(secret)
        except ValueError:
            return []
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT k.id, k.user_id, k.key_hash, k.scope, k.expiration_date
                  FROM %s k
                  JOIN res_users u ON u.id = k.user_id
                 WHERE k.key_index = %s AND k.active AND u.active
                   AND (k.expiration_date IS NULL OR k.expiration_date > (now() at time zone 'utc'))
                """,
                SQL.identifier(self._table),
                index,
            )
        )
        return self.env.cr.fetchall()
