"""HTTP/1.1 message syntax: request heads, framing headers, the request built, the answer.

Pure functions over bytes already read: :func:`parse_head` checks a request line and its
header lines (:class:`Head`), :func:`framing_headers`, :func:`host_of` and :func:`body_length`
read what frames the request, :func:`build_request` builds the :class:`httpx.Request` a client
would have built and :func:`encode_answer` the bytes of an answer. A request the server
refuses raises :class:`HttpError`. Reading and writing the socket is
:mod:`pytest_densemark.server.connection`'s job; nothing here knows a vendor.
"""

from __future__ import annotations

import http
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import httpx

from pytest_densemark.checks import status_problem
from pytest_densemark.errors import DensemarkError

__all__ = [
    "MAX_HEADERS",
    "MAX_HEAD_BYTES",
    "MAX_TARGET_BYTES",
    "TLS_HANDSHAKE",
    "Head",
    "HttpError",
    "body_length",
    "build_request",
    "connection_line",
    "encode_answer",
    "framing_headers",
    "host_of",
    "is_loopback",
    "origin_target",
    "parse_head",
    "status_line",
]

#: Largest request head (request line plus headers) accepted, in bytes.
MAX_HEAD_BYTES = 64 * 1024
#: Longest request target (path and query) accepted, in bytes.
MAX_TARGET_BYTES = 16 * 1024
#: Most header lines accepted in one request.
MAX_HEADERS = 100
#: The first byte of a TLS record carrying a handshake (a ClientHello).
TLS_HANDSHAKE = b"\x16"

_TOKEN_CHARS = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"upgrade", b"te"}
)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_STATUS_LINES: dict[int, bytes] = {}
#: Bytes that would end a header line early (header injection) or that no header may hold.
_UNSAFE_IN_HEADER = re.compile(rb"[\r\n\0]")
_UNSAFE_IN_TARGET = re.compile(rb"[\x00-\x20\x7f#]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
#: A Host value (RFC 9110 7.2, RFC 3986 3.2.2): an IP literal in brackets, or a registered
#: name or IPv4 address, then an optional port of digits.
_HOST_VALUE = re.compile(r"(?:\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::([0-9]*))?")
#: The headers the server itself reads (see :func:`framing_headers`).
_FRAMING_HEADERS = frozenset(
    {b"connection", b"content-length", b"transfer-encoding", b"expect", b"host"}
)


def status_line(status: int) -> bytes:
    """``HTTP/1.1 <status> <phrase>\\r\\n``, made once per status."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status"
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")
    return line


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpError(DensemarkError):
    """A request the server refuses before it reaches the handler (answered, never raised to
    a caller of the kit)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: bytes | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body if body is not None else (message + "\n").encode()
        self.content_type = content_type


class Head(NamedTuple):
    """A request head as read off the wire (header names and values left as bytes)."""

    method: str
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]
    #: The ``host[:port]`` of an absolute-form target (``POST http://host/path``), which
    #: RFC 9112 3.2.2 says replaces the Host header; ``None`` for the usual origin form.
    authority: bytes | None = None


def _absolute_form(target: bytes) -> tuple[bytes, bytes]:
    """Split an absolute-form request target into its authority and its origin-form target.

    RFC 9112 3.2.2: a server must accept ``http://host:port/path?query`` (what a client
    talking to a proxy sends); the path defaults to ``/``.
    """
    scheme, sep, rest = target.partition(b"://")
    if not sep or scheme.lower() not in (b"http", b"https"):
        raise HttpError(400, "request target must be a path starting with / or an http URL")
    cut = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    if not authority or b"@" in authority or _UNSAFE_IN_TARGET.search(authority):
        raise HttpError(400, "malformed authority in absolute-form request target")
    if not path.startswith(b"/"):
        path = b"/" + path
    return authority, path


