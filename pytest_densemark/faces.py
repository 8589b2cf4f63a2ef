"""A parametric face model that produces every dense landmark both vendors return.

Synthetic data. A :class:`Face` is a handful of numbers: a face box in image pixels, head pose
(roll, yaw, pitch in degrees), expression (mouth opening, smile, each eye's openness) and a
seed for small natural variation between individuals. From those numbers
:func:`facepp_face` computes all 973 Face++ points and both pupil radii, and
:func:`tencent_face` computes one Tencent ``DenseFaceShape``.

How the model works: every feature is a simple curve (ellipses, a superellipse, arches,
smooth splines through a few points) laid out in a face frame whose unit is the distance
between the pupils, with the origin midway between them, ``x`` to the image's right and
``y`` down. The proportions are the ``_P_*`` constants below, hand-set and rounded. Each point
gets a depth from a rough head model so that yaw and pitch turn the face in 3D, then the frame
is rolled, scaled into the face box and rounded to integers, as the vendors send them. A face
box partly outside the image simply yields coordinates outside it (negative, or beyond the
image's width or height), as the vendors do.

Conventions, following the vendors' own: "left" is the left of the image (the person's
right). Positive ``roll`` turns the face clockwise on screen, positive ``yaw`` turns it toward
the image's right, positive ``pitch`` tilts it to look up.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pytest_densemark import facepp, tencent

__all__ = ["LIMITS", "Face", "facepp_face", "tencent_face"]

Point = tuple[float, float]
Point3 = tuple[float, float, float]

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

# Face box: the box is a little wider than two pupil distances, and the point midway between
# the pupils sits a little under a quarter of the box down from its top.
_P_BOX = 2.1  # box side, in pupil distances
_P_BOX_CENTRE_Y = 0.59  # box centre below the pupils, in pupil distances
# Eyes (centred on the pupils at x = +-0.5).
_P_EYE_HALF_W = 0.165
_P_EYE_CORNER_Y = 0.02
_P_EYE_UPPER = 0.07
_P_EYE_LOWER = 0.06
_P_PUPIL_R = 0.092
# Eyelid crease: a wider loop around the eye.
_P_LID_HALF_W = 0.22
_P_LID_CX = 0.49
_P_LID_CORNER_Y = 0.045
_P_LID_UPPER = 0.105
_P_LID_LOWER = 0.035
# Eyebrows: from the outer end to the inner end, arched, thickest in the middle.
_P_BROW_OUTER = (0.89, -0.18)
_P_BROW_INNER = (0.24, -0.19)
_P_BROW_ARCH = 0.10
_P_BROW_THICK = 0.09
# Jaw: half an ellipse from ear height to the chin.
_P_JAW_TOP_Y = 0.23
_P_JAW_HALF_W = 1.07
_P_JAW_DEPTH = 1.49  # from jaw top to chin with the mouth closed
# Hairline: a superellipse arch over the forehead, from below the jaw's top on each side.
_P_HAIR_BASE_Y = 0.49
_P_HAIR_HALF_W = 1.08
_P_HAIR_HEIGHT = 1.72
_P_HAIR_EXP = 3.0
# Nose: one side as a smooth curve through a few points (image-left side; mirrored).
_P_NOSE_SIDE: tuple[Point, ...] = (
    (-0.17, 0.08),
    (-0.19, 0.30),
    (-0.29, 0.54),
    (-0.28, 0.66),
    (-0.14, 0.72),
    (0.0, 0.77),
)
_P_NOSTRIL = (0.165, 0.67)
_P_MIDLINE = (-0.41, 0.91)
# Mouth: corners, and how far each lip edge sits above or below the corners in its middle.
_P_MOUTH_HALF_W = 0.47
_P_MOUTH_Y = 0.965
_P_UPPER_OUT = 0.065
_P_BOW = 0.015
_P_UPPER_IN = 0.02
_P_LOWER_IN = 0.015
_P_LOWER_THICK = 0.145
# How far the mouth opens (lip gap, in pupil distances) at mouth_open = 1.
_P_MOUTH_GAP = 0.6

# Rough depth (toward the camera, in pupil distances) of the head and the features on it.
_D_HEAD = 1.0
_D_HEAD_HALF_W = 1.2
_D_NOSE_TIP = 0.5


@dataclass(frozen=True)
class Face:
    """One synthetic face: face box, head pose, expression and individual variation.

    ``left``, ``top``, ``width`` and ``height`` are the face box in image pixels (the box the
    vendors report; the hairline and chin extend a little beyond it, as in real responses).
    Angles are in degrees within :data:`LIMITS`; positive ``roll`` is clockwise on screen,
    positive ``yaw`` turns the face toward the image's right, positive ``pitch`` looks up.
    ``mouth_open``, ``smile`` and the eye openness values run from 0 to 1 (1.0 = eyes fully
    open, the default). ``seed`` picks small natural variation in proportions; seed 0 is the
    model's plain average face. Frozen and hashable, so faces can be used as keys.
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


