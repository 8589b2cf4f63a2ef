"""The process-wide answer cache: new emulators start warm, and nothing leaks between them.

Each test here stands for two tests of a suite: one emulator configured the way a test would
configure its ``densemark`` controller, then a fresh emulator (the next test's). The fresh one
must answer from the warm cache, yet see none of the first one's faces, faults or credentials.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, tc3, tencent
from pytest_densemark.emulator import (
    SHARED_ANSWER_CACHE,
    AnswerCache,
    EmulatedTimeout,
    Emulator,
)
from pytest_densemark.faces import Face, facepp_face, tencent_face
from pytest_densemark.images import make_image
from pytest_densemark.server import DensemarkServer

KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}
SECRET_ID = "AKIDsyntheticEXAMPLE"
SECRET_KEY = "synthetic-secret-key"
NOW = 1_700_000_000
# A size no other test file uses, so these images' answers start cold in the shared cache.
JPEG = make_image("JPEG", 642, 482, seed=15)
FIVE = [Face(10 + 120 * i, 40, 100, 100, seed=i) for i in range(5)]


def facepp_post(
    emulator: Emulator, fields: dict[str, str] | None = None, image: bytes | None = JPEG
) -> httpx.Response:
    """A multipart thousandlandmark request for ``image`` (or only ``fields``)."""
    data = {**KEYS, "return_landmark": "all", **(fields or {})}
    files = {"image_file": ("face.jpg", image, "image/jpeg")} if image is not None else None
    return emulator.handle(httpx.Request("POST", facepp.URL, data=data, files=files))


def tencent_post(
    emulator: Emulator, params: dict[str, Any] | None = None, *, secret_id: str = SECRET_ID
) -> httpx.Response:
    """A signed AnalyzeDenseLandmarks request for :data:`JPEG` (or ``params``)."""
    body = json.dumps(params or {"Image": base64.b64encode(JPEG).decode()}).encode()
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "Host": tencent.HOST,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[1],
        "X-TC-Timestamp": str(NOW),
        "Authorization": tc3.authorization_header(
            secret_id, SECRET_KEY, host=tencent.HOST, body=body, timestamp=NOW
        ),
    }
    request = httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=body)
    return emulator.handle(request)


def shapes(response: httpx.Response) -> Any:
    """The Tencent answer's face list, or its error code."""
    body = response.json()["Response"]
    return body["Error"]["Code"] if "Error" in body else body["DenseFaceShapeSet"]


def uncached_facepp() -> dict[str, Any]:
    """The Face++ ``face`` an emulator without any cache gives for :data:`JPEG`."""
    face: dict[str, Any] = facepp_post(Emulator(answer_cache_size=0)).json()["face"]
    return face


def test_emulators_share_one_cache_by_default() -> None:
    first, second = Emulator(), Emulator()
    assert first.answer_cache is second.answer_cache is SHARED_ANSWER_CACHE
    assert Emulator(answer_cache_size=3).answer_cache is not SHARED_ANSWER_CACHE
    assert first.answer_cache_info().maxsize == SHARED_ANSWER_CACHE.maxsize


def test_a_new_emulator_starts_warm() -> None:
    facepp_post(Emulator())
    tencent_post(Emulator(clock=lambda: NOW))
    fresh = Emulator(clock=lambda: NOW)
    facepp_post(fresh)
    tencent_post(fresh)
    info = fresh.answer_cache_info()
    assert (info.hits, info.misses) == (2, 0)


def test_reset_keeps_the_shared_cache_warm() -> None:
    """What ``densemark_server`` does between tests: reset, then answer from the warm cache."""
    emulator = Emulator()
    facepp_post(emulator)
    emulator.reset()
    assert emulator.answer_cache_info()[:2] == (0, 0)
    facepp_post(emulator)
    assert emulator.answer_cache_info()[:2] == (1, 0)


def test_the_loopback_server_stays_warm_across_resets() -> None:
    """``densemark_server`` resets its emulator before each test; the answers stay cached."""
    face = Face(100, 120, 220, 220, seed=7)
    with DensemarkServer() as server, httpx.Client(trust_env=False) as client:
        data = {**KEYS, "return_landmark": "all"}
        files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
        default = client.post(server.facepp_url, data=data, files=files).json()["face"]
        server.set_faces(JPEG, [face])
        assert client.post(server.facepp_url, data=data, files=files).json()["face"] != default
        server.reset()  # the next test
        assert client.post(server.facepp_url, data=data, files=files).json()["face"] == default
        assert server.emulator.answer_cache_info()[:2] == (1, 0)


