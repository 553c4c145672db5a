"""The MCP tools served in process: the standard-mode tools of the ``mcp-server-odoo`` client, under
its names, argument names, defaults, limits and result keys.

Each tool is data (name, title, description, schemas, annotations, the right it needs to be listed)
next to the function that runs it. A function sees Odoo only through a :class:`ToolRun`, whose
``call`` asks the gate (``_mcp_authorize``) and runs what the gate planned (``_mcp_execute``): a tool
never goes around the gate, and the matrix, the scope, the reach rule and the audit rows apply to
every model method a tool runs.
"""

import base64
import binascii
import datetime
import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup
from odoo.exceptions import AccessError, MissingError

from .mcp_gateway import McpError

#: ``limit`` when a call names none (or 0), and the largest one served.
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
#: Records per ``create_records``/``update_records`` call.
MAX_BATCH_RECORDS = 100
#: Fields a read returns by default (the "smart" selection).
MAX_SMART_FIELDS = 15
#: ``get_fields`` without names: this many value fields, plus every structure field.
MAX_SCHEMA_FIELDS = 60
SELECTION_OPTIONS_CAP = 20
CURATED_FIELD_ATTRIBUTES = ("type", "string", "required", "readonly", "relation", "selection")
#: Largest decoded file ``upload_attachment`` takes (a 4 MiB body, base64 and envelope included).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 3 // 4 - 64 * 1024
#: ``read_attachment``: text returned up to these sizes, images up to this one.
READ_TEXT_MAX_CHARS = 100_000
READ_TEXT_MAX_BYTES = 1024 * 1024
READ_IMAGE_MAX_BYTES = 256 * 1024
IMAGE_MIMETYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
#: Documents whose text Odoo extracts into ``ir.attachment.index_content`` (attachment_indexation).
EXTRACTED_TEXT_MIMETYPES = (
    "application/pdf",
    "application/msword",
    "application/rtf",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
#: ``get_record`` previews the display names of x2many values of at most this many records, for
#: this many fields at most (each preview is one more read through the gate).
MAX_RELATED_ITEMS = 5
MAX_RELATED_SUMMARY_FIELDS = 8
#: Files listed per ``list_record_attachments`` call.
MAX_LISTED_ATTACHMENTS = 100

BINARY_TYPES = ("binary", "image")
STRUCTURE_TYPES = ("one2many", "many2many", *BINARY_TYPES, "html")
TECHNICAL_PREFIXES = ("_", "message_", "activity_", "website_message_")
TECHNICAL_FIELDS = frozenset(
    ("write_date", "create_date", "write_uid", "create_uid", "access_token", "access_warning", "access_url")
)
SENSITIVE_RE = re.compile(r"pass(word|wd)?|secret|token|api_?key|apikey|private_key|otp|totp|signature_key")
TYPE_SCORES = {
    "char": 200,
    "boolean": 180,
    "selection": 170,
    "integer": 160,
    "float": 160,
    "date": 150,
    "datetime": 150,
    "monetary": 140,
    "many2one": 120,
    "text": 80,
}


class ToolError(Exception):
    """A call the tool cannot serve as asked: answered as an ``isError`` result with this message."""


# ----------------------------------------------------------------------
# Schemas
# ----------------------------------------------------------------------
def nullable(schema, default=None):
    return {"anyOf": [schema, {"type": "null"}], "default": default}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
STRINGS = {"type": "array", "items": STRING}
OBJECT = {"type": "object", "additionalProperties": True}
CONTEXT = nullable(
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "lang": STRING,
            "tz": STRING,
            "active_test": {"type": "boolean"},
            "allowed_company_ids": {"type": "array", "items": INTEGER},
        },
        "description": "Context of the call: lang, tz, active_test (false includes archived records) "
        "and allowed_company_ids.",
    }
)
DOMAIN = {
    **nullable({"type": "array", "items": {}}),
    "description": "Odoo domain: a list of conditions [field, operator, value], joined by '&' (the "
    "default), '|' or '!'. Example: [[\"is_company\", \"=\", true]].",
}
MODEL = {**STRING, "description": "Technical model name, e.g. 'res.partner'."}
RECORD_ID = {**INTEGER, "description": "ID of the record."}


def schema(properties, required=()):
    return {"type": "object", "properties": properties, "required": list(required)}


def result_schema(properties, required):
    return {"type": "object", "properties": properties, "required": list(required)}


ANY_OBJECT = {"type": "object", "additionalProperties": True}
ANY_OBJECTS = {"type": "array", "items": ANY_OBJECT}
N_STRING = {"type": ["string", "null"]}
N_INTEGER = {"type": ["integer", "null"]}
N_STRINGS = {"type": ["array", "null"], "items": STRING}
WRITE_OUT = result_schema(
    {"success": {"type": "boolean"}, "record": ANY_OBJECT, "url": STRING, "message": STRING},
    ("success", "record", "url", "message"),
)


def annotations(read_only, destructive=False, idempotent=False, open_world=True):
    return {
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        "openWorldHint": open_world,
    }


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    input_schema: dict
    output_schema: dict
    annotations: dict
    #: What the credential must be allowed on some model for the tool to be listed.
    needs: str
    run: object = field(repr=False, default=None)

    def definition(self):
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": self.output_schema,
            "annotations": {"title": self.title, **self.annotations},
        }


