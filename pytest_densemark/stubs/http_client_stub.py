"""The stub for ``http.client`` and urllib3, and so for ``urllib.request`` and requests.

A connection to a vendor host gets a stand-in socket instead of a TCP (and TLS) connection:
the library writes its request into it as it would onto the wire, and reads the controller's
answer back as a server's bytes. Everything above the socket is the library's own code: its
request encoding, response parsing, connection pool, retries (urllib3 ``Retry``, requests'
adapters) and exceptions. So injected faults surface as each library's own errors: an
injected timeout is a ``socket.timeout`` while reading the answer (requests:
``ReadTimeout``; urllib3: ``ReadTimeoutError``; ``urllib``/``http.client``:
``TimeoutError``), a dropped connection a reset while the request is sent (requests:
``ConnectionError``; urllib3: ``ProtocolError``; ``urllib``: ``URLError``; ``http.client``:
``ConnectionResetError``). Injected latency sleeps in the reading thread, and a client whose
socket timeout is shorter than the latency times out after its timeout, as it would against
the vendor.

Patched are the ``connect`` methods of ``http.client.HTTPConnection``/``HTTPSConnection`` and
of ``urllib3.connection.HTTPConnection``/``HTTPSConnection`` (urllib3 overrides ``connect``).
A connection to any other host runs the original method untouched. Proxies make no
difference: a tunnel (``CONNECT``, for https URLs) names the vendor's host in ``set_tunnel``,
and a forwarding proxy (plain-http URLs) in the request line, which the patched
``http.client.HTTPConnection.putrequest`` (urllib3's calls it too) reads before connecting;
urllib3 connects to a forwarding proxy for https URLs (``use_forwarding_for_https``) before
that, so its ``HTTPConnectionPool._make_request`` is patched to read the URL first.
The same patch gives a stand-in socket to an ``http.client`` connection subclass whose own
``connect`` replaces the base one (certificate pinning in SDK forks), before it can connect.
"""

from __future__ import annotations

import errno
import io
import socket
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

from pytest_densemark import stubs
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import LATENCY_EXTENSION, EmulatedDisconnect, EmulatedTimeout
from pytest_densemark.stubs._http1 import RequestReader, encode_response

__all__ = [
    "VendorSocket",
    "install",
    "install_urllib3",
    "install_urllib3_pool",
    "uninstall",
    "uninstall_urllib3",
    "uninstall_urllib3_pool",
]

Connect = Callable[[Any], None]
_originals: dict[tuple[type, str], Connect] = {}


