"""The emulator's Face++ thousandlandmark behaviour, through Emulator.handle."""

from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp
from pytest_densemark.emulator import (
    ANSWER_CACHE_SIZE,
    LATENCY_EXTENSION,
    NOTE_HEADER,
    EmulatedDisconnect,
    EmulatedTimeout,
    Emulator,
    InjectedFault,
)
from pytest_densemark.faces import Face, facepp_face
from pytest_densemark.images import make_faceless_image, make_image

KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}
JPEG = make_image("JPEG", 640, 480)


def post(
    emulator: Emulator,
    fields: dict[str, str] | None = None,
    *,
    image: bytes | None = JPEG,
    url: str = facepp.URL,
    form: str = "multipart",
) -> httpx.Response:
    """Send a thousandlandmark request the way real clients do."""
    data = {**KEYS, "return_landmark": "all", **(fields or {})}
    data = {k: v for k, v in data.items() if v is not None}
    if form == "multipart":
        files = {"image_file": ("face.jpg", image, "image/jpeg")} if image is not None else None
        if files is None:  # still multipart, as the vendor's demo sends
            files = {"dummy": ("x", b"", "text/plain")}
        request = httpx.Request("POST", url, data=data, files=files)
    elif form == "urlencoded":
        request = httpx.Request("POST", url, data=data)
    else:
        request = httpx.Request("POST", url, params=data)
    return emulator.handle(request)


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"time_used", "error_message", "request_id"}
    message: str = body["error_message"]
    return message


def expect_error(response: httpx.Response, name: str, arg: str | None = None) -> None:
    error = facepp.ERRORS[name]
    assert response.status_code == error.status
    assert response.headers["content-type"] == "application/json"
    assert error_of(response) == error.message(arg)


@pytest.fixture
def emulator() -> Emulator:
    """A fresh emulator."""
    return Emulator()


def test_success_multipart(emulator: Emulator) -> None:
    response = post(emulator)
    assert response.status_code == 200
    assert response.headers["content-type"] == facepp.CONTENT_TYPE
    body = response.json()
    assert re.fullmatch(r"\d+,[0-9a-f-]{36}", body["request_id"])
    assert isinstance(body["time_used"], int)
    assert set(body["face"]["landmark"]) == set(facepp.ALL_PARTS)
    keys = sum(len(part) for part in body["face"]["landmark"].values())
    assert keys == facepp.TOTAL_KEYS
    assert set(body["face"]["face_rectangle"]) == {"top", "left", "width", "height"}


def test_urlencoded_base64_and_query_string_url(emulator: Emulator) -> None:
    b64 = base64.b64encode(JPEG).decode()
    by_b64 = post(emulator, {"image_base64": b64}, form="urlencoded")
    assert by_b64.status_code == 200
    emulator.register_url("https://example.com/face.jpg", JPEG)
    by_url = post(emulator, {"image_url": "https://example.com/face.jpg"}, form="query")
    assert by_url.status_code == 200
    # same image, same landmarks, whatever the transport
    assert by_b64.json()["face"] == by_url.json()["face"] == post(emulator).json()["face"]


@pytest.mark.parametrize("value", ["all", "All", "ALL", "nose,all", "left_eye, all ,mouth"])
def test_all_anywhere_in_the_list(emulator: Emulator, value: str) -> None:
    body = post(emulator, {"return_landmark": value}).json()
    assert set(body["face"]["landmark"]) == set(facepp.ALL_PARTS)


def test_only_requested_parts(emulator: Emulator) -> None:
    body = post(emulator, {"return_landmark": "mouth,left_eye,mouth"}).json()
    assert set(body["face"]["landmark"]) == {"mouth", "left_eye"}
    legacy = post(emulator, {"return_landmark": ",".join(facepp.LEGACY_PARTS)}).json()
    assert set(legacy["face"]["landmark"]) == set(facepp.LEGACY_PARTS)


