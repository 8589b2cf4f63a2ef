"""The default strategies' synthetic faces are distributed like real faces.

Yardstick: the 20 real 9-part Face++ faces kept beside the project (read at test time, never
copied). Every face is a shape of its 973 named points, matched by key; shapes are compared
after full Procrustes alignment (translation, rotation and scale removed) onto the real faces'
generalized-Procrustes (GPA) mean shape, so every coordinate lives in the real mean's frame.
The same figures are computed for the whole face and for each part on its own (each part
aligned onto the real faces' mean of that part):

- distance to the real mean shape (full Procrustes distance): median and 95th percentile of
  the synthetic faces against those of the real faces, each real face measured against the
  mean of the other 19 (the synthetic faces are not part of the mean either);
- mean-shape bias: the full Procrustes distance between the synthetic and the real mean shapes,
  the synthetic mean taken over all runs together (1200 faces; each run's own is printed too);
- k-NN precision and recall (k = 3, Kynkaanniemi et al. 2019): a face is inside a set's
  manifold when it lies within the distance from some member of the set to that member's
  3rd-nearest neighbour in the set. Precision is the share of synthetic faces inside the real
  manifold, recall the share of real faces inside the synthetic one. Both sets have 20 faces:
  the 200 draws of a run are split into 10 interleaved groups of 20 and the figures averaged.

Synthetic faces: 200 draws of the default ``faces()`` strategy under ``@given`` (generate
phase only), in six runs with fixed seeds (so CI's derandomized settings change nothing);
each target applies to the average over the runs and the spread is printed, with precision
and recall broken down by face box width. Run ``python -m pytest tests/test_realism.py -s`` to
see the table.

Limits: 20 real faces of one population (near-frontal portraits, all about the same size in
the image), so every real figure carries sampling noise: a generator drawing exactly the real
population would still show a mean-shape bias of about 0.013 for the whole face against the
20 faces' mean (0.009 contour, 0.010 brows, 0.005 eyes and eyelids, 0.015 nose, 0.020 lips).
The synthetic side is smaller than 1200 faces too: Hypothesis repeats whole examples now and
then and draws the plain frontal face (seed 0) in about one example in twenty, so a run of 200
holds about 140-150 distinct individuals besides the plain face. Every target is met today;
a target the model misses would be listed in ``KNOWN_GAPS``, with what is off, and run as a
strict expected failure, with its figures in the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from pytest_densemark import facepp
from pytest_densemark.faces import Face, facepp_face

Shapes = npt.NDArray[np.complex128]

KEYS = sorted(key for part in facepp.PARTS.values() for key in part.point_keys)
#: The parts measured on their own, by Face++ part names.
PARTS: dict[str, tuple[str, ...]] = {
    "contour": ("face",),
    "brows": ("left_eyebrow", "right_eyebrow"),
    "eyes": ("left_eye", "right_eye"),
    "eyelids": ("left_eye_eyelid", "right_eye_eyelid"),
    "nose": ("nose",),
    "lips": ("mouth",),
}
REGIONS: dict[str, list[int]] = {"face": list(range(len(KEYS)))} | {
    region: sorted(KEYS.index(key) for name in names for key in facepp.PARTS[name].point_keys)
    for region, names in PARTS.items()
}
SEEDS = (0, 1, 2, 3, 4, 5)
DRAWS = 200
K = 3

# Targets (issue 12). Within 15% / 20% of the real faces' own median and 95th percentile.
PRECISION, RECALL, BIAS, MEDIAN_TOLERANCE, P95_TOLERANCE = 0.8, 0.7, 0.015, 0.15, 0.20


def shapes_of(landmarks: Sequence[dict[str, Any]]) -> Shapes:
    """Each landmark's 973 points as complex numbers ``x + iy``, in key order."""
    rows = []
    for landmark in landmarks:
        flat = {key: value for part in landmark.values() for key, value in part.items()}
        rows.append([complex(flat[key]["x"], flat[key]["y"]) for key in KEYS])
    return np.array(rows, dtype=np.complex128)


