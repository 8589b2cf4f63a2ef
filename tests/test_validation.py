"""validate() / assert_valid(): verdicts, JSON paths and messages, the checks beyond the schema."""

from __future__ import annotations

import copy
import enum
import json
import re
import shutil
import subprocess
from collections import OrderedDict
from typing import Any

import pytest
from _validator_payloads import (
    facepp_body,
    facepp_error_body,
    tencent_body,
    tencent_error_body,
    tencent_shape,
)
from jsonschema import Draft202012Validator

from pytest_densemark import (
    ValidationResult,
    Violation,
    assert_valid,
    detect_kind,
    facepp,
    load_schema,
    tencent,
    validate,
)
from pytest_densemark._schema_walk import ecma_regex as _ecma_regex


def _paths(result: ValidationResult) -> list[str]:
    return [str(v) for v in result.violations]


# ----------------------------------------------------------------- valid payloads


def test_real_9part_payloads_validate(real_facepp_9part: list[dict[str, Any]]) -> None:
    for body in real_facepp_9part:
        result = validate(body)
        assert result, str(result)
        assert result.kind == "facepp"


def test_real_7part_payloads_validate(real_facepp_7part: list[dict[str, Any]]) -> None:
    for body in real_facepp_7part:
        assert_valid(body, "facepp")
        assert set(body["face"]["landmark"]) == set(facepp.LEGACY_PARTS)


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (facepp_body(), "facepp"),
        (facepp_body(facepp.LEGACY_PARTS), "facepp"),
        (facepp_body(["nose"]), "facepp"),
        (facepp_error_body(), "facepp-error"),
        (facepp_error_body("MISSING_ARGUMENTS", "image_url"), "facepp-error"),
        (tencent_body(), "tencent"),
        (tencent_body(0), "tencent"),
        (tencent_body(tencent.MAX_FACES), "tencent"),
        (tencent_error_body(), "tencent-error"),
        (tencent_error_body("FailedOperation.UnKnowError"), "tencent-error"),
    ],
)
def test_valid_payloads_and_detection(payload: dict[str, Any], kind: str) -> None:
    assert detect_kind(payload) == kind
    result = validate(payload)
    assert result, str(result)
    assert result.kind == kind
    assert result.violations == []
    assert assert_valid(payload, kind) == result


@pytest.mark.parametrize("face", ["absent", None, {}])
def test_facepp_without_a_face(face: object) -> None:
    body: dict[str, Any] = {"time_used": 80, "request_id": "1,x"}
    if face != "absent":
        body["face"] = face
    assert validate(body, "facepp")


def test_key_order_does_not_matter() -> None:
    body = facepp_body()
    landmark = body["face"]["landmark"]
    shuffled = {
        name: {
            key: dict(reversed(list(v.items()))) if isinstance(v, dict) else v
            for key, v in reversed(list(part.items()))
        }
        for name, part in reversed(list(landmark.items()))
    }
    body["face"]["landmark"] = shuffled
    assert validate(body)


def test_json_schema_integer_rules_apply() -> None:
    body = facepp_body(["mouth"])
    body["face"]["landmark"]["mouth"]["upper_lip_0"]["x"] = 12.0  # the number 12
    assert validate(body)
    body["face"]["landmark"]["mouth"]["upper_lip_0"]["x"] = True
    assert _paths(validate(body)) == [
        "face.landmark.mouth.upper_lip_0.x: expected an integer, got a boolean (true)"
    ]


def test_dict_subclasses_are_objects() -> None:
    body = facepp_body(["left_eyebrow"])
    part = body["face"]["landmark"]["left_eyebrow"]
    body["face"]["landmark"]["left_eyebrow"] = OrderedDict(part)
    assert validate(body)


# ----------------------------------------------------------------- Face++ mutations


