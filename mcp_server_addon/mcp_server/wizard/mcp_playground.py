"""The playground: an MCP user runs one tool as themselves, through the real gate, with the scope
of one of their keys or their own rights, and sees the answer and the audit rows. The key's secret
is never asked for nor stored: a key is chosen for its scope, the call runs as its holder."""

import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..controllers.common import Audit
from ..models import mcp_tools
from ..models.mcp_gateway import McpError, Principal

ENDPOINT = "playground"


class McpPlayground(models.TransientModel):
    _name = "mcp.playground"
    _description = "MCP Playground"

    api_key_id = fields.Many2one(
        "mcp.api.key",
        "Scope of Key",
        domain="[('user_id', '=', uid)]",
        help="Run with the scope of one of your MCP keys; empty runs with your own MCP rights.",
    )
    tool = fields.Selection(selection="_selection_tools", required=True, default="search_records")
    tool_description = fields.Text(compute="_compute_tool_help")
    input_schema = fields.Text("Arguments Schema", compute="_compute_tool_help")
    arguments = fields.Text(
        compute="_compute_arguments", store=True, readonly=False, help="The tool's arguments, in JSON."
    )
    result = fields.Text(readonly=True)
    is_error = fields.Boolean("Refused or Failed", readonly=True)
    log_ids = fields.Many2many("mcp.log", string="Audit Rows", readonly=True)

    @api.model
    def _selection_tools(self):
        return [(tool.name, tool.title) for tool in mcp_tools.TOOLS]

    @api.depends("tool")
    def _compute_tool_help(self):
        for wizard in self:
            tool = mcp_tools.TOOLS_BY_NAME.get(wizard.tool)
            wizard.tool_description = tool.description if tool else False
            wizard.input_schema = json.dumps(tool.input_schema, indent=2) if tool else False

    @api.depends("tool")
    def _compute_arguments(self):
        for wizard in self:
            tool = mcp_tools.TOOLS_BY_NAME.get(wizard.tool)
            wizard.arguments = json.dumps(_template(tool.input_schema), indent=2) if tool else "{}"

    def _principal(self):
        """The caller as the gate sees them: their own user, with the scope of their chosen key."""
        self.ensure_one()
        gateway = self.env["mcp.gateway"].sudo()
        key = self.api_key_id
        if not key:
            return Principal(self.env.uid, "session")
        key = key.sudo()
        if key.user_id.id != self.env.uid or key.state != "active":
            raise UserError(self.env._("Choose one of your own active keys."))
        scope = gateway._mcp_native().Scope.parse(key.scope) if key.scope else None
        return Principal(self.env.uid, "session", key.id, scope)

    def action_run(self):
        self.ensure_one()
        try:
            arguments = json.loads(self.arguments or "{}")
        except ValueError as exc:
            raise UserError(self.env._("The arguments are not valid JSON: %s", exc)) from None
        if not isinstance(arguments, dict):
            raise UserError(self.env._("The arguments must be a JSON object."))
        principal = self._principal()
        gateway = self.env["mcp.gateway"].sudo()
        audit = Audit(ENDPOINT, env=self.env(su=True))
        audit.base["operation"] = self.tool
        audit.principal(principal)
        first_log = self.env["mcp.log"].sudo().search([], order="id desc", limit=1).id or 0
        try:
            audit.enabled = gateway._mcp_check_enabled().logging
            gateway._mcp_check_member(principal)
            gateway._mcp_rate_limit(principal)
            outcome = gateway._mcp_call_tool(principal, self.tool, arguments, audit)
        except McpError as exc:
            if exc.event_type:
                audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
            outcome = {"isError": True, "content": [{"type": "text", "text": exc.message}]}
        except ValueError as exc:  # an unknown tool or arguments that do not fit its schema
            audit.add("error", error_code="E400", error_message=str(exc)[:1000])
            outcome = {"isError": True, "content": [{"type": "text", "text": str(exc)}]}
        audit.flush()
        logs = (
            self.env["mcp.log"]
            .sudo()
            .search([("id", ">", first_log), ("endpoint", "=", ENDPOINT), ("user_id", "=", self.env.uid)])
        )
        self.write(
            {
                "result": _shown(outcome),
                "is_error": bool(outcome.get("isError")),
                "log_ids": [fields.Command.set(logs.ids)],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("MCP Playground"),
        }


def _template(schema):
    """Arguments to start from: each property's default, or an empty value of its type."""
    empty = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}
    out = {}
    required = set(schema.get("required") or ())
    for name, spec in (schema.get("properties") or {}).items():
        if "default" in spec:
            out[name] = spec["default"]
        elif name in required:
            kind = spec.get("type")
            kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
            out[name] = empty.get(kind, "")
    return out


def _shown(outcome):
    """The answer as a client sees it: the structured content if any, else the text parts."""
    if outcome.get("structuredContent") is not None and not outcome.get("isError"):
        return json.dumps(outcome["structuredContent"], indent=2, ensure_ascii=False, default=str)
    texts = [part.get("text", "") for part in outcome.get("content") or () if part.get("type") == "text"]
    return "\n".join(texts)
