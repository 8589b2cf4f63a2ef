"""Properties of the strategies: valid payloads validate, invalid ones fail on their rule."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import facepp, strategies, tencent, validate
from pytest_densemark.faces import Face
from pytest_densemark.payloads import NO_FACE_FORMS, VendorResponse
from pytest_densemark.strategies import (
    InvalidResponse,
    facepp_error_responses,
    facepp_invalid_responses,
    facepp_responses,
    faces,
    http_responses,
    tencent_error_responses,
    tencent_invalid_responses,
    tencent_responses,
)


def test_all_is_explicit_and_complete() -> None:
    public = {n for n in dir(strategies) if not n.startswith("_")}
    assert set(strategies.__all__) <= public
    for name in strategies.__all__:
        assert getattr(strategies, name).__doc__, name


@given(facepp_responses(no_face=st.sampled_from(NO_FACE_FORMS)))
def test_facepp_success_bodies_validate(body: dict[str, Any]) -> None:
    result = validate(body, "facepp")
    assert result, str(result)
    json.dumps(body)


@given(tencent_responses())
def test_tencent_success_bodies_validate(body: dict[str, Any]) -> None:
    result = validate(body, "tencent", profile=tencent.KIT_PROFILE)
    assert result, str(result)
    assert len(body["Response"]["DenseFaceShapeSet"]) <= tencent.MAX_FACES


@given(facepp_error_responses())
def test_facepp_errors_carry_status_headers_and_body(answer: VendorResponse) -> None:
    error = next(
        e
        for e in facepp.ERRORS.values()
        if e.status == answer.status
        and (
            isinstance(answer.body, str)
            or answer.body["error_message"].startswith(e.name)
            or e.template.startswith(answer.body["error_message"].split(":")[0])
        )
    )
    assert answer.headers["Content-Type"] == error.content_type
    if isinstance(answer.body, str):
        assert answer.status == 413
        assert answer.body == facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"].message()
    else:
        result = validate(answer.body, "facepp-error")
        assert result, str(result)


@given(tencent_error_responses())
def test_tencent_errors_are_http_200_exact_json(answer: VendorResponse) -> None:
    assert answer.status == 200
    assert answer.headers == {"Content-Type": "application/json"}
    result = validate(answer.body, "tencent-error")
    assert result, str(result)


@given(facepp_invalid_responses())
def test_facepp_invalid_bodies_fail_on_their_rule(invalid: InvalidResponse) -> None:
    result = validate(invalid.body, "facepp")
    assert [v.path for v in result.violations] == [invalid.path], (invalid.rule, str(result))


@given(tencent_invalid_responses())
def test_tencent_invalid_bodies_fail_on_their_rule(invalid: InvalidResponse) -> None:
    result = validate(invalid.body, "tencent")
    assert [v.path for v in result.violations] == [invalid.path], (invalid.rule, str(result))


@pytest.mark.parametrize("vendor", ["facepp", "tencent"])
@settings(max_examples=30)
@given(data=st.data())
def test_http_responses_are_httpx_responses(vendor: str, data: st.DataObject) -> None:
    response = data.draw(http_responses(vendor))
    assert isinstance(response, httpx.Response)
    if response.headers["content-type"] == "text/plain":
        assert response.status_code == 413
    else:
        assert validate(response.json(), "auto")


def test_edge_cases_come_up_often() -> None:
    seen = dict.fromkeys(("x_first", "shuffled", "legacy", "outside", "border"), 0)
    counts: set[int] = set()

    # 15 short runs with seeds of their own rather than one run of 150: a run's examples
    # come in clumps (a whole run may draw no border placement), so counting over a single
    # run failed now and then. Explicit seeds also keep CI's derandomized runs apart.
    for run in range(15):

        @seed(run)
        @settings(max_examples=10, database=None)
        @given(
            facepp_responses(image_size=st.just((640, 480)), return_landmark=None, legacy=None),
            tencent_responses(),
        )
        def collect(body: dict[str, Any], tbody: dict[str, Any]) -> None:
            counts.add(len(tbody["Response"]["DenseFaceShapeSet"]))
            landmark = body["face"]["landmark"]
            part = next(iter(landmark.values()))
            point = next(v for v in part.values() if isinstance(v, dict))
            seen["x_first"] += list(point) == ["x", "y"]
            seen["shuffled"] += list(landmark) != sorted(landmark, key=facepp.ALL_PARTS.index)
            seen["legacy"] += set(landmark) == set(facepp.LEGACY_PARTS)
            xs = [v["x"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
            ys = [v["y"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
            seen["outside"] += min(xs) < 0 or min(ys) < 0 or max(xs) >= 640 or max(ys) >= 480
            seen["border"] += 0 in (min(xs), min(ys)) or max(xs) == 639 or max(ys) == 479

        collect()
    assert all(n >= 5 for n in seen.values()), seen
    assert {0, 1, 5} <= counts


def test_shrinks_to_one_ordinary_frontal_face() -> None:
    from hypothesis import find, settings

    # No example database: an example saved by an older version of the strategies would be
    # replayed as some other face.
    hermetic = settings(database=None)
    face = find(faces(), lambda f: True, settings=hermetic)
    assert (face.roll, face.yaw, face.pitch, face.mouth_open, face.smile) == (0, 0, 0, 0, 0)
    assert face.left_eye_open == face.right_eye_open == 1.0
    # A failure that needs a face (any face) shrinks to exactly one.
    body = find(
        tencent_responses(),
        lambda b: len(b["Response"]["DenseFaceShapeSet"]) > 0,
        settings=hermetic,
    )
    assert len(body["Response"]["DenseFaceShapeSet"]) == 1
    # Mapped to the part names so Hypothesis need not print a 975-key body.
    order = find(facepp_responses().map(lambda b: list(b["face"]["landmark"])), lambda b: True)
    assert order == list(facepp.ALL_PARTS)


def test_failing_example_shrinks_to_a_single_face_inside_the_image() -> None:
    from hypothesis import find

    # "fails" for any face whose box starts right of x=10: the minimal one is still ordinary.
    face = find(faces(image_size=st.just((640, 480))), lambda f: f.left > 10)
    assert isinstance(face, Face)
    assert face.left > 0
    assert face.left + face.width < 640
    assert face.yaw == face.pitch == face.roll == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: facepp_responses(parts=("face",)),  # type: ignore[arg-type]
        lambda: tencent_responses(max_faces=6),
        lambda: tencent_responses(min_faces=3, max_faces=2),
        lambda: faces(yaw=10.0),  # type: ignore[arg-type]
        lambda: http_responses("aws"),
        lambda: tencent_responses(profile="kit"),  # type: ignore[arg-type]
    ],
    ids=["parts-not-strategy", "too-many", "min-over-max", "yaw-not-strategy", "vendor", "profile"],
)
def test_bad_arguments_raise_invalid_argument(call: Any) -> None:
    with pytest.raises(InvalidArgument):
        call()


def test_drawn_values_outside_the_limits_raise_invalid_argument() -> None:
    @given(faces(yaw=st.just(90.0)))
    def draw(face: Face) -> None:
        raise AssertionError("unreachable")

    with pytest.raises(InvalidArgument, match="yaw"):
        draw()


def _default_faces(run: int, image_size: Any = None) -> list[Face]:
    """200 default ``faces()`` drawn under ``@given`` with a fixed seed (generate phase)."""
    seen: list[Face] = []

    @seed(run)
    @settings(max_examples=200, database=None, deadline=None, phases=[Phase.generate])
    @given(faces() if image_size is None else faces(image_size=image_size))
    def collect(face: Face) -> None:
        seen.append(face)

    collect()
    return seen


@pytest.mark.parametrize("run", [0, 1])
def test_default_faces_are_many_different_people(run: int) -> None:
    # Hypothesis repeats earlier draws' values, the photo number among them; each face's
    # individual depends on all of its draws, so a repeated number is still another person
    # unless the whole face repeats (about 130 of 200 faces are distinct; with the photo
    # number alone deciding, about 43 individuals were).
    drawn = _default_faces(run)
    individuals = {face.seed for face in drawn} - {0}
    assert len(individuals) >= 80, len(individuals)
    # ... and so is the pose: faces of different people do not share one.
    poses = {(face.seed, face.roll, face.yaw, face.pitch) for face in drawn if face.seed}
    assert len({pose[1:] for pose in poses}) == len(poses)


def test_default_face_sizes_are_portrait_like_with_the_edges_still_drawn() -> None:
    # Four runs pooled: a run's examples come in clumps (one run may draw few tiny faces).
    drawn = [face for run in range(4) for face in _default_faces(run, st.just((640, 480)))]
    widths = sorted(face.width for face in drawn)
    smallest = facepp.IMAGE_LIMITS.min_face_size(640, 480)
    ordinary = [w for w in widths if smallest < w <= 480]
    assert 130 <= ordinary[len(ordinary) // 2] <= 200, ordinary
    assert sum(100 <= w <= 250 for w in widths) >= 0.6 * len(widths)
    assert sum(w == smallest for w in widths) >= 15  # the vendor's smallest face
    assert sum(w > 480 for w in widths) >= 15  # larger than the image


def test_image_sizes_are_mostly_common_with_boundaries_and_arbitrary_ones() -> None:
    sizes: list[tuple[int, int]] = []
    low, high = facepp.IMAGE_LIMITS.min_side, facepp.IMAGE_LIMITS.max_side

    # Four runs pooled, as above. With a draw beside it, as in a real test: alone, the few
    # common and boundary sizes would soon be used up (Hypothesis does not repeat a whole
    # example).
    for run in range(4):

        @seed(run)
        @settings(max_examples=200, database=None, deadline=None, phases=[Phase.generate])
        @given(strategies.image_sizes(), st.integers())
        def collect(size: tuple[int, int], _: int) -> None:
            assert low <= min(size) <= max(size) <= high
            sizes.append(size)

        collect()
    boundary = sum(set(size) <= {low, high} for size in sizes)
    arbitrary = [
        s for s in sizes if not set(s) <= {low, high} and s not in strategies._COMMON_SIZES
    ]
    assert len(sizes) - boundary - len(arbitrary) >= 0.75 * len(sizes)
    assert boundary >= 15
    assert len(set(arbitrary)) >= 8
