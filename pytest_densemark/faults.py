"""Injected faults and queued answers: the emulator's methods that inject them, what they
are, and which one a request takes.

The emulator keeps one list of each and takes from them under its lock; a fault or a queued
answer names the vendor it is for (``None``: any), by name, and is spent as requests take
it. Vendor-neutral: which vendors exist, their error catalogues and content types, are the
registry's (:mod:`pytest_densemark.vendors`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from pytest_densemark import vendors
from pytest_densemark.answers import JSON_CONTENT_TYPE
from pytest_densemark.checks import check_delay, check_header, check_status

__all__ = [
    "Fault",
    "FaultInjection",
    "Queued",
    "check_times",
    "check_vendor",
    "take_fault",
    "take_latency",
    "take_queued",
]


@dataclass
class Fault:
    """One injected fault: ``kind`` is ``"error"``, ``"timeout"``, ``"disconnect"`` or
    ``"latency"``; ``remaining`` counts the requests it still applies to (``None``: all)."""

    kind: str
    vendor: str | None
    remaining: int | None
    name: str | None = None
    arg: str | None = None
    seconds: float = 0.0


@dataclass
class Queued:
    """One queued answer, sent as given to the next ``remaining`` requests to ``vendor``."""

    vendor: str | None
    status: int
    headers: list[tuple[bytes, bytes]]  # as httpx encodes them
    content: bytes
    remaining: int


def check_times(times: int | None, *, allow_none: bool) -> None:
    """Refuse a ``times`` that is not an integer >= 1 (or ``None`` where that means always)."""
    if times is None and allow_none:
        return
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError(f"times must be an integer >= 1, got {times!r}")


def take_latency(faults: list[Fault], vendor: str | None) -> tuple[float, list[Fault]]:
    """The latency injected for one request to ``vendor`` (the sum of every latency fault
    that applies), and the faults left once those are counted."""
    if not faults:  # the common case: nothing injected
        return 0.0, faults
    total = 0.0
    for fault in faults:
        if fault.kind == "latency" and fault.vendor in (None, vendor):
            total += fault.seconds
            if fault.remaining is not None:
                fault.remaining -= 1
    if any(f.remaining is not None and f.remaining <= 0 for f in faults):
        faults = [f for f in faults if f.remaining is None or f.remaining > 0]
    return total, faults


def take_queued(queue: list[Queued], vendor: str | None) -> Queued | None:
    """The first queued answer for ``vendor``, spent once (removed when used up)."""
    for item in queue:
        if item.vendor in (None, vendor):
            item.remaining -= 1
            if item.remaining == 0:
                queue.remove(item)
            return item
    return None


def take_fault(faults: list[Fault], vendor: str | None) -> Fault | None:
    """The first error, timeout or disconnect injected for ``vendor``, spent once."""
    for fault in faults:
        if fault.kind != "latency" and fault.vendor in (None, vendor):
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    faults.remove(fault)
            return fault
    return None


def check_vendor(vendor: str | None, *, allow_any: bool) -> str | None:
    """``vendor`` when it names a registered vendor (or is ``None`` where that means any);
    ``ValueError`` listing the vendors otherwise."""
    if vendor is None and allow_any:
        return None
    known = vendors.names()
    if vendor not in known:
        expected = ", ".join(known) + (" or None (any)" if allow_any else "")
        raise ValueError(f"vendor must be one of {expected}, got {vendor!r}")
    return vendor


class FaultInjection:
    """The emulator's methods that inject faults and queue answers (a part of
    :class:`~pytest_densemark.emulator.Emulator`, kept beside the faults they make).

    They append to ``_faults`` and ``_queue`` under ``_lock``, which the emulator owns.
    """

    _lock: threading.RLock
    _faults: list[Fault]
    _queue: list[Queued]

    def inject_error(
        self, vendor: str, name_or_code: str, *, times: int | None = 1, arg: str | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``vendor`` with a documented error.

        ``name_or_code`` is a Face++ error name (``"CONCURRENCY_LIMIT_EXCEEDED"``; ``arg`` fills
        its parameter) or a Tencent error code (``"RequestLimitExceeded"``). ``times=None``
        keeps failing until :meth:`reset`. Later requests are answered normally.
        """
        checked = check_vendor(vendor, allow_any=False)
        check_times(times, allow_none=True)
        assert checked is not None
        catalogue = vendors.get(checked).engine.errors
        if name_or_code not in catalogue:
            raise ValueError(
                f"inject_error: {name_or_code!r} is not a documented {checked} error;"
                f" expected one of {', '.join(catalogue)}"
            )
        with self._lock:
            self._faults.append(Fault("error", checked, times, name=name_or_code, arg=arg))

    def inject_latency(
        self, seconds: float, *, vendor: str | None = None, times: int | None = None
    ) -> None:
        """Delay the next ``times`` answers (``None``: every answer) by ``seconds``.

        The delay travels as ``response.extensions["densemark_latency"]``; several
        injections add up. ``seconds`` must be finite, from 0 to
        :data:`~pytest_densemark.checks.MAX_DELAY_SECONDS` (``ValueError`` otherwise).
        """
        checked = check_vendor(vendor, allow_any=True)
        check_times(times, allow_none=True)
        delay = check_delay(seconds, where="inject_latency: seconds")
        with self._lock:
            self._faults.append(Fault("latency", checked, times, seconds=delay))

    def inject_timeout(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """The next ``times`` requests get no answer: :meth:`handle` raises EmulatedTimeout."""
        checked = check_vendor(vendor, allow_any=True)
        check_times(times, allow_none=True)
        with self._lock:
            self._faults.append(Fault("timeout", checked, times))

    def inject_disconnect(self, *, vendor: str | None = None, times: int | None = 1) -> None:
        """The next ``times`` connections drop: :meth:`handle` raises EmulatedDisconnect."""
        checked = check_vendor(vendor, allow_any=True)
        check_times(times, allow_none=True)
        with self._lock:
            self._faults.append(Fault("disconnect", checked, times))

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
        checked = check_vendor(vendor, allow_any=True)
        check_times(times, allow_none=False)
        check_status(status, where="queue_response: status")
        if isinstance(body, bytes):
            content, default_type = body, "application/octet-stream"
        elif isinstance(body, str):
            content, default_type = body.encode("utf-8"), "text/plain"
        elif isinstance(body, Mapping):
            content = json.dumps(dict(body), separators=(",", ":")).encode("utf-8")
            default_type = (
                JSON_CONTENT_TYPE if checked is None else vendors.get(checked).engine.content_type
            )
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
            self._queue.append(Queued(checked, status, raw, content, times))