def parse_head(head: bytes) -> Head:
    """The request line and header lines of ``head`` (without its final CRLF CRLF), checked."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise HttpError(400, "malformed request line")
    method_b, target_b, version_b = parts
    if _UNSAFE_IN_HEADER.search(lines[0]):
        raise HttpError(400, "request line holds a bare CR, LF or NUL")
    if len(target_b) > MAX_TARGET_BYTES:
        raise HttpError(414, f"request target over {MAX_TARGET_BYTES} bytes")
    if target_b == b"*" and method_b != b"OPTIONS":
        raise HttpError(400, "request target * is for OPTIONS requests only (RFC 9112 3.2.4)")
    authority: bytes | None = None
    if not target_b.startswith(b"/") and target_b != b"*":
        authority, target_b = _absolute_form(target_b)
    if method_b.translate(None, _TOKEN_CHARS):
        raise HttpError(400, "malformed method in request line")
    if version_b not in (b"HTTP/1.1", b"HTTP/1.0"):
        if version_b.startswith(b"HTTP/"):
            raise HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
        raise HttpError(400, "malformed HTTP version in request line")
    if len(lines) - 1 > MAX_HEADERS:
        raise HttpError(431, "too many header lines")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        # translate() deletes every token character: anything left is not one.
        if not sep or not name or name.translate(None, _TOKEN_CHARS):
            raise HttpError(400, "malformed header line")
        if _UNSAFE_IN_HEADER.search(value):
            raise HttpError(400, "header value holds a bare CR, LF or NUL")
        headers.append((name, value.strip(b" \t")))
    return Head(method_b.decode("latin-1"), target_b, version_b, headers, authority)


def framing_headers(headers: Sequence[tuple[bytes, bytes]]) -> dict[bytes, list[str]]:
    """The values of the headers the server itself reads, by lower-case name, in one pass."""
    found: dict[bytes, list[str]] = {}
    for name, value in headers:
        key = name.lower()
        if key in _FRAMING_HEADERS:
            found.setdefault(key, []).append(value.decode("latin-1"))
    return found


def host_of(
    version: bytes, framing: Mapping[bytes, list[str]], authority: bytes | None
) -> str | None:
    """The request's host: an absolute-form target's authority, else the one Host header.

    RFC 9112 3.2: an HTTP/1.1 request without a Host header, or any request with more than
    one, is refused with 400 (a proxy and this server could otherwise disagree on which host
    was meant).
    """
    hosts = framing.get(b"host", [])
    if len(hosts) > 1:
        raise HttpError(400, "more than one Host header")
    if not hosts and version == b"HTTP/1.1":
        raise HttpError(400, "HTTP/1.1 request without a Host header")
    host = authority.decode("latin-1") if authority is not None else hosts[0] if hosts else None
    if host is not None and not _valid_host(host):
        raise HttpError(
            400,
            f"malformed Host {host[:80]!r}: expected host[:port], a name or address and a port"
            " of 0-65535",
        )
    return host


def _valid_host(host: str) -> bool:
    """Whether ``host`` is a valid ``Host`` value (an empty one is: RFC 9110 7.2)."""
    match = _HOST_VALUE.fullmatch(host)
    if match is None:
        return False
    port = match[1]
    return not port or (len(port) <= 5 and int(port) <= 65535)


def origin_target(target: bytes) -> str:
    """The request target as text: bytes past ASCII (which a target may not hold, RFC 9112
    3.2, though clients send UTF-8 paths) percent-encoded as sent, not re-read as Latin-1."""
    if not target.isascii():
        target = _NON_ASCII.sub(lambda byte: b"%%%02X" % byte[0][0], target)
    return target.decode("ascii")


def body_length(version: bytes, framing: Mapping[bytes, list[str]]) -> int | None:
    """The body's length from ``Content-Length`` (``0`` without one), ``None`` for a chunked
    body; ``HttpError`` for framing a server must refuse (RFC 9112 6)."""
    transfer = framing.get(b"transfer-encoding")
    lengths = framing.get(b"content-length")
    if transfer and version == b"HTTP/1.0":
        # RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
        raise HttpError(400, "Transfer-Encoding is not HTTP/1.0")
    if transfer:
        if lengths:
            raise HttpError(400, "both Transfer-Encoding and Content-Length sent")
        codings = [c.strip().lower() for t in transfer for c in t.split(",")]
        if codings != ["chunked"]:
            raise HttpError(501, f"unsupported Transfer-Encoding {', '.join(codings)}")
        return None
    if not lengths:
        return 0
    values = {v.strip() for length in lengths for v in length.split(",")}
    if len(values) != 1:
        raise HttpError(400, "conflicting Content-Length values")
    text = values.pop()
    if not text.isdigit() or not text.isascii():
        raise HttpError(400, f"malformed Content-Length {text[:40]!r}")
    if len(text) > 18:  # far over any limit, and int() refuses over 4300 digits
        raise HttpError(400, f"Content-Length of {len(text)} digits")
    return int(text)


def build_request(
    method: str,
    url: httpx.URL,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    framing: Mapping[bytes, list[str]],
) -> httpx.Request:
    """The httpx.Request a client would have built: the headers as sent, the body read.

    Built from a stream rather than ``content=`` so httpx neither re-encodes every header nor
    copies the body; the headers httpx would add for ``content=`` (``Host`` when absent,
    ``Content-Length`` when neither it nor ``Transfer-Encoding`` was sent) are added the same
    way, so handlers see the same request either way.
    """
    if b"content-length" not in framing:
        if body:
            headers = [*headers, (b"Content-Length", str(len(body)).encode())]
        elif method in _BODY_METHODS and b"transfer-encoding" not in framing:
            headers = [(b"Content-Length", b"0"), *headers]
    if b"host" not in framing and url.host:
        headers = [(b"Host", url.netloc), *headers]
    request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(body))
    request.read()
    return request


def encode_answer(
    status: int,
    headers: Sequence[tuple[bytes, bytes]],
    content: bytes,
    *,
    keep_alive: bool,
    head_only: bool = False,
    http10: bool = False,
) -> bytes:
    """Status line, headers and ``content`` as one write (``HttpError`` 500 for a status or a
    header no client may be sent); hop-by-hop headers are dropped, ``Content-Length`` set, and
    the content left out of an answer to ``HEAD`` (``head_only``). A connection kept open for
    an HTTP/1.0 client (``http10``) says so: such a client otherwise takes it as closing."""
    # Head and body leave in one write (with TCP_NODELAY set, two writes would mean two
    # segments and, for small answers, a wait for the client's delayed ACK).
    if (problem := status_problem(status)) is not None:
        raise HttpError(500, f"densemark server: the handler's status: {problem}")
    parts = [status_line(status)]
    for name, value in headers:
        if _UNSAFE_IN_HEADER.search(name) or _UNSAFE_IN_HEADER.search(value):
            # The Python API and cassettes refuse such headers; this catches any handler.
            raise HttpError(
                500, f"densemark server: the handler's header {name!r:.80} holds CR, LF or NUL"
            )
        if name.lower() not in _HOP_BY_HOP:
            parts += (name, b": ", value, b"\r\n")
    parts.append(b"Content-Length: %d\r\n" % len(content))
    parts.append(connection_line(keep_alive=keep_alive, http10=http10))
    if not head_only:
        parts.append(content)
    return b"".join(parts)


def connection_line(*, keep_alive: bool, http10: bool) -> bytes:
    """The end of an answer's head: ``Connection: close``, ``Connection: keep-alive`` for an
    HTTP/1.0 client whose connection stays open (RFC 9112 9.3), else nothing."""
    if not keep_alive:
        return b"Connection: close\r\n\r\n"
    return b"Connection: keep-alive\r\n\r\n" if http10 else b"\r\n"
