"""The face_token flow: POST /facepp/v3/detect issues tokens thousandlandmark accepts for the
same face, until they expire 72 hours later on the emulator's clock."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
import requests

from pytest_densemark import facepp
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face
from pytest_densemark.images import make_faceless_image, make_image
from pytest_densemark.payloads import facepp_detect_problems
from pytest_densemark.server import DensemarkServer

KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}
NOW = 1_714_521_600.0
FACES = (Face(40, 60, 180, 200, seed=1), Face(360, 80, 140, 150, seed=2))
JPEG = make_image("JPEG", 640, 480, faces=FACES)


def detect(emulator: Emulator, image: bytes = JPEG, **fields: str) -> httpx.Response:
    data = {**KEYS, **fields}
    files = {"image_file": ("face.jpg", image, "image/jpeg")} if image else None
    if files is None:
        return emulator.handle(httpx.Request("POST", facepp.DETECT_URL, data=data))
    return emulator.handle(httpx.Request("POST", facepp.DETECT_URL, data=data, files=files))


def landmark(emulator: Emulator, token: str) -> httpx.Response:
    data = {**KEYS, "return_landmark": "all", "face_token": token}
    return emulator.handle(httpx.Request("POST", facepp.URL, data=data))


@pytest.fixture
def emulator() -> Emulator:
    """An emulator on a settable clock."""
    emulator = Emulator()
    emulator.set_clock(NOW)
    return emulator


def test_detect_answers_minimally_largest_face_first(emulator: Emulator) -> None:
    response = detect(emulator)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == list(facepp.DETECT_FIELDS)
    assert facepp_detect_problems(body) == []
    assert body["face_num"] == 2
    boxes = [face["face_rectangle"] for face in body["faces"]]
    assert boxes[0] == {"top": 60, "left": 40, "width": 180, "height": 200}
    assert boxes[1]["left"] == 360
    assert body["request_id"].startswith(f"{int(NOW)},")
    assert detect(emulator).json()["image_id"] == body["image_id"]
    assert emulator.calls[0].action == "detect"


def test_tokens_give_the_same_face_to_thousandlandmark(emulator: Emulator) -> None:
    tokens = [face["face_token"] for face in detect(emulator).json()["faces"]]
    assert len(set(tokens)) == 2
    by_image = emulator.handle(
        httpx.Request(
            "POST",
            facepp.URL,
            data={**KEYS, "return_landmark": "all"},
            files={"image_file": ("face.jpg", JPEG, "image/jpeg")},
        )
    ).json()["face"]
    by_token = landmark(emulator, tokens[0]).json()["face"]
    assert by_token == by_image
    second = landmark(emulator, tokens[1]).json()["face"]
    assert second["face_rectangle"]["left"] == 360


def test_tokens_expire_after_72_hours(emulator: Emulator) -> None:
    token = detect(emulator).json()["faces"][0]["face_token"]
    emulator.advance_clock(facepp.FACE_TOKEN_LIFETIME_SECONDS - 1)
    assert landmark(emulator, token).status_code == 200
    emulator.advance_clock(1)
    expired = landmark(emulator, token)
    assert expired.status_code == 400
    assert expired.json()["error_message"] == f"INVALID_FACE_TOKEN: {token}"


def test_unknown_token_and_faceless_image(emulator: Emulator) -> None:
    assert landmark(emulator, "0" * 32).json()["error_message"] == "INVALID_FACE_TOKEN: " + "0" * 32
    body = detect(emulator, make_faceless_image("JPEG", 320, 240)).json()
    assert (body["faces"], body["face_num"]) == ([], 0)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"image": b""}, "MISSING_ARGUMENTS: image_url, image_file, image_base64"),
        ({"image": b"not an image"}, "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        ({"image": make_image("PNG", 60, 60)}, "INVALID_IMAGE_SIZE: image_file"),
        (
            {"face_token": "abc", "image": b""},
            "MISSING_ARGUMENTS: image_url, image_file, image_base64",
        ),
    ],
)
def test_detect_errors_are_thousandlandmarks(
    emulator: Emulator, kwargs: dict[str, Any], expected: str
) -> None:
    image = kwargs.pop("image")
    response = detect(emulator, image, **kwargs)
    assert response.status_code == 400
    assert response.json()["error_message"] == expected


def test_detect_checks_credentials(emulator: Emulator) -> None:
    emulator.set_credentials(api_key="other", api_secret="synthetic-secret")
    assert detect(emulator).json()["error_message"] == "AUTHENTICATION_ERROR"
    image = base64.b64encode(JPEG).decode()
    data = {"api_secret": "s", "image_base64": image}
    answer = emulator.handle(httpx.Request("POST", facepp.DETECT_URL, data=data))
    assert answer.json()["error_message"] == "MISSING_ARGUMENTS: api_key"


def test_detect_then_landmark_over_the_server_with_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with DensemarkServer() as server:
        base = server.url
        files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
        found = requests.post(base + facepp.DETECT_PATH, data=KEYS, files=files, timeout=10)
        token = found.json()["faces"][0]["face_token"]
        data = {**KEYS, "return_landmark": "mouth", "face_token": token}
        answer = requests.post(server.facepp_url, data=data, timeout=10)
        assert answer.status_code == 200
        assert list(answer.json()["face"]["landmark"]) == ["mouth"]
        server.emulator.advance_clock(facepp.FACE_TOKEN_LIFETIME_SECONDS)
        expired = requests.post(server.facepp_url, data=data, timeout=10)
        assert expired.json()["error_message"] == f"INVALID_FACE_TOKEN: {token}"


def test_the_shipped_detect_then_landmark_cassette_replays() -> None:
    from pytest_densemark.cassettes import load_cassette

    cassette = load_cassette("facepp/detect-then-landmark")
    detect_step, landmark_step = cassette.interactions
    token = detect_step.response.body["faces"][0]["face_token"]
    assert landmark_step.request.params["face_token"] == token
    emulator = Emulator()
    emulator.use_cassette("facepp/detect-then-landmark")
    image = make_image(
        "JPEG", 640, 480, faces=[Face(left=230, top=120, width=180, height=220, seed=1)], seed=1
    )
    files = {"image_file": ("image.jpg", image, "image/jpeg")}
    found = emulator.handle(httpx.Request("POST", facepp.DETECT_URL, data=KEYS, files=files))
    assert found.json()["faces"][0]["face_token"] == token
    data = {**KEYS, "return_landmark": "all", "face_token": token}
    answer = emulator.handle(httpx.Request("POST", facepp.URL, data=data))
    assert len(answer.json()["face"]["landmark"]) == len(facepp.ALL_PARTS)
    assert emulator.unplayed() == []
