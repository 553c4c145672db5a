"""Everything that differs between the Odoo series this addon supports (18.0 and 19.0).

The rest of the addon never tests a version: it asks this module. Each name says what it stands for,
each branch cites what changed in 19.0.
"""

import logging

from odoo import release

_logger = logging.getLogger(__name__)

SERIE = release.serie
IS_18 = release.version_info[0] == 18

# ----------------------------------------------------------------------
# Field names
# ----------------------------------------------------------------------
#: ``res.users``: the groups a user is put in (19.0 renamed ``groups_id`` to ``group_ids``).
USER_GROUPS = "groups_id" if IS_18 else "group_ids"
#: ``res.users``: every group a user has, implied ones included (18.0 stores them in ``groups_id``).
USER_ALL_GROUPS = "groups_id" if IS_18 else "all_group_ids"
#: ``ir.actions.*``: the groups that may see an action (``groups_id`` in 18.0).
ACTION_GROUPS = "groups_id" if IS_18 else "group_ids"


# ----------------------------------------------------------------------
# ORM
# ----------------------------------------------------------------------
def unique_constraint(name, definition, message):
    """Class attributes declaring an SQL constraint: ``models.Constraint`` in 19.0 (which ignores
    ``_sql_constraints`` with a warning), ``_sql_constraints`` in 18.0 (which has no ``Constraint``).
    Used as ``locals().update(compat.unique_constraint(...))`` in a model's class body."""
    if IS_18:
        return {"_sql_constraints": [(name, definition, message)]}
    from odoo import models

    return {f"_{name}": models.Constraint(definition, message)}


#: The web client's save of several records with values per record, ``web_save_multi`` (new in
#: 19.0; on 18.0 a call to it gets Odoo's "method does not exist" error).
HAS_WEB_SAVE_MULTI = not IS_18


def missing_method_message(model, method):
    """Odoo's own words for a public method a model does not have (``get_public_method``)."""
    if IS_18:
        return f"The method '{method}' does not exist on the model '{model}'"
    return f"The method '{model}.{method}' does not exist"


def call_kw(records, method, args, kwargs):
    """Odoo's own ``call_kw`` (``odoo.api`` in 18.0, ``odoo.service.model`` in 19.0)."""
    if IS_18:
        from odoo.api import call_kw as _call_kw
    else:
        from odoo.service.model import call_kw as _call_kw
    return _call_kw(records, method, args, kwargs)


# ----------------------------------------------------------------------
# Credentials
# ----------------------------------------------------------------------
def check_uid_password(users, uid, password):
    """Core's check of ``(uid, password)`` on the current cursor; raises ``AccessDenied``.

    19.0 has ``res.users._check_uid_passwd``; 18.0's ``check`` does the same on a new cursor, so it
    is spelled out here as 19.0 does it."""
    if not IS_18:
        return users._check_uid_passwd(uid, password)
    from odoo.exceptions import AccessDenied

    if not password:
        raise AccessDenied()
    with users._assert_can_auth(user=uid):
        user = users.with_user(uid).env.user
        if not user.active:
            raise AccessDenied()
        credential = {"login": user.login, "password": password, "type": "password"}
        user._check_credentials(credential, {"interactive": False})
    return None


def authenticate(users, credential, user_agent_env):
    """``res.users.authenticate``: the uid, or ``AccessDenied`` (a class method taking the database
    in 18.0, a model method in 19.0)."""
    if IS_18:
        return users.authenticate(users.env.cr.dbname, credential, user_agent_env)["uid"]
    return users.authenticate(credential, user_agent_env)["uid"]


# ----------------------------------------------------------------------
# Data that cannot be written once for both series in XML
# ----------------------------------------------------------------------
#: Actions only MCP administrators see.
ADMIN_ACTIONS = (
    "mcp_server.mcp_model_selection_wizard_action",
    "mcp_server.mcp_model_selection_wizard_action_ir_model",
)
#: The two groups, shown as one "MCP Server" choice in the user form.
GROUPS = ("mcp_server.group_mcp_user", "mcp_server.group_mcp_admin")


def load_series_data(env):
    """Write what the XML files leave out because its markup differs: the groups' place in the user
    form (``res.groups.privilege`` in 19.0, an ``ir.module.category`` in 18.0) and the groups of the
    administrators' actions. Run by ``data/series_data.xml`` on every install and update."""
    if IS_18:
        model, xml_id, parent, link = (
            "ir.module.category",
            "mcp_server.module_category_mcp_server",
            "parent_id",
            "category_id",
        )
    else:
        model, xml_id, parent, link = (
            "res.groups.privilege",
            "mcp_server.res_groups_privilege_mcp_server",
            "category_id",
            "privilege_id",
        )
    values = {"name": "MCP Server", "sequence": 60, parent: env.ref("base.module_category_administration").id}
    holder = env[model]._load_records([{"xml_id": xml_id, "values": values, "noupdate": False}], update=True)
    for sequence, group in enumerate(GROUPS, 1):
        env.ref(group).write({link: holder.id, **({} if IS_18 else {"sequence": sequence * 10})})
    admin = env.ref("mcp_server.group_mcp_admin")
    for action in ADMIN_ACTIONS:
        env.ref(action).write({ACTION_GROUPS: [(6, 0, admin.ids)]})