# --------------------------------------------------------------------------- curve helpers


def _resample(points: Sequence[Point], count: int, *, closed: bool = False) -> list[Point]:
    """``count`` points evenly spaced by arc length along a polyline (or closed loop)."""
    pts = list(points)
    if closed:
        pts.append(pts[0])
    if count <= 0:
        return []
    lengths = list(itertools.accumulate(map(math.dist, pts, pts[1:]), initial=0.0))
    total = lengths[-1]
    if total == 0.0:
        return [pts[0]] * count
    step = total / count if closed else total / max(count - 1, 1)
    last = len(lengths) - 2
    out: list[Point] = []
    seg = 0
    for i in range(count):
        target = i * step
        while seg < last and lengths[seg + 1] < target:
            seg += 1
        start = lengths[seg]
        span = lengths[seg + 1] - start
        t = (target - start) / span if span else 0.0
        if t > 1.0:
            t = 1.0
        x0, y0 = pts[seg]
        x1, y1 = pts[seg + 1]
        out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out


def _sample(func: Callable[[float], Point], count: int) -> list[Point]:
    """``func`` evaluated at ``count`` parameters evenly spread over [0, 1]."""
    return [func(i / (count - 1)) for i in range(count)]


def _spline(controls: Sequence[Point], per_segment: int = 12) -> list[Point]:
    """A Catmull-Rom curve through the control points, as a dense polyline."""
    ext = [controls[0], *controls, controls[-1]]
    out: list[Point] = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        for j in range(per_segment):
            t = j / per_segment
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[k]
                        + (-p0[k] + p2[k]) * t
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                        + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3
                    )
                    for k in (0, 1)
                )
            )
    out.append(controls[-1])
    return out


def _loop(
    cx: float, half_w: float, corner_y: float, upper: float, lower: float, outer_first: float
) -> Callable[[float], Point]:
    """A closed eye-like loop: from the corner at ``cx + outer_first*half_w`` along the upper
    edge (``upper`` above the corners) to the other corner, then back along the lower edge."""

    def at(t: float) -> Point:
        angle = 2 * math.pi * t
        x = cx + outer_first * half_w * math.cos(angle)
        s = math.sin(angle)
        y = corner_y - (upper * s if s >= 0 else lower * s)
        return (x, y)

    return at


# --------------------------------------------------------------------------- the shape


@dataclass(frozen=True)
class _Traits:
    """Individual proportions, as factors (1.0 = the model's average) or offsets."""

    jaw_w: float = 1.0
    chin: float = 1.0
    eye_w: float = 1.0
    eye_h: float = 1.0
    brow_y: float = 0.0
    brow_arch: float = 1.0
    mouth_w: float = 1.0
    lips: float = 1.0
    nose_w: float = 1.0
    nose_len: float = 1.0
    hair: float = 1.0
    hair_w: float = 1.0


