"""The gate's MCP entry points: the tools a credential sees and the calls of one, the resources and
the instructions. Every surface that serves MCP tools (``/mcp``, an admin playground) asks these."""

import base64
import logging
import re

import odoo.release
from odoo import api, models
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError, ValidationError

from . import mcp_tools
from .mcp_gateway import McpError, MethodNotFound

_logger = logging.getLogger(__name__)

#: ``resources/read`` of a file: larger ones are refused (the text and image limits are the tools').
MAX_RESOURCE_BYTES = 10 * 1024 * 1024
RECORD_RE = re.compile(r"^odoo://([A-Za-z0-9._]+)/record/(\d+)$")
MODEL_RE = re.compile(r"^odoo://([A-Za-z0-9._]+)/(search|count|fields)$")
OPERATIONS = ("read", "write", "create", "unlink")
ODOO_ERRORS = (UserError, ValidationError, MissingError, AccessError, AccessDenied)


class McpResourceNotFound(Exception):
    """A resource URI that names no resource this server serves."""


class McpGateway(models.AbstractModel):
    _inherit = "mcp.gateway"

    # ------------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------------
    @api.model
    def _mcp_tool_needs(self, principal):
        """What the credential may do on some model: the set of ``read``, ``create``, ``write``,
        ``unlink``, ``message`` (post in the chatter of a record it may write) and ``upload`` (attach
        a file to such a record, which needs ``create`` on ``ir.attachment``)."""
        needs = set()
        for model, *flags in self._mcp_snapshot().matrix.models(principal.scope):
            needs.update(name for name, allowed in zip(OPERATIONS, flags, strict=True) if allowed)
            if flags[1] and hasattr(self.env.registry.get(model), "message_post"):
                needs.add("message")  # a chatter the credential may write in
        attachment = self._mcp_operations("ir.attachment", principal)
        if attachment and attachment["create"] and "write" in needs:
            needs.add("upload")
        needs.add("read")  # the read tools are always listed: they answer with the gate's refusal
        return needs

    @api.model
    def _mcp_tools(self, principal):
        """The tool definitions (``tools/list``) of the principal, in a fixed order: a tool that
        needs a right the credential has on no model is not listed."""
        needs = self._mcp_tool_needs(principal)
        return [tool.definition() for tool in mcp_tools.TOOLS if tool.needs in needs]

    @api.model
    def _mcp_call_tool(self, principal, name, arguments, audit):
        """Run tool ``name`` as the principal and answer its ``CallToolResult``. A refusal of the
        gate, an Odoo error or arguments that do not fit the tool's schema are an ``isError`` result
        carrying the message (so that the model can correct itself, as the 2025-11-25 revision
        asks); an unknown tool raises ``ValueError``."""
        tool = mcp_tools.TOOLS_BY_NAME.get(name)
        if tool is None or tool.needs not in self._mcp_tool_needs(principal):
            raise ValueError(f"Unknown tool: {name}")
        audit.base["operation"] = name[:64]
        try:
            bound = mcp_tools.bind_arguments(tool, arguments)
        except ValueError as exc:
            audit.add("error", error_code="E400", error_message=str(exc)[:1000])
            return self._mcp_tool_error(str(exc))
        run = mcp_tools.ToolRun(self, principal, audit)
        rows_before = len(audit.rows)
        try:
            outcome = tool.run(run, **bound)
        except McpError as exc:
            self.env.cr.rollback()
            if exc.event_type:
                audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
            return self._mcp_tool_error(exc.message)
        except mcp_tools.ToolError as exc:
            self.env.cr.rollback()
            audit.add("error", error_code="E400", error_message=str(exc)[:1000])
            return self._mcp_tool_error(str(exc))
        except (*ODOO_ERRORS, MethodNotFound, ValueError, TypeError) as exc:  # Odoo refuses bad values too
            self.env.cr.rollback()
            message = "Access Denied" if isinstance(exc, AccessDenied) else str(exc) or type(exc).__name__
            audit.add("error", error_code="E400", error_message=message[:1000])
            return self._mcp_tool_error(message)
        if len(audit.rows) == rows_before:  # a tool that ran no model method still leaves its row
            audit.add("model_access")
        extra = []
        if isinstance(outcome, tuple):
            outcome, extra = outcome
        return self._mcp_tool_result(outcome, extra)

    @api.model
    def _mcp_tool_result(self, structured, extra=()):
        from ..controllers.mcp import dumps

        text = dumps(structured).decode()
        return {
            "content": [{"type": "text", "text": text}, *extra],
            "structuredContent": structured,
            "isError": False,
        }

    @api.model
    def _mcp_tool_error(self, message):
        return {"content": [{"type": "text", "text": message}], "isError": True}

    # ------------------------------------------------------------------
    # Resources
    # ------------------------------------------------------------------
    @api.model
    def _mcp_resource_templates(self, principal):
        return [
            {
                "uriTemplate": t["uri_template"],
                "name": t["name"],
                "description": t["description"],
                # a file's type is known only when it is read
                **({} if t["name"] in ("binary_field", "attachment") else {"mimeType": "application/json"}),
            }
            for t in mcp_tools.RESOURCE_TEMPLATES
        ]

    @api.model
    def _mcp_read_resource(self, principal, uri, audit):
        """``resources/read`` of an ``odoo://`` URI: ``{"contents": [...]}``. Raises
        :class:`McpError` for a refusal and ``ValueError`` for a URI that names nothing served."""
        run = mcp_tools.ToolRun(self, principal, audit)
        try:
            return {"contents": [self._mcp_resource_content(run, uri.strip())]}
        except (mcp_tools.ToolError, *ODOO_ERRORS) as exc:
            self.env.cr.rollback()
            raise McpError(400 if isinstance(exc, mcp_tools.ToolError) else 403, str(exc), "error") from None
        except McpError:
            self.env.cr.rollback()
            raise

    @api.model
    def _mcp_resource_content(self, run, uri):
        from ..controllers.mcp import dumps

        def text(value):
            return {"uri": uri, "mimeType": "application/json", "text": dumps(value).decode()}

        found = RECORD_RE.match(uri)
        if found:
            return text(mcp_tools.get_record(run, found.group(1), int(found.group(2)))["record"])
        found = MODEL_RE.match(uri)
        if found:
            model, what = found.groups()
            if what == "search":
                return text(mcp_tools.search_read(run, model))
            if what == "count":
                return text({"model": model, "count": run.call(model, "search_count", [[]])})
            return text(mcp_tools.jsonable(run.fields(model)))
        found = mcp_tools.ATTACHMENT_URI_RE.match(uri)
        if found:
            meta, data, _download = mcp_tools.attachment_file(run, int(found.group(1)))
        else:
            found = mcp_tools.FIELD_URI_RE.match(uri)
            if not found:
                raise McpResourceNotFound(uri)
            meta, data, _download = mcp_tools.field_file(
                run, found.group(1), int(found.group(2)), found.group(3)
            )
        if meta["type"] == "url":
            return {"uri": uri, "mimeType": "text/uri-list", "text": meta["url"] or ""}
        data = data or b""
        if len(data) > MAX_RESOURCE_BYTES:
            raise mcp_tools.ToolError(
                f"The file is {len(data)} bytes, over the {MAX_RESOURCE_BYTES} bytes served as a resource."
            )
        return {
            "uri": uri,
            "mimeType": meta["mimetype"] or "application/octet-stream",
            "blob": base64.b64encode(data).decode(),
        }

    # ------------------------------------------------------------------
    # Instructions and transport settings
    # ------------------------------------------------------------------
    @api.model
    def _mcp_instructions(self, principal):
        """What an assistant should know first: who it works as, where and in which timezone."""
        context = mcp_tools.current_context(mcp_tools.ToolRun(self, principal, None))
        return (
            f"Odoo {odoo.release.version} database '{self.env.cr.dbname}'. "
            + context["text"]
            + "\nUse list_models to see the models you may use and what you may do on each; "
            "get_fields describes a model; search_records and get_record read; aggregate_records "
            "counts and totals. Every call runs with this user's rights."
        )

    @api.model
    def _mcp_origin_allowed(self, origin):
        """A browser ``Origin`` may call ``/mcp`` when it is the server's own (``web.base.url``)
        or one an administrator listed (``mcp_server.allowed_origins``, comma or space separated)."""
        from ..controllers.mcp import origin_of

        get = self.env["ir.config_parameter"].sudo().get_param
        allowed = {origin_of(get("web.base.url") or "")}
        allowed.update(
            origin_of(o) for o in re.split(r"[\s,]+", get("mcp_server.allowed_origins") or "") if o
        )
        allowed.discard(None)
        return (origin_of(origin) or origin.lower()) in allowed