@pytest.mark.parametrize("value", ["nose,ears", "mouths", ","])
def test_unknown_part_is_bad_arguments(emulator: Emulator, value: str) -> None:
    response = post(emulator, {"return_landmark": value})
    expect_error(response, "BAD_ARGUMENTS", "return_landmark")
    assert NOTE_HEADER not in response.headers  # the vendor's own rule: no note


@pytest.mark.parametrize("value", ["mouse", "left_eye,MOUSE"])
def test_docs_mouse_spelling_is_answered_with_the_mouth_part(
    emulator: Emulator, value: str
) -> None:
    landmark = post(emulator, {"return_landmark": value}).json()["face"]["landmark"]
    assert "mouth" in landmark
    assert "mouse" not in landmark


def test_strict_mode_refuses_mouse_and_says_the_rule_is_unverified() -> None:
    response = post(Emulator(strict=True), {"return_landmark": "mouse"})
    expect_error(response, "BAD_ARGUMENTS", "return_landmark")
    assert "unverified" in response.headers[NOTE_HEADER]
    assert post(Emulator(strict=True), {"return_landmark": "mouth"}).status_code == 200


@pytest.mark.parametrize("missing", ["api_key", "api_secret"])
def test_missing_arguments(emulator: Emulator, missing: str) -> None:
    expect_error(post(emulator, {missing: None}), "MISSING_ARGUMENTS", missing)  # type: ignore[dict-item]
    expect_error(post(emulator, {missing: ""}), "MISSING_ARGUMENTS", missing)


@pytest.mark.parametrize("value", [None, "", " "])
def test_missing_return_landmark_gets_the_documented_default_unless_strict(
    emulator: Emulator, value: str | None
) -> None:
    body = post(emulator, {"return_landmark": value}).json()  # type: ignore[dict-item]
    assert set(body["face"]["landmark"]) == set(facepp.ALL_PARTS)
    strict = post(Emulator(strict=True), {"return_landmark": value})  # type: ignore[dict-item]
    expect_error(strict, "MISSING_ARGUMENTS", "return_landmark")
    assert "strict mode" in strict.headers[NOTE_HEADER]


def test_missing_image(emulator: Emulator) -> None:
    response = post(emulator, image=None)
    expect_error(response, "MISSING_ARGUMENTS", facepp.MISSING_IMAGE_ARGUMENTS)
    assert error_of(response) == "MISSING_ARGUMENTS: image_url, image_file, image_base64"


def test_credentials(emulator: Emulator) -> None:
    assert post(emulator, {"api_key": "anything"}).status_code == 200
    emulator.set_credentials(api_key="synthetic-key", api_secret="synthetic-secret")
    assert post(emulator).status_code == 200
    expect_error(post(emulator, {"api_key": "other"}), "AUTHENTICATION_ERROR")
    expect_error(post(emulator, {"api_secret": "other"}), "AUTHENTICATION_ERROR")
    assert post(emulator, {"api_key": "other"}).status_code == 401
    with pytest.raises(ValueError, match="non-empty string"):
        emulator.set_credentials(api_key="")


def test_face_token(emulator: Emulator) -> None:
    expect_error(post(emulator, {"face_token": "abc123"}), "INVALID_FACE_TOKEN", "abc123")
    face = Face(50, 60, 200, 200, seed=4)
    emulator.register_face_token("abc123", face)
    body = post(emulator, {"face_token": "abc123"}, image=b"not an image").json()
    assert body["face"] == facepp_face(face)
    emulator.register_face_token("none", None)
    assert "face" not in post(emulator, {"face_token": "none"}).json()