def test_faces_set_in_one_emulator_are_not_seen_by_the_next() -> None:
    first = Emulator(clock=lambda: NOW)
    default = facepp_post(first).json()["face"]
    tencent_post(first)  # both default answers are now in the shared cache, whatever ran before
    face = Face(100, 120, 220, 220, seed=7)
    first.set_faces(JPEG, [face])
    assert facepp_post(first).json()["face"] == facepp_face(face)
    first.set_faces(JPEG, FIVE)
    assert shapes(tencent_post(first)) == [tencent_face(f) for f in FIVE]

    second = Emulator(clock=lambda: NOW)
    assert facepp_post(second).json()["face"] == default == uncached_facepp()
    (shape,) = shapes(tencent_post(second))
    assert shape != tencent_face(face)
    assert second.answer_cache_info().hits == 2  # warm, and still the default face


def test_faces_of_marked_images_are_read_from_the_bytes_in_every_emulator() -> None:
    face = Face(60, 60, 200, 200, seed=3)
    marked = make_image("JPEG", 642, 482, faces=[face])
    assert facepp_post(Emulator(), image=marked).json()["face"] == facepp_face(face)
    second = Emulator()
    second.set_faces(marked, [])  # the marker still wins, as in a single emulator
    assert facepp_post(second, image=marked).json()["face"] == facepp_face(face)


def test_faults_stay_with_their_emulator() -> None:
    first = Emulator()
    facepp_post(first)  # warms the cache
    first.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=None)
    first.inject_timeout(vendor="tencent", times=None)
    first.inject_latency(0.5)
    assert facepp_post(first).status_code == 403
    with pytest.raises(EmulatedTimeout):
        tencent_post(first)

    second = Emulator(clock=lambda: NOW)
    response = facepp_post(second)
    assert response.status_code == 200
    assert "densemark_latency" not in response.extensions
    assert isinstance(shapes(tencent_post(second)), list)
    assert [call.fault for call in second.calls] == [None, None]


def test_credentials_stay_with_their_emulator() -> None:
    first = Emulator(clock=lambda: NOW)
    first.set_credentials(api_key="only-this-key", secret_id="AKIDsyntheticOTHER")
    assert facepp_post(first, {"api_key": "only-this-key"}).status_code == 200  # warm
    assert facepp_post(first).status_code == 401
    assert shapes(tencent_post(first)) == "AuthFailure.SecretIdNotFound"

    second = Emulator(clock=lambda: NOW)
    assert facepp_post(second).status_code == 200
    assert isinstance(shapes(tencent_post(second)), list)


def test_tokens_urls_and_no_face_answers_stay_with_their_emulator() -> None:
    first = Emulator(clock=lambda: NOW)
    first.register_face_token("synthetic-token", Face(50, 60, 200, 200, seed=1))
    first.register_url("https://example.com/face.jpg", JPEG)
    first.set_tencent_no_face("empty")
    token = {"face_token": "synthetic-token"}
    assert "face" in facepp_post(first, token, image=None).json()
    url = {"image_url": "https://example.com/face.jpg"}
    assert facepp_post(first, url, image=None).status_code == 200

    second = Emulator(clock=lambda: NOW)
    assert facepp_post(second, token, image=None).status_code == 400
    assert "INVALID_IMAGE_URL" in facepp_post(second, url, image=None).text
    assert second.tencent_no_face == "error"


def test_emulators_in_threads_each_see_their_own_faces() -> None:
    """Concurrent emulators on one image, each told a different face, never cross answers."""
    faces = [Face(40 + 10 * i, 50, 200, 200, seed=i) for i in range(4)]
    failures: list[str] = []

    def worker(index: int) -> None:
        emulator = Emulator()
        if index:  # emulator 0 keeps the default face
            emulator.set_faces(JPEG, [faces[index]])
        expected = facepp_face(faces[index]) if index else uncached_facepp()
        for round_ in range(15):
            if facepp_post(emulator).json()["face"] != expected:
                failures.append(f"emulator {index}, round {round_}: another face")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(faces))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# -- AnswerCache itself --------------------------------------------------------------------


def test_answer_cache_is_a_bounded_lru() -> None:
    cache = AnswerCache(2)
    templates = [Emulator(answer_cache_size=1) for _ in range(3)]
    for key, emulator in enumerate(templates):
        image = make_image("JPEG", 320, 240, seed=key)
        facepp_post(emulator, image=image)
        ((_, template),) = emulator.answer_cache._entries.items()
        cache.put(key, template)
    assert len(cache) == 2
    assert cache.get(0) is None  # the oldest went first
    assert cache.get(1) is not None  # now the most recently used
    cache.put(3, template)
    assert cache.get(2) is None
    assert cache.get(1) is not None
    cache.clear()
    assert len(cache) == 0


def test_a_zero_size_cache_keeps_nothing() -> None:
    emulator = Emulator(answer_cache_size=0)
    facepp_post(emulator)
    facepp_post(emulator)
    info = emulator.answer_cache_info()
    assert (info.hits, info.misses, info.size, info.maxsize) == (0, 2, 0, 0)


@pytest.mark.parametrize("size", [-1, 2.5, True, "8"])
def test_answer_cache_size_is_checked(size: Any) -> None:
    with pytest.raises(ValueError, match=r"AnswerCache: maxsize must be an integer >= 0"):
        AnswerCache(size)