def test_missing_key_has_the_documented_message() -> None:
    body = facepp_body()
    del body["face"]["landmark"]["nose"]["nose_midline_59"]
    result = validate(body)
    assert not result
    assert result.violations == [Violation("face.landmark.nose", "missing key nose_midline_59")]
    assert str(result.violations[0]) == "face.landmark.nose: missing key nose_midline_59"


def test_extra_key_in_a_part() -> None:
    body = facepp_body()
    body["face"]["landmark"]["nose"]["nose_midline_60"] = {"x": 1, "y": 2}
    assert _paths(validate(body)) == ["face.landmark.nose: unexpected key nose_midline_60"]


@pytest.mark.parametrize(
    ("value", "described"),
    [(12.5, "a float (12.5)"), ("12", 'a string ("12")'), (None, "null"), ([1], "an array")],
)
def test_bad_coordinate(value: object, described: str) -> None:
    body = facepp_body()
    body["face"]["landmark"]["mouth"]["upper_lip_3"]["y"] = value
    (violation,) = validate(body).violations
    assert violation.path == "face.landmark.mouth.upper_lip_3.y"
    assert violation.message.startswith(f"expected an integer, got {described}")


def test_string_radius() -> None:
    body = facepp_body()
    body["face"]["landmark"]["left_eye"]["left_eye_pupil_radius"] = "9"
    assert _paths(validate(body)) == [
        'face.landmark.left_eye.left_eye_pupil_radius: expected an integer, got a string ("9")'
    ]


def test_negative_radius_and_point_radius() -> None:
    body = facepp_body()
    body["face"]["landmark"]["left_eye"]["left_eye_pupil_radius"] = -1
    body["face"]["landmark"]["right_eye"]["right_eye_pupil_center"] = 4
    assert _paths(validate(body)) == [
        "face.landmark.left_eye.left_eye_pupil_radius: -1 is below the minimum 0",
        "face.landmark.right_eye.right_eye_pupil_center: expected an object, got an integer (4)",
    ]


def test_point_with_an_extra_or_missing_coordinate() -> None:
    body = facepp_body(["face"])
    body["face"]["landmark"]["face"]["face_hairline_0"]["z"] = 0
    del body["face"]["landmark"]["face"]["face_contour_left_5"]["x"]
    assert sorted(_paths(validate(body))) == [
        "face.landmark.face.face_contour_left_5: missing key x",
        "face.landmark.face.face_hairline_0: unexpected key z",
    ]


def test_unknown_part_and_misspelt_mouth() -> None:
    body = facepp_body(["nose"])
    body["face"]["landmark"]["mouse"] = {}
    assert _paths(validate(body)) == ["face.landmark: unexpected key mouse"]


def test_face_needs_both_rectangle_and_landmark() -> None:
    body = facepp_body(["nose"])
    del body["face"]["face_rectangle"]
    assert _paths(validate(body)) == ["face: missing key face_rectangle (required with landmark)"]


def test_every_violation_is_collected() -> None:
    body = facepp_body()
    del body["time_used"]
    body["extra"] = 1
    body["face"]["face_rectangle"]["width"] = -3
    del body["face"]["landmark"]["mouth"]["lower_lip_0"]
    assert sorted(_paths(validate(body))) == [
        "(root): missing key time_used",
        "(root): unexpected key extra",
        "face.face_rectangle.width: -3 is below the minimum 0",
        "face.landmark.mouth: missing key lower_lip_0",
    ]


def test_odd_keys_are_quoted_in_paths() -> None:
    body = facepp_body(["nose"])
    body["face"]["landmark"]["nose"]["left_nostril"] = {"x": 1, "y": "a.b"}
    body["face"]["landmark"]["nose"]["a.b"] = 1
    assert "face.landmark.nose: unexpected key a.b" in _paths(validate(body))


# ----------------------------------------------------------------- errors and Tencent


def test_facepp_error_message_outside_the_catalogue() -> None:
    body = facepp_error_body()
    body["error_message"] = "SOMETHING_ELSE"
    assert _paths(validate(body)) == ['error_message: "SOMETHING_ELSE" is not a documented value']


