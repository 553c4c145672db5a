"""The reach rule: every model and field an ``execute_kw``-style call can read or change.

The gate names one model and one method; a call reaches further: a dotted domain path reads the
models it passes through, an x2many command creates, changes or deletes records of the related
model, a related field writes the record it points to, an attachment belongs to another record.
:func:`analyse` walks the call's arguments against the registry's field metadata and checks each
model and field it reaches against the caller's rights, before anything runs.

This module is plain Python with no Odoo import: it sees Odoo only through a *world* object
(``McpWorld`` in ``mcp_gateway``, a fake in the wheel's property tests), so the rule can be tested
over generated model graphs. The world provides:

- ``field(model, name)``: an object with ``type``, ``comodel_name``, ``related`` (a dotted path or
  ``None``), ``inherited`` (from an ``_inherits`` parent) and ``copy``, or ``None``;
- ``fields(model)``: every field name; ``inherits(model)``: ``{parent_model: delegate_field}``;
- ``rec_names(model)``: the paths a name search on the model compares (``_rec_names_search``) or
  ``None`` when it compares the display name only;
- ``rights(model)``: the caller's ``(read, write, create, unlink)`` or ``None`` (not enabled);
- ``denied(model)``: ``(fields never read, fields never written)``;
- ``owners(model, ids)``: for a document model, the models its records belong to;
- ``ir_model_name(id)``: the model named by an ``ir.model`` id;
- ``companies()``: the ids of the caller's companies.

The outcome is a :class:`Plan`: the operation, the arguments as they will run (context trimmed,
denied fields left out of reads, document reads filtered to readable owners) and a filter for the
result of ``fields_get``. A refusal is a :class:`Refusal` (status, message).
"""

RELATIONAL = frozenset(("many2one", "one2many", "many2many"))
X2MANY = frozenset(("one2many", "many2many"))
OPERATIONS = ("read", "write", "create", "unlink")
#: The context keys that reach Odoo; every other key is dropped.
CONTEXT_KEYS = ("lang", "tz", "active_test", "allowed_company_ids")
#: Records that belong to another record, and the path of the owning model's name.
DOCUMENT_MODELS = {
    "ir.attachment": "res_model",
    "mail.message": "model",
    "mail.followers": "res_model",
    "mail.activity": "res_model",
    "mail.tracking.value": "mail_message_id.model",
    "mail.notification": "mail_message_id.model",
}
#: The arguments ``message_post`` takes from an MCP client; others (author, email routing...) are refused.
MESSAGE_POST_KWARGS = frozenset(
    (
        "body",
        "body_is_html",
        "subject",
        "message_type",
        "subtype_xmlid",
        "subtype_id",
        "partner_ids",
        "attachment_ids",
        "attachments",
        "parent_id",
    )
)
LIKE_OPERATORS = frozenset(
    ("like", "ilike", "=like", "=ilike", "not like", "not ilike", "not =like", "not =ilike")
)
HIERARCHY_OPERATORS = frozenset(("child_of", "parent_of"))
ANY_OPERATORS = frozenset(("any", "not any"))
UNCHECKED_ANY_OPERATORS = frozenset(("any!", "not any!"))
DOMAIN_OPERATORS = frozenset(("&", "|", "!"))
#: Deepest nesting of commands, sub-domains and read specifications that is analysed.
MAX_DEPTH = 16

# Roles of a method's parameters.
DOMAIN, FIELDS, AGGREGATES, GROUPBY, HAVING, ORDER, EXPORT = range(7)
VALS, VALS_LIST, DEFAULT, SPEC, WRITE_LIST, SEARCH_NAME, CREATE_NAME, NONE_ONLY, INERT = range(7, 16)