def test_precedence_file_then_base64_then_url(emulator: Emulator) -> None:
    # a valid file wins over a broken base64 and an unknown URL
    response = post(emulator, {"image_base64": "!!!", "image_url": "https://nowhere/x.jpg"})
    assert response.status_code == 200
    # without a file, base64 wins over the unknown URL ...
    b64 = base64.b64encode(JPEG).decode()
    response = post(
        emulator, {"image_base64": b64, "image_url": "https://nowhere/x.jpg"}, form="urlencoded"
    )
    assert response.status_code == 200
    # ... and a broken base64 is reported as such, not the URL
    response = post(
        emulator, {"image_base64": "!!!", "image_url": "https://nowhere"}, form="urlencoded"
    )
    expect_error(response, "IMAGE_ERROR_UNSUPPORTED_FORMAT", "image_base64")


def test_invalid_image_url(emulator: Emulator) -> None:
    expect_error(
        post(emulator, {"image_url": "https://nowhere/x.jpg"}, image=None), "INVALID_IMAGE_URL"
    )


@pytest.mark.parametrize(
    "image",
    [make_image("GIF", 300, 300), make_image("BMP", 300, 300), b"plain bytes", JPEG[:20]],
)
def test_unsupported_format(emulator: Emulator, image: bytes) -> None:
    expect_error(post(emulator, image=image), "IMAGE_ERROR_UNSUPPORTED_FORMAT", "image_file")


@pytest.mark.parametrize(("width", "height"), [(99, 300), (300, 99), (4097, 200), (200, 4097)])
def test_invalid_image_size(emulator: Emulator, width: int, height: int) -> None:
    image = make_image("PNG", width, height)
    expect_error(post(emulator, image=image), "INVALID_IMAGE_SIZE", "image_file")


@pytest.mark.parametrize(("width", "height"), [(100, 100), (4096, 120)])
def test_image_size_limits_are_inclusive(emulator: Emulator, width: int, height: int) -> None:
    assert post(emulator, image=make_image("JPEG", width, height)).status_code == 200


def test_image_file_too_large_through_url(emulator: Emulator) -> None:
    big = make_image("PNG", 400, 400) + b"\x00" * facepp.IMAGE_LIMITS.max_file_bytes
    emulator.register_url("https://example.com/big.png", big)
    response = post(emulator, {"image_url": "https://example.com/big.png"}, image=None)
    expect_error(response, "IMAGE_FILE_TOO_LARGE", "image_url")


def test_request_over_2mb_is_plain_text_413(emulator: Emulator) -> None:
    big = JPEG + b"\x00" * facepp.MAX_REQUEST_BYTES
    response = post(emulator, image=big)
    error = facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"]
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == error.message()


def test_other_path_is_api_not_found(emulator: Emulator) -> None:
    url = f"https://{facepp.HOSTS[1]}/facepp/v3/compare"
    expect_error(post(emulator, url=url), "API_NOT_FOUND")
    assert post(emulator, url=f"https://{facepp.HOSTS[1]}{facepp.PATH}").status_code == 200


def test_loopback_host_is_served_by_path(emulator: Emulator) -> None:
    assert post(emulator, url=f"http://127.0.0.1:8123{facepp.PATH}").status_code == 200


def test_only_the_largest_face(emulator: Emulator) -> None:
    small = Face(20, 20, 150, 150, seed=1)
    large = Face(300, 100, 260, 260, seed=2)
    image = make_image("PNG", 800, 600, faces=[small, large])
    body = post(emulator, image=image).json()
    assert body["face"] == facepp_face(large)


def test_faces_below_minimum_size_are_not_found(emulator: Emulator) -> None:
    # 2400 px short side: the service finds faces of at least 100 px
    limit = facepp.IMAGE_LIMITS.min_face_size(2400, 2400)
    tiny = Face(10, 10, limit - 1, limit - 1)
    just = Face(500, 500, limit, limit)
    assert "face" not in post(emulator, image=make_image("PNG", 2400, 2400, faces=[tiny])).json()
    body = post(emulator, image=make_image("PNG", 2400, 2400, faces=[tiny, just])).json()
    assert body["face"] == facepp_face(just)


