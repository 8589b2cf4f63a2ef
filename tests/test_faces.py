"""The face model: every key, integer coordinates, vendor contour order, poses and limits, and
the same face drawn for both vendors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face, facepp_face, tencent_face
from pytest_densemark.strategies import faces


def point(landmark: dict[str, Any], key: str) -> tuple[int, int]:
    for part in landmark.values():
        if key in part:
            return part[key]["x"], part[key]["y"]
    raise KeyError(key)


@pytest.fixture
def landmark() -> dict[str, Any]:
    face: dict[str, Any] = facepp_face(Face(100, 100, 400, 400))["landmark"]
    return face


def test_every_key_integer_and_y_first(landmark: dict[str, Any]) -> None:
    assert list(landmark) == list(facepp.ALL_PARTS)
    keys = 0
    for name, part in landmark.items():
        assert list(part) == list(facepp.PARTS[name].keys)
        for key, value in part.items():
            keys += 1
            if key in facepp.PARTS[name].radii:
                assert type(value) is int
                assert value > 0
            else:
                assert list(value) == ["y", "x"]
                assert all(type(v) is int for v in value.values())
    assert keys == facepp.TOTAL_KEYS


def test_contours_run_as_the_vendor_numbers_them(landmark: dict[str, Any]) -> None:
    hair_start, hair_top, hair_end = (point(landmark, f"face_hairline_{i}") for i in (0, 72, 144))
    assert hair_start[0] > hair_top[0] > hair_end[0]  # image right, over the top, image left
    assert hair_top[1] < min(hair_start[1], hair_end[1])
    chin_r, chin_l = point(landmark, "face_contour_right_0"), point(landmark, "face_contour_left_0")
    assert abs(chin_r[0] - chin_l[0]) <= 2
    assert point(landmark, "face_contour_right_63")[0] > chin_r[0]
    assert point(landmark, "face_contour_left_63")[0] < chin_l[0]
    assert point(landmark, "face_contour_right_63")[1] < chin_r[1]
    left_corner, right_corner = point(landmark, "upper_lip_0"), point(landmark, "upper_lip_32")
    assert left_corner[0] < point(landmark, "upper_lip_16")[0] < right_corner[0]
    assert point(landmark, "upper_lip_16")[1] < point(landmark, "upper_lip_48")[1]  # outer above
    assert point(landmark, "lower_lip_16")[1] > point(landmark, "lower_lip_48")[1]  # outer below
    mid = [point(landmark, f"nose_midline_{i}")[1] for i in range(60)]
    assert mid == sorted(mid)  # from between the brows down
    top = point(landmark, "nose_midline_0")
    assert top[1] < point(landmark, "left_eye_pupil_center")[1]
    assert point(landmark, "left_eyebrow_32")[0] < top[0] < point(landmark, "right_eyebrow_32")[0]
    # "left" is the image's left
    assert (
        point(landmark, "left_eye_pupil_center")[0] < point(landmark, "right_eye_pupil_center")[0]
    )


def test_faces_outside_the_image_give_outside_coordinates() -> None:
    landmark = facepp_face(Face(-150, -100, 300, 300))["landmark"]
    xs = [v["x"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
    ys = [v["y"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
    assert min(xs) < 0
    assert min(ys) < 0


def test_pose_and_expression_move_the_points() -> None:
    base = Face(100, 100, 400, 400)
    plain = facepp_face(base)["landmark"]
    turned = facepp_face(Face(100, 100, 400, 400, yaw=30))["landmark"]
    assert point(turned, "nose_midline_45")[0] > point(plain, "nose_midline_45")[0]
    rolled = facepp_face(Face(100, 100, 400, 400, roll=20))["landmark"]
    assert point(rolled, "right_eye_pupil_center")[1] > point(plain, "right_eye_pupil_center")[1]
    opened = facepp_face(Face(100, 100, 400, 400, mouth_open=1.0))["landmark"]
    gap = point(opened, "lower_lip_48")[1] - point(opened, "upper_lip_48")[1]
    assert gap > point(plain, "lower_lip_48")[1] - point(plain, "upper_lip_48")[1] + 50
    closed = facepp_face(Face(100, 100, 400, 400, left_eye_open=0.0))["landmark"]
    assert point(closed, "left_eye_15")[1] > point(plain, "left_eye_15")[1]


def test_seed_varies_proportions_deterministically() -> None:
    a = facepp_face(Face(0, 0, 400, 400, seed=1))
    assert a == facepp_face(Face(0, 0, 400, 400, seed=1))
    assert a != facepp_face(Face(0, 0, 400, 400, seed=2))


@pytest.mark.parametrize(
    ("field", "value"),
    [("yaw", 90.0), ("pitch", -60.0), ("mouth_open", 1.5), ("width", 0), ("smile", -0.1)],
)
def test_out_of_range_parameters_name_the_field(field: str, value: float) -> None:
    kwargs: dict[str, Any] = {"left": 0, "top": 0, "width": 100, "height": 100, field: value}
    with pytest.raises(ValueError, match=f"Face.{field}"):
        Face(**kwargs)


def test_unknown_part_is_rejected() -> None:
    with pytest.raises(ValueError, match="mouse"):
        facepp_face(Face(0, 0, 100, 100), ["mouse"])


@pytest.mark.parametrize(
    ("width", "height", "seed"), [(640, 480, 1), (100, 100, 2), (4096, 300, 3)]
)
def test_for_image_is_deterministic_and_fits(width: int, height: int, seed: int) -> None:
    face = Face.for_image(width, height, seed)
    assert face == Face.for_image(width, height, seed)
    landmark = facepp_face(face)["landmark"]
    xs = [v["x"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
    ys = [v["y"] for p in landmark.values() for v in p.values() if isinstance(v, dict)]
    assert min(xs) >= 0
    assert max(xs) < width
    assert min(ys) >= 0
    assert max(ys) < height


def test_tencent_shape_follows_the_profile() -> None:
    shape = tencent_face(Face(10, 20, 300, 300))
    assert [k for k in shape if k in tencent.POINT_LISTS] == list(tencent.POINT_LISTS)
    for name, count in tencent.KIT_PROFILE.counts.items():
        assert len(shape[name]) == count
    assert sum(len(shape[n]) for n in tencent.POINT_LISTS) == tencent.MAX_POINTS_PER_FACE
    custom = tencent.PointProfile("mine", dict.fromkeys(tencent.POINT_LISTS, 10))
    assert all(len(tencent_face(Face(0, 0, 200, 200), custom)[n]) == 10 for n in custom.counts)
    assert shape["X"] == 10
    assert shape["Width"] == 300


# ---------------------------------------------------------------- both vendors, one face

#: Each Tencent list and the Face++ runs it follows, as ``(prefix, reversed)`` pieces joined
#: into one polyline (closed when the Tencent list is a loop).
TENCENT_ON_FACEPP: dict[str, tuple[list[tuple[str, bool]], bool]] = {
    "LeftEye": ([("left_eye_", False)], True),
    "RightEye": ([("right_eye_", False)], True),
    "LeftEyeBrow": ([("left_eyebrow_", False)], True),
    "RightEyeBrow": ([("right_eyebrow_", False)], True),
    "MouthOutside": ([("lower_lip_out", False), ("upper_lip_out", True)], True),
    "MouthInside": ([("lower_lip_in", True), ("upper_lip_in", False)], True),
    "Nose": ([("nose_left_", False), ("nose_right_", True)], False),
    "Chin": ([("face_contour_left_", True), ("face_contour_right_", False)], False),
    "Forehead": ([("face_hairline_", False)], False),
}


def facepp_run(landmark: dict[str, Any], prefix: str) -> list[tuple[int, int]]:
    """A Face++ run as points in key order; ``*_lip_out`` / ``*_lip_in`` are the outer and
    inner edges of a lip (its first and last 32 keys)."""
    if prefix.endswith(("_out", "_in")):
        lip, edge = prefix.rsplit("_", 1)
        numbers = range(32) if edge == "out" else range(32, 64)
        return [point(landmark, f"{lip}_{i}") for i in numbers]
    count = next(n for part in facepp.PARTS.values() for p, n in part.runs if p == prefix)
    return [point(landmark, f"{prefix}{i}") for i in range(count)]


def distance_to_polyline(p: tuple[int, int], line: list[tuple[int, int]]) -> float:
    """The distance from ``p`` to the nearest segment of ``line``."""
    return float(distances_to_polyline([p], line)[0])


def distances_to_polyline(points: list[tuple[int, int]], line: list[tuple[int, int]]) -> Any:
    """For each of ``points``, the distance to the nearest segment of ``line``."""
    pts = np.asarray(points, dtype=float)[:, None, :]
    a = np.asarray(line[:-1], dtype=float)[None, :, :]
    d = np.asarray(line[1:], dtype=float)[None, :, :] - a
    span = np.maximum((d**2).sum(axis=-1), 1e-12)
    t = np.clip(((pts - a) * d).sum(axis=-1) / span, 0.0, 1.0)
    return np.sqrt(((pts - a - t[..., None] * d) ** 2).sum(axis=-1)).min(axis=1)


def assert_vendors_coincide(face: Face) -> None:
    """Every Tencent list of ``face`` lies on the Face++ contour it follows, the pupils on a
    circle of the Face++ pupil radius around the Face++ pupil centre, and the central axis
    runs from the Face++ hairline's top to its chin."""
    landmark = facepp_face(face)["landmark"]
    shape = tencent_face(face)
    # Rounding to whole pixels on both sides, plus a little for the curves between points.
    tolerance = 2.0 + 0.006 * face.width
    for name, (pieces, closed) in TENCENT_ON_FACEPP.items():
        line: list[tuple[int, int]] = []
        for prefix, backwards in pieces:
            run = facepp_run(landmark, prefix)
            line += run[::-1] if backwards else run
        if closed:
            line.append(line[0])
        gaps = distances_to_polyline([(p["X"], p["Y"]) for p in shape[name]], line)
        worst = int(gaps.argmax())
        assert gaps[worst] <= tolerance, (
            f"{face}: {name} point {shape[name][worst]} is {gaps[worst]:.1f} px off Face++"
        )
    # A turned head foreshortens the pupil's circle into an ellipse, as much as the turn.
    squash = math.cos(math.radians(face.yaw)) * math.cos(math.radians(face.pitch))
    for side in ("left", "right"):
        cx, cy = point(landmark, f"{side}_eye_pupil_center")
        radius = landmark[f"{side}_eye"][f"{side}_eye_pupil_radius"]
        for p in shape[f"{side.capitalize()}Pupil"]:
            reach = math.hypot(p["X"] - cx, p["Y"] - cy)
            assert squash**2 * radius - tolerance <= reach <= radius + tolerance, (
                f"{face}: {side} pupil point {p} is {reach:.1f} px from the Face++ centre,"
                f" radius {radius}"
            )
    axis = shape["CentralAxis"]
    top, chin = point(landmark, "face_hairline_72"), point(landmark, "face_contour_right_0")
    for end, target in ((axis[0], top), (axis[-1], chin)):
        gap = math.hypot(end["X"] - target[0], end["Y"] - target[1])
        assert gap <= 2 * tolerance, f"{face}: central axis end {end} is {gap:.1f} px off"