def normalise(shapes: Shapes) -> Shapes:
    """Each shape centred and scaled to unit size."""
    centred = shapes - shapes.mean(axis=-1, keepdims=True)
    size = np.sqrt((np.abs(centred) ** 2).sum(axis=-1, keepdims=True))
    return np.asarray(centred / size, dtype=np.complex128)


def align(shapes: Shapes, target: Shapes) -> Shapes:
    """Normalised ``shapes`` rotated and scaled onto the normalised ``target`` (full
    Procrustes fit)."""
    fit = (shapes.conj() * target).sum(axis=-1, keepdims=True)
    return np.asarray(shapes * fit, dtype=np.complex128)


def gpa_mean(shapes: Shapes, rounds: int = 20) -> Shapes:
    """The generalized-Procrustes mean shape, normalised."""
    shapes = normalise(shapes)
    mean: Shapes = shapes[0]
    for _ in range(rounds):
        mean = normalise(align(shapes, mean).mean(axis=0))
    return mean


def distances(shapes: Shapes, mean: Shapes) -> npt.NDArray[np.float64]:
    """Full Procrustes distance of each shape to ``mean``."""
    inner = np.abs((normalise(shapes).conj() * mean).sum(axis=-1))
    return np.asarray(np.sqrt(np.maximum(0.0, 1.0 - inner**2)), dtype=np.float64)


def precision_recall(real: Shapes, synthetic: Shapes, k: int = K) -> tuple[float, float]:
    """Improved k-NN precision and recall of ``synthetic`` against ``real`` (both aligned)."""

    def as_rows(shapes: Shapes) -> npt.NDArray[np.float64]:
        return np.concatenate([shapes.real, shapes.imag], axis=1)

    def pairwise(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> Any:
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))

    r, s = as_rows(real), as_rows(synthetic)
    real_radius = np.sort(pairwise(r, r), axis=1)[:, k]
    synthetic_radius = np.sort(pairwise(s, s), axis=1)[:, k]
    cross = pairwise(s, r)
    precision = (cross <= real_radius[None, :]).any(axis=1).mean()
    recall = (cross <= synthetic_radius[:, None]).any(axis=0).mean()
    return float(precision), float(recall)


@dataclass(frozen=True)
class Figures:
    """One region's figures for one run of synthetic draws (``bias`` for that run alone)."""

    real_median: float
    real_p95: float
    median: float
    p95: float
    bias: float
    precision: float
    recall: float


def figures(real: Shapes, synthetic: Shapes) -> Figures:
    """Every figure for one region (the real and synthetic shapes restricted to it)."""
    mean = gpa_mean(real)
    held_out = np.array(
        [
            distances(real[i : i + 1], gpa_mean(np.delete(real, i, axis=0)))[0]
            for i in range(len(real))
        ]
    )
    own = distances(synthetic, mean)
    bias = float(distances(gpa_mean(synthetic)[None, :], mean)[0])
    aligned_real = align(normalise(real), mean)
    aligned_synthetic = align(normalise(synthetic), mean)
    groups = len(synthetic) // len(real)
    scores = [
        precision_recall(aligned_real, aligned_synthetic[g::groups][: len(real)])
        for g in range(groups)
    ]
    return Figures(
        real_median=float(np.median(held_out)),
        real_p95=float(np.percentile(held_out, 95)),
        median=float(np.median(own)),
        p95=float(np.percentile(own, 95)),
        bias=bias,
        precision=float(np.mean([p for p, _ in scores])),
        recall=float(np.mean([r for _, r in scores])),
    )