# ----------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------
def jsonable(value):
    """A read's value in JSON types: datetimes as Odoo writes them (UTC), tuples as lists, a float
    that JSON cannot carry (NaN, infinity) as ``null``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    ids = getattr(value, "ids", None)  # a recordset
    if isinstance(ids, list):
        return ids
    return str(value)


def as_list(value, what):
    """A list argument that may have come JSON-encoded as a string (as some models send it)."""
    if isinstance(value, str):
        from ..controllers.mcp import loads

        try:
            value = loads(value)
        except (ValueError, RecursionError):
            raise ToolError(f"Invalid {what}: expected a JSON list.") from None
    if value is not None and not isinstance(value, list):
        raise ToolError(f"Invalid {what}: expected a list, got {type(value).__name__}.")
    return value


def page(limit, offset):
    if limit is not None and limit < 0:
        raise ToolError(f"limit must be 0 or more, got {limit}")
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    if offset < 0:
        raise ToolError(f"offset must be 0 or more, got {offset}")
    deepest = max(10_000, 1000 * limit)
    if offset > deepest:
        raise ToolError(f"offset {offset} is too deep (at most {deepest}): narrow the domain or use order.")
    return limit, offset


def score(name, attrs):
    if name in ("id", "name", "display_name", "active"):
        return 1000
    if name.startswith(TECHNICAL_PREFIXES) or name in TECHNICAL_FIELDS or SENSITIVE_RE.search(name):
        return 0
    kind = attrs.get("type", "")
    if kind in STRUCTURE_TYPES:
        return 0
    value = TYPE_SCORES.get(kind, 0)
    if not value:
        return 0
    if attrs.get("required"):
        value += 500
    if attrs.get("store", True):
        value += 50
    return value


def smart_fields(description):
    """The fields a read returns when none are named: the essentials, then the best scored."""
    scored = sorted(
        ((score(name, attrs), name) for name, attrs in description.items()), key=lambda s: (-s[0], s[1])
    )
    chosen = [name for value, name in scored if value > 0][:MAX_SMART_FIELDS]
    for name in ("id", "name", "display_name", "active", "parent_id"):
        if name in description and name not in chosen:
            chosen.append(name)
    return chosen


def record_url(run, model, record_id):
    return f"{run.base_url}/odoo/{model}/{record_id}"


def binary_uri(model, record_id, name):
    return f"odoo://{model}/record/{record_id}/{name}"


# ----------------------------------------------------------------------
# The runner every tool uses
# ----------------------------------------------------------------------
class ToolRun:
    """What a tool may do: model methods through the gate, as the principal."""

    def __init__(self, gateway, principal, audit):
        self.gateway = gateway
        self.principal = principal
        self.audit = audit
        self._fields = {}
        self._meta = {}
        self.base_url = (gateway.env["ir.config_parameter"].sudo().get_param("web.base.url") or "").rstrip(
            "/"
        )

    def require(self, model):
        """A model the tool may name: a valid name, enabled for MCP (the gate decides the rest)."""
        if not isinstance(model, str) or not self.gateway._mcp_native().valid_model_name(model):
            raise ToolError(f"Invalid model name '{model}'.")
        if self.gateway._mcp_operations(model, self.principal) is None:
            raise McpError(403, f"Model '{model}' is not enabled for MCP access.", "permission_denied")

    def call(self, model, method, args=(), kwargs=None):
        self.require(model)
        self.audit.base["model_name"] = model
        plan = self.gateway._mcp_authorize(self.principal, model, method, list(args), dict(kwargs or {}))
        return self.gateway._mcp_execute(self.principal, model, method, plan, self.audit)

    def rights(self, model):
        return self.gateway._mcp_operations(model, self.principal)

    def meta(self, model):
        """The model's fields as the registry describes them (``type``, ``required``, ``store``),
        without those restricted to groups: what the default field selection and the binary values
        are decided from, with no ``fields_get`` on the hot path. Reads no data."""
        self.require(model)
        if model not in self._meta:
            cls = self.gateway.env.registry.get(model)
            fields = cls._fields if cls is not None else {}
            self._meta[model] = {
                name: {"type": f.type, "required": bool(f.required), "store": bool(f.store)}
                for name, f in fields.items()
                if not f.groups
            }
        return self._meta[model]

    def fields(self, model, attributes=None):
        key = (model, tuple(attributes or ()))
        if key not in self._fields:
            kwargs = {"attributes": list(attributes)} if attributes else {}
            self._fields[key] = self.call(model, "fields_get", [], kwargs)
        return self._fields[key]

    def kwargs(self, kwargs, context):
        """``kwargs`` of a model method, with the caller's ``context`` when one was given."""
        if context:
            kwargs["context"] = context
        return kwargs


# ----------------------------------------------------------------------
# Reads
# ----------------------------------------------------------------------
def read_rows(run, model, rows):
    """Rows of a read in JSON, binary values as ``odoo://`` URIs (never inline base64)."""
    known = run.gateway.env.registry[model]._fields
    binaries = [n for n in (rows[0] if rows else ()) if n in known and known[n].type in BINARY_TYPES]
    out = []
    for raw in rows:
        row = jsonable(raw)
        for name in binaries:
            if row.get(name):
                row[name] = binary_uri(model, row.get("id"), name)
        out.append(row)
    return out


def choose_fields(run, model, fields):
    """``(fields to read, how chosen, note, skipped)`` for a field argument."""
    fields = as_list(fields, "fields")
    if not fields:
        return smart_fields(run.meta(model)), "smart_defaults", None
    if fields == ["__all__"]:
        description = run.fields(model)
        withheld = sorted(n for n in description if SENSITIVE_RE.search(n))
        chosen = [
            n for n, a in description.items() if a.get("type") not in BINARY_TYPES and n not in withheld
        ]
        note = (
            f"Left out {len(withheld)} credential-like field(s): {', '.join(withheld)} (name them in "
            "'fields' to read them)."
            if withheld
            else None
        )
        return chosen, "all", note
    known = run.gateway.env.registry[model]._fields
    unknown = [n for n in fields if not isinstance(n, str) or n.split(".", 1)[0] not in known]
    if unknown:
        raise ToolError(f"Unknown field(s) on {model}: {', '.join(map(str, unknown))}")
    return fields, "explicit", None


def search_read(run, model, domain=None, fields=None, offset=0, limit=None, order=None, context=None):
    """``search_records``, the ``odoo://{model}/search`` resource: one page and the total."""
    domain = as_list(domain, "domain") or []
    limit, offset = page(limit, offset)
    chosen, _how, note = choose_fields(run, model, fields)
    kwargs = run.kwargs({"offset": offset, "limit": limit}, context)
    if order:
        kwargs["order"] = order
    rows = run.call(model, "search_read", [domain, chosen], kwargs)
    total = run.call(model, "search_count", [domain], run.kwargs({}, context))
    return {
        "records": read_rows(run, model, rows),
        "total": total,
        "limit": limit,
        "offset": offset,
        "model": model,
        "note": note,
        "skipped_fields": None,
    }


def search_records(run, model, domain=None, fields=None, limit=None, offset=0, order=None, context=None):
    return search_read(run, model, domain, fields, offset, limit, order, context)


