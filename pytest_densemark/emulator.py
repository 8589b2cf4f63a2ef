"""The vendor emulator: one transport-neutral core that answers as each registered vendor
would.

:class:`Emulator` takes an :class:`httpx.Request` and returns an :class:`httpx.Response`
(:meth:`Emulator.handle`), so the in-process stubs and the loopback server share every line
of vendor behaviour. It holds what a test tells it (credentials, the faces an image holds,
registered URLs, injected faults, queued answers, a cassette) and the call log; it knows no
vendor: it finds the one a request is for in the registry
(:func:`pytest_densemark.vendors.vendor_for_request`) and lets that vendor's
:class:`Engine` read and answer it. Usable without pytest::

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

import hashlib
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from pytest_densemark import vendors
from pytest_densemark._redaction import redact_url
from pytest_densemark.answers import (
    ANSWER_CACHE_SIZE,
    NOTE_HEADER,
    SHARED_ANSWER_CACHE,
    AnswerCache,
    AnswerCacheInfo,
    Reading,
    response,
)
from pytest_densemark.calls import (
    CALL_LOG_RAW_BYTES,
    LATENCY_EXTENSION,
    Call,
    CallLog,
    EmulatedDisconnect,
    EmulatedTimeout,
    InjectedFault,
)
from pytest_densemark.context import Context
from pytest_densemark.delegation import public_api
from pytest_densemark.faces import Face
from pytest_densemark.faults import (
    Fault,
    FaultInjection,
    check_vendor,
    take_fault,
    take_latency,
    take_queued,
)
from pytest_densemark.images import ImageInfo
from pytest_densemark.request_images import RequestImages
from pytest_densemark.vendor_settings import VendorSettings

if TYPE_CHECKING:
    from pytest_densemark.cassettes import Cassette, Interaction, Player
    from pytest_densemark.vendors.tencent.facts import PointProfile

__all__ = [
    "ANSWER_CACHE_SIZE",
    "CALL_LOG_RAW_BYTES",
    "EMULATOR_API",
    "LATENCY_EXTENSION",
    "NOTE_HEADER",
    "SHARED_ANSWER_CACHE",
    "AnswerCache",
    "AnswerCacheInfo",
    "Call",
    "EmulatedDisconnect",
    "EmulatedTimeout",
    "Emulator",
    "Engine",
    "InjectedFault",
]

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Engine(Protocol):
    """A vendor's emulation rules, as the emulator calls them (``Vendor.engine``).

    The emulator reads every request through :meth:`read` (also for the call log and
    cassette matching), then, unless a queued answer, an injected fault or a cassette answers
    first, asks :meth:`answer`. Each emulator keeps one :meth:`settings` object per vendor:
    the vendor's own state (Face++ face tokens, Tencent's no-face answer); the emulator's
    vendor-specific methods (``register_face_token``, ``set_tencent_no_face``, ``profile``)
    forward to the settings object that has them. The shared state (credentials, faces,
    URLs, clock, seed, answer cache) is the :class:`~pytest_densemark.context.Context`.
    """

    #: The ``Content-Type`` of the vendor's JSON answers (a queued dict body's default).
    content_type: str
    #: The documented errors by name or code: what :meth:`Emulator.inject_error` accepts.
    errors: Mapping[str, object]

    def settings(self, options: Mapping[str, Any], *, where: str) -> Any:
        """A new emulator's settings for this vendor, from the emulator's keyword options
        (``tencent_no_face``, ``profile``...; ``ValueError`` naming ``where`` if bad)."""
        ...

    def read(self, request: httpx.Request, images: RequestImages) -> Reading:
        """The request's parameters, the API it calls and what the call log keeps of it."""
        ...

    def answer(
        self,
        context: Context,
        settings: Any,
        request: httpx.Request,
        parsed: Any,
        images: RequestImages,
        call: Call | None = None,
    ) -> httpx.Response:
        """What the vendor answers to the request (``parsed`` is :meth:`read`'s)."""
        ...

    def error(
        self,
        context: Context,
        request: httpx.Request,
        name: str,
        arg: str | None,
        parsed: Any,
    ) -> httpx.Response:
        """The vendor's answer for its documented error ``name`` (an injected fault)."""
        ...


def _check_seed(where: str, seed: object) -> int | None:
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError(f"{where}: seed must be an integer or None, got {seed!r}")
    return seed