@lru_cache(maxsize=4096)
def _traits(seed: int) -> _Traits:
    if seed == 0:
        return _Traits()
    rng = random.Random(seed)
    g = rng.gauss

    def f(sd: float) -> float:
        return 1.0 + max(-2.5, min(2.5, g(0.0, 1.0))) * sd

    return _Traits(
        jaw_w=f(0.03),
        chin=f(0.035),
        eye_w=f(0.05),
        eye_h=f(0.12),
        brow_y=max(-0.06, min(0.06, g(0.0, 0.025))),
        brow_arch=f(0.15),
        mouth_w=f(0.05),
        lips=f(0.12),
        nose_w=f(0.07),
        nose_len=f(0.04),
        hair=f(0.05),
        hair_w=f(0.03),
    )


def _mirror(points: Iterable[Point]) -> list[Point]:
    return [(-x, y) for x, y in points]


def _eye_points(side: float, openness: float, tr: _Traits) -> dict[str, list[Point]]:
    """Eye contour and eyelid crease for one eye; ``side`` -1 image-left, +1 image-right."""
    cx = 0.5 * side
    half = _P_EYE_HALF_W * tr.eye_w
    upper = (_P_EYE_UPPER * openness - 0.035 * (1.0 - openness)) * tr.eye_h
    lower = (_P_EYE_LOWER - 0.02 * (1.0 - openness)) * tr.eye_h
    # Contour: from the outer corner over the upper lid to the inner corner, then back.
    eye = _resample(
        _sample(_loop(cx, half, _P_EYE_CORNER_Y, upper, lower, side), 96), 63, closed=True
    )
    lid_half = _P_LID_HALF_W * tr.eye_w
    lid_up = _P_LID_UPPER * (0.7 + 0.3 * openness) * tr.eye_h
    lid = _resample(
        _sample(_loop(_P_LID_CX * side, lid_half, _P_LID_CORNER_Y, lid_up, _P_LID_LOWER, side), 96),
        64,
        closed=True,
    )
    return {"eye": eye, "lid": lid}


def _brow_points(side: float, tr: _Traits) -> list[Point]:
    """One eyebrow: from the outer end along the upper edge to the inner end, then back."""
    (ox, oy), (ix, iy) = _P_BROW_OUTER, _P_BROW_INNER
    arch = _P_BROW_ARCH * tr.brow_arch

    def centre(s: float) -> tuple[float, float, float]:
        x = ox + (ix - ox) * s
        y = oy + (iy - oy) * s - arch * math.sin(math.pi * s**0.75) + tr.brow_y
        thick = _P_BROW_THICK * (0.25 + 0.75 * math.sin(math.pi * min(s * 1.15, 1.0)) ** 0.6)
        return x, y, thick

    upper, lower = [], []
    for i in range(41):
        x, y, thick = centre(i / 40)
        upper.append((x * side, y - thick / 2))
        lower.append((x * side, y + thick / 2))
    return _resample(upper + lower[::-1], 64, closed=True)


def _mouth_points(mouth_open: float, smile: float, tr: _Traits) -> dict[str, list[Point]]:
    half = _P_MOUTH_HALF_W * tr.mouth_w * (1.0 + 0.12 * smile - 0.08 * mouth_open)
    cy = _P_MOUTH_Y
    lift = 0.08 * smile  # corners rise with a smile
    gap = _P_MOUTH_GAP * mouth_open
    lips = tr.lips

    def edge(depth: float, power: float, bow: float = 0.0) -> Callable[[float], Point]:
        def at(s: float) -> Point:
            x = -half + 2 * half * s
            u = abs(x / half)
            shape = 1.0 - u**power
            y = cy - lift * u**2 + depth * shape + bow * math.exp(-((x / 0.08) ** 2))
            return (x, y)

        return at

    upper_out = edge(-_P_UPPER_OUT * lips, 4.0, _P_BOW * lips)
    upper_in = edge(_P_UPPER_IN + 0.3 * gap * 0.1, 2.0)
    lower_in = edge(_P_LOWER_IN + gap + 0.02 * smile, 2.0)
    lower_out = edge(_P_LOWER_IN + gap + _P_LOWER_THICK * lips + 0.03 * smile, 2.0)

    def lip(outer: Callable[[float], Point], inner: Callable[[float], Point]) -> list[Point]:
        out = _resample(_sample(outer, 64), 33)[:32]
        back = _resample(_sample(inner, 64)[::-1], 33)[:32]
        return out + back

    return {"upper": lip(upper_out, upper_in), "lower": lip(lower_out, lower_in)}