# ----------------------------------------------------------------------
# Odoo's own XML-RPC
# ----------------------------------------------------------------------
def odoo_xmlrpc_dumps():
    """Odoo's XML-RPC marshaller: in ``base`` (18.0), in the ``rpc`` addon (19.0)."""
    if IS_18:
        from odoo.addons.base.controllers.rpc import dumps
    else:
        from odoo.addons.rpc.controllers.xmlrpc import dumps
    return dumps


#: The ormcache emptied on any change of group membership: 19.0's "stable"; 18.0 has no such cache
#: and empties "default" then.
USER_CACHE = "default" if IS_18 else "stable"

#: ``res.groups``: its users (``users`` in 18.0).
GROUP_USERS = "users" if IS_18 else "user_ids"


def set_default_env(env):
    """Make ``env`` the transaction's default environment, as 19.0's ``execute_kw`` does (18.0 has
    no such notion)."""
    if not IS_18:
        env.transaction.default_env = env


# ----------------------------------------------------------------------
# Database resolution
# ----------------------------------------------------------------------
#: The header that names the request's database (CONTRACT §1).
DATABASE_HEADER = "X-Odoo-Database"


def header_database(httprequest):
    """The database ``X-Odoo-Database`` names, if the db filter admits it for the request's host,
    else ``None``: 19.0's rule, so the header reaches no database the filter excludes."""
    from odoo import http

    name = httprequest.headers.get(DATABASE_HEADER)
    if name and http.db_filter([name], host=httprequest.environ.get("HTTP_HOST", "")):
        return name
    return None


def _with_database_header(resolve):
    """Wrap 18.0's database resolution (``Request._get_session_and_dbname``, which ignores
    ``X-Odoo-Database``) with 19.0's rule for the header: a web session's database wins and a
    header naming another one is refused (403); otherwise the header alone picks the database, if
    the db filter admits it, and the request keeps no session. Without the header, 18.0's own
    resolution is left as it is."""
    from odoo import http

    def get_session_and_dbname(request):
        wanted = request.httprequest.headers.get(DATABASE_HEADER)
        if not wanted:
            return resolve(request)
        sid = request.httprequest._session_id__
        store = http.root.session_store
        cookie_db = store.get(sid).db if sid and store.is_valid_key(sid) else None
        session, dbname = resolve(request)
        if cookie_db and dbname == cookie_db:
            if wanted != dbname:
                raise http.Forbidden("Cannot use both the session_id cookie and the x-odoo-database header.")
            return session, dbname
        session.can_save = False
        session.db = dbname = header_database(request.httprequest)
        return session, dbname

    get_session_and_dbname.mcp_server_header = True
    return get_session_and_dbname


def honour_database_header():
    """Make Odoo resolve each request's database from ``X-Odoo-Database``, as 19.0 does by itself.

    Run when the addon is imported. A request's database is resolved before its registry is loaded,
    so on an 18.0 server with several databases the addon must be imported at start-up: list it in
    ``server_wide_modules`` (``--load=base,web,mcp_server``)."""
    if not IS_18:
        return
    from odoo import http

    resolve = http.Request._get_session_and_dbname
    if not getattr(resolve, "mcp_server_header", False):  # once, however often the addon loads
        http.Request._get_session_and_dbname = _with_database_header(resolve)


#: The ``code`` of Odoo's JSON-RPC error object: 200 in 18.0, 0 in 19.0 (both say it carries no meaning).
JSONRPC_ERROR_CODE = 200 if IS_18 else 0


def is_model_method(func):
    """Whether a model method is ``@api.model`` (it takes no records): ``_api`` is ``'model'`` or
    ``'model_create'`` in 18.0, ``_api_model`` is set in 19.0."""
    if IS_18:
        return getattr(func, "_api", None) in ("model", "model_create")
    return hasattr(func, "_api_model")


#: Odoo's own JSON-2 API (``/json/2/<model>/<method>``) exists from 19.0 on.
HAS_ODOO_JSON2 = not IS_18


# ----------------------------------------------------------------------
# Grouped reads (the aggregate_records tool)
# ----------------------------------------------------------------------
def group_call(domain, groupby, aggregates, offset, limit, order):
    """``(method, args, kwargs)`` of a grouped read: ``formatted_read_group`` in 19.0, which 18.0
    lacks (``read_group`` there, whose aggregates name fields without ``__count``)."""
    if IS_18:
        fields = [spec for spec in aggregates if spec != "__count"]
        kwargs = {"offset": offset, "limit": limit, "lazy": False}
        if order:
            kwargs["orderby"] = order
        return "read_group", [domain, fields, list(groupby)], kwargs
    kwargs = {"aggregates": list(aggregates), "offset": offset, "limit": limit}
    if order:
        kwargs["order"] = order
    return "formatted_read_group", [domain, list(groupby)], kwargs


def group_row(row, groupby, aggregates):
    """A group in 19.0's shape: aggregates keyed ``field:operator``, the drill-down domain in
    ``__extra_domain`` (18.0 keys aggregates by field and names it ``__domain``)."""
    if not IS_18:
        return dict(row)
    out = {key: row[key] for key in groupby if key in row}
    out["__count"] = row.get("__count", 0)
    for spec in aggregates:
        if spec != "__count":
            out[spec] = row.get(spec.split(":", 1)[0])
    out["__extra_domain"] = row.get("__domain", [])
    return out