#: method -> (takes ids first, ((parameter names, role), ...) in positional order, keyword-only).
#: A parameter has several names where Odoo's series name it differently (``args``/``domain``).
SIGNATURES = {
    "read": (True, ((("fields",), FIELDS), (("load",), INERT)), ()),
    "search": (
        False,
        (
            (("domain", "args"), DOMAIN),
            (("offset",), INERT),
            (("limit",), INERT),
            (("order",), ORDER),
        ),
        (),
    ),
    "search_read": (
        False,
        (
            (("domain",), DOMAIN),
            (("fields",), FIELDS),
            (("offset",), INERT),
            (("limit",), INERT),
            (("order",), ORDER),
        ),
        ((("load",), INERT),),
    ),
    "search_count": (False, ((("domain", "args"), DOMAIN), (("limit",), INERT)), ()),
    "name_search": (
        False,
        (
            (("name",), SEARCH_NAME),
            (("domain", "args"), DOMAIN),
            (("operator",), INERT),
            (("limit",), INERT),
        ),
        (),
    ),
    "fields_get": (False, ((("allfields",), INERT), (("attributes",), INERT)), ()),
    "default_get": (False, ((("fields", "fields_list"), FIELDS),), ()),
    "get_metadata": (True, (), ()),
    "read_group": (
        False,
        (
            (("domain",), DOMAIN),
            (("fields",), AGGREGATES),
            (("groupby",), GROUPBY),
            (("offset",), INERT),
            (("limit",), INERT),
            (("orderby",), ORDER),
            (("lazy",), INERT),
        ),
        (),
    ),
    "formatted_read_group": (
        False,
        (
            (("domain",), DOMAIN),
            (("groupby",), GROUPBY),
            (("aggregates",), AGGREGATES),
            (("having",), HAVING),
            (("offset",), INERT),
            (("limit",), INERT),
            (("order",), ORDER),
        ),
        (),
    ),
    "export_data": (True, ((("fields_to_export",), EXPORT),), ()),
    "get_formview_id": (True, ((("access_uid",), NONE_ONLY),), ()),
    "get_formview_action": (True, ((("access_uid",), NONE_ONLY),), ()),
    "create": (False, ((("vals_list",), VALS_LIST),), ()),
    "copy": (True, ((("default",), DEFAULT),), ()),
    "name_create": (False, ((("name",), CREATE_NAME),), ()),
    "write": (True, ((("vals",), VALS),), ()),
    "toggle_active": (True, (), ()),
    "action_archive": (True, (), ()),
    "action_unarchive": (True, (), ()),
    "message_post": (True, (), ()),  # keyword-only: see MESSAGE_POST_KWARGS
    "web_save_multi": (True, ((("vals_list",), WRITE_LIST), (("specification",), SPEC)), ()),
    "unlink": (True, (), ()),
}