def get_record(run, model, record_id, fields=None, context=None):
    chosen, how, note = choose_fields(run, model, fields)
    rows = run.call(model, "read", [[record_id], chosen], run.kwargs({}, context))
    if not rows:
        raise ToolError(f"Record not found: {model} with ID {record_id} does not exist.")
    description = run.meta(model)
    result = {"record": read_rows(run, model, rows)[0]}
    summaries = related_summaries(run, model, result["record"], context)
    if summaries:
        result["related_summaries"] = summaries
    if how == "smart_defaults":
        result["metadata"] = {
            "fields_returned": len(result["record"]),
            "field_selection_method": how,
            "total_fields_available": len(description),
            "note": "Limited fields returned. Name the fields you need, or pass ['__all__'] for all.",
        }
    elif note:
        result["metadata"] = {
            "fields_returned": len(result["record"]),
            "field_selection_method": how,
            "note": note,
        }
    return result


def related_summaries(run, model, record, context=None):
    """Display names of the small x2many values of ``record`` (``{field: [{id, display_name}]}``),
    each read through the gate as the caller; a relation the caller may not read is left out, and
    the ids in the record stay as they are. ``None`` when there is nothing to preview."""
    fields = run.gateway.env.registry[model]._fields
    summaries = {}
    attempted = 0
    for name, value in record.items():
        spec = fields.get(name)
        if spec is None or spec.type not in ("one2many", "many2many"):
            continue
        if not isinstance(value, list) or not 0 < len(value) <= MAX_RELATED_ITEMS:
            continue
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            continue
        if attempted >= MAX_RELATED_SUMMARY_FIELDS:
            break
        attempted += 1
        rights = run.rights(spec.comodel_name)
        if not rights or not rights["read"]:
            continue
        try:
            rows = run.call(spec.comodel_name, "read", [value, ["display_name"]], run.kwargs({}, context))
        except (McpError, AccessError, MissingError):
            continue
        summaries[name] = [
            {"id": row["id"], "display_name": row.get("display_name") or f"id {row['id']}"} for row in rows
        ]
    return summaries or None


def get_fields(run, model, field_names=None, attributes=None):
    field_names = as_list(field_names, "field_names")
    attributes = as_list(attributes, "attributes") or list(CURATED_FIELD_ATTRIBUTES)
    description = run.fields(model)
    notes = []
    omitted = None
    if field_names == ["__all__"]:
        names = sorted(description)
    elif field_names:
        unknown = [n for n in field_names if n not in description]
        if unknown:
            notes.append(f"Unknown field(s): {', '.join(map(str, unknown))}.")
        names = sorted(n for n in field_names if n in description)
    else:
        structure = [n for n, a in description.items() if a.get("type") in STRUCTURE_TYPES]
        values = sorted(
            (n for n in description if n not in structure),
            key=lambda n: (-score(n, description[n]), n),
        )[:MAX_SCHEMA_FIELDS]
        names = sorted({*values, *structure})
        omitted = len(description) - len(names)
        if omitted:
            notes.append(
                f"{omitted} less relevant field(s) left out: name them in field_names, or pass ['__all__']."
            )
    full = run.fields(model, attributes) if set(attributes) - set(CURATED_FIELD_ATTRIBUTES) else description
    unknown_attrs = sorted({a for a in attributes if not any(a in full[n] for n in names)} - {"relation"})
    if unknown_attrs and names:
        notes.append(f"Attribute(s) no field has: {', '.join(unknown_attrs)}.")
    out = []
    for name in names:
        attrs = full.get(name, {})
        entry = {"name": name}
        for attr in attributes:
            if attr in attrs:
                entry[attr] = jsonable(attrs[attr])
        selection = entry.get("selection")
        if isinstance(selection, list) and not field_names and len(selection) > SELECTION_OPTIONS_CAP:
            entry["selection_more"] = len(selection) - SELECTION_OPTIONS_CAP
            entry["selection"] = selection[:SELECTION_OPTIONS_CAP]
        out.append(entry)
    return {
        "model": model,
        "fields": out,
        "total": len(out),
        "omitted": omitted or None,
        "note": " ".join(notes) or None,
    }


def current_context(run):
    """The caller's own identity (user, company, timezone): read as the caller."""
    env = run.gateway.env(user=run.principal.uid, su=False)
    user = env.user
    company = user.company_id
    companies = [{"id": c.id, "name": c.name} for c in user.company_ids]
    tz = user.tz or None
    lines = [
        f"Connected to Odoo as {user.name} (login {user.login}), user ID {user.id}.",
        f"Active company: {company.name} (ID {company.id}).",
    ]
    if len(companies) > 1:
        lines.append(
            "Allowed companies: " + ", ".join(f"{c['name']} (ID {c['id']})" for c in companies) + "."
        )
    lines.append(f"Timezone: {tz}." if tz else "Timezone: not set (treat as UTC).")
    lines.append(
        "Datetimes are read and written in UTC as 'YYYY-MM-DD HH:MM:SS'; convert from and to the "
        "user's timezone when you show or take times."
    )
    return {
        "user_name": user.name,
        "login": user.login,
        "timezone": tz,
        "company_id": company.id,
        "company_name": company.name,
        "allowed_companies": companies if len(companies) > 1 else None,
        "text": "\n".join(lines),
    }


def get_current_context(run):
    return current_context(run)


def list_models(run):
    models = run.gateway._mcp_models(run.principal)
    return {"models": models, "total": len(models), "total_available": len(models)}


