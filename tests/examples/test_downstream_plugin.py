"""A downstream project's tests, written only from the README's plugin section.

The "application" is a small Face++ / Tencent client with a retry loop; the tests use the
``densemark`` fixture and marker exactly as the README shows.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp
from pytest_densemark.images import make_image

URL = facepp.URL


# --- the application under test ---------------------------------------------------------------


def landmarks(client: httpx.Client, image: bytes, *, retries: int = 3) -> dict[str, Any]:
    """Dense landmarks for the largest face, retrying on rate limits and timeouts."""
    for attempt in range(retries + 1):
        try:
            response = client.post(
                URL,
                data={"api_key": "my-key", "api_secret": "my-secret", "return_landmark": "all"},
                files={"image_file": ("face.jpg", image, "image/jpeg")},
            )
        except httpx.TimeoutException:
            if attempt == retries:
                raise
            continue
        if response.status_code == 403 and response.json().get("error_message") == (
            "CONCURRENCY_LIMIT_EXCEEDED"
        ):
            time.sleep(0)  # a real client backs off here
            continue
        response.raise_for_status()
        face = response.json().get("face") or {}
        landmark: dict[str, Any] = face.get("landmark", {})
        return landmark
    raise RuntimeError("rate limited too often")


async def alandmarks(client: httpx.AsyncClient, image: bytes) -> dict[str, Any]:
    """The async flavour of :func:`landmarks` (no retries)."""
    response = await client.post(
        URL,
        data={"api_key": "my-key", "api_secret": "my-secret", "return_landmark": "all"},
        files={"image_file": ("face.jpg", image, "image/jpeg")},
    )
    response.raise_for_status()
    landmark: dict[str, Any] = response.json()["face"]["landmark"]
    return landmark


IMAGE = make_image("JPEG", 640, 480)


# --- its tests ----------------------------------------------------------------------------------


@pytest.mark.densemark(cassette="facepp/full-9part")
def test_reads_all_parts(densemark: Any) -> None:
    parts = landmarks(httpx.Client(), IMAGE)
    assert set(parts) == set(facepp.ALL_PARTS)
    assert densemark.calls[0].params["return_landmark"] == "all"


@pytest.mark.densemark("facepp/no-face")
def test_no_face_gives_no_landmarks(densemark: Any) -> None:
    assert landmarks(httpx.Client(), IMAGE) == {}


def test_survives_rate_limit(densemark: Any) -> None:
    densemark.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=2)
    assert set(landmarks(httpx.Client(), IMAGE)) == set(facepp.ALL_PARTS)
    assert [call.status for call in densemark.calls] == [403, 403, 200]


def test_gives_up_after_repeated_timeouts(densemark: Any) -> None:
    densemark.inject_timeout(times=None)
    with pytest.raises(httpx.ReadTimeout):
        landmarks(httpx.Client(), IMAGE, retries=2)
    assert len(densemark.calls) == 3


@pytest.mark.densemark(credentials={"api_key": "other-key", "api_secret": "my-secret"})
def test_wrong_key_is_an_http_error(densemark: Any) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        landmarks(httpx.Client(), IMAGE)
    assert raised.value.response.status_code == 401


@pytest.fixture
def anyio_backend() -> str:
    """Run the async example on asyncio."""
    return "asyncio"


@pytest.mark.anyio
async def test_async(densemark: Any) -> None:
    densemark.inject_latency(0.05)
    async with httpx.AsyncClient() as client:
        parts = await alandmarks(client, IMAGE)
    assert len(parts) == len(facepp.ALL_PARTS)
    assert densemark.calls[0].latency == 0.05
