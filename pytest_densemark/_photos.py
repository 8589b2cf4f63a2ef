"""The default population of photos the strategies draw faces from: pose, expression and face
size (a part of :mod:`pytest_densemark.strategies`).

Synthetic data. Each function turns a random number generator, seeded by numbers the
strategies draw, into one photo's values, so that Hypothesis's preference for small, extreme
and repeated values does not distort the population. The numbers are hand-set and rounded: a
population choice for the defaults, measured against real faces by ``tests/test_realism.py``.
"""

from __future__ import annotations

import math
import random

#: The pose and expression parameters, in the order they are drawn.
_GEOMETRY_NAMES = ("roll", "yaw", "pitch", "mouth_open", "smile", "eye_open")

# Default pose and expression: drawn like ordinary portrait photos, the population the face
# model is measured against (tests/test_realism.py): near frontal (yaw and pitch mostly within
# about 10 degrees, a few turned up to 30; roll within 7), most people smiling with the lips
# apart, some with the mouth closed, eyes open. Each default face is one "photo": a drawn
# integer, mixed with everything else drawn for the face (image size, face size, placement),
# seeds the pose, the expression and the individual together. Hypothesis's preference for
# small and repeated values then does not distort the population, and a photo number
# Hypothesis repeats still gives another person unless the whole face is drawn the same;
# photo 0 gives the plain frontal face (the model's average individual, seed 0) that failing
# examples shrink to. Strong poses, open mouths and closed eyes come only from explicit
# arguments (for example ``yaw=st.floats(-60, 60)``, ``mouth_open=st.just(1.0)``,
# ``eye_open=st.just(0.0)``).
_ROLL = (-7.0, 7.0)  # uniform (low, high), degrees
# Yaw and pitch: normal (mean, standard deviation, clipped at +-limit), degrees; most photos
# near frontal, a few turned further.
_YAW = (2.0, 8.0, 30.0)
_PITCH = (1.5, 6.0, 30.0)
_CLOSED_MOUTH = 0.15  # share of the other faces with the mouth closed
_CLOSED_MOUTH_SMILE = (0.0, 0.3)
_OPEN_MOUTH = (0.2, 0.36)
_OPEN_MOUTH_SMILE = (0.4, 1.0)
_EYE_OPEN = (0.86, 0.98)
#: The plain frontal face: what photo 0 (and shrinking) gives.
_PLAIN_GEOMETRY: dict[str, float] = {
    "roll": 0.0,
    "yaw": 0.0,
    "pitch": 0.0,
    "mouth_open": 0.0,
    "smile": 0.0,
    "eye_open": 1.0,
}


def _normal(rng: random.Random, mean: float, sd: float, limit: float) -> float:
    """A normal draw clipped to ``[-limit, limit]``."""
    return max(-limit, min(limit, rng.gauss(mean, sd)))


def _typical_photo(rng: random.Random) -> dict[str, float]:
    """One default pose and expression, drawn from the portrait-photo population."""
    closed = rng.random() < _CLOSED_MOUTH
    mouth = 0.0 if closed else rng.uniform(*_OPEN_MOUTH)
    smile = rng.uniform(*(_CLOSED_MOUTH_SMILE if closed else _OPEN_MOUTH_SMILE))
    return {
        "roll": round(rng.uniform(*_ROLL), 2),
        "yaw": round(_normal(rng, *_YAW), 2),
        "pitch": round(_normal(rng, *_PITCH), 2),
        "mouth_open": round(mouth, 2),
        "smile": round(smile, 2),
        "eye_open": round(rng.uniform(*_EYE_OPEN), 2),
    }


# Face sizes. Ordinary faces are those in ordinary photos sent to a landmark API (portraits,
# selfies, ID photos scaled to a few hundred pixels): a face box of about 140 to 230 px
# (pupils about 65-110 px apart) around a typical 180 px, log-normal, clipped to what the
# image holds. A population choice for the default, like the portrait pose above. The edge
# sizes come up one face in _EDGE_SIZE each: the vendor's smallest face ("tiny") and a face
# larger than the image ("huge"); boundary image sizes and narrow cells clip the ordinary
# size too. One drawn integer seeds the kind and the size (a plain-code draw, as for the
# photo): drawn as Hypothesis integers, a kind and a size would come out at the ends of
# their ranges far more often than the weights say (most "ordinary" faces as small or as
# large as the image allows). 0, what the draw shrinks to, is an ordinary face of the typical
# size.
_EDGE_SIZE = 16
_TYPICAL_SIDE = 180.0  # box side, pixels: the median, and what the size shrinks to
_SIDE_SPREAD = 0.2  # standard deviation of the side's logarithm
_SIDE_RANGE = (100.0, 360.0)


def _face_size(number: int) -> tuple[str, float]:
    """The size kind (``ordinary``, ``tiny`` or ``huge``) and a number for it, seeded by
    ``number``: an ordinary face's box side in pixels, or how much larger than the image a
    huge face is (0 to 0.6). 0 gives an ordinary face of the typical side."""
    if number == 0:
        return "ordinary", _TYPICAL_SIDE
    rng = random.Random(number)
    roll = rng.randrange(_EDGE_SIZE)
    if roll == 0:
        return "tiny", 0.0
    if roll == 1:
        return "huge", rng.randint(0, 60) / 100
    side = _TYPICAL_SIDE * math.exp(rng.gauss(0.0, _SIDE_SPREAD))
    return "ordinary", round(min(max(side, _SIDE_RANGE[0]), _SIDE_RANGE[1]), 1)
