"""A loopback HTTP/1.1 server that delivers the emulator to any client, in any language.

Clients built on ``requests``, ``urllib``, the official Tencent SDK's synchronous client or curl
never pass through httpx, so an in-process mock cannot see them. :class:`DensemarkServer` serves
an :class:`~pytest_densemark.emulator.Emulator` (or any ``handle(httpx.Request) ->
httpx.Response`` callable) on ``127.0.0.1``:

- Face++ at ``{url}/facepp/v1/face/thousandlandmark`` (:attr:`DensemarkServer.facepp_url`);
- Tencent at ``/`` with the usual ``X-TC-*`` headers; point the SDK's
  ``HttpProfile(protocol="http", endpoint=server.tencent_endpoint)`` at it;
- a small JSON control API under ``/_densemark/`` for clients outside Python (see
  :data:`CONTROL_ENDPOINTS`).

It is standard library only: one thread accepts, one thread serves each connection
(keep-alive, HTTP/1.0 and 1.1, ``Content-Length`` and chunked bodies, ``Expect:
100-continue``). Defences: it binds loopback addresses only; a body over the vendor's limit is
refused from its headers (Face++: ``413`` in plain text; Tencent: ``RequestSizeLimitExceeded``)
without being buffered; malformed requests get ``400``; a client that stalls is cut off after
``request_timeout`` (mid-request) or ``idle_timeout`` (between requests); at most
``max_connections`` are served at once. :meth:`DensemarkServer.stop` closes every socket and
joins every thread it started.

Emulated faults are delivered for real: latency sleeps before the answer, a timeout holds the
connection without answering until the client gives up, a disconnect resets the connection
(a TCP RST: the client's next read fails with ``ECONNRESET``).
"""

from __future__ import annotations

import base64
import contextlib
import http
import ipaddress
import json
import os
import re
import select
import selectors
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import httpx

from pytest_densemark import facepp, payloads, tencent
from pytest_densemark._resources import data_dir
from pytest_densemark.cassettes import Cassette, Interaction
from pytest_densemark.checks import (
    MAX_DELAY_SECONDS,
    check_delay,
    delay_problem,
    header_problem,
    status_problem,
)
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import Call, EmulatedDisconnect, EmulatedTimeout, Emulator
from pytest_densemark.faces import Face
from pytest_densemark.tls import ServerTLS

__all__ = [
    "CONTROL_ENDPOINTS",
    "CONTROL_PREFIX",
    "DensemarkServer",
    "Handler",
]

#: What the server serves: the emulator's ``handle`` or any callable of the same shape.
Handler = Callable[[httpx.Request], httpx.Response]

#: Path prefix reserved for the control API.
CONTROL_PREFIX = "/_densemark/"

#: The control API: ``"METHOD path"`` -> what it does (JSON in, JSON out).
CONTROL_ENDPOINTS: Mapping[str, str] = {
    "GET /_densemark/": "this index: URLs of both vendors and the endpoints below",
    "POST /_densemark/reset": (
        "forget calls, queued responses, faults, cassette, credentials, faces, URLs; Tencent"
        " answers a faceless image with the error again"
    ),
    "GET /_densemark/calls": "the call log (?vendor=facepp|tencent to filter)",
    "POST /_densemark/cassette": '{"name": NAME_OR_PATH}: answer from a cassette',
    "GET /_densemark/unplayed": "cassette interactions not played yet",
    "POST /_densemark/fault": (
        '{"type": "error", "vendor": V, "error": NAME_OR_CODE, "times": 1, "arg": null} | '
        '{"type": "latency", "seconds": S, "vendor": null, "times": null} | '
        '{"type": "timeout" | "disconnect", "vendor": null, "times": 1}'
    ),
    "POST /_densemark/queue": (
        '{"vendor": V, "body": JSON_OR_STRING, "status": 200, "headers": {}, "times": 1}'
    ),
    "POST /_densemark/credentials": (
        '{"api_key", "api_secret", "secret_id", "secret_key", "token"} (any subset)'
    ),
    "POST /_densemark/faces": (
        '{"image_sha256": HEX | "image_base64": B64, "faces": [{"left", "top", "width", '
        '"height", ...Face fields}]}'
    ),
    "POST /_densemark/url": '{"url": URL, "image_base64": B64}: what image_url/Url downloads',
    "POST /_densemark/tencent-no-face": (
        '{"answer": "error" | "empty"}: what Tencent answers for an image without a face'
    ),
}

#: Largest request head (request line plus headers) accepted, in bytes.
MAX_HEAD_BYTES = 64 * 1024
#: Longest request target (path and query) accepted, in bytes.
MAX_TARGET_BYTES = 16 * 1024
#: Most header lines accepted in one request.
MAX_HEADERS = 100
#: Largest control-API body, in bytes (it may carry an image, base64-encoded).
MAX_CONTROL_BYTES = 16 * 1024 * 1024
#: Connections admitted past ``max_connections`` for the control API alone, so that
#: ``/_densemark/reset`` and friends answer even while vendor clients fill every slot.
CONTROL_CONNECTIONS = 8
#: How long such a control-only connection may wait for its request, in seconds.
_CONTROL_IDLE_SECONDS = 2.0
#: How long a refused body is drained (and discarded) so the client can read the refusal.
_LINGER_SECONDS = 2.0
_RECV_SIZE = 256 * 1024
#: The first byte of a TLS record carrying a handshake (a ClientHello).
_TLS_HANDSHAKE = b"\x16"
_TLS_PORT_MESSAGE = (
    "densemark server: plain HTTP arrived on a TLS port; use https:// and trust the server's"
    " CA bundle (DensemarkServer.ca_bundle, printed by densemark serve --tls)"
)
_PLAIN_PORT_MESSAGE = (
    "densemark server: a TLS handshake arrived on a plain-HTTP port; use http:// or start"
    " the server with TLS (DensemarkServer(tls=True), densemark serve --tls)"
)

_TOKEN_CHARS = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te"}
)
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in _HOP_BY_HOP)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Request URLs parsed so far, by (Host header, target): httpx.URL is immutable and parsing
#: one costs more than the rest of a request's framing, while a client sends few distinct ones.
_URL_CACHE_SIZE = 256
_STATUS_LINES: dict[int, bytes] = {}
#: Bytes that would end a header line early (header injection) or that no header may hold.
_UNSAFE_IN_HEADER = re.compile(rb"[\r\n\0]")
_UNSAFE_IN_TARGET = re.compile(rb"[\x00-\x20\x7f#]")


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status"
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")
    return line


