"""L1: the JSON codec of the wheel against Python's ``json``."""

from __future__ import annotations

import json
import math
import sys
from collections import OrderedDict
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from odoo_mcp_native import json as codec
from odoo_mcp_native.json import JsonDecodeError, JsonEncodeError


def reference_dumps(value: Any, default: Any = None) -> bytes:
    """What ``codec.dumps`` promises to write, byte for byte."""
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=default
    ).encode()


def typed(value: Any) -> Any:
    """Comparable form that tells ``1`` from ``1.0`` and ``True``, and ``-0.0`` from ``0.0``."""
    if isinstance(value, float):
        return ("float", value, math.copysign(1.0, value))
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    return (type(value).__name__, value)


# --- what JSON-RPC carries -------------------------------------------------------------------------

json_text = st.text()
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(json_text, children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_dumps_writes_what_json_dumps_writes(value):
    assert codec.dumps(value) == reference_dumps(value)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_loads_reads_what_json_loads_reads(value):
    for body in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert typed(codec.loads(body)) == typed(json.loads(body))
        assert typed(codec.loads(body.encode())) == typed(json.loads(body.encode()))


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_round_trip_is_exact(value):
    assert typed(codec.loads(codec.dumps(value))) == typed(value)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64) | st.text(alphabet='[]{}",:0123456789eE.+-tfnaluesr\\ ', max_size=40))
def test_hostile_bytes_give_a_value_or_a_decode_error(body):
    """Never a panic (a ``BaseException``), never another exception type; where Python accepts
    valid JSON, the same value."""
    try:
        got = codec.loads(body)
    except JsonDecodeError:
        return
    assert typed(got) == typed(json.loads(body))


def test_a_search_read_result_round_trips():
    rows = [
        {
            "id": i,
            "name": f"Partner {i} \u00e9\u4e2d\U0001f600",
            "email": f"p{i}@example.com",
            "active": i % 2 == 0,
            "credit_limit": 1234.5 + i / 7,
            "company_id": [1, "My Company"],
            "category_id": [1, 2, 3],
            "write_date": "2026-01-01 10:00:00",
            "street": False,
            "comment": 'line\nnext "quoted" \\ tab\t\u2028',
            "child_ids": [],
        }
        for i in range(100)
    ]
    body = {"jsonrpc": "2.0", "id": 7, "result": {"structuredContent": {"records": rows}}}
    assert codec.dumps(body) == reference_dumps(body)
    assert codec.loads(codec.dumps(body)) == body


# --- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890123456789",
        "-0.0",
        "0.1",
        "1e16",
        "1E-7",
        "2.2250738585072011e-308",
        "4.9e-324",
        "1.7976931348623157e308",
        "1e-400",
        "123.456e5",
    ],
)
def test_numbers_are_python_numbers(text):
    assert typed(codec.loads(text)) == typed(json.loads(text))
    assert codec.dumps(json.loads(text)) == reference_dumps(json.loads(text))


@pytest.mark.parametrize(
    "value", [2.0**49 + 0.25, -(2.0**49 + 0.25), 2.0**49 + 0.75, 2.0**52 + 0.5, 2.0**-24, 2.0**-1074]
)
def test_float_repr_ties_are_written_as_python_writes_them(value):
    # Two shortest strings round-trip; Python writes the closest (an exact tie: the even digit).
    assert codec.dumps(value) == repr(value).encode()


def test_integers_beyond_64_bits_stay_exact_ints():
    big = 2**200 + 1
    assert codec.loads(str(big)) == big
    assert type(codec.loads(str(-big))) is int
    assert codec.dumps([big, -big]) == f"[{big},{-big}]".encode()


def test_integers_over_pythons_digit_limit_are_a_decode_error():
    if not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("no digit limit on this Python")
    body = "1" * (sys.get_int_max_str_digits() + 1)
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(JsonDecodeError) as caught:
        codec.loads(body)
    assert isinstance(caught.value.__cause__, ValueError)
    # Its neighbour at the limit is fine.
    assert codec.loads("1" * sys.get_int_max_str_digits()) == int("1" * sys.get_int_max_str_digits())