#: The vendor options an emulator is made with by default (each vendor's settings accept them).
_DEFAULT_OPTIONS: dict[str, Any] = {"profile": None, "tencent_no_face": "error"}
_SEEDS = random.SystemRandom()  # stateless (reads os.urandom): one instance serves all


def _fresh_seed() -> int:
    return _SEEDS.getrandbits(63)


class Emulator(FaultInjection, VendorSettings):
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

    #: The seed in use: request ids, ``time_used`` and key orders replay from it.
    seed: int

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        profile: PointProfile | None = None,
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
        self._seed_option = _check_seed("Emulator", seed)
        # The vendors' own options: each engine's settings() reads the ones it knows. A
        # vendor's settings are made when first used; options given are checked now.
        self._options: dict[str, Any] = {"profile": profile, "tencent_no_face": tencent_no_face}
        settings = {} if self._options == _DEFAULT_OPTIONS else self._new_vendor_settings()
        if not isinstance(strict, bool):
            raise ValueError(f"Emulator: strict must be True or False, got {strict!r}")
        self._lock = threading.RLock()
        answers = (
            SHARED_ANSWER_CACHE if answer_cache_size is None else AnswerCache(answer_cache_size)
        )
        self.seed = self._new_seed()
        self._context = Context(
            lock=self._lock, seed=self.seed, clock=clock, strict=strict, answers=answers
        )
        self._log = CallLog(call_log_raw_bytes)
        self._init_state(settings)

    def _new_seed(self) -> int:
        option = self._seed_option
        return option if option is not None else _fresh_seed()

    def _init_state(self, settings: dict[str, Any] | None = None) -> None:
        """Start afresh: on a reset (no ``settings``) with a new seed and vendor settings."""
        if settings is None:
            self.seed = self._new_seed()
            self._context.reset(self.seed)
            settings = {}  # made again when first used, from the options kept
            self._log = CallLog(self._log.raw_bytes)
        self._vendor_settings = settings
        self._faults = []
        self._queue = []
        self._cassette: Cassette | None = None
        self._player: Player | None = None

    def __repr__(self) -> str:
        # The seed comes first: a failing assertion that shows the emulator shows how to
        # replay it (Emulator(seed=...)).
        with self._lock:
            calls = len(self._log.calls)
        return f"<{type(self).__name__} seed={self.seed} calls={calls}>"

    # -- options -----------------------------------------------------------------------------

    @property
    def clock(self) -> Callable[[], float]:
        """The clock: a function returning unix seconds (see :meth:`set_clock`)."""
        return self._context.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._context.clock = clock

    @property
    def strict(self) -> bool:
        """Refuse request forms the vendor's docs allow but no observation confirms (today:
        ``return_landmark=mouse`` and a missing ``return_landmark``), answering the vendor's
        error with a :data:`NOTE_HEADER` saying the rule is unverified. Off by default."""
        return self._context.strict

    @strict.setter
    def strict(self, strict: bool) -> None:
        self._context.strict = strict

    @property
    def call_log_raw_bytes(self) -> int:
        """Bytes of raw request bodies the call log keeps, newest calls first (see
        :class:`Call`)."""
        return self._log.raw_bytes

    @call_log_raw_bytes.setter
    def call_log_raw_bytes(self, limit: int) -> None:
        self._log.raw_bytes = limit

    # -- settings ----------------------------------------------------------------------------

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
            credentials = self._context.credentials
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
                    setattr(credentials, name, value)

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
            self._context.faces[digest] = faces

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
            self.seed = checked if checked is not None else _fresh_seed()
            self._context.reseed(self.seed)

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
            self._context.urls[url] = image

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
        __tracebackhide__ = True  # a CassetteError names the file and what is wrong
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
            return list(self._log.calls)

    def calls_for(self, vendor: str) -> list[Call]:
        """The calls to one vendor, by name (``"facepp"`` or ``"tencent"``)."""
        check_vendor(vendor, allow_any=False)
        return [call for call in self.calls if call.vendor == vendor]

    def reset(self) -> None:
        """Forget everything: credentials, faces, URLs, tokens, faults, queue, cassette, calls
        and the answer cache's hit and miss counts; the Tencent no-face answer returns to the
        constructor's ``tencent_no_face``. A private answer cache (``answer_cache_size``) is
        emptied; the shared one keeps its answers, which hold nothing of this emulator's."""
        with self._lock:
            self._init_state()
            if self._context.answers is not SHARED_ANSWER_CACHE:
                self._context.answers.clear()

    @property
    def answer_cache(self) -> AnswerCache:
        """The answer cache this emulator uses (:data:`SHARED_ANSWER_CACHE` by default)."""
        return self._context.answers

    def answer_cache_info(self) -> AnswerCacheInfo:
        """This emulator's hits and misses, and its answer cache's current and maximum size."""
        with self._lock:
            context = self._context
            hits, misses = context.hits, context.misses
        return AnswerCacheInfo(hits, misses, len(context.answers), context.answers.maxsize)

    def faces_in(self, data: bytes, info: ImageInfo | None = None) -> tuple[Face, ...]:
        """The faces the emulator sees in an image, largest first (before size filtering).

        A :func:`~pytest_densemark.images.make_image` marker wins, then :meth:`set_faces`,
        else one deterministic face seeded from the image's sha256 (``Face.for_image``).
        """
        return self._context.faces_in(data, info)

    # -- the core --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the vendor would; record it in :attr:`calls`.

        Raises :class:`EmulatedTimeout` / :class:`EmulatedDisconnect` for those injected
        faults and :class:`~pytest_densemark.cassettes.CassetteMismatch` when a loaded
        cassette has no answer for a request to its vendor.
        """
        __tracebackhide__ = True  # a user's failing test passes through here
        vendor = vendors.vendor_for_request(request)
        images = RequestImages()
        engine: Engine | None = None
        if vendor is not None and vendor.provides("engine"):
            name: str | None = vendor.name
            engine = vendor.engine
            parsed, action, version, params = engine.read(request, images)
        else:
            name = parsed = action = version = None
            params = {}
        call = Call(name, action, version, params, request, None, seed=self.seed)

        with self._lock:
            latency, self._faults = take_latency(self._faults, name)
            queued = take_queued(self._queue, name)
            fault = None if queued is not None else take_fault(self._faults, name)
            player = self._player if self._cassette and self._cassette.vendor == name else None
            call.latency = latency
            self._log.append(call)

        if queued is not None:
            call.source = "queue"
            answer = response(queued.status, queued.headers, queued.content, request)
        elif fault is not None:
            call.source = "fault"
            answer = self._fault_response(fault, vendor, request, call, parsed)
        elif player is not None:
            call.source = "cassette"
            answer = player.respond(request, parsed=parsed)
        elif vendor is not None and engine is not None:
            settings = self._settings_of(vendor)
            answer = engine.answer(self._context, settings, request, parsed, images, call)
        else:
            answer = httpx.Response(
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
            answer.extensions = {**answer.extensions, LATENCY_EXTENSION: latency}
        with self._lock:  # its body may have been dropped meanwhile (other threads' calls)
            CallLog.answered(call, answer)
        return answer

    def _log_call(self, call: Call) -> None:
        """Add a call answered elsewhere (a recording's upstream answer) to the call log."""
        with self._lock:
            self._log.append(call)

    def _configured_credentials(self) -> dict[str, str]:
        """The credentials configured with :meth:`set_credentials`, by name."""
        with self._lock:
            return self._context.credentials.configured()

    def _fault_response(
        self,
        fault: Fault,
        vendor: vendors.Vendor | None,
        request: httpx.Request,
        call: Call,
        parsed: Any,
    ) -> httpx.Response:
        __tracebackhide__ = True
        name = None if vendor is None else vendor.name
        if fault.kind == "timeout":
            call.fault = "timeout"
            raise EmulatedTimeout(
                f"densemark: injected timeout for {request.method} {redact_url(request.url)}",
                vendor=name,
                request=request,
            )
        if fault.kind == "disconnect":
            call.fault = "disconnect"
            raise EmulatedDisconnect(
                f"densemark: injected dropped connection for {request.method}"
                f" {redact_url(request.url)}",
                vendor=name,
                request=request,
            )
        # An error is injected for one vendor, so only that vendor's requests take it.
        assert fault.name is not None
        assert vendor is not None
        call.fault = f"error:{fault.name}"
        return vendor.engine.error(self._context, request, fault.name, fault.arg, parsed)


#: The emulator's public API, derived from the class: what a controller (and anything that
#: holds one) offers under the same names (see :mod:`pytest_densemark.delegation`).
EMULATOR_API: tuple[str, ...] = public_api(Emulator)
