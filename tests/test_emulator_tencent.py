"""The emulator's Tencent AnalyzeDenseLandmarks behaviour, through Emulator.handle."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from pytest_densemark import tc3, tencent
from pytest_densemark.emulator import ANSWER_CACHE_SIZE, Emulator
from pytest_densemark.faces import Face, tencent_face
from pytest_densemark.images import make_faceless_image, make_image
from pytest_densemark.validation import validate

SECRET_ID = "AKIDsyntheticEXAMPLE"
SECRET_KEY = "synthetic-secret-key"
NOW = 1_700_000_000
JPEG = make_image("JPEG", 640, 480)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def request(
    params: dict[str, Any] | bytes,
    *,
    action: str | None = tencent.ACTION,
    version: str | None = tencent.VERSIONS[1],
    timestamp: int = NOW,
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
    host: str = tencent.HOST,
    authorization: str | None = None,
    extra: dict[str, str] | None = None,
) -> httpx.Request:
    """A signed API 3.0 request, as the official SDK builds it."""
    body = params if isinstance(params, bytes) else json.dumps(params).encode()
    headers = {"Content-Type": tencent.CONTENT_TYPE, "Host": host, "X-TC-Timestamp": str(timestamp)}
    if action is not None:
        headers["X-TC-Action"] = action
    if version is not None:
        headers["X-TC-Version"] = version
    headers["Authorization"] = authorization or tc3.authorization_header(
        secret_id, secret_key, host=host, body=body, timestamp=timestamp
    )
    headers.update(extra or {})
    return httpx.Request("POST", f"https://{host}/", headers=headers, content=body)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"] == tencent.CONTENT_TYPE
    body = response.json()["Response"]
    assert isinstance(body["RequestId"], str)
    code: str = body["Error"]["Code"] if "Error" in body else "OK"
    if code != "OK":
        assert code in tencent.ERRORS
    return code


@pytest.fixture
def emulator() -> Emulator:
    """An emulator with a fixed clock and configured secrets."""
    emulator = Emulator(clock=lambda: NOW)
    emulator.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    return emulator


@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_success_both_versions(emulator: Emulator, version: str) -> None:
    response = emulator.handle(request({"Image": b64(JPEG)}, version=version))
    assert code_of(response) == "OK"
    body = response.json()["Response"]
    assert list(body) == list(tencent.RESPONSE_FIELDS)
    assert (body["ImageWidth"], body["ImageHeight"]) == (640, 480)
    assert body["FaceModelVersion"] == tencent.FACE_MODEL_VERSIONS[0]
    (shape,) = body["DenseFaceShapeSet"]
    assert sum(len(shape[name]) for name in tencent.POINT_LISTS) == tencent.KIT_PROFILE.total
    (call,) = emulator.calls_for("tencent")
    assert (call.action, call.version) == (tencent.ACTION, version)


def _faces(count: int) -> list[Face]:
    # increasing sizes, listed smallest first
    return [Face(10 + 150 * i, 20, 80 + 10 * i, 90 + 10 * i, seed=i) for i in range(count)]


def test_mode_0_returns_up_to_five_largest_first(emulator: Emulator) -> None:
    faces = _faces(7)
    image = make_image("PNG", 1200, 400, faces=faces)
    body = emulator.handle(request({"Image": b64(image), "Mode": 0})).json()["Response"]
    expected = [tencent_face(f) for f in sorted(faces, key=lambda f: -f.width * f.height)[:5]]
    assert body["DenseFaceShapeSet"] == expected
    default = emulator.handle(request({"Image": b64(image)})).json()["Response"]
    assert len(default["DenseFaceShapeSet"]) == tencent.MAX_FACES


def test_mode_1_returns_the_largest(emulator: Emulator) -> None:
    faces = _faces(3)
    image = make_image("BMP", 800, 300, faces=faces)
    body = emulator.handle(request({"Image": b64(image), "Mode": 1})).json()["Response"]
    assert body["DenseFaceShapeSet"] == [tencent_face(faces[-1])]


def test_url_wins_over_image(emulator: Emulator) -> None:
    emulator.register_url("https://example.com/a.png", make_image("PNG", 300, 200))
    body = emulator.handle(
        request({"Url": "https://example.com/a.png", "Image": b64(JPEG)})
    ).json()["Response"]
    assert (body["ImageWidth"], body["ImageHeight"]) == (300, 200)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"action": "DetectFace"}, "InvalidAction"),
        ({"action": None}, "MissingParameter"),
        ({"version": "2017-01-01"}, "NoSuchVersion"),
        ({"version": None}, "MissingParameter"),
        ({"secret_id": "AKIDother"}, "AuthFailure.SecretIdNotFound"),
        ({"secret_key": "wrong"}, "AuthFailure.SignatureFailure"),
        ({"timestamp": NOW - 301}, "AuthFailure.SignatureExpire"),
        ({"timestamp": NOW + 301}, "AuthFailure.SignatureExpire"),
        ({"authorization": "TC3-HMAC-SHA256 garbage"}, "AuthFailure.InvalidAuthorization"),
        ({"authorization": "Bearer x"}, "AuthFailure.InvalidAuthorization"),
    ],
)
def test_routing_and_auth_errors(emulator: Emulator, kwargs: dict[str, Any], code: str) -> None:
    assert code_of(emulator.handle(request({"Image": b64(JPEG)}, **kwargs))) == code


@pytest.mark.parametrize(
    "authorization",
    [
        # Well formed but for its signature, so the SecretId sits inside the first 80 chars.
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2023-11-14/iai/tc3_request,"
        " SignedHeaders=content-type;host, Signature=short",
        f"Bearer {SECRET_ID}",
        SECRET_ID,
    ],
)
def test_invalid_authorization_message_never_repeats_the_header(
    emulator: Emulator, authorization: str
) -> None:
    # The answer reaches the client's logs: it says what is wrong, not what was sent.
    response = emulator.handle(request({"Image": b64(JPEG)}, authorization=authorization))
    assert code_of(response) == "AuthFailure.InvalidAuthorization"
    message = response.json()["Response"]["Error"]["Message"]
    assert SECRET_ID not in message
    assert "short" not in message
    assert "TC3-HMAC-SHA256 Credential=<SecretId>" in message


def test_action_and_version_are_checked_before_the_timestamp(emulator: Emulator) -> None:
    # The order docs/emulator.md gives: action and version, then the timestamp and signature.
    headers = {"Content-Type": tencent.CONTENT_TYPE, "X-TC-Version": tencent.VERSIONS[1]}
    sent = httpx.Request(
        "POST", f"https://{tencent.HOST}/", headers={**headers, "X-TC-Action": "DetectFace"}
    )
    assert code_of(emulator.handle(sent)) == "InvalidAction"
    sent = httpx.Request(
        "POST", f"https://{tencent.HOST}/", headers={**headers, "X-TC-Action": tencent.ACTION}
    )
    assert code_of(emulator.handle(sent)) == "MissingParameter"


def test_within_clock_skew_is_accepted(emulator: Emulator) -> None:
    assert code_of(emulator.handle(request({"Image": b64(JPEG)}, timestamp=NOW - 300))) == "OK"


def test_tampered_body_and_host_fail_the_signature(emulator: Emulator) -> None:
    good = request({"Image": b64(JPEG)})
    tampered = httpx.Request("POST", good.url, headers=good.headers, content=good.content + b" ")
    assert code_of(emulator.handle(tampered)) == "AuthFailure.SignatureFailure"
    headers = dict(good.headers)
    headers["host"] = "iai.ap-beijing.tencentcloudapi.com"
    moved = httpx.Request(
        "POST", "https://iai.ap-beijing.tencentcloudapi.com/", headers=headers, content=good.content
    )
    assert code_of(emulator.handle(moved)) == "AuthFailure.SignatureFailure"


def test_any_signature_accepted_until_configured() -> None:
    emulator = Emulator()
    response = emulator.handle(request({"Image": b64(JPEG)}, secret_key="x", timestamp=12345))
    assert code_of(response) == "OK"
    # the header must still be a TC3-HMAC-SHA256 header
    response = emulator.handle(request({"Image": b64(JPEG)}, authorization="nonsense"))
    assert code_of(response) == "AuthFailure.InvalidAuthorization"


def test_token(emulator: Emulator) -> None:
    emulator.set_credentials(token="session-token")
    assert code_of(emulator.handle(request({"Image": b64(JPEG)}))) == "AuthFailure.TokenFailure"
    ok = request({"Image": b64(JPEG)}, extra={"X-TC-Token": "session-token"})
    assert code_of(emulator.handle(ok)) == "OK"


def test_timestamp_header_rules(emulator: Emulator) -> None:
    good = request({"Image": b64(JPEG)})
    headers = {k: v for k, v in good.headers.items() if k.lower() != "x-tc-timestamp"}
    missing = httpx.Request("POST", good.url, headers=headers, content=good.content)
    assert code_of(emulator.handle(missing)) == "MissingParameter"
    bad = httpx.Request(
        "POST", good.url, headers={**headers, "X-TC-Timestamp": "soon"}, content=good.content
    )
    assert code_of(emulator.handle(bad)) == "InvalidParameter"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Image": b64(JPEG), "Foo": 1}, "UnknownParameter"),
        ({}, "InvalidParameterValue.ImageEmpty"),
        ({"Image": ""}, "InvalidParameterValue.ImageEmpty"),
        (
            {"Image": b64(JPEG), "FaceModelVersion": "2.0"},
            "InvalidParameterValue.FaceModelVersionIllegal",
        ),
        ({"Url": "ftp://example.com/a.jpg"}, "InvalidParameterValue.UrlIllegal"),
        ({"Url": "not a url"}, "InvalidParameterValue.UrlIllegal"),
        ({"Url": "https://example.com/unknown.jpg"}, "FailedOperation.ImageDownloadError"),
        ({"Image": "***"}, "FailedOperation.ImageDecodeFailed"),
        ({"Image": b64(b"hello world")}, "FailedOperation.ImageDecodeFailed"),
        ({"Image": b64(make_image("GIF", 300, 300))}, "FailedOperation.ImageDecodeFailed"),
        ({"Image": b64(make_image("PNG", 300, 63))}, "FailedOperation.ImageResolutionTooSmall"),
        ({"Image": b64(make_image("PNG", 2001, 100))}, "FailedOperation.ImageResolutionExceed"),
        ({"Image": b64(make_image("BMP", 100, 2001))}, "FailedOperation.ImageResolutionExceed"),
        ({"Image": b64(make_image("JPEG", 4001, 100))}, "FailedOperation.ImageResolutionExceed"),
        (
            {"Image": b64(make_faceless_image("JPEG", 300, 300))},
            "InvalidParameterValue.NoFaceInPhoto",
        ),
        ({"Image": b64(JPEG), "Mode": 2}, "InvalidParameterValue"),
        ({"Image": b64(JPEG), "Mode": "1"}, "InvalidParameter"),
        ({"Image": b64(JPEG), "NeedRotateDetection": 3}, "InvalidParameterValue"),
        ({"Image": 5}, "InvalidParameter"),
    ],
)
def test_parameter_rules(emulator: Emulator, params: dict[str, Any], code: str) -> None:
    assert code_of(emulator.handle(request(params))) == code


@pytest.mark.parametrize(
    ("fmt", "width", "height"), [("JPEG", 4000, 64), ("PNG", 2000, 64), ("BMP", 64, 2000)]
)
def test_resolution_limits_are_inclusive(
    emulator: Emulator, fmt: str, width: int, height: int
) -> None:
    image = make_image(fmt, width, height)
    params = {"Image": b64(image), "FaceModelVersion": "3.0", "NeedRotateDetection": 1}
    assert code_of(emulator.handle(request(params))) == "OK"


def test_image_size_exceed(emulator: Emulator) -> None:
    limit = tencent.IMAGE_LIMITS.max_base64_bytes
    image = make_image("PNG", 300, 300)
    image += b"\x00" * (limit * 3 // 4 + 10 - len(image))
    assert (
        code_of(emulator.handle(request({"Image": b64(image)})))
        == "FailedOperation.ImageSizeExceed"
    )
    emulator.register_url("https://example.com/big.png", image)
    response = emulator.handle(request({"Url": "https://example.com/big.png"}))
    assert code_of(response) == "FailedOperation.ImageSizeExceed"


def test_broken_json_body(emulator: Emulator) -> None:
    assert code_of(emulator.handle(request(b"{oops"))) == "InvalidParameter"


def test_injected_tencent_errors(emulator: Emulator) -> None:
    emulator.inject_error("tencent", "RequestLimitExceeded", times=2)
    codes = [code_of(emulator.handle(request({"Image": b64(JPEG)}))) for _ in range(3)]
    assert codes == ["RequestLimitExceeded", "RequestLimitExceeded", "OK"]
    with pytest.raises(ValueError, match="not a documented tencent error"):
        emulator.inject_error("tencent", "CONCURRENCY_LIMIT_EXCEEDED")


def test_call_log_summarises_the_image(emulator: Emulator) -> None:
    emulator.handle(request({"Image": b64(JPEG), "Mode": 1}))
    (call,) = emulator.calls
    assert call.params["Mode"] == 1
    assert call.params["Image"]["format"] == "JPEG"
    assert call.params["Image"]["size"] == len(JPEG)
    assert b64(JPEG) not in json.dumps(call.params)


def test_loopback_host_by_header(emulator: Emulator) -> None:
    host = "127.0.0.1:8765"
    response = emulator.handle(request({"Image": b64(JPEG)}, host=host))
    assert code_of(response) == "OK"


def test_methods_other_than_get_and_post_are_refused(emulator: Emulator) -> None:
    good = request({"Image": b64(JPEG)})
    put = httpx.Request("PUT", good.url, headers=good.headers, content=good.content)
    assert code_of(emulator.handle(put)) == "UnsupportedProtocol"


def test_get_carrying_a_post_signature_fails_the_signature(emulator: Emulator) -> None:
    good = request({"Image": b64(JPEG)})
    get = httpx.Request("GET", good.url, headers=good.headers)
    assert code_of(emulator.handle(get)) == "AuthFailure.SignatureFailure"


def test_same_image_same_answer() -> None:
    first = Emulator(seed=5).handle(request({"Image": b64(JPEG)})).json()
    second = Emulator(seed=5).handle(request({"Image": b64(JPEG)})).json()
    assert first == second


# -- the pre-encoded answer cache ----------------------------------------------------------


def test_cached_repeat_is_identical_but_for_request_id(emulator: Emulator) -> None:
    emulator = Emulator(clock=lambda: NOW, answer_cache_size=ANSWER_CACHE_SIZE)
    emulator.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    first = emulator.handle(request({"Image": b64(JPEG)}))
    second = emulator.handle(request({"Image": b64(JPEG)}))
    assert code_of(first) == code_of(second) == "OK"
    assert second.headers["content-type"] == tencent.CONTENT_TYPE
    a, b = first.json()["Response"], second.json()["Response"]
    assert a["RequestId"] != b["RequestId"]
    assert list(a) == list(b) == list(tencent.RESPONSE_FIELDS)
    assert {**a, "RequestId": None} == {**b, "RequestId": None}
    expected = json.dumps({"Response": b}, separators=(",", ":")).encode()
    assert second.content == expected
    assert emulator.answer_cache_info().hits == 1


def test_cache_keys_on_mode(emulator: Emulator) -> None:
    faces = [Face(20, 20, 150, 150, seed=1), Face(300, 100, 260, 260, seed=2)]
    emulator.set_faces(JPEG, faces)
    every = emulator.handle(request({"Image": b64(JPEG), "Mode": 0})).json()["Response"]
    largest = emulator.handle(request({"Image": b64(JPEG), "Mode": 1})).json()["Response"]
    assert len(every["DenseFaceShapeSet"]) == 2
    assert largest["DenseFaceShapeSet"] == [tencent_face(faces[1])]


def test_set_faces_changes_a_cached_answer(emulator: Emulator) -> None:
    before = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"]
    emulator.handle(request({"Image": b64(JPEG)}))  # now cached
    face = Face(100, 120, 220, 220, seed=7)
    emulator.set_faces(JPEG, [face])
    after = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"]
    assert after["DenseFaceShapeSet"] == [tencent_face(face)]
    assert after["DenseFaceShapeSet"] != before["DenseFaceShapeSet"]


def test_profile_change_changes_a_cached_answer(emulator: Emulator) -> None:
    default = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"]
    counts = {name: max(1, count - 1) for name, count in tencent.KIT_PROFILE.counts.items()}
    emulator.profile = tencent.PointProfile("synthetic-fewer", counts)
    shape = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"]
    (before,), (after,) = default["DenseFaceShapeSet"], shape["DenseFaceShapeSet"]
    assert {name: len(after[name]) for name in counts} == counts
    assert counts != {name: len(before[name]) for name in counts}


def test_reset_empties_a_private_cache() -> None:
    emulator = Emulator(clock=lambda: NOW, answer_cache_size=ANSWER_CACHE_SIZE)
    face = Face(100, 120, 220, 220, seed=7)
    emulator.set_faces(JPEG, [face])
    emulator.handle(request({"Image": b64(JPEG)}))
    assert emulator.answer_cache_info().size == 1
    emulator.reset()
    assert emulator.answer_cache_info().size == 0
    shapes = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"]
    assert shapes["DenseFaceShapeSet"] != [tencent_face(face)]


# -- what a faceless image gets: the error or an empty set -----------------------------------

FACELESS = make_faceless_image("JPEG", 320, 240)


def test_faceless_image_gets_the_error_by_default(emulator: Emulator) -> None:
    assert emulator.tencent_no_face == "error"
    assert code_of(emulator.handle(request({"Image": b64(FACELESS)}))) == tencent.NO_FACE_ERROR
    assert tencent.NO_FACE_ERROR in tencent.ERRORS


@pytest.mark.parametrize("mode", tencent.MODES)
def test_faceless_image_can_get_an_empty_set(emulator: Emulator, mode: int) -> None:
    emulator.set_tencent_no_face("empty")
    response = emulator.handle(request({"Image": b64(FACELESS), "Mode": mode}))
    assert code_of(response) == "OK"
    body = response.json()
    # The doc's example shape, plus FaceModelVersion so the body stays schema-valid.
    assert list(body["Response"]) == list(tencent.RESPONSE_FIELDS)
    assert body["Response"]["DenseFaceShapeSet"] == []
    assert (body["Response"]["ImageWidth"], body["Response"]["ImageHeight"]) == (320, 240)
    assert validate(body, "tencent", image_size=(320, 240))
    # An image with a face is not affected.
    (shape,) = emulator.handle(request({"Image": b64(JPEG)})).json()["Response"][
        "DenseFaceShapeSet"
    ]
    assert shape["Width"] > 0


def test_no_face_answer_reset_and_constructor_option() -> None:
    emulator = Emulator(clock=lambda: NOW, tencent_no_face="empty")
    assert emulator.tencent_no_face == "empty"
    faceless = request({"Image": b64(FACELESS)})
    assert code_of(emulator.handle(faceless)) == "OK"
    emulator.set_tencent_no_face("error")
    assert code_of(emulator.handle(faceless)) == tencent.NO_FACE_ERROR
    emulator.reset()  # back to the constructor's choice, not to "error"
    assert emulator.tencent_no_face == "empty"
    assert code_of(emulator.handle(faceless)) == "OK"
    other = Emulator(clock=lambda: NOW)
    other.set_tencent_no_face("empty")
    other.reset()
    assert other.tencent_no_face == "error"


@pytest.mark.parametrize("answer", ["Empty", "none", "", None, 0])
def test_no_face_answer_is_checked(emulator: Emulator, answer: Any) -> None:
    with pytest.raises(ValueError, match=r"set_tencent_no_face: .*error, empty"):
        emulator.set_tencent_no_face(answer)
    with pytest.raises(ValueError, match=r"Emulator: tencent_no_face must be one of"):
        Emulator(tencent_no_face=answer)
    assert emulator.tencent_no_face == "error"
