"""The vendor emulator: one transport-neutral core answering like Face++ and Tencent would.

:class:`Emulator` takes an :class:`httpx.Request` and returns an :class:`httpx.Response`
(:meth:`Emulator.handle`), so the in-process httpx patch and the loopback server share every
line of vendor behaviour. It is also the controller a test talks to: credentials, the faces an
image holds, URL and face-token registries, injected faults, queued responses, a cassette and
the call log. Usable without pytest::

    from pytest_densemark.emulator import Emulator
    from pytest_densemark.images import make_image

    emulator = Emulator()
    response = emulator.handle(httpx.Request("POST", facepp.URL, data={...}, files={...}))

Order of answers: queued responses first, then injected faults, then a loaded cassette, then
the emulation itself. Injected latency is added to whatever answers, as
``response.extensions["densemark_latency"]`` (seconds): the delivery sleeps, the core never
does. Timeouts and dropped connections raise :class:`EmulatedTimeout` and
:class:`EmulatedDisconnect`. Every method is thread-safe.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import random
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import httpx

from pytest_densemark import facepp, tc3, tencent, wire
from pytest_densemark._redaction import REDACTED, redact_fields, redact_url
from pytest_densemark.checks import check_delay, check_header, check_status
from pytest_densemark.errors import DensemarkError
from pytest_densemark.faces import Face
from pytest_densemark.images import ImageInfo, embedded_faces, sniff
from pytest_densemark.payloads import (
    LandmarkFragments,
    facepp_detect,
    facepp_error_response,
    facepp_landmark_fragments,
    facepp_request_id,
    facepp_success,
    join_landmark,
    tencent_error_response,
    tencent_request_id,
    tencent_success,
)

if TYPE_CHECKING:
    from pytest_densemark.cassettes import Cassette, Interaction, Player

__all__ = [
    "ANSWER_CACHE_SIZE",
    "CALL_LOG_RAW_BYTES",
    "LATENCY_EXTENSION",
    "NOTE_HEADER",
    "SHARED_ANSWER_CACHE",
    "AnswerCache",
    "AnswerCacheInfo",
    "Call",
    "EmulatedDisconnect",
    "EmulatedTimeout",
    "Emulator",
    "InjectedFault",
]

#: Response extension holding the latency (seconds) the delivery must wait before answering.
LATENCY_EXTENSION = "densemark_latency"
#: Header on an answer refused by a rule the vendor's behaviour does not confirm (strict mode).
NOTE_HEADER = "X-Densemark-Note"
#: How many pre-encoded success answers the process-wide cache keeps (LRU).
ANSWER_CACHE_SIZE = 256
#: How many bytes of raw request bodies the call log keeps by default (the newest calls').
CALL_LOG_RAW_BYTES = 32 * 1024 * 1024
VENDORS: tuple[wire.Vendor, ...] = ("facepp", "tencent")

#: How many images' embedded-marker readings the process remembers (by sha256).
_MARKER_CACHE_SIZE = 1024
_UNKNOWN: Any = object()
_T = TypeVar("_T", "_Template", "_FaceppAnswer")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_FACEPP_SECRETS = facepp.CREDENTIAL_FIELDS


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

    In process the client sees ``httpx.RemoteProtocolError``; over the loopback server the
    connection is reset (a TCP RST), so a client sees ``ECONNRESET`` (``requests``:
    ``ConnectionError``).
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


@dataclass
class _Fault:
    kind: str  # "error", "timeout", "disconnect", "latency"
    vendor: str | None
    remaining: int | None
    name: str | None = None
    arg: str | None = None
    seconds: float = 0.0


@dataclass
class _Queued:
    vendor: str | None
    status: int
    headers: list[tuple[bytes, bytes]]  # as httpx encodes them
    content: bytes
    remaining: int


@dataclass
class _Credentials:
    api_key: str | None = None
    api_secret: str | None = None
    secret_id: str | None = None
    secret_key: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        # Says which credentials are set, never their values.
        shown = ", ".join(f"{name}={REDACTED}" for name, value in vars(self).items() if value)
        return f"_Credentials({shown})"


class _Reject(Exception):
    """Internal: stop emulating and answer with this vendor error."""

    def __init__(self, name: str, arg: str | None = None, message: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.arg = arg
        self.message = message


def _check_vendor(vendor: str | None, *, allow_any: bool) -> str | None:
    if vendor is None and allow_any:
        return None
    if vendor not in VENDORS:
        expected = ", ".join(VENDORS) + (" or None (any)" if allow_any else "")
        raise ValueError(f"vendor must be one of {expected}, got {vendor!r}")
    return vendor


def _check_no_face(where: str, answer: object) -> str:
    if not isinstance(answer, str) or answer not in tencent.NO_FACE_ANSWERS:
        raise ValueError(
            f"{where}: tencent_no_face must be one of {', '.join(tencent.NO_FACE_ANSWERS)},"
            f" got {answer!r}"
        )
    return answer


def _check_seed(where: str, seed: object) -> int | None:
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError(f"{where}: seed must be an integer or None, got {seed!r}")
    return seed


def _check_times(times: int | None, *, allow_none: bool) -> None:
    if times is None and allow_none:
        return
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError(f"times must be an integer >= 1, got {times!r}")


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


class _RequestImages:
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


def _slot(name: str) -> str:
    """A placeholder string standing for a per-request value in a :class:`_Template`.

    The NUL characters make it impossible in any emulated value, and ``json.dumps`` escapes
    them, so the encoded placeholder is unambiguous in the encoded body.
    """
    return f"\x00densemark:{name}\x00"


class _Template:
    """A JSON body encoded once, with its per-request values left as named slots.

    ``body`` holds :func:`_slot` placeholders where per-request values go (any depth; key
    order is kept). :meth:`render` gives exactly the bytes ``json.dumps(filled_body,
    separators=(",", ":"))`` would, where ``filled_body`` has each slot replaced by its value.
    """

    __slots__ = ("chunks", "slots")

    def __init__(self, body: Mapping[str, Any], slots: Sequence[str]) -> None:
        encoded = json.dumps(body, separators=(",", ":")).encode("utf-8")
        places = []
        for name in slots:
            marker = json.dumps(_slot(name)).encode("utf-8")
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

    def render(self, values: Mapping[str, object], raw: Mapping[str, bytes] | None = None) -> bytes:
        """The body with each slot's value JSON-encoded in place (``raw`` values: as given,
        already encoded)."""
        out = [self.chunks[0]]
        for name, chunk in zip(self.slots, self.chunks[1:], strict=True):
            if raw is not None and name in raw:
                out.append(raw[name])
            else:
                out.append(json.dumps(values[name]).encode("utf-8"))
            out.append(chunk)
        return b"".join(out)


class _FaceppAnswer:
    """A Face++ success answer encoded once: the body around the landmark as a
    :class:`_Template`, the landmark as per-part, per-key fragments joined in a fresh order
    for every answer (:func:`~pytest_densemark.payloads.join_landmark`)."""

    __slots__ = ("fragments", "template")

    def __init__(self, template: _Template, fragments: LandmarkFragments | None) -> None:
        self.template = template
        self.fragments = fragments

    def render(self, values: Mapping[str, object], order_seed: int) -> bytes:
        """The body with ``values`` in their slots and the landmark in ``order_seed``'s order."""
        if self.fragments is None:
            return self.template.render(values)
        landmark = join_landmark(self.fragments, order_seed)
        return self.template.render(values, {"landmark": landmark})


