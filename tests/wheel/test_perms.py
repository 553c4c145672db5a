"""The permission matrix boundary: decisions as values, exceptions for bad rows and scopes."""

import pytest
from odoo_mcp_native import (
    MatrixError,
    PermissionMatrix,
    Scope,
    ScopeError,
    method_operation,
    valid_model_name,
)

from tests.oracle import METHOD_OPS, METHODS

ROWS = [
    ("res.partner", True, True, True, True),
    ("sale.order", True, True, False, False),
    ("res.users", True, False, False, False),
    ("product.product", False, False, False, False),
]


@pytest.fixture
def matrix():
    return PermissionMatrix(ROWS, generation=3)


def test_decide_allowed(matrix):
    assert matrix.decide("res.partner", "search_read") == (True, "read")
    assert matrix.decide("res.partner", "SEARCH_READ") == (True, "read")
    assert matrix.decide("res.partner", "name_create") == (True, "create")
    assert matrix.decide("res.partner", "action_archive") == (True, "write")
    assert matrix.decide("res.partner", "unlink") == (True, "unlink")


@pytest.mark.parametrize(
    ("model", "method", "reason"),
    [
        ("res partner", "_private", "invalid_model"),
        ("", "read", "invalid_model"),
        ("res.partner\udcff", "read", "invalid_model"),
        ("stock.move", "_private", "model_not_enabled"),
        ("mcp.log", "read", "model_not_enabled"),
        ("res.users", "_read", "method_not_allowed"),
        ("res.users", "sudo", "method_not_allowed"),
        ("res.users", " read", "method_not_allowed"),
        ("res.users", "read\n", "method_not_allowed"),
        ("res.users", "re\x00ad", "method_not_allowed"),
        ("res.users", "read\udcff", "method_not_allowed"),
        ("res.users", "\u017fearch", "method_not_allowed"),
        ("res.users", "write", "operation_denied"),
        ("product.product", "read", "operation_denied"),
        ("sale.order", "copy", "operation_denied"),
    ],
)
def test_every_refusal_reason(matrix, model, method, reason):
    assert matrix.decide(model, method) == (False, reason)


def test_scope_narrows_never_widens(matrix):
    scope = Scope.parse("res.partner:R, res.users:, *:RW")
    assert matrix.decide("res.partner", "write", scope) == (False, "operation_denied")
    assert matrix.decide("res.partner", "read", scope) == (True, "read")
    assert matrix.decide("res.users", "read", scope) == (False, "operation_denied")
    assert matrix.decide("sale.order", "write", scope) == (True, "write")
    assert matrix.decide("sale.order", "create", scope) == (False, "operation_denied")
    assert matrix.rights("res.partner", scope) == (True, False, False, False)
    assert matrix.rights("sale.order", scope) == (True, True, False, False)
    assert matrix.rights("stock.move", scope) is None
    narrow = Scope.parse("sale.order:RWCD")
    assert matrix.rights("res.partner", narrow) is None
    assert matrix.decide("res.partner", "read", narrow) == (False, "operation_denied")


def test_rights_models_and_properties(matrix):
    assert matrix.rights("res.partner") == (True, True, True, True)
    assert matrix.rights("nope") is None
    assert matrix.models() == sorted(ROWS)
    scope = Scope.parse("res.partner:WD,sale.order:C,*:R")
    assert matrix.models(scope) == [
        ("res.partner", False, True, False, True),
        ("res.users", True, False, False, False),
    ]
    assert matrix.generation == 3
    assert len(matrix) == 4
    assert matrix.is_enabled("product.product")
    assert not matrix.is_enabled("mcp.log")
    assert not matrix.is_enabled("\udcff")


def test_rows_accept_any_iterable():
    m = PermissionMatrix(r for r in ROWS)
    assert len(m) == 4
    assert m.generation == 0
    assert len(PermissionMatrix([])) == 0


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([("mcp.log", True, False, False, False)], "mcp.*"),
        ([("bad model", True, False, False, False)], "^[a-zA-Z0-9._]+$"),
        ([("a", True, False, False, False), ("a", False, False, False, False)], "twice"),
    ],
)
def test_bad_rows_raise_value_errors(rows, fragment):
    with pytest.raises(MatrixError) as info:
        PermissionMatrix(rows)
    assert isinstance(info.value, ValueError)
    assert fragment in str(info.value)


def test_malformed_rows_raise():
    with pytest.raises(ValueError):
        PermissionMatrix([("a", True)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        PermissionMatrix([("a", 1, 0, 0, 0)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        PermissionMatrix(42)  # type: ignore[arg-type]


def test_scope_parse_and_canonical_form():
    scope = Scope.parse(" sale.order : r , *:R,res.partner:dcwr ")
    assert str(scope) == "res.partner:RWCD,sale.order:R,*:R"
    assert Scope.parse(str(scope)) == scope
    assert hash(Scope.parse(str(scope))) == hash(scope)
    assert repr(scope) == "Scope.parse('res.partner:RWCD,sale.order:R,*:R')"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty scope"),
        ("a:R,", "item 2 is empty"),
        ("a:R,b", "item 2 lacks ':'"),
        ("a b:R", "invalid model name"),
        ("mcp.log:R", "mcp.*"),
        ("a:RX", "invalid right 'X'"),
        ("a:RR", "given twice"),
        ("a:R,a:W", "already listed"),
    ],
)
def test_scope_errors(text, fragment):
    with pytest.raises(ScopeError) as info:
        Scope.parse(text)
    assert isinstance(info.value, ValueError)
    assert fragment in str(info.value)


def test_frozen(matrix):
    with pytest.raises(AttributeError):
        matrix.generation = 4  # type: ignore[misc]
    scope = Scope.parse("*:R")
    with pytest.raises(AttributeError):
        scope.x = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        Scope()  # type: ignore[call-arg]


def test_helpers():
    assert valid_model_name("res.partner")
    assert not valid_model_name("res partner")
    assert not valid_model_name("\udcff")
    assert method_operation("Read") == "read"
    assert method_operation("web_save_multi") == "write"
    assert method_operation("_read") is None
    assert method_operation("read ") is None


def reference_decide(rows, model, method):
    """CONTRACT section 3 written out in plain Python."""
    if not model or not all(c.isascii() and (c.isalnum() or c in "._") for c in model):
        return (False, "invalid_model")
    table = {r[0]: dict(zip(("read", "write", "create", "unlink"), r[1:], strict=True)) for r in rows}
    if model not in table:
        return (False, "model_not_enabled")
    op = METHOD_OPS.get(method.lower()) if method.isascii() else None
    if op is None:
        return (False, "method_not_allowed")
    return (True, op) if table[model][op] else (False, "operation_denied")


def test_decide_matches_the_contract_table():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    names = [n for group in METHODS.values() for n in group]
    method = st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(str.upper),
        st.sampled_from(names).map(lambda n: "_" + n),
        st.sampled_from(names).map(lambda n: n + " "),
        st.text(max_size=24),
    )
    model = st.one_of(st.sampled_from([r[0] for r in ROWS] + ["stock.move", "mcp.log"]), st.text(max_size=16))
    matrix = PermissionMatrix(ROWS)

    @hypothesis.given(model=model, method=method)
    @hypothesis.settings(max_examples=2000, deadline=None)
    def check(model, method):
        assert matrix.decide(model, method) == reference_decide(ROWS, model, method)

    check()
