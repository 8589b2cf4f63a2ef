"""Plain geometry for the face model: polylines resampled by arc length, smooth splines,
eye-like loops, mirroring, turning and sliding points (a part of
:mod:`pytest_densemark.faces`). Nothing here knows about faces' proportions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Point3 = tuple[float, float, float]


def _grid(count: int) -> list[float]:
    """``count`` parameters evenly spread over [0, 1]."""
    return [i / (count - 1) for i in range(count)]


_TAU = 2 * math.pi


# Closed eye-like loop (eyes and eyelid creases): cos and sin of 2*pi*t on 96 samples; and
# its two edges on their own (upper, then lower), 48 samples each.
_LOOP_CS: tuple[Point, ...] = tuple((math.cos(_TAU * t), math.sin(_TAU * t)) for t in _grid(96))


_UPPER_CS: tuple[Point, ...] = tuple(
    (math.cos(math.pi * t), math.sin(math.pi * t)) for t in _grid(48)
)


_LOWER_CS: tuple[Point, ...] = tuple((c, -s) for c, s in reversed(_UPPER_CS))


# Catmull-Rom parameters t, t^2, t^3 for 12 points per segment.
_SPLINE_T: tuple[Point3, ...] = tuple((t, t * t, t * t * t) for t in (j / 12 for j in range(12)))


def _resample(
    points: Sequence[Point],
    count: int,
    *,
    closed: bool = False,
    take: int | None = None,
    skew: float = 0.0,
    ends: tuple[float, float] = (1.0, 1.0),
    across: float = 0.0,
) -> list[Point]:
    """``count`` points evenly spaced by arc length along a polyline (or closed loop).

    ``take`` keeps only the first ``take`` of them (without computing the rest). ``skew``
    (between -1 and 1) spaces the points of an open polyline unevenly: each point's share
    ``u`` of the length becomes ``u + skew*u*(1-u)``, so a positive skew spreads the first
    points further apart and packs the last ones closer (the vendors do not space points
    evenly along every contour). ``ends`` makes an open polyline's first and last steps
    that share of the others (a vendor sometimes puts a point just beside a corner).
    ``across`` (0 to 1) measures the length partly across the face instead of along the
    curve, so steep stretches get fewer points (1: evenly spaced in ``x``).
    """
    pts = list(points)
    if closed:
        pts.append(pts[0])
    if count <= 0:
        return []
    if across:
        along = 1.0 - across
        steps = [
            along * math.dist(p, q) + across * abs(q[0] - p[0]) for p, q in itertools.pairwise(pts)
        ]
        lengths = list(itertools.accumulate(steps, initial=0.0))
    else:
        lengths = list(itertools.accumulate(map(math.dist, pts, pts[1:]), initial=0.0))
    total = lengths[-1]
    if total == 0.0:
        return [pts[0]] * (count if take is None else min(take, count))
    step = total / count if closed else total / max(count - 1, 1)
    last = len(lengths) - 2
    out: list[Point] = []
    append = out.append
    seg = 0
    first, end = ends
    uneven = (first != 1.0 or end != 1.0) and not closed and count >= 3
    units = first + end + count - 3
    for i in range(count if take is None else min(take, count)):
        if uneven:
            target = total * (0.0 if i == 0 else 1.0 if i == count - 1 else (first + i - 1) / units)
        else:
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
    lean: tuple[float, float] = (0.0, 0.0),
    point: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
    grid: tuple[Point, ...] = _LOOP_CS,
) -> list[Point]:
    """A closed eye-like loop (96 samples): from the corner at ``cx + outer_first*half_w``
    along the upper edge (``upper`` above the corners) to the other corner, then back along
    the lower edge. ``tilt`` lowers the second (inner) corner and raises the first by that
    much; ``lean`` moves the highest point of the upper edge and the lowest of the lower one
    toward the second corner, as a share of the half width. ``point`` says how pointed each
    edge is at each corner (upper edge at the first and second corner, then the lower edge's):
    1 is an ellipse's round end, more is a sharper almond corner, less a blunter one."""
    k = outer_first * half_w
    up, down = lean
    p_up1, p_up2, p_down1, p_down2 = point
    out: list[Point] = []
    for c, s in grid:
        a = 0.5 * (1.0 + c)  # 1 at the first corner, 0 at the second
        if s >= 0:
            x = cx + k * (c - up * s)
            y = corner_y - tilt * c - upper * s ** (p_up2 + (p_up1 - p_up2) * a)
        else:
            x = cx + k * (c + down * s)
            y = corner_y - tilt * c + lower * (-s) ** (p_down2 + (p_down1 - p_down2) * a)
        out.append((x, y))
    return out


def _mirror(points: Iterable[Point]) -> list[Point]:
    return [(-x, y) for x, y in points]


def _turned(points: list[Point], cx: float, cy: float, angle: float) -> list[Point]:
    """``points`` turned by ``angle`` (radians, clockwise on screen) about ``(cx, cy)``."""
    if not angle:
        return points
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in points]


def _slide(points: list[Point], amount: float) -> list[Point]:
    """A closed loop's points each moved ``amount`` of the way to the next one (back toward
    the previous one when negative): the vendor does not put its points at quite the same
    places along a contour from one face to the next."""
    if not amount:
        return points
    if amount > 0:
        after = points[1:] + points[:1]
        return [
            (x + (u - x) * amount, y + (v - y) * amount)
            for (x, y), (u, v) in zip(points, after, strict=True)
        ]
    before = points[-1:] + points[:-1]
    return [
        (x + (u - x) * -amount, y + (v - y) * -amount)
        for (x, y), (u, v) in zip(points, before, strict=True)
    ]


def _bump(y: float, peak: float, width: float) -> float:
    d = (y - peak) / width
    return math.exp(-d * d)
