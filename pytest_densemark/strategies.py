"""Hypothesis strategies for dense-landmark responses: the shared core and the public names.

Each strategy draws a few meaningful parameters (image size, face box placement, pose,
expression, how the body is serialised) and expands them deterministically through the face
model, so examples are fast and shrink toward one ordinary, frontal face in a 640x480 image,
serialised in the vendors' usual way. Edge cases are drawn often, not once in a million: faces
touching or leaving the image, landmarks exactly on the image border, the smallest detectable
and larger-than-the-image faces, 0, 1 or 5 faces, shuffled part and key order, ``x``-before-``y``
points, the legacy 7-part set and other part subsets.

This module holds what every vendor shares: :func:`faces`, :func:`image_sizes`,
:func:`http_responses`, :class:`InvalidResponse` and the building blocks of face placement and
pose. Each vendor's own strategies (``facepp_responses``, ``tencent_error_responses``...) live
in its package (``vendors/<name>/strategies.py``), reached through its payload rules as a
:class:`VendorStrategies`; the names this module has always exported are still importable
from here, loaded on first use.

Every generated success and error body passes :func:`pytest_densemark.validate` for its kind;
every invalid one breaks exactly one rule, named in :class:`InvalidResponse`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import vendors
from pytest_densemark._photos import _GEOMETRY_NAMES, _PLAIN_GEOMETRY, _face_size, _typical_photo
from pytest_densemark.faces import LIMITS, Face
from pytest_densemark.payloads import VendorResponse
from pytest_densemark.validation import or_list

if TYPE_CHECKING:
    from pytest_densemark.vendors.facepp.strategies import (
        facepp_error_responses,
        facepp_invalid_responses,
        facepp_responses,
    )
    from pytest_densemark.vendors.tencent.strategies import (
        tencent_error_responses,
        tencent_invalid_responses,
        tencent_responses,
    )

__all__ = [
    "InvalidResponse",
    "VendorStrategies",
    "facepp_error_responses",
    "facepp_invalid_responses",
    "facepp_responses",
    "faces",
    "http_responses",
    "image_sizes",
    "tencent_error_responses",
    "tencent_invalid_responses",
    "tencent_responses",
]

# The vendor strategies this module exported before each vendor got its package: name -> the
# module that defines it now. Imported on first use, so that the vendors' modules can build on
# this one.
_MOVED = {
    **dict.fromkeys(
        ("facepp_error_responses", "facepp_invalid_responses", "facepp_responses"),
        "pytest_densemark.vendors.facepp.strategies",
    ),
    **dict.fromkeys(
        ("tencent_error_responses", "tencent_invalid_responses", "tencent_responses"),
        "pytest_densemark.vendors.tencent.strategies",
    ),
}

#: Whose limits :func:`faces` and :func:`image_sizes` use unless told otherwise (their
#: documented default).
_DEFAULT_VENDOR = "facepp"


if not TYPE_CHECKING:  # mypy sees the imports above

    def __getattr__(name: str) -> Any:
        """The vendor strategies that moved to a vendor package, imported when first asked."""
        module = _MOVED.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """This module's names, the moved vendor strategies included."""
    return sorted({*globals(), *_MOVED})


class VendorStrategies(Protocol):
    """What the shared strategies ask of a vendor: the ``strategies`` of its payload rules
    (:attr:`pytest_densemark.validation.PayloadRules.strategies`)."""

    @property
    def image_sides(self) -> tuple[int, int]:
        """The smallest and largest image side the vendor accepts (:func:`image_sizes`)."""

    def smallest_face(self, image: tuple[int, int]) -> int:
        """The side of the smallest face drawn in an image of this size."""

    def face_extent(self, face: Face) -> Sequence[tuple[int, int]]:
        """The corners of the box around ``face``'s landmarks in the vendor's payload, whole
        pixels (placing a landmark exactly on the image border)."""

    def success_answers(self) -> st.SearchStrategy[VendorResponse]:
        """Success answers as the vendor sends them (status, headers and body)."""

    def error_answers(self) -> st.SearchStrategy[VendorResponse]:
        """Every documented error answer of the vendor."""