RESOURCE_TEMPLATES = (
    {
        "uri_template": "odoo://{model}/record/{record_id}",
        "name": "record",
        "description": "One record of an Odoo model by ID",
        "parameters": {"model": "Odoo model name (e.g., res.partner)", "record_id": "Record ID (e.g., 10)"},
        "example": "odoo://res.partner/record/10",
    },
    {
        "uri_template": "odoo://{model}/search",
        "name": "search",
        "description": f"The first {DEFAULT_LIMIT} records of an Odoo model",
        "parameters": {"model": "Odoo model name"},
        "example": "odoo://res.partner/search",
        "note": "Query parameters are not supported. Use the search_records tool for filters.",
    },
    {
        "uri_template": "odoo://{model}/count",
        "name": "count",
        "description": "The number of records of an Odoo model",
        "parameters": {"model": "Odoo model name"},
        "example": "odoo://res.partner/count",
        "note": "Query parameters are not supported. Use aggregate_records for filtered counts.",
    },
    {
        "uri_template": "odoo://{model}/fields",
        "name": "fields",
        "description": "The field definitions of an Odoo model",
        "parameters": {"model": "Odoo model name"},
        "example": "odoo://res.partner/fields",
    },
    {
        "uri_template": "odoo://{model}/record/{record_id}/{field}",
        "name": "binary_field",
        "description": "A binary or image field of a record (a file, an image)",
        "parameters": {
            "model": "Odoo model name (e.g., res.partner)",
            "record_id": "Record ID (e.g., 10)",
            "field": "Binary or image field name (e.g., image_128)",
        },
        "example": "odoo://res.partner/record/10/image_128",
    },
    {
        "uri_template": "odoo://attachment/{attachment_id}",
        "name": "attachment",
        "description": "The file of an ir.attachment by ID",
        "parameters": {"attachment_id": "ir.attachment record ID (e.g., 42)"},
        "example": "odoo://attachment/42",
    },
)


def list_resource_templates(run):
    readable = [m["model"] for m in run.gateway._mcp_models(run.principal) if m["operations"]["read"]]
    templates = [{k: v for k, v in t.items() if k != "name"} for t in RESOURCE_TEMPLATES]
    return {
        "templates": templates,
        "enabled_models": readable[:10],
        "total_models": len(readable),
        "note": "Resource URIs take no query parameters. Use the tools (search_records, get_record) "
        "to filter, page and choose fields.",
    }


def aggregate_records(
    run, model, groupby=None, aggregates=None, domain=None, order=None, limit=None, offset=0, context=None
):
    from .. import compat

    groupby = [groupby] if isinstance(groupby, str) else (groupby or [])
    aggregates = [aggregates] if isinstance(aggregates, str) else (aggregates or ["__count"])
    domain = as_list(domain, "domain") or []
    limit, offset = page(limit, offset)
    method, args, kwargs = compat.group_call(domain, groupby, aggregates, offset, limit + 1, order)
    rows = run.call(model, method, args, run.kwargs(kwargs, context))
    groups = [compat.group_row(row, groupby, aggregates) for row in rows]
    has_more = len(groups) > limit
    groups = jsonable(groups[:limit])
    return {
        "groups": groups,
        "model": model,
        "groupby": groupby,
        "aggregates": aggregates,
        "has_more": has_more,
        "next_hint": f"aggregate_records(..., offset={offset + limit}, limit={limit})" if has_more else None,
    }


# ----------------------------------------------------------------------
# Writes
# ----------------------------------------------------------------------
def essentials(run, model, ids, context=None):
    rows = run.call(model, "read", [list(ids), ["id", "display_name"]], run.kwargs({}, context))
    return {row["id"]: jsonable(row) for row in rows}


def create_record(run, model, values, context=None):
    created = run.call(model, "create", [[values]], run.kwargs({}, context))
    record_id = created[0] if isinstance(created, list) else created
    record = essentials(run, model, [record_id], context).get(record_id, {"id": record_id})
    return {
        "success": True,
        "record": record,
        "url": record_url(run, model, record_id),
        "message": f"Successfully created {model} record with ID {record_id}",
    }


def create_records(run, model, records, context=None):
    if not records:
        raise ToolError("No records provided")
    if len(records) > MAX_BATCH_RECORDS:
        raise ToolError(f"At most {MAX_BATCH_RECORDS} records per call, got {len(records)}: split the batch.")
    ids = run.call(model, "create", [records], run.kwargs({}, context))
    ids = ids if isinstance(ids, list) else [ids]
    rows = essentials(run, model, ids, context)
    out = [{**rows.get(i, {"id": i}), "url": record_url(run, model, i)} for i in ids]
    return {
        "success": True,
        "created_count": len(out),
        "records": out,
        "message": f"Successfully created {len(out)} {model} record(s)",
    }


def _check_exists(run, model, ids, context):
    found = run.call(model, "search", [[("id", "in", list(ids))]], run.kwargs({}, context))
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ToolError(f"Record(s) not found: {model} with ID(s) {', '.join(map(str, missing))}")


def update_record(run, model, record_id, values, context=None):
    if not values:
        raise ToolError("No values provided")
    _check_exists(run, model, [record_id], context)
    run.call(model, "write", [[record_id], values], run.kwargs({}, context))
    record = essentials(run, model, [record_id], context).get(record_id, {"id": record_id})
    return {
        "success": True,
        "record": record,
        "url": record_url(run, model, record_id),
        "message": f"Successfully updated {model} record with ID {record_id}",
    }


def update_records(run, model, record_ids=None, values=None, updates=None, context=None):
    if updates is not None:
        if record_ids is not None or values is not None:
            raise ToolError("Use either record_ids with values, or updates, not both")
        if not updates:
            raise ToolError("No updates provided")
        pairs = []
        for entry in updates:
            rid, vals = entry.get("id"), entry.get("values")
            if not isinstance(rid, int) or isinstance(rid, bool) or not isinstance(vals, dict) or not vals:
                raise ToolError('Each update must be {"id": <int>, "values": {...}}')
            pairs.append((rid, vals))
    else:
        if record_ids is None or values is None:
            raise ToolError("Provide record_ids with values, or updates")
        if not record_ids or not values:
            raise ToolError("No records or values provided")
        pairs = [(None, values)]
    ids = [rid for rid, _vals in pairs] if updates is not None else list(record_ids)
    if len(ids) > MAX_BATCH_RECORDS:
        raise ToolError(f"At most {MAX_BATCH_RECORDS} records per call, got {len(ids)}: split the batch.")
    _check_exists(run, model, ids, context)
    if updates is not None:
        for rid, vals in pairs:
            run.call(model, "write", [[rid], vals], run.kwargs({}, context))
    else:
        run.call(model, "write", [ids, values], run.kwargs({}, context))
    rows = essentials(run, model, ids, context)
    out = [{**rows.get(i, {"id": i}), "url": record_url(run, model, i)} for i in dict.fromkeys(ids)]
    return {
        "success": True,
        "updated_count": len(out),
        "records": out,
        "message": f"Successfully updated {len(out)} {model} record(s)",
    }


