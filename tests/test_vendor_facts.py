"""The vendor facts agree with the vendor reference."""

from __future__ import annotations

import pytest

from pytest_densemark import facepp, tencent


def test_facepp_counts() -> None:
    assert facepp.TOTAL_POINTS == 973
    assert facepp.TOTAL_KEYS == 975
    assert len(facepp.ALL_PARTS) == 9
    assert set(facepp.LEGACY_PARTS) == set(facepp.ALL_PARTS) - {
        "left_eye_eyelid",
        "right_eye_eyelid",
    }
    assert sum(facepp.PARTS[p].point_count for p in facepp.LEGACY_PARTS) == 845


def test_facepp_part_keys() -> None:
    nose = facepp.PARTS["nose"]
    assert "nose_midline_59" in nose.keys
    assert "nose_midline_60" not in nose.keys
    assert nose.key_count == 188
    eye = facepp.PARTS["left_eye"]
    assert eye.radii == ("left_eye_pupil_radius",)
    assert eye.key_count == 65
    assert facepp.PARTS["face"].run_keys("face_hairline_")[-1] == "face_hairline_144"
    with pytest.raises(KeyError):
        facepp.PARTS["face"].run_keys("nope_")


@pytest.mark.parametrize(
    ("name", "arg", "expected"),
    [
        ("MISSING_ARGUMENTS", "api_key", "MISSING_ARGUMENTS: api_key"),
        ("BAD_ARGUMENTS", "return_landmark", "BAD_ARGUMENTS:return_landmark"),
        ("AUTHORIZATION_ERROR", "Denied by Admin", "AUTHORIZATION_ERROR:Denied by Admin"),
        (
            "IMAGE_ERROR_UNSUPPORTED_FORMAT",
            "image_file",
            "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file",
        ),
        ("INVALID_IMAGE_SIZE", "image_url", "INVALID_IMAGE_SIZE: image_url"),
        ("INTERNAL_ERROR", None, "INTERNAL_ERROR"),
    ],
)
def test_facepp_error_messages(name: str, arg: str | None, expected: str) -> None:
    assert facepp.error_body_message(name, arg) == expected


def test_every_facepp_message_names_its_evidence() -> None:
    for error in facepp.ERRORS.values():
        assert error.evidence.strip(), error.name
        assert "\n" not in error.evidence, error.name
    assert "conflicting" in facepp.ERRORS["INVALID_FACE_TOKEN"].evidence


def test_return_landmark_rules() -> None:
    assert facepp.parts_requested("MOUSE, left_eye") == ("left_eye", "mouth")
    assert facepp.parts_requested("nose,all") == facepp.ALL_PARTS
    with pytest.raises(facepp.ReturnLandmarkError, match="strict mode") as info:
        facepp.parts_requested("mouse", strict=True)
    assert info.value.unverified
    assert info.value.error == "BAD_ARGUMENTS"
    assert facepp.parts_requested(" ") == facepp.parts_requested(None) == facepp.ALL_PARTS
    with pytest.raises(facepp.ReturnLandmarkError) as missing:
        facepp.parts_requested(" ", strict=True)
    assert (missing.value.error, missing.value.unverified) == ("MISSING_ARGUMENTS", True)
    with pytest.raises(facepp.ReturnLandmarkError) as empty:
        facepp.parts_requested(" , ")
    assert (empty.value.error, empty.value.unverified) == ("BAD_ARGUMENTS", False)


def test_facepp_error_spacing_override() -> None:
    error = facepp.ERRORS["BAD_ARGUMENTS"]
    assert error.message("return_landmark", space=True) == "BAD_ARGUMENTS: return_landmark"
    assert facepp.ERRORS["MISSING_ARGUMENTS"].message("x", space=False) == "MISSING_ARGUMENTS:x"


def test_facepp_413_is_plain_text() -> None:
    error = facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"]
    assert (error.status, error.content_type) == (413, "text/plain")
    assert error.message() == "Request Entity Too Large"


def test_facepp_min_face_size() -> None:
    assert facepp.IMAGE_LIMITS.min_face_size(640, 480) == 100
    assert facepp.IMAGE_LIMITS.min_face_size(4096, 4000) == 166


def test_tencent_profile() -> None:
    assert tencent.KIT_PROFILE.total == tencent.MAX_POINTS_PER_FACE == 888
    assert tuple(tencent.KIT_PROFILE.counts) == tencent.POINT_LISTS
    assert len(tencent.POINT_LISTS) == 14


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        ({"LeftEye": 1}, "missing"),
        (dict.fromkeys(tencent.POINT_LISTS, 64), "over the vendor's 888"),
        ({**dict.fromkeys(tencent.POINT_LISTS, 1), "LeftEye": -1}, "integers >= 0"),
    ],
)
def test_tencent_profile_rejects_bad_counts(counts: dict[str, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tencent.PointProfile("bad", counts)


def test_tencent_hosts() -> None:
    assert tencent.HOST_PATTERN.match(tencent.HOST)
    assert tencent.HOST_PATTERN.match("iai.ap-guangzhou.tencentcloudapi.com")
    assert not tencent.HOST_PATTERN.match("cvm.tencentcloudapi.com")


def test_tencent_error_catalogue() -> None:
    assert tencent.ERRORS["FailedOperation.UnKnowError"].versions == tencent.VERSIONS
    assert tencent.ERRORS["AuthFailure.SignatureExpire"].scope == "common"
    assert tencent.ERRORS["RequestLimitExceeded"].retryable
    assert tencent.IMAGE_LIMITS.max_long_side("JPEG") == 4000
    assert tencent.IMAGE_LIMITS.max_long_side("PNG") == 2000
