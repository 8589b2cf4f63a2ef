"""Each feature's curves in the face frame, built from the model's numbers, and the whole
face's shape with depth (a part of :mod:`pytest_densemark.faces`).

Synthetic data. The sample grids each curve needs are computed once at import; the per-face
work is plain arithmetic in list comprehensions, written in the same order as the formulas it
replaces, so the points are exactly those of a direct, per-point evaluation. :func:`_shape`
is what :mod:`pytest_densemark.faces` projects for each vendor.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from functools import lru_cache

from pytest_densemark._face_curves import (
    _LOWER_CS,
    _TAU,
    _UPPER_CS,
    Point,
    Point3,
    _bump,
    _grid,
    _loop,
    _mirror,
    _resample,
    _slide,
    _spline,
    _turned,
)
from pytest_densemark._face_model import (
    _D_BRIDGE,
    _D_CHIN,
    _D_FOREHEAD,
    _D_HEAD,
    _D_HEAD_HALF_W,
    _D_NOSE_TIP,
    _D_OUTLINE,
    _JOINS,
    _P_BOW,
    _P_BROW_ARCH,
    _P_BROW_CAP,
    _P_BROW_INNER,
    _P_BROW_OUTER,
    _P_BROW_OUTER_END,
    _P_BROW_SKEW,
    _P_BROW_TAPER,
    _P_BROW_THICK,
    _P_EYE_CORNER_Y,
    _P_EYE_HALF_W,
    _P_EYE_LEAN,
    _P_EYE_LOWER,
    _P_EYE_POINT,
    _P_EYE_ROUNDER,
    _P_EYE_SKEW,
    _P_EYE_TILT,
    _P_EYE_UPPER,
    _P_HAIR_BASE_Y,
    _P_HAIR_EXP,
    _P_HAIR_HALF_W,
    _P_HAIR_HEIGHT,
    _P_HAIR_SKEW,
    _P_JAW_DEPTH,
    _P_JAW_HALF_W,
    _P_JAW_ROUND,
    _P_JAW_SKEW,
    _P_JAW_TOP_Y,
    _P_LID_ABOVE_EYE,
    _P_LID_ACROSS,
    _P_LID_CORNER_Y,
    _P_LID_CX,
    _P_LID_ENDS,
    _P_LID_FOLLOW,
    _P_LID_HALF_W,
    _P_LID_LEAN,
    _P_LID_LOWER,
    _P_LID_POINT,
    _P_LID_SKEW,
    _P_LID_SLIDE,
    _P_LID_TILT,
    _P_LID_UPPER,
    _P_LIP_ENDS,
    _P_LIP_POWER,
    _P_LIP_SKEW,
    _P_LOWER_IN,
    _P_LOWER_THICK,
    _P_MIDLINE,
    _P_MIDLINE_EASE,
    _P_MIDLINE_SKEW,
    _P_MOUTH_GAP,
    _P_MOUTH_HALF_W,
    _P_MOUTH_Y,
    _P_NOSE_SIDE,
    _P_NOSE_SKEW,
    _P_NOSTRIL,
    _P_OPEN_WIDEN,
    _P_PUPIL_ABOVE,
    _P_SMILE_THIN,
    _P_SMILE_WIDEN,
    _P_UPPER_IN,
    _P_UPPER_OUT,
    _P_WIGGLE,
    _WIGGLE_HARMONICS,
    _Traits,
    _traits,
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


# The rounded inner end of an eyebrow: cos and sin from the top of the end to its bottom.
_CAP_CS: tuple[Point, ...] = tuple(
    (math.sin(math.pi * t), -math.cos(math.pi * t)) for t in _grid(12)[1:-1]
)


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


def _eye_size(side: float, openness: float, tr: _Traits) -> tuple[float, float, float]:
    """One eye's half width, and how far its upper and lower lids reach above and below the
    corners. ``eye_w`` sizes the whole eye (a larger eye is also rounder), ``eye_h`` its
    height alone and ``eye_h_side`` one eye's against the other's; a closing eye's upper lid
    comes down to just below the corners."""
    half = _P_EYE_HALF_W * tr.eye_w
    tall = tr.eye_h * tr.eye_w**_P_EYE_ROUNDER * (1.0 + side * tr.eye_h_side)
    upper = (_P_EYE_UPPER * openness - 0.035 * (1.0 - openness)) * tall
    lower = (_P_EYE_LOWER - 0.02 * (1.0 - openness)) * tall
    return half, upper, lower


def _eye_corner_y(side: float, tr: _Traits) -> float:
    """The height of one eye's corners: one eye sits a little higher than the other."""
    return _P_EYE_CORNER_Y + side * tr.eye_dy