def delete_record(run, model, record_id):
    rows = essentials(run, model, [record_id])
    if record_id not in rows:
        raise ToolError(f"Record not found: {model} with ID {record_id} does not exist.")
    name = rows[record_id].get("display_name") or str(record_id)
    run.call(model, "unlink", [[record_id]])
    return {
        "success": True,
        "deleted_id": record_id,
        "deleted_name": name,
        "message": f"Successfully deleted {model} record '{name}' (ID: {record_id})",
    }


def post_message(
    run,
    model,
    record_id,
    body,
    subtype="note",
    message_type="comment",
    partner_ids=None,
    attachment_ids=None,
    body_is_html=False,
    subject=None,
):
    kwargs = {
        "body": body,
        "body_is_html": body_is_html,
        "message_type": message_type,
        "subtype_xmlid": "mail.mt_note" if subtype == "note" else "mail.mt_comment",
    }
    if partner_ids:
        kwargs["partner_ids"] = partner_ids
    if attachment_ids:
        kwargs["attachment_ids"] = attachment_ids
    if subject:
        kwargs["subject"] = subject
    _check_exists(run, model, [record_id], None)
    message = run.call(model, "message_post", [[record_id]], kwargs)
    message_id = message[0] if isinstance(message, list) else message
    return {"success": True, "message_id": message_id}


# ----------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------
ATTACHMENT_URI_RE = re.compile(r"^odoo://attachment/(\d+)$")
FIELD_URI_RE = re.compile(r"^odoo://([A-Za-z0-9._]+)/record/(\d+)/([A-Za-z0-9_]+)$")


def attachment_file(run, attachment_id):
    """``(metadata, bytes or None, download URL)`` of an attachment the caller may read."""
    rows = run.call(
        "ir.attachment",
        "read",
        [[attachment_id], ["name", "mimetype", "file_size", "type", "url", "datas", "index_content"]],
    )
    if not rows:
        raise ToolError(f"Attachment {attachment_id} not found.")
    row = rows[0]
    data = base64.b64decode(row["datas"]) if row.get("datas") else None
    meta = {
        "uri": f"odoo://attachment/{attachment_id}",
        "name": row.get("name") or None,
        "mimetype": row.get("mimetype") or None,
        "size": row.get("file_size") if row.get("file_size") is not None else (len(data) if data else None),
        "type": row.get("type"),
        "url": row.get("url") or None,
        "index_content": row.get("index_content") or None,
    }
    return meta, data, f"{run.base_url}/web/content/{attachment_id}?download=true"


def field_file(run, model, record_id, name):
    if run.meta(model).get(name, {}).get("type") not in BINARY_TYPES:
        raise ToolError(f"{model}.{name} is not a binary field.")
    rows = run.call(model, "read", [[record_id], [name]])
    if not rows:
        raise ToolError(f"Record not found: {model} with ID {record_id} does not exist.")
    value = rows[0].get(name)
    data = base64.b64decode(value) if value else None
    meta = {
        "uri": binary_uri(model, record_id, name),
        "name": f"{model.replace('.', '_')}_{record_id}_{name}",
        "mimetype": sniff_mimetype(data),
        "size": len(data) if data else 0,
        "type": "binary",
        "url": None,
    }
    return meta, data, f"{run.base_url}/web/content/{model}/{record_id}/{name}?download=true"


def sniff_mimetype(data):
    if not data:
        return None
    for magic, mimetype in (
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF", "application/pdf"),
    ):
        if data.startswith(magic):
            return mimetype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip().startswith(b"<svg") or data.lstrip().startswith(b"<?xml"):
        return "image/svg+xml"
    return "application/octet-stream"


def read_attachment(run, uri=None, attachment_id=None):
    if (uri is None) == (attachment_id is None):
        raise ToolError("Pass exactly one of uri or attachment_id.")
    if uri is not None:
        found = ATTACHMENT_URI_RE.match(uri.strip())
        if found:
            meta, data, download = attachment_file(run, int(found.group(1)))
        else:
            found = FIELD_URI_RE.match(uri.strip())
            if not found:
                raise ToolError(
                    f"Unsupported URI '{uri}': use odoo://attachment/{{id}} or "
                    "odoo://{model}/record/{id}/{field}."
                )
            meta, data, download = field_file(run, found.group(1), int(found.group(2)), found.group(3))
    else:
        meta, data, download = attachment_file(run, attachment_id)
    result = {
        "uri": meta["uri"],
        "name": meta["name"],
        "mimetype": meta["mimetype"],
        "size": meta["size"],
        "kind": "link",
        "text": None,
        "truncated": False,
        "download_url": download,
        "note": None,
    }
    image = None
    mimetype = meta["mimetype"] or ""
    if meta["type"] == "url":
        result.update(kind="url", text=meta["url"] or "")
    elif mimetype.startswith(EXTRACTED_TEXT_MIMETYPES):
        extracted = (meta.get("index_content") or "").strip()
        # without attachment_indexation, Odoo stores the main type ("application") as the index
        if extracted and extracted != mimetype.split("/", 1)[0]:
            result.update(kind="extracted_text", text=extracted[:READ_TEXT_MAX_CHARS])
            if len(extracted) > READ_TEXT_MAX_CHARS:
                result.update(
                    truncated=True,
                    note=f"Cut at {READ_TEXT_MAX_CHARS} of {len(extracted)} characters: the download "
                    "link serves the whole file.",
                )
        else:
            result["note"] = (
                "Odoo extracted no text from this file: it extracts PDF and Office text only with its "
                "attachment_indexation module."
            )
    elif data is None:
        result["note"] = "The file is empty."
    elif mimetype in IMAGE_MIMETYPES:
        if len(data) <= READ_IMAGE_MAX_BYTES:
            result["kind"] = "image"
            image = {"type": "image", "data": base64.b64encode(data).decode(), "mimeType": mimetype}
        else:
            result["note"] = (
                f"The image is over {READ_IMAGE_MAX_BYTES // 1024} KB, the limit for returning it."
            )
    elif is_text(mimetype, data):
        if len(data) > READ_TEXT_MAX_BYTES:
            result["note"] = f"The text file is over {READ_TEXT_MAX_BYTES // (1024 * 1024)} MB, the limit."
        else:
            text = data.decode("utf-8", "replace")
            result.update(kind="text", text=text[:READ_TEXT_MAX_CHARS])
            if len(text) > READ_TEXT_MAX_CHARS:
                result.update(truncated=True, note=f"Cut at {READ_TEXT_MAX_CHARS} of {len(text)} characters.")
    else:
        result["note"] = "This kind of file cannot be returned here: use the download link in Odoo."
    return (result, [image]) if image else result


