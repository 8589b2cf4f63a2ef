"""The pieces every vendor engine builds its answers from: what it read of a request,
refusals, pre-encoded templates, the process-wide answer cache, whole HTTP answers and
request ids.

Vendor-neutral and below the vendors: ``vendors/<vendor>/engine.py`` and ``payloads.py``
import these, the emulator finds the engines through the registry, so the imports all point
one way.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii  # what json.dumps uses for a str
from typing import Any, NamedTuple

import httpx

from pytest_densemark.errors import DensemarkError

__all__ = [
    "ANSWER_CACHE_SIZE",
    "JSON_CONTENT_TYPE",
    "NOTE_HEADER",
    "SHARED_ANSWER_CACHE",
    "AnswerCache",
    "AnswerCacheInfo",
    "Reading",
    "Reject",
    "Template",
    "VendorResponse",
    "content_type_header",
    "response",
    "slot",
    "uuid4_from",
]

#: Header on an answer refused by a rule the vendor's behaviour does not confirm (strict mode).
NOTE_HEADER = "X-Densemark-Note"
#: How many pre-encoded success answers the process-wide cache keeps (LRU).
ANSWER_CACHE_SIZE = 256
#: The media type of a JSON answer (and of a queued dict body, unless told otherwise).
JSON_CONTENT_TYPE = "application/json"


class Reject(DensemarkError):
    """Stop emulating and answer with the vendor error ``name`` (an engine catches it).

    ``arg`` fills the error's parameter where the vendor has one; ``message`` replaces the
    catalogue's text (or, for a rule of the kit's own, says why beside the answer).
    """

    def __init__(self, name: str, arg: str | None = None, message: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.arg = arg
        self.message = message


def uuid4_from(rng: random.Random) -> str:
    """A uuid4 string drawn from ``rng`` (request ids: reproducible from a seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def slot(name: str) -> str:
    """A placeholder string standing for a per-request value in a :class:`Template`.

    The NUL characters make it impossible in any emulated value, and ``json.dumps`` escapes
    them, so the encoded placeholder is unambiguous in the encoded body.
    """
    return f"\x00densemark:{name}\x00"


class Template:
    """A JSON body encoded once, with its per-request values left as named slots.

    ``body`` holds :func:`slot` placeholders where per-request values go (any depth; key
    order is kept). :meth:`render` gives exactly the bytes ``json.dumps(filled_body,
    separators=(",", ":"))`` would, where ``filled_body`` has each slot replaced by its value.
    """

    __slots__ = ("chunks", "slots")

    def __init__(self, body: Mapping[str, Any], slots: Sequence[str]) -> None:
        encoded = json.dumps(body, separators=(",", ":")).encode("utf-8")
        places = []
        for name in slots:
            marker = json.dumps(slot(name)).encode("utf-8")
            start = encoded.find(marker)
            if start < 0 or encoded.find(marker, start + 1) >= 0:
                raise AssertionError(f"answer template: slot {name!r} not found exactly once")
            places.append((start, start + len(marker), name))
        places.sort()
        chunks, end = [], 0
        for start, stop, _ in places:
            chunks.append(encoded[end:start])
            end = stop
        chunks.append(encoded[end:])
        self.chunks = tuple(chunks)
        self.slots = tuple(name for _, _, name in places)

    def render(
        self,
        values: Mapping[str, object],
        raw: Mapping[str, Sequence[bytes | memoryview]] | None = None,
    ) -> bytes:
        """The body with each slot's value JSON-encoded in place (``raw`` values: already
        encoded, as pieces joined into the body as they are, so a large value is copied once).
        """
        out: list[bytes | memoryview] = [self.chunks[0]]
        for name, chunk in zip(self.slots, self.chunks[1:], strict=True):
            if raw is not None and name in raw:
                out += raw[name]
            else:
                out.append(_encoded(values[name]))
            out.append(chunk)
        return b"".join(out)


def _encoded(value: object) -> bytes:
    """``json.dumps(value).encode()``; ints and strings (request ids, ``time_used``) without
    building an encoder."""
    if isinstance(value, int) and not isinstance(value, bool):
        return b"%d" % value
    if isinstance(value, str):
        return encode_basestring_ascii(value).encode("ascii")
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def content_type_header(content_type: str) -> list[tuple[bytes, bytes]]:
    """The raw header list of an answer carrying only ``Content-Type`` (for :func:`response`)."""
    return [(b"Content-Type", content_type.encode("ascii"))]


def response(
    status: int, headers: list[tuple[bytes, bytes]], content: bytes, request: httpx.Request
) -> httpx.Response:
    """``httpx.Response(status, headers=headers, content=content, request=request)``, the same
    response built without httpx re-encoding the headers: ``Content-Length`` is added as
    ``content=`` adds it (for a non-empty body, unless a header already gives it), and the
    body is already read, as ``content=`` leaves it."""
    if content and not any(name.lower() == b"content-length" for name, _ in headers):
        headers = [*headers, (b"Content-Length", b"%d" % len(content))]
    answer = httpx.Response(
        status, headers=headers, stream=httpx.ByteStream(content), request=request
    )
    _mark_read(answer, content)
    return answer


def _read(answer: httpx.Response, content: bytes) -> None:
    answer.read()


def _set_read(answer: httpx.Response, content: bytes) -> None:
    # The state httpx.Response(content=...) leaves (body kept, stream consumed and closed,
    # nothing counted as downloaded), without running read()'s generators: a fifth of an
    # emulated answer's cost.
    answer._content = content
    answer.is_stream_consumed = True
    answer.is_closed = True


def _read_state(answer: httpx.Response) -> tuple[object, ...]:
    return (
        answer.content,
        answer.is_stream_consumed,
        answer.is_closed,
        answer.num_bytes_downloaded,
        list(answer.iter_bytes()),
    )


def _choose_mark_read() -> Callable[[httpx.Response, bytes], None]:
    """:func:`_set_read` when it leaves exactly the state ``httpx.Response(content=...)`` does
    in the installed httpx (checked once, at import); plain ``read()`` otherwise (the same,
    but for ``num_bytes_downloaded``, which then counts the body)."""
    try:
        expected = _read_state(httpx.Response(200, content=b"{}"))
        answer = httpx.Response(200, stream=httpx.ByteStream(b"{}"))
        _set_read(answer, b"{}")
        made = _read_state(answer)
    except Exception:  # any surprise in httpx's internals: use read()
        return _read
    return _set_read if made == expected else _read


_mark_read = _choose_mark_read()


@dataclass(frozen=True)
class VendorResponse:
    """An HTTP answer as a vendor sends it: status, headers and body.

    ``body`` is a dict (JSON) or a str (plain text). :attr:`content` gives the bytes on the
    wire and :meth:`to_httpx` an :class:`httpx.Response` ready to hand to respx.
    """

    status: int
    body: dict[str, Any] | str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        """The body as sent: compact JSON for dicts, UTF-8 text otherwise."""
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` for a plain-text body)."""
        if isinstance(self.body, str):
            raise ValueError(f"HTTP {self.status} body is plain text, not JSON: {self.body!r}")
        return self.body

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """This answer as an :class:`httpx.Response` (optionally bound to ``request``)."""
        return httpx.Response(
            self.status, headers=dict(self.headers), content=self.content, request=request
        )


class AnswerCacheInfo(NamedTuple):
    """What :meth:`Emulator.answer_cache_info` reports about the pre-encoded answer cache.

    ``hits`` and ``misses`` count the lookups of the emulator asked (since it was made or
    last reset); ``size`` and ``maxsize`` describe the cache it uses, which by default is
    :data:`SHARED_ANSWER_CACHE`, shared by every emulator in the process.
    """

    hits: int
    misses: int
    size: int
    maxsize: int


class AnswerCache:
    """A bounded, thread-safe, least-recently-used cache of pre-encoded success answers.

    Keys are values only (the frozen faces chosen, the part set, the image size, the point
    profile), never an emulator's state, so one cache can serve every emulator in a process:
    a face set with :meth:`Emulator.set_faces` changes the key an emulator looks up, and
    credentials or injected faults decide whether it looks one up at all; neither changes
    what a key maps to. Each engine keys its entries with its vendor's name first, so two
    vendors never share one.
    ``maxsize=0`` keeps nothing. A template is built outside the lock; two threads missing
    the same key at once may both build it, and both get the same bytes.
    """

    def __init__(self, maxsize: int = ANSWER_CACHE_SIZE) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 0:
            raise ValueError(f"AnswerCache: maxsize must be an integer >= 0, got {maxsize!r}")
        self.maxsize = maxsize
        self._lock = threading.Lock()
        # Pre-encoded answers (templates, landmark fragments): immutable, shared.
        self._entries: OrderedDict[Hashable, object] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> Any:
        """The answer stored under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            template = self._entries.get(key)
            if template is not None:
                self._entries.move_to_end(key)
            return template

    def put(self, key: Hashable, template: object) -> None:
        """Store ``template`` under ``key``, evicting the least recently used beyond maxsize."""
        if self.maxsize == 0:
            return
        with self._lock:
            self._entries[key] = template
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every stored answer (they are rebuilt on demand)."""
        with self._lock:
            self._entries.clear()


#: The answer cache every :class:`Emulator` uses unless given ``answer_cache_size``: a new
#: emulator (one per test under the ``densemark`` fixture) starts warm.
SHARED_ANSWER_CACHE = AnswerCache()


class Reading(NamedTuple):
    """What a vendor engine read of one request (``Engine.read``).

    ``parsed`` is the vendor's own parameters object (handed back to the engine's
    ``answer``/``error`` and to cassette matching, so the body is read once); ``action`` and
    ``version`` name the vendor API called; ``params`` is what the call log keeps: the
    parameters with secrets redacted and images summarised.
    """

    parsed: Any
    action: str | None
    version: str | None
    params: dict[str, Any]