T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]
#: Draws one value of a geometry parameter. The defaults draw an integer and convert it in
#: plain code rather than through ``.map`` (one Hypothesis span fewer per draw).
Drawer = Callable[[Draw], Any]


@lru_cache(maxsize=256)
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    """``st.integers(low, high)``, built once (drawn thousands of times per test)."""
    return st.integers(low, high)


_EDGES = st.sampled_from(("left", "right", "top", "bottom"))

# Image sizes people actually send; the first is what examples shrink to.
_COMMON_SIZES: tuple[tuple[int, int], ...] = (
    (640, 480),
    (480, 640),
    (1280, 720),
    (1024, 1024),
    (1920, 1080),
    (800, 600),
)
#: Draws of the size index: a multiple of both the common and the boundary sizes' counts.
_SIZE_INDEXES = 12
#: One image size in this many is a boundary size, one an arbitrary one; the rest are common.
_IMAGE_FAMILIES = 16
#: A number that seeds plain-code draws (see _Geometry): any 32-bit value.
_NUMBERS = st.integers(0, 2**32 - 1)


@dataclass(frozen=True)
class InvalidResponse:
    """A near-miss body that breaks exactly one rule.

    ``rule`` names the rule broken (for example ``"float-coordinate"``), ``path`` is the JSON
    path the validator reports it at (``"face.landmark.nose"``, ``"Response.DenseFaceShapeSet[0]"``,
    ``""`` for the top level), ``kind`` the payload kind it pretends to be (``"facepp"`` or
    ``"tencent"``) and ``body`` the broken body itself, ready for ``json.dumps``.
    """

    kind: str
    rule: str
    path: str
    body: dict[str, Any]


def _weighted(draw: Draw, options: Sequence[tuple[int, T]]) -> T:
    """Pick one option by weight; shrinks toward the first option."""
    total = sum(weight for weight, _ in options)
    roll = draw(_ints(0, total - 1))
    for weight, value in options:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")  # pragma: no cover


def _check_strategy(name: str, value: object) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(
            f"{name}={value!r} must be a SearchStrategy (wrap a constant with st.just), or None"
        )


def _strategies_of(vendor: vendors.Vendor) -> VendorStrategies | None:
    """The vendor's strategies, or ``None`` when it provides none."""
    try:
        found: VendorStrategies = vendor.payloads.strategies
    except NotImplementedError:
        return None
    return found


def _vendor_strategies(vendor: object) -> VendorStrategies:
    """The strategies of the vendor called ``vendor``; :class:`InvalidArgument` otherwise."""
    if isinstance(vendor, str) and vendor in vendors.names():
        found = _strategies_of(vendors.get(vendor))
        if found is not None:
            return found
    choices = [repr(v.name) for v in vendors.all_vendors() if _strategies_of(v) is not None]
    raise InvalidArgument(f"vendor={vendor!r} must be {or_list(choices)}")


# --------------------------------------------------------------------------- image sizes


def image_sizes(vendor: str = "facepp") -> st.SearchStrategy[tuple[int, int]]:
    """Image sizes ``(width, height)`` the vendor accepts: common sizes most of the time (14
    draws in 16), the smallest and largest accepted sizes and arbitrary ones otherwise (one in
    16 each; arbitrary sides are uniform over the accepted range). Shrinks to 640x480.

    ``vendor`` is ``"facepp"`` (the default) or ``"tencent"``; the limits come from that
    vendor's facts."""
    low, high = _vendor_strategies(vendor).image_sides
    return _image_sizes(low, high)