def is_text(mimetype, data):
    if mimetype.startswith("text/") or mimetype in ("application/json", "application/xml", "image/svg+xml"):
        return True
    if mimetype in ("", "application/octet-stream"):
        try:
            data[:4096].decode("utf-8")
        except UnicodeDecodeError:
            return False
        return b"\x00" not in data[:4096]
    return False


def list_record_attachments(run, model, record_id):
    domain = [("res_model", "=", model), ("res_id", "=", record_id)]
    rows = run.call(
        "ir.attachment",
        "search_read",
        [domain, ["name", "mimetype", "file_size", "type", "create_date"]],
        {"limit": MAX_LISTED_ATTACHMENTS, "order": "create_date desc, id desc"},
    )
    total = run.call("ir.attachment", "search_count", [domain])
    attachments = [
        {
            "id": row["id"],
            "name": row.get("name") or "",
            "mimetype": row.get("mimetype") or None,
            "size": row.get("file_size"),
            "type": row.get("type") or "binary",
            "create_date": jsonable(row.get("create_date")) or None,
            "uri": f"odoo://attachment/{row['id']}",
        }
        for row in rows
    ]
    return {
        "model": model,
        "record_id": record_id,
        "attachments": attachments,
        "total": total,
        "note": f"Showing the {len(attachments)} newest of {total} files."
        if total > len(attachments)
        else None,
    }