class _HttpError(Exception):
    """A request the server refuses before it reaches the handler."""

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


class _Head(NamedTuple):
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
        raise _HttpError(400, "request target must be a path starting with / or an http URL")
    cut = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    if not authority or b"@" in authority or _UNSAFE_IN_TARGET.search(authority):
        raise _HttpError(400, "malformed authority in absolute-form request target")
    if not path.startswith(b"/"):
        path = b"/" + path
    return authority, path


class _ClientGone(Exception):
    """The client closed the connection or stalled past its deadline."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Connection:
    """One accepted socket: buffered reads against deadlines, HTTP/1.1 framing.

    The socket stays non-blocking and every wait is one ``poll`` bounded by the deadline:
    a socket timeout would cost two mode-switching system calls per read and write, and each
    system call hands the interpreter lock to another connection's thread and back.
    """

    __slots__ = ("buf", "chunk", "control_only", "idle_timeout", "poller", "server", "sock")

    def __init__(
        self, server: DensemarkServer, sock: socket.socket, *, control_only: bool = False
    ) -> None:
        self.server = server
        self.sock = sock
        # A connection admitted past max_connections may only reach the control API, answered
        # once and closed; it may not sit idle for long either, or idle ones could fill it.
        self.control_only = control_only
        self.idle_timeout = (
            min(server.idle_timeout, _CONTROL_IDLE_SECONDS) if control_only else server.idle_timeout
        )
        self.buf = bytearray()
        # Reads land in one reused buffer (a fresh 256 KiB bytes per read would be mapped and
        # unmapped by the allocator every time).
        self.chunk = memoryview(bytearray(_RECV_SIZE))
        self.poller = select.poll() if hasattr(select, "poll") else None
        if self.poller is not None:
            self.poller.register(sock, select.POLLIN)

    def _wait(self, writing: bool, timeout: float) -> bool:
        """Whether the socket became readable (writable) within ``timeout`` seconds."""
        if self.poller is None:  # pragma: no cover - platforms without poll()
            ready = (
                select.select([], [self.sock], [], timeout)
                if writing
                else select.select([self.sock], [], [], timeout)
            )
            return bool(ready[0] or ready[1])
        if writing:
            self.poller.modify(self.sock, select.POLLOUT)
        try:
            return bool(self.poller.poll(max(1, int(timeout * 1000) + 1)))
        finally:
            if writing:
                self.poller.modify(self.sock, select.POLLIN)

    # -- reading -------------------------------------------------------------------------
    def _recv(self, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.server._stopping.is_set():
                raise _ClientGone
            try:
                # TLS: bytes already decrypted wait in the SSL object, invisible to poll.
                if not (self._pending() or self._wait(False, remaining)):
                    continue  # the deadline is checked again above
                size = self.sock.recv_into(self.chunk)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ValueError) as exc:  # reset, or the socket shut down by stop()
                raise _ClientGone from exc
            if not size:
                raise _ClientGone
            self.buf += self.chunk[:size]
            return

    def _pending(self) -> int:
        pending = getattr(self.sock, "pending", None)
        return int(pending()) if pending is not None else 0

    def read_head(self) -> _Head | None:
        """The next request's method, target, version and headers; ``None`` at a clean end."""
        server = self.server
        buf = self.buf
        # Between requests the client may take ``idle_timeout``; once it starts, the whole
        # head must arrive within ``request_timeout`` (this defeats byte-trickling clients).
        deadline = time.monotonic() + self.idle_timeout
        started = False
        while True:
            while buf[:2] == b"\r\n":  # RFC 9112 2.2: ignore empty lines before a request
                del buf[:2]
            if buf and not started:
                started = True
                deadline = time.monotonic() + server.request_timeout
                if buf[:1] == _TLS_HANDSHAKE and server.tls is None:
                    raise _HttpError(400, _PLAIN_PORT_MESSAGE)
            end = buf.find(b"\r\n\r\n")
            if end > MAX_HEAD_BYTES:
                raise _HttpError(431, "request head too large")
            if end >= 0:
                break
            if len(buf) > MAX_HEAD_BYTES:
                raise _HttpError(431, "request head too large")
            if buf.count(b"\n") != buf.count(b"\r\n"):
                # A bare-LF head would otherwise wait for a CRLF CRLF that never comes.
                raise _HttpError(400, "request head lines must end with CRLF, not a bare LF")
            try:
                self._recv(deadline)
            except _ClientGone:
                if started and buf:
                    raise
                return None
        head = bytes(buf[:end])
        del buf[: end + 4]
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise _HttpError(400, "malformed request line")
        method_b, target_b, version_b = parts
        if _UNSAFE_IN_HEADER.search(lines[0]):
            raise _HttpError(400, "request line holds a bare CR, LF or NUL")
        if len(target_b) > MAX_TARGET_BYTES:
            raise _HttpError(414, f"request target over {MAX_TARGET_BYTES} bytes")
        authority: bytes | None = None
        if not target_b.startswith(b"/") and target_b != b"*":
            authority, target_b = _absolute_form(target_b)
        if method_b.translate(None, _TOKEN_CHARS):
            raise _HttpError(400, "malformed method in request line")
        if version_b not in (b"HTTP/1.1", b"HTTP/1.0"):
            if version_b.startswith(b"HTTP/"):
                raise _HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
            raise _HttpError(400, "malformed HTTP version in request line")
        if len(lines) - 1 > MAX_HEADERS:
            raise _HttpError(431, "too many header lines")
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            # translate() deletes every token character: anything left is not one.
            if not sep or not name or name.translate(None, _TOKEN_CHARS):
                raise _HttpError(400, "malformed header line")
            if _UNSAFE_IN_HEADER.search(value):
                raise _HttpError(400, "header value holds a bare CR, LF or NUL")
            headers.append((name, value.strip(b" \t")))
        return _Head(method_b.decode("latin-1"), target_b, version_b, headers, authority)

    def read_exact(self, size: int) -> bytes:
        """``size`` body bytes, within ``request_timeout``."""
        deadline = time.monotonic() + self.server.request_timeout
        while len(self.buf) < size:
            self._recv(deadline)
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    def read_chunked(self, limit: int, too_large: Callable[[], _HttpError]) -> bytes:
        """A chunked body, refused with ``too_large`` as soon as it passes ``limit`` bytes."""
        deadline = time.monotonic() + self.server.request_timeout
        body = bytearray()
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                if len(self.buf) > 4096:
                    raise _HttpError(400, "malformed chunk size line")
                self._recv(deadline)
            # RFC 9112 7.1: chunk-size is 1*HEXDIG, optionally followed by whitespace and
            # extensions. int(x, 16) alone would also take "0x2", "+2", "0_2" and "-0".
            size_text = bytes(self.buf[:end]).split(b";", 1)[0].rstrip(b" \t")
            del self.buf[: end + 2]
            if not size_text or size_text.translate(None, _HEX_DIGITS) or len(size_text) > 16:
                raise _HttpError(400, f"malformed chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > limit:
                raise too_large()
            while len(self.buf) < size + 2:
                self._recv(deadline)
            if self.buf[size : size + 2] != b"\r\n":
                raise _HttpError(400, "chunk data not followed by CRLF")
            body += self.buf[:size]
            del self.buf[: size + 2]
        # Trailer section: header lines up to an empty line (ignored).
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                if len(self.buf) > MAX_HEAD_BYTES:
                    raise _HttpError(400, "chunked trailer too large")
                self._recv(deadline)
            line = bytes(self.buf[:end])
            del self.buf[: end + 2]
            if not line:
                return bytes(body)

    # -- writing -------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Write ``data`` whole, within ``request_timeout``."""
        deadline = time.monotonic() + self.server.request_timeout
        view = memoryview(data)
        while True:
            try:
                view = view[self.sock.send(view) :]
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except (OSError, ValueError) as exc:
                raise _ClientGone from exc
            if not view:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.server._stopping.is_set():
                raise _ClientGone
            try:
                self._wait(True, remaining)
            except (OSError, ValueError) as exc:
                raise _ClientGone from exc

    def send_error(self, error: _HttpError, *, close: bool = True) -> None:
        """Answer with a server-made refusal."""
        head = (
            _status_line(error.status)
            + f"Content-Type: {error.content_type}\r\nContent-Length: {len(error.body)}\r\n".encode(
                "latin-1"
            )
            + (b"Connection: close\r\n\r\n" if close else b"\r\n")
        )
        self.send(head + error.body)

    def linger(self) -> None:
        """Half-close, then discard what the client still sends for a moment.

        Closing a socket with unread data resets the connection, and the client may then never
        read the refusal it was sent; reading (not keeping) the rest for a short while avoids
        that without buffering the body.
        """
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + _LINGER_SECONDS
        self.buf.clear()
        try:
            while True:
                self._recv(deadline)
                self.buf.clear()
        except _ClientGone:
            pass

    def delay(self, seconds: float) -> bool:
        """Wait ``seconds`` before an answer; ``False`` as soon as the client has gone.

        Injected latency must not outlive the client: a client that gives up (closes or
        resets the connection) ends the wait at once and frees its connection slot, as does
        :meth:`DensemarkServer.stop`. What the client sends meanwhile (a pipelined request)
        is kept for the next request; past ``MAX_HEAD_BYTES`` of it the wait goes on without
        watching the socket.
        """
        deadline = time.monotonic() + seconds
        while True:
            if self.server._stopping.is_set():
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if len(self.buf) > MAX_HEAD_BYTES:
                return not self.server._stopping.wait(remaining)
            try:
                self._recv(deadline)
            except _ClientGone:
                return time.monotonic() >= deadline and not self.server._stopping.is_set()

    def hold(self) -> None:
        """Answer nothing until the client hangs up, ``hold_timeout`` passes or the server stops."""
        deadline = time.monotonic() + self.server.hold_timeout
        try:
            while True:
                self._recv(min(deadline, time.monotonic() + 0.1))
                self.buf.clear()
        except _ClientGone:
            pass
        while not self.server._stopping.is_set() and time.monotonic() < deadline:
            try:
                self._recv(min(deadline, time.monotonic() + 0.1))
            except _ClientGone:
                if self._peer_closed():
                    return
            self.buf.clear()

    def _peer_closed(self) -> bool:
        self.sock.settimeout(0)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, ValueError):  # ValueError: TLS cannot peek; keep holding
            return False
        except OSError:
            return True

    def reset(self) -> None:
        """Drop the connection with a TCP reset (what an emulated disconnect looks like).

        ``SO_LINGER`` on with a zero timeout makes ``close()`` (done by the caller) abort the
        connection: the kernel sends RST instead of FIN, and the client's next read or write
        fails with ``ECONNRESET``.
        """
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


