"""OAuth 2.1 for ``/mcp``: discovery, registration, the authorization code flow with PKCE and the
consent page, tokens, rotation, revocation, and where a token is (not) accepted. Every refusal has a
legitimate neighbour that passes."""

import base64
import hashlib
import json
import re
import secrets
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .. import compat
from ..models import mcp_oauth_fetch
from .common import PASSWORD
from .mirror_common import MirrorCase

REDIRECT = "http://127.0.0.1:33418/callback"
CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')
FETCH = "odoo.addons.mcp_server.models.mcp_oauth_fetch.fetch_client_metadata"
QUIET = ("odoo.addons.mcp_server.models.mcp_oauth_server", "odoo.http")


def with_params(path, params):
    """``path?params`` (18.0's ``url_open`` takes no ``params``)."""
    return f"{path}?{urlencode(params)}" if params else path


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OAuthCase(MirrorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.icp.set_param("mcp_server.oauth_enabled", "True")
        cls.base = cls.icp.get_param("web.base.url").rstrip("/")
        cls.resource = f"{cls.base}/mcp"
        cls.client = (
            cls.env["mcp.oauth.client"]
            .sudo()
            .create(
                {
                    "name": "Test Client",
                    "client_id": "test-client",
                    "redirect_uris": f"{REDIRECT}\nhttps://app.example/cb",
                }
            )
        )
        cls.partner = cls.env["res.partner"].create({"name": "OAuth partner"})

    # -- HTTP helpers ----------------------------------------------------------------------
    def db_headers(self, **extra):
        return {"X-Odoo-Database": self.env.cr.dbname, **extra}

    def get(self, path, params=None):
        return self.url_open(with_params(path, params), headers=self.db_headers(), allow_redirects=False)

    def post_form(self, path, data, headers=None):
        return self.url_open(
            path, data=data, headers=self.db_headers(**(headers or {})), allow_redirects=False
        )

    def authorize_params(self, challenge, **overrides):
        params = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st-123",
            "scope": "mcp:read mcp:write",
            "resource": self.resource,
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def consent_page(self, params, login="mcp_tester"):
        self.authenticate(login, PASSWORD)
        return self.url_open(with_params("/mcp/oauth/authorize", params), allow_redirects=False)

    def consent(self, params, access="read", models=(), decision="allow", login="mcp_tester"):
        """Sign in, open the consent page and answer it: the 303 response."""
        page = self.consent_page(params, login)
        self.assertEqual(page.status_code, 200, page.text)
        csrf = CSRF_RE.search(page.text).group(1)
        form = {**params, "csrf_token": csrf, "access": access, "decision": decision}
        if models:
            form["models"] = list(models)
        return self.url_open("/mcp/oauth/authorize", data=form, allow_redirects=False)

    def redirected(self, response, to=REDIRECT):
        self.assertEqual(response.status_code, 303, response.text)
        location = response.headers["Location"]
        self.assertTrue(location.startswith(to + "?"), location)
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def get_code(self, access="read", models=(), **overrides):
        verifier, challenge = pkce()
        params = self.authorize_params(challenge, **overrides)
        answer = self.redirected(self.consent(params, access, models))
        self.assertEqual(answer["state"], "st-123")
        self.assertEqual(answer["iss"], self.base)
        return answer["code"], verifier

    def token(self, **form):
        return self.post_form("/mcp/oauth/token", form)

    def exchange(self, code, verifier, client_id=None, **extra):
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id or self.client.client_id,
            "code_verifier": verifier,
            "resource": self.resource,
            **extra,
        }
        return self.token(**{k: v for k, v in form.items() if v is not None})

    def tokens(self, access="read", models=()):
        code, verifier = self.get_code(access, models)
        response = self.exchange(code, verifier)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def assertOAuthError(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"], error, response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        return response.json()

    def mcp(self, token, method="tools/list", params=None):
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        headers = self.db_headers(
            **{
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-11-25",
            }
        )
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.url_open("/mcp", data=json.dumps(body), headers=headers)

    def assertMcpOk(self, token, method="tools/list", params=None):
        response = self.mcp(token, method, params)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertNotIn("error", body, body)
        return body["result"]

    def assertMcp401(self, token):
        response = self.mcp(token)
        self.assertEqual(response.status_code, 401, response.text)
        return response

    def call_tool(self, token, name, arguments):
        """The answer of a tool call: ``True`` when it ran, ``False`` when it was refused."""
        response = self.mcp(token, "tools/call", {"name": name, "arguments": arguments})
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        return "error" not in body and not body["result"].get("isError")

    def new_session(self):
        """Forget the signed-in session (the next request is anonymous)."""
        self.opener.cookies.clear()


@tagged("post_install", "-at_install")
class TestOAuthDiscovery(OAuthCase):
    def test_metadata_documents(self):
        for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
            response = self.get(path)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.headers["Access-Control-Allow-Origin"], "*")
            self.assertEqual(response.headers["Cache-Control"], "no-store")
            self.assertEqual(
                response.json(),
                {
                    "resource": self.resource,
                    "authorization_servers": [self.base],
                    "scopes_supported": ["mcp:read", "mcp:write"],
                    "bearer_methods_supported": ["header"],
                    "resource_name": "Odoo MCP Server",
                },
            )
        for path in (
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server/mcp",
            "/.well-known/openid-configuration",
        ):
            document = self.get(path).json()
            self.assertEqual(document["issuer"], self.base)
            self.assertEqual(document["authorization_endpoint"], f"{self.base}/mcp/oauth/authorize")
            self.assertEqual(document["token_endpoint"], f"{self.base}/mcp/oauth/token")
            self.assertEqual(document["registration_endpoint"], f"{self.base}/mcp/oauth/register")
            self.assertEqual(document["revocation_endpoint"], f"{self.base}/mcp/oauth/revoke")
            self.assertEqual(document["code_challenge_methods_supported"], ["S256"])
            self.assertEqual(document["response_types_supported"], ["code"])
            self.assertEqual(document["grant_types_supported"], ["authorization_code", "refresh_token"])
            self.assertEqual(document["scopes_supported"], ["mcp:read", "mcp:write"])
            self.assertIs(document["authorization_response_iss_parameter_supported"], True)
            self.assertIs(document["client_id_metadata_document_supported"], True)
            self.assertIn("client_secret_basic", document["token_endpoint_auth_methods_supported"])
        self.icp.set_param("mcp_server.oauth_registration", "False")
        self.icp.set_param("mcp_server.oauth_metadata_documents", "False")
        document = self.get("/.well-known/oauth-authorization-server").json()
        self.assertNotIn("registration_endpoint", document)
        self.assertIs(document["client_id_metadata_document_supported"], False)

    def test_preflight(self):
        for path in ("/.well-known/oauth-authorization-server", "/mcp/oauth/token", "/mcp/oauth/register"):
            response = self.opener.options(self.base_url() + path, headers=self.db_headers(), timeout=12)
            self.assertEqual(response.status_code, 204, path)
            self.assertEqual(response.headers["Access-Control-Allow-Origin"], "*")

    def test_401_names_the_resource_metadata(self):
        response = self.assertMcp401(None)
        self.assertEqual(
            response.headers["WWW-Authenticate"],
            f'Bearer realm="mcp", resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp", '
            'scope="mcp:read mcp:write"',
        )
        self.icp.set_param("mcp_server.oauth_enabled", "False")
        self.assertEqual(self.assertMcp401(None).headers["WWW-Authenticate"], 'Bearer realm="mcp"')

    @mute_logger(*QUIET)
    def test_off_everything_is_404_and_tokens_are_refused(self):
        access = self.tokens()["access_token"]
        self.assertMcpOk(access)
        self.icp.set_param("mcp_server.oauth_enabled", "False")
        self.new_session()
        for path in (
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server/mcp",
            "/mcp/oauth/authorize",
        ):
            response = self.get(path)
            self.assertEqual(response.status_code, 404, path)
            self.assertEqual(response.json()["error"], "not_found")
        for path in ("/mcp/oauth/token", "/mcp/oauth/register", "/mcp/oauth/revoke"):
            response = self.post_form(path, {"grant_type": "x"})
            self.assertEqual(response.status_code, 404, path)
            self.assertEqual(response.json()["error"], "not_found")
        self.assertMcp401(access)
        # static keys keep working either way
        self.assertMcpOk(self.odoo_key)
        self.assertMcpOk(self.mcp_key)
        self.icp.set_param("mcp_server.oauth_enabled", "True")
        self.assertMcpOk(access)


