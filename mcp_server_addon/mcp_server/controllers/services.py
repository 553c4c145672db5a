"""Odoo's RPC services (``common``, ``db``, ``object``) in front of ``mcp.gateway``, shared by the
XML-RPC and JSON-RPC surfaces, which differ only in their wire format (as Odoo's own
``dispatch_rpc`` serves both).

A service takes the positional ``params`` of the call and returns its result. A refusal is an
:class:`~..models.mcp_gateway.McpError` (a malformed call is 400), a failed credential Odoo's
``AccessDenied``; the surface maps them onto its wire shape. ``call`` is the surface's request
object: its ``audit`` rows and ``mark(phase)`` for the optional ``Server-Timing`` header.
"""

import odoo.release
from odoo.exceptions import AccessDenied
from odoo.http import request
from odoo.service import db as db_service
from odoo.tools import config

from ..models.mcp_gateway import McpError

#: The ``db`` methods served: read-only ones; never create, drop, duplicate, backup or restore.
DB_READ_METHODS = ("list", "server_version", "list_lang", "list_countries", "db_exist")
#: ``object`` methods: the legacy ``/mcp/xmlrpc/object`` takes ``execute_kw`` only (CONTRACT §3),
#: Odoo's API paths (``/mcp/xmlrpc/2/object``, ``/mcp/jsonrpc``) take both.
EXECUTE_KW_ONLY = ("execute_kw",)
EXECUTE_METHODS = ("execute", "execute_kw")
OTHER_DATABASE = "The database does not match the X-Odoo-Database header of the request."


def bad_request(message):
    return McpError(400, message, "error")


def version():
    """``common.version`` (Odoo's ``exp_version``)."""
    return {
        "server_version": odoo.release.version,
        "server_version_info": list(odoo.release.version_info),
        "server_serie": odoo.release.serie,
        "protocol_version": 1,
    }


def common(call, gateway, method, params):
    """``version``, ``login`` and ``authenticate``: the uid, or ``False`` for wrong credentials."""
    if method == "version":
        return version()
    if method not in ("authenticate", "login"):
        raise bad_request(f"Unsupported method {method}. Use version, authenticate or login.")
    if len(params) < 3:
        raise bad_request(f"{method} takes (db, login, password).")
    db, login, secret = params[:3]
    user_agent_env = params[3] if len(params) > 3 and isinstance(params[3], dict) else {}
    if db != request.db:
        raise bad_request(OTHER_DATABASE)
    uid = gateway._mcp_check_login(login, secret, user_agent_env)
    if not uid:
        call.audit.add("auth_failure", error_code="3", error_message="Access Denied")
        return False
    principal = gateway._mcp_principal(uid, "password")
    call.audit.base["user_id"] = uid
    gateway._mcp_check_user(principal)
    call.audit.add("auth_success", operation=method)
    return uid


def db(call, gateway, method, params):
    """The read-only ``db`` methods; any other is 403."""
    if method not in DB_READ_METHODS:
        raise McpError(
            403, f"Method {method} is not available: only read-only database services are.", "error"
        )
    if method == "list":
        if not config["list_db"]:
            raise AccessDenied()
        return db_service.list_dbs(True)
    if method == "server_version":
        return odoo.release.version
    if method == "list_lang":
        return db_service.exp_list_lang()
    if method == "list_countries":
        return db_service.exp_list_countries()
    if not params or not isinstance(params[0], str):
        raise bad_request("db_exist takes (db_name).")
    return db_service.exp_db_exist(params[0])


def object_params(method, params, methods):
    """``(uid, secret, model, model_method, args, kwargs)`` of an ``execute_kw`` or ``execute``
    call, or a 400 naming what is wrong. ``execute`` takes the model method's positional arguments
    inline, ``execute_kw`` a list and a dict."""
    if method not in methods:
        allowed = f"{methods[0]} is" if len(methods) == 1 else f"{' and '.join(methods)} are"
        raise bad_request(f"Unsupported method {method}. Only {allowed} allowed.")
    usage = (
        "execute_kw takes (db, uid, password, model, method, args, kwargs)."
        if method == "execute_kw"
        else "execute takes (db, uid, password, model, method, *args)."
    )
    if len(params) < 5:
        raise bad_request(usage)
    db_name, uid, secret, model, model_method = params[:5]
    if db_name != request.db:
        raise bad_request(OTHER_DATABASE)
    if method == "execute_kw":
        args = params[5] if len(params) > 5 else []
        kwargs = params[6] if len(params) > 6 else {}
    else:
        args, kwargs = list(params[5:]), {}
    if not isinstance(model_method, str) or not isinstance(args, list) or not isinstance(kwargs, dict):
        raise bad_request(usage)
    return uid, secret, model, model_method, args, kwargs


def object_call(call, gateway, method, params, methods=EXECUTE_METHODS):
    """``object.execute_kw`` / ``object.execute``: the gate's whole sequence, then the call."""
    uid, secret, model, model_method, args, kwargs = object_params(method, params, methods)
    if not isinstance(model, str) or not gateway._mcp_native().valid_model_name(model):
        raise bad_request("Invalid model name.")
    call.audit.base.update(model_name=model, operation=model_method[:64])
    call.mark("parse")
    principal = authenticate(call, gateway, uid, secret)
    call.mark("auth")
    return run(call, gateway, principal, model, model_method, args, kwargs)


def authenticate(call, gateway, uid, secret):
    """``(uid, password or key)`` as Odoo's RPC takes them; ``AccessDenied`` on any failure."""
    principal = gateway._mcp_check_uid_secret(uid, secret)
    call.audit.principal(principal)
    return principal


def run(call, gateway, principal, model, model_method, args, kwargs):
    """Member, rate limit, the gate's decision, then the call as the principal: every surface that
    runs a model method ends here."""
    gateway._mcp_check_member(principal)
    call.mark("user")
    gateway._mcp_rate_limit(principal)
    call.mark("rate")
    plan = gateway._mcp_authorize(principal, model, model_method, args, kwargs)
    call.audit.base["operation"] = plan.operation
    call.mark("decide")
    return gateway._mcp_execute(principal, model, model_method, plan, call.audit)
