"""One accepted socket: buffered reads and writes against deadlines, and the faults delivered.

:class:`Connection` reads a request head and its body (``Content-Length`` or chunked, refused
past a limit before it is buffered), writes answers and refusals, and delivers the emulated
faults for real: a delay that ends when the client gives up, a hold that answers nothing, a
disconnect that resets the connection. A client that went away or stalled is
:class:`ClientGone`. The syntax itself is :mod:`pytest_densemark.server.framing`'s.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from pytest_densemark.errors import DensemarkError
from pytest_densemark.server.framing import (
    MAX_HEAD_BYTES,
    TLS_HANDSHAKE,
    Head,
    HttpError,
    parse_head,
    status_line,
)

__all__ = ["ClientClosed", "ClientGone", "ClientStalled", "Connection", "Limits"]

#: How long a refused body is drained (and discarded) so the client can read the refusal.
_LINGER_SECONDS = 2.0
#: Longest single wait on a socket: a longer one is several, each ended to look at the stop
#: flag, so a connection whose socket stop() missed (the TLS handshake swapped it) still ends.
_MAX_WAIT_SECONDS = 0.5
_RECV_SIZE = 256 * 1024
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_PLAIN_PORT_MESSAGE = (
    "densemark server: a TLS handshake arrived on a plain-HTTP port; use http:// or start"
    " the server with TLS (DensemarkServer(tls=True), densemark serve --tls)"
)


class ClientGone(DensemarkError):
    """The client closed the connection or stalled past its deadline (never leaves the server)."""


class ClientStalled(ClientGone):
    """The deadline passed before the client sent what was awaited."""


class ClientClosed(ClientGone):
    """The client ended its side of the connection (an orderly end of stream)."""


class Limits(Protocol):
    """The server's timeouts a connection reads: ``idle_timeout`` when it opens, the others at
    each use (a change reaches open connections)."""

    idle_timeout: float
    request_timeout: float
    hold_timeout: float


class Connection:
    """One accepted socket: buffered reads against deadlines, HTTP/1.1 framing.

    The socket stays non-blocking and every wait is one ``poll`` bounded by the deadline (and
    by half a second, so the stop flag is looked at even if stop() missed the socket):
    a socket timeout would cost two mode-switching system calls per read and write, and each
    system call hands the interpreter lock to another connection's thread and back. Every
    wait also ends when ``stopping`` is set (the server is stopping).
    """

    __slots__ = (
        "buf",
        "chunk",
        "control_only",
        "idle_timeout",
        "limits",
        "poller",
        "sock",
        "stopping",
        "tls",
    )

    def __init__(
        self,
        sock: socket.socket,
        limits: Limits,
        stopping: threading.Event,
        *,
        tls: bool = False,
        control_only: bool = False,
        idle_cap: float | None = None,
    ) -> None:
        self.sock = sock
        self.limits = limits
        self.stopping = stopping
        #: Whether the socket speaks TLS (a plain one answers a ClientHello with a 400).
        self.tls = tls
        #: Whether only the control API may be reached (see ``CONTROL_CONNECTIONS``).
        self.control_only = control_only
        #: How long the client may take to start each request (at most ``idle_cap``).
        self.idle_timeout = (
            limits.idle_timeout if idle_cap is None else min(limits.idle_timeout, idle_cap)
        )
        self.buf = bytearray()
        # Reads land in one reused buffer (a fresh 256 KiB bytes per read would be mapped and
        # unmapped by the allocator every time).
        self.chunk = memoryview(bytearray(_RECV_SIZE))
        self.poller = select.poll() if hasattr(select, "poll") else None
        if self.poller is not None:
            self.poller.register(sock, select.POLLIN)

    def _wait(self, writing: bool, timeout: float) -> bool:
        """Whether the socket became readable (writable) within ``timeout`` seconds (at most
        ``_MAX_WAIT_SECONDS``: callers loop to their deadline, looking at the stop flag)."""
        if self.poller is None:  # pragma: no cover - platforms without poll()
            timeout = min(timeout, _MAX_WAIT_SECONDS)
            ready = (
                select.select([], [self.sock], [], timeout)
                if writing
                else select.select([self.sock], [], [], timeout)
            )
            return bool(ready[0] or ready[1])
        if writing:
            self.poller.modify(self.sock, select.POLLOUT)
        timeout = min(timeout, _MAX_WAIT_SECONDS)
        try:
            return bool(self.poller.poll(max(1, int(timeout * 1000) + 1)))
        finally:
            if writing:
                self.poller.modify(self.sock, select.POLLIN)

    # -- reading -------------------------------------------------------------------------
    def _recv(self, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if self.stopping.is_set():
                raise ClientGone
            if remaining <= 0:
                raise ClientStalled
            try:
                # TLS: bytes already decrypted wait in the SSL object, invisible to poll.
                if not (self._pending() or self._wait(False, remaining)):
                    continue  # the deadline is checked again above
                size = self.sock.recv_into(self.chunk)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ValueError) as exc:  # reset, or the socket shut down by stop()
                raise ClientGone from exc
            if not size:
                raise ClientClosed
            self.buf += self.chunk[:size]
            return

    def _pending(self) -> int:
        pending = getattr(self.sock, "pending", None)
        return int(pending()) if pending is not None else 0

    def read_head(self) -> Head | None:
        """The next request's method, target, version and headers; ``None`` at a clean end."""
        limits = self.limits
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
                deadline = time.monotonic() + limits.request_timeout
                if buf[:1] == TLS_HANDSHAKE and not self.tls:
                    raise HttpError(400, _PLAIN_PORT_MESSAGE)
            end = buf.find(b"\r\n\r\n")
            if end > MAX_HEAD_BYTES:
                raise HttpError(431, "request head too large")
            if end >= 0:
                break
            if len(buf) > MAX_HEAD_BYTES:
                raise HttpError(431, "request head too large")
            if buf.count(b"\n") != buf.count(b"\r\n"):
                # A bare-LF head would otherwise wait for a CRLF CRLF that never comes.
                raise HttpError(400, "request head lines must end with CRLF, not a bare LF")
            try:
                self._recv(deadline)
            except ClientGone as gone:
                if not (started and buf):
                    return None
                # A client that stalled or half-closed mid-head can still read why.
                if isinstance(gone, ClientStalled):
                    raise HttpError(408, self._stalled("request head")) from None
                if isinstance(gone, ClientClosed):
                    raise HttpError(
                        400, "the client closed its side in the middle of the request head"
                    ) from None
                raise
        head = bytes(buf[:end])
        del buf[: end + 4]
        return parse_head(head)

    def read_body(
        self,
        size: int | None,
        framing: Mapping[bytes, list[str]],
        limit: int,
        too_large: Callable[[], HttpError],
    ) -> bytes:
        """The body of ``size`` bytes (``None``: chunked, see
        :func:`~pytest_densemark.server.framing.body_length`); refused with ``too_large`` past
        ``limit`` bytes, before a byte is read when the size is known. ``100 Continue`` is sent
        first if the client asked for it."""
        if size is None:
            self._continue(framing)
            try:
                return self.read_chunked(limit, too_large)
            except ClientStalled:
                raise HttpError(408, self._stalled("chunked request body")) from None
            except ClientClosed:
                raise HttpError(
                    400, "the client closed its side in the middle of the chunked request body"
                ) from None
        if size > limit:
            raise too_large()
        if size == 0:
            return b""
        self._continue(framing)
        try:
            return self.read_exact(size)
        except ClientStalled:
            raise HttpError(
                408, self._stalled(f"request body ({len(self.buf)} of {size} bytes)")
            ) from None
        except ClientClosed:
            raise HttpError(
                400,
                f"the client closed its side after {len(self.buf)} of the {size} body bytes"
                " its Content-Length announced",
            ) from None

    def _stalled(self, what: str) -> str:
        return (
            f"{what} not received within the server's request_timeout"
            f" ({self.limits.request_timeout:g} s)"
        )

    def _continue(self, framing: Mapping[bytes, list[str]]) -> None:
        expect = framing.get(b"expect")
        if expect and expect[0].lower() == "100-continue" and not self.buf:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def read_exact(self, size: int) -> bytes:
        """``size`` body bytes, within ``request_timeout``."""
        deadline = time.monotonic() + self.limits.request_timeout
        while len(self.buf) < size:
            self._recv(deadline)
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    def read_chunked(self, limit: int, too_large: Callable[[], HttpError]) -> bytes:
        """A chunked body, refused with ``too_large`` as soon as it passes ``limit`` bytes."""
        deadline = time.monotonic() + self.limits.request_timeout
        body = bytearray()
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                if len(self.buf) > 4096:
                    raise HttpError(400, "malformed chunk size line")
                self._recv(deadline)
            # RFC 9112 7.1: chunk-size is 1*HEXDIG, optionally followed by whitespace and
            # extensions. int(x, 16) alone would also take "0x2", "+2", "0_2" and "-0".
            size_text = bytes(self.buf[:end]).split(b";", 1)[0].rstrip(b" \t")
            del self.buf[: end + 2]
            if not size_text or size_text.translate(None, _HEX_DIGITS) or len(size_text) > 16:
                raise HttpError(400, f"malformed chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > limit:
                raise too_large()
            while len(self.buf) < size + 2:
                self._recv(deadline)
            if self.buf[size : size + 2] != b"\r\n":
                raise HttpError(400, "chunk data not followed by CRLF")
            body += self.buf[:size]
            del self.buf[: size + 2]
        # Trailer section: header lines up to an empty line (ignored), as bounded as a head.
        trailer = 0
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                if len(self.buf) > MAX_HEAD_BYTES:
                    raise HttpError(431, f"chunked trailer section over {MAX_HEAD_BYTES} bytes")
                self._recv(deadline)
            trailer += end + 2
            if trailer > MAX_HEAD_BYTES:
                raise HttpError(431, f"chunked trailer section over {MAX_HEAD_BYTES} bytes")
            line = bytes(self.buf[:end])
            del self.buf[: end + 2]
            if not line:
                return bytes(body)

    # -- writing -------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Write ``data`` whole, within ``request_timeout``."""
        deadline = time.monotonic() + self.limits.request_timeout
        view = memoryview(data)
        while True:
            try:
                view = view[self.sock.send(view) :]
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except (OSError, ValueError) as exc:
                raise ClientGone from exc
            if not view:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stopping.is_set():
                raise ClientGone
            try:
                self._wait(True, remaining)
            except (OSError, ValueError) as exc:
                raise ClientGone from exc

    def send_error(self, error: HttpError, *, close: bool = True) -> None:
        """Answer with a server-made refusal."""
        head = (
            status_line(error.status)
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
        except ClientGone:
            pass

    def delay(self, seconds: float) -> bool:
        """Wait ``seconds`` before an answer; ``False`` as soon as the client has gone.

        Injected latency must not outlive the client: a client that gives up (closes or
        resets the connection) ends the wait at once and frees its connection slot, as does
        stopping the server. What the client sends meanwhile (a pipelined request) is kept
        for the next request; past ``MAX_HEAD_BYTES`` of it the wait goes on without
        watching the socket.
        """
        deadline = time.monotonic() + seconds
        while True:
            if self.stopping.is_set():
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if len(self.buf) > MAX_HEAD_BYTES:
                return not self.stopping.wait(remaining)
            try:
                self._recv(deadline)
            except ClientGone:
                return time.monotonic() >= deadline and not self.stopping.is_set()

    def hold(self) -> None:
        """Answer nothing until the client hangs up, ``hold_timeout`` passes or the server stops."""
        deadline = time.monotonic() + self.limits.hold_timeout
        try:
            while True:
                self._recv(min(deadline, time.monotonic() + 0.1))
                self.buf.clear()
        except ClientGone:
            pass
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                self._recv(min(deadline, time.monotonic() + 0.1))
            except ClientGone:
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
        """Make the coming ``close()`` (done by the caller) abort the connection with a reset.

        ``SO_LINGER`` on with a zero timeout makes the kernel send RST instead of FIN, so the
        client's next read or write fails with ``ECONNRESET`` (a clean close would read as an
        orderly, empty end of stream). Over TLS the reset comes without a ``close_notify``.
        """
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