def test_no_face(emulator: Emulator) -> None:
    body = post(emulator, image=make_faceless_image("JPEG", 300, 300)).json()
    assert "face" not in body
    assert set(body) == {"time_used", "request_id"}


def test_default_face_is_deterministic_and_seeded_by_content(emulator: Emulator) -> None:
    a = post(emulator, image=make_image("JPEG", 640, 480, seed=1)).json()["face"]
    again = Emulator()
    assert post(again, image=make_image("JPEG", 640, 480, seed=1)).json()["face"] == a
    b = post(emulator, image=make_image("JPEG", 640, 480, seed=2)).json()["face"]
    assert a != b


def test_set_faces_by_bytes_and_digest(emulator: Emulator) -> None:
    import hashlib

    image = make_image("JPEG", 500, 500, seed=9)
    face = Face(100, 100, 200, 220, smile=0.8)
    emulator.set_faces(image, [face])
    assert post(emulator, image=image).json()["face"] == facepp_face(face)
    emulator.set_faces(hashlib.sha256(image).hexdigest().upper(), [])
    assert "face" not in post(emulator, image=image).json()
    with pytest.raises(ValueError, match="sha256"):
        emulator.set_faces("not-a-digest", [])


def test_injected_error_n_times_then_success(emulator: Emulator) -> None:
    emulator.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=2)
    first, second, third = (post(emulator) for _ in range(3))
    expect_error(first, "CONCURRENCY_LIMIT_EXCEEDED")
    expect_error(second, "CONCURRENCY_LIMIT_EXCEEDED")
    assert third.status_code == 200
    assert [c.fault for c in emulator.calls] == ["error:CONCURRENCY_LIMIT_EXCEEDED"] * 2 + [None]
    assert [c.source for c in emulator.calls] == ["fault", "fault", "emulator"]


def test_injected_error_with_argument_and_plain_text(emulator: Emulator) -> None:
    emulator.inject_error("facepp", "AUTHORIZATION_ERROR", arg="Denied by Admin")
    expect_error(post(emulator), "AUTHORIZATION_ERROR", "Denied by Admin")
    emulator.inject_error("facepp", "REQUEST_ENTITY_TOO_LARGE")
    assert post(emulator).status_code == 413
    with pytest.raises(ValueError, match="not a documented facepp error"):
        emulator.inject_error("facepp", "NOPE")
    with pytest.raises(ValueError, match="vendor must be one of"):
        emulator.inject_error("azure", "INTERNAL_ERROR")
    with pytest.raises(ValueError, match="times must be"):
        emulator.inject_error("facepp", "INTERNAL_ERROR", times=0)


def test_injected_error_only_hits_its_vendor(emulator: Emulator) -> None:
    emulator.inject_error("tencent", "InternalError")
    assert post(emulator).status_code == 200


def test_timeout_and_disconnect(emulator: Emulator) -> None:
    emulator.inject_timeout(vendor="facepp")
    with pytest.raises(EmulatedTimeout) as timeout:
        post(emulator)
    assert isinstance(timeout.value, InjectedFault)
    assert timeout.value.vendor == "facepp"
    emulator.inject_disconnect(times=1)
    with pytest.raises(EmulatedDisconnect):
        post(emulator)
    assert post(emulator).status_code == 200
    assert [c.fault for c in emulator.calls] == ["timeout", "disconnect", None]
    assert emulator.calls[0].response is None


def test_latency_is_reported_not_slept(emulator: Emulator) -> None:
    emulator.inject_latency(0.25, times=2)
    emulator.inject_latency(0.5, vendor="facepp", times=1)
    first, second, third = (post(emulator) for _ in range(3))
    assert first.extensions[LATENCY_EXTENSION] == 0.75
    assert second.extensions[LATENCY_EXTENSION] == 0.25
    assert LATENCY_EXTENSION not in third.extensions
    with pytest.raises(ValueError, match="seconds"):
        emulator.inject_latency(-1)


