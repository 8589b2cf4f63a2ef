"""Hypothesis strategies for both vendors' responses. Synthetic data.

Each strategy draws a few meaningful parameters (image size, face box placement, pose,
expression, how the body is serialised) and expands them deterministically through the face
model, so examples are fast and shrink toward one ordinary, frontal face in a 640x480 image,
serialised in the vendors' usual way. Edge cases are drawn often, not once in a million: faces
touching or leaving the image, landmarks exactly on the image border, the smallest detectable
and larger-than-the-image faces, 0, 1 or 5 faces, shuffled part and key order, ``x``-before-``y``
points, the legacy 7-part set and other part subsets.

Every generated success and error body passes :func:`pytest_densemark.validate` for its kind;
every invalid one breaks exactly one rule, named in :class:`InvalidResponse`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any, TypeVar, cast

import httpx
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import (
    LIMITS,
    Face,
    _facepp_extent,
    _tencent_extent,
    _tencent_face,
)
from pytest_densemark.payloads import (
    NO_FACE_FORMS,
    NoFace,
    VendorResponse,
    _tencent_envelope,
    facepp_error_response,
    facepp_request_id,
    facepp_success,
    tencent_error_response,
    tencent_request_id,
)

__all__ = [
    "InvalidResponse",
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


def _check_profile(profile: object) -> None:
    if not isinstance(profile, tencent.PointProfile):
        raise InvalidArgument(f"profile={profile!r} must be a tencent.PointProfile")


def _check_drawn_version(version: str) -> None:
    if version not in tencent.VERSIONS:
        raise InvalidArgument(f"version drew {version!r}; expected one of {tencent.VERSIONS}")


# --------------------------------------------------------------------------- image sizes


def image_sizes(vendor: str = "facepp") -> st.SearchStrategy[tuple[int, int]]:
    """Image sizes ``(width, height)`` the vendor accepts: common sizes most of the time, the
    smallest and largest accepted sizes and arbitrary ones otherwise. Shrinks to 640x480.

    ``vendor`` is ``"facepp"`` (the default) or ``"tencent"``; the limits come from that
    vendor's facts."""
    if vendor == "facepp":
        low, high = facepp.IMAGE_LIMITS.min_side, facepp.IMAGE_LIMITS.max_side
    elif vendor == "tencent":
        low = tencent.IMAGE_LIMITS.min_short_side
        high = tencent.IMAGE_LIMITS.max_long_side_other
    else:
        raise InvalidArgument(f"vendor={vendor!r} must be 'facepp' or 'tencent'")
    boundary = ((low, low), (high, high), (low, high), (high, low))
    any_size = st.tuples(st.integers(low, high), st.integers(low, high))
    # One integer picks a family: shrinking goes to the common sizes, then to 640x480.
    return st.one_of(st.sampled_from(_COMMON_SIZES), st.sampled_from(boundary), any_size)


# --------------------------------------------------------------------------- faces


#: The pose and expression parameters, in the order they are drawn.
_GEOMETRY_NAMES = ("roll", "yaw", "pitch", "mouth_open", "smile", "eye_open")

# Default pose and expression: drawn like ordinary portrait photos, the population the face
# model is measured against (tests/test_realism.py): near frontal (yaw within a few degrees,
# the head a little raised), most people smiling with the lips apart, some with the mouth
# closed, eyes open. Each default face is one "photo": a single drawn integer seeds the pose,
# the expression and the individual together, so Hypothesis's preference for small and
# repeated values does not distort the population; a branch drawn first gives the plain
# frontal face (the model's average individual) that failing examples shrink to. Strong
# poses, open mouths and closed eyes come only from explicit arguments (for example
# ``yaw=st.floats(-60, 60)``, ``mouth_open=st.just(1.0)``, ``eye_open=st.just(0.0)``).
_PHOTOS = st.integers(1, 2**32 - 1)
_PLAIN_PHOTO = st.integers(0, 19)
_ROLL = (-7.0, 7.0)  # uniform (low, high), degrees
_YAW = (-5.3, 7.1)
_PITCH = (1.2, 16.8)
_CLOSED_MOUTH = 0.05  # share of the other faces with the mouth closed
_CLOSED_MOUTH_SMILE = (0.0, 0.3)
_OPEN_MOUTH = (0.2, 0.36)
_OPEN_MOUTH_SMILE = (0.4, 1.0)
_EYE_OPEN = (0.83, 0.98)
#: The plain frontal face: what the plain branch (and shrinking) gives.
_PLAIN_GEOMETRY: dict[str, float] = {
    "roll": 0.0,
    "yaw": 0.0,
    "pitch": 0.0,
    "mouth_open": 0.0,
    "smile": 0.0,
    "eye_open": 1.0,
}