class Refusal(Exception):
    """A call the rule does not let through: ``status`` 403 (a right is missing) or 400 (the
    arguments cannot be analysed)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def denied_model(model, operation, via=None):
    where = f" (reached through {via})" if via else ""
    return Refusal(403, f"Access denied by MCP for model '{model}' operation '{operation}'{where}.")


def denied_field(model, field, operation):
    return Refusal(
        403, f"Access denied by MCP for field '{field}' of model '{model}' operation '{operation}'."
    )


def malformed(what):
    return Refusal(400, f"Invalid arguments for MCP: {what}.")


class Plan:
    """What the call may run as: its operation and its (possibly rewritten) arguments."""

    __slots__ = ("args", "document_filter", "fields_marks", "kwargs", "operation")

    def __init__(self, operation, args, kwargs):
        self.operation = operation
        self.args = args
        self.kwargs = kwargs
        #: ``(path, readable models)`` for record methods on a document model: the ids are filtered
        #: by it before the call runs.
        self.document_filter = None
        #: ``{field: ["read", "write"]}``: the field rules ``fields_get``'s answer is marked with.
        self.fields_marks = None

    def mark_fields(self, description):
        """``fields_get``'s answer with each field under a rule marked (``mcp_denied``) and a field
        that may not be written made read-only."""
        if not self.fields_marks or not isinstance(description, dict):
            return description
        for name, marks in self.fields_marks.items():
            attrs = description.get(name)
            if isinstance(attrs, dict):
                attrs["mcp_denied"] = list(marks)
                if "write" in marks and "readonly" in attrs:
                    attrs["readonly"] = True
        return description


class Reach:
    """One call's analysis: rights are looked up once per model."""

    def __init__(self, world):
        self.world = world
        self._rights = {}

    # -- rights ---------------------------------------------------------------------------
    def rights(self, model):
        rights = self._rights.get(model, False)
        if rights is False:
            rights = self._rights[model] = self.world.rights(model)
        return rights

    def need(self, model, operation, via=None):
        rights = self.rights(model)
        if rights is None or not rights[OPERATIONS.index(operation)]:
            raise denied_model(model, operation, via)

    def readable(self, model, name):
        if name in self.world.denied(model)[0]:
            raise denied_field(model, name, "read")

    def writable(self, model, name):
        if name in self.world.denied(model)[1]:
            raise denied_field(model, name, "write")

    # -- paths ----------------------------------------------------------------------------
    def path(self, model, path):
        """Read along ``path`` (``a.b.c``) from ``model``; returns ``(model, field)`` of its last
        segment (``field`` is ``None`` past a non-relational or unknown segment)."""
        if not isinstance(path, str) or not path:
            raise malformed(f"field path {path!r} on '{model}'")
        segments = path.split(".")
        field = None
        for i, name in enumerate(segments):
            field = self.world.field(model, name)
            if field is None:
                return model, None  # Odoo refuses an unknown field itself
            self.readable(model, name)
            if i == len(segments) - 1:
                break
            if field.type not in RELATIONAL:
                return model, None  # a property or a granularity: nothing further to reach
            via = f"'{name}' of '{model}'"
            model = field.comodel_name
            self.need(model, "read", via)
        return model, field

    def name_condition(self, model):
        """A name search on ``model`` compares its ``_rec_names_search`` paths."""
        for path in self.world.rec_names(model) or ():
            self.path(model, path)

    # -- domains --------------------------------------------------------------------------
    def domain(self, model, domain, depth=0):
        if domain is None or domain is False:
            return
        if depth > MAX_DEPTH:
            raise malformed("domain nested too deeply")
        if not isinstance(domain, (list, tuple)):
            raise malformed(f"domain on '{model}' must be a list")
        for item in domain:
            if isinstance(item, str):
                if item not in DOMAIN_OPERATORS:
                    raise malformed(f"domain operator {item!r}")
                continue
            if isinstance(item, bool):
                continue
            if not isinstance(item, (list, tuple)) or len(item) != 3:
                raise malformed(f"domain condition {item!r}")
            self.condition(model, *item, depth=depth)

    def condition(self, model, left, operator, value, depth):
        if left in (0, 1) and not isinstance(left, str):  # TRUE_LEAF / FALSE_LEAF
            return
        if not isinstance(operator, str):
            raise malformed(f"domain operator {operator!r}")
        operator = operator.lower()
        if operator in UNCHECKED_ANY_OPERATORS:
            raise Refusal(403, f"Access denied by MCP: the operator '{operator}' skips access rules.")
        last_model, field = self.path(model, left)
        if field is None:
            if isinstance(left, str) and left.rsplit(".", 1)[-1] == "display_name":
                self.name_condition(last_model)
            return
        if field.type not in RELATIONAL:
            if left.rsplit(".", 1)[-1] == "display_name":
                self.name_condition(last_model)
            return
        comodel = field.comodel_name
        via = f"'{left}' of '{model}'"
        if operator in ANY_OPERATORS:
            self.need(comodel, "read", via)
            self.domain(comodel, value, depth + 1)
        elif operator in HIERARCHY_OPERATORS:
            self.need(comodel, "read", via)
        elif operator in LIKE_OPERATORS or _has_name(value):
            # A name search on the related model; a many2one whose model compares only its
            # display name stays part of the record that holds it.
            if field.type in X2MANY or self.world.rec_names(comodel):
                self.need(comodel, "read", via)
                self.name_condition(comodel)

    # -- groupby, aggregates, order, exports ------------------------------------------------
    def spec_paths(self, model, specs, strip):
        if specs is None or specs is False:
            return
        if isinstance(specs, str):
            specs = [specs]
        if not isinstance(specs, (list, tuple)):
            raise malformed(f"field list on '{model}' must be a list")
        for spec in specs:
            if not isinstance(spec, str):
                raise malformed(f"field specification {spec!r}")
            path = strip(spec)
            if path and path != "__count":
                self.path(model, path)

    def order(self, model, order):
        if order is None or order is False or order == "":
            return
        if not isinstance(order, str):
            raise malformed("order must be a string")
        for term in order.split(","):
            words = term.split()
            if words:
                self.path(model, words[0].split(":", 1)[0])

    def export(self, model, paths):
        if not isinstance(paths, (list, tuple)):
            raise malformed("fields_to_export must be a list")
        for path in paths:
            if not isinstance(path, str):
                raise malformed(f"export path {path!r}")
            segments = [s for s in path.replace("/", ".").split(".") if s]
            if segments and segments[-1] == "id":
                segments.pop()  # an external or database id of the record reached so far
            if segments:
                self.path(model, ".".join(segments))

    def having(self, model, domain):
        if not domain:
            return
        if not isinstance(domain, (list, tuple)):
            raise malformed("having must be a list")
        for item in domain:
            if isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str):
                path = _aggregate_field(item[0])
                if path != "__count":
                    self.path(model, path)
            elif not isinstance(item, str):
                raise malformed(f"having condition {item!r}")

    # -- reads ----------------------------------------------------------------------------
    def read_fields(self, model, fields):
        """The field list a read runs with: denied fields left out (all others when none asked)."""
        no_read = self.world.denied(model)[0]
        if fields is None or fields is False or fields == []:
            if not no_read:
                return fields
            # the fields the user may read (group-restricted ones and unreadable relations left out)
            return [name for name in self.world.readable_fields(model) if name not in no_read]
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, (list, tuple)):
            raise malformed(f"field list on '{model}' must be a list")
        kept = []
        for name in fields:
            if not isinstance(name, str):
                raise malformed(f"field name {name!r}")
            if name in no_read:
                continue
            if "." in name:
                self.path(model, name)
            kept.append(name)
        # an empty list would read every field: a request for denied fields only reads the ids
        return kept or ["id"]

    def specification(self, model, spec, depth=0):
        """A ``web_read`` specification with denied fields left out; nested reads need read."""
        if depth > MAX_DEPTH:
            raise malformed("specification nested too deeply")
        if not isinstance(spec, dict):
            raise malformed(f"specification on '{model}' must be a dict")
        no_read = self.world.denied(model)[0]
        kept = {}
        for name, sub in spec.items():
            if not isinstance(name, str) or (sub is not None and not isinstance(sub, dict)):
                raise malformed(f"specification entry {name!r}")
            if name in no_read:
                continue
            entry = dict(sub or {})
            field = self.world.field(model, name)
            if "context" in entry:
                entry["context"] = trim_context(entry["context"])
            nested = entry.get("fields")
            if field is not None and field.type in RELATIONAL and nested:
                comodel = field.comodel_name
                if field.type in X2MANY or set(nested) - {"id", "display_name"}:
                    self.need(comodel, "read", f"'{name}' of '{model}'")
                entry["fields"] = self.specification(comodel, nested, depth + 1)
                self.order(comodel, entry.get("order"))
            kept[name] = entry
        return kept

    # -- writes ---------------------------------------------------------------------------
    def values(self, model, vals, creating, depth=0):
        """``vals`` written to (or created on) ``model``: every model they change needs its right."""
        if depth > MAX_DEPTH:
            raise malformed("values nested too deeply")
        if not isinstance(vals, dict):
            raise malformed(f"values for '{model}' must be a dict")
        if creating:
            inherits = self.world.inherits(model)
            for parent, delegate in inherits.items():
                if not vals.get(delegate):
                    self.need(parent, "create", f"the '{delegate}' parent of '{model}'")
        for name, value in vals.items():
            if not isinstance(name, str):
                raise malformed(f"field name {name!r}")
            field = self.world.field(model, name)
            if field is None:
                continue  # Odoo refuses an unknown field itself
            self.writable(model, name)
            target, target_field = model, field
            if field.related:
                target, target_field = self.related_target(model, field, creating)
            if target_field.type in X2MANY:
                self.commands(target, target_field, value, depth)

    def related_target(self, model, field, creating):
        """A related (or ``_inherits``) field writes the record it points to."""
        segments = field.related.split(".") if isinstance(field.related, str) else list(field.related)
        current = model
        via = f"'{field.name}' of '{model}'"
        target_field = field
        for i, name in enumerate(segments):
            hop = self.world.field(current, name)
            if hop is None:
                return current, field
            if i == len(segments) - 1:
                target_field = hop
                break
            if hop.type not in RELATIONAL:
                return current, field
            current = hop.comodel_name
            if i < len(segments) - 2:
                self.need(current, "read", via)
        operation = "create" if creating and field.inherited else "write"
        self.need(current, operation, via)
        self.writable(current, segments[-1])
        return current, target_field

    def commands(self, model, field, value, depth):
        comodel = field.comodel_name
        one2many = field.type == "one2many"
        via = f"'{field.name}' of '{model}'"
        if value is None or value is False:
            commands = [(5,)]
        elif isinstance(value, (list, tuple)):
            commands = value
        else:
            raise malformed(f"value of x2many field {via}")
        for command in commands:
            if isinstance(command, int) and not isinstance(command, bool):
                code, rest = 6, ()  # a plain list of ids: SET
            elif isinstance(command, (list, tuple)) and command and isinstance(command[0], int):
                code, rest = command[0], command[1:]
            else:
                raise malformed(f"x2many command {command!r} on {via}")
            if code == 0:
                self.need(comodel, "create", via)
                vals = rest[1] if len(rest) > 1 else {}
                self.document_owner_from_values(comodel, vals)
                self.values(comodel, vals, True, depth + 1)
            elif code == 1:
                if len(rest) < 2:
                    raise malformed(f"x2many UPDATE command on {via}")
                self.need(comodel, "write", via)
                self.document_owner_of(comodel, [rest[0]], "write")
                self.document_owner_from_values(comodel, rest[1])
                self.values(comodel, rest[1], False, depth + 1)
            elif code == 2:
                self.need(comodel, "unlink", via)
                self.document_owner_of(comodel, rest[:1], "write")
            elif code in (3, 5, 6):
                if one2many:
                    self.need(comodel, "write", via)
                    self.need(comodel, "unlink", via)
            elif code == 4:
                if one2many:
                    self.need(comodel, "write", via)
            else:
                raise malformed(f"x2many command {command!r} on {via}")

    def copy_children(self, model, seen):
        """``copy`` duplicates the one2many lines whose field is copied."""
        if model in seen:
            return
        seen.add(model)
        for parent in self.world.inherits(model):
            self.need(parent, "create", f"the parent of '{model}'")
        for name in self.world.fields(model):
            field = self.world.field(model, name)
            if field is not None and field.type == "one2many" and field.copy:
                self.need(field.comodel_name, "create", f"'{name}' of '{model}' (copied)")
                self.copy_children(field.comodel_name, seen)

    # -- documents ------------------------------------------------------------------------
    def document_owner_of(self, model, ids, operation):
        """Changing records of a document model needs ``operation`` on the models they belong to."""
        if model not in DOCUMENT_MODELS:
            return
        ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        if not ids:
            return
        for owner in sorted(self.world.owners(model, ids)):
            self.need(owner, operation, f"a '{model}' record of '{owner}'")

    def document_owner_from_values(self, model, vals):
        """A document created or moved by ``vals`` needs write on the model they name (one created
        through a parent's x2many without a model of its own belongs to that parent, which the
        command already writes)."""
        if model not in DOCUMENT_MODELS or not isinstance(vals, dict):
            return
        owner = None
        path = DOCUMENT_MODELS[model]
        if path in vals:
            owner = vals[path]
        elif vals.get("res_model_id"):
            owner = self.world.ir_model_name(vals["res_model_id"])
        elif vals.get("mail_message_id"):
            owners = self.world.owners("mail.message", [vals["mail_message_id"]])
            owner = next(iter(owners))
        if owner:
            if not isinstance(owner, str):
                raise malformed(f"owner of a '{model}' record")
            self.need(owner, "write", f"a '{model}' record of '{owner}'")

    def document_read_models(self):
        """The models whose documents the caller may read."""
        return sorted(m for m in self.world.enabled_models() if (self.rights(m) or (False,))[0])


