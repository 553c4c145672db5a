"""Helpers of the tests of Odoo's external APIs under ``/mcp`` (JSON-RPC, JSON-2, XML-RPC 2)."""

import json
import xmlrpc.client

from .. import compat
from .common import McpCase

DENIED = "Access denied by MCP for model '{}' method '{}'."
NOT_A_MEMBER = "User is not allowed to use MCP: not a member of the MCP User group."
RATE_LIMITED = "Too many requests. Rate limit exceeded."
DISABLED = "MCP Server is disabled globally."


class MirrorCase(McpCase):
    """A JSON-RPC and a JSON-2 client over ``url_open``, and an XML-RPC one for any path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a model that exists and is not enabled, for refusals
        cls.unenabled = "res.bank"

    def jsonrpc_call(self, service, method, *args, path="/mcp/jsonrpc"):
        """The whole JSON-RPC answer (HTTP 200, same id), as a dict."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 41,
            "params": {"service": service, "method": method, "args": list(args)},
        }
        response = self.url_open(
            path,
            data=json.dumps(payload),
            headers={"Content-Type": "application/json", "X-Odoo-Database": self.env.cr.dbname},
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["jsonrpc"], "2.0")
        self.assertEqual(body["id"], 41)
        return body

    def jsonrpc(self, service, method, *args, path="/mcp/jsonrpc"):
        body = self.jsonrpc_call(service, method, *args, path=path)
        self.assertNotIn("error", body, body.get("error"))
        return body.get("result")

    def assertJsonRpcError(self, body, name, message=None):
        """Odoo's JSON-RPC error shape, no traceback."""
        self.assertNotIn("result", body)
        error = body["error"]
        self.assertEqual(set(error), {"code", "message", "data"})
        self.assertEqual(set(error["data"]), {"name", "message", "arguments", "context", "debug"})
        self.assertEqual(error["data"]["name"], name, error)
        self.assertEqual(error["data"]["debug"], "")
        if name != "werkzeug.exceptions.NotFound":
            self.assertEqual(error["code"], compat.JSONRPC_ERROR_CODE)
            self.assertEqual(error["message"], "Odoo Server Error")
        if message is not None:
            self.assertEqual(error["data"]["message"], message)
        return error["data"]

    def json2(self, model, method, body=None, key=None, path_prefix="/mcp", headers=None):
        """A JSON-2 call; the response (status and body are the test's to check)."""
        all_headers = {"X-Odoo-Database": self.env.cr.dbname, "Content-Type": "application/json"}
        if key is not None:
            all_headers["Authorization"] = f"bearer {key}"
        all_headers.update(headers or {})
        return self.url_open(
            f"{path_prefix}/json/2/{model}/{method}",
            data=json.dumps(body if body is not None else {}),
            headers=all_headers,
        )

    def json2_ok(self, model, method, body=None, key=None, path_prefix="/mcp"):
        response = self.json2(model, method, body, key or self.odoo_key, path_prefix)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        return response.json()

    def assertJson2Error(self, response, status, name, message=None):
        """Odoo 19's JSON-2 error: the status and Odoo's error body, no traceback."""
        self.assertEqual(response.status_code, status, response.text)
        body = response.json()
        self.assertEqual(set(body), {"name", "message", "arguments", "context", "debug"})
        self.assertEqual(body["name"], name, body)
        self.assertEqual(body["debug"], "")
        if message is not None:
            self.assertEqual(body["message"], message)
        return body

    def xmlrpc_at(self, path, method, *params):
        """An XML-RPC call to any path: the result, or the ``Fault`` raised."""
        response = self.url_open(
            path,
            data=xmlrpc.client.dumps(params, method, allow_none=True).encode(),
            headers={"Content-Type": "text/xml", "X-Odoo-Database": self.env.cr.dbname},
        )
        self.assertEqual(response.status_code, 200, response.text)
        return xmlrpc.client.loads(response.content, use_datetime=True)[0][0]


def nan_rate(case):
    """A currency rate whose float column holds ``NaN`` (PostgreSQL allows it), on an enabled
    model, and a neighbour with a finite rate."""
    case.env["mcp.enabled.model"].create({"model_id": case.env["ir.model"]._get_id("res.currency.rate")})
    Rate = case.env["res.currency.rate"]
    currency = case.env.ref("base.EUR")
    nan, finite = Rate.create(
        [
            {"currency_id": currency.id, "name": "2001-02-03", "rate": 2.0},
            {"currency_id": currency.id, "name": "2001-02-04", "rate": 1.5},
        ]
    )
    case.env.cr.execute("UPDATE res_currency_rate SET rate = 'NaN' WHERE id = %s", [nan.id])
    Rate.invalidate_model()
    return nan, finite