def _pupil(side: float, tr: _Traits) -> Point:
    """One pupil's centre: where the person looks (both eyes alike), and a little of each
    eye's own."""
    return (
        0.5 * side + tr.gaze_x,
        _eye_corner_y(side, tr) - _P_PUPIL_ABOVE + tr.gaze_y + side * tr.pupil_dy,
    )


def _eye(side: float, openness: float, tr: _Traits) -> list[Point]:
    """Eye contour of one eye (``side`` -1 image-left, +1 image-right): from the outer corner
    over the upper lid to the inner corner, then back."""
    half, upper, lower = _eye_size(side, openness, tr)
    loop = _loop(
        (0.5 + tr.eye_cx) * side,
        half,
        _eye_corner_y(side, tr),
        upper,
        lower,
        side,
        _P_EYE_TILT,
        _P_EYE_LEAN,
        _P_EYE_POINT,
    )
    loop = _turned(loop, (0.5 + tr.eye_cx) * side, _eye_corner_y(side, tr), -side * tr.eye_slant)
    return _slide(_resample(loop, 63, closed=True, skew=_P_EYE_SKEW), tr.eye_slide)


def _eyelid(side: float, openness: float, tr: _Traits) -> list[Point]:
    """Eyelid crease of one eye: a wider loop around it, from the outer corner over the top
    to the inner corner (33 points), then back along the bottom (31 points). Its top follows
    the eye's (just above it, down to half its height on a closed eye); its width follows the
    eye's only in part; in some people its top leans toward the nose and its bottom away from
    it, or the other way; some people's creases sit higher, or further to one side. The
    vendor's points sit a little further round the loop, clockwise on screen, on both eyes."""
    _, eye_upper, eye_lower = _eye_size(side, openness, tr)
    lid_half = _P_LID_HALF_W * (1.0 + _P_LID_FOLLOW * (tr.eye_w - 1.0)) * tr.lid_w
    lid_up = tr.lid_h * max(
        _P_LID_CORNER_Y - _P_EYE_CORNER_Y + eye_upper + _P_LID_ABOVE_EYE, 0.5 * _P_LID_UPPER
    )
    lid_down = _P_LID_LOWER * eye_lower / _P_EYE_LOWER * tr.lid_lower
    lean = (_P_LID_LEAN[0] + tr.lid_shear, _P_LID_LEAN[1] - tr.lid_shear)
    upper, lower = (
        _loop(
            (_P_LID_CX + tr.lid_cx) * side + tr.lid_shift,
            lid_half,
            _P_LID_CORNER_Y + side * tr.eye_dy,
            lid_up,
            lid_down,
            side,
            _P_LID_TILT,
            lean,
            _P_LID_POINT,
            grid,
        )
        for grid in (_UPPER_CS, _LOWER_CS)
    )
    # The crease turns with the eye (its outer corner up when the eye slants up).
    cx, cy, angle = 0.5 * side, _eye_corner_y(side, tr), -side * tr.eye_slant
    upper, lower = _turned(upper, cx, cy, angle), _turned(lower, cx, cy, angle)
    skew_up, skew_down = _P_LID_SKEW
    ends_up, ends_down = _P_LID_ENDS
    return _slide(
        _resample(upper, 33, skew=skew_up, ends=ends_up, across=_P_LID_ACROSS[0])
        + _resample(lower, 33, skew=skew_down, ends=ends_down, across=_P_LID_ACROSS[1])[1:-1],
        tr.lid_slide - _P_LID_SLIDE * side,
    )


def _brow_points(side: float, tr: _Traits) -> list[Point]:
    """One eyebrow: from the outer end along the upper edge to the inner end, then back."""
    arch = _P_BROW_ARCH * tr.brow_arch
    lift = tr.brow_y + side * tr.brow_asym  # both brows' height, and one above the other
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
    # The inner end is rounded: half an ellipse reaching _P_BROW_CAP of its thickness beyond.
    x, y, half = centre[-1]
    reach = -side * _P_BROW_CAP * 2 * half  # toward the nose
    cap = [(x + reach * c, y + half * s) for c, s in _CAP_CS]
    return _resample(upper + cap + lower, 64, closed=True, skew=_P_BROW_SKEW)


