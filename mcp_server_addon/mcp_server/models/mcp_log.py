import logging
from datetime import timedelta

import psycopg2
from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

EVENT_TYPES = [
    ("auth_success", "Authentication Success"),
    ("auth_failure", "Authentication Failure"),
    ("model_access", "Model Access"),
    ("resource_retrieval", "Resource Retrieval"),
    ("write_operation", "Write Operation"),
    ("error", "Error"),
    ("rate_limit", "Rate Limit"),
    ("permission_denied", "Permission Denied"),
]

#: What became of a request, for the dashboard: each event type falls in one outcome.
OUTCOMES = [
    ("allowed", "Allowed"),
    ("refused", "Refused"),
    ("error", "Error"),
    ("rate_limited", "Rate-limited"),
]
OUTCOME_OF_EVENT = {
    "auth_success": "allowed",
    "model_access": "allowed",
    "resource_retrieval": "allowed",
    "write_operation": "allowed",
    "auth_failure": "refused",
    "permission_denied": "refused",
    "error": "error",
    "rate_limit": "rate_limited",
}

#: request_data and response_data are cut at this many characters.
MAX_DATA = 10_000

_COLUMNS = (
    "event_type",
    "user_id",
    "api_key_used",
    "ip_address",
    "endpoint",
    "http_method",
    "model_name",
    "operation",
    "record_ids",
    "error_code",
    "error_message",
    "request_data",
    "response_data",
    "user_agent",
    "duration_ms",
    "api_key_id",
    "outcome",
    "oauth_client_id",
)


class McpLog(models.Model):
    """Audit log of MCP requests. Rows are written on their own cursor, so that a refused or failed
    request keeps its row when the request's transaction is rolled back."""

    _name = "mcp.log"
    _description = "MCP Log"
    _order = "id desc"
    _rec_name = "event_type"

    # The dashboard groups by time first: its reads stay on an index on 100,000s of rows.
    create_date = fields.Datetime(index=True, readonly=True)
    event_type = fields.Selection(EVENT_TYPES, required=True, index=True, readonly=True)
    outcome = fields.Selection(
        OUTCOMES, compute="_compute_outcome", store=True, readonly=True, help="Set with the row."
    )
    user_id = fields.Many2one("res.users", index=True, ondelete="set null", readonly=True)
    api_key_used = fields.Boolean(readonly=True)
    api_key_id = fields.Many2one(
        "mcp.api.key", "MCP Key", index="btree_not_null", ondelete="set null", readonly=True
    )
    oauth_client_id = fields.Many2one(
        "mcp.oauth.client", "OAuth Client", index="btree_not_null", ondelete="set null", readonly=True
    )
    ip_address = fields.Char(readonly=True)
    endpoint = fields.Char(readonly=True)
    http_method = fields.Char(readonly=True)
    model_name = fields.Char(index=True, readonly=True)
    operation = fields.Char(readonly=True)
    record_ids = fields.Char(readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    request_data = fields.Text(readonly=True)
    response_data = fields.Text(readonly=True)
    user_agent = fields.Char(readonly=True)
    duration_ms = fields.Float("Duration (ms)", digits=(16, 2), readonly=True)

    @api.depends("event_type")
    def _compute_outcome(self):
        # Rows are inserted by _mcp_insert with their outcome; this fills rows older than the field.
        for row in self:
            row.outcome = OUTCOME_OF_EVENT.get(row.event_type, "error")

    @api.model
    def _mcp_insert(self, cr, rows):
        """Insert ``rows`` (dicts) with ``cr``; values are cut to size. The insert runs inside a
        savepoint, in one round trip, so that a failure leaves the transaction usable."""
        if not rows:
            return
        values = []
        for given in rows:
            row = dict(given, outcome=OUTCOME_OF_EVENT.get(given.get("event_type"), "error"))
            vals = [row.get(column) for column in _COLUMNS]
            for position, column in enumerate(_COLUMNS):
                value = vals[position]
                if isinstance(value, str) and column in ("request_data", "response_data", "error_message"):
                    vals[position] = value[:MAX_DATA]
                elif isinstance(value, str):
                    vals[position] = value[:1024]
            values.append(
                SQL("(%s, now() at time zone 'utc', now() at time zone 'utc')", SQL(", ").join(vals))
            )
        insert = SQL(
            "INSERT INTO mcp_log (%s, create_date, write_date) VALUES %s",
            SQL(", ").join(SQL.identifier(column) for column in _COLUMNS),
            SQL(", ").join(values),
        )
        try:
            cr.execute(SQL("SAVEPOINT mcp_audit; %s; RELEASE SAVEPOINT mcp_audit", insert))
        except psycopg2.Error:
            cr.execute("ROLLBACK TO SAVEPOINT mcp_audit")
            raise

    @api.model
    def _gc_mcp_logs(self):
        """Daily cleanup: delete rows older than the retention setting (0 or less keeps them)."""
        days = self.env["mcp.gateway"]._mcp_read_settings()["log_retention_days"]
        if days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(SQL("DELETE FROM mcp_log WHERE create_date < %s", limit))
        _logger.info("MCP log cleanup: %d rows older than %d days deleted", self.env.cr.rowcount, days)
