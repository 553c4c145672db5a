"""L1: the XML-RPC codec of the wheel against ``xmlrpc.client`` and Odoo's marshaller."""

from __future__ import annotations

import math
import string
import time
import xmlrpc.client
from collections import OrderedDict, defaultdict
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odoo_mcp_native import xmlrpc as codec
from odoo_mcp_native.xmlrpc import XmlRpcDecodeError, XmlRpcEncodeError

from tests.oracle import odoo_reference_dumps

# --- the reference implementations -----------------------------------------------------------------
# xmlrpc.client for decoding; tests/oracle.py (Odoo's marshaller overrides) for encoding.


def normalise(value: Any) -> Any:
    """Comparable form: Binary by its bytes, NaN as a marker, containers recursively."""
    if isinstance(value, xmlrpc.client.Binary):
        return ("Binary", value.data)
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, float):
        return ("float", value, math.copysign(1.0, value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [normalise(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(normalise(k), normalise(v)) for k, v in value.items()])
    return (type(value).__name__, value)


def reference_loads(body: bytes | str) -> tuple[Any, ...]:
    return normalise(xmlrpc.client.loads(body, use_datetime=True))


def our_loads(body: bytes | str) -> tuple[Any, ...]:
    return normalise(codec.loads(body))


# --- strategies --------------------------------------------------------------------------------------

xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\ufffe\uffff")
).filter(lambda s: all(c in "\t\n" or ord(c) >= 32 for c in s))
keys = st.text(alphabet=string.ascii_letters + "_<>&'\" é中", max_size=10)
leaves = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
    xml_text,
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.binary(max_size=100).map(xmlrpc.client.Binary),
    st.none(),
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)

# Values Odoo's marshaller accepts: 32-bit ints, no None, no wrappers needed.
encodable_leaves = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=datetime(1, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    st.dates(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))).map(str.encode),
    st.binary(max_size=100).map(xmlrpc.client.Binary),
    st.binary(max_size=100).map(bytearray),
)
encodable = st.recursive(
    encodable_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), inner, max_size=5
        ),
    ),
    max_leaves=30,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- decode: differential -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [2**31, 2**63 - 1, -(2**63)])
def test_loads_i8_matches(value):
    body = f"<methodCall><params><param><value><i8>{value}</i8></value></param></params></methodCall>"
    assert our_loads(body) == reference_loads(body)


@SETTINGS
@given(st.lists(trees, max_size=4), st.sampled_from(["execute_kw", "version", "a.b_c"]))
def test_loads_matches_xmlrpc_client(params, method):
    body = xmlrpc.client.dumps(tuple(params), methodname=method, allow_none=True)
    assert our_loads(body) == reference_loads(body)
    assert our_loads(body.encode()) == reference_loads(body.encode())


@SETTINGS
@given(trees)
def test_loads_matches_on_responses(value):
    body = xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)
    assert our_loads(body) == reference_loads(body)


