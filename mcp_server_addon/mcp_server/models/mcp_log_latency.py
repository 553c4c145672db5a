from odoo import fields, models, tools
from odoo.tools import SQL

from .mcp_log import OUTCOMES


class McpLogLatency(models.Model):
    """The audit log per hour, surface, model, tool, user, key and outcome, with its latency
    percentiles: what the dashboard's latency pivot and graph read. A view over ``mcp_log``, so it
    costs nothing on the request path."""

    _name = "mcp.log.latency"
    _description = "MCP Latency by Hour"
    _auto = False
    _order = "period desc"
    _rec_name = "period"

    period = fields.Datetime("Hour", readonly=True)
    endpoint = fields.Char(readonly=True)
    model_name = fields.Char("Model", readonly=True)
    operation = fields.Char("Tool / Method", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True)
    api_key_id = fields.Many2one("mcp.api.key", "MCP Key", readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    request_count = fields.Integer("Requests", readonly=True, aggregator="sum")
    p50_ms = fields.Float(
        "p50 (ms)",
        digits=(16, 2),
        readonly=True,
        aggregator="max",
        help="Median duration within the hour; rolled up, the worst hour's.",
    )
    p95_ms = fields.Float(
        "p95 (ms)",
        digits=(16, 2),
        readonly=True,
        aggregator="max",
        help="95th percentile within the hour; rolled up, the worst hour's.",
    )
    p99_ms = fields.Float(
        "p99 (ms)",
        digits=(16, 2),
        readonly=True,
        aggregator="max",
        help="99th percentile within the hour; rolled up, the worst hour's.",
    )
    max_ms = fields.Float("Slowest (ms)", digits=(16, 2), readonly=True, aggregator="max")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS
                SELECT row_number() OVER (ORDER BY min(id)) AS id,
                       date_trunc('hour', create_date) AS period,
                       endpoint, model_name, operation, user_id, api_key_id, outcome,
                       count(*) AS request_count,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99_ms,
                       max(duration_ms) AS max_ms
                  FROM mcp_log
                 GROUP BY 2, endpoint, model_name, operation, user_id, api_key_id, outcome
                """,
                SQL.identifier(self._table),
            )
        )