def test_tencent_face_with_889_points() -> None:
    counts = dict(tencent.KIT_PROFILE.counts)
    counts["Nose"] += 1
    result = validate(tencent_body(counts=counts))
    assert result.kind == "tencent"
    assert _paths(result) == ["Response.DenseFaceShapeSet[0]: 889 points, at most 888 per face"]


def test_tencent_list_over_888_points() -> None:
    counts = dict.fromkeys(tencent.POINT_LISTS, 0)
    counts["Chin"] = 889
    assert _paths(validate(tencent_body(counts=counts))) == [
        "Response.DenseFaceShapeSet[0].Chin: 889 items, at most 888 allowed",
        "Response.DenseFaceShapeSet[0]: 889 points, at most 888 per face",
    ]


def test_six_tencent_faces() -> None:
    body = tencent_body(tencent.MAX_FACES)
    body["Response"]["DenseFaceShapeSet"].append(tencent_shape(seed=5))
    assert _paths(validate(body)) == ["Response.DenseFaceShapeSet: 6 items, at most 5 allowed"]


def test_tencent_error_without_request_id() -> None:
    body = tencent_error_body()
    del body["Response"]["RequestId"]
    result = validate(body)
    assert result.kind == "tencent-error"
    assert _paths(result) == ["Response: missing key RequestId"]


def test_tencent_error_with_an_unknown_code() -> None:
    body = tencent_error_body()
    body["Response"]["Error"]["Code"] = "FailedOperation.Nope"
    (violation,) = validate(body).violations
    assert violation.path == "Response.Error.Code"
    assert '"FailedOperation.Nope" is not one of' in violation.message


def test_tencent_point_mutations() -> None:
    body = tencent_body(2)
    shape = body["Response"]["DenseFaceShapeSet"][1]
    shape["LeftEye"][3]["X"] = 1.5
    shape["Forehead"][0]["Z"] = 1
    del shape["Chin"]
    body["Response"]["FaceModelVersion"] = "2.0"
    assert set(_paths(validate(body))) == {
        "Response.DenseFaceShapeSet[1]: missing key Chin",
        "Response.DenseFaceShapeSet[1].Forehead[0]: unexpected key Z",
        "Response.DenseFaceShapeSet[1].LeftEye[3].X: expected an integer, got a float (1.5)",
        'Response.FaceModelVersion: "2.0" is not one of "3.0"',
    }


def test_profile_checks_each_list() -> None:
    body = tencent_body()
    assert validate(body, profile=tencent.KIT_PROFILE)
    counts = dict(tencent.KIT_PROFILE.counts)
    counts["Nose"], counts["Chin"] = counts["Nose"] - 1, counts["Chin"] + 1
    other = tencent.PointProfile("mine", counts)
    assert sorted(_paths(validate(body, profile=other))) == [
        "Response.DenseFaceShapeSet[0].Chin: 128 points, profile 'mine' expects 129",
        "Response.DenseFaceShapeSet[0].Nose: 128 points, profile 'mine' expects 127",
    ]


# ----------------------------------------------------------------- image bounds


def test_facepp_image_bounds() -> None:
    body = facepp_body(["nose"])
    assert validate(body, image_size=(640, 480))
    body["face"]["landmark"]["nose"]["left_nostril"] = {"x": 640, "y": 5}
    assert _paths(validate(body, image_size=(640, 480))) == [
        "face.landmark.nose.left_nostril: point (640, 5) lies outside the 640x480 image"
    ]
    assert validate(body)  # no size, no bounds check


def test_tencent_image_bounds() -> None:
    body = tencent_body()
    assert validate(body, check_bounds=True)
    body["Response"]["DenseFaceShapeSet"][0]["Nose"][2] = {"X": -1, "Y": 0}
    assert validate(body)
    assert _paths(validate(body, check_bounds=True)) == [
        "Response.DenseFaceShapeSet[0].Nose[2]: point (-1, 0) lies outside the 640x480 image"
    ]


