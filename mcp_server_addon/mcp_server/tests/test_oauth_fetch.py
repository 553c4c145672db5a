"""The Client ID Metadata Document fetch: a real HTTPS server on loopback, reached through a
resolver that vouches for it (the real resolver refuses loopback, as the refusal tests show)."""

import datetime
import http.server
import ipaddress
import os
import ssl
import tempfile
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from odoo.tests import BaseCase, tagged

from ..models import mcp_oauth_fetch as fetch

HOST = "client.example.com"
DOCUMENT = b'{"client_id": "https://client.example.com/oauth/client.json", "client_name": "Example"}'


def _certificate(names):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class _Handler(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        status, headers, body, delay = self.routes.get(self.path, (404, {}, b"", 0))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestClientMetadataFetch(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cert_pem, key_pem = _certificate([HOST])
        other_pem, other_key = _certificate(["elsewhere.example.org"])
        directory = tempfile.mkdtemp()
        cls.addClassCleanup(lambda: [os.remove(os.path.join(directory, n)) for n in os.listdir(directory)])
        paths = {}
        for label, data in (("cert", cert_pem), ("key", key_pem), ("ocert", other_pem), ("okey", other_key)):
            paths[label] = os.path.join(directory, label + ".pem")
            with open(paths[label], "wb") as handle:
                handle.write(data)
        cls.servers = {}
        for label, (cert, key) in {"good": ("cert", "key"), "wrong": ("ocert", "okey")}.items():
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server_context.load_cert_chain(paths[cert], paths[key])
            server.socket = server_context.wrap_socket(server.socket, server_side=True)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            cls.addClassCleanup(server.server_close)
            cls.addClassCleanup(server.shutdown)
            cls.servers[label] = server.server_address[1]
        cls.context = ssl.create_default_context(cafile=paths["cert"])
        cls.context.load_verify_locations(paths["ocert"])
        json_headers = {"Content-Type": "application/json", "Content-Length": str(len(DOCUMENT))}
        _Handler.routes = {
            "/oauth/client.json": (200, json_headers, DOCUMENT, 0),
            "/oauth/client.json?v=2": (200, {"Content-Type": "application/json; charset=utf-8"}, DOCUMENT, 0),
            "/moved": (302, {"Location": "https://client.example.com/oauth/client.json"}, b"", 0),
            "/big": (200, {"Content-Type": "application/json"}, b'{"a": "' + b"x" * 6000 + b'"}', 0),
            "/text": (200, {"Content-Type": "text/html"}, DOCUMENT, 0),
            "/list": (200, {"Content-Type": "application/json"}, b"[1, 2]", 0),
            "/broken": (200, {"Content-Type": "application/json"}, b'{"client_id": ', 0),
            "/slow": (200, {"Content-Type": "application/json"}, DOCUMENT, 2.0),
            "/gone": (404, {"Content-Type": "application/json"}, b"{}", 0),
        }

    def get(self, path, server="good", **kwargs):
        port = self.servers[server]
        return fetch.fetch_client_metadata(
            f"https://{HOST}:{port}{path}",
            resolve=lambda host, _port, _timeout: ["127.0.0.1"],
            context=self.context,
            **kwargs,
        )

    def assertRefused(self, message, path, **kwargs):
        with self.assertRaisesRegex(ValueError, message):
            self.get(path, **kwargs)

    # -- the fetch over real HTTPS -------------------------------------------------------
    def test_a_document_is_fetched_over_verified_tls(self):
        self.assertEqual(self.get("/oauth/client.json")["client_name"], "Example")
        self.assertEqual(
            self.get("/oauth/client.json?v=2")["client_id"], "https://client.example.com/oauth/client.json"
        )

    def test_a_certificate_for_another_name_is_refused(self):
        self.assertRefused("failed TLS verification", "/oauth/client.json", server="wrong")

    def test_redirects_are_not_followed(self):
        self.assertRefused("redirects are not followed", "/moved")

    def test_size_cap_timeout_type_and_shape(self):
        self.assertRefused("larger than 5120 bytes", "/big")
        self.assertEqual(self.get("/big", max_bytes=10_000)["a"], "x" * 6000)
        self.assertRefused("did not answer in 0.5 s", "/slow", timeout=0.5)
        self.assertRefused("not served as application/json", "/text")
        self.assertRefused("must be a JSON object", "/list")
        self.assertRefused("not valid JSON", "/broken")
        self.assertRefused("answered HTTP 404", "/gone")

    # -- what is refused before any connection ---------------------------------------------
    def test_inner_addresses_are_refused_by_the_real_resolver(self):
        for url in (
            "https://127.0.0.1/client.json",
            "https://localhost/client.json",
            "https://10.1.2.3/client.json",
            "https://192.168.0.10/client.json",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/client.json",
            "https://[::1]/client.json",
            "https://[::ffff:127.0.0.1]/client.json",
            "https://[fd00::1]/client.json",
            "https://224.0.0.1/client.json",
            "https://0.0.0.0/client.json",
        ):
            with self.subTest(url=url), self.assertRaisesRegex(ValueError, "is not a public address"):
                fetch.fetch_client_metadata(url, timeout=1.0)

    def test_public_addresses_pass_the_check(self):
        self.assertEqual(fetch.public_addresses("8.8.8.8", 443), ["8.8.8.8"])
        self.assertEqual(fetch.public_addresses("2001:4860:4860::8888", 443), ["2001:4860:4860::8888"])
        for address in ("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"):
            self.assertTrue(fetch.is_public_address(address), address)
        self.assertFalse(fetch.is_public_address("not an address"))
        self.assertTrue(ipaddress.ip_address("8.8.8.8").is_global)

    def test_the_url_must_be_an_https_url_with_a_path(self):
        for url, message in (
            ("http://client.example.com/client.json", "must use https"),
            ("https://client.example.com", "must have a path"),
            ("https://client.example.com/", "must have a path"),
            ("https://user:pw@client.example.com/client.json", "must not carry credentials"),
            ("https://client.example.com/client.json#x", "must not have a fragment"),
            ("https://client.example.com/a/../client.json", "must not have dot segments"),
            ("https:///client.json", "must name a host"),
            ("https://client.example.com:99999/client.json", "not a valid URL"),
            (None, "https URL of at most 2048"),
        ):
            with self.subTest(url=url), self.assertRaisesRegex(ValueError, message):
                fetch.check_metadata_url(url)
        self.assertEqual(
            fetch.check_metadata_url("https://client.example.com:8443/a/client.json?x=1"),
            ("client.example.com", 8443, "/a/client.json?x=1"),
        )
