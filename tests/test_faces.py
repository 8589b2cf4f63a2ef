"""The face model: every key, integer coordinates, vendor contour order, poses and limits."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face, facepp_face, tencent_face


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