def trim_context(context):
    """Only the context keys of :data:`CONTEXT_KEYS` reach Odoo."""
    if context is None or context is False:
        return {}
    if not isinstance(context, dict):
        raise malformed("context must be a dict")
    return {k: context[k] for k in CONTEXT_KEYS if k in context}


def check_context(context, world):
    """The trimmed context, with its values checked: a company outside the user's is refused."""
    context = trim_context(context)
    for key in ("lang", "tz"):
        if key in context and context[key] is not False and not isinstance(context[key], str):
            raise malformed(f"context key '{key}' must be a string")
    if "active_test" in context and not isinstance(context["active_test"], bool):
        raise malformed("context key 'active_test' must be true or false")
    if "allowed_company_ids" in context:
        companies = context["allowed_company_ids"]
        if not isinstance(companies, (list, tuple)) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in companies
        ):
            raise malformed("context key 'allowed_company_ids' must be a list of company ids")
        foreign = sorted(set(companies) - set(world.companies()))
        if foreign:
            raise Refusal(
                403,
                "Access denied by MCP: allowed_company_ids names companies the user does not "
                f"belong to ({', '.join(map(str, foreign))}).",
            )
        context["allowed_company_ids"] = list(companies)
    return context


def _has_name(value):
    if isinstance(value, str):
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value)


