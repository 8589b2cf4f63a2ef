""":class:`DensemarkServer`: listening on loopback, one thread per connection, clean stops.

The server binds a loopback address, accepts on one thread and serves each connection on
a thread of its own (TLS handshake first with ``tls=True``) through its
:class:`~pytest_densemark.server.serving.Service`, admits a few control-only connections past
``max_connections``, and stops by closing every socket and joining every thread. It holds
what answers (the attached app) and its addresses; the controller names (the emulator's API)
are forwarded to the attached app by :func:`~pytest_densemark.delegation.forward_api`.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpx

from pytest_densemark import vendors
from pytest_densemark.checks import check_delay
from pytest_densemark.delegation import forward_api
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import control, rules
from pytest_densemark.server.connection import Connection
from pytest_densemark.server.framing import TLS_HANDSHAKE, HttpError, is_loopback, status_line
from pytest_densemark.server.serving import Handler, Service
from pytest_densemark.tls import ServerTLS

if TYPE_CHECKING:
    from pytest_densemark.cassettes import Cassette

__all__ = ["App", "DensemarkServer", "Handler", "Responder"]


class Responder(Protocol):
    """A controller that answers through ``respond`` (record mode, cassettes, call log)."""

    def respond(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, whatever delivers it."""


#: What may be attached: an emulator, a controller, or a plain handler.
App = Emulator | Responder | Handler

_TLS_PORT_MESSAGE = (
    "densemark server: plain HTTP arrived on a TLS port; use https:// and trust the server's"
    " CA bundle (DensemarkServer.ca_bundle, printed by densemark serve --tls)"
)

if TYPE_CHECKING:  # type checkers see the forwarded controller API with its signatures
    _ControllerAPI = Emulator
else:
    _ControllerAPI = object


def _controller_of(app: App) -> Any:
    """``app`` if it offers the controller API (an emulator or a controller), else ``None``."""
    if isinstance(app, Emulator) or callable(getattr(app, "respond", None)):
        return app
    return None


def _handler_of(app: App) -> Handler:
    """The callable that answers a request: a controller's ``respond``, an emulator's ``handle``."""
    respond: Handler | None = getattr(app, "respond", None)
    if respond is not None:
        return respond
    handle: Handler | None = getattr(app, "handle", None)
    if isinstance(app, Emulator) and handle is not None:
        return handle
    return app  # type: ignore[return-value]