@tagged("post_install", "-at_install")
class TestOAuthRegistration(OAuthCase):
    def register(self, **metadata):
        return self.url_open(
            "/mcp/oauth/register",
            data=json.dumps(metadata),
            headers=self.db_headers(**{"Content-Type": "application/json"}),
        )

    def test_public_client(self):
        uris = [
            REDIRECT,
            "http://localhost:9/cb",
            "http://[::1]:8/cb",
            "cursor://anysphere.cursor/cb",
            "com.example.app:/oauth",
            "https://claude.ai/api/mcp/auth_callback",
        ]
        response = self.register(client_name="Claude", redirect_uris=uris, software_id="claude")
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        body = response.json()
        self.assertNotIn("client_secret", body)
        self.assertEqual(body["redirect_uris"], uris)
        self.assertEqual(body["token_endpoint_auth_method"], "none")
        self.assertIsInstance(body["client_id_issued_at"], int)
        client = self.env["mcp.oauth.client"].sudo().search([("client_id", "=", body["client_id"])])
        self.assertEqual((client.name, client.kind, client.software_id), ("Claude", "registered", "claude"))
        # the registered client completes the flow
        self.client = client
        self.assertMcpOk(self.tokens()["access_token"])

    def test_redirect_uri_rules(self):
        for uri in (
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "http://example.com/cb",
            "http://127.0.0.1.evil.example/cb",
            "https://app.example/cb#frag",
            "myapp:/cb",
            "https:///nohost",
            "/relative",
            "",
        ):
            with self.subTest(uri=uri):
                self.assertOAuthError(self.register(redirect_uris=[uri]), 400, "invalid_redirect_uri")
        self.assertOAuthError(self.register(client_name="x"), 400, "invalid_redirect_uri")
        self.assertOAuthError(
            self.register(redirect_uris=[REDIRECT], token_endpoint_auth_method="private_key_jwt"),
            400,
            "invalid_client_metadata",
        )
        self.assertOAuthError(
            self.register(redirect_uris=[REDIRECT], grant_types=["client_credentials"]),
            400,
            "invalid_client_metadata",
        )
        self.assertOAuthError(
            self.register(redirect_uris=[REDIRECT], scope="mcp:read admin"), 400, "invalid_client_metadata"
        )
        self.assertEqual(self.register(redirect_uris=[REDIRECT], scope="mcp:read").status_code, 201)
        self.assertOAuthError(
            self.register(redirect_uris=[REDIRECT], client_uri="javascript:alert(1)"),
            400,
            "invalid_client_metadata",
        )
        # what the MCP Python SDK sends
        sdk = {
            "redirect_uris": ["http://localhost:3030/callback"],
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "mcp:read mcp:write",
            "client_name": "SDK client",
            "client_uri": "http://localhost:3030",
            "application_type": "native",
        }
        response = self.register(**sdk)
        self.assertEqual(response.status_code, 201, response.text)
        self.assertTrue(response.json()["client_secret"])

    def test_registration_limits(self):
        unused = self.env["mcp.oauth.client"].sudo().search_count([("kind", "=", "registered")])
        with patch("odoo.addons.mcp_server.models.mcp_oauth_server.MAX_UNUSED_CLIENTS", unused + 1):
            self.assertEqual(self.register(redirect_uris=[REDIRECT]).status_code, 201)
            self.assertOAuthError(self.register(redirect_uris=[REDIRECT]), 503, "temporarily_unavailable")
        self.env["mcp.rate.state"]._mcp_store().execute("DELETE FROM mcp_rate_state")
        for _i in range(20):
            self.assertEqual(self.register(redirect_uris=[REDIRECT]).status_code, 201)
        attempts = (self.register(redirect_uris=[REDIRECT]) for _i in range(10))
        response = next((r for r in attempts if r.status_code == 429), None)
        self.assertIsNotNone(response, "no 429 after the limit's share")
        self.assertIn("Retry-After", response.headers)

    def test_registration_switch(self):
        self.icp.set_param("mcp_server.oauth_registration", "False")
        response = self.register(redirect_uris=[REDIRECT])
        self.assertEqual(response.status_code, 404, response.text)
        self.icp.set_param("mcp_server.oauth_registration", "True")
        self.assertEqual(self.register(redirect_uris=[REDIRECT]).status_code, 201)

    @mute_logger(*QUIET)
    def test_confidential_client(self):
        response = self.register(redirect_uris=[REDIRECT], token_endpoint_auth_method="client_secret_basic")
        self.assertEqual(response.status_code, 201, response.text)
        body = response.json()
        secret = body["client_secret"]
        self.assertEqual(body["client_secret_expires_at"], 0)
        self.client = self.env["mcp.oauth.client"].sudo().search([("client_id", "=", body["client_id"])])
        # only a hash is stored
        self.env.cr.execute("SELECT secret_hash FROM mcp_oauth_client WHERE id = %s", [self.client.id])
        self.assertNotIn(secret, self.env.cr.fetchone()[0])
        code, verifier = self.get_code()
        # without its secret, or with a wrong one: invalid_client
        self.assertOAuthError(self.exchange(code, verifier), 401, "invalid_client")
        wrong = base64.b64encode(f"{body['client_id']}:nope".encode()).decode()
        response = self.post_form(
            "/mcp/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            headers={"Authorization": f"Basic {wrong}"},
        )
        self.assertOAuthError(response, 401, "invalid_client")
        self.assertIn("Basic", response.headers["WWW-Authenticate"])
        right = base64.b64encode(f"{body['client_id']}:{secret}".encode()).decode()
        response = self.post_form(
            "/mcp/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            headers={"Authorization": f"Basic {right}"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertMcpOk(response.json()["access_token"])
        # client_secret_post works too
        refreshed = self.token(
            grant_type="refresh_token",
            refresh_token=response.json()["refresh_token"],
            client_id=body["client_id"],
            client_secret=secret,
        )
        self.assertEqual(refreshed.status_code, 200, refreshed.text)


@tagged("post_install", "-at_install")
class TestOAuthAuthorize(OAuthCase):
    def test_login_first(self):
        _verifier, challenge = pkce()
        response = self.get("/mcp/oauth/authorize", params=self.authorize_params(challenge))
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].startswith("/web/login?redirect="), response.headers)

    def test_consent_page(self):
        _verifier, challenge = pkce()
        page = self.consent_page(self.authorize_params(challenge))
        self.assertEqual(page.status_code, 200, page.text)
        self.assertIn('id="mcp_oauth_consent"', page.text)
        self.assertEqual(page.headers["X-Frame-Options"], "DENY")
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        self.assertIn("Test Client", page.text)
        self.assertIn("127.0.0.1", page.text)
        self.assertIn('value="write"', page.text)  # mcp_tester may write partners
        self.assertIn('name="models" value="res.partner"', page.text)
        self.assertIn('name="models" value="res.country"', page.text)
        # read only asked: no write choice
        page = self.consent_page(self.authorize_params(challenge, scope="mcp:read"))
        self.assertNotIn('value="write"', page.text)
        # a user who may write nothing through MCP gets no write choice either
        page = self.consent_page(self.authorize_params(challenge), login="mcp_other")
        self.assertEqual(page.status_code, 200, page.text)
        self.assertNotIn('value="write"', page.text)

    def test_untrusted_client_or_redirect_is_an_error_page(self):
        _verifier, challenge = pkce()
        self.authenticate("mcp_tester", PASSWORD)
        for overrides in (
            {"client_id": "nobody"},
            {"client_id": None},
            {"redirect_uri": None},
            {"redirect_uri": "http://127.0.0.1:33418/other"},
            {"redirect_uri": REDIRECT + "/"},
            {"redirect_uri": "https://evil.example/cb"},
        ):
            with self.subTest(**{k: str(v) for k, v in overrides.items()}):
                response = self.url_open(
                    with_params("/mcp/oauth/authorize", self.authorize_params(challenge, **overrides)),
                    allow_redirects=False,
                )
                self.assertEqual(response.status_code, 400, response.text)
                self.assertNotIn("Location", response.headers)
                self.assertIn("mcp_oauth_error", response.text)
        self.client.action_revoke()
        response = self.url_open(
            with_params("/mcp/oauth/authorize", self.authorize_params(challenge)), allow_redirects=False
        )
        self.assertEqual(response.status_code, 400, response.text)
        # the neighbour: the second registered redirect URI, exactly, is fine
        self.client.active = True
        response = self.url_open(
            with_params(
                "/mcp/oauth/authorize",
                self.authorize_params(challenge, redirect_uri="https://app.example/cb"),
            ),
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_other_errors_go_back_to_the_client(self):
        _verifier, challenge = pkce()
        self.authenticate("mcp_tester", PASSWORD)
        for overrides, error in (
            ({"code_challenge": None}, "invalid_request"),
            ({"code_challenge_method": "plain"}, "invalid_request"),
            ({"code_challenge_method": None}, "invalid_request"),
            ({"code_challenge": "short"}, "invalid_request"),
            ({"resource": None}, "invalid_target"),
            ({"resource": "https://other.example/mcp"}, "invalid_target"),
            ({"resource": f"{self.base}/mcp/other"}, "invalid_target"),
            ({"scope": "mcp:admin"}, "invalid_scope"),
            ({"response_type": "token"}, "unsupported_response_type"),
        ):
            with self.subTest(**{k: str(v) for k, v in overrides.items()}):
                response = self.url_open(
                    with_params("/mcp/oauth/authorize", self.authorize_params(challenge, **overrides)),
                    allow_redirects=False,
                )
                answer = self.redirected(response)
                self.assertEqual(answer["error"], error)
                self.assertEqual(answer["state"], "st-123")
                self.assertEqual(answer["iss"], self.base)
                self.assertNotIn("code", answer)
        # a trailing slash on the resource is tolerated
        response = self.url_open(
            with_params(
                "/mcp/oauth/authorize", self.authorize_params(challenge, resource=self.resource + "/")
            ),
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_deny_and_non_mcp_user(self):
        _verifier, challenge = pkce()
        answer = self.redirected(self.consent(self.authorize_params(challenge), decision="deny"))
        self.assertEqual(answer["error"], "access_denied")
        self.assertEqual(answer["state"], "st-123")
        self.assertFalse(self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)]))
        self.authenticate("plain_tester", PASSWORD)
        response = self.url_open(
            with_params("/mcp/oauth/authorize", self.authorize_params(challenge)), allow_redirects=False
        )
        self.assertEqual(self.redirected(response)["error"], "access_denied")

    @mute_logger(*QUIET)
    def test_scope_no_wider_than_the_users_rights(self):
        _verifier, challenge = pkce()
        # write when only read was asked
        answer = self.redirected(self.consent(self.authorize_params(challenge, scope="mcp:read"), "write"))
        self.assertEqual(answer["error"], "invalid_scope")
        # write for a user who may write nothing
        answer = self.redirected(self.consent(self.authorize_params(challenge), "write", login="mcp_other"))
        self.assertEqual(answer["error"], "invalid_scope")
        # a model that is not enabled
        answer = self.redirected(self.consent(self.authorize_params(challenge), "read", ["res.bank"]))
        self.assertEqual(answer["error"], "invalid_scope")
        self.assertFalse(self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)]))
        # the neighbours
        self.assertIn("code", self.redirected(self.consent(self.authorize_params(challenge), "write")))
        self.assertIn(
            "code", self.redirected(self.consent(self.authorize_params(challenge), "read", ["res.country"]))
        )
        grants = self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)])
        self.assertEqual(sorted(grants.mapped(lambda g: g.scope or "")), ["", "res.country:R"])

    def test_csrf_is_required(self):
        _verifier, challenge = pkce()
        self.authenticate("mcp_tester", PASSWORD)
        form = {**self.authorize_params(challenge), "access": "read", "decision": "allow"}
        with mute_logger("odoo.http"):
            response = self.url_open("/mcp/oauth/authorize", data=form, allow_redirects=False)
        self.assertNotEqual(response.status_code, 303, response.text)
        self.assertFalse(self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)]))