@pytest.mark.parametrize("body", ["NaN", "Infinity", "-Infinity", "[1, NaN]", '{"a": Infinity}'])
def test_nan_and_infinity_are_refused(body):
    json.loads(body)  # Python accepts them; JSON does not
    with pytest.raises(JsonDecodeError):
        codec.loads(body)


def test_a_float_too_large_is_refused_not_made_infinite():
    assert json.loads("1e400") == math.inf
    with pytest.raises(JsonDecodeError, match="number out of range"):
        codec.loads("[1e400]")
    assert codec.loads("[1e308]") == [1e308]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"a": math.inf}])
def test_dumps_refuses_nan_and_infinity(value):
    with pytest.raises(JsonEncodeError, match="Out of range float values are not JSON compliant"):
        codec.dumps(value)
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        reference_dumps(value)


# --- text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "plain", "\u00e9\u4e2d", "\U0001f600", "\x00\x01\x1f\x7f", '"\\/\b\f\n\r\t', "\u2028\u2029"],
)
def test_strings(text):
    assert codec.dumps(text) == reference_dumps(text)
    assert codec.loads(json.dumps(text)) == text
    assert codec.loads(json.dumps(text, ensure_ascii=False).encode()) == text


def test_surrogate_pairs_decode_and_lone_surrogates_are_refused():
    assert codec.loads('"\\ud83d\\ude00"') == "\U0001f600"
    for body in ['"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '{"\\udfff": 1}']:
        json.loads(body)  # Python keeps the lone surrogate
        with pytest.raises(JsonDecodeError):
            codec.loads(body)
    with pytest.raises(JsonEncodeError, match="lone surrogate"):
        codec.dumps("a\ud800b")
    with pytest.raises(JsonDecodeError, match="lone surrogate"):
        codec.loads('"a\ud800b"')


@pytest.mark.parametrize("body", [b'"\xff"', b'["\xc3"]', b'"\xed\xa0\x80"', b'{"\xe2\x82": 1}', b"\x80"])
def test_invalid_utf8_is_a_decode_error(body):
    with pytest.raises(JsonDecodeError):
        codec.loads(body)


def test_a_utf8_bom_is_skipped_as_json_loads_does_for_bytes():
    assert codec.loads(b"\xef\xbb\xbf[1]") == json.loads(b"\xef\xbb\xbf[1]") == [1]


def test_an_object_keyed_by_serde_jsons_number_token_stays_an_object():
    body = '{"$serde_json::private::Number": "12", "b": 1}'
    assert codec.loads(body) == json.loads(body)
    body = '{"$serde_json::private::Number": 12.5}'
    assert codec.loads(body) == json.loads(body)


# --- limits and hostile input ------------------------------------------------------------------------


def test_depth_limit():
    assert codec.loads("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
    with pytest.raises(JsonDecodeError, match="nested deeper than 64"):
        codec.loads("[" * 65 + "]" * 65)
    assert codec.loads('{"a":' * 3 + "1" + "}" * 3, max_depth=3) == {"a": {"a": {"a": 1}}}
    with pytest.raises(JsonDecodeError, match="nested deeper than 3"):
        codec.loads('{"a":' * 4 + "1" + "}" * 4, max_depth=3)
    with pytest.raises(JsonDecodeError, match="max_depth 128 is above 127"):
        codec.loads("1", max_depth=128)


@pytest.mark.parametrize("bomb", ["[" * 200_000, '{"a":' * 200_000, "[{" * 100_000])
def test_depth_bombs_are_a_decode_error(bomb):
    with pytest.raises(JsonDecodeError):
        codec.loads(bomb)


def test_size_limit():
    assert codec.loads(b"[1234]", max_bytes=6) == [1234]
    with pytest.raises(JsonDecodeError, match="over the limit of 5 bytes"):
        codec.loads(b"[1234]", max_bytes=5)


@pytest.mark.parametrize(
    "body", ["", " ", "[1,]", "{'a': 1}", "[1] x", "01", "[.5]", "tru", '{"a" 1}', '"a\x01"', "[1 2]"]
)
def test_syntax_errors_are_decode_errors_with_a_position(body):
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(JsonDecodeError, match="line 1 column"):
        codec.loads(body)


def test_input_types():
    assert codec.loads(bytearray(b"[1]")) == [1]
    assert codec.loads(memoryview(b"[1]")) == [1]
    with pytest.raises(TypeError, match="must be str, bytes or bytearray, not int"):
        codec.loads(1)


def test_duplicate_keys_keep_the_last_value_in_the_first_place():
    body = '{"a": 1, "b": 2, "a": 3}'
    assert list(codec.loads(body).items()) == list(json.loads(body).items())


# --- dumps: types, keys, default ---------------------------------------------------------------------


class Colour(IntEnum):
    RED = 1


class Text(str):
    pass


class Number(float):
    pass


def test_subclasses_are_written_as_their_base():
    value = {
        "enum": Colour.RED,
        "text": Text("x"),
        "float": Number(1.5),
        "ordered": OrderedDict(b=1, a=2),
        "tuple": (1, (2,)),
    }
    assert codec.dumps(value) == reference_dumps(value)


def test_keys_are_converted_as_json_dumps_converts_them():
    value = {3: "a", 2.5: "b", None: "d", "s": "e", Colour.RED: "f", -(2**70): "g"}
    assert codec.dumps(value) == reference_dumps(value)
    for flag in ({True: 1}, {False: 1}):
        assert codec.dumps(flag) == reference_dumps(flag)
    for bad in ({(1, 2): 1}, {b"x": 1}):
        with pytest.raises(TypeError, match="keys must be str, int, float, bool or None, not"):
            codec.dumps(bad)
    with pytest.raises(JsonEncodeError):
        codec.dumps({math.nan: 1})


def test_unknown_types_need_default():
    from datetime import date

    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        codec.dumps({1, 2})
    with pytest.raises(TypeError, match="Object of type date is not JSON serializable"):
        codec.dumps([date(2026, 1, 2)])
    value = {"d": [date(2026, 1, 2)], "b": b"bytes"}
    assert codec.dumps(value, default=str) == reference_dumps(value, default=str)


def test_default_errors_pass_through():
    def refuse(_value):
        raise LookupError("no")

    with pytest.raises(LookupError, match="no"):
        codec.dumps([object()], default=refuse)


def test_default_that_resizes_a_dict_is_safe():
    data: dict[str, Any] = {"a": object(), "b": 1}

    def grow(_value):
        data.clear()
        data.update({str(i): i for i in range(100)})
        return "x"

    assert codec.dumps(data, default=grow) == b'{"a":"x","b":1}'


def test_circular_containers_are_refused():
    items: list[Any] = []
    items.append(items)
    mapping: dict[str, Any] = {}
    mapping["self"] = mapping
    for value in (items, mapping):
        with pytest.raises(JsonEncodeError, match="Circular reference detected"):
            codec.dumps(value)

    def loop(value):
        return [value]

    with pytest.raises(JsonEncodeError, match="Circular reference detected"):
        codec.dumps(object(), default=loop)
    shared = [1]
    assert codec.dumps([shared, shared]) == b"[[1],[1]]"  # shared is not circular


def test_deep_nesting_is_refused_not_a_crash():
    value: list[Any] = []
    for _ in range(10_000):
        value = [value]
    with pytest.raises(JsonEncodeError, match="nested deeper than 256"):
        codec.dumps(value)
    shallow: list[Any] = []
    for _ in range(200):
        shallow = [shallow]
    assert codec.dumps(shallow) == reference_dumps(shallow)


def test_errors_are_value_errors():
    assert issubclass(JsonDecodeError, ValueError)
    assert issubclass(JsonEncodeError, ValueError)