_FACEPP_HEADERS = [(b"Content-Type", facepp.CONTENT_TYPE.encode("ascii"))]
_TENCENT_HEADERS = [(b"Content-Type", tencent.CONTENT_TYPE.encode("ascii"))]


def _response(
    status: int, headers: list[tuple[bytes, bytes]], content: bytes, request: httpx.Request
) -> httpx.Response:
    """``httpx.Response(status, headers=headers, content=content, request=request)``, the same
    response built without httpx re-encoding the headers: ``Content-Length`` is added as
    ``content=`` adds it (for a non-empty body, unless a header already gives it)."""
    if content and not any(name.lower() == b"content-length" for name, _ in headers):
        headers = [*headers, (b"Content-Length", b"%d" % len(content))]
    response = httpx.Response(
        status, headers=headers, stream=httpx.ByteStream(content), request=request
    )
    response.read()
    return response


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


@functools.lru_cache(maxsize=1024)
def _default_face(width: int, height: int, seed: int) -> Face:
    """``Face.for_image`` (deterministic, and a frozen Face is safe to share), cached."""
    return Face.for_image(width, height, seed=seed)


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
    what a key maps to.
    ``maxsize=0`` keeps nothing. A template is built outside the lock; two threads missing
    the same key at once may both build it, and both get the same bytes.
    """

    def __init__(self, maxsize: int = ANSWER_CACHE_SIZE) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 0:
            raise ValueError(f"AnswerCache: maxsize must be an integer >= 0, got {maxsize!r}")
        self.maxsize = maxsize
        self._lock = threading.Lock()
        # Templates (Tencent) and per-part fragments (Face++): immutable, shared.
        self._entries: OrderedDict[Hashable, _Template | _FaceppAnswer] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> _Template | _FaceppAnswer | None:
        """The template stored under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            template = self._entries.get(key)
            if template is not None:
                self._entries.move_to_end(key)
            return template

    def put(self, key: Hashable, template: _Template | _FaceppAnswer) -> None:
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


