"""The face model's numbers: the proportions of every feature, the depths that let the head
turn, and how individuals vary (a part of :mod:`pytest_densemark.faces`).

Synthetic data. The unit is the distance between the pupils, the origin midway between them,
``x`` to the image's right and ``y`` down. The ``_P_*`` proportions and ``_D_*`` depths are
hand-set and rounded, and so are the ranges individuals vary in (``_P_SPREAD``, ``_P_WIGGLE``).
They were tuned against statistics of real faces (``tests/test_realism.py``); no real
coordinates, or shapes derived from them, are used. :mod:`pytest_densemark._face_parts` builds
each feature's curves from these numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from pytest_densemark._face_curves import Point

# Face box: the box is a little wider than two pupil distances, and the point midway between
# the pupils sits a little under a quarter of the box down from its top.
_P_BOX = 2.1  # box side, in pupil distances


_P_BOX_CENTRE_Y = 0.59  # box centre below the pupils, in pupil distances


# Eyes (centred on the pupils at x = +-0.5).
_P_EYE_HALF_W = 0.169


_P_EYE_CORNER_Y = 0.02


_P_EYE_UPPER = 0.089


_P_EYE_LOWER = 0.051


_P_PUPIL_R = 0.092


_P_PUPIL_ABOVE = 0.025  # the pupil's centre above the line through the eye's corners


# How far the highest point of the upper lid and the lowest of the lower one sit toward the
# inner corner (share of the half width).
_P_EYE_LEAN = (-0.062, -0.099)


_P_EYE_ROUNDER = 1.6  # eye height grows as this power of the eye's width


_P_EYE_POINT = (1.11, 1.49, 1.83, 0.5)


# Eyelid crease: a wider loop around the eye.
_P_LID_HALF_W = 0.231


_P_LID_CX = 0.5


_P_LID_CORNER_Y = 0.043


_P_LID_UPPER = 0.113  # the crease's height above its corners, on an open eye


_P_LID_ABOVE_EYE = 0.007  # how far the crease's top sits above the eye's


_P_LID_FOLLOW = 0.2  # share of the eye's own width change the crease follows


_P_LID_LOWER = 0.034


_P_LID_LEAN = (0.0, -0.184)


_P_LID_POINT = (2.11, 2.31, 3.98, 2.66)


# Eyebrows: from the outer end to the inner end, arched, tapered at the outer end.
_P_BROW_OUTER = (0.91, -0.19)


_P_BROW_INNER = (0.285, -0.216)


_P_BROW_ARCH = 0.094


_P_BROW_THICK = 0.098


_P_BROW_OUTER_END = 0.0  # thickness at the outer end, as a share of the greatest


_P_BROW_CAP = 0.467  # how far the rounded inner end reaches, as a share of the brow's thickness


_P_BROW_TAPER = 0.323  # share of the brow's length over which it thickens from its outer end


# Jaw: half an ellipse from ear height to the chin.
_P_JAW_TOP_Y = 0.215


_P_JAW_HALF_W = 1.08


_P_JAW_DEPTH = 1.51  # from jaw top to chin with the mouth closed


_P_JAW_ROUND = 1.0  # 1: a half ellipse; less: a squarer jaw


# Hairline: a superellipse arch over the forehead, from below the jaw's top on each side.
_P_HAIR_BASE_Y = 0.464


_P_HAIR_HALF_W = 1.09


_P_HAIR_HEIGHT = 1.69


_P_HAIR_EXP = 3.03


# Nose: one side as a smooth curve through a few points (image-left side; mirrored).
_P_NOSE_SIDE: tuple[Point, ...] = (
    (-0.182, 0.082),
    (-0.215, 0.32),
    (-0.286, 0.507),
    (-0.3, 0.521),
    (-0.287, 0.659),
    (-0.007, 0.766),
)


_P_NOSTRIL = (0.168, 0.671)


_P_MIDLINE = (-0.416, 0.915)


# Mouth: corners, and how far each lip edge sits above or below the corners in its middle.
_P_MOUTH_HALF_W = 0.358


_P_MOUTH_Y = 0.953


_P_UPPER_OUT = 0.0675


_P_BOW = 0.014


_P_UPPER_IN = 0.035


_P_LOWER_IN = 0.037


_P_LOWER_THICK = 0.131


# How flat each lip edge is in its middle (its depth falls off as this power of the distance
# from the middle): upper lip outer and inner edge, lower lip inner and outer edge.
_P_LIP_POWER = (4.03, 0.9, 2.13, 2.77)


# How much a full smile and a wide open mouth widen the mouth (share of its width).
_P_SMILE_WIDEN = 0.34


_P_OPEN_WIDEN = 0.679


_P_SMILE_THIN = 0.4  # how much a full smile thins the upper lip (share of its thickness)


# How far the mouth opens (lip gap, in pupil distances) at mouth_open = 1.
_P_MOUTH_GAP = 0.575


# How unevenly the vendor spaces points along each contour (see _resample's skew), and how
# much lower each eye's and eyelid's inner corner sits than its outer one.
_P_EYE_SKEW = 0.086


_P_EYE_TILT = 0.002


_P_LID_SKEW = (-0.071, 0.134)  # upper edge, lower edge


_P_LID_ENDS = ((0.1, 0.1), (0.1, 0.523))  # first and last steps, each edge


_P_LID_ACROSS = (0.66, 0.72)


_P_LID_TILT = 0.016


# Where the vendor puts its crease points along each loop, as a share of a step between
# points: a little further round clockwise on screen, on both eyes (its points on the upper
# edge sit toward the image right, those on the lower edge toward the image left).
_P_LID_SLIDE = 0.3


_P_BROW_SKEW = 0.067


_P_JAW_SKEW = 0.013


_P_HAIR_SKEW = -0.009


_P_NOSE_SKEW = -0.161


_P_MIDLINE_EASE = 0.107  # more than 0: the midline's points closer together in its middle


_P_MIDLINE_SKEW = 0.026


_P_LIP_SKEW = ((0.001, -0.031), (-0.022, 0.057))  # upper lip (outer, inner edge), lower lip


_P_LIP_ENDS = (((1.0, 1.0), (0.491, 1.0)), ((1.0, 0.771), (1.0, 0.614)))


# Each individual's own small, smooth departures from the curves above (see _wiggle): the
# spread of each harmonic's weight, in pupil distances, by the first matching key fragment.
_P_WIGGLE: tuple[tuple[str, float], ...] = (
    ("face_", 0.0027),
    ("eyelid", 0.0013),
    ("eyebrow", 0.0035),
    ("eye_", 0.0012),
    ("nose", 0.0026),
    ("nostril", 0.0015),
    ("lip", 0.0016),
)


_WIGGLE_HARMONICS = 3


#: Runs that share a point: ``(run, other run, index of the shared point)``.
_JOINS = (("face_contour_right_", "face_contour_left_", 0), ("nose_right_", "nose_left_", -1))


# Rough depth (toward the camera, in pupil distances) of the head and the features on it.
_D_HEAD = 0.45


_D_HEAD_HALF_W = 1.2


# The nose's midline stands out from the skin by up to _D_NOSE_TIP, most at _D_BRIDGE[0] and
# over about _D_BRIDGE[1] either side (pupil distances down the face).
_D_BRIDGE = (0.47, 0.78)


_D_NOSE_TIP = 0.2


# The face's outline: its sides (the silhouette) lie behind the eyes, the chin and the top of
# the forehead in front of them.
_D_OUTLINE = -0.02


_D_CHIN = 0.45  # the outline's depth in the middle of the chin


_D_FOREHEAD = 0.56  # and at the top of the forehead


@dataclass(frozen=True)
class _Traits:
    """Individual proportions, as factors (1.0 = the model's average) or offsets."""

    jaw_w: float = 1.0
    jaw_square: float = 1.0
    temples: float = 0.0
    chin: float = 1.0
    eye_w: float = 1.0
    eye_h: float = 1.0
    lid_w: float = 1.0
    lid_cx: float = 0.0
    lid_lower: float = 1.0
    lid_shear: float = 0.0
    lid_slide: float = 0.0
    eye_slide: float = 0.0
    eye_dy: float = 0.0
    gaze_x: float = 0.0
    gaze_y: float = 0.0
    pupil_dy: float = 0.0
    eye_slant: float = 0.0
    eye_h_side: float = 0.0
    brow_y: float = 0.0
    brow_arch: float = 1.0
    mouth_w: float = 1.0
    upper_lip: float = 1.0
    lower_lip: float = 1.0
    mouth_corners: float = 0.0
    nose_w: float = 1.0
    nose_len: float = 1.0
    nose_top: float = 0.0
    hair: float = 1.0
    hair_w: float = 1.0
    brow_len_left: float = 1.0
    brow_len_right: float = 1.0
    brow_tilt: float = 0.0
    brow_asym: float = 0.0
    outline_skew: float = 0.0
    lid_shift: float = 0.0
    lid_h: float = 1.0
    eye_cx: float = 0.0


#: How much individuals differ: the standard deviation of each trait of :class:`_Traits`,
#: clipped at 2.5 deviations: factors (1.0 = the model's average) for sizes, offsets in pupil
#: distances for positions (``temples``, ``lid_cx``, ``lid_shift``, ``eye_cx``, ``eye_dy``,
#: ``gaze_*``, ``pupil_dy``, ``brow_y``, ``brow_tilt``, ``brow_asym``, ``mouth_corners``,
#: ``nose_top``, ``outline_skew``), radians for ``eye_slant``, shares of the half width for
#: ``lid_shear`` and shares of a step between points for ``*_slide``. ``lid_h`` scales the
#: eyelid crease's height, ``lid_shift`` moves both creases sideways against the eyes and
#: ``eye_cx`` moves both eyes outward or inward against the pupils (the last three come last,
#: so that adding them left every other trait's draw as it was).
_P_SPREAD: dict[str, float] = {
    "jaw_w": 0.04,
    "jaw_square": 0.098,
    "temples": 0.044,
    "chin": 0.052,
    "eye_w": 0.04,
    "eye_h": 0.045,
    "lid_w": 0.022,
    "lid_cx": 0.009,
    "lid_lower": 0.34,
    "lid_shear": 0.027,
    "lid_slide": 0.3,
    "eye_slide": 0.22,
    "eye_dy": 0.0041,
    "gaze_x": 0.0024,
    "gaze_y": 0.009,
    "pupil_dy": 0.004,
    "eye_slant": 0.02,
    "eye_h_side": 0.016,
    "brow_y": 0.021,
    "brow_arch": 0.053,
    "mouth_w": 0.03,
    "upper_lip": 0.25,
    "lower_lip": 0.18,
    "mouth_corners": 0.05,
    "nose_w": 0.076,
    "nose_len": 0.045,
    "nose_top": 0.051,
    "hair": 0.05,
    "hair_w": 0.012,
    "brow_len_left": 0.108,
    "brow_len_right": 0.108,
    "brow_tilt": 0.052,
    "brow_asym": 0.009,
    "outline_skew": 0.018,
    "lid_shift": 0.008,
    "lid_h": 0.1,
    "eye_cx": 0.0135,
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
