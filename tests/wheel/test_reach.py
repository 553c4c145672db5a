"""The reach rule (the addon's ``models/mcp_reach.py``, plain Python) over generated model graphs,
with the wheel's real ``PermissionMatrix`` and ``Scope`` for the rights.

Property: a domain path, an export path or a tree of x2many commands is allowed exactly when every
model it crosses carries the right an independent oracle says it needs.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from odoo_mcp_native import PermissionMatrix, Scope

REACH_PATH = Path(__file__).parents[2] / "mcp_server_addon/mcp_server/models/mcp_reach.py"
_spec = importlib.util.spec_from_file_location("mcp_reach", REACH_PATH)
reach = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reach)

OPS = ("read", "write", "create", "unlink")
MODELS = [f"m{i}" for i in range(5)]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    comodel_name: str | None = None
    related: str | None = None
    inherited: bool = False
    copy: bool = False
    groups: str | None = None  # the user is in none of them


class World:
    def __init__(self, graph, matrix, scope=None, denied=None, owners=None, companies=(1,)):
        self.graph = graph  # model -> {name: Field}
        self.matrix = matrix
        self.scope = scope
        self._denied = denied or {}
        self._owners = owners or {}
        self._companies = companies

    def field(self, model, name):
        return self.graph.get(model, {}).get(name)

    def fields(self, model):
        return list(self.graph.get(model, {}))

    def readable_fields(self, model):
        return [name for name, field in self.graph.get(model, {}).items() if not field.groups]

    def inherits(self, model):
        return {}

    def rec_names(self, model):
        return None

    def rec_name(self, model):
        return "name"

    def rights(self, model):
        return self.matrix.rights(model, self.scope)

    def enabled_models(self):
        return [m[0] for m in self.matrix.models(self.scope)]

    def denied(self, model):
        return self._denied.get(model, (frozenset(), frozenset()))

    def owners(self, model, ids):
        return {self._owners[i] for i in ids if i in self._owners}

    def ir_model_name(self, model_id):
        return None

    def companies(self):
        return list(self._companies)


def analyse(world, model, method, args, kwargs=None):
    op = {"write": "write", "create": "create", "unlink": "unlink"}.get(method, "read")
    return reach.analyse(world, model, method, op, list(args), dict(kwargs or {}))


def allowed(fn):
    try:
        fn()
    except reach.Refusal as refusal:
        assert refusal.status == 403, refusal.message
        return False
    return True


# -- generated graphs -------------------------------------------------------------------------
rights_st = st.one_of(st.none(), st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()))


@st.composite
def graphs(draw):
    graph = {}
    for model in MODELS:
        fields = {"name": Field("name", "char")}
        for i in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["many2one", "one2many", "many2many"]))
            fields[f"r{i}"] = Field(f"r{i}", kind, draw(st.sampled_from(MODELS)))
        graph[model] = fields
    rights = {m: draw(rights_st) for m in MODELS}
    rows = [(m, *r) for m, r in rights.items() if r is not None]
    return graph, rights, PermissionMatrix(rows)


@st.composite
def paths(draw, graph):
    model = "m0"
    segments, crossed = [], []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from([n for n in graph[model] if n != "name"]))
        segments.append(name)
        model = graph[model][name].comodel_name
        crossed.append(model)
    segments.append("name")
    return ".".join(segments), crossed


def has(rights, model, op):
    r = rights.get(model)
    return r is not None and r[OPS.index(op)]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_domain_and_export_paths_need_read_on_every_model_crossed(data):
    graph, rights, matrix = data.draw(graphs())
    path, crossed = data.draw(paths(graph))
    world = World(graph, matrix)
    expected = all(has(rights, m, "read") for m in crossed)
    assert allowed(lambda: analyse(world, "m0", "search", [[(path, "=", "x")]])) is expected
    assert allowed(lambda: analyse(world, "m0", "search", [[]], {"order": f"{path} desc"})) is expected
    assert allowed(lambda: analyse(world, "m0", "export_data", [[1], [path.replace(".", "/")]])) is expected
    # the same path under an `any` on the first hop
    if "." in path:
        first, rest = path.split(".", 1)
        domain = [(first, "any", [(rest, "=", "x")])]
        assert allowed(lambda: analyse(world, "m0", "search", [domain])) is expected


@st.composite
def commands(draw, graph, model, depth=0):
    """Values for ``model`` and the (model, op) pairs an independent reading of the rule needs."""
    vals, needs = {"name": "x"}, set()
    for name, field in graph[model].items():
        if field.type == "char" or draw(st.booleans()):
            continue
        comodel = field.comodel_name
        if field.type == "many2one":
            vals[name] = 7
            continue
        code = draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6, "ids"] if depth < 2 else [2, 3, 4, 5, 6, "ids"]))
        if code in (0, 1):
            sub, sub_needs = draw(commands(graph, comodel, depth + 1))
            needs |= sub_needs | {(comodel, "create" if code == 0 else "write")}
            vals[name] = [(code, 0 if code == 0 else 3, sub)]
        elif code == 2:
            needs.add((comodel, "unlink"))
            vals[name] = [(2, 3)]
        else:
            if field.type == "one2many":
                needs.add((comodel, "write"))
                if code != 4:
                    needs.add((comodel, "unlink"))
            vals[name] = {3: [(3, 1)], 4: [(4, 1)], 5: [(5,)], 6: [(6, 0, [1])], "ids": [1, 2]}[code]
    return vals, needs


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_commands_need_the_rights_of_every_model_they_change(data):
    graph, rights, matrix = data.draw(graphs())
    vals, needs = data.draw(commands(graph, "m0"))
    world = World(graph, matrix)
    expected = all(has(rights, m, op) for m, op in needs)
    assert allowed(lambda: analyse(world, "m0", "write", [[1], vals])) is expected
    assert allowed(lambda: analyse(world, "m0", "create", [[vals]])) is expected


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_scope_only_narrows(data):
    graph, rights, matrix = data.draw(graphs())
    path, crossed = data.draw(paths(graph))
    scope = Scope.parse(",".join(f"{m}:R" for m in MODELS[:2]))
    narrowed = World(graph, matrix, scope)
    expected = all(has(rights, m, "read") and m in MODELS[:2] for m in crossed)
    assert allowed(lambda: analyse(narrowed, "m0", "search", [[(path, "=", 1)]])) is expected


# -- hand-written cases ----------------------------------------------------------------------
GRAPH = {
    "partner": {
        "name": Field("name", "char"),
        "vat": Field("vat", "char"),
        "user_ids": Field("user_ids", "one2many", "user"),
        "tag_ids": Field("tag_ids", "many2many", "tag"),
        "message_ids": Field("message_ids", "one2many", "mail.message"),
        "in_call": Field("in_call", "boolean", groups="base.group_system"),
    },
    "user": {"name": Field("name", "char"), "login": Field("login", "char")},
    "tag": {"name": Field("name", "char")},
    "mail.message": {"name": Field("name", "char"), "model": Field("model", "char")},
    "ir.attachment": {"name": Field("name", "char"), "res_model": Field("res_model", "char")},
}


@pytest.fixture
def world():
    matrix = PermissionMatrix(
        [
            ("partner", True, True, False, False),
            ("tag", True, False, False, False),
            ("mail.message", True, True, True, False),
            ("ir.attachment", True, True, True, False),
        ]
    )
    return World(
        GRAPH,
        matrix,
        denied={"partner": (frozenset({"vat"}), frozenset({"name"}))},
        owners={10: "partner", 11: "user"},
        companies=(1, 2),
    )


def test_messages_and_attachments_follow_their_owner(world):
    assert allowed(lambda: analyse(world, "mail.message", "create", [[{"model": "partner"}]]))
    assert not allowed(lambda: analyse(world, "mail.message", "create", [[{"model": "user"}]]))
    assert not allowed(lambda: analyse(world, "ir.attachment", "write", [[11], {"name": "x"}]))
    assert allowed(lambda: analyse(world, "ir.attachment", "write", [[10], {"name": "x"}]))
    plan = analyse(world, "ir.attachment", "search_read", [[("name", "=", "a")]])
    assert plan.args[0][:2] == ["&", ("res_model", "in", ["ir.attachment", "mail.message", "partner", "tag"])]
    plan = analyse(world, "mail.message", "search_count", [])
    assert plan.args == [[("model", "in", ["ir.attachment", "mail.message", "partner", "tag"])]]
    plan = analyse(world, "ir.attachment", "name_search", [], {"name": "a"})
    assert plan.args[0] == "a" and plan.args[1][0][0] == "res_model"
    plan = analyse(world, "ir.attachment", "read", [[10, 11], ["name"]])
    assert plan.document_filter[0] == "res_model"
    # methods that return no rows have no domain to restrict, and run as they are
    plan = analyse(world, "mail.message", "fields_get", [], {"attributes": ["type"]})
    assert (plan.args, plan.kwargs, plan.document_filter) == ([], {"attributes": ["type"]}, None)
    plan = analyse(world, "ir.attachment", "default_get", [["name"]])
    assert plan.args == [["name"]]
    # message_post attaching a document of another record needs write on that record's model
    assert not allowed(lambda: analyse(world, "partner", "message_post", [[1]], {"attachment_ids": [11]}))
    assert allowed(
        lambda: analyse(world, "partner", "message_post", [[1]], {"attachment_ids": [10], "body": "b"})
    )
    assert not allowed(lambda: analyse(world, "partner", "message_post", [[1]], {"author_id": 3}))


def test_field_rules(world):
    plan = analyse(world, "partner", "read", [[1], ["name", "vat"]])
    assert plan.args[1] == ["name"]
    plan = analyse(world, "partner", "read", [[1], ["vat"]])
    assert plan.args[1] == ["id"], "asking for denied fields only must not read every field"
    plan = analyse(world, "partner", "read", [[1]])
    assert "vat" not in plan.kwargs["fields"] and "name" in plan.kwargs["fields"]
    assert "in_call" not in plan.kwargs["fields"], "as Odoo's read: only fields the user may read"
    plan = analyse(world, "partner", "search_read", [[]], {"fields": []})
    assert "vat" not in plan.kwargs["fields"] and "name" in plan.kwargs["fields"]
    assert not allowed(lambda: analyse(world, "partner", "search", [[("vat", "=", 1)]]))
    assert not allowed(lambda: analyse(world, "partner", "write", [[1], {"name": "n"}]))
    plan = analyse(world, "partner", "web_save_multi", [[1], [{}], {"vat": {}, "name": {}}])
    assert plan.args[2] == {"name": {}}
    plan = analyse(world, "partner", "fields_get", [])
    assert plan.mark_fields({"vat": {}, "name": {"readonly": False}}) == {
        "vat": {"mcp_denied": ["read"]},
        "name": {"mcp_denied": ["write"], "readonly": True},
    }


def test_context(world):
    plan = analyse(
        world,
        "tag",
        "search",
        [[]],
        {"context": {"lang": "fr_FR", "default_name": "x", "tracking_disable": True}},
    )
    assert plan.kwargs["context"] == {"lang": "fr_FR"}
    plan = analyse(world, "tag", "search", [[]], {"context": {"allowed_company_ids": [2]}})
    assert plan.kwargs["context"] == {"allowed_company_ids": [2]}
    with pytest.raises(reach.Refusal, match="allowed_company_ids"):
        analyse(world, "tag", "search", [[]], {"context": {"allowed_company_ids": [3]}})
    with pytest.raises(reach.Refusal) as info:
        analyse(world, "tag", "search", [[]], {"context": "not a dict"})
    assert info.value.status == 400


def test_malformed_arguments_are_clear_errors(world):
    for method, args, kwargs in (
        ("search", [[("name", "=")]], {}),
        ("search", ["name"], {}),
        ("search", [[]], {"bogus": 1}),
        ("write", [[1], {"tag_ids": [("x",)]}], {}),
        ("write", [[1], {"tag_ids": [(9, 1)]}], {}),
        ("search", [[], 0, 1, "name", "extra"], {}),
    ):
        with pytest.raises(reach.Refusal) as info:
            analyse(world, "partner", method, args, kwargs)
        assert info.value.status == 400, (method, args)
    with pytest.raises(reach.Refusal, match="cannot be checked"):
        analyse(world, "partner", "action_unknown", [[1]])
    with pytest.raises(reach.Refusal, match="skips access rules"):
        analyse(world, "partner", "search", [[("user_ids", "any!", [])]])


def test_every_mapped_method_has_its_arguments_described():
    from tests.oracle import METHOD_OPS

    assert set(METHOD_OPS) <= set(reach.SIGNATURES)


# -- who am I: the caller's own identity ----------------------------------------------------------
UID, OTHER = 7, 8


def identity(world, method, args, kwargs=None):
    return reach.self_identity(world, UID, "res.users", method, list(args), dict(kwargs or {}))


def test_self_identity_lets_a_caller_read_only_its_own_identity(world):
    plan = identity(world, "context_get", [], {"context": {"lang": "fr_FR", "uid": 1}})
    assert (plan.operation, plan.args, plan.kwargs) == ("read", [], {"context": {"lang": "fr_FR"}})
    plan = identity(world, "read", [[UID], ["name", "login", "tz", "company_id"]])
    assert plan.args == [[UID], ["name", "login", "tz", "company_id"]]
    plan = identity(world, "read", [UID])
    assert set(plan.kwargs["fields"]) == reach.SELF_FIELDS
    plan = identity(world, "search_read", [[("id", "=", UID)]], {"fields": ["name"], "limit": 1})
    assert plan.args == [[("id", "=", UID)]] and plan.kwargs == {"fields": ["name"], "limit": 1}
    plan = identity(world, "search_read", [], {"domain": [["id", "in", [UID]]]})
    assert set(plan.kwargs["fields"]) == reach.SELF_FIELDS
    # any other call is not one: the matrix decides it as usual
    for method, args, kwargs in (
        ("read", [[OTHER], ["name"]], {}),
        ("read", [[UID, OTHER], ["name"]], {}),
        ("read", [[], ["name"]], {}),
        ("read", [[True], ["name"]], {}),
        ("read", [[UID], ["password"]], {}),
        ("read", [[UID], ["partner_id.email"]], {}),
        ("read", [[UID], "name"], {"fields": ["name"]}),
        ("search_read", [[]], {}),
        ("search_read", [[("id", "=", OTHER)]], {}),
        ("search_read", [[("id", "in", [UID, OTHER])]], {}),
        ("search_read", [[("id", "=", [UID])]], {}),
        ("search_read", [["|", ("id", "=", UID), ("login", "=", "x")]], {}),
        ("search_read", [[("id", "=", UID)]], {"order": "password"}),
        ("search_read", [[("login", "=", "me")]], {}),
        ("search", [[("id", "=", UID)]], {}),
        ("write", [[UID], {"name": "n"}], {}),
        ("context_get", [1], {}),
        ("context_get", [], {"fields": ["name"]}),
    ):
        assert identity(world, method, args, kwargs) is None, (method, args, kwargs)
    assert reach.self_identity(world, UID, "res.partner", "read", [[UID]], {}) is None
    with pytest.raises(reach.Refusal, match="allowed_company_ids"):
        identity(world, "context_get", [], {"context": {"allowed_company_ids": [3]}})


def test_self_identity_keeps_the_field_rules():
    world = World({}, PermissionMatrix([]), denied={"res.users": (frozenset({"email"}), frozenset())})
    assert identity(world, "read", [[UID], ["email"]]) is None
    assert "email" not in identity(world, "read", [[UID]]).kwargs["fields"]


@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(st.integers(min_value=0, max_value=10), max_size=3),
    fields=st.one_of(
        st.none(), st.lists(st.sampled_from(sorted(reach.SELF_FIELDS | {"password", "groups_id"})))
    ),
    domain_id=st.integers(min_value=0, max_value=10),
)
def test_a_self_identity_plan_reads_nothing_but_the_callers_identity(ids, fields, domain_id):
    world = World({}, PermissionMatrix([]))
    for method, args in (("read", [ids, fields]), ("search_read", [[("id", "=", domain_id)], fields])):
        plan = identity(world, method, args)
        if plan is None:
            continue
        read_fields = plan.args[1] if plan.args[1] is not None else plan.kwargs.get("fields")
        assert set(read_fields or reach.SELF_FIELDS) <= reach.SELF_FIELDS
        if method == "read":
            assert ids and set(ids) == {UID}
        else:
            assert domain_id == UID
