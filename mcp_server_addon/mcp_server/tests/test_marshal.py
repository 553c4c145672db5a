"""The native encoder against Odoo's own XML-RPC marshaller, byte for byte, on Odoo's own types."""

import xmlrpc.client
from collections import defaultdict
from datetime import date, datetime

from markupsafe import Markup
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import frozendict

from .. import compat, native
from ..controllers.xmlrpc import marshal_default

odoo_dumps = compat.odoo_xmlrpc_dumps()


@tagged("post_install", "-at_install")
class TestMarshal(TransactionCase):
    def setUp(self):
        super().setUp()
        self.lib = native.get()
        self.assertIsNotNone(self.lib, native.error())

    def assertSameAsOdoo(self, value):
        expected = odoo_dumps((value,)).encode()
        self.assertEqual(self.lib.xmlrpc.dumps_response(value, default=marshal_default), expected)

    def test_values(self):
        values = [
            1,
            -(2**31),
            2**31 - 1,
            True,
            False,
            0.1,
            1e16,
            -0.0,
            1.5e-7,
            "",
            "plain <&> text",
            "ctrl\x00\x01\x1f\t\n\r kept",
            "unicode é ✓ 𝄞",
            b"bytes as text",
            datetime(2026, 11, 22, 10, 11, 12, 123456),
            date(2026, 2, 28),
            Markup("<b>markup</b>"),
            Command.CREATE,
            Command.SET,
            frozendict({"a": 1}),
            defaultdict(int, {"b": 2}),
            [1, [2, [3, {"k": ["v", False]}]]],
            (),
            {},
            {"nested": {"empty": [], "list": (1, 2)}},
        ]
        for value in values:
            with self.subTest(value=value):
                self.assertSameAsOdoo(value)

    def test_search_read_like_result(self):
        partners = self.env["res.partner"].search([], limit=20)
        rows = partners.read(
            ["name", "email", "create_date", "write_date", "active", "parent_id", "company_id"]
        )
        self.assertSameAsOdoo(rows)
        self.assertSameAsOdoo(self.env["res.partner"].fields_get(["name", "email", "active"]))

    def test_recordsets_become_ids(self):
        partners = self.env["res.partner"].search([], limit=3)
        self.assertEqual(
            self.lib.xmlrpc.dumps_response({"records": partners}, default=marshal_default),
            odoo_dumps(({"records": partners.ids},)).encode(),
        )

    def test_refusals(self):
        with self.assertRaises(TypeError) as ctx:
            self.lib.xmlrpc.dumps_response(None, default=marshal_default)
        self.assertIn("cannot marshal None unless allow_none is enabled", str(ctx.exception))
        with self.assertRaises(TypeError):
            self.lib.xmlrpc.dumps_response(2**31, default=marshal_default)
        with self.assertRaises(TypeError):
            self.lib.xmlrpc.dumps_response(object(), default=marshal_default)

    def test_faults(self):
        for code, message in (
            (1, "boom"),
            (403, "Access denied by MCP for model 'x' method 'y'."),
            (2, "é <&>"),
        ):
            expected = odoo_dumps(xmlrpc.client.Fault(code, message)).encode()
            self.assertEqual(self.lib.xmlrpc.dumps_fault(code, message), expected)