@tagged("post_install", "-at_install")
class TestOAuthTokens(OAuthCase):
    def test_read_grant_works_on_mcp_with_its_scope(self):
        answer = self.tokens("read")
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertEqual(answer["expires_in"], 3600)
        self.assertEqual(answer["scope"], "mcp:read")
        self.assertTrue(answer["access_token"].startswith("mcpat_"))
        self.assertTrue(answer["refresh_token"].startswith("mcprt_"))
        access = answer["access_token"]
        self.assertTrue(
            self.call_tool(
                access,
                "search_records",
                {"model": "res.partner", "domain": [["id", "=", self.partner.id]], "fields": ["name"]},
            )
        )
        # read only: a write is refused by the gate
        self.assertFalse(
            self.call_tool(
                access,
                "update_record",
                {"model": "res.partner", "record_id": self.partner.id, "values": {"name": "X"}},
            )
        )
        self.assertEqual(self.partner.name, "OAuth partner")
        # the grant records its last use
        grant = self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)])
        grant.invalidate_recordset(["last_used"])
        self.assertTrue(grant.last_used)
        # the audit rows name the user and the client
        rows = self.logs(endpoint="/mcp", oauth_client_id=self.client.id)
        self.assertTrue(rows)
        self.assertEqual(rows.user_id, self.mcp_user)
        # only hashes are stored, and no token reaches the log
        self.env.cr.execute("SELECT token_hash FROM mcp_oauth_token")
        hashes = {row[0] for row in self.env.cr.fetchall()}
        self.assertIn(hashlib.sha256(access.encode()).hexdigest(), hashes)
        self.assertNotIn(access, hashes)
        logged = " ".join(
            str(v) for row in self.env["mcp.log"].sudo().search([]).read() for v in row.values()
        )
        self.assertNotIn(access, logged)

    def test_write_grant_and_model_subset(self):
        access = self.tokens("write")["access_token"]
        self.assertTrue(
            self.call_tool(
                access,
                "update_record",
                {"model": "res.partner", "record_id": self.partner.id, "values": {"name": "Renamed"}},
            )
        )
        self.assertEqual(self.partner.name, "Renamed")
        self.assertEqual(self.partner.write_uid, self.mcp_user)
        # the chatter says through which client
        self.assertTrue(
            self.call_tool(access, "create_record", {"model": "res.partner", "values": {"name": "Via OAuth"}})
        )
        created = self.env["res.partner"].search([("name", "=", "Via OAuth")])
        self.env.invalidate_all()
        bodies = [str(m.body) for m in created.message_ids]
        self.assertTrue(any("via MCP (OAuth client “Test Client”" in b for b in bodies), bodies)
        access = self.tokens("read", ["res.country"])["access_token"]
        self.assertFalse(
            self.call_tool(access, "search_records", {"model": "res.partner", "domain": [], "limit": 1})
        )
        self.assertTrue(
            self.call_tool(access, "search_records", {"model": "res.country", "domain": [], "limit": 1})
        )

    @mute_logger(*QUIET)
    def test_code_exchange_refusals(self):
        # refused before the code is looked at: the code stays usable
        code, verifier = self.get_code()
        for form, status, error in (
            ({"code_verifier": None}, 400, "invalid_request"),
            ({"code_verifier": "short"}, 400, "invalid_request"),
            ({"client_id": "nobody"}, 401, "invalid_client"),
            ({"code": "mcpoc_" + "x" * 43}, 400, "invalid_grant"),
            ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ):
            with self.subTest(**{k: str(v)[:10] for k, v in form.items()}):
                given = {"code": code, **form}
                self.assertOAuthError(self.exchange(given.pop("code"), verifier, **given), status, error)
        self.assertEqual(self.exchange(code, verifier).status_code, 200)
        # refused once the code is found: each spends its code (it may be an attacker's try)
        other_verifier, _challenge = pkce()
        for form, error in (
            ({"code_verifier": other_verifier}, "invalid_grant"),
            ({"redirect_uri": "https://app.example/cb"}, "invalid_grant"),
            ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ):
            with self.subTest(**{k: str(v)[:10] for k, v in form.items()}):
                code, verifier = self.get_code()
                self.assertOAuthError(self.exchange(code, verifier, **form), 400, error)
                self.assertOAuthError(self.exchange(code, verifier), 400, "invalid_grant")

    @mute_logger(*QUIET)
    def test_code_issued_to_another_client(self):
        other = (
            self.env["mcp.oauth.client"]
            .sudo()
            .create({"name": "Other", "client_id": "other-client", "redirect_uris": REDIRECT})
        )
        code, verifier = self.get_code()
        self.assertOAuthError(self.exchange(code, verifier, client_id=other.client_id), 400, "invalid_grant")

    @mute_logger(*QUIET)
    def test_expired_code(self):
        code, verifier = self.get_code()
        token = self.env["mcp.oauth.token"]._find(code)
        token.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertOAuthError(self.exchange(code, verifier), 400, "invalid_grant")
        code, verifier = self.get_code()
        self.assertEqual(self.exchange(code, verifier).status_code, 200)

    @mute_logger(*QUIET)
    def test_reused_code_revokes_what_it_issued(self):
        code, verifier = self.get_code()
        first = self.exchange(code, verifier)
        self.assertEqual(first.status_code, 200, first.text)
        access = first.json()["access_token"]
        self.assertMcpOk(access)
        self.assertOAuthError(self.exchange(code, verifier), 400, "invalid_grant")
        self.assertMcp401(access)
        refused = self.token(
            grant_type="refresh_token",
            refresh_token=first.json()["refresh_token"],
            client_id=self.client.client_id,
        )
        self.assertOAuthError(refused, 400, "invalid_grant")

    @mute_logger(*QUIET)
    def test_refresh_rotation_and_reuse(self):
        answer = self.tokens("write")
        first_access, first_refresh = answer["access_token"], answer["refresh_token"]
        rotated = self.token(
            grant_type="refresh_token",
            refresh_token=first_refresh,
            client_id=self.client.client_id,
            resource=self.resource,
        )
        self.assertEqual(rotated.status_code, 200, rotated.text)
        second = rotated.json()
        self.assertNotEqual(second["refresh_token"], first_refresh)
        self.assertEqual(second["scope"], "mcp:read mcp:write")
        self.assertMcpOk(second["access_token"])
        self.assertMcpOk(first_access)  # rotation does not revoke live access tokens
        # the spent refresh token presented again: the whole family is revoked
        reused = self.token(
            grant_type="refresh_token", refresh_token=first_refresh, client_id=self.client.client_id
        )
        self.assertOAuthError(reused, 400, "invalid_grant")
        self.assertMcp401(second["access_token"])
        self.assertMcp401(first_access)
        again = self.token(
            grant_type="refresh_token", refresh_token=second["refresh_token"], client_id=self.client.client_id
        )
        self.assertOAuthError(again, 400, "invalid_grant")

    @mute_logger(*QUIET)
    def test_refresh_narrows_only(self):
        answer = self.tokens("write")
        wider = self.token(
            grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
            client_id=self.client.client_id,
            scope="mcp:read mcp:admin",
        )
        self.assertOAuthError(wider, 400, "invalid_scope")
        answer = self.tokens("write")
        narrowed = self.token(
            grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
            client_id=self.client.client_id,
            scope="mcp:read",
        )
        self.assertEqual(narrowed.status_code, 200, narrowed.text)
        self.assertEqual(narrowed.json()["scope"], "mcp:read")
        access = narrowed.json()["access_token"]
        self.assertFalse(
            self.call_tool(
                access,
                "update_record",
                {"model": "res.partner", "record_id": self.partner.id, "values": {"name": "X"}},
            )
        )
        wider = self.token(
            grant_type="refresh_token",
            refresh_token=narrowed.json()["refresh_token"],
            client_id=self.client.client_id,
            scope="mcp:read mcp:write",
        )
        self.assertOAuthError(wider, 400, "invalid_scope")

    @mute_logger(*QUIET)
    def test_revoked_grant_client_and_user(self):
        access = self.tokens()["access_token"]
        self.assertMcpOk(access)
        grant = self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)])
        grant.with_user(self.mcp_user).action_revoke()
        self.assertMcp401(access)
        access = self.tokens()["access_token"]
        self.assertMcpOk(access)
        self.client.action_revoke()
        self.assertMcp401(access)
        self.client.active = True
        self.assertMcpOk(access)
        # a user who left MCP: 403 at the gate, no new tokens
        answer = self.tokens()
        self.mcp_user.write({compat.USER_GROUPS: [(3, self.env.ref("mcp_server.group_mcp_user").id)]})
        self.assertEqual(self.mcp(answer["access_token"]).status_code, 403)
        refused = self.token(
            grant_type="refresh_token", refresh_token=answer["refresh_token"], client_id=self.client.client_id
        )
        self.assertOAuthError(refused, 400, "invalid_grant")

    @mute_logger(*QUIET)
    def test_expired_access_token(self):
        access = self.tokens()["access_token"]
        self.env["mcp.oauth.token"]._find(access).expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.registry.clear_cache()
        self.assertMcp401(access)

    @mute_logger(*QUIET)
    def test_revocation_endpoint(self):
        answer = self.tokens()
        revoke = self.post_form(
            "/mcp/oauth/revoke", {"token": answer["access_token"], "client_id": self.client.client_id}
        )
        self.assertEqual(revoke.status_code, 200, revoke.text)
        self.assertMcp401(answer["access_token"])
        # the refresh token still works after an access token is revoked
        rotated = self.token(
            grant_type="refresh_token", refresh_token=answer["refresh_token"], client_id=self.client.client_id
        )
        self.assertEqual(rotated.status_code, 200, rotated.text)
        second = rotated.json()
        # revoking a refresh token revokes the grant
        revoke = self.post_form(
            "/mcp/oauth/revoke",
            {
                "token": second["refresh_token"],
                "token_type_hint": "refresh_token",
                "client_id": self.client.client_id,
            },
        )
        self.assertEqual(revoke.status_code, 200, revoke.text)
        self.assertMcp401(second["access_token"])
        # an unknown token: 200 as well; no token: invalid_request; an unknown client: invalid_client
        self.assertEqual(
            self.post_form(
                "/mcp/oauth/revoke", {"token": "nope", "client_id": self.client.client_id}
            ).status_code,
            200,
        )
        self.assertOAuthError(
            self.post_form("/mcp/oauth/revoke", {"client_id": self.client.client_id}), 400, "invalid_request"
        )
        self.assertOAuthError(
            self.post_form("/mcp/oauth/revoke", {"token": "x", "client_id": "nobody"}), 401, "invalid_client"
        )

    @mute_logger(*QUIET)
    def test_another_clients_token_is_not_revoked(self):
        other = (
            self.env["mcp.oauth.client"]
            .sudo()
            .create({"name": "Other", "client_id": "other-client", "redirect_uris": REDIRECT})
        )
        answer = self.tokens()
        revoke = self.post_form(
            "/mcp/oauth/revoke", {"token": answer["access_token"], "client_id": other.client_id}
        )
        self.assertEqual(revoke.status_code, 200)
        self.assertMcpOk(answer["access_token"])

    def test_tools_follow_the_grant(self):
        read = {t["name"] for t in self.assertMcpOk(self.tokens("read")["access_token"])["tools"]}
        write = {t["name"] for t in self.assertMcpOk(self.tokens("write")["access_token"])["tools"]}
        self.assertIn("search_records", read)
        self.assertNotIn("update_record", read)
        self.assertIn("update_record", write)

    def test_rate_limit_counts_the_user_and_the_grant(self):
        access = self.tokens()["access_token"]
        self.icp.set_param("mcp_server.request_limit", "10")
        for _i in range(10):
            self.assertMcpOk(access)
        response = self.mcp(access)
        self.assertEqual(response.status_code, 429, response.text)
        self.assertIn("Retry-After", response.headers)
        grant = self.env["mcp.oauth.grant"].sudo().search([("client_id", "=", self.client.id)])
        store = self.env["mcp.rate.state"]._mcp_store()
        keys = {row[0] for row in store.execute("SELECT key FROM mcp_rate_state", [])}
        self.assertIn(f"g:{grant.id}/10", keys)
        self.assertIn(f"u:{self.mcp_user.id}/10", keys)
        # the user's other credentials share the user's limit
        self.assertEqual(self.mcp(self.odoo_key).status_code, 429)

    @mute_logger(*QUIET)
    def test_token_rate_limit(self):
        def attempt():
            return self.token(
                grant_type="refresh_token", refresh_token="nope", client_id=self.client.client_id
            )

        # the limit's share is answered (a refused grant, not a rate refusal), then 429 (the share
        # refills by one a second: a few more requests reach the refusal however slow the run)
        self.assertEqual({attempt().status_code for _i in range(60)}, {400})
        response = next((r for r in (attempt() for _i in range(30)) if r.status_code == 429), None)
        self.assertIsNotNone(response, "no 429 after the limit's share")
        self.assertIn("Retry-After", response.headers)