@st.composite
def _image_sizes(draw: Draw, low: int, high: int) -> tuple[int, int]:
    """:func:`image_sizes` between sides ``low`` and ``high``."""
    # One drawn integer picks the family and seeds an arbitrary size (a plain-code draw, as
    # for the faces): drawn as Hypothesis integers, the family would come out at the ends of
    # its range far more often than the weights say, and most arbitrary images would be as
    # small or as large as allowed. 0 (what shrinking reaches) is the first common size.
    number = draw(_NUMBERS)
    # Which common or boundary size: drawn whatever the family, so that every family takes
    # the same number of draws (Hypothesis counts an example with fewer draws as simpler,
    # and would otherwise shrink toward an arbitrary size rather than to 640x480).
    index = draw(_ints(0, _SIZE_INDEXES - 1))
    rng = random.Random(number)
    roll = rng.randrange(_IMAGE_FAMILIES) if number else _IMAGE_FAMILIES - 1
    if roll == 1:
        return rng.randint(low, high), rng.randint(low, high)
    if roll == 0:
        boundary = ((low, low), (high, high), (low, high), (high, low))
        return boundary[index % len(boundary)]
    return _COMMON_SIZES[index % len(_COMMON_SIZES)]


# --------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class _Geometry:
    """How a face's pose, expression and individual are drawn: the caller's strategies
    where given (by parameter name), the portrait-photo population otherwise."""

    given: dict[str, Drawer]

    def draw(self, draw: Draw) -> tuple[dict[str, float], int]:
        """The caller's pose and expression values by name, and the photo number;
        :meth:`resolve` turns them into the face's values."""
        # Photo 0 with size number 0 is the plain face (see _draw_face): the shrinker reaches
        # it in a step each (it tries 0 first). Hypothesis draws 0 by itself now and then,
        # mostly in examples it draws all-simplest: about one face in twenty is plain.
        photo: int = draw(_NUMBERS)
        given = {name: self.given[name](draw) for name in _GEOMETRY_NAMES if name in self.given}
        return given, photo

    @staticmethod
    def resolve(
        given: dict[str, float], photo: int | None, mix: str
    ) -> tuple[dict[str, float], int]:
        """The six pose and expression values by name, and the individual's seed: the
        caller's values where given, else the photo's, seeded by the photo number and
        ``mix`` (the face's other draws). Photo ``None`` is the plain frontal face, seed 0."""
        if photo is None:
            typical, individual = _PLAIN_GEOMETRY, 0
        else:
            # A string seed is hashed (SHA-512), the same in every run and interpreter.
            rng = random.Random(f"{photo}|{mix}")
            typical, individual = _typical_photo(rng), rng.randrange(1, 2**31)
        return {name: given.get(name, typical[name]) for name in _GEOMETRY_NAMES}, individual

    @property
    def winks(self) -> bool:
        """Whether one eye is sometimes closed (only when the caller steers ``eye_open``)."""
        return "eye_open" in self.given


def _given(strategy: st.SearchStrategy[Any]) -> Drawer:
    """A drawer for a strategy the caller passed."""
    return lambda draw: draw(strategy)


def _geometry(
    roll: st.SearchStrategy[float] | None,
    yaw: st.SearchStrategy[float] | None,
    pitch: st.SearchStrategy[float] | None,
    mouth_open: st.SearchStrategy[float] | None,
    smile: st.SearchStrategy[float] | None,
    eye_open: st.SearchStrategy[float] | None,
) -> _Geometry:
    given = {
        "roll": roll,
        "yaw": yaw,
        "pitch": pitch,
        "mouth_open": mouth_open,
        "smile": smile,
        "eye_open": eye_open,
    }
    for name, value in given.items():
        _check_strategy(name, value)
    return _Geometry({name: _given(value) for name, value in given.items() if value is not None})


# Each placement offset first draws a branch: 0 gives the plain value at once. The shrinker
# takes that branch in one step (and drops the draws after it), so a failing example reaches
# the plain face within the shrinker's budget instead of walking every integer down.
_PLAIN = _ints(0, 4)


