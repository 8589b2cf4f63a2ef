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


class _Head:
    """A request's parsed head, kept while its body arrives."""

    __slots__ = (
        "body",
        "chunked",
        "expects_continue",
        "headers",
        "method",
        "scan",
        "size",
        "target",
    )

    def __init__(self, head: bytes, start: int) -> None:
        lines = head.split(b"\r\n")
        self.method, self.target, _version = lines[0].split(b" ", 2)
        self.headers = [_header(line) for line in lines[1:] if line]
        names = [(n.lower(), v) for n, v in self.headers]
        lengths = [v for n, v in names if n == b"content-length"]
        self.size = int(lengths[0]) if lengths else 0
        self.chunked = any(n == b"transfer-encoding" and b"chunked" in v.lower() for n, v in names)
        self.expects_continue = any(
            n == b"expect" and v.lower() == b"100-continue" for n, v in names
        )
        # Chunked bodies are decoded as they arrive, from ``scan`` on, into ``body``: decoding
        # from the start on every write would be quadratic in the number of chunks.
        self.scan = start
        self.body = bytearray()


class RequestReader:
    """Collects the bytes a client writes on one connection and cuts them into requests.

    Feed bytes with :meth:`feed`; it returns the complete request once all of its body has
    arrived (``None`` before that). Bytes past the end of a request start the next one, as
    they would on a keep-alive connection.
    """

    __slots__ = ("_buffer", "_continued", "_head", "host", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int | None) -> None:
        self._buffer = bytearray()
        self._head: _Head | None = None
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
        head = self._head
        if head is None or self._continued or not head.expects_continue:
            return False
        self._continued = True
        return True

    def _take(self) -> httpx.Request | None:
        buffer = self._buffer
        head = self._head
        if head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            head = self._head = _Head(bytes(buffer[:end]), end + 4)
        if head.chunked:
            stop = _dechunk(buffer, head)
            if stop is None:
                return None
            body = bytes(head.body)
        else:
            start = head.scan
            stop = start + head.size
            if len(buffer) < stop:
                return None
            body = bytes(buffer[start:stop])
        del buffer[:stop]
        self._head = None
        self._continued = False
        return self._request(
            head.method.decode("latin-1"),
            head.target.decode("latin-1"),
            head.headers,
            body,
        )

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


def _dechunk(buffer: bytearray, head: _Head) -> int | None:
    """Decode the chunks that have arrived; where the message ends, or ``None`` before that."""
    body = head.body
    position = head.scan
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0].strip() or b"0", 16)
        data = line_end + 2
        if size == 0:
            # Trailer fields (rarely sent) end with an empty line.
            trailer_end = buffer.find(b"\r\n", data)
            while trailer_end > data:
                data = trailer_end + 2
                trailer_end = buffer.find(b"\r\n", data)
            if trailer_end < 0:
                return None
            return trailer_end + 2
        if len(buffer) < data + size + 2:
            return None
        body += buffer[data : data + size]
        position = head.scan = data + size + 2


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
