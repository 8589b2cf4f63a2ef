"""A loopback HTTP/1.1 server that delivers the emulator to any client, in any language.

Clients built on ``requests``, ``urllib``, the official Tencent SDK's synchronous client or curl
never pass through httpx, so an in-process mock cannot see them. :class:`DensemarkServer` serves
an :class:`~pytest_densemark.emulator.Emulator`, a
:class:`~pytest_densemark.controller.Controller` (or any ``handle(httpx.Request) ->
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
``request_timeout`` (mid-request, with a ``408``) or ``idle_timeout`` (between requests); at most
``max_connections`` are served at once. :meth:`DensemarkServer.stop` closes every socket and
joins every thread it started.

Emulated faults are delivered for real: latency sleeps before the answer, a timeout holds the
connection without answering until the client gives up, a disconnect answers nothing and
aborts the connection with a TCP reset (``SO_LINGER`` 0; over TLS too, without a
``close_notify``): a raw client's next read fails with ``ECONNRESET`` rather than reading an
orderly end of stream, and ``requests`` raises ``ConnectionError``, as for a connection a real
front end dropped.

The package, one concept per module: :mod:`~pytest_densemark.server.framing` (HTTP/1.1
syntax), :mod:`~pytest_densemark.server.connection` (one socket, deadlines, delivered faults),
:mod:`~pytest_densemark.server.serving` (each request read, routed and answered),
:mod:`~pytest_densemark.server.lifecycle` (:class:`DensemarkServer`),
:mod:`~pytest_densemark.server.control` (the control API),
:mod:`~pytest_densemark.server.rules` (what the server asks of a vendor) and
:func:`~pytest_densemark.delegation.forward_api` (the controller names, forwarded).
"""

from __future__ import annotations

from pytest_densemark.server.control import (
    CONTROL_CONNECTIONS,
    CONTROL_ENDPOINTS,
    CONTROL_PREFIX,
    MAX_CONTROL_BYTES,
)
from pytest_densemark.server.framing import MAX_HEAD_BYTES, MAX_HEADERS, MAX_TARGET_BYTES
from pytest_densemark.server.lifecycle import DensemarkServer, Handler

__all__ = [
    "CONTROL_CONNECTIONS",
    "CONTROL_ENDPOINTS",
    "CONTROL_PREFIX",
    "MAX_CONTROL_BYTES",
    "MAX_HEADERS",
    "MAX_HEAD_BYTES",
    "MAX_TARGET_BYTES",
    "DensemarkServer",
    "Handler",
]