def _zigzag(n: int) -> float:
    # 0, 1, -1, 2, -2, ... so that shrinking toward 0 reaches the centre.
    return ((n + 1) // 2) * (1 if n % 2 else -1) / 100


def _centred(draw: Draw, limit: int) -> float:
    """A fraction from ``-limit/100`` to ``limit/100``; shrinks to 0."""
    return 0.0 if draw(_PLAIN) == 0 else _zigzag(draw(_ints(0, 2 * limit)))


def _clamp(name: str, value: float) -> float:
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise InvalidArgument(f"{name} strategy drew {value!r}, outside [{low}, {high}]")
    return value


def _draw_face(
    draw: Draw,
    geometry: _Geometry,
    image: tuple[int, int],
    cell: tuple[int, int],
    tiny: int,
) -> tuple[Face, str]:
    """One face in the horizontal slice ``cell = (x0, width)`` of an image; also says how
    it was placed (``border`` faces still need shifting onto the border)."""
    height = image[1]
    x0, cell_w = cell
    short = min(cell_w, height)
    # The landmarks span about 1.05 box widths across and 1.5 box heights down.
    fit = max(1.0, min(cell_w / 1.1, height / 1.55))
    given, photo = geometry.draw(draw)
    size_number = draw(_NUMBERS)
    size_kind, amount = _face_size(size_number)
    if size_kind == "tiny":
        side = float(tiny)
    elif size_kind == "huge":
        side = short * (1.0 + amount)
    else:
        side = max(min(float(tiny), fit), min(fit, amount))
    placement = _weighted(draw, [(6, "inside"), (1, "border"), (1, "touching"), (1, "leaving")])
    # Centre of the box for a face sitting well inside the image; offsets shrink to 0.
    dx = _centred(draw, 50)
    dy = _centred(draw, 50)
    room_x = max(0.0, cell_w - 1.1 * side)
    room_y = max(0.0, height - 1.55 * side)
    cx = x0 + cell_w / 2 + dx * room_x / 2
    # The hairline rises ~0.45 box heights above the box; the chin ends ~0.1 below it.
    cy = height / 2 + 0.17 * side + dy * room_y / 2
    if placement == "touching":
        edge = draw(_EDGES)
        if edge == "left":
            cx = x0 + side / 2
        elif edge == "right":
            cx = x0 + cell_w - side / 2
        elif edge == "top":
            cy = side / 2
        else:
            cy = height - side / 2
    elif placement == "leaving":
        out_x = _centred(draw, 60)
        out_y = _centred(draw, 60)
        cx = x0 + cell_w / 2 + out_x * (cell_w / 2 + side / 2)
        cy = height / 2 + out_y * (height / 2 + side / 2)
    mix = f"{image}|{cell}|{side!r}|{cx!r}|{cy!r}|{placement}"
    # The plain face needs both numbers at 0: what shrinking reaches, and rare otherwise (a
    # Hypothesis integer is 0 far more often than one in 2**32, about one face in ten).
    values, individual = geometry.resolve(given, photo if photo or size_number else None, mix)
    eye = _clamp("left_eye_open", values["eye_open"])
    wink = _weighted(draw, [(8, 0.0), (1, 1.0)]) if geometry.winks else 0.0
    face = Face(
        left=cx - side / 2,
        top=cy - side / 2,
        width=side,
        height=side,
        roll=_clamp("roll", values["roll"]),
        yaw=_clamp("yaw", values["yaw"]),
        pitch=_clamp("pitch", values["pitch"]),
        mouth_open=_clamp("mouth_open", values["mouth_open"]),
        smile=_clamp("smile", values["smile"]),
        left_eye_open=eye,
        right_eye_open=eye * (1.0 - wink),
        seed=individual,
    )
    return face, placement


def _onto_border(
    draw: Draw,
    face: Face,
    extent: Callable[[Face], Sequence[tuple[int, int]]],
    image: tuple[int, int],
) -> Face:
    """Shift the face so its outermost landmark lies exactly on an image border pixel.

    ``extent`` gives the corners of the box around the face's landmarks. The box is whole
    pixels first: measured before rounding, the landmarks would move by a pixel when the
    box is rounded and miss the border."""
    face = replace(
        face,
        left=round(face.left),
        top=round(face.top),
        width=round(face.width),
        height=round(face.height),
    )
    points = extent(face)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    edge = draw(_EDGES)
    shift_x = shift_y = 0
    if edge == "left":
        shift_x = -min(xs)
    elif edge == "right":
        shift_x = image[0] - 1 - max(xs)
    elif edge == "top":
        shift_y = -min(ys)
    else:
        shift_y = image[1] - 1 - max(ys)
    # Whole-pixel shifts move every (rounded) landmark by exactly the shift.
    return replace(face, left=face.left + shift_x, top=face.top + shift_y)


def _draw_whole_image_face(
    draw: Draw, geometry: _Geometry, image: tuple[int, int], vendor: VendorStrategies
) -> Face:
    """One face placed anywhere in the image, sized against the vendor's smallest face."""
    face, placement = _draw_face(draw, geometry, image, (0, image[0]), vendor.smallest_face(image))
    if placement == "border":
        # The extreme corners are all _onto_border needs (cheaper than the whole payload).
        face = _onto_border(draw, face, vendor.face_extent, image)
    return face


@st.composite
def _faces(
    draw: Draw,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
    vendor: VendorStrategies,
) -> Face:
    return _draw_whole_image_face(draw, geometry, draw(image_size), vendor)


def faces(
    *,
    image_size: st.SearchStrategy[tuple[int, int]] | None = None,
    roll: st.SearchStrategy[float] | None = None,
    yaw: st.SearchStrategy[float] | None = None,
    pitch: st.SearchStrategy[float] | None = None,
    mouth_open: st.SearchStrategy[float] | None = None,
    smile: st.SearchStrategy[float] | None = None,
    eye_open: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[Face]:
    """:class:`~pytest_densemark.faces.Face` parameters for a face in an image.

    ``image_size`` draws ``(width, height)`` (default :func:`image_sizes`). The other arguments
    steer the geometry (degrees for angles, 0..1 for expression). By default pose, expression
    and the individual are drawn like ordinary portrait photos, the population the realism test
    measures against real faces: near frontal (yaw and pitch normal around 2 and 1.5 degrees
    with standard deviations of 8 and 6, clipped at 30; roll within 7), most people smiling with
    the lips apart (15% with the mouth closed), eyes open, and a plain frontal face about one
    time in twenty. Strong poses and expressions come only from these arguments, for example
    ``yaw=st.floats(-60, 60)``, ``roll=st.floats(-180, 180)``, ``mouth_open=st.just(1.0)`` (wide
    open) or ``eye_open=st.just(0.0)`` (both eyes closed; when ``eye_open`` is given, one eye is
    also sometimes closed alone). Each face is another individual: its person, pose and
    expression depend on everything drawn for it, so faces repeat only when a whole example
    does. Placement and size vary on their own: mostly well inside, sometimes touching, leaving
    or with a landmark exactly on the image border. Sizes are those of faces in ordinary photos
    sent to a landmark API, a population choice: a face box of about 140 to 230 px (median 180
    px, pupils about 85 px apart) as far as the image holds it; one face in 16 is the smallest
    the vendor detects and one in 16 larger than the image, and boundary image sizes (one in 16
    by default) squeeze faces further. Shrinks toward a plain frontal face (``seed`` 0) of 180
    px in the middle of a 640x480 image.
    """
    _check_strategy("image_size", image_size)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    vendor = _vendor_strategies(_DEFAULT_VENDOR)
    size = image_size if image_size is not None else image_sizes(_DEFAULT_VENDOR)
    return _faces(size, geometry, vendor)


# --------------------------------------------------------------------------- invalid bodies


def _render_path(parts: Sequence[str | int]) -> str:
    """The JSON path of an :class:`InvalidResponse`, as the validator reports it."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


# --------------------------------------------------------------------------- HTTP


def http_responses(vendor: str) -> st.SearchStrategy[httpx.Response]:
    """:class:`httpx.Response` objects as the vendor sends them, mixing successes (about
    two thirds) and every documented error, ready to hand to respx
    (``route.mock(side_effect=[...])``). ``vendor`` is ``"facepp"`` or ``"tencent"``."""
    chosen = _vendor_strategies(vendor)
    # Two success branches of three; two objects, as one_of drops a repeated one.
    answers = st.one_of(chosen.success_answers(), chosen.success_answers(), chosen.error_answers())
    return answers.map(lambda answer: answer.to_httpx())
