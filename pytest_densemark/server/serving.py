"""Serving one connection's requests: read, route, answer, and deliver emulated faults.

A :class:`Service` belongs to one :class:`~pytest_densemark.server.lifecycle.DensemarkServer`
and serves every connection it accepts: it reads each request, sends ``/_densemark/`` ones to
:mod:`~pytest_densemark.server.control` and the others to the attached app's handler, with
the body limit and refusal of the vendor the request is for (its
:class:`~pytest_densemark.server.rules.ServerRules`, found through the registry before the
body is read), and writes the answer, or holds or resets the connection for an emulated
timeout or disconnect.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from pytest_densemark import vendors
from pytest_densemark.checks import MAX_DELAY_SECONDS
from pytest_densemark.emulator import EmulatedDisconnect, EmulatedTimeout
from pytest_densemark.server import control, rules
from pytest_densemark.server.connection import ClientGone, Connection
from pytest_densemark.server.framing import (
    HttpError,
    body_length,
    build_request,
    connection_line,
    encode_answer,
    framing_headers,
    host_of,
    origin_target,
    status_line,
)

if TYPE_CHECKING:
    from pytest_densemark.server.lifecycle import DensemarkServer

__all__ = ["Handler", "Service"]

#: What the server serves: the emulator's ``handle`` or any callable of the same shape.
Handler = Callable[[httpx.Request], httpx.Response]

#: Request URLs parsed so far, by (Host header, target): httpx.URL is immutable and parsing
#: one costs more than the rest of a request's framing, while a client sends few distinct ones.
_URL_CACHE_SIZE = 256


class Service:
    """Answers the requests of the connections of one server, one request after another."""

    def __init__(self, server: DensemarkServer, handle: Handler) -> None:
        #: The server whose control API ``/_densemark/`` requests reach.
        self.server = server
        #: What answers vendor requests now (``DensemarkServer.attach`` changes it).
        self.handle = handle
        #: The port and ``host:port`` the server listens on (set when it starts).
        self.port = 0
        self.endpoint = ""
        self._url_cache: dict[tuple[str | None, str], httpx.URL] = {}
        self._floor_names: tuple[str, ...] = ()
        self._floor = 0

    def serve(self, conn: Connection) -> None:
        """Serve ``conn`` until the client or the server ends it (never raises)."""
        try:
            while not conn.stopping.is_set():
                if not self.serve_one(conn):
                    break
        except ClientGone:
            pass
        except Exception as exc:  # never let one connection's surprise kill its thread noisily
            with contextlib.suppress(ClientGone):
                conn.send_error(HttpError(500, f"densemark server: {type(exc).__name__}: {exc}"))

    def serve_one(self, conn: Connection) -> bool:
        """Serve one request; whether the connection stays open for another."""
        try:
            head = conn.read_head()
        except HttpError as error:
            conn.send_error(error)
            conn.linger()
            return False
        if head is None:
            return False
        method, target_b, version, headers, authority = head
        target = origin_target(target_b)
        framing = framing_headers(headers)
        connection = ",".join(framing.get(b"connection", ())).lower()
        if version == b"HTTP/1.0":
            keep_alive = "keep-alive" in connection
        else:
            keep_alive = "close" not in connection
        path = target.split("?", 1)[0]
        is_control = path.startswith(control.CONTROL_PREFIX) or path + "/" == control.CONTROL_PREFIX
        try:
            host = host_of(version, framing, authority)
            if conn.control_only:
                if not is_control:
                    raise HttpError(503, "densemark server: too many connections")
                keep_alive = False  # free the extra slot at once
            if is_control:
                control.guard(method, host, headers, self.port)
            size = body_length(version, framing)
            if target.startswith(control.CONTROL_PREFIX):
                limit, too_large = control.MAX_CONTROL_BYTES, control.too_large
            else:
                if authority is not None:  # RFC 9112 3.2.2: the target's authority wins
                    headers = [(n, authority if n.lower() == b"host" else v) for n, v in headers]
                limit, too_large = self._limit(size, method, host, target, headers, framing)
            body = conn.read_body(size, framing, limit, too_large)
        except HttpError as error:
            conn.send_error(error)
            conn.linger()
            return False
        if is_control:
            # HEAD is GET without the body (RFC 9110 9.3.2): a body after a HEAD answer would
            # be read as the start of the next answer on a keep-alive connection.
            asked = "GET" if method == "HEAD" else method
            status, payload = control.answer(self.server, asked, target, body)
            data = json.dumps(payload, default=str).encode()
            head_bytes = (
                status_line(status)
                + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(data)).encode()
                + b"\r\n"
                + connection_line(keep_alive=keep_alive, http10=version == b"HTTP/1.0")
            )
            conn.send(head_bytes if method == "HEAD" else head_bytes + data)
            return keep_alive
        try:
            request = build_request(method, self._url(host, target), headers, body, framing)
        except (httpx.InvalidURL, ValueError) as exc:
            conn.send_error(HttpError(400, f"malformed request target or Host header: {exc}"))
            return False
        return self._deliver(conn, request, keep_alive, method, http10=version == b"HTTP/1.0")

    def _url(self, host: str | None, target: str) -> httpx.URL:
        """The request's URL (cached: httpx.URL is immutable and slow to parse)."""
        key = (host, target)
        url = self._url_cache.get(key)
        if url is None:
            url = httpx.URL(f"http://{host or self.endpoint}{target}")
            if len(self._url_cache) >= _URL_CACHE_SIZE:
                self._url_cache.clear()
            self._url_cache[key] = url
        return url

    def _smallest_limit(self) -> int:
        """:func:`~pytest_densemark.server.rules.smallest_limit`, asked again only when the
        registered vendors' names change (it costs more than the rest of a small request's
        framing; a vendor re-registered under its name with a smaller limit needs a new
        server)."""
        names = vendors.names()
        if names != self._floor_names:
            self._floor = rules.smallest_limit()
            self._floor_names = names
        return self._floor

    def _limit(
        self,
        size: int | None,
        method: str,
        host: str | None,
        target: str,
        headers: list[tuple[bytes, bytes]],
        framing: dict[bytes, list[str]],
    ) -> tuple[int, Callable[[], HttpError]]:
        """The body limit of a vendor request and its refusal, from its vendor's rules.

        The vendor is told from the request's head (the body is not read yet), and only when
        it matters: a body of known size within every vendor's limit is never refused.
        """
        floor = self._smallest_limit()
        if size is not None and size <= floor:
            return floor, _within_every_limit
        try:
            head: httpx.Request | None = build_request(
                method, self._url(host, target), headers, b"", framing
            )
        except (httpx.InvalidURL, ValueError):  # answered with a 400 once the body is read
            head = None
        found = rules.rules_for(head)
        if found is None:  # no vendor claims it and none is served at /
            limit = max((r.max_request_bytes for r in rules.all_rules()), default=0)
            return limit, lambda: HttpError(413, f"request body over {limit} bytes")
        return found.max_request_bytes, lambda: _refusal(found)

    def _deliver(
        self,
        conn: Connection,
        request: httpx.Request,
        keep_alive: bool,
        method: str,
        *,
        http10: bool = False,
    ) -> bool:
        try:
            response = self.handle(request)
            content = response.read()
        except Exception as exc:
            if isinstance(exc, EmulatedTimeout):
                conn.hold()
                return False
            if isinstance(exc, EmulatedDisconnect):
                conn.reset()
                return False
            if isinstance(exc, httpx.TransportError):  # recording: the upstream failed
                message = (
                    "densemark server: the upstream this request was forwarded to failed:"
                    f" {type(exc).__name__}: {exc}"
                )
                conn.send_error(HttpError(502, message))
                return False
            message = f"densemark server: the handler failed: {type(exc).__name__}: {exc}"
            conn.send_error(HttpError(500, message))
            return False
        latency = response.extensions.get("densemark_latency")
        if latency:
            # The emulator checks the delay; this also bounds any other handler's (NaN: none).
            seconds = float(latency)
            if seconds > 0 and not conn.delay(min(seconds, MAX_DELAY_SECONDS)):
                return False
        try:
            answer = encode_answer(
                response.status_code,
                response.headers.raw,
                content,
                keep_alive=keep_alive,
                head_only=method == "HEAD",
                http10=http10,
            )
        except HttpError as error:
            conn.send_error(error)
            return False
        conn.send(answer)
        return keep_alive


def _refusal(found: rules.ServerRules) -> HttpError:
    status, content_type, body = found.too_large()
    return HttpError(status, "request body too large", body=body, content_type=content_type)


def _within_every_limit() -> HttpError:  # pragma: no cover - the size was checked first
    raise AssertionError("a body within every vendor's limit was refused")
