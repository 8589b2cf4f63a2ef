"""Face++ payload rules: the two kinds, how to tell them, the fast check and the bounds check.

:data:`RULES` is the vendor's ``payloads`` concern, a
:class:`~pytest_densemark.validation.PackagedPayloads`. The fast check is written by hand from the
vendor facts: it only uses C-level set comparisons of key sets and ``type(v) is int`` style
checks, so a valid full body costs far less than parsing its JSON text, and returns ``True``
only when the body is certainly valid under the schema (anything unusual, such as ``bool``,
``140.0`` or dict subclasses, falls through to the slow pass, which decides and explains).
The schema builders, strategies and drawing are imported only when first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from pytest_densemark import facepp
from pytest_densemark.validation import (
    PackagedPayloads,
    PointCounts,
    Violation,
    point_outside,
    points_ok,
    violation_at,
)

if TYPE_CHECKING:
    pass

__all__ = ["ERROR", "RULES", "SUCCESS"]

#: The kind of a thousandlandmark success body, and of its JSON error body.
SUCCESS, ERROR = "facepp", "facepp-error"

# Field names, from the vendor facts.
_TIME_USED, _REQUEST_ID, _FACE = facepp.SUCCESS_FIELDS
_ERROR_MESSAGE = next(name for name in facepp.ERROR_FIELDS if name not in facepp.SUCCESS_FIELDS)
_RECTANGLE, _LANDMARK = facepp.FACE_FIELDS
_X_NAME, _Y_NAME = facepp.POINT_FIELDS


# --------------------------------------------------------------------------- fast check

_INT = frozenset({int})


@dataclass(frozen=True)
class _PartSpec:
    keys: frozenset[str]
    #: The part's point values (all its values when it has no radius).
    points: Callable[[dict[str, Any]], Iterable[Any]]
    radii: tuple[str, ...]


_PARTS: dict[str, _PartSpec] = {
    part.name: _PartSpec(
        frozenset(part.keys),
        itemgetter(*part.point_keys) if part.radii else dict.values,
        part.radii,
    )
    for part in facepp.PARTS.values()
}
_PART_NAMES = frozenset(_PARTS)
_TOP_FULL = frozenset(facepp.SUCCESS_FIELDS)
_TOP_BARE = frozenset({_TIME_USED, _REQUEST_ID})
_FACE_KEYS = frozenset(facepp.FACE_FIELDS)
_RECT = frozenset(facepp.FACE_RECTANGLE_FIELDS)
_RECT_VALUES = itemgetter(*facepp.FACE_RECTANGLE_FIELDS)
_X, _Y = itemgetter(_X_NAME), itemgetter(_Y_NAME)


def fast_success(payload: object) -> bool:
    """``True`` only when ``payload`` is certainly a valid success body (see the module)."""
    if type(payload) is not dict:
        return False
    size = len(payload)
    keys = payload.keys()
    if not ((size == 3 and keys == _TOP_FULL) or (size == 2 and keys == _TOP_BARE)):
        return False
    time_used = payload[_TIME_USED]
    if type(time_used) is not int or time_used < 0 or type(payload[_REQUEST_ID]) is not str:
        return False
    face = payload.get(_FACE)
    if face is None:
        return True
    if type(face) is not dict:
        return False
    if not face:
        return True
    if face.keys() != _FACE_KEYS:
        return False
    rect = face[_RECTANGLE]
    if type(rect) is not dict or rect.keys() != _RECT:
        return False
    rect_values = _RECT_VALUES(rect)
    # position, then size (facts order): only the size must be >= 0
    if set(map(type, rect_values)) != _INT or min(rect_values[2:]) < 0:
        return False
    landmark = face[_LANDMARK]
    if type(landmark) is not dict or not landmark or not landmark.keys() <= _PART_NAMES:
        return False
    groups = []
    for name, part in landmark.items():
        spec = _PARTS[name]
        if type(part) is not dict or part.keys() != spec.keys:
            return False
        groups.append(spec.points(part))
        for key in spec.radii:
            radius = part[key]
            if type(radius) is not int or radius < 0:
                return False
    return points_ok(list(chain.from_iterable(groups)), _X, _Y)


def _fast_part(name: str) -> Callable[[object], bool]:
    spec = _PARTS[name]

    def check(part: object) -> bool:
        if type(part) is not dict or part.keys() != spec.keys:
            return False
        for key in spec.radii:
            radius = part[key]
            if type(radius) is not int or radius < 0:
                return False
        return points_ok(list(spec.points(part)), _X, _Y)

    return check


#: The slow pass's shortcuts in the success schema: a part the fast check vouches for is not
#: walked, so one bad key in a full body does not cost a walk over every point.
_SHORTCUTS: Mapping[str, Callable[[object], bool]] = {
    f"#/$defs/part_{name}": _fast_part(name) for name in facepp.ALL_PARTS
}


# --------------------------------------------------------------------------- bounds


def _bounds(payload: object, size: tuple[int, int]) -> Iterator[Violation]:
    face = payload.get(_FACE) if isinstance(payload, dict) else None
    landmark = face.get(_LANDMARK) if isinstance(face, dict) else None
    if not isinstance(landmark, dict):
        return
    width, height = size
    for name, part in landmark.items():
        if not isinstance(part, dict):
            continue
        for key, point in part.items():
            problem = point_outside(point, _X_NAME, _Y_NAME, width, height)
            if problem:
                yield violation_at([_FACE, _LANDMARK, name, key], problem)


def _success_extras(
    payload: object,
    fast_ok: bool,
    image_size: tuple[int, int] | None,
    profile: PointCounts | None,
    check_bounds: bool,
) -> Iterable[Violation]:
    """Points inside the image, when its size is given (a Face++ answer does not state it);
    ``profile`` and ``check_bounds`` do not apply to Face++."""
    return () if image_size is None else _bounds(payload, image_size)


# --------------------------------------------------------------------------- the rules


def _detect(payload: dict[Any, Any]) -> str | None:
    """``facepp-error`` with ``error_message``; ``facepp`` with ``time_used``, ``request_id``
    or ``face``; else ``None``."""
    if _ERROR_MESSAGE in payload:
        return ERROR
    if _FACE in payload or _TIME_USED in payload or _REQUEST_ID in payload:
        return SUCCESS
    return None


#: The Face++ payload rules the registry hands to the core.
RULES = PackagedPayloads(
    package=__package__ or "pytest_densemark.vendors.facepp",
    success=SUCCESS,
    error=ERROR,
    detect=_detect,
    # Face++ bodies are told by loose top-level fields: asked after envelope vendors.
    detect_rank=10,
    shape_hint=f"a Face++ body ({_TIME_USED}, {_REQUEST_ID}, {_FACE} or {_ERROR_MESSAGE})",
    fast_success=fast_success,
    success_shortcuts=_SHORTCUTS,
    success_extras=_success_extras,
)