def _mouth_points(mouth_open: float, smile: float, tr: _Traits) -> dict[str, list[Point]]:
    """Both lips, each from the image-left corner along its outer edge, then back along its
    inner edge: the upper lip has both corners (0 and 32), the lower lip's points each sit
    one step further on (its outer edge ends at the image-right corner, 31, and its inner
    edge at the image-left one, 63)."""
    half = (
        _P_MOUTH_HALF_W * tr.mouth_w * (1.0 + _P_SMILE_WIDEN * smile + _P_OPEN_WIDEN * mouth_open)
    )
    cy = _P_MOUTH_Y
    lift = tr.mouth_corners  # the corners sit higher or lower in some people
    gap = _P_MOUTH_GAP * mouth_open
    upper_lip = tr.upper_lip * (1.0 - _P_SMILE_THIN * smile)
    lower_lip = tr.lower_lip
    p_upper_out, p_upper_in, p_lower_in, p_lower_out = _P_LIP_POWER
    exp = math.exp

    def edge(depth: float, power: float, bow: float = 0.0) -> list[Point]:
        out: list[Point] = []
        append = out.append
        for s in _LIP_GRID:
            x = -half + 2 * half * s
            u = abs(x / half)
            y = cy - lift * u**2 + depth * (1.0 - u**power)
            if bow:
                y += bow * exp(-((x / 0.08) ** 2))
            append((x, y))
        return out

    upper_out = edge(-_P_UPPER_OUT * upper_lip, p_upper_out, _P_BOW * upper_lip)
    upper_in = edge(_P_UPPER_IN + 0.03 * gap, p_upper_in)
    lower_in = edge(_P_LOWER_IN + gap + 0.02 * smile, p_lower_in)
    lower_out = edge(_P_LOWER_IN + gap + _P_LOWER_THICK * lower_lip + 0.03 * smile, p_lower_out)
    (upper_out_skew, upper_in_skew), (lower_out_skew, lower_in_skew) = _P_LIP_SKEW
    (upper_out_ends, upper_in_ends), (lower_out_ends, lower_in_ends) = _P_LIP_ENDS
    return {
        "upper": _resample(upper_out, 33, take=32, skew=upper_out_skew, ends=upper_out_ends)
        + _resample(upper_in[::-1], 33, take=32, skew=upper_in_skew, ends=upper_in_ends),
        "lower": _resample(lower_out, 33, skew=lower_out_skew, ends=lower_out_ends)[1:]
        + _resample(lower_in[::-1], 33, skew=lower_in_skew, ends=lower_in_ends)[1:],
    }


def _face_outline(mouth_open: float, tr: _Traits) -> dict[str, list[Point]]:
    half_w = _P_JAW_HALF_W * tr.jaw_w
    depth = (_P_JAW_DEPTH + 0.5 * _P_MOUTH_GAP * mouth_open) * tr.chin
    top = _P_JAW_TOP_Y + tr.temples
    # From the chin (t = 0) to the jaw's top on the image right: a squarer or rounder half
    # ellipse (a superellipse of exponent 2 / e).
    e = _P_JAW_ROUND / tr.jaw_square
    jaw = [(half_w * s**e, top + depth * c**e) for s, c in _JAW_SC]
    right = _resample(jaw, 64, skew=_P_JAW_SKEW)
    hair_h = _P_HAIR_HEIGHT * tr.hair
    hair_w = _P_HAIR_HALF_W * tr.hair_w
    # From the image right to the image left.
    base = _P_HAIR_BASE_Y + tr.temples
    hair = [(hair_w * ux, base - hair_h * uy) for ux, uy in _HAIR_UNIT]
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
    top += tr.nose_top
    bottom = 0.08 + (bottom - 0.08) * tr.nose_len
    k = _P_MIDLINE_SKEW
    e = _P_MIDLINE_EASE / _TAU
    midline = [
        (0.0, top + (bottom - top) * (u + k * u * (1.0 - u) + e * math.sin(_TAU * u)))
        for u in _MIDLINE_GRID
    ]
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
        flat[f"{name}_eye_pupil_center"] = [_pupil(side, tr)]

    out: dict[str, list[Point3]] = {}
    for key, pts in flat.items():
        if key == "nose_midline_":
            # The bridge rises from the brows to the tip, then falls back to the philtrum.
            out[key] = [
                (x, y, z + _D_NOSE_TIP * _bump(y, *_D_BRIDGE)) for x, y, z in _with_depth(pts)
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
    """The face's outline with its depth: the chin and the top of the forehead come forward
    (:data:`_D_CHIN`, :data:`_D_FOREHEAD`), the sides (the silhouette) lie far behind
    (:data:`_D_OUTLINE`), with a smooth change between."""
    out: list[Point3] = []
    for x, y in points:
        u = x / _P_JAW_HALF_W
        front = max(0.0, 1.0 - u * u)
        ahead = _D_CHIN if y > 0.0 else _D_FOREHEAD
        out.append((x, y, _D_OUTLINE + (ahead - _D_OUTLINE) * front))
    return out


def _nose_sides(points: Iterable[Point]) -> list[Point3]:
    """The sides of the nose and the nostrils with their depth: on the skin (only the bridge
    stands out; the same for both vendors, so that turned faces still coincide)."""
    return _with_depth(points)