def upload_attachment(run, model, record_id, name, data, mimetype=None):
    if not name.strip():
        raise ToolError("name must not be empty")
    if data.startswith("data:"):
        raise ToolError("Send plain base64, without the 'data:...;base64,' prefix.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("data is not valid base64.") from None
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ToolError(f"The file is {len(raw)} bytes, over the {MAX_UPLOAD_BYTES} bytes limit.")
    _check_exists(run, model, [record_id], None)
    values = {"name": name, "datas": base64.b64encode(raw).decode(), "res_model": model, "res_id": record_id}
    if mimetype:
        values["mimetype"] = mimetype
    created = run.call("ir.attachment", "create", [[values]])
    attachment_id = created[0] if isinstance(created, list) else created
    return {
        "success": True,
        "attachment_id": attachment_id,
        "uri": f"odoo://attachment/{attachment_id}",
        "name": name,
        "size": len(raw),
        "message": f"Attached {name} to {model} record {record_id}",
    }


# ----------------------------------------------------------------------
# The tool table
# ----------------------------------------------------------------------
FIELDS_ARG = {
    **nullable(STRINGS),
    "description": "Fields to return: omit (or []) for a smart selection, a list of names, or "
    "['__all__'] for every field.",
}
LIMIT_ARG = {
    **nullable(INTEGER),
    "description": f"Records per page: omit or 0 for {DEFAULT_LIMIT}; at most {MAX_LIMIT}.",
}
OFFSET_ARG = {"type": "integer", "default": 0, "description": "Records to skip."}
ORDER_ARG = {**nullable(STRING), "description": "Sort order, e.g. 'name asc'."}

TOOLS = (
    Tool(
        "search_records",
        "Search Records",
        "Search records of an Odoo model: the main read tool. To read known records, pass "
        '[["id", "in", ids]] as the domain in one call. Binary fields come back as odoo:// URIs '
        "(read them with read_attachment). For counts and totals, use aggregate_records.",
        schema(
            {
                "model": MODEL,
                "domain": DOMAIN,
                "fields": FIELDS_ARG,
                "limit": LIMIT_ARG,
                "offset": OFFSET_ARG,
                "order": ORDER_ARG,
                "context": CONTEXT,
            },
            ["model"],
        ),
        result_schema(
            {
                "records": ANY_OBJECTS,
                "total": INTEGER,
                "limit": INTEGER,
                "offset": INTEGER,
                "model": STRING,
                "note": N_STRING,
                "skipped_fields": N_STRINGS,
            },
            ("records", "total", "limit", "offset", "model"),
        ),
        annotations(True, idempotent=True),
        "read",
        search_records,
    ),
    Tool(
        "get_record",
        "Get Record",
        "Get one record by ID. Without 'fields', a smart selection of the most useful fields; "
        "['__all__'] for every field. To read several records, use search_records.",
        schema(
            {"model": MODEL, "record_id": RECORD_ID, "fields": FIELDS_ARG, "context": CONTEXT},
            ["model", "record_id"],
        ),
        result_schema(
            {
                "record": ANY_OBJECT,
                "metadata": {"type": ["object", "null"]},
                "related_summaries": {"type": ["object", "null"]},
                "skipped_fields": N_STRINGS,
            },
            ("record",),
        ),
        annotations(True, idempotent=True, open_world=False),
        "read",
        get_record,
    ),
    Tool(
        "get_fields",
        "Get Fields",
        "Describe the fields of a model (type, label, required, readonly, relation, selection). "
        f"Without field_names: the {MAX_SCHEMA_FIELDS} most relevant value fields and every "
        "relation, file and HTML field; ['__all__'] for all. An explicit 'attributes' list replaces "
        "the default set.",
        schema(
            {
                "model": MODEL,
                "field_names": {**nullable(STRINGS), "description": "Fields to describe, or ['__all__']."},
                "attributes": {**nullable(STRINGS), "description": "Field attributes to return."},
            },
            ["model"],
        ),
        result_schema(
            {
                "model": STRING,
                "fields": ANY_OBJECTS,
                "total": INTEGER,
                "omitted": N_INTEGER,
                "note": N_STRING,
            },
            ("model", "fields", "total"),
        ),
        annotations(True, idempotent=True, open_world=False),
        "read",
        get_fields,
    ),
    Tool(
        "get_current_context",
        "Get Current Context",
        "The connected user, their timezone, the active company and the other allowed companies, "
        "with how to handle datetimes.",
        schema({}),
        result_schema(
            {
                "user_name": N_STRING,
                "login": N_STRING,
                "timezone": N_STRING,
                "company_id": N_INTEGER,
                "company_name": N_STRING,
                "allowed_companies": {"type": ["array", "null"], "items": ANY_OBJECT},
                "text": STRING,
            },
            ("text",),
        ),
        annotations(True, idempotent=True, open_world=False),
        "read",
        get_current_context,
    ),
    Tool(
        "list_models",
        "List Models",
        "List the models enabled for MCP with the operations allowed on each (read, write, create, unlink).",
        schema({}),
        result_schema(
            {
                "models": ANY_OBJECTS,
                "total": N_INTEGER,
                "total_available": N_INTEGER,
                "note": N_STRING,
            },
            ("models",),
        ),
        annotations(True, idempotent=True, open_world=False),
        "read",
        list_models,
    ),
    Tool(
        "list_resource_templates",
        "List Resource Templates",
        "List the odoo:// resource URI templates, with examples and models to use them with.",
        schema({}),
        result_schema(
            {
                "templates": ANY_OBJECTS,
                "enabled_models": STRINGS,
                "total_models": N_INTEGER,
                "note": STRING,
            },
            ("templates", "enabled_models", "total_models", "note"),
        ),
        annotations(True, idempotent=True, open_world=False),
        "read",
        list_resource_templates,
    ),
    Tool(
        "create_record",
        "Create Record",
        "Create a record.",
        schema(
            {"model": MODEL, "values": {**OBJECT, "description": "Field values."}, "context": CONTEXT},
            ["model", "values"],
        ),
        WRITE_OUT,
        annotations(False),
        "create",
        create_record,
    ),
    Tool(
        "create_records",
        "Create Records (Bulk)",
        f"Create several records of one model in one transaction (all or none), at most {MAX_BATCH_RECORDS}.",
        schema(
            {
                "model": MODEL,
                "records": {"type": "array", "items": OBJECT, "description": "Values of each record."},
                "context": CONTEXT,
            },
            ["model", "records"],
        ),
        result_schema(
            {
                "success": {"type": "boolean"},
                "created_count": INTEGER,
                "records": ANY_OBJECTS,
                "message": STRING,
            },
            ("success", "created_count", "records", "message"),
        ),
        annotations(False),
        "create",
        create_records,
    ),
    Tool(
        "update_record",
        "Update Record",
        "Update a record.",
        schema(
            {
                "model": MODEL,
                "record_id": RECORD_ID,
                "values": {**OBJECT, "description": "Field values to change."},
                "context": CONTEXT,
            },
            ["model", "record_id", "values"],
        ),
        WRITE_OUT,
        annotations(False, idempotent=True),
        "write",
        update_record,
    ),
    Tool(
        "update_records",
        "Update Records (Bulk)",
        "Update several records in one transaction: the same values on record_ids, or per-record "
        f'values in updates ([{{"id": 7, "values": {{...}}}}]), at most {MAX_BATCH_RECORDS}.',
        schema(
            {
                "model": MODEL,
                "record_ids": nullable({"type": "array", "items": INTEGER}),
                "values": nullable(OBJECT),
                "updates": nullable({"type": "array", "items": OBJECT}),
                "context": CONTEXT,
            },
            ["model"],
        ),
        result_schema(
            {
                "success": {"type": "boolean"},
                "updated_count": INTEGER,
                "records": ANY_OBJECTS,
                "message": STRING,
            },
            ("success", "updated_count", "records", "message"),
        ),
        annotations(False, idempotent=True),
        "write",
        update_records,
    ),
    Tool(
        "delete_record",
        "Delete Record",
        "Delete a record.",
        schema({"model": MODEL, "record_id": RECORD_ID}, ["model", "record_id"]),
        result_schema(
            {
                "success": {"type": "boolean"},
                "deleted_id": INTEGER,
                "deleted_name": STRING,
                "message": STRING,
            },
            ("success", "deleted_id", "deleted_name", "message"),
        ),
        annotations(False, destructive=True, open_world=False),
        "unlink",
        delete_record,
    ),
    Tool(
        "post_message",
        "Post Message",
        "Post a message in a record's chatter: subtype 'note' (internal, the default) or 'comment' "
        "(notifies followers). The body is plain text unless body_is_html is true.",
        schema(
            {
                "model": MODEL,
                "record_id": RECORD_ID,
                "body": STRING,
                "subtype": {"type": "string", "enum": ["note", "comment"], "default": "note"},
                "message_type": {"type": "string", "enum": ["comment", "notification"], "default": "comment"},
                "partner_ids": nullable({"type": "array", "items": INTEGER}),
                "attachment_ids": nullable({"type": "array", "items": INTEGER}),
                "body_is_html": {"type": "boolean", "default": False},
                "subject": nullable(STRING),
            },
            ["model", "record_id", "body"],
        ),
        result_schema({"success": {"type": "boolean"}, "message_id": INTEGER}, ("success", "message_id")),
        annotations(False),
        "message",
        post_message,
    ),
    Tool(
        "read_attachment",
        "Read Attachment",
        "Read a file: pass exactly one of uri (odoo://attachment/{id} or "
        "odoo://{model}/record/{id}/{field}) or attachment_id. Text files up to 1 MB come back as "
        "text (cut at 100,000 characters), PNG/JPEG/GIF/WebP images up to 256 KB as an image, "
        "anything else as a download link.",
        schema(
            {
                "uri": nullable(STRING),
                "attachment_id": nullable(INTEGER),
            }
        ),
        result_schema(
            {
                "uri": STRING,
                "name": N_STRING,
                "mimetype": N_STRING,
                "size": N_INTEGER,
                "kind": STRING,
                "text": N_STRING,
                "truncated": {"type": "boolean"},
                "download_url": STRING,
                "note": N_STRING,
            },
            ("uri", "kind", "download_url"),
        ),
        annotations(True, idempotent=True),
        "read",
        read_attachment,
    ),
    Tool(
        "list_record_attachments",
        "List Record Attachments",
        "List the files attached to a record, newest first, each with its odoo://attachment/{id} URI.",
        schema({"model": MODEL, "record_id": RECORD_ID}, ["model", "record_id"]),
        result_schema(
            {
                "model": STRING,
                "record_id": INTEGER,
                "attachments": ANY_OBJECTS,
                "total": INTEGER,
                "note": N_STRING,
            },
            ("model", "record_id", "attachments", "total"),
        ),
        annotations(True, idempotent=True),
        "read",
        list_record_attachments,
    ),
    Tool(
        "upload_attachment",
        "Upload Attachment",
        "Attach a file to a record. data is plain base64 (no 'data:' prefix), at most about 2.9 MB "
        "decoded. Pass the returned attachment_id to post_message to show it in the chatter.",
        schema(
            {
                "model": MODEL,
                "record_id": RECORD_ID,
                "name": {**STRING, "description": "File name, e.g. 'contract.pdf'."},
                "data": {**STRING, "description": "File content, base64."},
                "mimetype": nullable(STRING),
            },
            ["model", "record_id", "name", "data"],
        ),
        result_schema(
            {
                "success": {"type": "boolean"},
                "attachment_id": INTEGER,
                "uri": STRING,
                "name": STRING,
                "size": INTEGER,
                "message": STRING,
            },
            ("success", "attachment_id", "uri", "name", "size", "message"),
        ),
        annotations(False),
        "upload",
        upload_attachment,
    ),
    Tool(
        "aggregate_records",
        "Aggregate Records",
        "Totals, counts and groupings computed by Odoo. groupby: field names, with a granularity "
        "for dates ('date_order:month'); omit for one overall row. aggregates: 'field:operator' "
        "(sum, avg, min, max, count_distinct...), default ['__count']. To list a group's records, "
        "AND its __extra_domain with your domain.",
        schema(
            {
                "model": MODEL,
                "groupby": nullable(STRINGS),
                "aggregates": nullable(STRINGS),
                "domain": DOMAIN,
                "order": ORDER_ARG,
                "limit": {**nullable(INTEGER), "description": f"Groups per page (default {DEFAULT_LIMIT})."},
                "offset": {"type": "integer", "default": 0},
                "context": CONTEXT,
            },
            ["model"],
        ),
        result_schema(
            {
                "groups": ANY_OBJECTS,
                "model": STRING,
                "groupby": STRINGS,
                "aggregates": STRINGS,
                "has_more": {"type": "boolean"},
                "next_hint": N_STRING,
            },
            ("groups", "model", "groupby", "aggregates"),
        ),
        annotations(True, idempotent=True),
        "read",
        aggregate_records,
    ),
)
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}