@tagged("post_install", "-at_install")
class TestOAuthTokenOnlyOnMcp(OAuthCase):
    @mute_logger(
        *QUIET,
        "odoo.addons.mcp_server.controllers.json2",
        "odoo.addons.rpc.controllers.jsonrpc",
        "odoo.addons.rpc.controllers.xmlrpc",
    )
    def test_token_refused_elsewhere(self):
        access = self.tokens()["access_token"]
        db, uid = self.env.cr.dbname, self.mcp_user.id
        self.assertMcpOk(access)
        # XML-RPC under /mcp and Odoo's own
        for path in ("/mcp/xmlrpc/object", "/mcp/xmlrpc/2/object"):
            with self.subTest(path=path), self.assertFault(3):
                self.xmlrpc_at(path, "execute_kw", db, uid, access, "res.partner", "search_count", [[]])
        self.assertIs(
            self.xmlrpc_at("/mcp/xmlrpc/common", "authenticate", db, "mcp_tester", access, {}), False
        )
        # JSON-RPC under /mcp
        body = self.jsonrpc_call("object", "execute_kw", db, uid, access, "res.partner", "search_count", [[]])
        self.assertIn("error", body)
        # JSON-2 under /mcp and Odoo's own (19.0)
        response = self.json2("res.partner", "search_count", {"domain": []}, key=access)
        self.assertEqual(response.status_code, 401, response.text)
        if compat.HAS_ODOO_JSON2:
            response = self.json2("res.partner", "search_count", {"domain": []}, key=access, path_prefix="")
            self.assertEqual(response.status_code, 401, response.text)
        # REST
        self.assertEqual(self.rest("/mcp/auth/validate", key=access).status_code, 401)
        # the web client: a bearer token is no session
        self.new_session()
        response = self.url_open(
            "/web/session/get_session_info",
            data=json.dumps({"jsonrpc": "2.0", "params": {}}),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {access}"},
        )
        self.assertFalse(response.json().get("result", {}).get("uid"), response.text)
        # the gate: a key check never takes a token, even one already verified by /mcp
        gateway = self.env["mcp.gateway"].sudo()
        self.assertIsNone(gateway._mcp_check_key(access))
        self.assertIsNotNone(gateway._mcp_check_token(access))
        self.assertIsNone(gateway._mcp_check_token(self.mcp_key))
        # the neighbour: the user's key works on each of them
        self.assertEqual(
            self.xmlrpc_at(
                "/mcp/xmlrpc/object",
                "execute_kw",
                db,
                uid,
                self.odoo_key,
                "res.partner",
                "search_count",
                [[]],
            ),
            self.env["res.partner"].with_user(self.mcp_user).search_count([]),
        )


