"""The call log keeps what tests read for every call, and raw request bodies only up to a bound."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import os
import tracemalloc
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, tc3, tencent
from pytest_densemark.emulator import CALL_LOG_RAW_BYTES, EmulatedTimeout, Emulator
from pytest_densemark.images import make_image

MIB = 1024 * 1024
HEADER = make_image("JPEG", 800, 600, seed=31)
# Synthetic: a real JPEG header padded to 1 MiB, about 1.4 MB of base64 in the request body.
BIG = HEADER + os.urandom(MIB - len(HEADER))
BIG_B64 = base64.b64encode(BIG).decode()
KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}


def tencent_request(params: dict[str, Any]) -> httpx.Request:
    """An AnalyzeDenseLandmarks request with a well-formed (unchecked) signature."""
    body = json.dumps(params).encode()
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[1],
        "X-TC-Timestamp": "1700000000",
        "Authorization": tc3.authorization_header(
            "AKIDsynthetic", "synthetic-key", host=tencent.HOST, body=body, timestamp=1700000000
        ),
    }
    return httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=body)


def test_old_raw_bodies_are_dropped_beyond_the_bound() -> None:
    emulator = Emulator(call_log_raw_bytes=3 * MIB)
    first = emulator.handle(tencent_request({"Image": BIG_B64}))
    for _ in range(9):
        emulator.handle(tencent_request({"Image": BIG_B64}))
    calls = emulator.calls
    body_size = calls[0].body_size
    assert body_size == len(json.dumps({"Image": BIG_B64}))
    kept = [call for call in calls if not call.body_dropped]
    assert len(kept) == 3 * MIB // body_size  # the newest that fit
    assert kept == calls[-len(kept) :]
    assert sum(len(call.request.content) for call in calls) <= 3 * MIB
    digest = hashlib.sha256(BIG).hexdigest()
    for call in calls:  # what tests read is kept for every call
        assert call.body_size == body_size
        assert call.params["Image"]["digest"] == digest
        assert call.request.method == "POST"
        assert call.request.url.host == tencent.HOST
        assert call.request.headers["x-tc-action"] == tencent.ACTION
        assert call.status == 200
        assert call.response is not None
        assert call.response.request is call.request
        assert len(call.json()["Response"]["DenseFaceShapeSet"]) == 1
    assert calls[0].request.content == b""
    assert calls[-1].request.content == json.dumps({"Image": BIG_B64}).encode()
    # The response the client was given still points at the request it sent.
    assert len(first.request.content) == body_size
    assert first.json() == calls[0].json()


def test_the_default_bound_keeps_every_small_body() -> None:
    emulator = Emulator()
    image = make_image("JPEG", 640, 480)
    for _ in range(50):
        emulator.handle(
            httpx.Request(
                "POST",
                facepp.URL,
                data={**KEYS, "return_landmark": "all"},
                files={"image_file": ("face.jpg", image, "image/jpeg")},
            )
        )
    assert emulator.call_log_raw_bytes == CALL_LOG_RAW_BYTES == 32 * MIB
    assert not any(call.body_dropped for call in emulator.calls)
    assert all(image in call.request.content for call in emulator.calls)
    assert emulator.calls[0].params["api_secret"] == "<redacted>"


def test_a_zero_bound_keeps_no_raw_body() -> None:
    emulator = Emulator(call_log_raw_bytes=0)
    emulator.inject_timeout(vendor="tencent")
    with pytest.raises(EmulatedTimeout, match="injected timeout"):
        emulator.handle(tencent_request({"Image": BIG_B64}))
    emulator.handle(tencent_request({"Image": BIG_B64}))
    first, second = emulator.calls
    assert first.body_dropped
    assert second.body_dropped
    assert first.response is None
    assert first.fault == "timeout"
    assert first.request.content == second.request.content == b""
    assert second.params["Image"]["size"] == MIB
    emulator.reset()
    assert emulator.calls == []


@pytest.mark.parametrize("bound", [-1, 1.5, True, "1"])
def test_the_bound_is_checked(bound: Any) -> None:
    with pytest.raises(ValueError, match="call_log_raw_bytes must be an integer >= 0"):
        Emulator(call_log_raw_bytes=bound)


def test_memory_held_by_the_call_log_is_bounded() -> None:
    """Twelve 1.4 MB requests: the log holds about the bound, not all seventeen megabytes."""
    emulator = Emulator(call_log_raw_bytes=2 * MIB)
    emulator.handle(tencent_request({"Image": BIG_B64}))  # warm: caches, imports
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(12):
            emulator.handle(tencent_request({"Image": BIG_B64}))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(emulator.calls) == 13
    assert held < 2 * MIB + MIB, f"the call log holds {held / MIB:.1f} MiB"
