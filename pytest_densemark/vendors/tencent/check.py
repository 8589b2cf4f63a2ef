"""Tencent payload rules: the two kinds, how to tell them, the fast check and the checks
JSON Schema cannot express (points per face, per-list counts under a profile, image bounds).

:data:`RULES` is the vendor's ``payloads`` concern, a
:class:`~pytest_densemark.validation.PackagedPayloads`. The fast check is written by hand from the
vendor facts and returns ``True`` only when an envelope is certainly valid under the schema
and within :data:`~pytest_densemark.tencent.MAX_POINTS_PER_FACE` points per face; anything
else goes to the slow pass, which decides and explains. The schema builders, strategies and
drawing are imported only when first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from pytest_densemark import tencent
from pytest_densemark._schema_walk import Segment
from pytest_densemark.validation import (
    PackagedPayloads,
    PointCounts,
    Violation,
    is_json_int,
    point_outside,
    points_ok,
    violation_at,
)

if TYPE_CHECKING:
    pass

__all__ = ["ERROR", "RULES", "SUCCESS"]

#: The kind of an AnalyzeDenseLandmarks success envelope, and of the API 3.0 error envelope.
SUCCESS, ERROR = "tencent", "tencent-error"

# Field names, from the vendor facts.
_ENVELOPE = tencent.ENVELOPE
_ERROR = tencent.ERROR_RESPONSE_FIELDS[0]
_WIDTH, _HEIGHT, _SHAPES, _MODEL_VERSION, _REQUEST_ID = tencent.RESPONSE_FIELDS
_X_NAME, _Y_NAME = tencent.POINT_FIELDS


# --------------------------------------------------------------------------- fast check

_INT = frozenset({int})
_LIST = frozenset({list})
_TOP = frozenset({_ENVELOPE})
_FIELDS = frozenset(tencent.RESPONSE_FIELDS)
_SHAPE = frozenset((*tencent.FACE_BOX_FIELDS, *tencent.POINT_LISTS))
_BOX = itemgetter(*tencent.FACE_BOX_FIELDS)
_LISTS = itemgetter(*tencent.POINT_LISTS)
_X, _Y = itemgetter(_X_NAME), itemgetter(_Y_NAME)
_MODEL_VERSIONS = frozenset(tencent.FACE_MODEL_VERSIONS)


def fast_success(payload: object) -> bool:
    """``True`` only when ``payload`` is certainly a valid success envelope (see the module)."""
    if type(payload) is not dict or payload.keys() != _TOP:
        return False
    response = payload[_ENVELOPE]
    if type(response) is not dict or response.keys() != _FIELDS:
        return False
    width, height = response[_WIDTH], response[_HEIGHT]
    if type(width) is not int or type(height) is not int or width < 0 or height < 0:
        return False
    version = response[_MODEL_VERSION]
    if type(version) is not str or version not in _MODEL_VERSIONS:
        return False
    if type(response[_REQUEST_ID]) is not str:
        return False
    faces = response[_SHAPES]
    if type(faces) is not list or len(faces) > tencent.MAX_FACES:
        return False
    groups = []
    for face in faces:
        if type(face) is not dict or face.keys() != _SHAPE:
            return False
        box = _BOX(face)
        if set(map(type, box)) != _INT or min(box[2:]) < 0:  # position, then size
            return False
        lists = _LISTS(face)
        if set(map(type, lists)) != _LIST:
            return False
        if sum(map(len, lists)) > tencent.MAX_POINTS_PER_FACE:
            return False
        groups.extend(lists)
    return points_ok(list(chain.from_iterable(groups)), _X, _Y)


def _fast_point_list(points: object) -> bool:
    return (
        type(points) is list
        and len(points) <= tencent.MAX_POINTS_PER_FACE
        and points_ok(points, _X, _Y)
    )


#: The slow pass's shortcut in the success schema: a point list the fast check vouches for
#: is not walked point by point.
_SHORTCUTS: Mapping[str, Callable[[object], bool]] = {"#/$defs/point_list": _fast_point_list}


# --------------------------------------------------------------------------- extra checks


def _checks(
    payload: object,
    profile: PointCounts | None,
    size: tuple[int, int] | None,
    check_bounds: bool,
) -> Iterator[Violation]:
    response = payload.get(_ENVELOPE) if isinstance(payload, dict) else None
    if not isinstance(response, dict):
        return
    bounds: tuple[int, int] | None = None
    reported = (response.get(_WIDTH), response.get(_HEIGHT))
    if size is not None:
        bounds = size
        for field_name, got, expected in zip((_WIDTH, _HEIGHT), reported, size, strict=True):
            if is_json_int(got) and got != expected:
                yield violation_at(
                    [_ENVELOPE, field_name], f"{got}, but the image is {size[0]}x{size[1]}"
                )
    elif check_bounds and is_json_int(reported[0]) and is_json_int(reported[1]):
        bounds = (int(reported[0]), int(reported[1]))  # type: ignore[arg-type]
    faces = response.get(_SHAPES)
    if not isinstance(faces, list):
        return
    for index, face in enumerate(faces):
        if not isinstance(face, dict):
            continue
        where: list[Segment] = [_ENVELOPE, _SHAPES, index]
        lists: dict[str, list[Any]] = {}
        for name in tencent.POINT_LISTS:
            points = face.get(name)
            if isinstance(points, list):
                lists[name] = points
        total = sum(len(points) for points in lists.values())
        if total > tencent.MAX_POINTS_PER_FACE:
            yield violation_at(
                where, f"{total} points, at most {tencent.MAX_POINTS_PER_FACE} per face"
            )
        for name, points in lists.items():
            if profile is not None and len(points) != profile.counts[name]:
                yield violation_at(
                    [*where, name],
                    f"{len(points)} points, profile {profile.name!r}"
                    f" expects {profile.counts[name]}",
                )
            if bounds is not None:
                for number, point in enumerate(points):
                    problem = point_outside(point, _X_NAME, _Y_NAME, *bounds)
                    if problem:
                        yield violation_at([*where, name, number], problem)


def _success_extras(
    payload: object,
    fast_ok: bool,
    image_size: tuple[int, int] | None,
    profile: PointCounts | None,
    check_bounds: bool,
) -> Iterable[Violation]:
    """The points-per-face total (unless the fast check vouched for it), per-list counts
    under ``profile``, and bounds (``image_size``, or the size reported with
    ``check_bounds``)."""
    if fast_ok and profile is None and image_size is None and not check_bounds:
        return ()
    return _checks(payload, profile, image_size, check_bounds)


# --------------------------------------------------------------------------- the rules


def _detect(payload: dict[Any, Any]) -> str | None:
    """``tencent-error`` for ``{"Response": {"Error": ...}}``, ``tencent`` for any other
    ``{"Response": ...}``; else ``None``."""
    if _ENVELOPE in payload:
        response = payload[_ENVELOPE]
        if isinstance(response, dict) and _ERROR in response:
            return ERROR
        return SUCCESS
    return None


#: The Tencent payload rules the registry hands to the core.
RULES = PackagedPayloads(
    package=__package__ or "pytest_densemark.vendors.tencent",
    success=SUCCESS,
    error=ERROR,
    detect=_detect,
    # Tencent payloads are told by their envelope key: asked before loose-field vendors.
    detect_rank=0,
    shape_hint=f'a Tencent {{"{_ENVELOPE}": ...}} envelope',
    fast_success=fast_success,
    success_shortcuts=_SHORTCUTS,
    success_extras=_success_extras,
)
