"""The synthetic faces are as close to real faces as real faces are to each other.

Yardstick: the 20 real 9-part Face++ faces kept beside the project (read at test time, never
copied). Full Procrustes distance over the 973 named points, matched by key, between a face
and the real faces' generalized-Procrustes mean shape. Real faces measure median 0.054, max
0.095 against their own mean; the default strategy's faces must do at least as well (median
<= 0.054, 95th percentile <= 0.095) over 200 draws.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import Phase, given, settings

from pytest_densemark import facepp
from pytest_densemark.faces import Face, facepp_face
from pytest_densemark.strategies import faces

KEYS = sorted(key for part in facepp.PARTS.values() for key in part.point_keys)
Shape = list[complex]


def shape_of(landmark: dict[str, Any]) -> Shape:
    """The 973 points as complex numbers, in key order, centred and scaled to unit size."""
    flat = {key: value for part in landmark.values() for key, value in part.items()}
    points = [complex(flat[key]["x"], flat[key]["y"]) for key in KEYS]
    centre = sum(points) / len(points)
    centred = [p - centre for p in points]
    size = math.sqrt(sum(abs(p) ** 2 for p in centred))
    return [p / size for p in centred]


def align(shape: Shape, target: Shape) -> Shape:
    """``shape`` rotated and scaled onto ``target`` (both centred and of unit size)."""
    inner = sum(s.conjugate() * t for s, t in zip(shape, target, strict=True))
    return [s * inner for s in shape]


def normalise(shape: Shape) -> Shape:
    centre = sum(shape) / len(shape)
    centred = [p - centre for p in shape]
    size = math.sqrt(sum(abs(p) ** 2 for p in centred))
    return [p / size for p in centred]


def procrustes_distance(shape: Shape, mean: Shape) -> float:
    """Full Procrustes distance between two centred unit-size shapes."""
    inner = abs(sum(s.conjugate() * t for s, t in zip(shape, mean, strict=True)))
    return math.sqrt(max(0.0, 1.0 - inner * inner))


def gpa_mean(shapes: Sequence[Shape], rounds: int = 30) -> Shape:
    """The generalized-Procrustes mean shape."""
    mean = shapes[0]
    for _ in range(rounds):
        aligned = [normalise(align(s, mean)) for s in shapes]
        mean = normalise([sum(points) / len(points) for points in zip(*aligned, strict=True)])
    return mean


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@pytest.fixture(scope="module")
def real_mean(real_facepp_9part: list[dict[str, Any]]) -> Shape:
    """The real faces' GPA mean shape, computed from the conformance files at test time."""
    return gpa_mean([shape_of(body["face"]["landmark"]) for body in real_facepp_9part])


def test_real_faces_reproduce_the_published_spread(
    real_facepp_9part: list[dict[str, Any]], real_mean: Shape
) -> None:
    distances = [
        procrustes_distance(shape_of(b["face"]["landmark"]), real_mean) for b in real_facepp_9part
    ]
    assert statistics.median(distances) == pytest.approx(0.054, abs=0.001)
    assert max(distances) == pytest.approx(0.095, abs=0.001)


def test_default_strategy_faces_are_as_realistic_as_real_ones(real_mean: Shape) -> None:
    distances: list[float] = []

    @settings(
        max_examples=200,
        database=None,
        deadline=None,
        phases=[Phase.generate],
    )
    @given(faces())
    def collect(face: Face) -> None:
        distances.append(procrustes_distance(shape_of(facepp_face(face)["landmark"]), real_mean))

    collect()
    assert len(distances) >= 190
    median, p95 = statistics.median(distances), percentile(distances, 0.95)
    print(
        f"synthetic vs real GPA mean over {len(distances)} draws:"
        f" median {median:.4f}, p95 {p95:.4f}"
    )
    assert median <= 0.054
    assert p95 <= 0.095


def test_extreme_pose_is_measurably_less_typical(real_mean: Shape) -> None:
    """The measurement is not blind: a strongly turned face is far from the real mean."""
    frontal = Face(100, 100, 300, 300)
    turned = Face(100, 100, 300, 300, yaw=45.0, pitch=25.0)
    near = procrustes_distance(shape_of(facepp_face(frontal)["landmark"]), real_mean)
    far = procrustes_distance(shape_of(facepp_face(turned)["landmark"]), real_mean)
    assert near <= 0.054 < 0.095 < far