ODD_BODIES = [
    "<methodCall><methodName>m</methodName>"
    "<params><param><value>bare text</value></param></params></methodCall>",
    "<methodCall><params><param><value/></param><param><value></value></param></params></methodCall>",
    "<methodCall><params><param><value><i8>9223372036854775807</i8></value></param></params></methodCall>",
    "<methodCall><params><param><value><int> \n 42\t</int></value></param></params></methodCall>",
    "<methodCall><params><param><value><int>+1_000</int></value></param></params></methodCall>",
    "<methodCall><params><param><value><i4>\u0661\u0662</i4></value></param></params></methodCall>",
    "<methodCall><params><param><value><double> 1_0.5e1_0 </double></value></param></params></methodCall>",
    "<methodCall><params><param><value><double>-InFiNiTy</double></value></param></params></methodCall>",
    "<methodCall><params><param><value><float>nan</float></value></param></params></methodCall>",
    "<methodCall>\r\n<params>\r\n<param><value>a\r\nb\rc</value></param></params></methodCall>",
    "<methodCall><params><param><value><string><![CDATA[<&>]]>x</string></value></param></params></methodCall>",
    "<methodCall><params><!-- c --><param><value>a<!-- c -->b<?pi x?></value></param></params></methodCall>",
    "<methodCall xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'><params><param>"
    "<value><ex:nil/></value></param><param><value><ex:i8>5</ex:i8></value></param></params></methodCall>",
    "<methodCall><params><param><value>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;</value></param></params></methodCall>",
    "<?xml version='1.0' encoding='UTF-8'?>\n<methodCall>"
    "<params><param><value>x</value></param></params></methodCall>",
    "\ufeff<methodCall><params><param><value>bom</value></param></params></methodCall>",
    "<methodCall>"
    "<params><param><value><bigdecimal> 1_0.50 </bigdecimal></value></param></params></methodCall>",
    "<methodCall><params><param><value><dateTime.iso8601>2024131t1:2:3</dateTime.iso8601></value>"
    "</param></params></methodCall>",
    "<methodCall><params><param><value><dateTime.iso8601>2024122T00:00:00</dateTime.iso8601></value>"
    "</param></params></methodCall>",
    "<methodCall><params><param><value><base64>aGVs\nbG8=\n!!</base64></value></param></params></methodCall>",
    "<methodCall><params><param><value><base64>QQ=x=</base64></value></param></params></methodCall>",
    "<methodCall><params><param><value><struct><member><name>k</name><value>1</value></member>"
    "<member><name>j</name><value>2</value></member><member><name>k</name><value>3</value></member>"
    "</struct></value></param></params></methodCall>",
    "<methodCall><params><param><value><struct><value><int>1</int></value><value>one</value>"
    "</struct></value></param></params></methodCall>",
    "<methodCall><params><param><value><int>1<x/>2</int></value></param></params></methodCall>",
    "<methodCall><params><param><value><int>1</int><int>2</int></value></param></params></methodCall>",
    "<methodCall><params><param><name><string>a</string></name></param></params></methodCall>",
    "<methodCall><methodName>version</methodName></methodCall>",
    "<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>",
    "<methodCall><params><param><value><array><data><value>1</value></data><value>2</value></array>"
    "</value></param></params></methodCall>",
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_loads_matches_on_odd_bodies(body):
    assert our_loads(body.encode()) == reference_loads(body.encode())


def test_loads_returns_python_types():
    params, method = codec.loads(
        b"<methodCall><methodName>m</methodName><params>"
        b"<param><value><base64>aGk=</base64></value></param>"
        b"<param><value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value></param>"
        b"<param><value><bigdecimal>1.50</bigdecimal></value></param>"
        b"</params></methodCall>"
    )
    assert method == "m"
    assert isinstance(params, tuple)
    assert type(params[0]) is xmlrpc.client.Binary and params[0].data == b"hi"
    assert params[1] == datetime(2024, 1, 2, 3, 4, 5)
    assert params[2] == Decimal("1.50") and str(params[2]) == "1.50"


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda b: b.decode()])
def test_loads_accepts_buffers_and_str(kind):
    body = (
        b"<methodCall><methodName>m</methodName>"
        b"<params><param><value>\xc3\xa9</value></param></params></methodCall>"
    )
    assert codec.loads(kind(body)) == (("é",), "m")


def test_decode_error_is_a_value_error():
    assert issubclass(XmlRpcDecodeError, ValueError)
    with pytest.raises(ValueError):
        codec.loads(b"<methodCall>")