def test_tencent_image_size_must_match_the_response() -> None:
    result = validate(tencent_body(), image_size=(800, 480))
    assert _paths(result) == ["Response.ImageWidth: 640, but the image is 800x480"]


@pytest.mark.parametrize("size", [(0, 10), (10,), [10, 10], (10.0, 10)])
def test_bad_image_size(size: Any) -> None:
    with pytest.raises(ValueError, match="image_size must be"):
        validate(facepp_body(), image_size=size)


# ----------------------------------------------------------------- API details


@pytest.mark.parametrize("payload", [{}, [], "text", 3, None, {"hello": 1}])
def test_auto_cannot_tell(payload: object) -> None:
    with pytest.raises(ValueError, match="cannot tell what this payload is"):
        detect_kind(payload)
    result = validate(payload)
    assert not result
    assert result.kind == "unknown"
    assert result.violations[0].path == ""


def test_explicit_kind_checks_a_wrong_shape() -> None:
    result = validate(tencent_body(), "facepp")
    assert sorted(_paths(result))[:3] == [
        "(root): missing key request_id",
        "(root): missing key time_used",
        "(root): unexpected key Response",
    ]


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown kind 'tencent-success'"):
        validate({}, "tencent-success")


def test_assert_valid_lists_violations() -> None:
    body = facepp_body()
    for key in list(body["face"]["landmark"]["face"])[:60]:
        del body["face"]["landmark"]["face"][key]
    with pytest.raises(AssertionError) as info:
        assert_valid(body)
    text = str(info.value)
    assert text.startswith("invalid facepp payload: 60 violations\n")
    assert "  face.landmark.face: missing key face_hairline_0\n" in text
    assert text.endswith("... and 10 more")


def test_result_to_dict() -> None:
    body = copy.deepcopy(tencent_error_body())
    del body["Response"]["Error"]["Message"]
    assert validate(body).to_dict() == {
        "kind": "tencent-error",
        "valid": False,
        "violations": [{"path": "Response.Error", "message": "missing key Message"}],
    }
    assert str(validate(tencent_error_body())) == "valid tencent-error payload"


def test_schemas_using_unimplemented_keywords_are_refused() -> None:
    from pytest_densemark._schema_walk import check_supported as _check_supported

    _check_supported({"type": "object", "properties": {"a": {"minimum": 0}}}, "demo")
    with pytest.raises(RuntimeError, match=r"schema demo: keywords \['oneOf'\]"):
        _check_supported({"properties": {"a": {"oneOf": []}}}, "demo")


# ----------------------------------------------------------------- jsonschema's own semantics


class _Text(str):
    """A ``str`` subclass, as a client's own string type would be."""

    __slots__ = ()


class _Version(str, enum.Enum):
    """A ``StrEnum``-style member (``enum.StrEnum`` is ``(str, Enum)`` from Python 3.11)."""

    V3 = "3.0"


class _Code(str, enum.Enum):
    INTERNAL = "InternalError"


@pytest.mark.parametrize("version", [_Text("3.0"), _Version.V3], ids=["str-subclass", "enum"])
def test_enum_accepts_what_jsonschema_accepts(version: str) -> None:
    body = tencent_body(1)
    body["Response"]["FaceModelVersion"] = version
    assert Draft202012Validator(load_schema("tencent")).is_valid(body)
    assert validate(body), str(validate(body))
    error = tencent_error_body()
    error["Response"]["Error"]["Code"] = _Code.INTERNAL
    assert Draft202012Validator(load_schema("tencent-error")).is_valid(error)
    assert validate(error), str(validate(error))


def test_enum_still_refuses_other_values() -> None:
    body = tencent_body(1)
    body["Response"]["FaceModelVersion"] = _Text("3.0 ")
    assert _paths(validate(body)) == ['Response.FaceModelVersion: "3.0 " is not one of "3.0"']