@pytest.mark.parametrize(
    "face",
    [
        Face(100, 100, 400, 400),
        Face(50, 80, 300, 300, roll=30.0, yaw=40.0, pitch=-20.0, seed=5),
        Face(0, 0, 500, 500, yaw=-60.0, mouth_open=1.0, smile=1.0, seed=9),
        Face(10, 10, 250, 250, roll=-170.0, pitch=45.0, left_eye_open=0.0, seed=11),
    ],
)
def test_the_same_face_coincides_for_both_vendors(face: Face) -> None:
    assert_vendors_coincide(face)


@settings(max_examples=40, deadline=None)
@given(faces(image_size=st.just((1280, 720))))
def test_default_faces_coincide_for_both_vendors(face: Face) -> None:
    assert_vendors_coincide(face)


def test_the_coincidence_check_can_fail() -> None:
    """Different faces (another individual, another pose) do not pass for the same one."""
    face = Face(100, 100, 400, 400, seed=3)
    other = Face(100, 100, 400, 400, yaw=12.0, seed=4)
    landmark = facepp_face(face)["landmark"]
    shape = tencent_face(other)
    line = facepp_run(landmark, "left_eye_") + facepp_run(landmark, "left_eye_")[:1]
    gaps = distances_to_polyline([(p["X"], p["Y"]) for p in shape["LeftEye"]], line)
    assert gaps.max() > 2.0 + 0.006 * 400
