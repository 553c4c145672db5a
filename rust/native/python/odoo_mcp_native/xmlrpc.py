"""XML-RPC codec: ``xmlrpc.client.loads`` and Odoo 19's marshaller, in Rust.

``loads`` returns exactly what ``xmlrpc.client.loads(data, use_datetime=True)`` returns (``Binary``
for ``<base64>``, ``datetime`` for ``<dateTime.iso8601>``) and raises :class:`XmlRpcDecodeError`
(a ``ValueError``) for any body it refuses, including a ``<fault>`` response. On purpose it refuses
more than Python: any DOCTYPE, integers outside 64 bits, arrays and structs nested deeper than
``max_depth`` (64) and bodies over ``max_body_bytes`` (64 MiB).

``dumps_response`` and ``dumps_fault`` return the bytes of
``odoo.addons.rpc.controllers.xmlrpc.dumps(...).encode()``, byte for byte, and raise
:class:`XmlRpcEncodeError` (a ``TypeError``) with Python's own messages where it refuses a value.
"""

from ._native import XmlRpcDecodeError, XmlRpcEncodeError
from ._native import xmlrpc_dumps_fault as dumps_fault
from ._native import xmlrpc_dumps_response as dumps_response
from ._native import xmlrpc_loads as loads

__all__ = ["XmlRpcDecodeError", "XmlRpcEncodeError", "dumps_fault", "dumps_response", "loads"]