# ----------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------
def check_value(value, spec, path):
    """``value`` against the small JSON-schema subset the tools use; ``ValueError`` naming ``path``."""
    if "anyOf" in spec:
        errors = []
        for option in spec["anyOf"]:
            try:
                return check_value(value, option, path)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0])
    kind = spec.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_is(value, k) for k in kinds):
        raise ValueError(f"'{path}' must be {' or '.join(kinds)}, got {_type_name(value)}")
    if "enum" in spec and value not in spec["enum"]:
        raise ValueError(f"'{path}' must be one of {', '.join(map(repr, spec['enum']))}")
    if isinstance(value, list) and "items" in spec:
        for i, item in enumerate(value):
            check_value(item, spec["items"], f"{path}[{i}]")
    if isinstance(value, dict) and "properties" in spec:
        check_object(value, spec, path)
    return value


def check_object(value, spec, path):
    properties = spec.get("properties", {})
    if spec.get("additionalProperties") is False:
        extra = sorted(set(value) - set(properties))
        if extra:
            raise ValueError(f"'{path}' takes no '{extra[0]}'")
    for name, sub in properties.items():
        if name in value:
            check_value(value[name], sub, f"{path}.{name}" if path else name)


def _is(value, kind):
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _type_name(value):
    return {
        type(None): "null",
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


#: Arguments that may arrive JSON-encoded as strings, as the client accepts them.
JSON_STRING_ARGS = (
    "domain",
    "fields",
    "field_names",
    "attributes",
    "groupby",
    "aggregates",
    "values",
    "records",
)


def bind_arguments(tool, arguments):
    """The keyword arguments of ``tool.run``: checked against the input schema, defaults filled,
    integral floats made integers. ``ValueError`` names the first problem."""
    spec = tool.input_schema
    properties = spec["properties"]
    unknown = sorted(set(arguments) - set(properties))
    if unknown:
        raise ValueError(f"Invalid arguments for {tool.name}: unknown argument '{unknown[0]}'")
    missing = [name for name in spec.get("required", ()) if arguments.get(name) is None]
    if missing:
        raise ValueError(f"Invalid arguments for {tool.name}: missing required argument '{missing[0]}'")
    bound = {}
    for name, sub in properties.items():
        value = arguments.get(name, sub.get("default"))
        if isinstance(value, str) and name in JSON_STRING_ARGS and sub.get("type") != "string":
            try:
                value = as_list(value, name) if name not in ("values",) else _json_object(value, name)
            except ToolError as exc:
                raise ValueError(f"Invalid arguments for {tool.name}: {exc}") from None
        if name in ("groupby", "aggregates") and isinstance(value, str):
            value = [value]
        try:
            check_value(value, sub, name)
        except ValueError as exc:
            raise ValueError(f"Invalid arguments for {tool.name}: {exc}") from None
        bound[name] = _integral(value, sub)
    return bound


def _json_object(value, name):
    from ..controllers.mcp import loads

    try:
        return loads(value)
    except (ValueError, RecursionError):
        raise ToolError(f"Invalid {name}: expected a JSON object.") from None


def _integral(value, spec):
    """An integral float (``7.0``, as some JSON encoders send ids) where the schema asks for an
    integer, or a list of integers, made an ``int``."""
    options = spec.get("anyOf", [spec])
    if isinstance(value, float) and value.is_integer() and any(o.get("type") == "integer" for o in options):
        return int(value)
    if isinstance(value, list) and any(o.get("items", {}).get("type") == "integer" for o in options):
        return [int(v) if isinstance(v, float) and v.is_integer() else v for v in value]
    return value
