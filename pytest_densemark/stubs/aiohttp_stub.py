"""The stub for aiohttp: a vendor connection is a transport that never leaves the process.

``TCPConnector._create_connection`` is patched: for a vendor host it hands aiohttp's own
response protocol a stand-in transport instead of resolving the name and opening a TCP (and
TLS) connection. aiohttp writes its request into the transport as it would onto the wire; the
controller's answer is fed back to the protocol as a server's bytes. Everything else is
aiohttp's: its request encoding, response parser, timeouts (``ClientTimeout``), connection
pool and exceptions. An injected timeout is aiohttp's socket read timeout
(``SocketTimeoutError``, an ``asyncio.TimeoutError``), a dropped connection a server that
closes without answering (``ServerDisconnectedError``), a request the loaded cassette has no
answer for the kit's own ``CassetteMismatch``; injected latency delays the answer on
the event loop (``loop.call_later``), so the client awaits it and its own timeouts apply.
When recording, the upstream request runs in a worker thread, so the event loop keeps running
(an upstream served on that same loop included).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from pytest_densemark import stubs
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import LATENCY_EXTENSION, EmulatedDisconnect, EmulatedTimeout
from pytest_densemark.stubs._http1 import CONTINUE, RequestReader, encode_response

__all__ = ["VendorTransport", "install", "uninstall"]

_originals: dict[type, Any] = {}


def _timeout_error(message: str) -> BaseException:
    import aiohttp

    # SocketTimeoutError (aiohttp >= 3.10) is what its read timeout raises; older releases
    # raise ServerTimeoutError, its base class.
    error_type = getattr(aiohttp, "SocketTimeoutError", aiohttp.ServerTimeoutError)
    error: BaseException = error_type(message)
    return error


class VendorTransport(asyncio.Transport):
    """An asyncio transport to a vendor host, answered by the active controller."""

    def __init__(
        self,
        protocol: asyncio.Protocol,
        controller: Controller,
        scheme: str,
        host: str,
        port: int | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__()
        self._protocol = protocol
        self._controller = controller
        self._reader = RequestReader(scheme, host, port)
        self._loop = loop
        self._closing = False
        self._lost = False
        self._pending: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # -- writing the request -----------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Take request bytes; answer the request once all of it has arrived."""
        if self._closing:
            return
        request = self._reader.feed(data)
        if request is None:
            if self._reader.awaits_continue():
                self._loop.call_soon(self._deliver, CONTINUE)
            return
        controller = self._controller
        if stubs.active_controller(request.url.host) is not controller:
            self._loop.call_soon(self._lose)  # its test has ended: the peer is gone
            return
        if controller.recording is not None:
            # Recording waits for the upstream's answer: in a thread, so that the event loop
            # (which may be serving that upstream itself) keeps running meanwhile.
            task = self._loop.create_task(self._record(controller, request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        try:
            response = controller.respond(request)
        except EmulatedTimeout as fault:
            error = _timeout_error(f"Timeout on reading data from socket ({fault})")
            self._loop.call_soon(self._fail, error)
            return
        except EmulatedDisconnect:
            self._loop.call_soon(self._lose)
            return
        except Exception as error:
            # No answer at all (a cassette without one for this request): the client raises
            # the kit's own error as it is, as the other libraries do, rather than aiohttp's
            # "Failed to send bytes" around it, which reads as a network fault.
            self._loop.call_soon(self._fail, error)
            return
        self._answer(request, response)

    async def _record(self, controller: Controller, request: httpx.Request) -> None:
        try:
            response = await self._loop.run_in_executor(None, controller.respond, request)
        except Exception as error:  # the upstream failed: the client sees why
            self._fail(error)
            return
        self._answer(request, response)

    def _answer(self, request: httpx.Request, response: httpx.Response) -> None:
        data_out = encode_response(response, head_only=request.method == "HEAD")
        latency = float(response.extensions.get(LATENCY_EXTENSION) or 0.0)
        if latency:
            self._pending.append(self._loop.call_later(latency, self._deliver, data_out))
        else:
            self._loop.call_soon(self._deliver, data_out)

    def writelines(self, list_of_data: Any) -> None:
        """Write each piece, in order."""
        for data in list_of_data:
            self.write(data)

    def _deliver(self, data: bytes) -> None:
        if not self._closing:
            self._protocol.data_received(data)

    def _fail(self, error: BaseException) -> None:
        if not self._closing:
            set_exception = self._protocol.set_exception  # type: ignore[attr-defined]
            set_exception(error)

    def _lose(self) -> None:
        self._closing = True
        if not self._lost:
            self._lost = True
            self._protocol.connection_lost(None)

    # -- the rest of the transport interface ---------------------------------------------
    def close(self) -> None:
        """Close: pending answers are dropped, the protocol is told the connection is lost."""
        if self._closing:
            return
        self._closing = True
        for handle in self._pending:
            handle.cancel()
        self._loop.call_soon(self._lose)

    def abort(self) -> None:
        """Like :meth:`close`."""
        self.close()

    def is_closing(self) -> bool:
        """Whether :meth:`close` was called, the connection dropped, or its test has ended.

        aiohttp asks this before it reuses a pooled connection: one opened under a controller
        that is no longer the active one reads as closed, so the pool opens a new connection
        (to the network, or to the next test's controller) instead of failing on this one.
        """
        if not self._closing and stubs.active_controller(self._reader.host) is not self._controller:
            self.close()
        return self._closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername`` is a documentation address (no peer exists); nothing else is known."""
        if name == "peername":
            return ("192.0.2.1", self._reader.port or 0)
        return default

    def get_write_buffer_size(self) -> int:
        """Zero: every write is taken at once."""
        return 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """No limits."""
        return (0, 0)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Accepted and ignored."""

    def can_write_eof(self) -> bool:
        """False: HTTP/1.1 requests end by their framing."""
        return False

    def write_eof(self) -> None:
        """Not supported (see :meth:`can_write_eof`)."""
        raise NotImplementedError("densemark's vendor transport does not half-close")

    def is_reading(self) -> bool:
        """True while open."""
        return not self._closing

    def pause_reading(self) -> None:
        """Accepted: answers are delivered whole."""

    def resume_reading(self) -> None:
        """Accepted: answers are delivered whole."""

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """Replace the protocol answers are delivered to."""
        assert isinstance(protocol, asyncio.Protocol)
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        """The protocol answers are delivered to."""
        return self._protocol


def install() -> None:
    """Patch aiohttp's TCP connector (idempotent)."""
    from aiohttp import connector

    cls = connector.TCPConnector
    if cls in _originals:
        return
    original = cls._create_connection

    async def _create_connection(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
        # A proxy makes no difference: nothing leaves the process, so nothing reaches it.
        host = req.url.raw_host or ""
        controller = stubs.active_controller(host)
        if controller is None:
            return await original(self, req, traces, timeout)
        protocol = self._factory()
        scheme = "https" if req.is_ssl() else "http"
        transport = VendorTransport(
            protocol, controller, scheme, host, req.url.port, asyncio.get_running_loop()
        )
        protocol.connection_made(transport)
        return protocol

    _create_connection.__wrapped__ = original  # type: ignore[attr-defined]
    _originals[cls] = original
    cls._create_connection = _create_connection  # type: ignore[method-assign]


def uninstall() -> None:
    """Undo :func:`install`."""
    from aiohttp import connector

    cls = connector.TCPConnector
    original = _originals.pop(cls, None)
    if original is not None:
        cls._create_connection = original  # type: ignore[method-assign]