def _aggregate_field(spec):
    """``amount:sum`` -> ``amount``; ``total:sum(amount)`` -> ``amount``; ``date:month`` -> ``date``."""
    if "(" in spec and spec.endswith(")"):
        return spec[spec.index("(") + 1 : -1].strip()
    return spec.split(":", 1)[0].strip()


def _set_missing_domain(bound, method, domain):
    """Give a call that named no domain the one it must run with, in the domain's own position
    (record methods are never here: only ``@api.model`` ones take a domain). A method without a
    domain (``fields_get``, ``default_get``) returns no rows and is left as it is."""
    positional = SIGNATURES[method][1]
    index = next((i for i, (_names, role) in enumerate(positional) if role == DOMAIN), None)
    if index is None:
        return
    while len(bound.args) < index:  # only name_search has a parameter (its name) before the domain
        names = positional[len(bound.args)][0]
        bound.args.append(bound.kwargs.pop(names[0], ""))
    bound.args.append(domain)


class _Arguments:
    """A call's arguments bound to the method's parameters, rewritten in place."""

    def __init__(self, method, args, kwargs):
        takes_ids, positional, keyword_only = SIGNATURES[method]
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.offset = 1 if takes_ids else 0
        if takes_ids and not self.args:
            raise malformed(f"{method} takes the record ids first")
        if len(self.args) - self.offset > len(positional):
            raise malformed(f"too many arguments for {method}")
        self.slots = []  # (role, index or None, keyword or None)
        known = set()
        for i, (names, role) in enumerate(positional):
            known.update(names)
            index = self.offset + i
            given = [n for n in names if n in self.kwargs]
            if index < len(self.args):
                if given:
                    raise malformed(f"{method} got '{given[0]}' twice")
                self.slots.append((role, index, None))
            else:
                self.slots.extend((role, None, name) for name in given)
        for names, role in keyword_only:
            known.update(names)
            self.slots.extend((role, None, name) for name in names if name in self.kwargs)
        unknown = sorted(set(self.kwargs) - known - {"context"})
        if unknown and method != "message_post":
            raise malformed(f"{method} takes no argument '{unknown[0]}'")

    def ids(self):
        return self.args[0] if self.offset else None

    def get(self, slot):
        _role, index, name = slot
        return self.args[index] if index is not None else self.kwargs[name]

    def set(self, slot, value):
        _role, index, name = slot
        if index is not None:
            self.args[index] = value
        else:
            self.kwargs[name] = value

    def of(self, role):
        return [slot for slot in self.slots if slot[0] == role]


