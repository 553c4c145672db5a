"""REST routes of CONTRACT §2: the JSON envelope, ``X-API-Key`` or a web session, over ``mcp.gateway``."""

import functools
import json
import logging
import math

import odoo.release
from odoo import http
from odoo.http import request

from ..models.mcp_gateway import McpError
from .common import ROUTE, Audit, mcp_version, require_database, utc_timestamp

_logger = logging.getLogger(__name__)

REST_ROUTE = {**ROUTE, "type": "http", "methods": ["GET"]}


def json_response(status, data=None, message=None, headers=None):
    body = {"success": status < 400, "meta": {"timestamp": utc_timestamp()}}
    if status < 400:
        body["data"] = data
    else:
        body["error"] = {"message": message, "code": f"E{status}"}
    payload = json.dumps(body, ensure_ascii=False, default=str).encode()
    all_headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
    return request.make_response(payload, headers=all_headers + list(headers or []), status=status)


def error_response(exc):
    headers = []
    if exc.retry_after is not None:
        headers.append(("Retry-After", str(max(1, math.ceil(exc.retry_after)))))
    return json_response(exc.status, message=exc.message, headers=headers)


def mcp_rest(authenticated=True):
    """Wrap a REST handler ``handler(self, gateway, principal, audit, **kwargs) -> data``."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(self, **kwargs):
            require_database()
            audit = Audit(request.httprequest.path)
            try:
                gateway = request.env["mcp.gateway"].sudo()
                snapshot = gateway._mcp_check_enabled()
                audit.enabled = snapshot.logging
                principal = None
                if authenticated:
                    principal = _rest_principal(gateway)
                    audit.principal(principal)
                    gateway._mcp_check_user(principal)
                return json_response(200, handler(self, gateway, principal, audit, **kwargs))
            except McpError as exc:
                if exc.event_type:
                    audit.add(exc.event_type, error_code=f"E{exc.status}", error_message=exc.message)
                return error_response(exc)
            except Exception:
                request.env.cr.rollback()  # keep nothing of a failed request but its audit row
                _logger.exception("MCP: unexpected error on %s", request.httprequest.path)
                audit.add("error", error_code="E500", error_message="Internal server error.")
                return json_response(500, message="Internal server error.")
            finally:
                audit.flush()

        return wrapper

    return decorator


def _rest_principal(gateway):
    """Credentials in the contract's order: ``X-API-Key``, then the web session."""
    api_key = request.httprequest.headers.get("X-API-Key")
    if api_key is not None:
        principal = gateway._mcp_check_key(api_key.strip())
        if principal is None:
            raise McpError(401, "Invalid API key.", "auth_failure")
        return principal
    uid = request.session.uid
    if uid:
        return gateway._mcp_principal(uid, "session")
    raise McpError(
        401, "Authentication required: send an X-API-Key header or a session cookie.", "auth_failure"
    )


class McpRestController(http.Controller):
    @http.route("/mcp/health", **REST_ROUTE)
    @mcp_rest(authenticated=False)
    def health(self, gateway, principal, audit):
        return {"status": "ok", "mcp_server_version": mcp_version()}

    @http.route("/mcp/system/info", **REST_ROUTE)
    @mcp_rest()
    def system_info(self, gateway, principal, audit):
        user = request.env["res.users"].sudo().browse(principal.uid)
        return {
            "db_name": request.db,
            "odoo_version": odoo.release.version,
            "language": user.lang or "en_US",
            "enabled_mcp_models": len(gateway._mcp_snapshot().matrix),
            "mcp_server_version": mcp_version(),
            "server_timezone": user.tz or "UTC",
        }

    @http.route("/mcp/auth/validate", **REST_ROUTE)
    @mcp_rest()
    def auth_validate(self, gateway, principal, audit):
        audit.add("auth_success")
        return {"valid": True, "user_id": principal.uid, "auth_method": principal.auth_method}

    @http.route("/mcp/models", **REST_ROUTE)
    @mcp_rest()
    def models(self, gateway, principal, audit):
        audit.add("model_access", operation="list")
        return {"models": gateway._mcp_models(principal)}

    @http.route("/mcp/models/<string:model>/access", **REST_ROUTE)
    @mcp_rest()
    def model_access(self, gateway, principal, audit, model):
        return gateway._mcp_model_access(principal, model, audit.add)