_FRAMING_HEADERS = frozenset(
    {b"connection", b"content-length", b"transfer-encoding", b"expect", b"host"}
)


def _framing_headers(headers: Sequence[tuple[bytes, bytes]]) -> dict[bytes, list[str]]:
    """The values of the headers the server itself reads, by lower-case name, in one pass."""
    found: dict[bytes, list[str]] = {}
    for name, value in headers:
        key = name.lower()
        if key in _FRAMING_HEADERS:
            found.setdefault(key, []).append(value.decode("latin-1"))
    return found


def _host_of(
    version: bytes, framing: Mapping[bytes, list[str]], authority: bytes | None
) -> str | None:
    """The request's host: an absolute-form target's authority, else the one Host header.

    RFC 9112 3.2: an HTTP/1.1 request without a Host header, or any request with more than
    one, is refused with 400 (a proxy and this server could otherwise disagree on which host
    was meant).
    """
    hosts = framing.get(b"host", [])
    if len(hosts) > 1:
        raise _HttpError(400, "more than one Host header")
    if not hosts and version == b"HTTP/1.1":
        raise _HttpError(400, "HTTP/1.1 request without a Host header")
    if authority is not None:
        return authority.decode("latin-1")
    return hosts[0] if hosts else None


def _request(
    method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]], body: bytes
) -> httpx.Request:
    """The httpx.Request a client would have built: the headers as sent, the body read.

    Built from a stream rather than ``content=`` so httpx neither re-encodes every header nor
    copies the body; the headers httpx would add for ``content=`` (``Host`` when absent,
    ``Content-Length`` when neither it nor ``Transfer-Encoding`` was sent) are added the same
    way, so handlers see the same request either way.
    """
    names = {name.lower() for name, _ in headers}
    if b"content-length" not in names:
        if body:
            headers = [*headers, (b"Content-Length", str(len(body)).encode())]
        elif method in _BODY_METHODS and b"transfer-encoding" not in names:
            headers = [(b"Content-Length", b"0"), *headers]
    if b"host" not in names and url.host:
        headers = [(b"Host", url.netloc), *headers]
    request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(body))
    request.read()
    return request


