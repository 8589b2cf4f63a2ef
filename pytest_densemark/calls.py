"""The call log: what one request was and what answered it (:class:`Call`), the bounded log
an emulator keeps, and the transport faults a request can end in.

Vendor-neutral and below the vendors: an engine records what it drew on the :class:`Call`
it is given (the Face++ key-order seed); the emulator owns the :class:`CallLog`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx

from pytest_densemark._redaction import redact_fields, redact_url
from pytest_densemark.errors import DensemarkError

__all__ = [
    "CALL_LOG_RAW_BYTES",
    "LATENCY_EXTENSION",
    "Call",
    "CallLog",
    "EmulatedDisconnect",
    "EmulatedTimeout",
    "InjectedFault",
]

#: Response extension holding the latency (seconds) the delivery must wait before answering.
LATENCY_EXTENSION = "densemark_latency"
#: How many bytes of raw request bodies the call log keeps by default (the newest calls').
CALL_LOG_RAW_BYTES = 32 * 1024 * 1024


class InjectedFault(DensemarkError):
    """An injected transport fault; the delivery turns it into the transport's own failure."""

    def __init__(self, message: str, *, vendor: str | None, request: httpx.Request) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.request = request


class EmulatedTimeout(InjectedFault):
    """The vendor never answers: the client should see its read timeout."""


class EmulatedDisconnect(InjectedFault):
    """The connection drops before an answer.

    Each delivery drops it its own way. In process: httpx raises
    ``httpx.RemoteProtocolError``; ``requests``, urllib3 and ``http.client`` see the
    connection reset while the request is sent (``ConnectionResetError``; ``requests``:
    ``ConnectionError``); aiohttp sees the server close it (``ServerDisconnectedError``).
    The loopback server aborts the TCP connection (``SO_LINGER`` on with a zero timeout, so
    the kernel sends RST, not FIN): a raw client's next read fails with ``ECONNRESET``
    instead of reading ``b''``.
    """


@dataclass
class Call:
    """One request the emulator saw, and what it answered.

    ``params`` are the vendor parameters as parsed (Face++ form fields, Tencent JSON body) with
    secrets replaced by ``"<redacted>"`` and images summarised as ``format``, ``width``,
    ``height``, ``size`` and ``digest``; they are kept for every call. ``source`` says what
    answered: ``"emulator"``, ``"cassette"``, ``"queue"`` or ``"fault"``; ``fault`` names an
    injected fault (``"error:<name>"``, ``"timeout"``, ``"disconnect"``), ``None`` otherwise.

    ``request`` is the raw request, but raw bodies are bounded: the emulator keeps them for
    its newest calls only, up to ``call_log_raw_bytes`` in all (:data:`CALL_LOG_RAW_BYTES`,
    32 MiB, by default), so a suite sending big images does not hold every one of them.
    An older call keeps its method, URL and headers; ``body_dropped`` is then true, its
    ``request.content`` is empty, and ``response`` is an equal copy pointing at that request
    (the response object the client was given is left untouched). ``body_size`` is the body's
    length in bytes as received.
    ``order_seed`` is the seed of an emulated Face++ landmark's key order (``None`` for other
    answers): :func:`pytest_densemark.payloads.facepp_reordered` gives that order again, and
    ``seed`` is the emulator's seed when the call was made (``Emulator(seed=call.seed)``
    replays the whole run's ids and orders for the same requests).
    """

    vendor: str | None
    action: str | None
    version: str | None
    params: dict[str, Any]
    request: httpx.Request
    response: httpx.Response | None
    fault: str | None = None
    source: str = "emulator"
    latency: float = 0.0
    order_seed: int | None = None
    seed: int | None = None
    body_size: int = 0
    body_dropped: bool = False

    @property
    def status(self) -> int | None:
        """The HTTP status answered, ``None`` when the transport failed."""
        return None if self.response is None else self.response.status_code

    def json(self) -> Any:
        """The answered body parsed as JSON."""
        if self.response is None:
            raise ValueError(
                f"call to {redact_url(self.request.url)} got no response ({self.fault})"
            )
        return self.response.json()

    def __repr__(self) -> str:
        # The request's URL may carry credentials in its query string: never print them.
        status = self.status
        return (
            f"Call(vendor={self.vendor!r}, action={self.action!r}, version={self.version!r},"
            f" source={self.source!r}, {self.request.method} {redact_url(self.request.url)},"
            f" status={status!r}, fault={self.fault!r}, params={redact_fields(self.params)!r})"
        )


def _bodiless_request(request: httpx.Request) -> httpx.Request:
    """The request's method, URL and headers without its body (for the call log)."""
    return httpx.Request(request.method, request.url, headers=request.headers)


def _bodiless_response(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """An equal copy of ``response`` whose ``request`` is ``request``; the caller's response
    object keeps its own request."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return response
    copy = httpx.Response(
        response.status_code,
        headers=response.headers.raw,
        stream=httpx.ByteStream(content),
        request=request,
        extensions=dict(response.extensions),
    )
    copy.read()
    return copy


class CallLog:
    """Every call an emulator saw, oldest first, holding raw request bodies for the newest
    calls only: at most ``raw_bytes`` of them in all (see :class:`Call`).

    Not locked itself: the emulator calls it under its own lock.
    """

    __slots__ = ("_raw", "_raw_bytes", "calls", "raw_bytes")

    def __init__(self, raw_bytes: int) -> None:
        #: The bound on raw bodies kept, in bytes.
        self.raw_bytes = raw_bytes
        #: The calls, oldest first.
        self.calls: list[Call] = []
        self._raw: deque[Call] = deque()  # calls still holding their raw body, oldest first
        self._raw_bytes = 0

    def append(self, call: Call) -> None:
        """Log ``call``, counting its raw body and dropping the oldest bodies beyond the bound."""
        self.calls.append(call)
        try:
            call.body_size = len(call.request.content)
        except httpx.RequestNotRead:
            call.body_size = 0
        self._raw.append(call)
        self._raw_bytes += call.body_size
        while self._raw_bytes > self.raw_bytes and self._raw:
            old = self._raw.popleft()
            self._raw_bytes -= old.body_size
            old.request = _bodiless_request(old.request)
            old.body_dropped = True
            if old.response is not None:
                old.response = _bodiless_response(old.response, old.request)

    @staticmethod
    def answered(call: Call, response: httpx.Response) -> None:
        """Record the answer to a logged call (a copy without the body if it was dropped)."""
        call.response = (
            _bodiless_response(response, call.request) if call.body_dropped else response
        )
