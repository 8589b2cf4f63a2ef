"""A parametric face model that produces every dense landmark both vendors return.

Synthetic data. A :class:`Face` is a handful of numbers: a face box in image pixels, head pose
(roll, yaw, pitch in degrees), expression (mouth opening, smile, each eye's openness) and a
seed for small natural variation between individuals. From those numbers
:func:`facepp_face` computes all 973 Face++ points and both pupil radii, and
:func:`tencent_face` computes one Tencent ``DenseFaceShape``.

How the model works: every feature is a simple curve (ellipses and almond-shaped loops, a
superellipse, arches, smooth splines through a few points) laid out in a face frame whose unit
is the distance between the pupils, with the origin midway between them, ``x`` to the image's
right and ``y`` down. The proportions are the ``_P_*`` constants of
:mod:`pytest_densemark._face_model`, hand-set and rounded,
and so are the ranges individuals vary in (``_P_SPREAD``: face shape and asymmetry, feature
sizes, spacing and slant, where the pupils sit in the eyes, how the vendor's points sit along
a contour; and ``_P_WIGGLE``: small smooth departures along every contour) and how expression
changes the face (a smile widens the mouth, thins the upper lip and leans the eyelid creases).
They were tuned so that the default strategies' faces are distributed like real faces
(``tests/test_realism.py`` measures this against real faces kept outside the project; no real
coordinates or shapes derived from them are used here, only these interpretable numbers). The
points along each contour are spaced unevenly where the vendors space them so (``skew``,
``ends`` and ``across`` of :func:`_resample`). Each point gets a depth (``_D_*``: a flattish
head, the nose standing out along its bridge, the chin and forehead forward of the eyes, the
outline's sides behind them) so that yaw and pitch turn the face in 3D, then the frame is
rolled, scaled into the face box and rounded to integers, as the vendors send them. A face
box partly outside the image simply yields coordinates outside it (negative, or beyond the
image's width or height), as the vendors do.

The model lives in three private modules: :mod:`pytest_densemark._face_model` holds its numbers
(proportions, depths, how individuals vary), :mod:`pytest_densemark._face_parts` lays out each
feature's curves from them, and :mod:`pytest_densemark._face_curves` is the plain geometry they
use. This module holds :class:`Face` and turns the model's shapes into each vendor's points.

Conventions, following the vendors' own: "left" is the left of the image (the person's
right). Positive ``roll`` turns the face clockwise on screen, positive ``yaw`` turns it toward
the image's right, positive ``pitch`` tilts it to look up.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pytest_densemark import facepp, tencent
from pytest_densemark._face_curves import Point, Point3, _resample
from pytest_densemark._face_model import _P_BOX, _P_BOX_CENTRE_Y, _P_PUPIL_R, _traits
from pytest_densemark._face_parts import (
    _nose_sides,
    _outline,
    _pupil,
    _shape,
    _with_depth,
    _with_outline_depth,
)

__all__ = ["LIMITS", "Face", "facepp_face", "tencent_face"]


#: Plausible limits of each pose and expression parameter: ``(min, max)``.
LIMITS: dict[str, tuple[float, float]] = {
    "roll": (-180.0, 180.0),
    "yaw": (-60.0, 60.0),
    "pitch": (-45.0, 45.0),
    "mouth_open": (0.0, 1.0),
    "smile": (0.0, 1.0),
    "left_eye_open": (0.0, 1.0),
    "right_eye_open": (0.0, 1.0),
}


@dataclass(frozen=True)
class Face:
    """One synthetic face: face box, head pose, expression and individual variation.

    ``left``, ``top``, ``width`` and ``height`` are the face box in image pixels (the box the
    vendors report; the hairline and chin extend a little beyond it, as in real responses).
    Angles are in degrees within :data:`LIMITS`; positive ``roll`` is clockwise on screen,
    positive ``yaw`` turns the face toward the image's right, positive ``pitch`` looks up.
    ``mouth_open``, ``smile`` and the eye openness values run from 0 to 1 (1.0 = eyes fully
    open, the default). ``seed`` picks the individual: small natural variation in proportions
    and along the contours; seed 0 is the model's plain average face. Frozen and hashable, so
    faces can be used as keys.
    """

    left: float
    top: float
    width: float
    height: float
    roll: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    mouth_open: float = 0.0
    smile: float = 0.0
    left_eye_open: float = 1.0
    right_eye_open: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("left", "top", "width", "height"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"Face.{name}: expected a finite number, got {value!r}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(
                f"Face.width/height: expected positive sizes, got {self.width}x{self.height}"
            )
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(
                    f"Face.{name}: expected a number in [{low}, {high}], got {value!r}"
                )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"Face.seed: expected an int, got {self.seed!r}")

    @classmethod
    def for_image(cls, width: int, height: int, seed: int) -> Face:
        """One ordinary, realistic face that fits an image of this size, chosen by ``seed``.

        Deterministic: the same size and seed give the same face. The face is near frontal,
        with a relaxed expression, large enough for the vendors to detect and placed so that
        every point (hairline and chin included) lies inside the image when the image allows.
        """
        if width <= 0 or height <= 0:
            raise ValueError(f"Face.for_image: expected a positive size, got {width}x{height}")
        rng = random.Random(seed)
        short = min(width, height)
        # The landmarks span about 1.45 box widths high (hairline to chin) and 1.05 wide.
        fit = min(width / 1.15, height / 1.65)
        smallest = facepp.IMAGE_LIMITS.min_face_size(width, height)
        side = min(fit, max(float(smallest), short * rng.uniform(0.4, 0.6)))
        side = max(side, 1.0)
        # The hairline rises about 0.4 box heights above the box; the chin ends near its bottom.
        extra_top, extra_bottom = 0.47 * side, 0.15 * side
        room_x = max(0.0, width - side)
        room_y = max(0.0, height - side - extra_top - extra_bottom)
        left = (width - side) / 2 + rng.uniform(-0.15, 0.15) * room_x
        top = extra_top + (room_y / 2 + rng.uniform(-0.15, 0.15) * room_y)
        if room_y == 0:
            top = (height - side) / 2
        return cls(
            left=round(left),
            top=round(top),
            width=round(side),
            height=round(side),
            roll=rng.uniform(-5.0, 5.0),
            yaw=rng.uniform(-6.0, 6.0),
            pitch=rng.uniform(-5.0, 5.0),
            mouth_open=rng.choice((0.0, rng.uniform(0.2, 0.32))),
            smile=rng.uniform(0.0, 0.2),
            left_eye_open=rng.uniform(0.85, 1.0),
            right_eye_open=rng.uniform(0.85, 1.0),
            seed=rng.randrange(1, 2**31),
        )


Affine = tuple[float, float, float, float, float, float, float, float]


def _projector(face: Face) -> Affine:
    """The affine map (orthographic camera) taking face-frame points with depth to image
    pixels for this face's box and pose: ``(ox, ax, bx, cx, oy, ay, by, cy)`` with
    ``X = ox + ax*x + bx*y + cx*z`` and likewise for ``Y``."""
    yaw, pitch, roll = (math.radians(a) for a in (face.yaw, face.pitch, face.roll))
    cyaw, syaw = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    sx = face.width / _P_BOX
    sy = face.height / _P_BOX

    def turn(x: float, y: float, z: float) -> Point:
        # pitch about the head's own horizontal axis (positive: looking up, y grows downward)
        y, z = y * cp - z * sp, y * sp + z * cp
        # then yaw about the vertical axis (positive: toward the image right), as a head
        # turns on the neck: the eyes stay level however the head nods and turns
        x, z = x * cyaw + z * syaw, -x * syaw + z * cyaw
        # roll in the image plane (positive: clockwise on screen)
        return (x * cr - y * sr) * sx, (x * sr + y * cr) * sy

    (ax, ay), (bx, by), (cx, cy) = turn(1, 0, 0), turn(0, 1, 0), turn(0, 0, 1)
    # The box centre is the pivot, _P_BOX_CENTRE_Y below the pupils.
    ox = face.left + face.width / 2 - bx * _P_BOX_CENTRE_Y
    oy = face.top + face.height / 2 - by * _P_BOX_CENTRE_Y
    return (ox, ax, bx, cx, oy, ay, by, cy)


@lru_cache(maxsize=64)
def _run_keys(prefix: str, count: int) -> tuple[str, ...]:
    """The Face++ key names of a numbered run: ``prefix0`` .. ``prefix{count-1}``."""
    return tuple(f"{prefix}{i}" for i in range(count))


def facepp_face(face: Face, parts: Iterable[str] = facepp.ALL_PARTS) -> dict[str, Any]:
    """The Face++ ``face`` object for ``face``: ``face_rectangle`` and ``landmark``.

    ``landmark`` holds the requested parts (default: all 9) with every key of each part, in
    contour order as the vendor numbers them; each point is ``{"y": int, "x": int}`` (the
    vendor's order) and each pupil radius a bare int. Unknown part names raise ``ValueError``.
    """
    wanted = list(parts)
    unknown = [p for p in wanted if p not in facepp.PARTS]
    if unknown:
        raise ValueError(
            f"facepp_face: unknown part(s) {unknown}; expected names from {facepp.ALL_PARTS}"
        )
    shape = _shape(face.mouth_open, face.smile, face.left_eye_open, face.right_eye_open, face.seed)
    ox, ax, bx, cx, oy, ay, by, cy = _projector(face)
    # Radii follow the face box's size.
    scale = math.sqrt(face.width * face.height) / _P_BOX
    radius = max(1, round(_P_PUPIL_R * scale * _traits(face.seed).eye_w))
    landmark: dict[str, Any] = {}
    for name in dict.fromkeys(wanted):
        part = facepp.PARTS[name]
        body: dict[str, Any] = {}
        for prefix, count in part.runs:
            run = shape[prefix]
            if len(run) != count:  # pragma: no cover - guarded by tests
                raise AssertionError(f"{prefix}: model made {len(run)} points, not {count}")
            values = [
                {
                    "y": round(oy + ay * x + by * y + cy * z),
                    "x": round(ox + ax * x + bx * y + cx * z),
                }
                for x, y, z in run
            ]
            body.update(zip(_run_keys(prefix, count), values, strict=True))
        for key in part.points:
            x, y, z = shape[key][0]
            body[key] = {
                "y": round(oy + ay * x + by * y + cy * z),
                "x": round(ox + ax * x + bx * y + cx * z),
            }
        for key in part.radii:
            body[key] = radius
        landmark[name] = body
    return {
        "face_rectangle": {
            "top": round(face.top),
            "left": round(face.left),
            "width": round(face.width),
            "height": round(face.height),
        },
        "landmark": landmark,
    }


@lru_cache(maxsize=64)
def _unit_circle(count: int) -> tuple[Point, ...]:
    """cos and sin of ``count`` angles evenly spread around the circle."""
    return tuple(
        (math.cos(2 * math.pi * i / count), math.sin(2 * math.pi * i / count)) for i in range(count)
    )


def _circle(cx: float, cy: float, r: float, count: int) -> list[Point]:
    return [(cx + r * c, cy + r * s) for c, s in _unit_circle(count)]


@lru_cache(maxsize=1024)
def _tencent_shape(
    mouth_open: float,
    smile: float,
    left_eye: float,
    right_eye: float,
    seed: int,
    counts: tuple[tuple[str, int], ...],
) -> dict[str, list[Point3]]:
    flat = _outline(mouth_open, smile, left_eye, right_eye, seed)
    n = dict(counts)
    tr = _traits(seed)

    upper, lower = flat["upper_lip_"], flat["lower_lip_"]
    # Counterclockwise on screen from the left corner: along the bottom first, then the top.
    outside = upper[:1] + lower[:32] + upper[1:32][::-1]
    inside = lower[32:][::-1] + upper[32:]
    nose = flat["nose_left_"] + flat["nose_right_"][::-1]
    jaw = flat["face_contour_left_"][::-1] + flat["face_contour_right_"][1:]
    hair = flat["face_hairline_"]
    axis = [hair[72], jaw[63]]
    radius = _P_PUPIL_R * tr.eye_w
    bag_drop = 0.08 * tr.eye_h

    def bag(key: str) -> list[Point]:
        return [(x, y + bag_drop) for x, y in flat[key][32:]]

    return {
        "LeftEye": _with_depth(_resample(flat["left_eye_"], n["LeftEye"], closed=True)),
        "RightEye": _with_depth(_resample(flat["right_eye_"], n["RightEye"], closed=True)),
        "LeftEyeBrow": _with_depth(_resample(flat["left_eyebrow_"], n["LeftEyeBrow"], closed=True)),
        "RightEyeBrow": _with_depth(
            _resample(flat["right_eyebrow_"], n["RightEyeBrow"], closed=True)
        ),
        "MouthOutside": _with_depth(_resample(outside, n["MouthOutside"], closed=True)),
        "MouthInside": _with_depth(_resample(inside, n["MouthInside"], closed=True)),
        "Nose": _nose_sides(_resample(nose, n["Nose"])),
        "LeftPupil": _with_depth(_circle(*_pupil(-1.0, tr), radius, n["LeftPupil"])),
        "RightPupil": _with_depth(_circle(*_pupil(1.0, tr), radius, n["RightPupil"])),
        "CentralAxis": _with_outline_depth(_resample(axis, n["CentralAxis"])),
        "Chin": _with_outline_depth(_resample(jaw, n["Chin"])),
        "LeftEyeBags": _with_depth(_resample(bag("left_eye_"), n["LeftEyeBags"])),
        "RightEyeBags": _with_depth(_resample(bag("right_eye_"), n["RightEyeBags"])),
        "Forehead": _with_outline_depth(_resample(hair, n["Forehead"])),
    }


def tencent_face(face: Face, profile: tencent.PointProfile = tencent.KIT_PROFILE) -> dict[str, Any]:
    """One Tencent ``DenseFaceShape`` for ``face``: ``X``, ``Y``, ``Width``, ``Height`` and the
    14 point lists, each ``{"X": int, "Y": int}``, with as many points as ``profile`` says
    (default :data:`pytest_densemark.tencent.KIT_PROFILE`, the kit's own assumption).

    Each list follows the same face model as :func:`facepp_face`: eyes and brows as closed
    loops from the outer corner, both mouth lists counterclockwise on screen from the left
    corner, ``Chin`` along the jaw from the image-left ear to the image-right one,
    ``Forehead`` along the hairline, ``CentralAxis`` from the top of the forehead to the chin.
    """
    return _tencent_face(face, profile)


def _tencent_face(
    face: Face, profile: tencent.PointProfile, *, y_first: bool = False
) -> dict[str, Any]:
    """:func:`tencent_face`, optionally with each point serialised ``Y`` first."""
    box = (round(face.left), round(face.top), round(face.width), round(face.height))
    body: dict[str, Any] = dict(zip(tencent.FACE_BOX_FIELDS, box, strict=True))
    rounded = _tencent_rounded(face, _profile_counts(profile))
    for name, (xs, ys) in zip(tencent.POINT_LISTS, rounded, strict=True):
        if y_first:
            body[name] = [{"Y": y, "X": x} for x, y in zip(xs, ys, strict=True)]
        else:
            body[name] = [{"X": x, "Y": y} for x, y in zip(xs, ys, strict=True)]
    return body


# Hypothesis draws the same face again and again (its simplest examples, and mutations of
# earlier ones), so the rounded image coordinates of recent faces are kept; every call still
# builds fresh point dicts from them.
@lru_cache(maxsize=64)
def _tencent_rounded(
    face: Face, counts: tuple[tuple[str, int], ...]
) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """For each of the 14 lists in order, the rounded image ``X`` and ``Y`` of its points."""
    shape = _tencent_shape(
        face.mouth_open, face.smile, face.left_eye_open, face.right_eye_open, face.seed, counts
    )
    ox, ax, bx, cx, oy, ay, by, cy = _projector(face)
    return tuple(
        (
            tuple([round(ox + ax * x + bx * y + cx * z) for x, y, z in shape[name]]),
            tuple([round(oy + ay * x + by * y + cy * z) for x, y, z in shape[name]]),
        )
        for name in tencent.POINT_LISTS
    )


def _profile_counts(profile: tencent.PointProfile) -> tuple[tuple[str, int], ...]:
    """The profile's counts as a hashable cache key."""
    return tuple(sorted(profile.counts.items()))


def _extent(face: Face, runs: Iterable[list[Point3]]) -> list[tuple[int, int]]:
    """The top-left and bottom-right corners ``(min X, min Y), (max X, max Y)`` of the
    rounded image positions of ``runs`` for ``face`` (rounding is monotonic, so rounding the
    extremes gives the extremes of the rounded points); empty when there are no points."""
    ox, ax, bx, cx, oy, ay, by, cy = _projector(face)
    pts = [p for run in runs for p in run]
    if not pts:
        return []
    xs = [ox + ax * x + bx * y + cx * z for x, y, z in pts]
    ys = [oy + ay * x + by * y + cy * z for x, y, z in pts]
    return [(round(min(xs)), round(min(ys))), (round(max(xs)), round(max(ys)))]


def _facepp_extent(face: Face) -> list[tuple[int, int]]:
    """The corners of the box around every point :func:`facepp_face` gives for ``face``
    (all parts), without building the payload."""
    shape = _shape(face.mouth_open, face.smile, face.left_eye_open, face.right_eye_open, face.seed)
    parts = [facepp.PARTS[name] for name in facepp.ALL_PARTS]
    runs = [shape[prefix] for part in parts for prefix, _ in part.runs]
    runs += [shape[key] for part in parts for key in part.points]
    return _extent(face, runs)


def _tencent_extent(face: Face, profile: tencent.PointProfile) -> list[tuple[int, int]]:
    """The corners of the box around every point :func:`tencent_face` gives for ``face``,
    without building the payload."""
    shape = _tencent_shape(
        face.mouth_open,
        face.smile,
        face.left_eye_open,
        face.right_eye_open,
        face.seed,
        _profile_counts(profile),
    )
    return _extent(face, [shape[name] for name in tencent.POINT_LISTS])
