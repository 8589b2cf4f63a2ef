"""The example client against the kit, in-process and over loopback HTTP (same tests)."""

from __future__ import annotations

import httpx
import pytest
from example_kit import Kit
from landmark_client import FaceppError, RateLimited, TencentError

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 640, 480, seed=11)


def test_facepp_full_answer_becomes_ordered_polylines(kit: Kit) -> None:
    face = kit.facepp.landmarks(IMAGE)
    assert face is not None
    assert set(face.parts) == set(facepp.ALL_PARTS)
    assert face.point_count == facepp.TOTAL_POINTS
    for name, part in facepp.PARTS.items():
        for prefix, count in part.runs:
            assert len(face.parts[name][prefix.rstrip("_")]) == count
        assert set(part.radii) <= set(face.radii)


def test_facepp_registered_face_comes_back_where_it_was_put(kit: Kit) -> None:
    kit.controller.set_faces(IMAGE, [Face(left=200, top=120, width=180, height=220)])
    face = kit.facepp.landmarks(IMAGE)
    assert face is not None
    left, top, _, _ = face.box
    assert abs(left - 200) <= 2
    assert abs(top - 120) <= 2


def test_facepp_no_face_is_none(kit: Kit) -> None:
    kit.controller.set_faces(IMAGE, [])
    assert kit.facepp.landmarks(IMAGE) is None


@pytest.mark.densemark(cassette="facepp/retry-twice-then-success")
def test_facepp_rate_limit_is_retried_with_backoff(kit: Kit) -> None:
    face = kit.facepp.landmarks(IMAGE)
    assert face is not None
    assert len(kit.controller.calls) == 3
    assert kit.pauses == [0.5, 1.0]


def test_facepp_gives_up_after_four_rate_limited_attempts(kit: Kit) -> None:
    kit.controller.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=None)
    with pytest.raises(RateLimited) as raised:
        kit.facepp.landmarks(IMAGE)
    assert raised.value.attempts == 4
    assert len(kit.controller.calls) == 4


@pytest.mark.densemark(credentials={"api_key": "the-real-key"})
def test_facepp_wrong_key_is_not_retried(kit: Kit) -> None:
    with pytest.raises(FaceppError) as raised:
        kit.facepp.landmarks(IMAGE)
    assert raised.value.message == facepp.error_body_message("AUTHENTICATION_ERROR")
    assert len(kit.controller.calls) == 1


def test_facepp_timeout_reaches_the_caller(kit: Kit) -> None:
    kit.facepp.http.timeout = httpx.Timeout(0.5)
    kit.controller.inject_timeout(vendor="facepp")
    with pytest.raises(httpx.TimeoutException):
        kit.facepp.landmarks(IMAGE)


def test_facepp_slow_answer_still_parses(kit: Kit) -> None:
    kit.controller.inject_latency(0.05, vendor="facepp", times=1)
    assert kit.facepp.landmarks(IMAGE) is not None


def test_tencent_signed_call_returns_every_face(kit: Kit) -> None:
    kit.controller.set_credentials(
        secret_id="AKIDexampleSecretId0001", secret_key="example-secret-key"
    )
    faces = [
        Face(left=60, top=80, width=200, height=240),
        Face(left=380, top=90, width=190, height=230),
    ]
    kit.controller.set_faces(IMAGE, faces)
    found = kit.tencent.analyze(IMAGE)
    assert [f.box[0] for f in found] == [60, 380]
    for face in found:
        assert set(face.polylines) == set(tencent.POINT_LISTS)
        assert face.point_count <= tencent.MAX_POINTS_PER_FACE


def test_tencent_wrong_secret_is_a_signature_failure(kit: Kit) -> None:
    kit.controller.set_credentials(secret_key="the-real-secret")
    with pytest.raises(TencentError) as raised:
        kit.tencent.analyze(IMAGE)
    assert raised.value.code == "AuthFailure.SignatureFailure"


@pytest.mark.densemark(cassette="tencent/retry-twice-then-success")
def test_tencent_rate_limit_is_retried(kit: Kit) -> None:
    assert len(kit.tencent.analyze(IMAGE)) == 1
    assert len(kit.controller.calls) == 3


def test_tencent_disconnect_reaches_the_caller(kit: Kit) -> None:
    kit.controller.inject_disconnect(vendor="tencent")
    with pytest.raises(httpx.TransportError):
        kit.tencent.analyze(IMAGE)
