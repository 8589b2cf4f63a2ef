"""What a cassette keeps of a value it must not store: images, URLs and other values as digests.

A cassette never holds an image's bytes, an image URL's query string or the value of a
parameter the kit does not know: it holds a summary from which a request can still be matched
(a sha256 digest) and understood (size, format, the URL without its secrets). Every vendor's
redaction and match key summarise through these functions, so a recorded request and a live
one are summarised alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from pytest_densemark.images import sniff

__all__ = ["b64_summary", "digest", "image_summary", "url_summary", "value_summary"]


def digest(text: str) -> str:
    """The sha256 hex digest of ``text`` (UTF-8; lone surrogates kept as they are)."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def image_summary(data: bytes) -> dict[str, Any]:
    """What a cassette keeps of an image: sha256 ``digest``, ``size`` in bytes, ``format``.

    ``format`` is ``"JPEG"``, ``"PNG"``, ``"BMP"``, ``"GIF"`` or ``None`` when the bytes are
    not an image the kit recognises.
    """
    info = sniff(data)
    found = info.digest if info else hashlib.sha256(data).hexdigest()
    return {"digest": found, "size": len(data), "format": info.format if info else None}


def b64_summary(text: str) -> dict[str, Any]:
    """:func:`image_summary` of a base64 image (of the text itself when it is not base64)."""
    try:
        data = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        data = text.encode("utf-8", errors="replace")
    return image_summary(data)


def url_summary(value: str) -> dict[str, Any]:
    """An image URL as stored: no user information, no query, the full value's digest."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
        shown = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path
    except ValueError:
        shown = ""
    return {"url": shown, "digest": digest(value)}


def value_summary(value: Any) -> dict[str, Any]:
    """An unknown parameter as stored: the sha256 of its value (JSON text if not a string)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return {"digest": digest(text)}