#: Draws the faces in a fresh interpreter. Hypothesis mixes constants it finds in the loaded
#: modules into what it generates, so in-process draws would depend on which other test
#: modules the run happened to import; a fresh interpreter with only the kit loaded gives the
#: same faces for the same seeds in every run.
_DRAW = """
import json, sys
from hypothesis import Phase, given, seed, settings
from pytest_densemark.faces import facepp_face
from pytest_densemark.strategies import faces

draws, seeds = json.loads(sys.argv[1])
runs = []
for run_seed in seeds:
    landmarks, widths = [], []

    @seed(run_seed)
    @settings(max_examples=draws, database=None, deadline=None, phases=[Phase.generate],
              derandomize=False)
    @given(faces())
    def collect(face):
        landmarks.append(facepp_face(face)["landmark"])
        widths.append(face.width)

    collect()
    runs.append({"landmarks": landmarks, "widths": widths})
json.dump(runs, sys.stdout, separators=(",", ":"))
"""


@dataclass(frozen=True)
class Draws:
    """One run's synthetic faces: their landmarks and face box widths (pixels)."""

    landmarks: list[dict[str, Any]]
    widths: list[float]


def draw_landmarks(seeds: Sequence[int]) -> list[Draws]:
    """``DRAWS`` default ``faces()`` per seed, drawn under ``@given`` with that fixed seed."""
    done = subprocess.run(
        [sys.executable, "-c", _DRAW, json.dumps([DRAWS, list(seeds)])],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [Draws(run["landmarks"], run["widths"]) for run in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def real_shapes(real_facepp_9part: list[dict[str, Any]]) -> Shapes:
    """The 20 real faces' shapes, read from the conformance files at test time."""
    return shapes_of([body["face"]["landmark"] for body in real_facepp_9part])


@dataclass(frozen=True)
class Region:
    """One region's figures: per run, the mean-shape bias over all runs together, and
    precision and recall of the faces in each face-size class (all runs pooled)."""

    runs: list[Figures]
    pooled_bias: float
    by_size: list[tuple[str, int, float, float]]


#: Face box widths (pixels) the table breaks precision and recall down by. The real faces'
#: boxes are about 160 px wide (pupils about 76 px apart); the default faces' are about 180 px
#: (140-230), with one in thirteen under 110 px: Face++'s smallest detectable face (100 px)
#: and faces squeezed into boundary-sized images (65-90 px), where rounding to whole pixels
#: moves the eye points by more than real eyes differ.
SIZE_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("< 110 px", 0.0, 110.0),
    ("110-199 px", 110.0, 200.0),
    (">= 200 px", 200.0, float("inf")),
)


def by_size(
    real: Shapes, synthetic: Shapes, widths: npt.NDArray[np.float64]
) -> list[tuple[str, int, float, float]]:
    """Precision and recall of the synthetic faces of each size class (groups of 20)."""
    mean = gpa_mean(real)
    aligned_real = align(normalise(real), mean)
    out = []
    for label, low, high in SIZE_CLASSES:
        chosen = align(normalise(synthetic[(widths >= low) & (widths < high)]), mean)
        groups = len(chosen) // len(real)
        if not groups:
            continue
        scores = [
            precision_recall(aligned_real, chosen[g::groups][: len(real)]) for g in range(groups)
        ]
        out.append(
            (
                label,
                len(chosen),
                float(np.mean([p for p, _ in scores])),
                float(np.mean([r for _, r in scores])),
            )
        )
    return out


@pytest.fixture(scope="module")
def table(real_shapes: Shapes) -> dict[str, Region]:
    """Every region's figures, printed as a table."""
    draws = draw_landmarks(SEEDS)
    runs = [shapes_of(run.landmarks) for run in draws]
    pooled = np.concatenate(runs)
    widths = np.concatenate([np.asarray(run.widths, dtype=np.float64) for run in draws])
    out = {
        region: Region(
            [figures(real_shapes[:, idx], synthetic[:, idx]) for synthetic in runs],
            float(distances(gpa_mean(pooled[:, idx])[None, :], gpa_mean(real_shapes[:, idx]))[0]),
            by_size(real_shapes[:, idx], pooled[:, idx], widths),
        )
        for region, idx in REGIONS.items()
    }
    print(f"\nsynthetic (default faces(), {DRAWS} draws x seeds {SEEDS}) vs 20 real faces;")
    print("mean over the runs [min-max]; distances: real (held out) vs synthetic")
    for region, result in out.items():
        rows = result.runs

        def spread(get: Callable[[Figures], float], rows: list[Figures] = rows) -> str:
            values = [get(row) for row in rows]
            return f"{np.mean(values):.3f} [{min(values):.3f}-{max(values):.3f}]"

        first = rows[0]
        print(
            f"{region:8} median {first.real_median:.3f} vs {spread(lambda f: f.median)}"
            f" | p95 {first.real_p95:.3f} vs {spread(lambda f: f.p95)}"
            f" | bias {result.pooled_bias:.3f} (runs {spread(lambda f: f.bias)})"
            f" | precision {spread(lambda f: f.precision)}"
            f" | recall {spread(lambda f: f.recall)}"
        )
    print("precision / recall by face box width (all runs pooled, groups of 20):")
    for region, result in out.items():
        cells = " | ".join(
            f"{label} (n={count}): {precision:.2f} / {recall:.2f}"
            for label, count, precision, recall in result.by_size
        )
        print(f"{region:8} {cells}")
    return out


def mean_of(rows: list[Figures], name: str) -> float:
    """One figure averaged over the runs."""
    return float(np.mean([getattr(row, name) for row in rows]))


#: Targets the model does not meet yet, as (region, figure): what is off. Each runs as a strict
#: expected failure, so one that starts passing fails the run until it leaves this list
#: (README, realism).
KNOWN_GAPS: dict[tuple[str, str], str] = {}

CHECKS = [
    (region, check)
    for region in REGIONS
    for check in ("precision", "recall", "bias", "median", "p95")
]


@pytest.mark.parametrize(
    ("region", "check"),
    [
        pytest.param(
            region,
            check,
            marks=pytest.mark.xfail(reason=f"known gap: {KNOWN_GAPS[region, check]}", strict=True)
            if (region, check) in KNOWN_GAPS
            else (),
        )
        for region, check in CHECKS
    ],
)
def test_synthetic_faces_are_distributed_like_real_ones(
    table: dict[str, Region], region: str, check: str
) -> None:
    rows = table[region].runs
    if check == "precision":
        assert mean_of(rows, "precision") >= PRECISION
    elif check == "recall":
        assert mean_of(rows, "recall") >= RECALL
    elif check == "bias":
        assert table[region].pooled_bias <= BIAS
    elif check == "median":
        real = rows[0].real_median
        assert abs(mean_of(rows, "median") - real) <= MEDIAN_TOLERANCE * real
    else:
        real = rows[0].real_p95
        assert abs(mean_of(rows, "p95") - real) <= P95_TOLERANCE * real


def test_the_measure_is_not_blind(real_shapes: Shapes) -> None:
    """A strongly turned face is far from the real mean, and a set of identical faces covers
    none of the real ones (recall 0) even when each lies near the mean."""
    mean = gpa_mean(real_shapes)
    frontal = shapes_of([facepp_face(Face(100, 100, 300, 300, pitch=7.0))["landmark"]])
    turned = shapes_of([facepp_face(Face(100, 100, 300, 300, yaw=45.0, pitch=25.0))["landmark"]])
    real_median = float(np.median(distances(real_shapes, mean)))
    assert distances(frontal, mean)[0] < real_median < distances(turned, mean)[0]
    same = align(normalise(np.repeat(frontal, len(real_shapes), axis=0)), mean)
    assert precision_recall(align(normalise(real_shapes), mean), same)[1] == 0.0


def test_real_faces_reproduce_their_own_spread(real_shapes: Shapes) -> None:
    """Sanity check of the yardstick: real faces against their own mean (median 0.054, max
    0.095) and the helpers' precision and recall of the real set against itself (1.0)."""
    mean = gpa_mean(real_shapes)
    own = distances(real_shapes, mean)
    assert float(np.median(own)) == pytest.approx(0.054, abs=0.001)
    assert float(own.max()) == pytest.approx(0.095, abs=0.001)
    aligned = align(normalise(real_shapes), mean)
    assert precision_recall(aligned, aligned) == (1.0, 1.0)
