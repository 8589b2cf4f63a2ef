"""The face model itself: the proportions of every feature, how individuals vary, and the
curves that lay each feature out in the face frame (a part of :mod:`pytest_densemark.faces`).

Synthetic data. The unit is the distance between the pupils, the origin midway between them,
``x`` to the image's right and ``y`` down. The ``_P_*`` proportions are hand-set and rounded,
and so are the ranges individuals vary in (``_P_SPREAD``, ``_P_WIGGLE``);
:mod:`pytest_densemark.faces` turns the shapes built here into image pixels for each vendor.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

Point = tuple[float, float]
Point3 = tuple[float, float, float]


# Face box: the box is a little wider than two pupil distances, and the point midway between
# the pupils sits a little under a quarter of the box down from its top.
_P_BOX = 2.1  # box side, in pupil distances
_P_BOX_CENTRE_Y = 0.59  # box centre below the pupils, in pupil distances
# Eyes (centred on the pupils at x = +-0.5).
_P_EYE_HALF_W = 0.168
_P_EYE_CORNER_Y = 0.02
_P_EYE_UPPER = 0.096
_P_EYE_LOWER = 0.047
_P_PUPIL_R = 0.092
# Eyelid crease: a wider loop around the eye.
_P_LID_HALF_W = 0.229
_P_LID_CX = 0.506
_P_LID_CORNER_Y = 0.043
_P_LID_UPPER = 0.107
_P_LID_LOWER = 0.023
# Eyebrows: from the outer end to the inner end, arched, tapered at the outer end.
_P_BROW_OUTER = (0.909, -0.228)
_P_BROW_INNER = (0.259, -0.208)
_P_BROW_ARCH = 0.09
_P_BROW_THICK = 0.096
_P_BROW_OUTER_END = 0.0  # thickness at the outer end, as a share of the greatest
_P_BROW_TAPER = 0.294  # share of the brow's length over which it thickens from its outer end
# Jaw: half an ellipse from ear height to the chin.
_P_JAW_TOP_Y = 0.138
_P_JAW_HALF_W = 1.079
_P_JAW_DEPTH = 1.503  # from jaw top to chin with the mouth closed
# Hairline: a superellipse arch over the forehead, from below the jaw's top on each side.
_P_HAIR_BASE_Y = 0.38
_P_HAIR_HALF_W = 1.085
_P_HAIR_HEIGHT = 1.716
_P_HAIR_EXP = 3.015
# Nose: one side as a smooth curve through a few points (image-left side; mirrored).
_P_NOSE_SIDE: tuple[Point, ...] = (
    (-0.179, 0.089),
    (-0.225, 0.376),
    (-0.317, 0.6),
    (-0.314, 0.627),
    (-0.274, 0.699),
    (-0.019, 0.789),
)
_P_NOSTRIL = (0.166, 0.712)
_P_MIDLINE = (-0.414, 0.963)
# Mouth: corners, and how far each lip edge sits above or below the corners in its middle.
_P_MOUTH_HALF_W = 0.412
_P_MOUTH_Y = 0.959
_P_UPPER_OUT = 0.05
_P_BOW = 0.008
_P_UPPER_IN = 0.027
_P_LOWER_IN = 0.025
_P_LOWER_THICK = 0.148
# How much a full smile widens the mouth (share of its width) and lifts its corners.
_P_SMILE_WIDEN = 0.35
_P_SMILE_LIFT = 0.02
# How far the mouth opens (lip gap, in pupil distances) at mouth_open = 1.
_P_MOUTH_GAP = 0.6

# How unevenly the vendor spaces points along each contour (see _resample's skew), and how
# much lower each eye's and eyelid's inner corner sits than its outer one.
_P_EYE_SKEW = 0.072
_P_EYE_TILT = 0.015
_P_LID_SKEW = 0.109
_P_LID_TILT = 0.024
_P_BROW_SKEW = 0.053
_P_JAW_SKEW = 0.006
_P_HAIR_SKEW = -0.018
_P_NOSE_SKEW = -0.069
_P_MIDLINE_SKEW = 0.035
_P_UPPER_SKEW = (0.006, -0.074)  # outer edge, inner edge
_P_LOWER_SKEW = (0.153, 0.24)
# The lower lip's edges end this share of the mouth's half width inside the upper lip's,
# and this much lower.
_P_LOWER_NARROW = (0.002, 0.002)  # outer edge, inner edge
_P_LOWER_DROP = 0.012

# Each individual's own small, smooth departures from the curves above (see _wiggle): the
# spread of each harmonic's weight, in pupil distances, by the first matching key fragment.
_P_WIGGLE: tuple[tuple[str, float], ...] = (
    ("face_", 0.0045),
    ("eyelid", 0.0015),
    ("eyebrow", 0.0045),
    ("eye_", 0.0015),
    ("nose", 0.0015),
    ("nostril", 0.0015),
    ("lip", 0.0045),
)
_WIGGLE_HARMONICS = 3
#: Runs that share a point: ``(run, other run, index of the shared point)``.
_JOINS = (("face_contour_right_", "face_contour_left_", 0), ("nose_right_", "nose_left_", -1))

# Rough depth (toward the camera, in pupil distances) of the head and the features on it.
_D_HEAD = 1.0
_D_HEAD_HALF_W = 1.2
_D_NOSE_TIP = 0.5
# The face's outline is its silhouette, behind the features: its depth as a share of the head's.
_D_OUTLINE = 0.35
_D_OUTLINE_FRONT = 0.6  # the same share in the middle of the outline (chin, forehead top)


def _grid(count: int) -> list[float]:
    """``count`` parameters evenly spread over [0, 1]."""
    return [i / (count - 1) for i in range(count)]


# Closed eye-like loop (eyes and eyelid creases): cos and sin of 2*pi*t on 96 samples.
_LOOP_CS: tuple[Point, ...] = tuple(
    (math.cos(2 * math.pi * t), math.sin(2 * math.pi * t)) for t in _grid(96)
)


def _brow_thickness(s: float) -> float:
    """The eyebrow's thickness ``s`` of the way from its outer end to its inner end, as a
    share of its greatest: tapered at the outer end, blunt at the inner one."""
    taper = min(s / _P_BROW_TAPER, 1.0)
    return _P_BROW_OUTER_END + (1.0 - _P_BROW_OUTER_END) * math.sin(0.5 * math.pi * taper)


# Eyebrow centre line on 41 samples from the outer end: x, y before arching, arch profile and
# half the thickness.
_BROW_GRID: tuple[tuple[float, float, float, float], ...] = tuple(
    (
        _P_BROW_OUTER[0] + (_P_BROW_INNER[0] - _P_BROW_OUTER[0]) * s,
        _P_BROW_OUTER[1] + (_P_BROW_INNER[1] - _P_BROW_OUTER[1]) * s,
        math.sin(math.pi * s**0.75),
        _P_BROW_THICK * _brow_thickness(s) / 2,
    )
    for s in (i / 40 for i in range(41))
)
_BROW_S: tuple[float, ...] = tuple(i / 40 for i in range(41))
# Nose midline: 60 parameters.
_MIDLINE_GRID: tuple[float, ...] = tuple(_grid(60))
# Lip edges: 64 parameters.
_LIP_GRID: tuple[float, ...] = tuple(_grid(64))
# Jaw (a quarter ellipse from the chin): sin and cos of t*pi/2 on 96 samples.
_JAW_SC: tuple[Point, ...] = tuple(
    (math.sin(t * math.pi / 2), math.cos(t * math.pi / 2)) for t in _grid(96)
)
# Hairline superellipse on 200 samples, from the image right: unit x and height profile.
_HAIR_EXP = 2.0 / _P_HAIR_EXP
_HAIR_UNIT: tuple[Point, ...] = tuple(
    (
        math.copysign(abs(math.cos(math.pi * t)) ** _HAIR_EXP, math.cos(math.pi * t)),
        abs(math.sin(math.pi * t)) ** _HAIR_EXP,
    )
    for t in _grid(200)
)
# Catmull-Rom parameters t, t^2, t^3 for 12 points per segment.
_SPLINE_T: tuple[Point3, ...] = tuple((t, t * t, t * t * t) for t in (j / 12 for j in range(12)))


def _resample(
    points: Sequence[Point],
    count: int,
    *,
    closed: bool = False,
    take: int | None = None,
    skew: float = 0.0,
) -> list[Point]:
    """``count`` points evenly spaced by arc length along a polyline (or closed loop).

    ``take`` keeps only the first ``take`` of them (without computing the rest). ``skew``
    (between -1 and 1) spaces the points of an open polyline unevenly: each point's share
    ``u`` of the length becomes ``u + skew*u*(1-u)``, so a positive skew spreads the first
    points further apart and packs the last ones closer (the vendors do not space points
    evenly along every contour).
    """
    pts = list(points)
    if closed:
        pts.append(pts[0])
    if count <= 0:
        return []
    lengths = list(itertools.accumulate(map(math.dist, pts, pts[1:]), initial=0.0))
    total = lengths[-1]
    if total == 0.0:
        return [pts[0]] * (count if take is None else min(take, count))
    step = total / count if closed else total / max(count - 1, 1)
    last = len(lengths) - 2
    out: list[Point] = []
    append = out.append
    seg = 0
    for i in range(count if take is None else min(take, count)):
        target = i * step
        if skew:
            u = target / total
            target = total * (u + skew * u * (1.0 - u))
        while seg < last and lengths[seg + 1] < target:
            seg += 1
        start = lengths[seg]
        span = lengths[seg + 1] - start
        t = (target - start) / span if span else 0.0
        if t > 1.0:
            t = 1.0
        x0, y0 = pts[seg]
        x1, y1 = pts[seg + 1]
        append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out


def _spline(controls: Sequence[Point]) -> list[Point]:
    """A Catmull-Rom curve through the control points, as a dense polyline (12 points per
    segment)."""
    ext = [controls[0], *controls, controls[-1]]
    out: list[Point] = []
    for i in range(1, len(ext) - 2):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        xa, xb, xc = -x0 + x2, 2 * x0 - 5 * x1 + 4 * x2 - x3, -x0 + 3 * x1 - 3 * x2 + x3
        ya, yb, yc = -y0 + y2, 2 * y0 - 5 * y1 + 4 * y2 - y3, -y0 + 3 * y1 - 3 * y2 + y3
        x1, y1 = 2 * x1, 2 * y1
        out += [
            (0.5 * (x1 + xa * t + xb * t2 + xc * t3), 0.5 * (y1 + ya * t + yb * t2 + yc * t3))
            for t, t2, t3 in _SPLINE_T
        ]
    out.append(controls[-1])
    return out


def _loop(
    cx: float,
    half_w: float,
    corner_y: float,
    upper: float,
    lower: float,
    outer_first: float,
    tilt: float = 0.0,
) -> list[Point]:
    """A closed eye-like loop (96 samples): from the corner at ``cx + outer_first*half_w``
    along the upper edge (``upper`` above the corners) to the other corner, then back along
    the lower edge. ``tilt`` lowers the second (inner) corner and raises the first by that
    much."""
    k = outer_first * half_w
    return [
        (cx + k * c, corner_y - tilt * c - (upper * s if s >= 0 else lower * s))
        for c, s in _LOOP_CS
    ]


def _with_depth(points: Iterable[Point], extra: float = 0.0, factor: float = 1.0) -> list[Point3]:
    """The points with the depth of the skin there on a rough ellipsoidal head (times
    ``factor``) plus ``extra``."""
    sqrt = math.sqrt
    out: list[Point3] = []
    append = out.append
    for x, y in points:
        u = x / _D_HEAD_HALF_W
        v = (y - 0.4) / 2.0
        inside = 1.0 - u * u - v * v
        append((x, y, factor * (_D_HEAD * sqrt(inside) if inside > 0.0 else 0.0) + extra))
    return out


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
    brow_len_left: float = 1.0
    brow_len_right: float = 1.0
    brow_tilt: float = 0.0
    outline_skew: float = 0.0


#: How much individuals differ: the standard deviation of each trait of :class:`_Traits`
#: (factors, or offsets in pupil distances for ``brow_y``, ``brow_tilt`` and ``outline_skew``),
#: clipped at 2.5 deviations.
_P_SPREAD: dict[str, float] = {
    "jaw_w": 0.038,
    "chin": 0.038,
    "eye_w": 0.055,
    "eye_h": 0.055,
    "brow_y": 0.01,
    "brow_arch": 0.08,
    "mouth_w": 0.1,
    "lips": 0.15,
    "nose_w": 0.086,
    "nose_len": 0.065,
    "hair": 0.054,
    "hair_w": 0.038,
    "brow_len_left": 0.09,
    "brow_len_right": 0.09,
    "brow_tilt": 0.045,
    "outline_skew": 0.02,
}


@lru_cache(maxsize=4096)
def _traits(seed: int) -> _Traits:
    if seed == 0:
        return _Traits()
    rng = random.Random(seed)
    plain = _Traits()
    values = {
        name: getattr(plain, name) + max(-2.5, min(2.5, rng.gauss(0.0, 1.0))) * spread
        for name, spread in _P_SPREAD.items()
    }
    return _Traits(**values)


def _mirror(points: Iterable[Point]) -> list[Point]:
    return [(-x, y) for x, y in points]


def _eye(side: float, openness: float, tr: _Traits) -> list[Point]:
    """Eye contour of one eye (``side`` -1 image-left, +1 image-right): from the outer corner
    over the upper lid to the inner corner, then back."""
    # eye_w sizes the whole eye, eye_h its height alone.
    half = _P_EYE_HALF_W * tr.eye_w
    tall = tr.eye_h * tr.eye_w
    upper = (_P_EYE_UPPER * openness - 0.035 * (1.0 - openness)) * tall
    lower = (_P_EYE_LOWER - 0.02 * (1.0 - openness)) * tall
    loop = _loop(0.5 * side, half, _P_EYE_CORNER_Y, upper, lower, side, _P_EYE_TILT)
    return _resample(loop, 63, closed=True, skew=_P_EYE_SKEW)


def _eyelid(side: float, openness: float, tr: _Traits) -> list[Point]:
    """Eyelid crease of one eye: a wider loop around it."""
    lid_half = _P_LID_HALF_W * tr.eye_w
    lid_up = _P_LID_UPPER * (0.7 + 0.3 * openness) * tr.eye_h * tr.eye_w
    loop = _loop(
        _P_LID_CX * side, lid_half, _P_LID_CORNER_Y, lid_up, _P_LID_LOWER, side, _P_LID_TILT
    )
    return _resample(loop, 64, closed=True, skew=_P_LID_SKEW)


def _brow_points(side: float, tr: _Traits) -> list[Point]:
    """One eyebrow: from the outer end along the upper edge to the inner end, then back."""
    arch = _P_BROW_ARCH * tr.brow_arch
    lift = tr.brow_y
    # Each brow's own length (about its middle), and both brows' slope: the outer ends lower.
    length = tr.brow_len_left if side < 0 else tr.brow_len_right
    mid = (_P_BROW_OUTER[0] + _P_BROW_INNER[0]) / 2
    tilt = tr.brow_tilt
    centre = [
        ((mid + (x - mid) * length) * side, y - arch * bend + lift + tilt * (0.5 - s), half)
        for s, (x, y, bend, half) in zip(_BROW_S, _BROW_GRID, strict=True)
    ]
    upper = [(x, y - half) for x, y, half in centre]
    lower = [(x, y + half) for x, y, half in reversed(centre)]
    return _resample(upper + lower, 64, closed=True, skew=_P_BROW_SKEW)


def _mouth_points(mouth_open: float, smile: float, tr: _Traits) -> dict[str, list[Point]]:
    half = _P_MOUTH_HALF_W * tr.mouth_w * (1.0 + _P_SMILE_WIDEN * smile - 0.08 * mouth_open)
    cy = _P_MOUTH_Y
    lift = _P_SMILE_LIFT * smile  # corners rise with a smile
    gap = _P_MOUTH_GAP * mouth_open
    lips = tr.lips
    exp = math.exp

    def edge(
        depth: float, power: float, bow: float = 0.0, narrow: float = 1.0, drop: float = 0.0
    ) -> list[Point]:
        out: list[Point] = []
        append = out.append
        neg_half, two_half = -half * narrow, 2 * half * narrow
        for s in _LIP_GRID:
            x = neg_half + two_half * s
            u = abs(x / half)
            y = cy + drop - lift * u**2 + (depth - drop) * (1.0 - u**power)
            if bow:
                y += bow * exp(-((x / 0.08) ** 2))
            append((x, y))
        return out

    upper_out = edge(-_P_UPPER_OUT * lips, 4.0, _P_BOW * lips)
    upper_in = edge(_P_UPPER_IN + 0.3 * gap * 0.1, 2.0)
    narrow_out, narrow_in = (1.0 - n for n in _P_LOWER_NARROW)
    drop = _P_LOWER_DROP
    lower_in = edge(_P_LOWER_IN + gap + 0.02 * smile, 2.0, narrow=narrow_in, drop=drop)
    lower_out = edge(
        _P_LOWER_IN + gap + _P_LOWER_THICK * lips + 0.03 * smile, 2.0, narrow=narrow_out, drop=drop
    )

    def lip(outer: list[Point], inner: list[Point], skews: tuple[float, float]) -> list[Point]:
        return _resample(outer, 33, take=32, skew=skews[0]) + _resample(
            inner[::-1], 33, take=32, skew=skews[1]
        )

    return {
        "upper": lip(upper_out, upper_in, _P_UPPER_SKEW),
        "lower": lip(lower_out, lower_in, _P_LOWER_SKEW),
    }


def _face_outline(mouth_open: float, tr: _Traits) -> dict[str, list[Point]]:
    half_w = _P_JAW_HALF_W * tr.jaw_w
    depth = (_P_JAW_DEPTH + 0.5 * _P_MOUTH_GAP * mouth_open) * tr.chin
    # From the chin (t = 0) to the jaw's top on the image right.
    jaw = [(half_w * s, _P_JAW_TOP_Y + depth * c) for s, c in _JAW_SC]
    right = _resample(jaw, 64, skew=_P_JAW_SKEW)
    hair_h = _P_HAIR_HEIGHT * tr.hair
    hair_w = _P_HAIR_HALF_W * tr.hair_w
    # From the image right to the image left.
    hair = [(hair_w * ux, _P_HAIR_BASE_Y - hair_h * uy) for ux, uy in _HAIR_UNIT]
    runs = {
        "hairline": _resample(hair, 145, skew=_P_HAIR_SKEW),
        "right": right,
        "left": _mirror(right),
    }
    k = tr.outline_skew
    if k:
        # An asymmetric outline: the chin and the top of the forehead sit off the middle, the
        # sides stay where they are.
        runs = {
            name: [(x + k * max(0.0, 1.0 - (x / half_w) ** 2), y) for x, y in points]
            for name, points in runs.items()
        }
    return runs


def _nose_points(tr: _Traits) -> dict[str, list[Point]]:
    side = [(x * tr.nose_w, 0.08 + (y - 0.08) * tr.nose_len) for x, y in _P_NOSE_SIDE]
    left = _resample(_spline(side), 63, skew=_P_NOSE_SKEW)
    top, bottom = _P_MIDLINE
    bottom = 0.08 + (bottom - 0.08) * tr.nose_len
    k = _P_MIDLINE_SKEW
    midline = [(0.0, top + (bottom - top) * (u + k * u * (1.0 - u))) for u in _MIDLINE_GRID]
    nx, ny = _P_NOSTRIL
    ny = 0.08 + (ny - 0.08) * tr.nose_len
    return {
        "left": left,
        "right": _mirror(left),
        "midline": midline,
        "left_nostril": [(-nx * tr.nose_w, ny)],
        "right_nostril": [(nx * tr.nose_w, ny)],
    }


@lru_cache(maxsize=64)
def _harmonics(count: int, closed: bool) -> tuple[tuple[float, ...], ...]:
    """For a run of ``count`` points, the smooth basis of :func:`_wiggle`: a constant, then
    ``cos(j*pi*u)`` (open runs) or ``cos`` and ``sin`` of ``2*j*pi*u`` (closed loops) at
    each point's share ``u`` of the run."""
    span = max(count - 1, 1) if not closed else count
    us = [i / span for i in range(count)]
    rows: list[tuple[float, ...]] = [tuple(1.0 for _ in us)]
    for j in range(1, _WIGGLE_HARMONICS + 1):
        if closed:
            rows.append(tuple(math.cos(2 * math.pi * j * u) for u in us))
            rows.append(tuple(math.sin(2 * math.pi * j * u) for u in us))
        else:
            rows.append(tuple(math.cos(math.pi * j * u) for u in us))
    return tuple(rows)