def test_queued_responses_come_first(emulator: Emulator) -> None:
    emulator.inject_error("facepp", "INTERNAL_ERROR")
    emulator.queue_response("facepp", {"custom": True}, status=202, times=2)
    emulator.queue_response(None, "down for maintenance", status=503)
    a, b, c, d, e = (post(emulator) for _ in range(5))
    assert (a.status_code, a.json()) == (202, {"custom": True})
    assert a.headers["content-type"] == "application/json"
    assert b.status_code == 202
    assert (c.status_code, c.text) == (503, "down for maintenance")
    assert c.headers["content-type"] == "text/plain"
    expect_error(d, "INTERNAL_ERROR")
    assert e.status_code == 200
    emulator.queue_response("facepp", b"\x00", headers={"content-type": "x/y"})
    assert post(emulator).headers["content-type"] == "x/y"


def test_call_log_redacts_secrets_and_summarises_images(emulator: Emulator) -> None:
    post(emulator, {"image_base64": base64.b64encode(JPEG).decode(), "start": "1"})
    (call,) = emulator.calls_for("facepp")
    assert call.vendor == "facepp"
    assert call.action == facepp.ACTION
    assert call.version is None
    assert call.params["api_key"] == call.params["api_secret"] == "<redacted>"
    assert call.params["start"] == "1"
    for name in ("image_file", "image_base64"):
        summary = call.params[name]
        assert summary["format"] == "JPEG"
        assert (summary["width"], summary["height"], summary["size"]) == (640, 480, len(JPEG))
    assert call.status == 200
    assert call.json()["face"]
    text = json.dumps(call.params)
    assert KEYS["api_key"] not in text
    assert KEYS["api_secret"] not in text
    assert emulator.calls_for("tencent") == []


def test_reset_forgets_everything(emulator: Emulator) -> None:
    emulator.set_credentials(api_key="x")
    emulator.inject_error("facepp", "INTERNAL_ERROR", times=None)
    emulator.register_face_token("t", None)
    post(emulator)
    emulator.reset()
    assert emulator.calls == []
    assert post(emulator).status_code == 200
    expect_error(post(emulator, {"face_token": "t"}), "INVALID_FACE_TOKEN", "t")


def test_unknown_host_gets_404(emulator: Emulator) -> None:
    response = emulator.handle(httpx.Request("GET", "http://127.0.0.1:9/"))
    assert response.status_code == 404
    assert "no emulated vendor API" in response.text
    assert emulator.calls[0].vendor is None


def test_thread_safe_fault_counting(emulator: Emulator) -> None:
    emulator.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=10)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            status = post(emulator).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(403) == 10
    assert statuses.count(200) == 20
    assert len(emulator.calls) == 30


def _cassette(tmp_path: Path, responses: list[dict[str, Any]]) -> Path:
    from pytest_densemark.cassettes import redact_request

    request = httpx.Request(
        "POST",
        facepp.URL,
        data={**KEYS, "return_landmark": "all"},
        files={"image_file": ("a.jpg", JPEG)},
    )
    data = {
        "densemark_cassette": 1,
        "vendor": "facepp",
        "action": facepp.ACTION,
        "version": None,
        "description": "synthetic: two answers",
        "source": "synthetic",
        "kit_version": "0.1.0",
        "interactions": [
            {"request": redact_request(request), "response": response} for response in responses
        ],
    }
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cassette_answers_after_queue_and_faults(emulator: Emulator, tmp_path: Path) -> None:
    error = {"time_used": 1, "error_message": "INTERNAL_ERROR", "request_id": "1,x"}
    ok = {"time_used": 2, "request_id": "2,y"}
    headers = {"Content-Type": "application/json"}
    path = _cassette(
        tmp_path,
        [
            {"status": 500, "headers": headers, "body": error},
            {"status": 200, "headers": headers, "body": ok},
        ],
    )
    cassette = emulator.use_cassette(path)
    assert emulator.cassette is cassette
    assert len(emulator.unplayed()) == 2
    emulator.inject_timeout()
    with pytest.raises(EmulatedTimeout):
        post(emulator)
    assert post(emulator).json() == error
    assert post(emulator).json() == ok
    assert emulator.unplayed() == []
    assert [c.source for c in emulator.calls] == ["fault", "cassette", "cassette"]
    emulator.eject_cassette()
    assert "face" in post(emulator).json()
    assert emulator.unplayed() == []