def _typical_photo(rng: random.Random) -> dict[str, float]:
    """One default pose and expression, drawn from the portrait-photo population."""
    closed = rng.random() < _CLOSED_MOUTH
    mouth = 0.0 if closed else rng.uniform(*_OPEN_MOUTH)
    smile = rng.uniform(*(_CLOSED_MOUTH_SMILE if closed else _OPEN_MOUTH_SMILE))
    return {
        "roll": round(rng.uniform(*_ROLL), 2),
        "yaw": round(rng.uniform(*_YAW), 2),
        "pitch": round(rng.uniform(*_PITCH), 2),
        "mouth_open": round(mouth, 2),
        "smile": round(smile, 2),
        "eye_open": round(rng.uniform(*_EYE_OPEN), 2),
    }


@dataclass(frozen=True)
class _Geometry:
    """How a face's pose, expression and individual are drawn: the caller's strategies
    where given (by parameter name), the portrait-photo population otherwise."""

    given: dict[str, Drawer]

    def draw(self, draw: Draw) -> tuple[dict[str, float], int]:
        """The six pose and expression values by name, and the individual's seed."""
        # A branch first, as for the placement offsets: the shrinker reaches the plain face
        # in one step rather than walking a 32-bit integer down (Hypothesis takes that branch
        # about one time in five while generating).
        if draw(_PLAIN_PHOTO) == 0:
            typical, individual = _PLAIN_GEOMETRY, 0
        else:
            rng = random.Random(draw(_PHOTOS))
            typical, individual = _typical_photo(rng), rng.randrange(1, 2**31)
        values = {
            name: self.given[name](draw) if name in self.given else typical[name]
            for name in _GEOMETRY_NAMES
        }
        return values, individual

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
    values, individual = geometry.draw(draw)
    size_kind = _weighted(draw, [(6, "ordinary"), (1, "tiny"), (1, "huge")])
    if size_kind == "tiny":
        side = float(tiny)
    elif size_kind == "huge":
        side = short * (1.0 + draw(_ints(0, 60)) / 100)
    else:
        low = min(float(tiny), fit)
        side = low + (fit - low) * (0.5 + _centred(draw, 50))
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


def _facepp_tiny(image: tuple[int, int]) -> int:
    return facepp.IMAGE_LIMITS.min_face_size(*image)