def _face_outline(mouth_open: float, tr: _Traits) -> dict[str, list[Point]]:
    half_w = _P_JAW_HALF_W * tr.jaw_w
    depth = (_P_JAW_DEPTH + 0.5 * _P_MOUTH_GAP * mouth_open) * tr.chin

    def jaw(t: float) -> Point:  # t = 0 at the chin, 1 at the jaw's top on the image right
        angle = t * math.pi / 2
        return (half_w * math.sin(angle), _P_JAW_TOP_Y + depth * math.cos(angle))

    right = _resample(_sample(jaw, 96), 64)
    hair_h = _P_HAIR_HEIGHT * tr.hair
    hair_w = _P_HAIR_HALF_W * tr.hair_w
    exp = 2.0 / _P_HAIR_EXP

    def hair(t: float) -> Point:  # t = 0 on the image right, 1 on the image left
        angle = math.pi * t
        c, s = math.cos(angle), math.sin(angle)
        x = hair_w * math.copysign(abs(c) ** exp, c)
        y = _P_HAIR_BASE_Y - hair_h * abs(s) ** exp
        return (x, y)

    return {
        "hairline": _resample(_sample(hair, 200), 145),
        "right": right,
        "left": _mirror(right),
    }


def _nose_points(tr: _Traits) -> dict[str, list[Point]]:
    side = [(x * tr.nose_w, 0.08 + (y - 0.08) * tr.nose_len) for x, y in _P_NOSE_SIDE]
    left = _resample(_spline(side), 63)
    top, bottom = _P_MIDLINE
    bottom = 0.08 + (bottom - 0.08) * tr.nose_len
    midline = [(0.0, top + (bottom - top) * i / 59) for i in range(60)]
    nx, ny = _P_NOSTRIL
    ny = 0.08 + (ny - 0.08) * tr.nose_len
    return {
        "left": left,
        "right": _mirror(left),
        "midline": midline,
        "left_nostril": [(-nx * tr.nose_w, ny)],
        "right_nostril": [(nx * tr.nose_w, ny)],
    }


def _head_depth(x: float, y: float) -> float:
    """Depth of the skin at (x, y) on a rough ellipsoidal head."""
    u = x / _D_HEAD_HALF_W
    v = (y - 0.4) / 2.0
    inside = 1.0 - u * u - v * v
    return _D_HEAD * math.sqrt(inside) if inside > 0.0 else 0.0


@lru_cache(maxsize=1024)
def _shape(
    mouth_open: float, smile: float, left_eye: float, right_eye: float, seed: int
) -> dict[str, list[Point3]]:
    """Every Face++ run (by key prefix) and single point, in the face frame with depth."""
    tr = _traits(seed)
    flat: dict[str, list[Point]] = {}
    outline = _face_outline(mouth_open, tr)
    flat["face_hairline_"] = outline["hairline"]
    flat["face_contour_right_"] = outline["right"]
    flat["face_contour_left_"] = outline["left"]
    flat["left_eyebrow_"] = _brow_points(-1.0, tr)
    flat["right_eyebrow_"] = _brow_points(1.0, tr)
    for name, side, openness in (("left", -1.0, left_eye), ("right", 1.0, right_eye)):
        eye = _eye_points(side, openness, tr)
        flat[f"{name}_eye_"] = eye["eye"]
        flat[f"{name}_eye_eyelid_"] = eye["lid"]
        flat[f"{name}_eye_pupil_center"] = [(0.5 * side, _P_EYE_CORNER_Y - 0.015)]
    nose = _nose_points(tr)
    flat["nose_left_"] = nose["left"]
    flat["nose_right_"] = nose["right"]
    flat["nose_midline_"] = nose["midline"]
    flat["left_nostril"] = nose["left_nostril"]
    flat["right_nostril"] = nose["right_nostril"]
    mouth = _mouth_points(mouth_open, smile, tr)
    flat["upper_lip_"] = mouth["upper"]
    flat["lower_lip_"] = mouth["lower"]

    out: dict[str, list[Point3]] = {}
    for key, pts in flat.items():
        if key == "nose_midline_":
            # The bridge rises from the brows to the tip, then falls back to the philtrum.
            out[key] = [
                (x, y, _head_depth(x, y) + _D_NOSE_TIP * _bump(y, 0.72, 0.45)) for x, y in pts
            ]
        elif key.startswith(("nose_", "left_nostril", "right_nostril")):
            out[key] = [
                (x, y, _head_depth(x, y) + 0.6 * _D_NOSE_TIP * _bump(y, 0.6, 0.35)) for x, y in pts
            ]
        elif key.startswith("face_"):
            # The outline is the head's silhouette: the sides are far back.
            out[key] = [(x, y, 0.35 * _head_depth(x, y)) for x, y in pts]
        else:
            out[key] = [(x, y, _head_depth(x, y)) for x, y in pts]
    return out