# --- decode: hostile corpus -------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><methodCall><params><param><value>&lol9;</value></param></params></methodCall>"
)
HOSTILE = {
    "billion_laughs": BILLION_LAUGHS.encode(),
    "external_entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<methodCall><params><param><value>&xxe;</value></param></params></methodCall>",
    "deep_arrays": b"<methodCall><params><param>"
    + b"<value><array><data>" * 100_000
    + b"</data></array></value>" * 100_000
    + b"</param></params></methodCall>",
    "deep_elements": b"<methodCall>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</methodCall>",
    "truncated": b"<methodCall><params><param><value><string>abc",
    "invalid_utf8": b"<methodCall><params><param><value>\xff\xfe</value></param></params></methodCall>",
    "int_overflow": b"<methodCall><params><param><value><i8>9223372036854775808</i8></value></param></params>"
    b"</methodCall>",
    "huge_int": b"<methodCall><params><param><value><int>"
    + b"9" * 100_000
    + b"</int></value></param></params>"
    b"</methodCall>",
    "fault": xmlrpc.client.dumps(xmlrpc.client.Fault(1, "boom")).encode(),
    "empty": b"",
    "whitespace": b"  \n",
    "not_xmlrpc": b"<html><body>hello</body></html>",
    "nul": b"<methodCall><params><param><value>\x00</value></param></params></methodCall>",
    "latin1": b"<?xml version='1.0' encoding='iso-8859-1'?><methodCall><params/></methodCall>",
    "utf16": "<methodCall><params/></methodCall>".encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_fail_cleanly(name):
    start = time.perf_counter()
    with pytest.raises(XmlRpcDecodeError):
        codec.loads(HOSTILE[name])
    assert time.perf_counter() - start < 2.0


def test_fifty_megabyte_string_decodes_under_the_default_cap():
    text = "x" * (50 * 1024 * 1024)
    body = f"<methodCall><params><param><value><string>{text}</string></value></param></params></methodCall>"
    params, _ = codec.loads(body.encode())
    assert len(params[0]) == len(text)


def test_body_over_a_custom_cap_is_refused():
    body = xmlrpc.client.dumps(("x" * 2000,), methodname="m").encode()
    assert codec.loads(body, max_body_bytes=len(body)) == (("x" * 2000,), "m")
    with pytest.raises(XmlRpcDecodeError, match="larger than"):
        codec.loads(body, max_body_bytes=len(body) - 1)


def test_over_the_default_cap_is_refused():
    with pytest.raises(XmlRpcDecodeError, match="larger than"):
        codec.loads(b" " * (64 * 1024 * 1024 + 1))


def test_custom_depth():
    nested = xmlrpc.client.dumps(([[[1]]],), methodname="m").encode()
    assert codec.loads(nested, max_depth=3)[0] == ([[[1]]],)
    with pytest.raises(XmlRpcDecodeError, match="nested deeper"):
        codec.loads(nested, max_depth=2)


def test_unhashable_struct_key_is_a_decode_error():
    body = (
        b"<methodCall><params><param><value><struct><value><array><data/></array></value>"
        b"<value>v</value></struct></value></param></params></methodCall>"
    )
    with pytest.raises(XmlRpcDecodeError) as info:
        codec.loads(body)
    assert isinstance(info.value.__cause__, TypeError)


# --- encode: differential -------------------------------------------------------------------------


@SETTINGS
@given(encodable)
def test_dumps_response_matches_odoo_marshaller(value):
    ours = codec.dumps_response(value)
    assert ours == odoo_reference_dumps((value,)).encode()
    # and Python reads it back, unless a dict key kept a control character (Odoo strips them
    # from values only, so such a response is not well-formed for Odoo either)
    if not any(b < 32 and b not in (9, 10, 13) for b in ours):
        xmlrpc.client.loads(ours)


@SETTINGS
@given(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
)
def test_dumps_fault_matches_odoo(code, message):
    ours = codec.dumps_fault(code, message)
    assert ours == odoo_reference_dumps(xmlrpc.client.Fault(code, message)).encode()


@SETTINGS
@given(st.floats())
def test_float_repr(value):
    assert codec.dumps_response(value) == odoo_reference_dumps((value,)).encode()


def search_read_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"Partner <{i}> & Co",
            "active": i % 3 != 0,
            "credit_limit": i * 1.25,
            "parent_id": [i // 2, f"Parent {i // 2}"] if i % 2 else False,
            "date": date(2024, 1 + i % 12, 1 + i % 28),
            "write_date": datetime(2024, 5, 6, 7, 8, i % 60),
            "comment": "line\x01one\nline two\x0b",
            "tag_ids": list(range(i % 5)),
            "ref": b"ref-%d" % i,
        }
        for i in range(n)
    ]


def test_search_read_result_matches_odoo():
    rows = search_read_rows(80)
    assert codec.dumps_response(rows) == odoo_reference_dumps((rows,)).encode()