def _wiggle(points: list[Point], rng: random.Random, amplitude: float, closed: bool) -> list[Point]:
    """``points`` displaced by an individual's smooth departure from the model's curve: a
    random combination of :func:`_harmonics`, each weight drawn with standard deviation
    ``amplitude`` (pupil distances), halved for the shift and shrinking with the harmonic."""
    basis = _harmonics(len(points), closed)
    dx = [0.0] * len(points)
    dy = [0.0] * len(points)
    for order, row in enumerate(basis):
        scale = amplitude * (0.5 if order == 0 else 1.0 / (1 + (order - 1) // (2 if closed else 1)))
        ax, ay = rng.gauss(0.0, scale), rng.gauss(0.0, scale)
        dx = [d + ax * b for d, b in zip(dx, row, strict=True)]
        dy = [d + ay * b for d, b in zip(dy, row, strict=True)]
    return [(x + ex, y + ey) for (x, y), ex, ey in zip(points, dx, dy, strict=True)]


def _individual(runs: dict[str, list[Point]], seed: int) -> dict[str, list[Point]]:
    """Every run with the individual's own smooth departures (none for seed 0)."""
    if seed == 0:
        return runs
    rng = random.Random(seed * 7919 + 17)
    out: dict[str, list[Point]] = {}
    for key, points in runs.items():
        amplitude = next(a for prefix, a in _P_WIGGLE if prefix in key)
        closed = key.endswith(("eye_", "eyebrow_", "eyelid_"))
        out[key] = _wiggle(points, rng, amplitude, closed)
    # Runs that meet (the jaw's two halves at the chin, the nose's two sides at the tip) still
    # meet: the second bends, fading from the meeting point, to end on the first.
    for first, second, end in _JOINS:
        if first in out and second in out:
            a, b = out[first], out[second]
            ex, ey = a[end][0] - b[end][0], a[end][1] - b[end][1]
            last = len(b) - 1
            out[second] = [
                (x + ex * f, y + ey * f)
                for (x, y), f in zip(
                    b, (i / last if end else 1 - i / last for i in range(len(b))), strict=True
                )
            ]
    return out


@lru_cache(maxsize=256)
def _outline(
    mouth_open: float, smile: float, left_eye: float, right_eye: float, seed: int
) -> dict[str, list[Point]]:
    """The features both vendors share, flat in the face frame, by Face++ key prefix:
    outline, brows, eye contours, the sides of the nose and the lips."""
    tr = _traits(seed)
    outline = _face_outline(mouth_open, tr)
    nose = _nose_points(tr)
    mouth = _mouth_points(mouth_open, smile, tr)
    runs = {
        "face_hairline_": outline["hairline"],
        "face_contour_right_": outline["right"],
        "face_contour_left_": outline["left"],
        "left_eyebrow_": _brow_points(-1.0, tr),
        "right_eyebrow_": _brow_points(1.0, tr),
        "left_eye_": _eye(-1.0, left_eye, tr),
        "right_eye_": _eye(1.0, right_eye, tr),
        "nose_left_": nose["left"],
        "nose_right_": nose["right"],
        "nose_midline_": nose["midline"],
        "left_nostril": nose["left_nostril"],
        "right_nostril": nose["right_nostril"],
        "upper_lip_": mouth["upper"],
        "lower_lip_": mouth["lower"],
    }
    return _individual(runs, seed)


@lru_cache(maxsize=1024)
def _shape(
    mouth_open: float, smile: float, left_eye: float, right_eye: float, seed: int
) -> dict[str, list[Point3]]:
    """Every Face++ run (by key prefix) and single point, in the face frame with depth."""
    tr = _traits(seed)
    flat = dict(_outline(mouth_open, smile, left_eye, right_eye, seed))
    for name, side, openness in (("left", -1.0, left_eye), ("right", 1.0, right_eye)):
        flat[f"{name}_eye_eyelid_"] = _eyelid(side, openness, tr)
    if seed:
        lids = {key: flat[key] for key in ("left_eye_eyelid_", "right_eye_eyelid_")}
        flat.update(_individual(lids, seed + 1))
    for name, side in (("left", -1.0), ("right", 1.0)):
        flat[f"{name}_eye_pupil_center"] = [(0.5 * side, _P_EYE_CORNER_Y - 0.015)]

    out: dict[str, list[Point3]] = {}
    for key, pts in flat.items():
        if key == "nose_midline_":
            # The bridge rises from the brows to the tip, then falls back to the philtrum.
            out[key] = [
                (x, y, z + _D_NOSE_TIP * _bump(y, 0.72, 0.45)) for x, y, z in _with_depth(pts)
            ]
        elif key.startswith(("nose_", "left_nostril", "right_nostril")):
            out[key] = _nose_sides(pts)
        elif key.startswith("face_"):
            # The outline is the head's silhouette: the sides are far back.
            out[key] = _with_outline_depth(pts)
        else:
            out[key] = _with_depth(pts)
    return out


def _with_outline_depth(points: Iterable[Point]) -> list[Point3]:
    """The face's outline with its depth: the chin and the top of the forehead lie on the
    front of the head, the sides (the silhouette) far behind, :data:`_D_OUTLINE` of it."""
    out: list[Point3] = []
    for x, y, z in _with_depth(points):
        u = x / _P_JAW_HALF_W
        front = max(0.0, 1.0 - u * u)
        out.append((x, y, z * (_D_OUTLINE + (_D_OUTLINE_FRONT - _D_OUTLINE) * front)))
    return out


def _nose_sides(points: Iterable[Point]) -> list[Point3]:
    """The sides of the nose and the nostrils with their depth: the skin's, raised toward the
    tip (the same for both vendors, so that turned faces still coincide)."""
    return [(x, y, z + 0.6 * _D_NOSE_TIP * _bump(y, 0.6, 0.35)) for x, y, z in _with_depth(points)]


def _bump(y: float, peak: float, width: float) -> float:
    d = (y - peak) / width
    return math.exp(-d * d)


# --------------------------------------------------------------------------- projection