@pytest.mark.parametrize(
    "message",
    [
        "INTERNAL_ERROR\n",
        "BAD_ARGUMENTS: image_url\n",
        "BAD_ARGUMENTS: a\rb",
        "BAD_ARGUMENTS: a\u2028",
    ],
)
def test_pattern_anchors_are_ecma_262(message: str) -> None:
    """``$`` is the end of the text and ``.`` no line terminator, as in ECMA-262."""
    body = facepp_error_body()
    body["error_message"] = message
    assert not Draft202012Validator(load_schema("facepp-error")).is_valid(body)
    assert _paths(validate(body))[0].startswith("error_message: ")
    body["error_message"] = message.rstrip("\n")[:14]
    assert validate(body) or body["error_message"] != "INTERNAL_ERROR"


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^a$", "a", True),
        ("^a$", "a\n", False),
        ("^a.c$", "a\rc", False),
        ("^a.c$", "abc", True),
        ("^a[.$]$", "a$", True),
        (r"^a\.\$$", "a.$", True),
        (r"^a\.$", "ab", False),
    ],
)
def test_schema_patterns_are_read_as_ecma_262(pattern: str, text: str, matches: bool) -> None:
    assert bool(_ecma_regex(pattern).search(text)) is matches


@pytest.mark.skipif(shutil.which("node") is None, reason="no JavaScript engine to compare with")
def test_facepp_error_pattern_agrees_with_a_javascript_engine() -> None:
    """The shipped pattern is valid ECMA-262 (``u`` flag) and ECMA gives Python's verdicts."""
    pattern = load_schema("facepp-error")["properties"]["error_message"]["pattern"]
    texts = [
        "INTERNAL_ERROR",
        "INTERNAL_ERROR\n",
        "BAD_ARGUMENTS: image_url",
        "BAD_ARGUMENTS:image_url",
        "BAD_ARGUMENTS: image_url\r",
        "BAD_ARGUMENTS: a\u2028b",
        "BAD_ARGUMENTS:  x",
        " INTERNAL_ERROR",
    ]
    script = (
        "const p = new RegExp(process.argv[1], 'u');"
        "console.log(JSON.stringify(JSON.parse(process.argv[2]).map((s) => p.test(s))));"
    )
    done = subprocess.run(
        ["node", "-e", script, pattern, json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    python = [bool(re.search(pattern, text)) for text in texts]
    assert json.loads(done.stdout) == python
    assert python == [True, False, True, True, False, False, False, False]


# ----------------------------------------------------------------- values Python cannot print


def test_huge_integers_are_reported_not_raised() -> None:
    body = facepp_body(["nose"])
    body["time_used"] = -(10**400)
    assert _paths(validate(body)) == [f"time_used: -1{'0' * 35}... is below the minimum 0"]
    body = facepp_body(["nose"])
    body["request_id"] = 10**5000  # more digits than Python prints by default
    (violation,) = _paths(validate(body))
    assert (
        violation
        == "request_id: expected a string, got an integer (<integer of about 5001 digits>)"
    )
    body = facepp_body(["nose"])
    body["face"]["landmark"]["nose"]["nose_midline_0"]["x"] = 10**400
    (violation,) = _paths(validate(body, image_size=(640, 480)))
    assert violation.startswith("face.landmark.nose.nose_midline_0: point (10000000000")


def test_keys_with_control_characters_are_escaped() -> None:
    body = facepp_body(["nose"])
    body["face"]["landmark"]["nose"]["a\nb\x1b[31m"] = 1
    body["\ud800"] = 2
    assert sorted(_paths(validate(body))) == [
        '(root): unexpected key "\\ud800"',
        'face.landmark.nose: unexpected key "a\\nb\\u001b[31m"',
    ]


def test_descriptions_count_keys_and_items_in_good_english() -> None:
    result = validate({"time_used": {"a": 1}, "request_id": [1, 2]}, "facepp-error")
    text = str(result)
    assert "got an object with 1 key" in text
    assert "1 keys" not in text
    assert "got an array of 2 items" in text
