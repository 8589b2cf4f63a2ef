"""The images of one request, decoded from base64 and sniffed at most once, and the
process-wide memory of big images already decoded.

Vendor-neutral and below the vendors: an engine reads a request's images through one
:class:`RequestImages`, which the call log's summaries share, so a multi-megabyte image is
decoded, sniffed and hashed once per request, and a big one seen before not even once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections import OrderedDict
from typing import Any

from pytest_densemark.images import ImageInfo, sniff

__all__ = ["RequestImages"]


def _decode_base64(text: str) -> bytes:
    """``text`` decoded as strict base64 (raises ``binascii.Error``/``ValueError`` if not)."""
    return base64.b64decode(text, validate=True)


#: Base64 texts at least this long are looked up in :data:`_BIG_IMAGES` before decoding.
_BIG_BASE64 = 256 * 1024
#: How many bytes of big images (base64 text and decoded bytes) the process keeps (LRU).
_BIG_IMAGES_BYTES = 32 * 1024 * 1024
#: The lookup key of a big base64 text: its length and this many characters at each of
#: :data:`_SAMPLES` evenly spaced places (a hit is then confirmed by comparing whole texts).
_SAMPLE = 64
_SAMPLES = 16


def _sampled_key(text: str) -> tuple[int, str]:
    step = (len(text) - _SAMPLE) // (_SAMPLES - 1)
    return len(text), "".join(text[i * step : i * step + _SAMPLE] for i in range(_SAMPLES))


class _DecodedImages:
    """Big base64 images already decoded, with what :func:`sniff` read of them: least
    recently used first out, bounded by the bytes held (text and decoded image).

    A test suite sends the same big image again and again. Looking a text up costs a few
    slices and one comparison of the whole text (``memcmp``), against decoding it and
    hashing the result; the comparison makes a hit exact, whatever the samples. Thread-safe;
    values only (never an emulator's state), so shared by the process.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int, str], tuple[str, bytes, ImageInfo | None]] = (
            OrderedDict()
        )
        self._bytes = 0

    def get(self, text: str) -> tuple[bytes, ImageInfo | None] | None:
        """The decoded image and its sniffed info for exactly this text, or ``None``."""
        key = _sampled_key(text)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        known, data, info = entry
        return (data, info) if known == text else None

    def put(self, text: str, data: bytes, info: ImageInfo | None) -> None:
        """Remember a decoded image, dropping the least recently used beyond the bound."""
        size = len(text) + len(data)
        if size > self.max_bytes:
            return
        key = _sampled_key(text)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0]) + len(old[1])
            self._entries[key] = (text, data, info)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (old_text, old_data, _) = self._entries.popitem(last=False)
                self._bytes -= len(old_text) + len(old_data)


_BIG_IMAGES = _DecodedImages(_BIG_IMAGES_BYTES)


class RequestImages:
    """The images of one request, each decoded from base64 and sniffed (its sha256 included)
    at most once, shared by the call log's summary and the answer.

    Entries are keyed by the identity of the text or bytes (hashing a multi-megabyte value
    would cost about what is saved) and keep that object alive, so an id cannot be reused by
    another object while the request is handled. One instance per request: never shared.
    A big base64 text (:data:`_BIG_BASE64` characters or more) seen before in the process
    is not decoded again: :data:`_BIG_IMAGES` has it.
    """

    __slots__ = ("_decoded", "_sniffed")

    def __init__(self) -> None:
        self._decoded: dict[int, tuple[str, bytes | None]] = {}
        self._sniffed: dict[int, tuple[bytes, ImageInfo | None]] = {}

    def decode(self, text: str) -> bytes | None:
        """``text`` decoded from base64, or ``None`` when it is not valid base64."""
        entry = self._decoded.get(id(text))
        if entry is None:
            entry = self._decoded[id(text)] = (text, self._decode(text))
        return entry[1]

    def _decode(self, text: str) -> bytes | None:
        big = len(text) >= _BIG_BASE64
        if big:
            known = _BIG_IMAGES.get(text)
            if known is not None:
                data, info = known
                self._sniffed[id(data)] = (data, info)
                return data
        try:
            data = _decode_base64(text)
        except (binascii.Error, ValueError):
            return None
        if big:
            _BIG_IMAGES.put(text, data, self.sniff(data))
        return data

    def sniff(self, data: bytes) -> ImageInfo | None:
        """:func:`~pytest_densemark.images.sniff` of ``data``, read once."""
        entry = self._sniffed.get(id(data))
        if entry is None:
            entry = self._sniffed[id(data)] = (data, sniff(data))
        return entry[1]

    def summary(self, data: bytes) -> dict[str, Any]:
        """What the call log keeps of an image: format, pixel size, byte size, sha256."""
        info = self.sniff(data)
        if info is None:
            return {"format": None, "size": len(data), "digest": hashlib.sha256(data).hexdigest()}
        return {
            "format": info.format,
            "width": info.width,
            "height": info.height,
            "size": info.size,
            "digest": info.digest,
        }

    def base64_summary(self, text: str) -> dict[str, Any]:
        """:meth:`summary` of a base64 image, or what is known of text that is not base64."""
        data = self.decode(text)
        if data is None:
            return {"format": None, "size": len(text), "base64": "undecodable"}
        return self.summary(data)