def _tencent_tiny(image: tuple[int, int]) -> int:
    # Tencent publishes no minimum face size; the kit draws faces 1/12 of the short side.
    return max(24, min(image) // 12)


def _draw_whole_image_face(draw: Draw, geometry: _Geometry, image: tuple[int, int]) -> Face:
    """One face placed anywhere in the image, sized against Face++'s smallest face."""
    face, placement = _draw_face(draw, geometry, image, (0, image[0]), _facepp_tiny(image))
    if placement == "border":
        # The extreme corners are all _onto_border needs (cheaper than the whole payload).
        face = _onto_border(draw, face, _facepp_extent, image)
    return face


@st.composite
def _faces(
    draw: Draw,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
) -> Face:
    return _draw_whole_image_face(draw, geometry, draw(image_size))


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
    and the individual are drawn like ordinary portrait photos, the population the realism
    test measures against real faces: near frontal, the head a little raised, most people
    smiling with the lips apart, eyes open, and a plain frontal face now and then. Strong
    poses and expressions come only from these arguments, for example
    ``yaw=st.floats(-60, 60)``, ``roll=st.floats(-180, 180)``, ``mouth_open=st.just(1.0)``
    (wide open) or ``eye_open=st.just(0.0)`` (both eyes closed; when ``eye_open`` is given,
    one eye is also sometimes closed alone). Placement and size vary on their own: mostly
    well inside, sometimes touching, leaving or with a landmark exactly on the image border;
    mostly ordinary size, sometimes the smallest face the vendor detects or larger than the
    image. Shrinks toward a frontal face in the middle of the image.
    """
    _check_strategy("image_size", image_size)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    return _faces(image_size if image_size is not None else image_sizes("facepp"), geometry)


# --------------------------------------------------------------------------- Face++ bodies


def _facepp_parts(draw: Draw, return_landmark: str | None, legacy: bool | None) -> tuple[str, ...]:
    """The parts the service sends for the request (``None``: any request is drawn too)."""
    if return_landmark is None:
        value = _weighted(draw, [(3, facepp.ALL), (1, "")])
        if not value:
            chosen = draw(st.lists(st.sampled_from(facepp.ALL_PARTS), min_size=1, unique=True))
            value = ",".join(chosen)
    else:
        value = return_landmark
    parts = facepp.parts_requested(value)
    old = draw(st.booleans()) if legacy is None else legacy
    if old:
        # The format before 2019-08-19 had no eyelid parts.
        legacy_parts = tuple(p for p in parts if p in facepp.LEGACY_PARTS)
        if legacy_parts:
            return legacy_parts
        if legacy:
            raise InvalidArgument(
                f"return_landmark={value!r} asks only for eyelid parts, which the legacy"
                " (pre-2019-08-19) format never sent; use legacy=False"
            )
    return parts


def _check_return_landmark(return_landmark: object, legacy: object) -> None:
    if return_landmark is not None:
        if not isinstance(return_landmark, str):
            raise InvalidArgument(
                f"return_landmark={return_landmark!r} must be a str such as 'all' or"
                " 'left_eye,mouth', or None"
            )
        try:
            facepp.parts_requested(return_landmark)
        except facepp.ReturnLandmarkError as exc:
            raise InvalidArgument(f"return_landmark={return_landmark!r}: {exc.note}") from None
    if legacy not in (True, False, None):
        raise InvalidArgument(f"legacy={legacy!r} must be True, False or None")


def _serialise_facepp(
    face: dict[str, Any], rng: random.Random, *, shuffle: bool, x_first: bool
) -> None:
    """Reorder parts and keys, and the point fields, in place."""
    landmark = face["landmark"]
    if x_first:
        for part in landmark.values():
            for key, value in part.items():
                if isinstance(value, dict):
                    part[key] = {"x": value["x"], "y": value["y"]}
    if shuffle:
        names = list(landmark)
        rng.shuffle(names)
        reordered = {}
        for name in names:
            items = list(landmark[name].items())
            rng.shuffle(items)
            reordered[name] = dict(items)
        face["landmark"] = reordered


@st.composite
def _facepp_bodies(
    draw: Draw,
    parts: st.SearchStrategy[Sequence[str]] | None,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
    no_face: st.SearchStrategy[str] | None,
    return_landmark: str | None = facepp.ALL,
    legacy: bool | None = False,
) -> dict[str, Any]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    time_used = draw(st.integers(0, 3000))
    request_id = facepp_request_id(rng)
    if no_face is not None and draw(st.booleans()):
        form = draw(no_face)
        if form not in NO_FACE_FORMS:
            raise InvalidArgument(f"no_face drew {form!r}; expected one of {NO_FACE_FORMS}")
        return facepp_success(
            None, request_id=request_id, time_used=time_used, no_face=cast("NoFace", form)
        )
    if parts is not None:
        chosen = tuple(draw(parts))
    else:
        chosen = _facepp_parts(draw, return_landmark, legacy)
    if not chosen or any(p not in facepp.PARTS for p in chosen):
        raise InvalidArgument(
            f"parts drew {chosen!r}; expected a non-empty subset of {facepp.ALL_PARTS}"
        )
    face = _draw_whole_image_face(draw, geometry, draw(image_size))
    shuffle = _weighted(draw, [(1, False), (2, True)])
    x_first = _weighted(draw, [(4, False), (1, True)])
    body = facepp_success(face, parts=chosen, request_id=request_id, time_used=time_used)
    _serialise_facepp(body["face"], rng, shuffle=shuffle, x_first=x_first)
    if shuffle and draw(st.booleans()):
        body = {"face": body.pop("face"), **body}
    return body


def facepp_responses(
    *,
    return_landmark: str | None = facepp.ALL,
    legacy: bool | None = False,
    parts: st.SearchStrategy[Sequence[str]] | None = None,
    image_size: st.SearchStrategy[tuple[int, int]] | None = None,
    no_face: st.SearchStrategy[str] | None = None,
    roll: st.SearchStrategy[float] | None = None,
    yaw: st.SearchStrategy[float] | None = None,
    pitch: st.SearchStrategy[float] | None = None,
    mouth_open: st.SearchStrategy[float] | None = None,
    smile: st.SearchStrategy[float] | None = None,
    eye_open: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Face++ thousandlandmark success bodies (dicts, ready for ``json.dumps``).

    The bodies answer the request your client sends: ``return_landmark`` is its value
    (default ``"all"``: the 9 parts the service sends today; ``"left_eye,mouth"``: those
    parts; ``None``: draw the request too, ``all`` or any subset). ``legacy=True`` gives the
    format before 2019-08-19 (no eyelid parts: 7 parts for ``all``), ``None`` either format.
    ``parts``, when given, draws the part set directly and overrides both.
    ``no_face``, when given (e.g. ``st.sampled_from(pytest_densemark.payloads.NO_FACE_FORMS)``),
    makes about half the bodies say "no face" in the drawn form. The vendor only says ``face``
    "is empty", so all three readings are kept: ``"absent"`` (no ``face`` key), ``"null"``
    (``"face": null``) and ``"empty"`` (``"face": {}``). ``image_size``
    and the geometry arguments are as for :func:`faces`. Part and key order are shuffled in
    most bodies and points are sometimes serialised ``x`` before ``y`` (the vendor sends ``y``
    first). Shrinks toward one frontal face with all 9 parts in numeric order.
    """
    _check_strategy("parts", parts)
    _check_strategy("image_size", image_size)
    _check_strategy("no_face", no_face)
    _check_return_landmark(return_landmark, legacy)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    size = image_size if image_size is not None else image_sizes("facepp")
    return _facepp_bodies(parts, size, geometry, no_face, return_landmark, legacy)


# --------------------------------------------------------------------------- Tencent bodies


@st.composite
def _tencent_bodies(
    draw: Draw,
    version: st.SearchStrategy[str],
    mode: st.SearchStrategy[int],
    min_faces: int,
    max_faces: int,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
    profile: tencent.PointProfile,
) -> dict[str, Any]:
    _check_drawn_version(draw(version))
    drawn_mode = draw(mode)
    if drawn_mode not in tencent.MODES:
        raise InvalidArgument(f"mode drew {drawn_mode!r}; expected one of {tencent.MODES}")
    high = min(max_faces, 1) if drawn_mode == 1 else max_faces
    if high < min_faces:
        high = min_faces
    # Counts in shrink order: one face first, then none, then more.
    # Weighted so that 0, 1 and the most faces all come up often.
    weights = {1: 4, 0: 2, high: 3}
    order = [(weights.get(n, 1), n) for n in (1, 0, 2, 3, 4, 5) if min_faces <= n <= high]
    count = _weighted(draw, order)
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    image = draw(image_size)
    chosen: list[Face] = []
    cell_w = image[0] // max(count, 1)
    tiny = _tencent_tiny((cell_w, image[1]))
    # With no face, one is still drawn (and dropped) so that "no face" is not a shorter
    # example than one face: shrinking then ends on one face, not none.
    for index in range(max(count, 1)):
        face, placement = _draw_face(draw, geometry, image, (index * cell_w, cell_w), tiny)
        if count == 0:
            break
        if placement == "border":
            face = _onto_border(draw, face, partial(_tencent_extent, profile=profile), image)
        chosen.append(face)
    # Points serialised "Y" first now and then; built that way rather than rebuilt.
    y_first = _weighted(draw, [(3, False), (1, True)])
    shapes = [_tencent_face(face, profile, y_first=y_first) for face in chosen]
    body = _tencent_envelope(image[0], image[1], shapes, tencent_request_id(rng))
    if _weighted(draw, [(2, False), (1, True)]):
        items = list(body["Response"].items())
        rng.shuffle(items)
        response = dict(items)
        for i, shape in enumerate(shapes):
            fields = list(shape.items())
            rng.shuffle(fields)
            shapes[i] = dict(fields)
        response["DenseFaceShapeSet"] = shapes
        body["Response"] = response
    return body


def _check_counts(min_faces: int, max_faces: int) -> None:
    for name, value in (("min_faces", min_faces), ("max_faces", max_faces)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgument(f"{name}={value!r} must be an int")
    if not 0 <= min_faces <= max_faces <= tencent.MAX_FACES:
        raise InvalidArgument(
            f"need 0 <= min_faces <= max_faces <= {tencent.MAX_FACES},"
            f" got min_faces={min_faces}, max_faces={max_faces}"
        )


def tencent_responses(
    *,
    version: st.SearchStrategy[str] | None = None,
    min_faces: int = 0,
    max_faces: int = tencent.MAX_FACES,
    mode: st.SearchStrategy[int] | None = None,
    image_size: st.SearchStrategy[tuple[int, int]] | None = None,
    profile: tencent.PointProfile = tencent.KIT_PROFILE,
    roll: st.SearchStrategy[float] | None = None,
    yaw: st.SearchStrategy[float] | None = None,
    pitch: st.SearchStrategy[float] | None = None,
    mouth_open: st.SearchStrategy[float] | None = None,
    smile: st.SearchStrategy[float] | None = None,
    eye_open: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Tencent AnalyzeDenseLandmarks success envelopes ``{"Response": {...}}``.

    Between ``min_faces`` and ``max_faces`` faces (at most 5, the vendor's limit; 0, 1 and 5
    all come up often), side by side, each placed and posed as in :func:`faces`. ``mode``
    draws the request's ``Mode`` (1 = largest face only, so at most one face); ``version``
    draws the API version (both versions answer with the same body, so it only validates the
    choice). ``profile`` sets the points per list (default: the kit's assumed 888-point
    split). Key order is sometimes shuffled and points sometimes serialised ``Y`` first.
    Shrinks toward one frontal face.
    """
    _check_counts(min_faces, max_faces)
    for name, value in (("version", version), ("mode", mode), ("image_size", image_size)):
        _check_strategy(name, value)
    _check_profile(profile)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    return _tencent_bodies(
        version if version is not None else st.sampled_from(tencent.VERSIONS),
        mode if mode is not None else st.sampled_from(tencent.MODES),
        min_faces,
        max_faces,
        image_size if image_size is not None else image_sizes("tencent"),
        geometry,
        profile,
    )


# --------------------------------------------------------------------------- errors


@st.composite
def _facepp_errors(
    draw: Draw, names: st.SearchStrategy[str], space: st.SearchStrategy[bool | None]
) -> VendorResponse:
    name = draw(names)
    if name not in facepp.ERRORS:
        raise InvalidArgument(f"names drew {name!r}; expected one of {', '.join(facepp.ERRORS)}")
    error = facepp.ERRORS[name]
    arg = draw(st.sampled_from(error.args)) if error.args else None
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    return facepp_error_response(
        name,
        arg,
        request_id=facepp_request_id(rng),
        time_used=draw(st.integers(0, 3000)),
        space=draw(space),
    )


def facepp_error_responses(
    *,
    names: st.SearchStrategy[str] | None = None,
    space: st.SearchStrategy[bool | None] | None = None,
) -> st.SearchStrategy[VendorResponse]:
    """Every documented Face++ error as a :class:`~pytest_densemark.payloads.VendorResponse`:
    the right HTTP status, ``Content-Type`` and body (JSON, or plain text for the 413).

    ``names`` draws error names (default: all of :data:`pytest_densemark.facepp.ERRORS`).
    ``space`` draws the spacing after the colon in messages that carry an argument: ``None``
    as documented, ``True``/``False`` to force it (default: all three), because clients compare
    these strings exactly.
    """
    _check_strategy("names", names)
    _check_strategy("space", space)
    return _facepp_errors(
        names if names is not None else st.sampled_from(tuple(facepp.ERRORS)),
        space if space is not None else st.sampled_from((None, True, False)),
    )


@st.composite
def _tencent_errors(
    draw: Draw,
    codes: st.SearchStrategy[str],
    version: st.SearchStrategy[str],
    language: st.SearchStrategy[str | None],
) -> VendorResponse:
    _check_drawn_version(draw(version))
    code = draw(codes)
    error = tencent.ERRORS.get(code)
    if error is None:
        raise InvalidArgument(f"codes drew {code!r}; expected a documented code")
    drawn_language = draw(language)
    if drawn_language is not None and drawn_language not in tencent.LANGUAGES:
        raise InvalidArgument(
            f"language drew {drawn_language!r}; expected one of {tencent.LANGUAGES} or None"
        )
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    return tencent_error_response(
        code, request_id=tencent_request_id(rng), message=error.message_in(drawn_language)
    )


def tencent_error_responses(
    *,
    codes: st.SearchStrategy[str] | None = None,
    version: st.SearchStrategy[str] | None = None,
    language: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[VendorResponse]:
    """Every documented Tencent error code (the action's and API 3.0's common ones) as a
    :class:`~pytest_densemark.payloads.VendorResponse`: HTTP 200, ``Content-Type`` exactly
    ``application/json`` and the ``{"Response": {"Error": ..., "RequestId": ...}}`` envelope.

    ``version`` draws the API version (default: both). ``codes`` draws codes (default: all of
    :data:`pytest_densemark.tencent.ERRORS` that the drawn ``version`` documents). The body is
    the same for both versions, so ``version`` only narrows the default codes and checks the
    choice. ``language`` draws the ``X-TC-Language`` the client sent, which sets the message's
    language: ``"zh-CN"`` (the SDKs' default), ``"en-US"`` or ``None`` (no header: English);
    default all three.
    """
    _check_strategy("codes", codes)
    _check_strategy("version", version)
    _check_strategy("language", language)
    languages = language if language is not None else st.sampled_from((None, *tencent.LANGUAGES))
    if codes is None:
        drawn_version = version if version is not None else st.sampled_from(tencent.VERSIONS)
        return drawn_version.flatmap(
            lambda v: _tencent_errors(
                st.sampled_from(tuple(c for c, e in tencent.ERRORS.items() if v in e.versions)),
                st.just(v),
                languages,
            )
        )
    return _tencent_errors(
        codes, version if version is not None else st.sampled_from(tencent.VERSIONS), languages
    )


# --------------------------------------------------------------------------- invalid bodies


def _render_path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


_FACEPP_RULES = (
    "missing-key",
    "extra-key",
    "float-coordinate",
    "string-coordinate",
    "string-radius",
    "negative-radius",
    "too-many-faces",
    "misspelt-part",
    "missing-field",
)


@st.composite
def _facepp_invalid(draw: Draw, rules: st.SearchStrategy[str]) -> InvalidResponse:
    rule = draw(rules)
    if rule not in _FACEPP_RULES:
        raise InvalidArgument(f"rules drew {rule!r}; expected one of {_FACEPP_RULES}")
    parts = facepp.ALL_PARTS
    if rule in ("string-radius", "negative-radius"):
        eyes = [p for p in parts if facepp.PARTS[p].radii]
        parts = (draw(st.sampled_from(eyes)),)
    body = draw(
        facepp_responses(
            parts=st.just(parts), roll=st.just(0.0), yaw=st.just(0.0), pitch=st.just(0.0)
        )
    )
    face = body["face"]
    landmark = face["landmark"]
    part_name = draw(st.sampled_from(tuple(landmark)))
    part = landmark[part_name]
    spec = facepp.PARTS[part_name]
    where: list[str | int] = ["face", "landmark", part_name]
    if rule == "missing-key":
        key = draw(st.sampled_from(spec.keys))
        del part[key]
    elif rule == "extra-key":
        prefix, count = spec.runs[-1]
        part[f"{prefix}{count}"] = {"y": 0, "x": 0}
    elif rule in ("float-coordinate", "string-coordinate"):
        key = draw(st.sampled_from(spec.point_keys))
        axis = draw(st.sampled_from(("x", "y")))
        value = part[key][axis]
        part[key][axis] = value + 0.5 if rule == "float-coordinate" else str(value)
        where += [key, axis]
    elif rule in ("string-radius", "negative-radius"):
        key = spec.radii[0]
        part[key] = str(part[key]) if rule == "string-radius" else -1 - part[key]
        where.append(key)
    elif rule == "too-many-faces":
        # The service analyses only the largest face: "face" is never a list.
        body["face"] = [face, face]
        where = ["face"]
    elif rule == "misspelt-part":
        # The vendor's Chinese doc spells "mouth" as "mouse"; the service never does.
        wrong = next(iter(facepp.DOC_MISSPELLINGS))
        landmark[wrong] = landmark.pop(facepp.DOC_MISSPELLINGS[wrong])
        where = ["face", "landmark"]
    else:  # missing-field
        del body[draw(st.sampled_from(("time_used", "request_id")))]
        where = []
    return InvalidResponse("facepp", rule, _render_path(where), body)


def facepp_invalid_responses(
    *, rules: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InvalidResponse]:
    """Near-miss Face++ success bodies that break exactly one rule, for testing a client's own
    validation. Each is an :class:`InvalidResponse` naming the rule and where it is broken.

    Rules: ``missing-key``, ``extra-key`` (one index past the end), ``float-coordinate``,
    ``string-coordinate``, ``string-radius``, ``negative-radius``, ``too-many-faces`` (``face``
    as a list), ``misspelt-part`` (the doc's ``mouse``), ``missing-field`` (``time_used`` or
    ``request_id``). ``rules`` draws which (default: all).
    """
    _check_strategy("rules", rules)
    return _facepp_invalid(rules if rules is not None else st.sampled_from(_FACEPP_RULES))


_TENCENT_RULES = (
    "missing-key",
    "extra-key",
    "null-field",
    "float-coordinate",
    "string-coordinate",
    "too-many-faces",
    "too-many-points",
    "wrong-model-version",
)


@st.composite
def _tencent_invalid(
    draw: Draw, rules: st.SearchStrategy[str], profile: tencent.PointProfile
) -> InvalidResponse:
    rule = draw(rules)
    if rule not in _TENCENT_RULES:
        raise InvalidArgument(f"rules drew {rule!r}; expected one of {_TENCENT_RULES}")
    if rule == "too-many-faces":
        body = draw(
            tencent_responses(min_faces=tencent.MAX_FACES, mode=st.just(0), profile=profile)
        )
        shapes = body["Response"]["DenseFaceShapeSet"]
        shapes.append(shapes[0])
        return InvalidResponse(
            "tencent", rule, _render_path(["Response", "DenseFaceShapeSet"]), body
        )
    body = draw(tencent_responses(min_faces=1, max_faces=2, profile=profile))
    response = body["Response"]
    if rule == "wrong-model-version":
        response["FaceModelVersion"] = "2.0"
        return InvalidResponse(
            "tencent", rule, _render_path(["Response", "FaceModelVersion"]), body
        )
    shapes = response["DenseFaceShapeSet"]
    index = draw(st.integers(0, len(shapes) - 1))
    shape = shapes[index]
    where: list[str | int] = ["Response", "DenseFaceShapeSet", index]
    name = draw(st.sampled_from(tencent.POINT_LISTS))
    if rule == "missing-key":
        del shape[draw(st.sampled_from((*tencent.FACE_BOX_FIELDS, *tencent.POINT_LISTS)))]
    elif rule == "extra-key":
        # The official SDK warns about unknown fields; a stray one is a real-world near miss.
        shape["FaceShapeConfidence"] = 99
    elif rule == "null-field":
        shape[name] = None
        where.append(name)
    elif rule in ("float-coordinate", "string-coordinate"):
        points = shape[name]
        if not points:
            points.append({"X": 0, "Y": 0})
        number = draw(st.integers(0, len(points) - 1))
        axis = draw(st.sampled_from(("X", "Y")))
        value = points[number][axis]
        points[number][axis] = value + 0.5 if rule == "float-coordinate" else str(value)
        where += [name, number, axis]
    else:  # too-many-points
        total = sum(len(shape[n]) for n in tencent.POINT_LISTS)
        extra = tencent.MAX_POINTS_PER_FACE + 1 - total
        shape[name] = shape[name] + [{"X": 0, "Y": 0}] * extra
    return InvalidResponse("tencent", rule, _render_path(where), body)


def tencent_invalid_responses(
    *,
    rules: st.SearchStrategy[str] | None = None,
    profile: tencent.PointProfile = tencent.KIT_PROFILE,
) -> st.SearchStrategy[InvalidResponse]:
    """Near-miss Tencent success envelopes that break exactly one rule, as
    :class:`InvalidResponse`.

    Rules: ``missing-key`` (a box field or point list), ``extra-key`` (an unknown field in a
    DenseFaceShape), ``null-field`` (a point list as ``null``), ``float-coordinate``,
    ``string-coordinate``, ``too-many-faces`` (6), ``too-many-points`` (889 in one face),
    ``wrong-model-version``. ``rules`` draws which (default: all).
    """
    _check_strategy("rules", rules)
    _check_profile(profile)
    return _tencent_invalid(
        rules if rules is not None else st.sampled_from(_TENCENT_RULES), profile
    )


# --------------------------------------------------------------------------- HTTP


def _success(vendor: str) -> Callable[[dict[str, Any]], VendorResponse]:
    content_type = facepp.CONTENT_TYPE if vendor == "facepp" else tencent.CONTENT_TYPE

    def wrap(body: dict[str, Any]) -> VendorResponse:
        return VendorResponse(200, body, {"Content-Type": content_type})

    return wrap


def http_responses(vendor: str) -> st.SearchStrategy[httpx.Response]:
    """:class:`httpx.Response` objects as the vendor sends them, mixing successes (about
    two thirds) and every documented error, ready to hand to respx
    (``route.mock(side_effect=[...])``). ``vendor`` is ``"facepp"`` or ``"tencent"``."""
    if vendor == "facepp":
        success = facepp_responses()
        errors = facepp_error_responses()
    elif vendor == "tencent":
        success = tencent_responses()
        errors = tencent_error_responses()
    else:
        raise InvalidArgument(f"vendor={vendor!r} must be 'facepp' or 'tencent'")
    answers = st.one_of(success.map(_success(vendor)), success.map(_success(vendor)), errors)
    return answers.map(lambda answer: answer.to_httpx())