class Command(IntEnum):
    CREATE = 0
    LINK = 4


class Markup(str):
    pass


class FrozenDict(dict):
    pass


def test_subclasses_marshal_as_their_base():
    value = [Command.LINK, Markup("<b>"), FrozenDict(a=1), defaultdict(int, b=2), OrderedDict(c=3), (1, 2)]
    expected = odoo_reference_dumps(([4, "<b>", {"a": 1}, {"b": 2}, {"c": 3}, [1, 2]],)).encode()
    assert codec.dumps_response(value) == expected


def test_wrappers_marshal_like_python():
    value = [
        xmlrpc.client.Binary(b"\x00\x01" * 40),
        xmlrpc.client.DateTime("20240102T03:04:05"),
        bytearray(b"ab"),
    ]
    assert codec.dumps_response(value) == odoo_reference_dumps((value,)).encode()


def test_none_is_refused_with_pythons_message():
    with pytest.raises(XmlRpcEncodeError) as info:
        codec.dumps_response({"a": None})
    assert str(info.value) == "cannot marshal None unless allow_none is enabled"
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**64, 10**100])
def test_out_of_range_ints_are_refused(value):
    with pytest.raises(XmlRpcEncodeError, match=r"^int exceeds XML-RPC limits$"):
        codec.dumps_response([value])
    with pytest.raises(XmlRpcEncodeError, match=r"^int exceeds XML-RPC limits$"):
        codec.dumps_fault(value, "x")


def test_dict_keys_must_be_strings():
    with pytest.raises(XmlRpcEncodeError, match=r"^dictionary key must be string$"):
        codec.dumps_response({1: 2})


def test_recursive_containers_are_refused():
    a: list[Any] = [1]
    a.append(a)
    with pytest.raises(XmlRpcEncodeError, match=r"^cannot marshal recursive sequences$"):
        codec.dumps_response(a)
    d: dict[str, Any] = {}
    d["self"] = d
    with pytest.raises(XmlRpcEncodeError, match=r"^cannot marshal recursive dictionaries$"):
        codec.dumps_response(d)
    shared = [1]
    assert codec.dumps_response([shared, shared]) == odoo_reference_dumps(([shared, shared],)).encode()


def test_deep_nesting_is_refused_not_crashing():
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(XmlRpcEncodeError, match="nested deeper"):
        codec.dumps_response(deep)


def test_unknown_type_without_default():
    with pytest.raises(XmlRpcEncodeError, match=r"^cannot marshal <class 'set'> objects$"):
        codec.dumps_response({1, 2})


def test_unknown_type_with_default():
    class Records:
        def __init__(self, ids):
            self.ids = ids

    class Lazy:
        def __init__(self, value):
            self._value = value

    def default(obj):
        if isinstance(obj, Records):
            return obj.ids
        if isinstance(obj, Lazy):
            return obj._value
        raise TypeError(f"cannot marshal {type(obj)} objects")

    value = {"partners": Records([1, 2]), "lazy": Lazy(Records([3]))}
    expected = odoo_reference_dumps(({"partners": [1, 2], "lazy": [3]},)).encode()
    assert codec.dumps_response(value, default=default) == expected
    with pytest.raises(TypeError, match="cannot marshal <class 'set'> objects"):
        codec.dumps_response({1}, default=default)


def test_default_exceptions_pass_through():
    def default(obj):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        codec.dumps_response(object(), default=default)


def test_default_returning_itself_is_bounded():
    with pytest.raises(XmlRpcEncodeError, match="nested deeper"):
        codec.dumps_response(object(), default=lambda o: o)


def test_bytes_must_be_utf8():
    assert codec.dumps_response(b"caf\xc3\xa9") == odoo_reference_dumps((b"caf\xc3\xa9",)).encode()
    with pytest.raises(XmlRpcEncodeError):
        codec.dumps_response(b"\xff")


def test_lone_surrogates_are_refused():
    with pytest.raises(XmlRpcEncodeError):
        codec.dumps_response("\ud800")


def test_encode_error_is_a_type_error():
    assert issubclass(XmlRpcEncodeError, TypeError)