@forward_api(Emulator, to="controller")
class DensemarkServer(_ControllerAPI):
    """The emulator served as real HTTP/1.1 on a loopback address.

    ``app`` is what answers vendor requests: an :class:`~pytest_densemark.emulator.Emulator`
    (the default, a fresh one), a :class:`~pytest_densemark.controller.Controller` or any
    ``handle(httpx.Request) -> httpx.Response`` callable. With an emulator or a controller,
    the server also offers the controller API (``inject_error``, ``use_cassette``, ``calls``...)
    under the same names, forwarded to whatever is attached at the time (:attr:`controller`;
    its instance attributes, such as ``seed``, are read and set through the server too), and
    the ``/_densemark/`` control API.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with DensemarkServer() as server:
            requests.post(server.facepp_url, data={...}, files={"image_file": jpeg})

    ``port=0`` picks a free port. ``idle_timeout`` bounds the wait for a keep-alive client's
    next request; ``request_timeout`` bounds reading one request and writing its answer;
    ``hold_timeout`` bounds an emulated timeout (each a finite number of seconds up to
    :data:`~pytest_densemark.checks.MAX_DELAY_SECONDS`). Past ``max_connections`` open
    connections, up to :data:`~pytest_densemark.server.control.CONTROL_CONNECTIONS` more are
    admitted for the control API only (a vendor request on one gets ``503``), so
    ``/_densemark/reset`` answers even when vendor clients hold every slot; past those a new
    connection gets ``503`` at once. ``cassette_dirs`` are searched for cassettes by name
    before the shipped library; the control API loads cassettes from them, the library and a
    controller's own ``search_dirs`` only.

    The control API answers only requests whose ``Host`` is a loopback address (with this
    server's port, if any) and takes state-changing requests only as ``application/json``,
    so a web page in a browser on this machine can neither read nor change it.

    ``tls=True`` serves HTTPS with a throwaway CA (see :mod:`pytest_densemark.tls`): the
    certificate is valid for the loopback addresses and the vendor host names, and
    :attr:`ca_bundle` is the CA file a client must trust. A plain server answers a TLS
    handshake at once with a ``400`` saying so, instead of waiting for a request line.
    """

    #: The controller names given forwarders (set by ``forward_api``).
    FORWARDED: ClassVar[tuple[str, ...]]
    #: Every controller name the server offers: the forwarded ones and :meth:`use_cassette`.
    FORWARDED_API: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        app: App | None = None,
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
        if not is_loopback(host):
            raise ValueError(
                f"DensemarkServer host {host!r}: expected a loopback address such as 127.0.0.1 "
                "(the emulator is never exposed beyond this machine)"
            )
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
        self.tls: ServerTLS | None = None
        self._tls_context: ssl.SSLContext | None = None
        if tls:
            self.tls = ServerTLS()
            self._tls_context = self.tls.server_context()
        self._idle_app: App = Emulator() if app is None else app
        self._service = Service(self, _handler_of(self._idle_app))
        self._attach(self._idle_app)
        self._host = host
        self._requested_port = port
        self._stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._control_only: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._port = 0

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
        self._service.port, self._service.endpoint = self._port, self.endpoint
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
    def endpoint(self) -> str:
        """``"127.0.0.1:PORT"`` (``"[::1]:PORT"``): the server's address as ``host:port``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._require_port()}"

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (``https://`` with TLS; no trailing slash)."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.endpoint}"

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file holding the CA a client must trust (``tls=True`` only)."""
        if self.tls is None:
            raise RuntimeError(
                "DensemarkServer.ca_bundle: this server speaks plain HTTP; start it with"
                " DensemarkServer(tls=True) for a CA bundle"
            )
        return str(self.tls.ca_bundle)

    def url_for(self, vendor: str) -> str:
        """The URL a vendor's API is posted to on this server: :attr:`url` plus its path."""
        return self.url + vendors.get(vendor).server.path

    def vendor_addresses(self) -> list[rules.Address]:
        """Every vendor's addresses on this server (what ``densemark serve`` prints)."""
        return rules.addresses(self.url, self.endpoint)

    @property
    def facepp_url(self) -> str:
        """The full Face++ thousandlandmark URL on this server."""
        return self.url_for("facepp")

    @property
    def tencent_url(self) -> str:
        """The URL Tencent requests are posted to (``url`` plus ``/``)."""
        return self.url_for("tencent")

    @property
    def tencent_endpoint(self) -> str:
        """``"127.0.0.1:PORT"``: the form ``HttpProfile(endpoint=...)`` takes (:attr:`endpoint`)."""
        return self.endpoint

    # -- what answers --------------------------------------------------------------------
    @property
    def app(self) -> App:
        """What answers vendor requests: the emulator, controller or handler attached."""
        return self._app

    def _attach(self, app: App) -> None:
        self._service.handle = _handler_of(app)
        self._controller: Any = _controller_of(app)
        self._app: App = app

    def attach(self, app: App) -> None:
        """Answer with ``app`` from now on (the fixture hands the server each test's controller).

        A controller answers through its ``respond`` method, so its record mode, cassettes
        and call log work over the server exactly as they do in-process.
        """
        self._attach(app)

    def detach(self, app: App) -> None:
        """Stop answering with ``app`` (if attached), going back to the server's own app."""
        if self._app is app:
            self._attach(self._idle_app)

    @property
    def controller(self) -> Emulator:
        """The attached emulator or controller, which the controller names forward to
        (``TypeError`` when serving a plain handler)."""
        controller = self._controller
        if controller is None:
            raise TypeError(
                "DensemarkServer: controller methods need an Emulator; this server serves "
                f"{self._app!r} (pass DensemarkServer(Emulator()) or no app at all)"
            )
        result: Emulator = controller
        return result

    @property
    def emulator(self) -> Emulator:
        """The emulator behind the server: the attached one, or the attached controller's
        (``TypeError`` when serving a plain handler)."""
        controller = self.controller
        if isinstance(controller, Emulator):
            return controller
        inner = getattr(controller, "emulator", None)
        if isinstance(inner, Emulator):
            return inner
        raise TypeError(f"DensemarkServer: {controller!r} has no Emulator behind it")

    def use_cassette(
        self,
        name_or_path: str | os.PathLike[str],
        *,
        search_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> Cassette:
        """Answer from a cassette (the controller's ``use_cassette``); ``search_dirs`` are
        searched first, then :attr:`cassette_dirs`."""
        __tracebackhide__ = True  # a CassetteError names the file and what is wrong
        dirs = (*search_dirs, *self.cassette_dirs)
        return self.controller.use_cassette(name_or_path, search_dirs=dirs)

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
        sock.setblocking(False)  # see Connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._conn_lock:
            control_only = len(self._connections) >= self.max_connections
            busy = control_only and len(self._control_only) >= control.CONTROL_CONNECTIONS
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
                    status_line(503)
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
            if first and first != TLS_HANDSHAKE:  # plain HTTP on the TLS port: say so
                error = HttpError(400, _TLS_PORT_MESSAGE)
                sock.sendall(
                    status_line(400)
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
                self._control_only.discard(sock)
            return None
        with self._conn_lock:  # stop() must shut the socket that now owns the descriptor
            thread = self._connections.pop(sock, None)
            if thread is not None:
                self._connections[wrapped] = thread
            if sock in self._control_only:  # or the slot would never be given back
                self._control_only.discard(sock)
                self._control_only.add(wrapped)
        return wrapped

    def _serve_connection(self, sock: socket.socket, control_only: bool = False) -> None:
        if self._tls_context is not None:
            wrapped = self._handshake(sock)
            if wrapped is None:
                return
            sock = wrapped
        conn = Connection(
            sock,
            self,
            self._stopping,
            tls=self.tls is not None,
            control_only=control_only,
            # A connection admitted past max_connections may only reach the control API,
            # answered once and closed; it may not sit idle for long either, or idle ones
            # could fill it.
            idle_cap=control.CONTROL_IDLE_SECONDS if control_only else None,
        )
        try:
            self._service.serve(conn)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._conn_lock:
                self._connections.pop(sock, None)
                self._control_only.discard(sock)