# -- the pre-encoded answer cache ----------------------------------------------------------


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    """A Face++ body minus its per-request fields."""
    return {k: v for k, v in body.items() if k not in ("request_id", "time_used")}


@pytest.fixture
def private() -> Emulator:
    """An emulator with an empty answer cache of its own (the shared one holds other tests')."""
    return Emulator(answer_cache_size=ANSWER_CACHE_SIZE)


def test_cached_repeat_is_identical_but_for_ids(private: Emulator) -> None:
    emulator = private
    first, second = post(emulator), post(emulator)
    info = emulator.answer_cache_info()
    assert (info.hits, info.misses, info.size) == (1, 1, 1)
    a, b = first.json(), second.json()
    assert a["request_id"] != b["request_id"]
    assert list(a) == list(b) == ["time_used", "request_id", "face"]
    assert without_ids(a) == without_ids(b)
    assert second.headers["content-type"] == facepp.CONTENT_TYPE


def test_cached_bytes_equal_a_fresh_encoding() -> None:
    """The spliced body is byte for byte what encoding the whole answer would give."""
    cached, uncached = Emulator(seed=5), Emulator(seed=5, answer_cache_size=0)
    for _ in range(3):
        response = post(cached, {"return_landmark": "left_eye,nose"})
        fresh = post(uncached, {"return_landmark": "left_eye,nose"})
        assert response.content == fresh.content
        body = response.json()
        expected = {
            "time_used": body["time_used"],
            "request_id": body["request_id"],
            "face": body["face"],
        }
        assert response.content == json.dumps(expected, separators=(",", ":")).encode()
    assert cached.answer_cache_info().hits == 2
    assert uncached.answer_cache_info().size == 0


def test_cache_keys_on_the_part_set(private: Emulator) -> None:
    emulator = private
    full = post(emulator).json()["face"]["landmark"]
    eyes = post(emulator, {"return_landmark": "left_eye"}).json()["face"]["landmark"]
    assert set(full) == set(facepp.ALL_PARTS)
    assert set(eyes) == {"left_eye"}
    assert eyes["left_eye"] == full["left_eye"]
    assert emulator.answer_cache_info().misses == 2


def test_set_faces_changes_a_cached_answer(emulator: Emulator) -> None:
    before = post(emulator).json()["face"]
    assert post(emulator).json()["face"] == before  # now cached
    face = Face(100, 120, 220, 220, seed=7)
    emulator.set_faces(JPEG, [face])
    after = post(emulator).json()["face"]
    assert after != before
    assert after == facepp_face(face)
    emulator.set_faces(JPEG, [])
    assert "face" not in post(emulator).json()


def test_face_token_answers_are_cached_per_face(emulator: Emulator) -> None:
    one, two = Face(50, 60, 200, 200, seed=1), Face(50, 60, 200, 200, seed=2)
    emulator.register_face_token("token-a", one)
    emulator.register_face_token("token-b", two)
    a = post(emulator, {"face_token": "token-a"}, image=None, form="urlencoded").json()
    b = post(emulator, {"face_token": "token-b"}, image=None, form="urlencoded").json()
    assert a["face"] == facepp_face(one)
    assert b["face"] == facepp_face(two)