def _bump(y: float, peak: float, width: float) -> float:
    d = (y - peak) / width
    return math.exp(-d * d)


# --------------------------------------------------------------------------- projection


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
        # yaw about the vertical axis (positive: toward the image right)
        x, z = x * cyaw + z * syaw, -x * syaw + z * cyaw
        # pitch about the horizontal axis (positive: looking up, y grows downward)
        y, z = y * cp - z * sp, y * sp + z * cp
        # roll in the image plane (positive: clockwise on screen)
        return (x * cr - y * sr) * sx, (x * sr + y * cr) * sy

    (ax, ay), (bx, by), (cx, cy) = turn(1, 0, 0), turn(0, 1, 0), turn(0, 0, 1)
    # The box centre is the pivot, _P_BOX_CENTRE_Y below the pupils.
    ox = face.left + face.width / 2 - bx * _P_BOX_CENTRE_Y
    oy = face.top + face.height / 2 - by * _P_BOX_CENTRE_Y
    return (ox, ax, bx, cx, oy, ay, by, cy)


def _projected(face: Face) -> tuple[dict[str, list[Point]], float]:
    shape = _shape(face.mouth_open, face.smile, face.left_eye_open, face.right_eye_open, face.seed)
    ox, ax, bx, cx, oy, ay, by, cy = _projector(face)
    # Radii follow the face box's size.
    scale = math.sqrt(face.width * face.height) / _P_BOX
    return {
        k: [(ox + ax * x + bx * y + cx * z, oy + ay * x + by * y + cy * z) for x, y, z in pts]
        for k, pts in shape.items()
    }, scale


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
    points, scale = _projected(face)
    radius = max(1, round(_P_PUPIL_R * scale * _traits(face.seed).eye_w))
    landmark: dict[str, Any] = {}
    for name in dict.fromkeys(wanted):
        part = facepp.PARTS[name]
        body: dict[str, Any] = {}
        for prefix, count in part.runs:
            run = points[prefix]
            if len(run) != count:  # pragma: no cover - guarded by tests
                raise AssertionError(f"{prefix}: model made {len(run)} points, not {count}")
            for i, (x, y) in enumerate(run):
                body[f"{prefix}{i}"] = {"y": round(y), "x": round(x)}
        for key in part.points:
            x, y = points[key][0]
            body[key] = {"y": round(y), "x": round(x)}
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


def _circle(cx: float, cy: float, r: float, count: int) -> list[Point]:
    return [
        (cx + r * math.cos(2 * math.pi * i / count), cy + r * math.sin(2 * math.pi * i / count))
        for i in range(count)
    ]


