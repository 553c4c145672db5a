from odoo import release
from odoo.tests import tagged

from .common import PASSWORD
from .mirror_common import DENIED, MirrorCase


@tagged("post_install", "-at_install")
class TestXmlRpc2(MirrorCase):
    """Odoo's own XML-RPC paths under the prefix: ``/mcp/xmlrpc/2/{common,db,object}``."""

    def test_common_and_db(self):
        db = self.env.cr.dbname
        for prefix in ("/mcp/xmlrpc/2", "/mcp//xmlrpc/2"):
            with self.subTest(prefix=prefix):
                self.assertEqual(
                    self.xmlrpc_at(f"{prefix}/common", "version")["server_version"], release.version
                )
                uid = self.xmlrpc_at(f"{prefix}/common", "authenticate", db, "mcp_tester", self.odoo_key, {})
                self.assertEqual(uid, self.mcp_user.id)
                self.assertEqual(self.xmlrpc_at(f"{prefix}/db", "server_version"), release.version)
                with self.assertFault(403):
                    self.xmlrpc_at(f"{prefix}/db", "drop", "admin", db)

    def test_execute_and_execute_kw(self):
        db, uid = self.env.cr.dbname, self.mcp_user.id
        partner = self.env["res.partner"].create({"name": "XML-RPC 2 partner"})
        for prefix in ("/mcp/xmlrpc/2", "/mcp//xmlrpc/2"):
            for secret in (PASSWORD, self.odoo_key, self.mcp_key):
                with self.subTest(prefix=prefix, secret=secret[:4]):
                    path = f"{prefix}/object"
                    rows = self.xmlrpc_at(
                        path, "execute", db, uid, secret, "res.partner", "read", [partner.id], ["name"]
                    )
                    self.assertEqual(rows, [{"id": partner.id, "name": "XML-RPC 2 partner"}])
                    rows = self.xmlrpc_at(
                        path,
                        "execute_kw",
                        db,
                        uid,
                        secret,
                        "res.partner",
                        "read",
                        [[partner.id]],
                        {"fields": ["name"]},
                    )
                    self.assertEqual(rows, [{"id": partner.id, "name": "XML-RPC 2 partner"}])
                    with self.assertFault(403, DENIED.format(self.unenabled, "search")):
                        self.xmlrpc_at(path, "execute", db, uid, secret, self.unenabled, "search", [])
        with self.assertFault(400, "Unsupported method exec. Only execute and execute_kw are allowed."):
            self.xmlrpc_at("/mcp/xmlrpc/2/object", "exec", db, uid, PASSWORD, "res.partner", "search", [])
        with self.assertFault(3, "Access Denied"):
            self.xmlrpc_at("/mcp/xmlrpc/2/object", "execute", db, uid, "wrong", "res.partner", "search", [])
        # the legacy path keeps its contract: execute_kw only
        with self.assertFault(400, "Unsupported method execute. Only execute_kw is allowed."):
            self.xmlrpc_at("/mcp//xmlrpc/object", "execute", db, uid, PASSWORD, "res.partner", "search", [])
        self.assertTrue(
            self.logs(endpoint="/mcp/xmlrpc/2/object", event_type="resource_retrieval", user_id=uid)
        )
