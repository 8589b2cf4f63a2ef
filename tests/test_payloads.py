"""Whole bodies: both vendors' success and error envelopes validate; the HTTP side is right."""

from __future__ import annotations

import random

import pytest

from pytest_densemark import facepp, tencent, validate
from pytest_densemark.faces import Face
from pytest_densemark.payloads import (
    facepp_error,
    facepp_error_response,
    facepp_request_id,
    facepp_success,
    tencent_error,
    tencent_error_response,
    tencent_request_id,
    tencent_success,
)


def test_request_ids_have_the_vendor_shape() -> None:
    seconds, uuid = facepp_request_id(random.Random(1)).split(",")
    assert seconds.isdigit()
    assert len(uuid) == 36
    assert uuid[14] == "4"
    assert len(tencent_request_id(random.Random(1))) == 36


@pytest.mark.parametrize("no_face", ["absent", "null", "empty"])
def test_facepp_success_with_and_without_a_face(no_face: str) -> None:
    body = facepp_success(Face(0, 0, 300, 300), request_id="1,x", time_used=5)
    assert validate(body, "facepp")
    empty = facepp_success(None, request_id="1,x", time_used=5, no_face=no_face)  # type: ignore[arg-type]
    assert validate(empty, "facepp")
    assert {
        "absent": "face" not in empty,
        "null": empty.get("face", 0) is None,
        "empty": empty.get("face") == {},
    }[no_face]


def test_legacy_parts() -> None:
    body = facepp_success(
        Face(0, 0, 300, 300), parts=facepp.LEGACY_PARTS, request_id="1,x", time_used=5
    )
    assert set(body["face"]["landmark"]) == set(facepp.LEGACY_PARTS)
    assert validate(body, "facepp")


@pytest.mark.parametrize("name", list(facepp.ERRORS))
def test_every_facepp_error(name: str) -> None:
    error = facepp.ERRORS[name]
    answer = facepp_error_response(name, request_id="1,x", time_used=3)
    assert answer.status == error.status
    assert answer.headers["Content-Type"] == error.content_type
    if error.json:
        assert validate(answer.json(), "facepp-error")
        assert answer.to_httpx().json() == answer.body
    else:
        assert answer.content == b"Request Entity Too Large"
        with pytest.raises(ValueError, match="plain text"):
            facepp_error(name, request_id="1,x", time_used=3)


def test_facepp_error_spacing_both_ways() -> None:
    spaced = facepp_error(
        "BAD_ARGUMENTS", "return_landmark", request_id="1,x", time_used=1, space=True
    )
    tight = facepp_error("BAD_ARGUMENTS", "return_landmark", request_id="1,x", time_used=1)
    assert spaced["error_message"] == "BAD_ARGUMENTS: return_landmark"
    assert tight["error_message"] == "BAD_ARGUMENTS:return_landmark"


def test_tencent_success_and_limits() -> None:
    faces = [Face(i * 100, 50, 90, 90, seed=i) for i in range(tencent.MAX_FACES)]
    body = tencent_success(faces, image_width=600, image_height=300, request_id="r")
    assert validate(body, "tencent", profile=tencent.KIT_PROFILE)
    with pytest.raises(ValueError, match="at most"):
        tencent_success([*faces, faces[0]], image_width=600, image_height=300, request_id="r")


@pytest.mark.parametrize("code", list(tencent.ERRORS))
def test_every_tencent_error_is_http_200_json(code: str) -> None:
    answer = tencent_error_response(code, request_id="r")
    assert answer.status == 200
    assert answer.to_httpx().headers["content-type"] == "application/json"
    assert validate(tencent_error(code, request_id="r"), "tencent-error")


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="NOPE"):
        facepp_error("NOPE", request_id="1,x", time_used=1)
    with pytest.raises(ValueError, match="Nope"):
        tencent_error("Nope", request_id="r")
