"""What a vendor engine reads and draws from while it answers: one :class:`Context` per
emulator.

The emulator's settings API writes here (credentials, the faces an image holds, registered
URLs, the seed, the clock, strict mode); every engine reads from here and draws its request
ids from :attr:`Context.rng` under :attr:`Context.lock`. Which faces the vendors see in an
image is decided here too (:meth:`Context.faces_in`), the same for every vendor.
Vendor-neutral and below the vendors.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from pytest_densemark._redaction import REDACTED
from pytest_densemark.answers import AnswerCache
from pytest_densemark.faces import Face
from pytest_densemark.images import ImageInfo, embedded_faces, sniff

__all__ = ["Context", "Credentials"]

#: How many images' embedded-marker readings the process remembers (by sha256).
_MARKER_CACHE_SIZE = 1024
_UNKNOWN: Any = object()
_T = TypeVar("_T")


class Credentials:
    """The credentials an emulator checks, ``None`` where none is configured."""

    __slots__ = ("api_key", "api_secret", "secret_id", "secret_key", "token")

    #: Every credential's name (the keyword arguments of ``Emulator.set_credentials``).
    NAMES: tuple[str, ...] = ("api_key", "api_secret", "secret_id", "secret_key", "token")

    def __init__(self) -> None:
        self.api_key: str | None = None
        self.api_secret: str | None = None
        self.secret_id: str | None = None
        self.secret_key: str | None = None
        self.token: str | None = None

    def configured(self) -> dict[str, str]:
        """The credentials set, by name (what a recording must keep out of its cassette)."""
        values = {name: getattr(self, name) for name in self.NAMES}
        return {name: value for name, value in values.items() if isinstance(value, str) and value}

    def __repr__(self) -> str:
        # Says which credentials are set, never their values.
        shown = ", ".join(f"{name}={REDACTED}" for name in self.configured())
        return f"Credentials({shown})"


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


@functools.lru_cache(maxsize=1024)
def _default_face(width: int, height: int, seed: int) -> Face:
    """``Face.for_image`` (deterministic, and a frozen Face is safe to share), cached."""
    return Face.for_image(width, height, seed=seed)


class Context:
    """An emulator's state as its engines see it.

    ``lock`` is the emulator's own (re-entrant) lock: hold it to read the registries or draw
    from ``rng``. ``clock`` returns unix seconds. ``strict`` refuses request forms the
    vendor's docs allow but no observation confirms. ``answers`` is the answer cache the
    emulator uses; :meth:`template` looks it up and counts this emulator's hits and misses.
    """

    __slots__ = (
        "_rng",
        "_seed",
        "answers",
        "clock",
        "credentials",
        "faces",
        "hits",
        "lock",
        "misses",
        "strict",
        "urls",
    )

    def __init__(
        self,
        *,
        lock: threading.RLock,
        seed: int,
        clock: Callable[[], float],
        strict: bool,
        answers: AnswerCache,
    ) -> None:
        self.lock = lock
        self.clock = clock
        self.strict = strict
        self.answers = answers
        self.reseed(seed)
        self.credentials = Credentials()
        #: Faces by image sha256 (:meth:`Emulator.set_faces`).
        self.faces: dict[str, tuple[Face, ...]] = {}
        #: Images by URL (:meth:`Emulator.register_url`).
        self.urls: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0

    def reset(self, seed: int) -> None:
        """Forget what the emulator was told (credentials, faces, URLs) and the cache counts;
        draw again from ``seed``. The clock, strict mode and the answer cache stay."""
        self.reseed(seed)
        self.credentials = Credentials()
        self.faces = {}
        self.urls = {}
        self.hits = 0
        self.misses = 0

    def reseed(self, seed: int) -> None:
        """Draw from ``seed`` again (the generator itself is seeded on first use: most
        emulators never draw)."""
        self._seed = seed
        self._rng: random.Random | None = None

    @property
    def rng(self) -> random.Random:
        """The random generator request ids, ``time_used`` and key orders are drawn from."""
        rng = self._rng
        if rng is None:
            rng = self._rng = random.Random(self._seed)
        return rng

    def image_at(self, url: str) -> bytes | None:
        """The image registered for ``url``, or ``None`` (the vendor's download error)."""
        with self.lock:
            return self.urls.get(url)

    def faces_in(self, data: bytes, info: ImageInfo | None = None) -> tuple[Face, ...]:
        """The faces the vendors see in an image, largest first (before size filtering).

        A :func:`~pytest_densemark.images.make_image` marker wins, then the faces set for
        the image, else one deterministic face seeded from the image's sha256
        (``Face.for_image``).
        """
        info = info or sniff(data)
        if info is None:
            return ()
        faces = _MARKERS.faces(data, info)
        if faces is None:
            with self.lock:
                faces = self.faces.get(info.digest)
        if faces is None:
            faces = (_default_face(info.width, info.height, int(info.digest[:16], 16)),)
        return tuple(sorted(faces, key=lambda f: -(f.width * f.height)))

    def template(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """The cached pre-encoded answer for ``key``, building (outside any lock) and storing
        it on a miss. ``key`` starts with the vendor's name, so vendors never share one."""
        cached = self.answers.get(key)
        with self.lock:
            if cached is not None:
                self.hits += 1
            else:
                self.misses += 1
        if cached is not None:
            return cast("_T", cached)
        template = build()
        self.answers.put(key, template)
        return template
