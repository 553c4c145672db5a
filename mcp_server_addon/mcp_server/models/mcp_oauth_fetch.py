"""Fetching a Client ID Metadata Document: the one outbound request the OAuth server makes.

A client whose ``client_id`` is an ``https://`` URL publishes its metadata there, and the server
fetches it when the client first asks for authorization. The URL is chosen by whoever starts an
authorization, so the fetch is built to be useless as a probe of the server's own network (SSRF):

- ``https`` only, a host and a path, no credentials, no fragment, no dot segments;
- every address the host resolves to must be public (no loopback, private, link-local, shared,
  multicast or reserved address, IPv4-mapped ones included), and the connection goes to an address
  that was checked (TLS still verifies the certificate for the host's name), so a name that
  resolves differently the second time (DNS rebinding) cannot reach an inner address;
- no redirects, one overall deadline, a size cap, JSON objects only.

Every refusal is a :class:`ValueError` whose message says why, without the document's content.
"""

import http.client
import ipaddress
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

#: Largest document accepted, in bytes.
MAX_DOCUMENT_BYTES = 5 * 1024
#: Seconds the whole fetch may take (resolution, connection, TLS, headers and body).
FETCH_TIMEOUT = 5.0


def check_metadata_url(url):
    """``(host, port, path)`` of a client id that is a valid metadata document URL, or
    :class:`ValueError`."""
    if not isinstance(url, str) or len(url) > 2048:
        raise ValueError("The client id must be an https URL of at most 2048 characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise ValueError("The client id is not a valid URL.") from None
    if parts.scheme != "https":
        raise ValueError("A client metadata document URL must use https.")
    if not parts.hostname:
        raise ValueError("A client metadata document URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("A client metadata document URL must not carry credentials.")
    if parts.fragment or "#" in url:
        raise ValueError("A client metadata document URL must not have a fragment.")
    if not parts.path or parts.path == "/":
        raise ValueError("A client metadata document URL must have a path.")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise ValueError("A client metadata document URL must not have dot segments.")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def is_public_address(address):
    """Whether ``address`` (text) is an address on the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_addresses(host, port, timeout=FETCH_TIMEOUT):
    """The addresses ``host`` resolves to, when all of them are public; else :class:`ValueError`.
    (A host with one inner address among public ones is refused: which one a connection would
    use is not the client's to choose.)"""
    previous = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(timeout)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValueError(f"The client metadata host '{host}' cannot be resolved.") from None
    finally:
        socket.setdefaulttimeout(previous)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise ValueError(f"The client metadata host '{host}' cannot be resolved.")
    if not all(is_public_address(address) for address in addresses):
        raise ValueError(f"The client metadata host '{host}' is not a public address.")
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one checked address, verifying the certificate for ``host``."""

    def __init__(self, host, port, address, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ssl_context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def fetch_client_metadata(
    url, *, timeout=FETCH_TIMEOUT, max_bytes=MAX_DOCUMENT_BYTES, resolve=public_addresses, context=None
):
    """The JSON object published at ``url``, a client's id; :class:`ValueError` on any refusal.

    ``resolve(host, port, timeout)`` gives the addresses to connect to (the public ones, or a
    refusal); ``context`` is the TLS context (default: the system's trust store, hostname checked).
    The caller validates what the document says (its ``client_id``, its redirect URIs).
    """
    host, port, path = check_metadata_url(url)
    deadline = time.monotonic() + timeout
    addresses = resolve(host, port, timeout)
    context = context or ssl.create_default_context()
    last_error = None
    for address in addresses[:4]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _PinnedHTTPSConnection(host, port, address, remaining, context)
        try:
            return _read_document(connection, host, path, deadline, max_bytes)
        except (OSError, http.client.HTTPException) as exc:
            last_error = exc
        finally:
            connection.close()
    if isinstance(last_error, ssl.SSLError):
        raise ValueError(f"The client metadata host '{host}' failed TLS verification.")
    if isinstance(last_error, (TimeoutError, socket.timeout)) or last_error is None:
        raise ValueError(f"The client metadata document at '{host}' did not answer in {timeout:g} s.")
    raise ValueError(f"The client metadata document at '{host}' could not be fetched.")


def _read_document(connection, host, path, deadline, max_bytes):
    connection.request(
        "GET",
        path,
        headers={"Host": host, "Accept": "application/json", "User-Agent": "odoo-mcp-server"},
    )
    response = connection.getresponse()
    if 300 <= response.status < 400:
        raise ValueError("The client metadata document URL redirects; redirects are not followed.")
    if response.status != 200:
        raise ValueError(f"The client metadata document URL answered HTTP {response.status}.")
    content_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ValueError("The client metadata document is not served as application/json.")
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise ValueError(f"The client metadata document is larger than {max_bytes} bytes.")
    body = b""
    while len(body) <= max_bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = response.read1(max_bytes + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > max_bytes:
        raise ValueError(f"The client metadata document is larger than {max_bytes} bytes.")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("The client metadata document is not valid JSON.") from None
    if not isinstance(document, dict):
        raise ValueError("The client metadata document must be a JSON object.")
    return document