def _handler_of(app: Emulator | Handler) -> Handler:
    """The callable that answers a request: a controller's ``respond``, an emulator's ``handle``."""
    if isinstance(app, (Emulator, Controller)):
        respond: Handler | None = getattr(app, "respond", None)
        return respond if respond is not None else app.handle
    return app


class DensemarkServer:
    """The emulator served as real HTTP/1.1 on a loopback address.

    ``app`` is what answers vendor requests: an :class:`~pytest_densemark.emulator.Emulator`
    (the default, a fresh one) or any ``handle(httpx.Request) -> httpx.Response`` callable. With
    an emulator, the server also offers its controller methods (``inject_error``,
    ``use_cassette``, ``calls``...) under the same names and the ``/_densemark/`` control API.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with DensemarkServer() as server:
            requests.post(server.facepp_url, data={...}, files={"image_file": jpeg})

    ``port=0`` picks a free port. ``idle_timeout`` bounds the wait for a keep-alive client's
    next request; ``request_timeout`` bounds reading one request and writing its answer;
    ``hold_timeout`` bounds an emulated timeout (each a finite number of seconds up to
    :data:`~pytest_densemark.checks.MAX_DELAY_SECONDS`). Past ``max_connections`` open
    connections, up to :data:`CONTROL_CONNECTIONS` more are admitted for the control API only
    (a vendor request on one gets ``503``), so ``/_densemark/reset`` answers even when vendor
    clients hold every slot; past those a new connection gets ``503`` at once.
    ``cassette_dirs`` are searched for cassettes by name before the shipped library; the
    control API loads cassettes from them, the library and an emulator's own ``search_dirs``
    only.

    The control API answers only requests whose ``Host`` is a loopback address (with this
    server's port, if any) and takes state-changing requests only as ``application/json``,
    so a web page in a browser on this machine can neither read nor change it.

    ``tls=True`` serves HTTPS with a throwaway CA (see :mod:`pytest_densemark.tls`): the
    certificate is valid for the loopback addresses and the vendor host names, and
    :attr:`ca_bundle` is the CA file a client must trust. A plain server answers a TLS
    handshake at once with a ``400`` saying so, instead of waiting for a request line.
    """

    def __init__(
        self,
        app: Emulator | Handler | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float = 30.0,
        request_timeout: float = 10.0,
        hold_timeout: float = 60.0,
        max_connections: int = 128,
        cassette_dirs: Sequence[str | os.PathLike[str]] = (),
        tls: bool = False,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(
                f"DensemarkServer host {host!r}: expected a loopback address such as 127.0.0.1 "
                "(the emulator is never exposed beyond this machine)"
            )
        self._app: Emulator | Handler = Emulator() if app is None else app
        self._handle: Handler = _handler_of(self._app)
        self._idle_app = self._app
        self._host = host
        self._requested_port = port
        self.idle_timeout = check_delay(idle_timeout, where="DensemarkServer: idle_timeout")
        self.request_timeout = check_delay(
            request_timeout, where="DensemarkServer: request_timeout"
        )
        self.hold_timeout = check_delay(hold_timeout, where="DensemarkServer: hold_timeout")
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(
                "DensemarkServer: max_connections: expected an integer >= 1,"
                f" got {max_connections!r}"
            )
        self.max_connections = max_connections
        #: Folders searched for cassettes by name before the shipped library; with the
        #: library (and a controller's own folders), the only places the control API may
        #: load a cassette from.
        self.cassette_dirs: tuple[Path, ...] = tuple(Path(d) for d in cassette_dirs)
        self._stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._control_only: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._port = 0
        self._urls: dict[tuple[str | None, str], httpx.URL] = {}
        self.tls: ServerTLS | None = None
        self._tls_context: ssl.SSLContext | None = None
        if tls:
            self.tls = ServerTLS()
            self._tls_context = self.tls.server_context()

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> DensemarkServer:
        """Bind, listen and start accepting; returns the server (chainable)."""
        if self._listener is not None:
            raise RuntimeError("DensemarkServer.start(): the server is already running")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, self._requested_port))
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"densemark-server-{self._port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, cut every open connection and join every thread; idempotent."""
        if self._listener is None:
            return
        self._stopping.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        with self._conn_lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))
        for owned in (self._listener, self._wake_r, self._wake_w):
            if owned is not None:
                owned.close()
        self._listener = self._wake_r = self._wake_w = None
        self._accept_thread = None

    def __enter__(self) -> DensemarkServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._listener is not None

    @property
    def active_connections(self) -> int:
        """How many connections are being served right now."""
        with self._conn_lock:
            return len(self._connections)

    # -- addresses -----------------------------------------------------------------------
    def _require_port(self) -> int:
        if self._listener is None:
            raise RuntimeError("DensemarkServer: call start() (or use `with`) first")
        return self._port

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._require_port()

    @property
    def host(self) -> str:
        """The loopback address the server listens on."""
        return self._host

    @property
    def tencent_endpoint(self) -> str:
        """``"127.0.0.1:PORT"``: the form ``HttpProfile(endpoint=...)`` takes."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._require_port()}"

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (``https://`` with TLS; no trailing slash)."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.tencent_endpoint}"

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file holding the CA a client must trust (``tls=True`` only)."""
        if self.tls is None:
            raise RuntimeError(
                "DensemarkServer.ca_bundle: this server speaks plain HTTP; start it with"
                " DensemarkServer(tls=True) for a CA bundle"
            )
        return str(self.tls.ca_bundle)

    @property
    def facepp_url(self) -> str:
        """The full Face++ thousandlandmark URL on this server."""
        return self.url + facepp.PATH

    @property
    def tencent_url(self) -> str:
        """The URL Tencent requests are posted to (``url`` plus ``/``)."""
        return self.url + "/"

    @property
    def app(self) -> Emulator | Handler:
        """What answers vendor requests: the emulator or the handler given."""
        return self._app

    def attach(self, app: Emulator | Handler) -> None:
        """Answer with ``app`` from now on (the fixture hands the server each test's controller).

        A controller answers through its ``respond`` method, so its record mode, cassettes
        and call log work over the server exactly as they do in-process.
        """
        self._handle = _handler_of(app)
        self._app = app

    def detach(self, app: Emulator | Handler) -> None:
        """Stop answering with ``app`` (if attached), going back to the server's own app."""
        if self._app is app:
            self._handle = _handler_of(self._idle_app)
            self._app = self._idle_app

    # -- the controller: the emulator's methods, under the same names ---------------------
    @property
    def emulator(self) -> Emulator:
        """The emulator behind the server (``TypeError`` when serving a plain handler)."""
        app = self.app
        if not isinstance(app, (Emulator, Controller)):
            raise TypeError(
                "DensemarkServer: controller methods need an Emulator; this server serves "
                f"{app!r} (pass DensemarkServer(Emulator()) or no app at all)"
            )
        return app

    def use_cassette(
        self,
        name_or_path: str | os.PathLike[str],
        *,
        search_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> Cassette:
        """Answer from a cassette (see :meth:`Emulator.use_cassette`); ``search_dirs`` are
        searched first, then :attr:`cassette_dirs`."""
        dirs = (*search_dirs, *self.cassette_dirs)
        return self.emulator.use_cassette(name_or_path, search_dirs=dirs)

    def queue_response(
        self,
        vendor: str | None,
        body: Mapping[str, Any] | str | bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``vendor`` with this body."""
        self.emulator.queue_response(vendor, body, status=status, headers=headers, times=times)

    def inject_error(
        self, vendor: str, name_or_code: str, *, times: int | None = 1, arg: str | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``vendor`` with a documented error
        (``times=None``: until :meth:`reset`)."""
        self.emulator.inject_error(vendor, name_or_code, times=times, arg=arg)

    def inject_latency(
        self, seconds: float, *, vendor: str | None = None, times: int | None = None
    ) -> None:
        """Delay the next ``times`` answers (``None``: every answer) by ``seconds``; the server
        sleeps before writing them."""
        self.emulator.inject_latency(seconds, vendor=vendor, times=times)

    def inject_timeout(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """Never answer the next ``times`` requests: the server holds the connection."""
        self.emulator.inject_timeout(vendor=vendor, times=times)

    def inject_disconnect(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """Reset the connection (a TCP RST: the client sees ``ECONNRESET``) instead of
        answering the next ``times`` requests."""
        self.emulator.inject_disconnect(vendor=vendor, times=times)

    def set_credentials(
        self,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        secret_id: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
    ) -> None:
        """Require these credentials (Tencent signatures are verified with the secret key)."""
        self.emulator.set_credentials(
            api_key=api_key,
            api_secret=api_secret,
            secret_id=secret_id,
            secret_key=secret_key,
            token=token,
        )

    def set_faces(self, image: bytes | str, faces: Sequence[Face]) -> None:
        """Say which faces an image holds: ``image`` is its bytes or its sha256 hex digest."""
        self.emulator.set_faces(image, faces)

    def set_tencent_no_face(self, answer: str) -> None:
        """Choose what Tencent answers for an image without a face: ``"error"`` (the
        ``InvalidParameterValue.NoFaceInPhoto`` envelope, the default) or ``"empty"`` (a
        success with an empty ``DenseFaceShapeSet``, as in the vendor doc's output example).
        :meth:`reset` returns to the emulator's default (see
        :meth:`Emulator.set_tencent_no_face`)."""
        self.emulator.set_tencent_no_face(answer)

    @property
    def tencent_no_face(self) -> str:
        """What Tencent answers for a faceless image now: ``"error"`` or ``"empty"``."""
        return self.emulator.tencent_no_face

    def register_url(self, url: str, image: bytes) -> None:
        """Serve ``image`` for an ``image_url``/``Url`` equal to ``url`` (never fetched)."""
        self.emulator.register_url(url, image)

    def register_face_token(self, face_token: str, face: Face | None) -> None:
        """Make a Face++ ``face_token`` known, answering with ``face`` (``None``: no face)."""
        self.emulator.register_face_token(face_token, face)

    def eject_cassette(self) -> None:
        """Stop replaying the loaded cassette."""
        self.emulator.eject_cassette()

    @property
    def cassette(self) -> Cassette | None:
        """The loaded cassette, if any."""
        return self.emulator.cassette

    @property
    def calls(self) -> list[Call]:
        """Every request answered since the last reset, oldest first (a copy)."""
        return list(self.emulator.calls)

    def calls_for(self, vendor: str) -> list[Call]:
        """The calls made to one vendor."""
        return list(self.emulator.calls_for(vendor))

    def unplayed(self) -> list[Interaction]:
        """Cassette interactions not played yet."""
        return list(self.emulator.unplayed())

    def reset(self) -> None:
        """Forget everything the emulator was told: credentials, faces, URLs, face tokens,
        faults, queued responses, the cassette, the calls and the Tencent no-face answer."""
        self.emulator.reset()

    # -- accepting -----------------------------------------------------------------------
    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake_r
        assert listener is not None
        assert wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is wake or self._stopping.is_set():
                        return
                    try:
                        sock, _addr = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        continue  # e.g. out of descriptors; keep serving the others
                    self._admit(sock)

    def _admit(self, sock: socket.socket) -> None:
        sock.setblocking(False)  # see _Connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._conn_lock:
            control_only = len(self._connections) >= self.max_connections
            busy = control_only and len(self._control_only) >= CONTROL_CONNECTIONS
            if not busy:
                thread = threading.Thread(
                    target=self._serve_connection,
                    args=(sock, control_only),
                    name=f"densemark-conn-{self._port}",
                    daemon=True,
                )
                self._connections[sock] = thread
                if control_only:
                    self._control_only.add(sock)
        if busy:
            with contextlib.suppress(OSError):
                sock.settimeout(0.5)
                body = b"densemark server: too many connections\n"
                sock.sendall(
                    _status_line(503)
                    + b"Content-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            sock.close()
            return
        thread.start()

    # -- serving -------------------------------------------------------------------------
    def _handshake(self, sock: socket.socket) -> socket.socket | None:
        """The TLS-wrapped socket (handshake done within ``request_timeout``), or ``None``."""
        assert self._tls_context is not None
        try:
            sock.settimeout(self.request_timeout)
            first = sock.recv(1, socket.MSG_PEEK)
            if first and first != _TLS_HANDSHAKE:  # plain HTTP on the TLS port: say so
                error = _HttpError(400, _TLS_PORT_MESSAGE)
                sock.sendall(
                    _status_line(400)
                    + f"Content-Type: {error.content_type}\r\nConnection: close\r\n".encode()
                    + b"Content-Length: %d\r\n\r\n" % len(error.body)
                    + error.body
                )
                sock.shutdown(socket.SHUT_WR)
                raise ConnectionAbortedError(_TLS_PORT_MESSAGE)
            wrapped = self._tls_context.wrap_socket(sock, server_side=True)
            wrapped.setblocking(False)
        except (OSError, ValueError):  # no TLS, a bad handshake, a timeout, or stop()
            with contextlib.suppress(OSError):
                sock.close()
            with self._conn_lock:
                self._connections.pop(sock, None)
            return None
        with self._conn_lock:  # stop() must shut the socket that now owns the descriptor
            thread = self._connections.pop(sock, None)
            if thread is not None:
                self._connections[wrapped] = thread
        return wrapped

    def _serve_connection(self, sock: socket.socket, control_only: bool = False) -> None:
        if self._tls_context is not None:
            wrapped = self._handshake(sock)
            if wrapped is None:
                return
            sock = wrapped
        conn = _Connection(self, sock, control_only=control_only)
        try:
            while not self._stopping.is_set():
                if not self._serve_one(conn):
                    break
        except _ClientGone:
            pass
        except Exception as exc:  # never let one connection's surprise kill its thread noisily
            with contextlib.suppress(_ClientGone):
                conn.send_error(_HttpError(500, f"densemark server: {type(exc).__name__}: {exc}"))
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._conn_lock:
                self._connections.pop(sock, None)
                self._control_only.discard(sock)

    def _serve_one(self, conn: _Connection) -> bool:
        """Serve one request; whether the connection stays open for another."""
        try:
            head = conn.read_head()
        except _HttpError as error:
            conn.send_error(error)
            conn.linger()
            return False
        if head is None:
            return False
        method, target_b, version, headers, authority = head
        target = target_b.decode("latin-1")
        framing = _framing_headers(headers)
        connection = ",".join(framing.get(b"connection", ())).lower()
        if version == b"HTTP/1.0":
            keep_alive = "keep-alive" in connection
        else:
            keep_alive = "close" not in connection
        path = target.split("?", 1)[0]
        is_control = path.startswith(CONTROL_PREFIX) or path + "/" == CONTROL_PREFIX
        try:
            host = _host_of(version, framing, authority)
            if conn.control_only:
                if not is_control:
                    raise _HttpError(503, "densemark server: too many connections")
                keep_alive = False  # free the extra slot at once
            if is_control:
                self._guard_control(method, host, headers)
            body = self._read_body(conn, version, target, framing)
        except _HttpError as error:
            conn.send_error(error)
            conn.linger()
            return False
        if is_control:
            status, payload = self._control(method, target, body)
            data = json.dumps(payload, default=str).encode()
            head_bytes = (
                _status_line(status)
                + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(data)).encode()
                + (b"\r\n\r\n" if keep_alive else b"\r\nConnection: close\r\n\r\n")
            )
            conn.send(head_bytes + data)
            return keep_alive
        if authority is not None:  # RFC 9112 3.2.2: the target's authority wins over Host
            headers = [(n, authority if n.lower() == b"host" else v) for n, v in headers]
        return self._deliver(conn, method, target, host, headers, body, keep_alive)

    @staticmethod
    def _limit_for(target: str) -> tuple[int, Callable[[], _HttpError]]:
        if target.startswith(CONTROL_PREFIX):
            return MAX_CONTROL_BYTES, _control_too_large
        if target.startswith("/facepp/"):
            return facepp.MAX_REQUEST_BYTES, _facepp_too_large
        return tencent.MAX_REQUEST_BYTES, _tencent_too_large

    def _read_body(
        self, conn: _Connection, version: bytes, target: str, framing: Mapping[bytes, list[str]]
    ) -> bytes:
        transfer = framing.get(b"transfer-encoding")
        lengths = framing.get(b"content-length")
        limit, too_large = self._limit_for(target)
        if transfer and version == b"HTTP/1.0":
            # RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            raise _HttpError(400, "Transfer-Encoding is not HTTP/1.0")
        if transfer:
            if lengths:
                raise _HttpError(400, "both Transfer-Encoding and Content-Length sent")
            codings = [c.strip().lower() for t in transfer for c in t.split(",")]
            if codings != ["chunked"]:
                raise _HttpError(501, f"unsupported Transfer-Encoding {', '.join(codings)}")
            self._continue(conn, framing)
            return conn.read_chunked(limit, too_large)
        if not lengths:
            return b""
        values = {v.strip() for length in lengths for v in length.split(",")}
        if len(values) != 1:
            raise _HttpError(400, "conflicting Content-Length values")
        text = values.pop()
        if not text.isdigit() or not text.isascii():
            raise _HttpError(400, f"malformed Content-Length {text[:40]!r}")
        if len(text) > 18:  # far over any limit, and int() refuses over 4300 digits
            raise _HttpError(400, f"Content-Length of {len(text)} digits")
        size = int(text)
        if size > limit:
            raise too_large()
        if size == 0:
            return b""
        self._continue(conn, framing)
        return conn.read_exact(size)

    @staticmethod
    def _continue(conn: _Connection, framing: Mapping[bytes, list[str]]) -> None:
        expect = framing.get(b"expect")
        if expect and expect[0].lower() == "100-continue" and not conn.buf:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _url(self, host: str | None, target: str) -> httpx.URL:
        """The request's URL (cached: httpx.URL is immutable and slow to parse)."""
        key = (host, target)
        url = self._urls.get(key)
        if url is None:
            url = httpx.URL(f"http://{host or self.tencent_endpoint}{target}")
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[key] = url
        return url

    def _deliver(
        self,
        conn: _Connection,
        method: str,
        target: str,
        host: str | None,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        keep_alive: bool,
    ) -> bool:
        try:
            request = _request(method, self._url(host, target), headers, body)
        except (httpx.InvalidURL, ValueError) as exc:
            conn.send_error(_HttpError(400, f"malformed request target or Host header: {exc}"))
            return False
        try:
            response = self._handle(request)
            content = response.read()
        except Exception as exc:
            fault = _fault_kind(exc)
            if fault == "timeout":
                conn.hold()
                return False
            if fault == "disconnect":
                conn.reset()
                return False
            message = f"densemark server: the handler failed: {type(exc).__name__}: {exc}"
            conn.send_error(_HttpError(500, message))
            return False
        latency = response.extensions.get("densemark_latency")
        if latency:
            # The emulator checks the delay; this also bounds any other handler's (NaN: none).
            seconds = float(latency)
            if seconds > 0 and not conn.delay(min(seconds, MAX_DELAY_SECONDS)):
                return False
        # Head and body leave in one write (with TCP_NODELAY set, two writes would mean two
        # segments and, for small answers, a wait for the client's delayed ACK).
        if (problem := status_problem(response.status_code)) is not None:
            conn.send_error(_HttpError(500, f"densemark server: the handler's status: {problem}"))
            return False
        parts = [_status_line(response.status_code)]
        for name, value in response.headers.raw:
            if _UNSAFE_IN_HEADER.search(name) or _UNSAFE_IN_HEADER.search(value):
                # The Python API and cassettes refuse such headers; this catches any handler.
                message = f"densemark server: the handler's header {name!r:.80} holds CR, LF or NUL"
                conn.send_error(_HttpError(500, message))
                return False
            if name.lower() not in _HOP_BY_HOP_BYTES:
                parts += (name, b": ", value, b"\r\n")
        parts.append(b"Content-Length: %d\r\n" % len(content))
        parts.append(b"\r\n" if keep_alive else b"Connection: close\r\n\r\n")
        if method != "HEAD":
            parts.append(content)
        conn.send(b"".join(parts))
        return keep_alive

    # -- control API ---------------------------------------------------------------------
    def _guard_control(
        self, method: str, host: str | None, headers: Sequence[tuple[bytes, bytes]]
    ) -> None:
        """Refuse control requests a web page could make: see :func:`_loopback_host`.

        A page on another site can make a browser send a "simple" request (``text/plain``,
        form-encoded or no ``Content-Type``) without asking first; requiring JSON makes the
        browser ask (a CORS preflight) and this server never says yes. A page reached
        through a rebound DNS name sends that name as ``Host``, which is refused.
        """
        if not _loopback_host(host, self._port):
            raise _control_refusal(
                403,
                f"Host {host!r:.80} is not this server's loopback address: expected"
                f" 127.0.0.1, localhost or [::1], optionally with :{self._port}",
            )
        if method in ("GET", "HEAD"):
            return
        types = [v for n, v in headers if n.lower() == b"content-type"]
        media = types[0].split(b";", 1)[0].strip().lower() if len(types) == 1 else b""
        if media != b"application/json":
            got = types[0].decode("latin-1")[:80] if len(types) == 1 else f"{len(types)} given"
            raise _control_refusal(
                415,
                f"{method} control requests need Content-Type: application/json (got {got!r})",
            )

    def _control(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        path, _, query = target.partition("?")
        name = path[len(CONTROL_PREFIX) :].strip("/") if path != CONTROL_PREFIX[:-1] else ""
        key = f"{method} {CONTROL_PREFIX}{name}"
        if key not in CONTROL_ENDPOINTS:
            return 404, {
                "error": f"{method} {path}: no such control endpoint",
                "endpoints": dict(CONTROL_ENDPOINTS),
            }
        if name == "":
            return 200, {
                "facepp_url": self.facepp_url,
                "tencent_endpoint": self.tencent_endpoint,
                "endpoints": dict(CONTROL_ENDPOINTS),
            }
        try:
            args = json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            return 400, {"error": f"{key}: body is not JSON ({exc})"}
        if not isinstance(args, dict):
            return 400, {"error": f"{key}: body must be a JSON object"}
        try:
            return 200, self._control_action(name, args, query)
        except _ControlError as exc:
            return 400, {"error": f"{key}: {exc}"}
        except Exception as exc:
            return 400, {"error": f"{key}: {type(exc).__name__}: {exc}"}

    def _control_action(self, name: str, args: Mapping[str, Any], query: str) -> Any:
        # Every field is checked here so a caller in another language gets an error naming
        # the field and what was expected, rather than a Python traceback.
        if name == "reset":
            _unknown(args, ())
            self.reset()
            return {"ok": True}
        if name == "calls":
            vendor = dict(parse_qsl(query)).get("vendor")
            calls = self.calls if vendor is None else self.calls_for(vendor)
            return {"calls": [_call_summary(call) for call in calls]}
        if name == "cassette":
            _unknown(args, ("name",))
            cassette_name = _field(args, "name", str)
            self._check_cassette_name(cassette_name)
            cassette = self.use_cassette(cassette_name)
            return {
                "name": cassette.name,
                "vendor": cassette.vendor,
                "interactions": len(cassette.interactions),
            }
        if name == "unplayed":
            left = self.unplayed()
            return {"unplayed": len(left), "interactions": [repr(i) for i in left]}
        if name == "fault":
            return self._control_fault(args)
        if name == "queue":
            _unknown(args, ("vendor", "body", "status", "headers", "times"))
            body = _field(args, "body", (dict, list, str))
            status = _field(args, "status", int, 200)
            if (problem := status_problem(status)) is not None:
                raise _ControlError(f"field 'status': expected {problem}")
            headers = _field(args, "headers", dict, None)
            for name, value in (headers or {}).items():
                if (problem := header_problem(name, value)) is not None:
                    raise _ControlError(f"field 'headers', header {name!r:.80}: expected {problem}")
            self.queue_response(
                _field(args, "vendor", str),
                body if isinstance(body, (dict, str)) else json.dumps(body),
                status=status,
                headers=headers,
                times=_field(args, "times", int, 1),
            )
            return {"ok": True}
        if name == "credentials":
            fields = ("api_key", "api_secret", "secret_id", "secret_key", "token")
            _unknown(args, fields)
            self.set_credentials(**{f: _field(args, f, str, None) for f in fields})
            return {"ok": True}
        if name == "faces":
            _unknown(args, ("image_sha256", "image_base64", "faces"))
            image: bytes | str
            if "image_base64" in args:
                image = _b64(_field(args, "image_base64", str), "image_base64")
            else:
                image = _field(args, "image_sha256", str)
            faces = [_face(item, index) for index, item in enumerate(_field(args, "faces", list))]
            self.set_faces(image, faces)
            return {"ok": True, "faces": len(faces)}
        if name == "tencent-no-face":
            _unknown(args, ("answer",))
            answer = _field(args, "answer", str)
            if answer not in tencent.NO_FACE_ANSWERS:
                raise _ControlError(
                    f"field 'answer': expected {' or '.join(tencent.NO_FACE_ANSWERS)},"
                    f" got {answer!r}"
                )
            self.set_tencent_no_face(answer)
            return {"ok": True, "answer": answer}
        if name == "url":
            _unknown(args, ("url", "image_base64"))
            self.register_url(
                _field(args, "url", str), _b64(_field(args, "image_base64", str), "image_base64")
            )
            return {"ok": True}
        raise _ControlError(f"no such control endpoint {name!r}")  # pragma: no cover

    def _cassette_folders(self) -> list[Path]:
        """Where cassettes are looked up by name, in order: ours, the controller's, the library."""
        folders = [*self.cassette_dirs, *getattr(self._app, "search_dirs", ())]
        with contextlib.suppress(FileNotFoundError):
            folders.append(data_dir("cassettes"))
        return [Path(folder) for folder in folders]

    def _check_cassette_name(self, name: str) -> None:
        """Refuse a control-API cassette that is a file outside the cassette folders.

        Whoever reaches the control API may name a cassette, but not make the server read an
        arbitrary file: the file :func:`~pytest_densemark.cassettes.load_cassette` would pick
        (a path as given, else NAME.json in each folder) must lie, symbolic links resolved,
        inside :attr:`cassette_dirs`, the controller's folders or the shipped library.
        """
        folders = self._cassette_folders()
        stem = name.removesuffix(".json")
        for candidate in (Path(name), *(folder / f"{stem}.json" for folder in folders)):
            try:
                if not candidate.is_file():
                    continue
                resolved = candidate.resolve()
            except (OSError, ValueError):
                continue
            if any(resolved.is_relative_to(folder.resolve()) for folder in folders):
                return
            raise _ControlError(
                f"field 'name': {name!r:.120} is a file outside the cassette folders and the"
                " shipped library; name a cassette in them (folders: "
                + ", ".join(str(folder) for folder in folders)
                + ")"
            )

    def _control_fault(self, args: Mapping[str, Any]) -> Any:
        kind = _field(args, "type", str)
        vendor = _field(args, "vendor", str, None)
        if kind == "error":
            _unknown(args, ("type", "vendor", "error", "times", "arg"))
            if vendor is None:
                raise _ControlError("missing field 'vendor' (facepp or tencent)")
            self.inject_error(
                vendor,
                _field(args, "error", str),
                times=_field(args, "times", int, 1),
                arg=_field(args, "arg", str, None),
            )
        elif kind == "latency":
            _unknown(args, ("type", "vendor", "seconds", "times"))
            seconds = _field(args, "seconds", (int, float))
            if (problem := delay_problem(seconds)) is not None:
                raise _ControlError(f"field 'seconds': expected {problem}")
            self.inject_latency(
                float(seconds), vendor=vendor, times=_field(args, "times", int, None)
            )
        elif kind in ("timeout", "disconnect"):
            _unknown(args, ("type", "vendor", "times"))
            inject = self.inject_timeout if kind == "timeout" else self.inject_disconnect
            inject(vendor=vendor, times=_field(args, "times", int, 1))
        else:
            raise _ControlError(
                f"field 'type': expected error, latency, timeout or disconnect, got {kind!r}"
            )
        return {"ok": True}


class _ControlError(Exception):
    """A control request with a missing or wrong field."""


def _field(
    args: Mapping[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...
) -> Any:
    if name not in args or args[name] is None:
        if default is ...:
            raise _ControlError(f"missing field {name!r}")
        return default
    value = args[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        expected = " or ".join(k.__name__ for k in _as_tuple(kind))
        raise _ControlError(f"field {name!r}: expected {expected}, got {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _unknown(args: Mapping[str, Any], allowed: Iterable[str]) -> None:
    extra = sorted(set(args) - set(allowed))
    if extra:
        raise _ControlError(f"unknown field(s) {', '.join(extra)}; expected {', '.join(allowed)}")


def _loopback_host(host: str | None, port: int) -> bool:
    """Whether a Host value names this server: a loopback address, with our port if any.

    ``None`` (an HTTP/1.0 request without Host, which no browser sends) passes; names other
    than ``localhost`` never do, as a DNS name could be rebound to 127.0.0.1 by its owner.
    """
    if host is None:
        return True
    name, port_text = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0 or (host[end + 1 :] and not host[end + 1 :].startswith(":")):
            return False
        name, port_text = host[1:end], host[end + 2 :]
    elif ":" in host:
        name, _, port_text = host.rpartition(":")
        if ":" in name:  # an IPv6 address without brackets is not a valid Host
            return False
    if port_text and port_text != str(port):
        return False
    return _is_loopback(name.lower())


def _control_refusal(status: int, message: str) -> _HttpError:
    body = json.dumps({"error": message}).encode()
    return _HttpError(status, message, body=body, content_type="application/json")


def _control_too_large() -> _HttpError:
    return _HttpError(413, f"control request body over {MAX_CONTROL_BYTES} bytes")


def _facepp_too_large() -> _HttpError:
    # The vendor's front end answers in plain text, before the API sees the request.
    error = facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"]
    message = error.message()
    return _HttpError(error.status, message, body=message.encode(), content_type=error.content_type)


def _tencent_too_large() -> _HttpError:
    # API 3.0 reports every error, this one included, as HTTP 200 with a JSON envelope.
    code = "RequestSizeLimitExceeded"
    body = json.dumps(payloads.tencent_error(code, request_id=str(uuid.uuid4()))).encode()
    return _HttpError(200, code, body=body, content_type=tencent.CONTENT_TYPE)


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise _ControlError(f"field {name!r}: not valid base64") from None


def _fault_kind(exc: Exception) -> str | None:
    if isinstance(exc, EmulatedTimeout):
        return "timeout"
    if isinstance(exc, EmulatedDisconnect):
        return "disconnect"
    return None


def _face(item: object, index: int) -> Face:
    if not isinstance(item, dict):
        raise _ControlError(f"faces[{index}]: expected an object with left, top, width, height")
    try:
        return Face(**item)
    except TypeError as exc:
        raise _ControlError(f"faces[{index}]: {exc}") from None


def _call_summary(call: Call) -> dict[str, Any]:
    response = call.response
    return {
        "vendor": call.vendor,
        "action": call.action,
        "version": call.version,
        "params": call.params,
        "method": call.request.method,
        "path": call.request.url.path,
        "status": None if response is None else response.status_code,
        "fault": call.fault,
    }
