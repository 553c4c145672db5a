"""JSON codec: ``json.loads`` and compact ``json.dumps``, in Rust (``serde_json`` underneath).

``loads(data)`` returns what ``json.loads(data)`` returns for the JSON that JSON-RPC carries:
integers of any size stay exact ``int``s (within Python's own digit limit), floats are correctly
rounded, duplicate keys keep the last value. It raises :class:`JsonDecodeError` (a ``ValueError``)
for any body it refuses, and on purpose refuses more than Python: ``NaN`` and ``Infinity``
(JSON forbids them), numbers too large for a float (``1e400``, which Python makes ``inf``),
``\\u`` escapes of lone surrogates, bodies that are not UTF-8 (a leading UTF-8 BOM is skipped),
nesting deeper than ``max_depth`` (default 64, at most 127) and bodies over ``max_bytes``
(default 64 MiB).

``dumps(obj, default=None)`` returns the bytes of
``json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
default=default).encode()``, byte for byte. It raises :class:`JsonEncodeError` (a ``ValueError``)
for ``NaN`` and infinities, circular containers, nesting deeper than 256 levels and strings with
a lone surrogate, and ``TypeError`` with Python's own message for a type JSON does not know.
"""

from ._native import JsonDecodeError, JsonEncodeError
from ._native import json_dumps as dumps
from ._native import json_loads as loads

__all__ = ["JsonDecodeError", "JsonEncodeError", "dumps", "loads"]