class _Answer(io.RawIOBase):
    """What ``makefile("rb")`` returns: the answer's bytes, after its latency or its fault."""

    def __init__(
        self, data: bytes, error: BaseException | None, latency: float, timeout: float | None
    ) -> None:
        super().__init__()
        self._data = data
        self._error = error
        self._latency = latency
        self._timeout = timeout
        self._body: io.BufferedReader | None = None
        self._source: io.BytesIO | None = None
        self._ready: tuple[socket.socket, socket.socket] | None = None

    def _open(self) -> io.BufferedReader:
        if self._body is None:
            if self._latency:
                timeout = self._timeout
                if timeout is not None and timeout < self._latency:
                    time.sleep(timeout)
                    raise TimeoutError("timed out")
                time.sleep(self._latency)
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            # The same buffer size as http.client's reader on a real socket: what it has not
            # pulled in yet is what a real socket would still hold (see :meth:`left_on_wire`).
            self._source = io.BytesIO(self._data)
            self._body = io.BufferedReader(self._source, io.DEFAULT_BUFFER_SIZE)
        return self._body

    def left_on_wire(self) -> bool:
        """Whether part of the answer is still where a socket would hold it, unread.

        A client that hands a connection back with the answer half read (urllib3's
        ``release_conn()`` after ``read(amt)``) leaves the rest on a real socket, which polls
        as readable; urllib3 then takes the connection for dropped and opens another. What the
        reader already buffered is not on the socket any more, as with a real one.
        """
        if not self._data:
            return False
        if self._source is None:
            return not self._latency and self._error is None  # arrived, not read at all
        return self._source.tell() < len(self._data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._open().readinto(buffer)

    def read(self, size: int | None = -1) -> bytes:
        return self._open().read(size)

    def read1(self, size: int = -1) -> bytes:
        return self._open().read1(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._open().readline(size)

    def peek(self, size: int = 0) -> bytes:
        return self._open().peek(size)

    def fileno(self) -> int:
        """A descriptor that polls as readable, as a socket holding the server's answer does.

        Clients that ``select`` on a response (``HTTPResponse.fileno()``) before reading it
        would otherwise wait for bytes that are already here.
        """
        if self._ready is None:
            self._ready = socket.socketpair()
            self._ready[1].send(b"\0")
        return self._ready[0].fileno()

    def close(self) -> None:
        """Close, with the descriptor :meth:`fileno` made, if any."""
        if self._ready is not None:
            for end in self._ready:
                end.close()
            self._ready = None
        super().close()


class VendorSocket:
    """A connection to a vendor host that never leaves the process.

    ``sendall`` collects the request; once it is complete the controller answers it, and the
    next ``makefile("rb")`` reads that answer. ``fileno`` is a real (idle) descriptor so that
    pools can poll the connection: it reads as closed once the controller it was opened under
    is no longer the active one, so no pooled connection outlives its test, and as readable
    while an answer is left half read, as a socket still holding the rest of it would.
    """

    def __init__(
        self, controller: Controller, scheme: str, host: str, port: int | None, timeout: Any
    ) -> None:
        self._controller: Controller | None = controller
        self._reader = RequestReader(scheme, host, port)
        self._answers: deque[tuple[bytes, BaseException | None, float]] = deque()
        self._last: _Answer | None = None  # the answer handed out last, perhaps half read
        self._flagged = False  # whether the descriptor pair holds a "readable" byte for it
        if not isinstance(timeout, int | float | None):
            # http.client's "no timeout given" marker: the socket default applies, as it would.
            timeout = socket.getdefaulttimeout()
        self._timeout: float | None = timeout
        self._reset: OSError | None = None
        self._pair: tuple[socket.socket, socket.socket] | None = None
        self._closed = False

    # -- writing the request -----------------------------------------------------------
    def sendall(self, data: bytes, flags: int = 0) -> None:
        """Take request bytes; answer the request once all of it has arrived."""
        if self._reset is not None or self._closed:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        request = self._reader.feed(data)
        if request is not None:
            self._answer(request)

    def send(self, data: bytes, flags: int = 0) -> int:
        """Like :meth:`sendall` (everything is taken at once)."""
        self.sendall(data, flags)
        return len(data)

    def _answer(self, request: httpx.Request) -> None:
        __tracebackhide__ = True
        controller = self._controller
        if controller is None or stubs.active_controller(request.url.host) is not controller:
            raise ConnectionResetError(
                errno.ECONNRESET, "Connection reset by peer (densemark: its test has ended)"
            )
        try:
            response = controller.respond(request)
        except EmulatedTimeout as fault:
            self._answers.append((b"", TimeoutError(f"timed out ({fault})"), 0.0))
            return
        except EmulatedDisconnect as fault:
            self._reset = ConnectionResetError(
                errno.ECONNRESET, f"Connection reset by peer ({fault})"
            )
            raise self._reset from None
        latency = float(response.extensions.get(LATENCY_EXTENSION) or 0.0)
        data = encode_response(response, head_only=request.method == "HEAD")
        self._answers.append((data, None, latency))

    # -- reading the answer ------------------------------------------------------------
    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> io.RawIOBase:
        """The reader http.client parses the answer from."""
        if self._answers:
            data, error, latency = self._answers.popleft()
            self._last = _Answer(data, error, latency, self._timeout)
            return self._last
        # Nothing was asked (or the connection was reset): the server has closed it.
        return _Answer(b"", self._reset, 0.0, None)

    def recv(self, size: int, flags: int = 0) -> bytes:
        """Nothing arrives unasked on this connection; reading finds it closed."""
        return b""

    # -- the rest of the socket interface the libraries use -----------------------------
    def settimeout(self, timeout: float | None) -> None:
        """Remember the timeout: an answer slower than it times out."""
        self._timeout = timeout

    def gettimeout(self) -> float | None:
        """The socket timeout the library set."""
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        """Accepted and ignored (nothing here blocks but injected latency)."""

    def setsockopt(self, *args: Any) -> None:
        """Accepted and ignored."""

    def getsockopt(self, *args: Any) -> int:
        """Zero for every option."""
        return 0

    def outlived(self) -> bool:
        """Whether the controller this connection was opened under is no longer active."""
        controller = self._controller
        return controller is None or controller is not stubs.active_controller(self._reader.host)

    def fileno(self) -> int:
        """A descriptor to poll: readable after the connection's test, or while an answer
        is left half read (as a socket holding the rest of it); idle otherwise."""
        if self._pair is None:
            self._pair = socket.socketpair()
            self._pair[0].setblocking(False)
        owner = self._controller
        if owner is not None and owner is not stubs.active_controller(self._reader.host):
            # Readable means "the peer closed it" to urllib3's is_connected check.
            if not self._flagged:
                self._pair[1].send(b"\0")
            self._controller = None
            self._flagged = True
        elif owner is not None:
            unread = self._last is not None and self._last.left_on_wire()
            if unread and not self._flagged:
                self._pair[1].send(b"\0")
            elif self._flagged and not unread:
                self._pair[0].recv(1)
            self._flagged = unread
        return self._pair[0].fileno()

    def getpeername(self) -> tuple[str, int]:
        """A documentation address (RFC 5737): no peer exists."""
        return ("192.0.2.1", self._reader.port or 0)

    def getsockname(self) -> tuple[str, int]:
        """The loopback address: nothing left the machine."""
        return ("127.0.0.1", 0)

    def shutdown(self, how: int) -> None:
        """Accepted; :meth:`close` releases what there is."""

    def close(self) -> None:
        """Release the descriptor pair, if one was made."""
        self._closed = True
        if self._pair is not None:
            for end in self._pair:
                end.close()
            self._pair = None

    # What urllib3 and ssl-aware code ask of a TLS socket (no TLS is spoken here).
    def version(self) -> str:
        """``"TLSv1.3"``: what the vendors negotiate."""
        return "TLSv1.3"

    def cipher(self) -> tuple[str, str, int]:
        """A typical TLS 1.3 cipher suite."""
        return ("TLS_AES_128_GCM_SHA256", "TLSv1.3", 128)

    def selected_alpn_protocol(self) -> str:
        """``"http/1.1"``: the stub speaks HTTP/1.1."""
        return "http/1.1"

    def getpeercert(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """An empty certificate: none was checked, since no TLS connection was made."""
        return b"" if binary_form else {}


def _target(connection: Any) -> tuple[Any, str, int | None] | None:
    """(controller, host, port) when ``connection`` is for a vendor host during interception."""
    forward: tuple[str, int | None] | None = getattr(connection, _FORWARD, None)
    tunnel = getattr(connection, "_tunnel_host", None)
    if forward is not None:
        host, port = forward
    elif tunnel:
        host, port = tunnel, getattr(connection, "_tunnel_port", None)
    else:
        host, port = connection.host, connection.port
    controller = stubs.active_controller(host)
    if controller is None:
        return None
    return controller, host, port


# A connection to a forwarding proxy (a plain-http URL with HTTP_PROXY set) is opened to the
# proxy's host; the vendor's only shows in the request line ("POST http://vendor/... HTTP/1.1").
# The patched putrequest notes it here so that connect() opens a stand-in socket instead.
_FORWARD = "_densemark_forward"
Putrequest = Callable[..., None]
_original_putrequest: list[Putrequest] = []


def _forward_target(url: str) -> tuple[str, int | None] | None:
    """(host, port) of an absolute request URL naming a vendor host during interception."""
    if url[:7].lower() == "http://" or url[:8].lower() == "https://":
        parts = urllib.parse.urlsplit(url)
        if parts.hostname and stubs.active_controller(parts.hostname) is not None:
            return parts.hostname, parts.port
    return None


def _putrequest(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> None:
    forward = _forward_target(url)
    # Only between requests: in the middle of one, http.client's own error must come.
    idle = getattr(self, "_HTTPConnection__state", None) == "Idle"  # http.client's _CS_IDLE
    if forward != getattr(self, _FORWARD, None):
        if self.sock is not None and idle:
            # Open to the proxy, or a stand-in for another target: connect() again.
            self.close()
        setattr(self, _FORWARD, forward)
    elif isinstance(self.sock, VendorSocket) and idle and self.sock.outlived():
        # Kept open since an earlier test (a module-level connection): the vendor's server
        # would still hold it open, so connect again rather than fail this test with a reset.
        self.close()
    if self.sock is None and not hasattr(type(self).connect, "__wrapped__"):
        # A subclass with a connect() of its own (certificate pinning, say, as SDK forks do)
        # would open a real connection; http.client connects only when it has no socket.
        target = _target(self)
        if target is not None:
            controller, host, port = target
            scheme = "https" if self.default_port == 443 else "http"
            self.sock = VendorSocket(controller, scheme, host, port, self.timeout)
    _original_putrequest[0](self, method, url, *args, **kwargs)


def _patch(cls: type, scheme: str, urllib3: bool) -> None:
    key = (cls, "connect")
    if key in _originals:
        return
    original: Connect = cls.__dict__["connect"]

    def connect(self: Any) -> None:
        target = _target(self)
        if target is None:
            original(self)
            return
        controller, host, port = target
        self.sock = VendorSocket(controller, scheme, host, port, self.timeout)
        if urllib3:
            # What urllib3's own connect() leaves: through a proxy, the proxy has been reached
            # (a tunnel opened, or a forwarding proxy connected to), so an error on the
            # vendor's answer is that error, not "Unable to connect to proxy".
            self._has_connected_to_proxy = bool(getattr(self, "proxy", None))
            if scheme == "https":
                self.is_verified = True

    connect.__doc__ = original.__doc__
    connect.__wrapped__ = original  # type: ignore[attr-defined]
    _originals[key] = original
    cls.connect = connect  # type: ignore[attr-defined]


def _unpatch(classes: tuple[type, ...]) -> None:
    for cls in classes:
        original = _originals.pop((cls, "connect"), None)
        if original is not None:
            cls.connect = original  # type: ignore[attr-defined]


def install() -> None:
    """Patch ``http.client`` (idempotent)."""
    import http.client

    _patch(http.client.HTTPConnection, "http", urllib3=False)
    _patch(http.client.HTTPSConnection, "https", urllib3=False)
    if not _original_putrequest:
        _original_putrequest.append(http.client.HTTPConnection.putrequest)
        http.client.HTTPConnection.putrequest = _putrequest  # type: ignore[method-assign]


def uninstall() -> None:
    """Undo :func:`install`."""
    import http.client

    _unpatch((http.client.HTTPConnection, http.client.HTTPSConnection))
    if _original_putrequest:
        http.client.HTTPConnection.putrequest = _original_putrequest.pop()  # type: ignore[method-assign]


def install_urllib3() -> None:
    """Patch urllib3's connections (idempotent)."""
    from urllib3 import connection

    _patch(connection.HTTPConnection, "http", urllib3=True)
    _patch(connection.HTTPSConnection, "https", urllib3=True)


def uninstall_urllib3() -> None:
    """Undo :func:`install_urllib3`."""
    from urllib3 import connection

    _unpatch((connection.HTTPConnection, connection.HTTPSConnection))


# An https URL through a forwarding proxy (``ProxyManager(use_forwarding_for_https=True)``)
# is sent on a pool of connections to the proxy, which urllib3 connects (TLS to the proxy)
# before it writes the request line that names the vendor: the patched putrequest would be
# too late. The pool's _make_request, which has the URL before connecting, notes it instead.
_pool_originals: dict[type, Callable[..., Any]] = {}


def install_urllib3_pool() -> bool:
    """Patch urllib3's connection pools for forwarding proxies (idempotent).

    Returns ``False`` (nothing patched) while ``urllib3.connectionpool`` is still being
    imported and has no pool class yet: it is patched once its import ends.
    """
    import sys

    cls = getattr(sys.modules.get("urllib3.connectionpool"), "HTTPConnectionPool", None)
    if not isinstance(cls, type):
        return False
    if cls in _pool_originals:
        return True
    original: Callable[..., Any] = cls.__dict__["_make_request"]

    def _make_request(self: Any, conn: Any, method: str, url: str, *args: Any, **kw: Any) -> Any:
        if getattr(conn, "proxy", None) is not None and not getattr(conn, "_tunnel_host", None):
            forward = _forward_target(url)
            if forward != getattr(conn, _FORWARD, None):
                if conn.sock is not None:
                    conn.close()  # open to the proxy, or a stand-in for another target
                setattr(conn, _FORWARD, forward)
        return original(self, conn, method, url, *args, **kw)

    _make_request.__wrapped__ = original  # type: ignore[attr-defined]
    _pool_originals[cls] = original
    cls._make_request = _make_request  # type: ignore[attr-defined]
    return True


def uninstall_urllib3_pool() -> None:
    """Undo :func:`install_urllib3_pool`."""
    for cls, original in _pool_originals.items():
        cls._make_request = original  # type: ignore[attr-defined]
    _pool_originals.clear()
