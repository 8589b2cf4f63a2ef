"""HTTP/1.1 on a socket that is not there: read a client's request bytes, write the answer's.

The http.client and aiohttp stubs let the client library do its own HTTP: it writes the
request it would send to the vendor into a stand-in socket or transport, and reads the
controller's answer back as the bytes a server would send. This module turns the first into an
``httpx.Request`` (the controller's request type) and an ``httpx.Response`` into the second.
Only what a client can send is handled: ``Content-Length`` or ``chunked`` bodies.
"""

from __future__ import annotations

import functools
from http import HTTPStatus

import httpx

__all__ = ["CONTINUE", "RequestReader", "encode_response"]

#: The interim answer to a request sent with ``Expect: 100-continue``.
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# Response headers that describe one connection rather than the answer; the stubs write their
# own framing (Content-Length) instead.
_FRAMING = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive"})


class RequestReader:
    """Collects the bytes a client writes on one connection and cuts them into requests.

    Feed bytes with :meth:`feed`; it returns the complete request once all of its body has
    arrived (``None`` before that). Bytes past the end of a request start the next one, as
    they would on a keep-alive connection.
    """

    __slots__ = ("_buffer", "_continued", "host", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int | None) -> None:
        self._buffer = bytearray()
        self._continued = False
        self.scheme = scheme
        self.host = host
        self.port = port

    def feed(self, data: bytes | bytearray | memoryview) -> httpx.Request | None:
        """Add what the client wrote; return the request it completes, if any."""
        self._buffer += data
        return self._take()

    @property
    def pending(self) -> bool:
        """Whether part of a request has been written but not all of it."""
        return bool(self._buffer)

    def awaits_continue(self) -> bool:
        """Whether the client waits for ``100 Continue`` before sending the body (once only).

        True once per request whose head asked ``Expect: 100-continue`` and whose body has not
        arrived: a client that waits for the interim answer (aiohttp's ``expect100``) would
        otherwise wait for ever, where the vendor's server would send it.
        """
        buffer = self._buffer
        if self._continued:
            return False
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buffer[:end]).lower()
        self._continued = b"\r\nexpect:" in head and b"100-continue" in head
        return self._continued

    def _take(self) -> httpx.Request | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buffer[:end]).split(b"\r\n")
        method, target, _version = head[0].split(b" ", 2)
        headers = [_header(line) for line in head[1:] if line]
        lengths = [v for n, v in headers if n.lower() == b"content-length"]
        chunked = any(
            n.lower() == b"transfer-encoding" and b"chunked" in v.lower() for n, v in headers
        )
        start = end + 4
        if chunked:
            decoded = _dechunk(buffer, start)
            if decoded is None:
                return None
            body, stop = decoded
        else:
            size = int(lengths[0]) if lengths else 0
            stop = start + size
            if len(buffer) < stop:
                return None
            body = bytes(buffer[start:stop])
        del buffer[:stop]
        self._continued = False
        return self._request(method.decode("latin-1"), target.decode("latin-1"), headers, body)

    def _request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> httpx.Request:
        url = _url(self.scheme, self.host, self.port, target)
        request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(body))
        request.read()
        return request


@functools.lru_cache(maxsize=256)
def _url(scheme: str, host: str, port: int | None, target: str) -> httpx.URL:
    """The URL of a request line's target (cached: httpx.URL is immutable and slow to build)."""
    if "://" in target:  # absolute form, as sent through a forwarding proxy
        return httpx.URL(target)
    url = httpx.URL(scheme=scheme, host=host, port=port, path="/")
    return url.copy_with(raw_path=target.encode("ascii", "replace") or b"/")


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip(), value.strip()


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """The body of a chunked message starting at ``start`` and where it ends, or ``None``."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0].strip() or b"0", 16)
        position = line_end + 2
        if size == 0:
            # Trailer fields (rarely sent) end with an empty line.
            trailer_end = buffer.find(b"\r\n", position)
            while trailer_end > position:
                position = trailer_end + 2
                trailer_end = buffer.find(b"\r\n", position)
            if trailer_end < 0:
                return None
            return bytes(body), trailer_end + 2
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position : position + size]
        position += size + 2


def encode_response(response: httpx.Response, *, head_only: bool = False) -> bytes:
    """The bytes a server sends for ``response``: status line, headers and the whole body."""
    content = response.content
    status = response.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    parts = [b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())]
    for name, value in response.headers.raw:
        if name.lower() not in _FRAMING:
            parts += (name, b": ", value, b"\r\n")
    parts.append(b"Content-Length: %d\r\n\r\n" % len(content))
    if not head_only:
        parts.append(content)
    return b"".join(parts)