def test_reset_empties_a_private_cache(private: Emulator) -> None:
    emulator = private
    face = Face(100, 120, 220, 220, seed=7)
    emulator.set_faces(JPEG, [face])
    assert post(emulator).json()["face"] == facepp_face(face)
    assert emulator.answer_cache_info().size == 1
    emulator.reset()
    info = emulator.answer_cache_info()
    assert (info.hits, info.misses, info.size) == (0, 0, 0)
    assert post(emulator).json()["face"] != facepp_face(face)  # the default face again


def test_cache_is_bounded_lru() -> None:
    emulator = Emulator(answer_cache_size=2)
    images = [make_image("JPEG", 320, 240, seed=seed) for seed in range(3)]
    for image in images:
        post(emulator, image=image)
    assert emulator.answer_cache_info().size == 2
    post(emulator, image=images[2])  # still cached
    post(emulator, image=images[0])  # evicted, so built again
    info = emulator.answer_cache_info()
    assert (info.hits, info.misses, info.size, info.maxsize) == (1, 4, 2, 2)


@pytest.mark.parametrize("size", [-1, 1.5, True])
def test_cache_size_is_checked(size: Any) -> None:
    with pytest.raises(ValueError, match="answer_cache_size must be an integer >= 0"):
        Emulator(answer_cache_size=size)


def test_cache_under_threads(private: Emulator) -> None:
    emulator = private
    images = [make_image("JPEG", 320, 240, seed=seed) for seed in range(4)]
    expected = [post(Emulator(answer_cache_size=0), image=image).json() for image in images]
    failures: list[str] = []

    def worker() -> None:
        for round_ in range(10):
            for index, image in enumerate(images):
                body = post(emulator, image=image).json()
                if without_ids(body) != without_ids(expected[index]):
                    failures.append(f"round {round_}: image {index} answered differently")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    info = emulator.answer_cache_info()
    assert info.size == len(images)
    assert info.hits + info.misses == 6 * 10 * len(images)
    assert len({call.json()["request_id"] for call in emulator.calls}) == 6 * 10 * len(images)


def test_answers_carry_the_headers_httpx_content_would() -> None:
    """Emulated and queued answers look exactly like ``httpx.Response(content=...)``."""
    emulator = Emulator()
    emulator.queue_response("facepp", b"", headers={"X-Extra": "1"})
    emulator.queue_response("facepp", "queued", headers={"content-length": "6"})
    empty, sized, emulated = post(emulator), post(emulator), post(emulator)
    assert empty.headers.raw == [
        (b"Content-Type", b"application/octet-stream"),
        (b"X-Extra", b"1"),
    ]  # no Content-Length for an empty body, as httpx does
    assert sized.text == "queued"
    assert sized.headers.raw == [(b"Content-Type", b"text/plain"), (b"content-length", b"6")]
    reference = httpx.Response(
        200, headers={"Content-Type": facepp.CONTENT_TYPE}, content=emulated.content
    )
    assert emulated.headers.raw == reference.headers.raw
    assert emulated.is_stream_consumed
    assert emulated.is_closed


def test_a_queued_header_that_cannot_be_sent_is_refused_when_queued() -> None:
    """A header httpx cannot encode fails at queue_response, not at every answer, and says
    what was expected."""
    with pytest.raises(ValueError, match=r"header 'X-Bad': expected a header value of ASCII"):
        Emulator().queue_response("facepp", b"x", headers={"X-Bad": "caf\u00e9"})


def test_repeat_image_answers_the_same_face_from_the_caches() -> None:
    """The remembered marker readings and default faces give the first answer's landmarks."""
    emulator = Emulator()
    marked = make_image("JPEG", 640, 480, faces=[Face(100, 100, 200, 200)])
    for image in (JPEG, marked):
        first, second = post(emulator, image=image).json(), post(emulator, image=image).json()
        assert first["face"] == second["face"]
        assert first["request_id"] != second["request_id"]
    fresh = Emulator()
    assert post(fresh, image=marked).json()["face"] == second["face"]