@tagged("post_install", "-at_install")
class TestOAuthMetadataDocuments(OAuthCase):
    URL = "https://client.example/oauth/client.json"

    def document(self, **overrides):
        document = {"client_id": self.URL, "client_name": "Doc Client", "redirect_uris": [REDIRECT]}
        document.update(overrides)
        return document

    def test_metadata_client_flow(self):
        self.client = self.env["mcp.oauth.client"].browse()
        with patch(FETCH, return_value=self.document()) as fetch:
            verifier, challenge = pkce()
            params = self.authorize_params(challenge, client_id=self.URL)
            answer = self.redirected(self.consent(params))
            fetch.assert_called_once()
            self.assertEqual(fetch.call_args.args[0], self.URL)
        client = self.env["mcp.oauth.client"].sudo().search([("client_id", "=", self.URL)])
        self.assertEqual(
            (client.kind, client.name, client.token_endpoint_auth_method), ("metadata", "Doc Client", "none")
        )
        response = self.exchange(answer["code"], verifier, client_id=self.URL)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertMcpOk(response.json()["access_token"])
        page = self.consent_page(params)
        self.assertIn('class="mcp_oauth_client_host">client.example<', page.text)
        # a fresh document is not fetched again; a stale one is
        with patch(FETCH, return_value=self.document(client_name="Renamed")) as fetch:
            self.assertEqual(self.consent_page(params).status_code, 200)
            fetch.assert_not_called()
            client.metadata_fetched_at = fields.Datetime.now() - timedelta(hours=25)
            self.assertEqual(self.consent_page(params).status_code, 200)
            fetch.assert_called_once()
        self.assertEqual(client.name, "Renamed")

    @mute_logger(*QUIET)
    def test_bad_documents_are_refused(self):
        _verifier, challenge = pkce()
        params = self.authorize_params(challenge, client_id=self.URL)
        for document in (
            self.document(client_id="https://other.example/client.json"),
            self.document(redirect_uris=["http://evil.example/cb"]),
            self.document(redirect_uris=[]),
            self.document(token_endpoint_auth_method="client_secret_post"),
        ):
            with self.subTest(document=document), patch(FETCH, return_value=document):
                page = self.consent_page(params)
                self.assertEqual(page.status_code, 400, page.text)
                self.assertNotIn("Location", page.headers)
        with patch(FETCH, side_effect=ValueError("the host resolves to a private address")):
            page = self.consent_page(params)
            self.assertEqual(page.status_code, 400, page.text)
            self.assertIn("private address", page.text)
        self.assertFalse(self.env["mcp.oauth.client"].sudo().search([("client_id", "=", self.URL)]))
        # switched off: not even fetched
        self.icp.set_param("mcp_server.oauth_metadata_documents", "False")
        with patch(FETCH, return_value=self.document()) as fetch:
            self.assertEqual(self.consent_page(params).status_code, 400)
            fetch.assert_not_called()

    def test_real_fetcher_refuses_private_addresses(self):
        for url in (
            "https://127.0.0.1/client.json",
            "https://10.0.0.1/c",
            "https://localhost/c",
            "https://[::1]/c",
            "https://169.254.169.254/latest",
        ):
            with self.subTest(url=url), self.assertRaises(ValueError):
                mcp_oauth_fetch.fetch_client_metadata(url, timeout=1.0)
        with self.assertRaises(ValueError):
            mcp_oauth_fetch.fetch_client_metadata("http://client.example/c.json")