def analyse(world, model, method, operation, args, kwargs):
    """The :class:`Plan` of ``model.method(*args, **kwargs)``, or :class:`Refusal`.

    ``method`` is the lowercase name the method map matched; ``operation`` the right it needs on
    ``model`` (already checked by the matrix).
    """
    if method not in SIGNATURES:  # a method the map allows must have its arguments described here
        raise Refusal(403, f"Access denied by MCP: the arguments of '{method}' cannot be checked.")
    reach = Reach(world)
    bound = _Arguments(method, args, kwargs)
    if "context" in bound.kwargs:
        bound.kwargs["context"] = check_context(bound.kwargs["context"], world)
    plan = Plan(operation, bound.args, bound.kwargs)
    no_read, no_write = world.denied(model)

    for slot in bound.slots:
        role = slot[0]
        value = bound.get(slot)
        if role == DOMAIN:
            reach.domain(model, value)
        elif role == FIELDS:
            bound.set(slot, reach.read_fields(model, value))
        elif role == AGGREGATES:
            reach.spec_paths(model, value, _aggregate_field)
        elif role == GROUPBY:
            reach.spec_paths(model, value, lambda s: s.split(":", 1)[0].strip())
        elif role == HAVING:
            reach.having(model, value)
        elif role == ORDER:
            reach.order(model, value)
        elif role == EXPORT:
            reach.export(model, value)
        elif role == SEARCH_NAME:
            if value:
                reach.name_condition(model)
        elif role == CREATE_NAME:
            reach.values(model, {}, True)
            rec_name = world.rec_name(model)
            if rec_name:
                reach.writable(model, rec_name)
        elif role == VALS:
            reach.values(model, value, False)
            reach.document_owner_from_values(model, value)
        elif role == VALS_LIST:
            for vals in value if isinstance(value, (list, tuple)) else [value]:
                reach.values(model, vals, True)
                reach.document_owner_from_values(model, vals)
        elif role == DEFAULT:
            if value:
                reach.values(model, value, True)
                reach.document_owner_from_values(model, value)
        elif role == WRITE_LIST:
            if not isinstance(value, (list, tuple)):
                raise malformed(f"{method} takes a list of values")
            for vals in value:
                reach.values(model, vals, False)
                reach.document_owner_from_values(model, vals)
        elif role == SPEC:
            bound.set(slot, reach.specification(model, value))
        elif role == NONE_ONLY:
            if value is not None and value is not False:
                raise Refusal(403, f"Access denied by MCP: {method} runs as the caller only.")

    if method in ("read", "search_read") and not bound.of(FIELDS) and no_read:
        bound.kwargs["fields"] = reach.read_fields(model, None)  # no list named: all but the denied
    if method == "message_post":
        extra = sorted(set(bound.kwargs) - MESSAGE_POST_KWARGS - {"context"})
        if extra:
            raise Refusal(403, f"Access denied by MCP: message_post takes no argument '{extra[0]}'.")
        attachment_ids = bound.kwargs.get("attachment_ids") or []
        if not isinstance(attachment_ids, (list, tuple)):
            raise malformed("attachment_ids must be a list of ids")
        reach.document_owner_of("ir.attachment", list(attachment_ids), "write")
    if method == "copy":
        reach.copy_children(model, set())
    if method == "create" and not bound.of(VALS_LIST):
        raise malformed("create takes a list of values")

    ids = bound.ids()
    if model in DOCUMENT_MODELS:
        if operation == "read":
            readable = reach.document_read_models()
            path = DOCUMENT_MODELS[model]
            if bound.offset:
                plan.document_filter = (path, readable)
            else:
                restrict = [(path, "in", readable)]
                slots = bound.of(DOMAIN)
                if slots:
                    for slot in slots:
                        bound.set(slot, ["&", *restrict, *(bound.get(slot) or [(1, "=", 1)])])
                else:
                    _set_missing_domain(bound, method, restrict)
        elif ids is not None:
            reach.document_owner_of(model, ids if isinstance(ids, (list, tuple)) else [ids], "write")

    if method == "fields_get" and (no_read or no_write):
        marks = {}
        for name in no_read:
            marks.setdefault(name, []).append("read")
        for name in no_write:
            marks.setdefault(name, []).append("write")
        plan.fields_marks = marks
    return plan


