"""Matching: which interaction of a cassette answers a live request, and :class:`Player`.

A request's match key is its method, the vendor it is for, its path, and the vendor's own part
(:meth:`~pytest_densemark.cassettes.rules.CassetteRules.match_key`), built by the same
function for a recorded request and a live one. When no interaction matches, the message
shows the nearest one and what differed.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import httpx

from pytest_densemark import vendors
from pytest_densemark._redaction import redact_url
from pytest_densemark.cassettes.format import (
    Cassette,
    CassetteMismatch,
    Interaction,
    RecordedRequest,
)
from pytest_densemark.cassettes.rules import CassetteRules, Described, Key, KeySource, rules_for

__all__ = ["Player", "live_key", "stored_key"]


def _key(
    method: str,
    vendor: str | None,
    path: str,
    rules: CassetteRules | None,
    source: KeySource,
    with_image: bool,
) -> Key:
    head: Key = (("method", method), ("host family", vendor), ("path", path or "/"))
    if rules is None:
        return (*head, ("image", None)) if with_image else head
    return head + rules.match_key(source, with_image=with_image)


def stored_key(request: RecordedRequest, cassette: Cassette, *, with_image: bool) -> Key:
    """The match key of a recorded ``request`` of ``cassette``.

    The vendor is the one the stored URL and headers are for, else the cassette's (a request
    signed the older way to a loopback server is told by parameters the stored form drops);
    a request that names no action or version asks for the cassette's.
    """
    headers = {k.lower(): v for k, v in request.headers.items()}
    probe = httpx.Request(request.method, request.url, headers=headers)
    vendor, rules = rules_for(probe)
    if rules is None:
        try:
            own = vendors.get(cassette.vendor)
        except vendors.UnknownVendor:  # unregistered since the cassette was loaded
            pass
        else:
            vendor, rules = own.name, own.cassette
    source = KeySource(headers, request.params, cassette.action, cassette.version)
    return _key(request.method, vendor, urlsplit(request.url).path, rules, source, with_image)


def live_key(request: httpx.Request, *, with_image: bool, parsed: object | None = None) -> Key:
    """The match key of a live ``request`` (``parsed``: its parameters, if already read)."""
    vendor, rules = rules_for(request)
    source = (
        rules.key_source(request, parsed, with_image=with_image)
        if rules is not None
        else KeySource({}, {})
    )
    return _key(request.method.upper(), vendor, request.url.path, rules, source, with_image)


def _show(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, Described):
        return value.describe()
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "{}"
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]} {value[1]}"
    return repr(value)


def _differences(expected: Key, got: Key) -> list[str]:
    got_map = dict(got)
    diffs = []
    for name, value in expected:
        other = got_map.get(name)
        if other != value:
            diffs.append(f"{name}: cassette has {_show(value)}, request has {_show(other)}")
    return diffs


class Player:
    """Answers requests from one cassette, in order, matching them vendor-aware.

    A request matches an interaction when the method, host family (any Face++ host, any
    Tencent IAI host), path, Tencent action and version and the parameters that change the
    answer agree: ``return_landmark`` as a set of parts (``all`` meaning every part), ``Mode``
    (absent = 0) and ``FaceModelVersion`` (absent = the default), and for recorded cassettes
    the image (digest of the bytes or of the full image URL, or the face token). Secrets,
    timestamps, signatures and unknown extra fields are ignored. Interactions that match the
    same request are played in order, so "fails twice, then succeeds" is one cassette; once
    all of them are played, the last one answers again when ``allow_repeats`` is true (the
    default), otherwise :class:`CassetteMismatch` is raised, its message showing the request
    URL with credentials redacted. Thread-safe.

    What counts as "the parameters that change the answer" is each vendor's rule
    (:meth:`~pytest_densemark.cassettes.rules.CassetteRules.match_key`).
    """

    def __init__(self, cassette: Cassette, *, allow_repeats: bool = True) -> None:
        self.cassette = cassette
        self.allow_repeats = allow_repeats
        self._with_image = cassette.source == "recorded"
        keys = cassette._keys.get(self._with_image)
        if keys is None:
            keys = [
                stored_key(i.request, cassette, with_image=self._with_image)
                for i in cassette.interactions
            ]
            cassette._keys[self._with_image] = keys
        self._keys: list[Key] = keys
        self._played = [False] * len(cassette.interactions)
        self._lock = threading.Lock()

    def match(self, request: httpx.Request, *, parsed: object | None = None) -> Interaction:
        """The interaction that answers ``request`` (marking it played).

        ``parsed`` is the request's parameters when the caller has already read them
        (:func:`~pytest_densemark.wire.parse_facepp` / ``parse_tencent``), so the body is not
        split twice. Raises :class:`CassetteMismatch` when none matches.
        """
        __tracebackhide__ = True  # a user's failing test passes through here
        key = live_key(request, with_image=self._with_image, parsed=parsed)
        with self._lock:
            last = None
            for index, stored in enumerate(self._keys):
                if stored == key:
                    if not self._played[index]:
                        self._played[index] = True
                        return self.cassette.interactions[index]
                    last = index
            if last is not None and self.allow_repeats:
                return self.cassette.interactions[last]
        raise CassetteMismatch(self._mismatch(request, key, exhausted=last is not None))

    def respond(self, request: httpx.Request, *, parsed: object | None = None) -> httpx.Response:
        """The recorded response to ``request``; raises :class:`CassetteMismatch`.

        ``parsed`` is as for :meth:`match`.
        """
        __tracebackhide__ = True
        return self.match(request, parsed=parsed).response.to_httpx(request)

    def _mismatch(self, request: httpx.Request, key: Key, *, exhausted: bool) -> str:
        head = (
            f"{self.cassette.label}: no interaction answers {request.method}"
            f" {redact_url(request.url)}"
        )
        if exhausted:
            count = sum(1 for stored in self._keys if stored == key)
            return (
                f"{head}: all {count} matching interaction(s) were already played and repeats"
                " are off; add interactions or allow repeats"
            )
        scored = sorted(
            ((_differences(stored, key), i) for i, stored in enumerate(self._keys)),
            key=lambda item: (len(item[0]), self._played[item[1]], item[1]),
        )
        diffs, index = scored[0]
        state = "played" if self._played[index] else "unplayed"
        return (
            f"{head}; nearest is interaction #{index} ({state},"
            f" {self.cassette.interactions[index].request.method}"
            f" {self.cassette.interactions[index].request.url}), which differs in: "
            + "; ".join(diffs)
        )

    def unplayed(self) -> list[Interaction]:
        """The interactions no request has matched yet, in cassette order."""
        with self._lock:
            return [
                i
                for i, done in zip(self.cassette.interactions, self._played, strict=True)
                if not done
            ]

    def reset(self) -> None:
        """Mark every interaction unplayed again."""
        with self._lock:
            self._played = [False] * len(self._played)
