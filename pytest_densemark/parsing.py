"""Read the vendor-neutral parts of an HTTP request: its body, header parameters, query and
form fields, multipart parts, and whether its host is this machine.

Each vendor's request module (``vendors/<vendor>/request.py``) builds its parameters from
these; nothing here knows a vendor or judges a request: a broken body is reported, not
rejected, so every caller applies the vendor's own rules to what was actually sent.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import parse_qsl

import httpx

__all__ = [
    "FORM_URLENCODED",
    "MULTIPART",
    "form_fields",
    "header_params",
    "is_loopback",
    "parse_multipart",
    "query_fields",
    "request_body",
]

#: The media types of the two form bodies (lower case, as :func:`header_params` returns them).
FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def request_body(request: httpx.Request) -> bytes:
    """The request's body, read now if it was built from files or a stream."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def query_fields(request: httpx.Request) -> dict[str, str]:
    """The query string's parameters (blank values kept; the last of a repeated name wins)."""
    return dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True))


def form_fields(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body's parameters (bad UTF-8 replaced)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def is_loopback(host: str) -> bool:
    """Whether a URL's host (``localhost``, a loopback address, brackets allowed) is this
    machine: only there is a request recognised by its parameters rather than its host."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=512)
def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="x"`` into the main value (lower case) and its parameters.

    Cached (the same Content-Type and Content-Disposition lines come back request after
    request): callers must not modify the returned dict.
    """
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        name, sep, raw = item.strip().partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        params[name.strip().lower()] = raw
    return head.strip().lower(), params


def parse_multipart(
    body: bytes, boundary: str, *, file_fields: tuple[str, ...] = ()
) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a ``multipart/form-data`` body into text fields and file parts.

    A part sent with a filename is a file; so is a part named in ``file_fields`` (a vendor
    field that always carries bytes). Raises ``ValueError`` naming what is wrong when the body
    does not follow RFC 7578.
    """
    delimiter = b"--" + boundary.encode("latin-1")
    if not boundary:
        raise ValueError("multipart body: the Content-Type has no boundary parameter")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError(f"multipart body: no closing delimiter for boundary {boundary!r}")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for index, chunk in enumerate(chunks[1:-1], start=1):
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError(f"multipart body: part {index} is not framed by CRLF")
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(f"multipart body: part {index} has no blank line after its headers")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            header, colon, value = line.partition(":")
            if colon:
                headers[header.strip().lower()] = value.strip()
        disposition, params = header_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if disposition != "form-data" or name is None:
            raise ValueError(f"multipart body: part {index} has no form-data name")
        if "filename" in params or name in file_fields:
            files[name] = content
        else:
            fields[name] = content.decode("utf-8", errors="replace")
    return fields, files