@lru_cache(maxsize=1024)
def _tencent_shape(
    mouth_open: float,
    smile: float,
    left_eye: float,
    right_eye: float,
    seed: int,
    counts: tuple[tuple[str, int], ...],
) -> dict[str, list[Point3]]:
    shape = _shape(mouth_open, smile, left_eye, right_eye, seed)
    n = dict(counts)
    tr = _traits(seed)

    def flat(key: str) -> list[Point]:
        return [(x, y) for x, y, _ in shape[key]]

    def with_depth(points: list[Point], extra: float = 0.0) -> list[Point3]:
        return [(x, y, _head_depth(x, y) + extra) for x, y in points]

    upper, lower = flat("upper_lip_"), flat("lower_lip_")
    # Counterclockwise on screen from the left corner: along the bottom first, then the top.
    outside = lower[:32] + upper[:32][::-1]
    inside = lower[32:][::-1] + upper[32:]
    nose = flat("nose_left_") + flat("nose_right_")[::-1]
    jaw = flat("face_contour_left_")[::-1] + flat("face_contour_right_")[1:]
    hair = flat("face_hairline_")
    axis = [(0.0, hair[72][1]), (0.0, jaw[63][1])]
    radius = _P_PUPIL_R * tr.eye_w

    def bag(side: float) -> list[Point]:
        eye = flat(f"{'left' if side < 0 else 'right'}_eye_")
        lower_lid = eye[32:]
        return [(x, y + 0.08 * tr.eye_h) for x, y in lower_lid]

    lists: dict[str, list[Point3]] = {
        "LeftEye": with_depth(_resample(flat("left_eye_"), n["LeftEye"], closed=True)),
        "RightEye": with_depth(_resample(flat("right_eye_"), n["RightEye"], closed=True)),
        "LeftEyeBrow": with_depth(_resample(flat("left_eyebrow_"), n["LeftEyeBrow"], closed=True)),
        "RightEyeBrow": with_depth(
            _resample(flat("right_eyebrow_"), n["RightEyeBrow"], closed=True)
        ),
        "MouthOutside": with_depth(_resample(outside, n["MouthOutside"], closed=True)),
        "MouthInside": with_depth(_resample(inside, n["MouthInside"], closed=True)),
        "Nose": with_depth(_resample(nose, n["Nose"]), 0.3 * _D_NOSE_TIP),
        "LeftPupil": with_depth(_circle(-0.5, _P_EYE_CORNER_Y - 0.015, radius, n["LeftPupil"])),
        "RightPupil": with_depth(_circle(0.5, _P_EYE_CORNER_Y - 0.015, radius, n["RightPupil"])),
        "CentralAxis": with_depth(_resample(axis, n["CentralAxis"])),
        "Chin": [(x, y, 0.35 * _head_depth(x, y)) for x, y in _resample(jaw, n["Chin"])],
        "LeftEyeBags": with_depth(_resample(bag(-1.0), n["LeftEyeBags"])),
        "RightEyeBags": with_depth(_resample(bag(1.0), n["RightEyeBags"])),
        "Forehead": [(x, y, 0.35 * _head_depth(x, y)) for x, y in _resample(hair, n["Forehead"])],
    }
    return lists


def tencent_face(face: Face, profile: tencent.PointProfile = tencent.KIT_PROFILE) -> dict[str, Any]:
    """One Tencent ``DenseFaceShape`` for ``face``: ``X``, ``Y``, ``Width``, ``Height`` and the
    14 point lists, each ``{"X": int, "Y": int}``, with as many points as ``profile`` says
    (default :data:`pytest_densemark.tencent.KIT_PROFILE`, the kit's own assumption).

    Each list follows the same face model as :func:`facepp_face`: eyes and brows as closed
    loops from the outer corner, both mouth lists counterclockwise on screen from the left
    corner, ``Chin`` along the jaw from the image-left ear to the image-right one,
    ``Forehead`` along the hairline, ``CentralAxis`` from the top of the forehead to the chin.
    """
    counts = tuple(sorted(profile.counts.items()))
    shape = _tencent_shape(
        face.mouth_open, face.smile, face.left_eye_open, face.right_eye_open, face.seed, counts
    )
    ox, ax, bx, cx, oy, ay, by, cy = _projector(face)
    box = (round(face.left), round(face.top), round(face.width), round(face.height))
    body: dict[str, Any] = dict(zip(tencent.FACE_BOX_FIELDS, box, strict=True))
    for name in tencent.POINT_LISTS:
        body[name] = [
            {"X": round(ox + ax * x + bx * y + cx * z), "Y": round(oy + ay * x + by * y + cy * z)}
            for x, y, z in shape[name]
        ]
    return body
