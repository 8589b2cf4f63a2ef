"""facepp_responses() answers the request: return_landmark= and legacy= pick the part sets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import facepp, validate
from pytest_densemark.payloads import NO_FACE_FORMS
from pytest_densemark.strategies import facepp_responses


def parts_of(body: dict[str, Any]) -> set[str]:
    face = body.get("face")
    return set(face["landmark"]) if face else set()


@settings(max_examples=30, deadline=None)
@given(facepp_responses())
def test_default_is_what_the_service_sends_for_all(body: dict[str, Any]) -> None:
    assert parts_of(body) == set(facepp.ALL_PARTS)
    assert validate(body, "facepp")


@settings(max_examples=15, deadline=None)
@given(facepp_responses(return_landmark="left_eye, MOUTH ,nose"))
def test_a_subset_request_gets_exactly_those_parts(body: dict[str, Any]) -> None:
    assert parts_of(body) == {"left_eye", "mouth", "nose"}


@settings(max_examples=10, deadline=None)
@given(facepp_responses(return_landmark="mouse"))
def test_the_docs_mouse_spelling_gets_the_mouth_part(body: dict[str, Any]) -> None:
    assert parts_of(body) == {"mouth"}


@settings(max_examples=15, deadline=None)
@given(facepp_responses(legacy=True))
def test_legacy_all_is_the_seven_part_format(body: dict[str, Any]) -> None:
    assert parts_of(body) == set(facepp.LEGACY_PARTS)


@settings(max_examples=15, deadline=None)
@given(facepp_responses(return_landmark="left_eye_eyelid,right_eye", legacy=True))
def test_legacy_subsets_drop_the_eyelids(body: dict[str, Any]) -> None:
    assert parts_of(body) == {"right_eye"}


def test_any_request_and_either_format_on_demand() -> None:
    seen: set[frozenset[str]] = set()

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(facepp_responses(return_landmark=None, legacy=None))
    def collect(body: dict[str, Any]) -> None:
        assert validate(body, "facepp")
        seen.add(frozenset(parts_of(body)))

    collect()
    assert frozenset(facepp.ALL_PARTS) in seen
    assert frozenset(facepp.LEGACY_PARTS) in seen
    assert len(seen) >= 3


@settings(max_examples=30, deadline=None)
@given(facepp_responses(no_face=st.sampled_from(NO_FACE_FORMS)))
def test_no_face_forms_are_kept(body: dict[str, Any]) -> None:
    if "face" not in body or not body["face"]:
        assert body.get("face", "absent") in ("absent", None, {})
    else:
        assert parts_of(body) == set(facepp.ALL_PARTS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"return_landmark": "chin"}, "unknown part 'chin'"),
        ({"return_landmark": " , "}, "names no part"),
        ({"return_landmark": 7}, "must be a str"),
        ({"legacy": "yes"}, "legacy='yes'"),
    ],
)
def test_bad_request_parameters_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        facepp_responses(**kwargs)


def test_legacy_eyelids_only_is_refused_when_drawn() -> None:
    @given(facepp_responses(return_landmark="left_eye_eyelid", legacy=True))
    def draw(body: dict[str, Any]) -> None:
        raise AssertionError("drew a legacy body with eyelids only")

    with pytest.raises(InvalidArgument, match="eyelid"):
        draw()


def test_tencent_errors_come_in_the_language_asked_for() -> None:
    from pytest_densemark import tencent
    from pytest_densemark.strategies import tencent_error_responses

    seen: set[str] = set()

    @settings(max_examples=40, deadline=None, database=None)
    @given(tencent_error_responses(codes=st.just("InternalError")))
    def collect(answer: Any) -> None:
        seen.add(answer.body["Response"]["Error"]["Message"])

    collect()
    error = tencent.ERRORS["InternalError"]
    assert seen == {error.message, error.message_zh}

    @settings(max_examples=10, deadline=None)
    @given(tencent_error_responses(language=st.just("zh-CN")))
    def chinese(answer: Any) -> None:
        code = answer.body["Response"]["Error"]["Code"]
        assert answer.body["Response"]["Error"]["Message"] == tencent.ERRORS[code].message_zh

    chinese()