class _MarkerCache:
    """``embedded_faces`` readings by image sha256, shared by the process (the marker is
    part of the image bytes, so the digest decides it). Cleared when full."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Face, ...] | None] = {}

    def faces(self, data: bytes, info: ImageInfo) -> tuple[Face, ...] | None:
        """``embedded_faces(data)``, remembered; an unreadable marker raises every time."""
        cached = self._entries.get(info.digest, _UNKNOWN)
        if cached is not _UNKNOWN:
            return cast("tuple[Face, ...] | None", cached)
        faces = embedded_faces(data, info)
        with self._lock:
            if len(self._entries) >= self.maxsize:
                self._entries.clear()
            self._entries[info.digest] = faces
        return faces


_MARKERS = _MarkerCache(_MARKER_CACHE_SIZE)


def _profile_key(profile: tencent.PointProfile) -> tuple[str, tuple[tuple[str, int], ...]]:
    return profile.name, tuple(profile.counts.items())


class Emulator:
    """Answers Face++ thousandlandmark and Tencent AnalyzeDenseLandmarks requests.

    ``clock`` returns unix seconds (Tencent's ``SignatureExpire`` check reads it; tests inject
    a fixed one). ``seed`` makes request ids, ``time_used`` and the Face++ key order
    reproducible; without one (the default) every emulator, and every :meth:`reset`, draws a
    fresh seed, so ids are unique across runs and resets and each Face++ answer lists its
    parts and keys in a new order, as the vendor's hash order does. The seed in use is
    :attr:`seed` (and each call's :attr:`Call.seed`): pass it back to replay. ``profile`` sets
    the points per Tencent list (default: the kit's assumed 888-point profile).
    ``tencent_no_face`` says what Tencent answers for an image without a face (see
    :meth:`set_tencent_no_face`; default ``"error"``); :meth:`reset` returns to it.

    Success answers are deterministic, so their JSON is encoded once and kept in a
    least-recently-used :class:`AnswerCache`; a repeat request only fills in its own
    ``request_id``/``time_used`` (``RequestId``). The cache is keyed by the values the answer
    is built from (the faces chosen, the part set, the image size, the point profile), so
    :meth:`set_faces`, face tokens, markers and a new :attr:`profile` always give fresh
    answers, and by default it is :data:`SHARED_ANSWER_CACHE`, shared by every emulator in the
    process: a new emulator per test starts warm, and nothing an emulator was told (faces,
    credentials, faults) reaches another. ``answer_cache_size`` gives this emulator a private
    cache of that many entries instead (``0``: no cache).

    The call log (:attr:`calls`) keeps every call's parsed, redacted ``params`` (images as
    summaries), but raw request bodies only for the newest calls, up to
    ``call_log_raw_bytes`` in all (default :data:`CALL_LOG_RAW_BYTES`, 32 MiB; see
    :class:`Call`).

    Face++: any ``api_key``/``api_secret`` is accepted until :meth:`set_credentials` sets
    them. Tencent: every form the official SDKs send is accepted: TC3-HMAC-SHA256 over POST
    (JSON body) or GET (query string), whose ``Authorization`` header must always be well
    formed, and the older HmacSHA1/HmacSHA256 signatures carried in the parameters (form POST
    or GET). The SecretId, the signature, the timestamp's age and the token are checked once
    :meth:`set_credentials` configures them; on a loopback ``Host`` the two signing quirks a
    correct client is forced into there are accepted too (see
    :func:`pytest_densemark.tc3.accepted_scopes`). Error messages follow ``X-TC-Language``
    (or ``Language``): ``zh-CN`` gives the Chinese texts, anything else English. Face++
    ``POST /facepp/v3/detect`` issues face tokens valid for 72 hours on :attr:`clock`.
    ``return_landmark=mouse``, listed as legal in both vendor docs and sent by a public SDK,
    is answered with the ``mouth`` part, and a missing ``return_landmark`` with every part
    (the English doc's default); with
    ``strict=True`` both are refused (``BAD_ARGUMENTS:return_landmark``,
    ``MISSING_ARGUMENTS: return_landmark``), with a :data:`NOTE_HEADER` saying the rule is
    unverified.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        profile: tencent.PointProfile = tencent.KIT_PROFILE,
        answer_cache_size: int | None = None,
        tencent_no_face: str = "error",
        strict: bool = False,
        call_log_raw_bytes: int = CALL_LOG_RAW_BYTES,
    ) -> None:
        if answer_cache_size is not None and (
            not isinstance(answer_cache_size, int)
            or isinstance(answer_cache_size, bool)
            or answer_cache_size < 0
        ):
            raise ValueError(
                "Emulator: answer_cache_size must be an integer >= 0 or None (the shared"
                f" cache), got {answer_cache_size!r}"
            )
        if (
            not isinstance(call_log_raw_bytes, int)
            or isinstance(call_log_raw_bytes, bool)
            or call_log_raw_bytes < 0
        ):
            raise ValueError(
                f"Emulator: call_log_raw_bytes must be an integer >= 0, got {call_log_raw_bytes!r}"
            )
        self.clock = clock
        self._seed_option = _check_seed("Emulator", seed)
        self.seed = 0
        self.profile = profile
        #: Bytes of raw request bodies the call log keeps, newest calls first (see :class:`Call`).
        self.call_log_raw_bytes = call_log_raw_bytes
        self._answers = (
            SHARED_ANSWER_CACHE if answer_cache_size is None else AnswerCache(answer_cache_size)
        )
        self._tencent_no_face_default = _check_no_face("Emulator", tencent_no_face)
        if not isinstance(strict, bool):
            raise ValueError(f"Emulator: strict must be True or False, got {strict!r}")
        #: Refuse request forms the vendor's docs allow but no observation confirms (today:
        #: ``return_landmark=mouse`` and a missing ``return_landmark``), answering the
        #: vendor's error with a
        #: :data:`NOTE_HEADER` saying the rule is unverified. Off by default.
        self.strict = strict
        self._lock = threading.RLock()
        self._init_state()

    def _init_state(self) -> None:
        option = self._seed_option
        self.seed = option if option is not None else random.SystemRandom().getrandbits(63)
        self._rng = random.Random(self.seed)
        self._credentials = _Credentials()
        self._faces: dict[str, tuple[Face, ...]] = {}
        self._urls: dict[str, bytes] = {}
        # face_token -> (the face, or None for no face; expiry in clock seconds, or None)
        self._face_tokens: dict[str, tuple[Face | None, float | None]] = {}
        self._faults: list[_Fault] = []
        self._queue: list[_Queued] = []
        self._calls: list[Call] = []
        self._raw_calls: deque[Call] = deque()  # calls still holding their raw body, oldest first
        self._raw_bytes = 0
        self._cassette: Cassette | None = None
        self._player: Player | None = None
        self._answer_hits = 0
        self._answer_misses = 0
        self._tencent_no_face = self._tencent_no_face_default

    def __repr__(self) -> str:
        # The seed comes first: a failing assertion that shows the emulator shows how to
        # replay it (Emulator(seed=...)).
        with self._lock:
            calls = len(self._calls)
        return f"<{type(self).__name__} seed={self.seed} calls={calls}>"

    # -- controller ------------------------------------------------------------------------

    def set_credentials(
        self,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        secret_id: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
    ) -> None:
        """Configure the credentials the emulator accepts; values left ``None`` are unchanged.

        Face++ answers ``AUTHENTICATION_ERROR`` (401) when a configured ``api_key`` or
        ``api_secret`` differs. Tencent answers ``AuthFailure.SecretIdNotFound`` for another
        SecretId, ``AuthFailure.SignatureFailure`` for a signature not made with
        ``secret_key``, ``AuthFailure.SignatureExpire`` when ``X-TC-Timestamp`` is more than
        five minutes from :attr:`clock` (checked once ``secret_key`` is set), and
        ``AuthFailure.TokenFailure`` when ``token`` is set and ``X-TC-Token`` differs.
        """
        with self._lock:
            values = {
                "api_key": api_key,
                "api_secret": api_secret,
                "secret_id": secret_id,
                "secret_key": secret_key,
                "token": token,
            }
            for name, value in values.items():
                if value is not None:
                    if not isinstance(value, str) or not value:
                        raise ValueError(f"set_credentials: {name} must be a non-empty string")
                    setattr(self._credentials, name, value)

    def set_faces(self, image: bytes | str, faces: Sequence[Face]) -> None:
        """Say which faces an image holds: ``image`` is its bytes or its sha256 hex digest.

        Overrides the default (one deterministic face per image); ``faces=()`` means the
        vendors find no face. A marker written by :func:`~pytest_densemark.images.make_image`
        takes precedence over this registry.
        """
        if isinstance(image, bytes):
            digest = hashlib.sha256(image).hexdigest()
        elif isinstance(image, str) and _SHA256_HEX.match(image.lower()):
            digest = image.lower()
        else:
            raise ValueError(
                "set_faces: image must be the image bytes or a 64-digit sha256 hex digest,"
                f" got {image!r:.80}"
            )
        faces = tuple(faces)
        for face in faces:
            if not isinstance(face, Face):
                raise TypeError(f"set_faces: expected Face objects, got {face!r:.80}")
        with self._lock:
            self._faces[digest] = faces

    def set_clock(self, clock: Callable[[], float] | float) -> None:
        """Set the emulator's clock: a function returning unix seconds, or a fixed time.

        The clock decides Tencent's ``SignatureExpire``, Face++ ``request_id`` seconds and
        when face tokens from Detect expire.
        """
        if callable(clock):
            self.clock = clock
        elif isinstance(clock, (int, float)) and not isinstance(clock, bool):
            fixed = float(clock)
            self.clock = lambda: fixed
        else:
            raise ValueError(f"set_clock: expected a callable or unix seconds, got {clock!r}")

    def advance_clock(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (for example past a face token's 72 hours)."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise ValueError(f"advance_clock: seconds must be a number, got {seconds!r}")
        before = self.clock
        self.clock = lambda: before() + seconds

    def set_seed(self, seed: int | None) -> None:
        """Restart the request ids, ``time_used`` and Face++ key orders from ``seed``.

        ``None`` draws a fresh seed (the default behaviour). The seed is kept across
        :meth:`reset`, which restarts the same sequence; read the one in use from :attr:`seed`.
        """
        checked = _check_seed("set_seed", seed)
        with self._lock:
            self._seed_option = checked
            self.seed = checked if checked is not None else random.SystemRandom().getrandbits(63)
            self._rng = random.Random(self.seed)

    def set_tencent_no_face(self, answer: str) -> None:
        """Choose what Tencent answers for an image without a face: ``"error"`` or ``"empty"``.

        Both are documented: ``"error"`` is the action's ``InvalidParameterValue.NoFaceInPhoto``
        error envelope (the default), ``"empty"`` a success whose ``DenseFaceShapeSet`` is
        ``[]``, the shape of the vendor doc's own output example (the kit's body still carries
        ``FaceModelVersion``, so it stays schema-valid). A client should handle both, so test
        it with both. Face++ is not affected: it always answers 200 with no ``face``.
        :meth:`reset` returns to the constructor's ``tencent_no_face``.
        """
        checked = _check_no_face("set_tencent_no_face", answer)
        with self._lock:
            self._tencent_no_face = checked

    @property
    def tencent_no_face(self) -> str:
        """What Tencent answers for a faceless image now: ``"error"`` or ``"empty"``."""
        return self._tencent_no_face

    def register_url(self, url: str, image: bytes) -> None:
        """Serve ``image`` for ``image_url`` / ``Url`` equal to ``url`` (never fetched).

        An unregistered URL gets the vendor's download error (Face++ ``INVALID_IMAGE_URL``,
        Tencent ``FailedOperation.ImageDownloadError``).
        """
        if not isinstance(url, str) or not url:
            raise ValueError(f"register_url: url must be a non-empty string, got {url!r}")
        if not isinstance(image, bytes):
            raise TypeError(f"register_url: image must be bytes, got {type(image).__name__}")
        with self._lock:
            self._urls[url] = image

    def register_face_token(self, face_token: str, face: Face | None) -> None:
        """Make a Face++ ``face_token`` known, answering with ``face`` (``None``: no face).

        Unregistered tokens get ``INVALID_FACE_TOKEN: <face_token>``. Tokens registered here
        never expire; the ones ``POST /facepp/v3/detect`` issues expire 72 hours later on
        :attr:`clock` (see :meth:`set_clock`).
        """
        if not isinstance(face_token, str) or not face_token:
            raise ValueError("register_face_token: face_token must be a non-empty string")
        with self._lock:
            self._face_tokens[face_token] = (face, None)

    def inject_error(
        self, vendor: str, name_or_code: str, *, times: int | None = 1, arg: str | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``vendor`` with a documented error.

        ``name_or_code`` is a Face++ error name (``"CONCURRENCY_LIMIT_EXCEEDED"``; ``arg`` fills
        its parameter) or a Tencent error code (``"RequestLimitExceeded"``). ``times=None``
        keeps failing until :meth:`reset`. Later requests are answered normally.
        """
        checked = _check_vendor(vendor, allow_any=False)
        _check_times(times, allow_none=True)
        catalogue: Mapping[str, object] = facepp.ERRORS if checked == "facepp" else tencent.ERRORS
        if name_or_code not in catalogue:
            raise ValueError(
                f"inject_error: {name_or_code!r} is not a documented {checked} error;"
                f" expected one of {', '.join(catalogue)}"
            )
        with self._lock:
            self._faults.append(_Fault("error", checked, times, name=name_or_code, arg=arg))

    def inject_latency(
        self, seconds: float, *, vendor: str | None = None, times: int | None = None
    ) -> None:
        """Delay the next ``times`` answers (``None``: every answer) by ``seconds``.

        The delay travels as ``response.extensions["densemark_latency"]``; several
        injections add up. ``seconds`` must be finite, from 0 to
        :data:`~pytest_densemark.checks.MAX_DELAY_SECONDS` (``ValueError`` otherwise).
        """
        checked = _check_vendor(vendor, allow_any=True)
        _check_times(times, allow_none=True)
        delay = check_delay(seconds, where="inject_latency: seconds")
        with self._lock:
            self._faults.append(_Fault("latency", checked, times, seconds=delay))

    def inject_timeout(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """The next ``times`` requests get no answer: :meth:`handle` raises EmulatedTimeout."""
        checked = _check_vendor(vendor, allow_any=True)
        _check_times(times, allow_none=True)
        with self._lock:
            self._faults.append(_Fault("timeout", checked, times))

    def inject_disconnect(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """The next ``times`` connections drop: :meth:`handle` raises EmulatedDisconnect."""
        checked = _check_vendor(vendor, allow_any=True)
        _check_times(times, allow_none=True)
        with self._lock:
            self._faults.append(_Fault("disconnect", checked, times))

    def queue_response(
        self,
        vendor: str | None,
        body: Mapping[str, Any] | str | bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``vendor`` (``None``: any) with this body.

        A dict is sent as JSON with ``Content-Type: application/json``, a str as
        ``text/plain``, bytes as ``application/octet-stream``, unless ``headers`` say
        otherwise. Queued answers are used in order, before anything else. ``status`` must be a
        final status (200-599) and no header may hold CR, LF or NUL: ``ValueError`` names the
        field otherwise.
        """
        checked = _check_vendor(vendor, allow_any=True)
        _check_times(times, allow_none=False)
        check_status(status, where="queue_response: status")
        if isinstance(body, bytes):
            content, default_type = body, "application/octet-stream"
        elif isinstance(body, str):
            content, default_type = body.encode("utf-8"), "text/plain"
        elif isinstance(body, Mapping):
            content = json.dumps(dict(body), separators=(",", ":")).encode("utf-8")
            default_type = tencent.CONTENT_TYPE if checked == "tencent" else facepp.CONTENT_TYPE
        else:
            raise TypeError(f"queue_response: body must be dict, str or bytes, got {body!r:.80}")
        final = {"Content-Type": default_type}
        if headers:
            final = {k: v for k, v in final.items() if k.lower() not in map(str.lower, headers)}
            final.update(headers)
        for name, value in final.items():
            check_header(name, value, where="queue_response: headers")
        raw = httpx.Headers(final).raw  # encoded now: a bad header fails here, not per answer
        with self._lock:
            self._queue.append(_Queued(checked, status, raw, content, times))

    def use_cassette(
        self,
        name_or_path: str | os.PathLike[str],
        *,
        search_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> Cassette:
        """Replay a cassette for requests to its vendor (replacing any loaded one).

        Requests are matched vendor-aware; one that matches no interaction raises
        :class:`~pytest_densemark.cassettes.CassetteMismatch` from :meth:`handle`.
        """
        from pytest_densemark.cassettes import Player, load_cassette

        cassette = load_cassette(name_or_path, search_dirs=search_dirs)
        with self._lock:
            self._cassette = cassette
            self._player = Player(cassette)
        return cassette

    def eject_cassette(self) -> None:
        """Stop replaying the loaded cassette (requests are emulated again)."""
        with self._lock:
            self._cassette = None
            self._player = None

    @property
    def cassette(self) -> Cassette | None:
        """The loaded cassette, if any."""
        return self._cassette

    def unplayed(self) -> list[Interaction]:
        """The loaded cassette's interactions that no request has matched yet."""
        with self._lock:
            player = self._player
        return [] if player is None else player.unplayed()

    @property
    def calls(self) -> list[Call]:
        """Every request handled so far, oldest first (a copy); raw bodies of the newest only
        (see :class:`Call`)."""
        with self._lock:
            return list(self._calls)

    def calls_for(self, vendor: str) -> list[Call]:
        """The calls to one vendor (``"facepp"`` or ``"tencent"``)."""
        _check_vendor(vendor, allow_any=False)
        return [call for call in self.calls if call.vendor == vendor]

    def reset(self) -> None:
        """Forget everything: credentials, faces, URLs, tokens, faults, queue, cassette, calls
        and the answer cache's hit and miss counts; the Tencent no-face answer returns to the
        constructor's ``tencent_no_face``. A private answer cache (``answer_cache_size``) is
        emptied; the shared one keeps its answers, which hold nothing of this emulator's."""
        with self._lock:
            self._init_state()
            if self._answers is not SHARED_ANSWER_CACHE:
                self._answers.clear()

    @property
    def answer_cache(self) -> AnswerCache:
        """The answer cache this emulator uses (:data:`SHARED_ANSWER_CACHE` by default)."""
        return self._answers

    def answer_cache_info(self) -> AnswerCacheInfo:
        """This emulator's hits and misses, and its answer cache's current and maximum size."""
        with self._lock:
            hits, misses = self._answer_hits, self._answer_misses
        return AnswerCacheInfo(hits, misses, len(self._answers), self._answers.maxsize)

    def _template(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """The cached template for ``key``, building (outside any lock) and storing on a miss."""
        cached = self._answers.get(key)
        with self._lock:
            if cached is not None:
                self._answer_hits += 1
            else:
                self._answer_misses += 1
        if cached is not None:
            return cast("_T", cached)
        template = build()
        self._answers.put(key, template)
        return template

    # -- the core --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the vendor would; record it in :attr:`calls`.

        Raises :class:`EmulatedTimeout` / :class:`EmulatedDisconnect` for those injected
        faults and :class:`~pytest_densemark.cassettes.CassetteMismatch` when a loaded
        cassette has no answer for a request to its vendor.
        """
        __tracebackhide__ = True  # a user's failing test passes through here
        vendor = wire.vendor_of_request(request)
        facepp_params: wire.FaceppParams | None = None
        images = _RequestImages()
        tencent_params: wire.TencentParams | None = None
        action: str | None = None
        version: str | None = None
        params: dict[str, Any] = {}
        if vendor == "facepp":
            facepp_params = wire.parse_facepp(request)
            detect = facepp_params.path.rstrip("/") == facepp.DETECT_PATH
            action, version = ("detect" if detect else facepp.ACTION), None
            params = self._facepp_log_params(facepp_params, images)
        elif vendor == "tencent":
            tencent_params = wire.parse_tencent(request)
            action, version = tencent_params.action, tencent_params.version
            params = self._tencent_log_params(tencent_params, images)
        call = Call(vendor, action, version, params, request, None, seed=self.seed)

        with self._lock:
            latency = self._take_latency(vendor)
            queued = self._take_queued(vendor)
            fault = None if queued is not None else self._take_fault(vendor)
            player = self._player if self._cassette and self._cassette.vendor == vendor else None
            call.latency = latency
            self._calls.append(call)
            self._keep_raw(call)

        if queued is not None:
            call.source = "queue"
            response = _response(queued.status, queued.headers, queued.content, request)
        elif fault is not None:
            call.source = "fault"
            language = tencent_params.language if tencent_params is not None else None
            response = self._fault_response(fault, vendor, request, call, language)
        elif player is not None:
            call.source = "cassette"
            response = player.respond(request, parsed=facepp_params or tencent_params)
        elif facepp_params is not None:
            response = self._facepp(request, facepp_params, images, call)
        elif tencent_params is not None:
            response = self._tencent(request, tencent_params, images)
        else:
            response = httpx.Response(
                404,
                headers={"Content-Type": "text/plain"},
                content=(
                    f"densemark: no emulated vendor API at {request.method}"
                    f" {redact_url(request.url)}"
                    " (expected a Face++ path or an X-TC-Action header)"
                ).encode(),
                request=request,
            )
        if latency:
            response.extensions = {**response.extensions, LATENCY_EXTENSION: latency}
        with self._lock:  # its body may have been dropped meanwhile (other threads' calls)
            call.response = (
                _bodiless_response(response, call.request) if call.body_dropped else response
            )
        return response

    def _keep_raw(self, call: Call) -> None:
        """Count the call's raw body and drop the oldest bodies beyond the bound (locked)."""
        try:
            call.body_size = len(call.request.content)
        except httpx.RequestNotRead:
            call.body_size = 0
        self._raw_calls.append(call)
        self._raw_bytes += call.body_size
        while self._raw_bytes > self.call_log_raw_bytes and self._raw_calls:
            old = self._raw_calls.popleft()
            self._raw_bytes -= old.body_size
            old.request = _bodiless_request(old.request)
            old.body_dropped = True
            if old.response is not None:
                old.response = _bodiless_response(old.response, old.request)

    # -- faults ----------------------------------------------------------------------------

    def _take_latency(self, vendor: str | None) -> float:
        total = 0.0
        for fault in self._faults:
            if fault.kind == "latency" and fault.vendor in (None, vendor):
                total += fault.seconds
                if fault.remaining is not None:
                    fault.remaining -= 1
        self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return total

    def _take_queued(self, vendor: str | None) -> _Queued | None:
        for item in self._queue:
            if item.vendor in (None, vendor):
                item.remaining -= 1
                if item.remaining == 0:
                    self._queue.remove(item)
                return item
        return None

    def _take_fault(self, vendor: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.kind != "latency" and fault.vendor in (None, vendor):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _fault_response(
        self,
        fault: _Fault,
        vendor: str | None,
        request: httpx.Request,
        call: Call,
        language: str | None = None,
    ) -> httpx.Response:
        __tracebackhide__ = True
        if fault.kind == "timeout":
            call.fault = "timeout"
            raise EmulatedTimeout(
                f"densemark: injected timeout for {request.method} {redact_url(request.url)}",
                vendor=vendor,
                request=request,
            )
        if fault.kind == "disconnect":
            call.fault = "disconnect"
            raise EmulatedDisconnect(
                f"densemark: injected dropped connection for {request.method}"
                f" {redact_url(request.url)}",
                vendor=vendor,
                request=request,
            )
        assert fault.name is not None
        call.fault = f"error:{fault.name}"
        if vendor == "facepp":
            return self._facepp_error(request, fault.name, fault.arg)
        return self._tencent_error(request, fault.name, language=language)

    # -- Face++ ----------------------------------------------------------------------------

    def _facepp_ids(self) -> tuple[str, int]:
        seconds = int(self.clock())
        with self._lock:
            return facepp_request_id(self._rng, seconds=seconds), self._rng.randrange(60, 400)

    def _facepp_error(
        self, request: httpx.Request, name: str, arg: str | None = None, *, note: str | None = None
    ) -> httpx.Response:
        request_id, time_used = self._facepp_ids()
        answer = facepp_error_response(name, arg, request_id=request_id, time_used=time_used)
        response = answer.to_httpx(request)
        if note is not None:  # a rule of the kit, not of the vendor: say so beside the body
            response.headers[NOTE_HEADER] = note
        return response

    @staticmethod
    def _facepp_log_params(params: wire.FaceppParams, images: _RequestImages) -> dict[str, Any]:
        logged: dict[str, Any] = {}
        for name, value in params.fields.items():
            if name in _FACEPP_SECRETS:
                logged[name] = REDACTED
            elif name == "image_base64":
                logged[name] = images.base64_summary(value)
            else:
                logged[name] = value
        for name, data in params.files.items():
            logged[name] = images.summary(data)
        return logged

    def _facepp(
        self,
        request: httpx.Request,
        params: wire.FaceppParams,
        images: _RequestImages,
        call: Call | None = None,
    ) -> httpx.Response:
        if params.path.rstrip("/") == facepp.DETECT_PATH:
            return self._facepp_detect(request, params, images)
        try:
            face, parts = self._facepp_decide(params, images)
        except _Reject as reject:
            return self._facepp_error(request, reject.name, reject.arg, note=reject.message)
        request_id, time_used = self._facepp_ids()
        with self._lock:
            order_seed = self._rng.getrandbits(63)

        def build() -> _FaceppAnswer:
            body = facepp_success(face, parts=parts, request_id=_slot("request_id"), time_used=0)
            body["time_used"] = _slot("time_used")
            fragments = None
            if face is not None:
                fragments = facepp_landmark_fragments(body["face"]["landmark"])
                body["face"]["landmark"] = _slot("landmark")
                return _FaceppAnswer(
                    _Template(body, ("time_used", "request_id", "landmark")), fragments
                )
            return _FaceppAnswer(_Template(body, ("time_used", "request_id")), fragments)

        answer = self._template(("facepp", face, parts), build)
        if call is not None and answer.fragments is not None:
            call.order_seed = order_seed
        content = answer.render({"time_used": time_used, "request_id": request_id}, order_seed)
        return _response(200, _FACEPP_HEADERS, content, request)

    def _facepp_decide(
        self, params: wire.FaceppParams, images: _RequestImages
    ) -> tuple[Face | None, tuple[str, ...]]:
        if params.path.rstrip("/") != facepp.PATH:
            raise _Reject("API_NOT_FOUND")
        self._facepp_admit(params)
        parts = self._facepp_parts(params.fields.get(facepp.RETURN_LANDMARK))
        return self._facepp_face(params, images), parts

    def _facepp_admit(self, params: wire.FaceppParams) -> None:
        """The checks every Face++ API makes first: body size, then the credentials."""
        if params.body_size > facepp.MAX_REQUEST_BYTES:
            raise _Reject("REQUEST_ENTITY_TOO_LARGE")
        fields = params.fields
        for name in facepp.CREDENTIAL_FIELDS:
            if not fields.get(name):
                raise _Reject("MISSING_ARGUMENTS", name)
        with self._lock:
            creds = self._credentials
            expected = {"api_key": creds.api_key, "api_secret": creds.api_secret}
        for name, value in expected.items():
            if value is not None and fields[name] != value:
                raise _Reject("AUTHENTICATION_ERROR")

    def _facepp_parts(self, value: str | None) -> tuple[str, ...]:
        try:
            return facepp.parts_requested(value, strict=self.strict)
        except facepp.ReturnLandmarkError as exc:
            # Only the strict refusal of a documented spelling is the kit's own rule.
            note = exc.note if exc.unverified else None
            raise _Reject(exc.error, facepp.RETURN_LANDMARK, message=note) from None

    @staticmethod
    def _facepp_source(params: wire.FaceppParams, inputs: Sequence[str]) -> str:
        """The image input that wins (the first of ``inputs`` sent), or MISSING_ARGUMENTS."""
        fields, files = params.fields, params.files
        for name in inputs:
            if files.get(name) if name in files else fields.get(name):
                return name
        raise _Reject("MISSING_ARGUMENTS", facepp.MISSING_IMAGE_ARGUMENTS)

    def _facepp_face(self, params: wire.FaceppParams, images: _RequestImages) -> Face | None:
        source = self._facepp_source(params, facepp.IMAGE_FIELDS)
        if source == "face_token":
            token = params.fields[source]
            with self._lock:
                known = self._face_tokens.get(token)
            if known is None or (known[1] is not None and self.clock() >= known[1]):
                raise _Reject("INVALID_FACE_TOKEN", token)
            return known[0]
        data, info = self._facepp_image(params, images, source)
        found = self._facepp_found(data, info)
        return found[0] if found else None

    def _facepp_image(
        self, params: wire.FaceppParams, images: _RequestImages, source: str
    ) -> tuple[bytes, ImageInfo]:
        """The image sent as ``source``, checked against the image rules."""
        fields, files = params.fields, params.files
        if source == "image_file":
            data = files[source] if source in files else fields[source].encode("latin-1")
        elif source == "image_base64":
            decoded = images.decode(fields[source])
            if decoded is None:
                raise _Reject("IMAGE_ERROR_UNSUPPORTED_FORMAT", source)
            data = decoded
        else:
            with self._lock:
                registered = self._urls.get(fields[source])
            if registered is None:
                raise _Reject("INVALID_IMAGE_URL")
            data = registered
        limits = facepp.IMAGE_LIMITS
        if len(data) > limits.max_file_bytes:
            raise _Reject("IMAGE_FILE_TOO_LARGE", source)
        info = images.sniff(data)
        if info is None or info.format not in limits.formats:
            raise _Reject("IMAGE_ERROR_UNSUPPORTED_FORMAT", source)
        if info.short_side < limits.min_side or info.long_side > limits.max_side:
            raise _Reject("INVALID_IMAGE_SIZE", source)
        return data, info

    def _facepp_detect(
        self,
        request: httpx.Request,
        params: wire.FaceppParams,
        images: _RequestImages,
    ) -> httpx.Response:
        """``POST /facepp/v3/detect``, minimally: a face_token and box per face found.

        The tokens are accepted by thousandlandmark for the same face until they expire,
        72 hours later on :attr:`clock`.
        """
        try:
            self._facepp_admit(params)
            inputs = [name for name in facepp.IMAGE_FIELDS if name != "face_token"]
            data, info = self._facepp_image(params, images, self._facepp_source(params, inputs))
        except _Reject as reject:
            return self._facepp_error(request, reject.name, reject.arg, note=reject.message)
        found = self._facepp_found(data, info)
        expires = self.clock() + facepp.FACE_TOKEN_LIFETIME_SECONDS
        with self._lock:
            tokens = [f"{self._rng.getrandbits(128):032x}" for _ in found]
            for token, face in zip(tokens, found, strict=True):
                self._face_tokens[token] = (face, expires)
        request_id, time_used = self._facepp_ids()
        image_id = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        body = facepp_detect(
            list(zip(tokens, found, strict=True)),
            image_id=image_id,
            request_id=request_id,
            time_used=time_used,
        )
        content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        return _response(200, _FACEPP_HEADERS, content, request)

    def _facepp_found(self, data: bytes, info: ImageInfo) -> tuple[Face, ...]:
        """The faces Face++ finds in an image, largest first (those over the minimum size)."""
        smallest = facepp.IMAGE_LIMITS.min_face_size(info.width, info.height)
        return tuple(f for f in self.faces_in(data, info) if min(f.width, f.height) >= smallest)

    # -- shared image logic ----------------------------------------------------------------

    def faces_in(self, data: bytes, info: ImageInfo | None = None) -> tuple[Face, ...]:
        """The faces the emulator sees in an image, largest first (before size filtering).

        A :func:`~pytest_densemark.images.make_image` marker wins, then :meth:`set_faces`,
        else one deterministic face seeded from the image's sha256 (``Face.for_image``).
        """
        info = info or sniff(data)
        if info is None:
            return ()
        faces = _MARKERS.faces(data, info)
        if faces is None:
            with self._lock:
                faces = self._faces.get(info.digest)
        if faces is None:
            faces = (_default_face(info.width, info.height, int(info.digest[:16], 16)),)
        return tuple(sorted(faces, key=lambda f: -(f.width * f.height)))

    # -- Tencent ---------------------------------------------------------------------------

    def _tencent_error(
        self,
        request: httpx.Request,
        code: str,
        message: str | None = None,
        language: str | None = None,
    ) -> httpx.Response:
        with self._lock:
            request_id = tencent_request_id(self._rng)
        if language == "zh-CN" or message is None:
            # The detailed messages are the kit's English; in Chinese the catalogue's text.
            message = tencent.ERRORS[code].message_in(language)
        answer = tencent_error_response(code, request_id=request_id, message=message)
        return answer.to_httpx(request)

    @staticmethod
    def _tencent_log_params(params: wire.TencentParams, images: _RequestImages) -> dict[str, Any]:
        if params.params is None:
            return {}
        logged = dict(params.params)
        if isinstance(logged.get("Image"), str):
            logged["Image"] = images.base64_summary(logged["Image"])
        return logged

    def _tencent(
        self, request: httpx.Request, params: wire.TencentParams, images: _RequestImages
    ) -> httpx.Response:
        try:
            content = self._tencent_decide(params, images)
        except _Reject as reject:
            return self._tencent_error(request, reject.name, reject.message, params.language)
        return _response(200, _TENCENT_HEADERS, content, request)

    def _tencent_decide(self, params: wire.TencentParams, images: _RequestImages) -> bytes:
        if params.method not in ("POST", "GET"):
            raise _Reject(
                "UnsupportedProtocol",
                message=f"Only GET and POST requests are supported, got {params.method}.",
            )
        old = params.old_signature
        if params.method == "GET":
            limit, size = tencent.MAX_GET_REQUEST_BYTES, len(params.query)
        elif old:
            limit, size = tencent.MAX_OLD_SIGNATURE_POST_BYTES, len(params.body)
        else:
            limit, size = tencent.MAX_REQUEST_BYTES, len(params.body)
        if size > limit:
            raise _Reject(
                "RequestSizeLimitExceeded",
                message=f"The request is {size} bytes; this form allows {limit}.",
            )
        names = ("Action", "Version") if old else ("X-TC-Action", "X-TC-Version")
        for header, value in zip(names, (params.action, params.version), strict=True):
            if not value:
                raise _Reject(
                    "MissingParameter",
                    message=f"The request is missing a required parameter `{header}`.",
                )
        if params.action != tencent.ACTION:
            raise _Reject(
                "InvalidAction",
                message=f"The requested action `{params.action}` does not exist.",
            )
        if params.version not in tencent.VERSIONS:
            raise _Reject(
                "NoSuchVersion",
                message=f"The requested version `{params.version}` of service `iai` does not"
                " exist.",
            )
        if old:
            self._tencent_old_auth(params)
        else:
            self._tencent_auth(params)
        if params.params is None:
            raise _Reject("InvalidParameter", message=f"Invalid request body: {params.error}.")
        return self._tencent_body(params.params, images)

    def _tencent_old_auth(self, params: wire.TencentParams) -> None:
        """The HmacSHA1/HmacSHA256 signatures: as strict as TC3, with the same codes."""
        fields = params.fields or {}
        for name in ("Timestamp", "Nonce", "SecretId", "Signature"):
            if not fields.get(name):
                raise _Reject(
                    "MissingParameter",
                    message=f"The request is missing a required parameter `{name}`.",
                )
        if params.signature_method not in tencent.OLD_SIGNATURE_METHODS:
            raise _Reject(
                "InvalidParameterValue",
                message=f"SignatureMethod `{params.signature_method}` is not one of"
                f" {', '.join(tencent.OLD_SIGNATURE_METHODS)}.",
            )
        timestamp = fields["Timestamp"]
        if not timestamp.isdigit():
            raise _Reject(
                "InvalidParameter", message=f"Timestamp `{timestamp}` is not a unix timestamp."
            )
        with self._lock:
            creds = self._credentials
            secret_id, secret_key, token = creds.secret_id, creds.secret_key, creds.token
        if secret_id is not None and fields["SecretId"] != secret_id:
            raise _Reject("AuthFailure.SecretIdNotFound")
        if token is not None and params.token != token:
            raise _Reject("AuthFailure.TokenFailure")
        if secret_key is None:
            return
        if abs(self.clock() - int(timestamp)) > tencent.MAX_CLOCK_SKEW_SECONDS:
            raise _Reject("AuthFailure.SignatureExpire")
        if not tc3.verify_old(
            secret_key, method=params.method, host=params.host, path=params.path, params=fields
        ):
            raise _Reject("AuthFailure.SignatureFailure")

    def _tencent_auth(self, params: wire.TencentParams) -> None:
        if not params.timestamp:
            raise _Reject(
                "MissingParameter",
                message="The request is missing a required parameter `X-TC-Timestamp`.",
            )
        if not params.timestamp.isdigit():
            raise _Reject(
                "InvalidParameter",
                message=f"X-TC-Timestamp `{params.timestamp}` is not a unix timestamp.",
            )
        try:
            auth = tc3.parse_authorization(params.authorization or "")
        except tc3.AuthorizationError as exc:
            raise _Reject("AuthFailure.InvalidAuthorization", message=str(exc)) from None
        with self._lock:
            creds = self._credentials
            secret_id, secret_key, token = creds.secret_id, creds.secret_key, creds.token
        if secret_id is not None and auth.secret_id != secret_id:
            raise _Reject("AuthFailure.SecretIdNotFound")
        if token is not None and params.token != token:
            raise _Reject("AuthFailure.TokenFailure")
        if secret_key is None:
            return
        timestamp = int(params.timestamp)
        if abs(self.clock() - timestamp) > tencent.MAX_CLOCK_SKEW_SECONDS:
            raise _Reject("AuthFailure.SignatureExpire")
        hosts, services = tc3.accepted_scopes(params.host)
        good = (
            auth.service in services
            and auth.date == tc3.credential_date(timestamp)
            and any(
                tc3.verify(
                    auth,
                    secret_key,
                    method=params.method,
                    path=params.path,
                    query=params.query,
                    headers={**params.headers, "host": host},
                    body=params.body,
                    timestamp=params.timestamp,
                )
                for host in hosts
            )
        )
        if not good:
            raise _Reject("AuthFailure.SignatureFailure")

    def _tencent_body(self, body: dict[str, Any], images: _RequestImages) -> bytes:
        unknown = [key for key in body if key not in tencent.PARAMETERS]
        if unknown:
            raise _Reject(
                "UnknownParameter", message=f"The parameter `{unknown[0]}` is not recognized."
            )
        mode = body.get("Mode", tencent.MODES[0])
        if not isinstance(mode, int) or isinstance(mode, bool):
            raise _Reject("InvalidParameter", message="Mode must be an integer.")
        if mode not in tencent.MODES:
            raise _Reject(
                "InvalidParameterValue",
                message=f"Mode must be one of {list(tencent.MODES)}, got {mode}.",
            )
        rotate = body.get("NeedRotateDetection", 0)
        if rotate not in (0, 1) or isinstance(rotate, bool):
            raise _Reject("InvalidParameterValue", message="NeedRotateDetection must be 0 or 1.")
        if "FaceModelVersion" in body and body["FaceModelVersion"] not in (
            tencent.FACE_MODEL_VERSIONS
        ):
            raise _Reject("InvalidParameterValue.FaceModelVersionIllegal")
        for key in ("Image", "Url"):
            if key in body and not isinstance(body[key], str):
                raise _Reject("InvalidParameter", message=f"{key} must be a string.")
        data = self._tencent_image(body.get("Url") or None, body.get("Image") or None, images)
        limits = tencent.IMAGE_LIMITS
        info = images.sniff(data)
        if info is None or info.format not in limits.formats:
            raise _Reject("FailedOperation.ImageDecodeFailed")
        if info.short_side < limits.min_short_side:
            raise _Reject("FailedOperation.ImageResolutionTooSmall")
        if info.long_side > limits.max_long_side(info.format):
            raise _Reject("FailedOperation.ImageResolutionExceed")
        faces = self.faces_in(data, info)
        with self._lock:
            no_face = self._tencent_no_face
        if not faces and no_face == "error":
            raise _Reject(tencent.NO_FACE_ERROR)
        chosen = faces[:1] if mode == 1 else faces[: tencent.MAX_FACES]
        with self._lock:
            request_id = tencent_request_id(self._rng)
        profile = self.profile
        width, height = info.width, info.height

        def build() -> _Template:
            answer = tencent_success(
                chosen,
                image_width=width,
                image_height=height,
                request_id=_slot("request_id"),
                profile=profile,
            )
            return _Template(answer, ("request_id",))

        cache_key = ("tencent", chosen, width, height, _profile_key(profile))
        return self._template(cache_key, build).render({"request_id": request_id})

    def _tencent_image(self, url: str | None, image: str | None, images: _RequestImages) -> bytes:
        limits = tencent.IMAGE_LIMITS
        if url is not None:  # Url wins over Image
            parsed = httpx.URL(url) if re.match(r"^https?://[^/\s]+", url) else None
            if parsed is None or not parsed.host:
                raise _Reject("InvalidParameterValue.UrlIllegal")
            with self._lock:
                data = self._urls.get(url)
            if data is None:
                raise _Reject("FailedOperation.ImageDownloadError")
            if 4 * -(-len(data) // 3) > limits.max_base64_bytes:
                raise _Reject("FailedOperation.ImageSizeExceed")
            return data
        if image is None:
            raise _Reject("InvalidParameterValue.ImageEmpty")
        if len(image) > limits.max_base64_bytes:
            raise _Reject("FailedOperation.ImageSizeExceed")
        data = images.decode(image)
        if data is None:
            raise _Reject("FailedOperation.ImageDecodeFailed")
        return data