#: What any caller may learn about its own user, ``res.users`` enabled or not: the calls a client
#: makes to learn who it is (its context, these fields of its own record). Nothing about another user.
SELF_MODEL = "res.users"
SELF_FIELDS = frozenset(
    (
        "id",
        "name",
        "display_name",
        "login",
        "email",
        "lang",
        "tz",
        "active",
        "partner_id",
        "company_id",
        "company_ids",
    )
)


def self_identity(world, uid, model, method, args, kwargs):
    """The :class:`Plan` of a call by which the caller (user ``uid``) learns who it is:
    ``res.users.context_get``, or ``read``/``search_read`` of :data:`SELF_FIELDS` of its own record
    only. ``None`` for any other call, which the matrix and :func:`analyse` then decide as usual."""
    if model != SELF_MODEL or method not in ("context_get", "read", "search_read"):
        return None
    if method == "context_get":
        if args or set(kwargs) - {"context"}:
            return None
        bound = None
        args, kwargs = [], dict(kwargs)
    else:
        try:
            bound = _Arguments(method, args, kwargs)
        except Refusal:
            return None
        args, kwargs = bound.args, bound.kwargs
    if "context" in kwargs:
        kwargs["context"] = check_context(kwargs["context"], world)
    if bound is not None:
        if method == "read" and not _own_ids(bound.ids(), uid):
            return None
        fields_named = False
        for slot in bound.slots:
            role, value = slot[0], bound.get(slot)
            if role == DOMAIN and not _own_domain(value, uid):
                return None
            if role == ORDER and value not in (None, False, ""):
                return None
            if role == FIELDS:
                fields = _self_fields(world, value)
                if fields is None:
                    return None
                bound.set(slot, fields)
                fields_named = True
        if method == "search_read" and not bound.of(DOMAIN):
            return None
        if not fields_named:
            kwargs["fields"] = _self_fields(world, None)
    return Plan("read", args, kwargs)


def _own_ids(ids, uid):
    if isinstance(ids, int) and not isinstance(ids, bool):
        return ids == uid
    return (
        isinstance(ids, (list, tuple))
        and bool(ids)
        and all(i == uid and not isinstance(i, bool) for i in ids)
    )


def _own_domain(domain, uid):
    """``[('id', '=', uid)]`` or ``[('id', 'in', [uid])]``: the caller's own record, nothing else."""
    if not isinstance(domain, (list, tuple)) or len(domain) != 1:
        return False
    term = domain[0]
    if not isinstance(term, (list, tuple)) or len(term) != 3 or term[0] != "id":
        return False
    operator, value = term[1], term[2]
    if operator == "=":
        return _own_ids(value, uid) and not isinstance(value, (list, tuple))
    return operator == "in" and isinstance(value, (list, tuple)) and _own_ids(value, uid)


def _self_fields(world, fields):
    """The fields of the caller's own record a read may name (all of them when none is named), or
    ``None`` when it names another one (or one the field rules deny)."""
    allowed = SELF_FIELDS - world.denied(SELF_MODEL)[0]
    if fields is None or fields is False or fields == []:
        return sorted(allowed)
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) and f in allowed for f in fields):
        return None
    return list(fields)
