"""The reference the XML-RPC encoder is held to when Odoo itself is not importable: the standard
library's marshaller with the overrides of Odoo 19's ``OdooMarshaller`` (bytes as text, dates as
strings, control characters stripped, ``defaultdict`` as a struct). Shared by the L1 tests and the
benchmarks."""

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