@tagged("post_install", "-at_install")
class TestOAuthAccess(OAuthCase):
    def test_rows_and_rights(self):
        self.tokens()
        mine = self.env["mcp.oauth.grant"].with_user(self.mcp_user).search([])
        self.assertEqual(mine.user_id, self.mcp_user)
        self.assertEqual(mine.client_name, "Test Client")
        self.assertFalse(self.env["mcp.oauth.grant"].with_user(self.other_user).search([]))
        admin = new_test_user(
            self.env, login="mcp_oauth_admin", groups="base.group_user,mcp_server.group_mcp_admin"
        )
        self.assertEqual(self.env["mcp.oauth.grant"].with_user(admin).search([]), mine)
        for user in (self.mcp_user, admin):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["mcp.oauth.token"].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.env["mcp.oauth.client"].with_user(self.mcp_user).search([])
        self.assertEqual(
            self.env["mcp.oauth.client"].with_user(admin).search([("id", "=", self.client.id)]), self.client
        )
        # a user revokes their own grant, and cannot widen it
        with self.assertRaises(AccessError):
            mine.with_user(self.mcp_user).write({"scope": ""})
        mine.with_user(self.mcp_user).action_revoke()
        self.assertFalse(mine.active)

    def test_redirect_uris_are_checked_on_every_write(self):
        with self.assertRaises(ValidationError):
            self.client.redirect_uris = "javascript:alert(1)"
        with self.assertRaises(ValidationError):
            self.client.redirect_uris = " \n "
        self.client.redirect_uris = "https://app.example/other\ncom.example.app:/cb"
        self.assertTrue(self.client._has_redirect_uri("com.example.app:/cb"))

    def test_cron_cleanup(self):
        answer = self.tokens()
        stale = (
            self.env["mcp.oauth.client"]
            .sudo()
            .create({"name": "Stale", "client_id": "stale-client", "redirect_uris": REDIRECT})
        )
        self.env.cr.execute(
            "UPDATE mcp_oauth_client SET create_date = now() - interval '8 days' WHERE id IN %s",
            [(stale.id, self.client.id)],
        )
        token = self.env["mcp.oauth.token"]._find(answer["access_token"])
        token.expires_at = fields.Datetime.now() - timedelta(days=2)
        self.env["mcp.oauth.token"]._gc_mcp_oauth_tokens()
        self.env["mcp.oauth.client"]._gc_mcp_oauth_clients()
        self.assertFalse(self.env["mcp.oauth.token"]._find(answer["access_token"]))
        self.assertTrue(self.env["mcp.oauth.token"]._find(answer["refresh_token"]))
        self.assertFalse(stale.exists())
        self.assertTrue(self.client.exists())  # granted: kept
