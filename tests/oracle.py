"""Plain-Python references the native core is held to, shared by the L1 tests and the benchmarks.

- The XML-RPC encoder, when Odoo itself is not importable: the standard library's marshaller with
  the overrides of Odoo 19's ``OdooMarshaller`` (bytes as text, dates as strings, control
  characters stripped, ``defaultdict`` as a struct).
- The method-to-operation map of CONTRACT §3.
"""

from __future__ import annotations

import xmlrpc.client
from collections import defaultdict
from datetime import date, datetime
from typing import Any

CONTROL_CHARACTERS = dict.fromkeys(set(range(32)) - {9, 10, 13})


class OdooLikeMarshaller(xmlrpc.client.Marshaller):
    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_bytes(self, value, write):
        self.dump_unicode(value.decode(), write)

    def dump_datetime(self, value, write):
        self.dump_unicode(value.strftime("%Y-%m-%d %H:%M:%S"), write)

    def dump_date(self, value, write):
        self.dump_unicode(value.strftime("%Y-%m-%d"), write)

    def dump_unicode(self, value, write):
        return super().dump_unicode(value.translate(CONTROL_CHARACTERS), write)

    dispatch[bytes] = dump_bytes
    dispatch[datetime] = dump_datetime
    dispatch[date] = dump_date
    dispatch[str] = dump_unicode
    dispatch[defaultdict] = dispatch[dict]


def odoo_reference_dumps(params: tuple[Any, ...] | xmlrpc.client.Fault) -> str:
    response = OdooLikeMarshaller(allow_none=False).dumps(params)
    return f'<?xml version="1.0"?>\n<methodResponse>\n{response}\n</methodResponse>\n'


#: CONTRACT §3: the operation each method needs; anything unlisted is denied.
METHODS = {
    "read": [
        "read",
        "search",
        "search_read",
        "search_count",
        "name_search",
        "fields_get",
        "default_get",
        "get_metadata",
        "read_group",
        "formatted_read_group",
        "export_data",
        "get_formview_id",
        "get_formview_action",
    ],
    "create": ["create", "copy", "name_create"],
    "write": [
        "write",
        "toggle_active",
        "action_archive",
        "action_unarchive",
        "message_post",
        "web_save_multi",
    ],
    "unlink": ["unlink"],
}
METHOD_OPS = {method: op for op, methods in METHODS.items() for method in methods}
