"""Validate Face++ and Tencent dense-landmark payloads, fast, with readable violations.

:func:`validate` answers with a :class:`ValidationResult` that is truthy when the payload is
valid and otherwise lists every :class:`Violation` with its JSON path::

    >>> result = validate(body)                      # kind detected from the payload's shape
    >>> if not result:
    ...     print("\\n".join(map(str, result.violations)))
    face.landmark.nose: missing key nose_midline_59

How it works: a hand-specialised check written from the vendor facts runs first. It only
uses C-level set comparisons of key sets and ``type(v) is int`` style checks, so a valid full
Face++ payload costs far less than parsing its JSON text. Only when that check fails does a
second, slower pass walk the payload against the shipped JSON Schema (the files in
``schemas/``) and collect every violation with its path. The verdict is therefore always the
JSON Schema verdict (a test compares it with ``jsonschema`` on thousands of payloads), plus
the checks JSON Schema cannot express:

* at most :data:`~pytest_densemark.tencent.MAX_POINTS_PER_FACE` points per Tencent face;
* per-list point counts, only when a :class:`~pytest_densemark.tencent.PointProfile` is passed
  (the vendor never published them);
* points inside the image, when asked: ``image_size=(width, height)`` for Face++ (the
  response does not carry it), ``check_bounds=True`` for Tencent (which reports the size).

JSON Schema's own rules apply: ``140.0`` is an integer (the same number as ``140``), ``true``
is not; a ``str`` subclass or ``StrEnum`` member in an ``enum`` position is the string it holds
(``jsonschema``'s equality); ``pattern`` is ECMA-262, where ``$`` is the end of the text and
``.`` matches no line terminator.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from pytest_densemark import facepp, tencent
from pytest_densemark._resources import data_dir

__all__ = [
    "KINDS",
    "ValidationResult",
    "Violation",
    "assert_valid",
    "detect_kind",
    "file_name",
    "load_schema",
    "schema_path",
    "validate",
]

#: The payload kinds that have a schema, in a stable order.
KINDS: tuple[str, ...] = ("facepp", "facepp-error", "tencent", "tencent-error")
#: ``kind`` reported when ``kind="auto"`` cannot tell what the payload is.
UNKNOWN = "unknown"
#: At most this many violations are listed in an :func:`assert_valid` failure.
_ASSERT_LISTED = 50


@dataclass(frozen=True)
class Violation:
    """One reason a payload is invalid: where (a JSON path) and what is wrong."""

    #: Dotted JSON path, ``[i]`` for array items, ``""`` for the payload itself.
    path: str
    #: Plain-English description of the problem.
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


@dataclass(frozen=True)
class ValidationResult:
    """The verdict on one payload: truthy when valid, else every violation."""

    #: The payload kind checked: ``facepp``, ``facepp-error``, ``tencent``, ``tencent-error``
    #: (or ``unknown`` when ``kind="auto"`` could not tell).
    kind: str
    #: Every problem found, each with its JSON path; empty when the payload is valid.
    violations: list[Violation] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when there is no violation."""
        return not self.violations

    def __bool__(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        if not self.violations:
            return f"valid {self.kind} payload"
        count = len(self.violations)
        lines = [f"invalid {self.kind} payload: {count} violation{'s' if count != 1 else ''}"]
        lines.extend(f"  {v}" for v in self.violations[:_ASSERT_LISTED])
        if count > _ASSERT_LISTED:
            lines.append(f"  ... and {count - _ASSERT_LISTED} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: kind, valid and the violations as path/message objects."""
        return {
            "kind": self.kind,
            "valid": self.valid,
            "violations": [{"path": v.path, "message": v.message} for v in self.violations],
        }


# --------------------------------------------------------------------------- schemas


def file_name(kind: str) -> str:
    """The file name of the schema for ``kind`` inside ``schemas/``."""
    if kind not in KINDS:
        raise ValueError(f"unknown payload kind {kind!r}; expected one of {', '.join(KINDS)}")
    return f"{kind}.schema.json"


def schema_path(kind: str) -> Path:
    """Where the shipped JSON Schema for ``kind`` lives (``schemas/<kind>.schema.json``)."""
    return data_dir("schemas") / file_name(kind)


@cache
def _schema_text(kind: str) -> str:
    return schema_path(kind).read_text(encoding="utf-8")


@cache
def _schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_schema_text(kind))
    _check_supported(schema, kind)
    return schema


def load_schema(kind: str) -> dict[str, Any]:
    """The shipped JSON Schema (draft 2020-12) for ``kind``, as a fresh dict."""
    loaded: dict[str, Any] = json.loads(_schema_text(kind))
    return loaded


# --------------------------------------------------------------------------- kinds

# Field names, from the vendor facts.
_TIME_USED, _REQUEST_ID, _FACE = facepp.SUCCESS_FIELDS
_ERROR_MESSAGE = next(name for name in facepp.ERROR_FIELDS if name not in facepp.SUCCESS_FIELDS)
_RECTANGLE, _LANDMARK = facepp.FACE_FIELDS
_ENVELOPE = tencent.ENVELOPE
_ERROR = tencent.ERROR_RESPONSE_FIELDS[0]
_WIDTH, _HEIGHT, _SHAPES, _MODEL_VERSION, _TENCENT_REQUEST_ID = tencent.RESPONSE_FIELDS


def detect_kind(payload: object) -> str:
    """Tell which kind of payload this is from its shape.

    ``{"Response": {"Error": ...}}`` is ``tencent-error``, any other ``{"Response": ...}`` is
    ``tencent``; an object with ``error_message`` is ``facepp-error``; one with ``time_used``,
    ``request_id`` or ``face`` is ``facepp``. Raises :class:`ValueError` otherwise.
    """
    if isinstance(payload, dict):
        if _ENVELOPE in payload:
            response = payload[_ENVELOPE]
            if isinstance(response, dict) and _ERROR in response:
                return "tencent-error"
            return "tencent"
        if _ERROR_MESSAGE in payload:
            return "facepp-error"
        if _FACE in payload or _TIME_USED in payload or _REQUEST_ID in payload:
            return "facepp"
    raise ValueError(
        f"cannot tell what this payload is ({_describe(payload)}): expected a Face++ body"
        ' (time_used, request_id, face or error_message) or a Tencent {"Response": ...}'
        " envelope; pass kind= explicitly"
    )


# --------------------------------------------------------------------------- fast path
# Each fast check returns True only when the payload is certainly valid under the schema
# (and, for Tencent, within the points-per-face total). False means "look closer": the slow
# pass decides and explains. Exact types (``type(v) is int``) keep the happy path cheap;
# anything unusual (bool, 140.0, dict subclasses) simply falls through to the slow pass.

_DICT = frozenset({dict})
_INT = frozenset({int})
_LIST = frozenset({list})


@dataclass(frozen=True)
class _PartSpec:
    keys: frozenset[str]
    #: The part's point values (all its values when it has no radius).
    points: Callable[[dict[str, Any]], Iterable[Any]]
    radii: tuple[str, ...]


_FACEPP_PARTS: dict[str, _PartSpec] = {
    part.name: _PartSpec(
        frozenset(part.keys),
        itemgetter(*part.point_keys) if part.radii else dict.values,
        part.radii,
    )
    for part in facepp.PARTS.values()
}
_FACEPP_PART_NAMES = frozenset(_FACEPP_PARTS)
_FACEPP_TOP_FULL = frozenset(facepp.SUCCESS_FIELDS)
_FACEPP_TOP_BARE = frozenset({_TIME_USED, _REQUEST_ID})
_FACEPP_FACE = frozenset(facepp.FACE_FIELDS)
_FACEPP_RECT = frozenset(facepp.FACE_RECTANGLE_FIELDS)
_FACEPP_RECT_VALUES = itemgetter(*facepp.FACE_RECTANGLE_FIELDS)
_FACEPP_X_NAME, _FACEPP_Y_NAME = facepp.POINT_FIELDS
_FACEPP_X, _FACEPP_Y = itemgetter(_FACEPP_X_NAME), itemgetter(_FACEPP_Y_NAME)


def _points_ok(
    points: list[Any], first: Callable[[Any], Any], second: Callable[[Any], Any]
) -> bool:
    """Every item is a dict of exactly two integer coordinates, read by ``first``/``second``."""
    if not points:
        return True
    try:
        return (
            set(map(type, points)) == _DICT
            and sum(map(len, points)) == 2 * len(points)
            # both coordinates present in every (2-key) point: no other key fits
            and set(map(type, map(first, points))) == _INT
            and set(map(type, map(second, points))) == _INT
        )
    except KeyError:
        return False


def _fast_facepp(payload: object) -> bool:
    if type(payload) is not dict:
        return False
    size = len(payload)
    keys = payload.keys()
    if not ((size == 3 and keys == _FACEPP_TOP_FULL) or (size == 2 and keys == _FACEPP_TOP_BARE)):
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
    if face.keys() != _FACEPP_FACE:
        return False
    rect = face[_RECTANGLE]
    if type(rect) is not dict or rect.keys() != _FACEPP_RECT:
        return False
    rect_values = _FACEPP_RECT_VALUES(rect)
    # position, then size (facts order): only the size must be >= 0
    if set(map(type, rect_values)) != _INT or min(rect_values[2:]) < 0:
        return False
    landmark = face[_LANDMARK]
    if type(landmark) is not dict or not landmark or not landmark.keys() <= _FACEPP_PART_NAMES:
        return False
    groups = []
    for name, part in landmark.items():
        spec = _FACEPP_PARTS[name]
        if type(part) is not dict or part.keys() != spec.keys:
            return False
        groups.append(spec.points(part))
        for key in spec.radii:
            radius = part[key]
            if type(radius) is not int or radius < 0:
                return False
    return _points_ok(list(chain.from_iterable(groups)), _FACEPP_X, _FACEPP_Y)


_TENCENT_TOP = frozenset({_ENVELOPE})
_TENCENT_FIELDS = frozenset(tencent.RESPONSE_FIELDS)
_TENCENT_SHAPE = frozenset((*tencent.FACE_BOX_FIELDS, *tencent.POINT_LISTS))
_TENCENT_BOX = itemgetter(*tencent.FACE_BOX_FIELDS)
_TENCENT_LISTS = itemgetter(*tencent.POINT_LISTS)
_TENCENT_X_NAME, _TENCENT_Y_NAME = tencent.POINT_FIELDS
_TENCENT_X, _TENCENT_Y = itemgetter(_TENCENT_X_NAME), itemgetter(_TENCENT_Y_NAME)
_TENCENT_MODEL_VERSIONS = frozenset(tencent.FACE_MODEL_VERSIONS)


def _fast_tencent(payload: object) -> bool:
    if type(payload) is not dict or payload.keys() != _TENCENT_TOP:
        return False
    response = payload[_ENVELOPE]
    if type(response) is not dict or response.keys() != _TENCENT_FIELDS:
        return False
    width, height = response[_WIDTH], response[_HEIGHT]
    if type(width) is not int or type(height) is not int or width < 0 or height < 0:
        return False
    version = response[_MODEL_VERSION]
    if type(version) is not str or version not in _TENCENT_MODEL_VERSIONS:
        return False
    if type(response[_TENCENT_REQUEST_ID]) is not str:
        return False
    faces = response[_SHAPES]
    if type(faces) is not list or len(faces) > tencent.MAX_FACES:
        return False
    groups = []
    for face in faces:
        if type(face) is not dict or face.keys() != _TENCENT_SHAPE:
            return False
        box = _TENCENT_BOX(face)
        if set(map(type, box)) != _INT or min(box[2:]) < 0:  # position, then size
            return False
        lists = _TENCENT_LISTS(face)
        if set(map(type, lists)) != _LIST:
            return False
        if sum(map(len, lists)) > tencent.MAX_POINTS_PER_FACE:
            return False
        groups.extend(lists)
    return _points_ok(list(chain.from_iterable(groups)), _TENCENT_X, _TENCENT_Y)


_FAST: dict[str, Callable[[object], bool]] = {"facepp": _fast_facepp, "tencent": _fast_tencent}


def _fast_facepp_part(name: str) -> Callable[[object], bool]:
    spec = _FACEPP_PARTS[name]

    def check(part: object) -> bool:
        if type(part) is not dict or part.keys() != spec.keys:
            return False
        for key in spec.radii:
            radius = part[key]
            if type(radius) is not int or radius < 0:
                return False
        return _points_ok(list(spec.points(part)), _FACEPP_X, _FACEPP_Y)

    return check


def _fast_point_list(points: object) -> bool:
    return (
        type(points) is list
        and len(points) <= tencent.MAX_POINTS_PER_FACE
        and _points_ok(points, _TENCENT_X, _TENCENT_Y)
    )


#: Shortcuts for the slow pass: a ``$ref`` target whose value passes the fast check needs no
#: walk, so one bad key in a big payload does not cost a walk over every point.
_SHORTCUTS: dict[str, Callable[[object], bool]] = {
    **{f"#/$defs/part_{name}": _fast_facepp_part(name) for name in facepp.ALL_PARTS},
    "#/$defs/point_list": _fast_point_list,
}


# --------------------------------------------------------------------------- slow path
# A small interpreter for the subset of JSON Schema the shipped schemas use, with JSON
# Schema's semantics (as implemented by ``jsonschema``) and plain-English messages.

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})
_SUPPORTED = _ANNOTATIONS | {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "dependentRequired",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "minProperties",
    "enum",
    "pattern",
}

Segment = str | int


def _check_supported(schema: object, kind: str) -> None:
    """Refuse a schema using keywords the slow pass does not implement."""
    if isinstance(schema, dict):
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise RuntimeError(
                f"schema {kind}: keywords {sorted(unknown)} are not implemented by the validator"
            )
        for key, value in schema.items():
            if key in ("properties", "$defs", "dependentRequired"):
                for sub in value.values():
                    _check_supported(sub, kind)
            elif key in ("items", "additionalProperties"):
                _check_supported(value, kind)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _render_path(path: Iterable[Segment]) -> str:
    out = []
    for segment in path:
        if isinstance(segment, int):
            out.append(f"[{segment}]")
        elif _IDENTIFIER.fullmatch(segment):
            out.append(f".{segment}" if out else segment)
        else:
            out.append(f"[{json.dumps(segment)}]")
    return "".join(out)


def _number_text(value: int | float) -> str:
    """``repr(value)``, or its size for an integer too long for Python to print."""
    try:
        return repr(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        assert isinstance(value, int)
        digits = int(abs(value).bit_length() * math.log10(2)) + 1
        return f"{'-' if value < 0 else ''}<integer of about {digits} digits>"


def _short(value: object) -> str:
    if isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _number_text(value)
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _key_text(key: object) -> str:
    """A key as reports show it: as it is when printable, else JSON-escaped."""
    if isinstance(key, str):
        return key if key.isprintable() else json.dumps(key)
    return repr(key)


def _describe(value: object) -> str:
    """A JSON-flavoured description of a value: ``a string ("3")``, ``null``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({_short(value)})"
    if isinstance(value, float):
        return f"a float ({value!r})"
    if isinstance(value, str):
        return f"a string ({_short(value)})"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return f"an object with {len(value)} keys"
    return f"a {type(value).__name__}"


def _is_type(value: object, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    raise RuntimeError(f"unsupported JSON Schema type {name!r}")


def _json_equal(one: object, two: object) -> bool:
    """JSON equality as ``jsonschema`` has it for ``enum``: ``true`` is not ``1``, ``1.0`` is
    ``1``, a ``str`` subclass (a ``StrEnum`` member) equals the same text."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(_json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


# ECMA-262 (JSON Schema's regular expressions) against Python's ``re``, outside brackets:
# ``$`` is the end of the text only (Python's also matches before a final newline) and ``.``
# matches no line terminator (Python's matches CR, U+2028 and U+2029).
_ECMA_TRANSLATIONS = {"$": r"(?![\s\S])", ".": r"[^\n\r\u2028\u2029]"}


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 ``pattern`` so that Python's ``search`` gives ECMA's answer for
    anchors and ``.`` (the shipped schemas use nothing else that differs)."""
    out = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in _ECMA_TRANSLATIONS:
            out.append(_ECMA_TRANSLATIONS[char])
            continue
        out.append(char)
    return re.compile("".join(out))


_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer", "null": "null"}


class _Walker:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.violations: list[Violation] = []

    def fail(self, path: list[Segment], message: str) -> None:
        self.violations.append(Violation(_render_path(path), message))

    def resolve(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/$defs/"):
            raise RuntimeError(f"unsupported $ref {ref!r}")
        resolved: dict[str, Any] = self.root["$defs"][ref[len("#/$defs/") :]]
        return resolved

    def walk(self, value: object, schema: dict[str, Any], path: list[Segment]) -> None:
        ref = schema.get("$ref")
        if ref is not None:
            shortcut = _SHORTCUTS.get(ref)
            if shortcut is None or not shortcut(value):
                self.walk(value, self.resolve(ref), path)
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if not any(_is_type(value, name) for name in names):
                wanted = " or ".join(_ARTICLE.get(n, f"a {n}") for n in names)
                self.fail(path, f"expected {wanted}, got {_describe(value)}")
                return
        if "enum" in schema and not any(_json_equal(option, value) for option in schema["enum"]):
            options = schema["enum"]
            shown = ", ".join(json.dumps(o) for o in options[:3])
            more = f" (one of {len(options)} documented values)" if len(options) > 3 else ""
            self.fail(path, f"{_short(value)} is not one of {shown}{more}")
        if isinstance(value, dict):
            self.walk_object(value, schema, path)
        elif isinstance(value, list):
            self.walk_array(value, schema, path)
        elif isinstance(value, str):
            pattern = schema.get("pattern")
            if pattern is not None and not _ecma_regex(pattern).search(value):
                self.fail(path, f"{_short(value)} is not a documented value")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            minimum = schema.get("minimum")
            if minimum is not None and (
                (isinstance(value, float) and math.isnan(value)) or value < minimum
            ):
                self.fail(path, f"{_short(value)} is below the minimum {minimum}")

    def walk_object(
        self, value: dict[Any, Any], schema: dict[str, Any], path: list[Segment]
    ) -> None:
        properties: dict[str, Any] = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                self.fail(path, f"missing key {key}")
        for key, needs in schema.get("dependentRequired", {}).items():
            if key in value:
                for other in needs:
                    if other not in value:
                        self.fail(path, f"missing key {other} (required with {key})")
        minimum = schema.get("minProperties")
        if minimum is not None and len(value) < minimum:
            self.fail(path, f"{len(value)} keys, at least {minimum} expected")
        additional = schema.get("additionalProperties", True)
        for key, item in value.items():
            sub = properties.get(key)
            if sub is not None:
                self.walk(item, sub, [*path, key])
            elif additional is False:
                self.fail(path, f"unexpected key {_key_text(key)}")
            elif isinstance(additional, dict):
                self.walk(item, additional, [*path, key])

    def walk_array(self, value: list[Any], schema: dict[str, Any], path: list[Segment]) -> None:
        maximum = schema.get("maxItems")
        if maximum is not None and len(value) > maximum:
            self.fail(path, f"{len(value)} items, at most {maximum} allowed")
        minimum = schema.get("minItems")
        if minimum is not None and len(value) < minimum:
            self.fail(path, f"{len(value)} items, at least {minimum} expected")
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(value):
                self.walk(item, items, [*path, index])


def _schema_violations(payload: object, kind: str) -> list[Violation]:
    """Every way ``payload`` breaks the shipped schema for ``kind`` (slow, thorough)."""
    schema = _schema(kind)
    walker = _Walker(schema)
    walker.walk(payload, schema, [])
    return walker.violations


# --------------------------------------------------------------------------- extra checks


def _is_int(value: object) -> bool:
    return _is_type(value, "integer")


def _outside(point: object, xkey: str, ykey: str, width: int, height: int) -> str | None:
    if not isinstance(point, dict):
        return None
    x, y = point.get(xkey), point.get(ykey)
    if not (_is_int(x) and _is_int(y)):
        return None
    assert isinstance(x, (int, float))
    assert isinstance(y, (int, float))
    if 0 <= x < width and 0 <= y < height:
        return None
    return f"point ({_coordinate(x)}, {_coordinate(y)}) lies outside the {width}x{height} image"


def _coordinate(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return _short(value)


def _facepp_bounds(payload: object, size: tuple[int, int]) -> Iterator[Violation]:
    face = payload.get(_FACE) if isinstance(payload, dict) else None
    landmark = face.get(_LANDMARK) if isinstance(face, dict) else None
    if not isinstance(landmark, dict):
        return
    width, height = size
    for name, part in landmark.items():
        if not isinstance(part, dict):
            continue
        for key, point in part.items():
            problem = _outside(point, _FACEPP_X_NAME, _FACEPP_Y_NAME, width, height)
            if problem:
                yield Violation(_render_path([_FACE, _LANDMARK, name, key]), problem)


def _tencent_checks(
    payload: object,
    profile: tencent.PointProfile | None,
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
            if _is_int(got) and got != expected:
                yield Violation(
                    _render_path([_ENVELOPE, field_name]),
                    f"{got}, but the image is {size[0]}x{size[1]}",
                )
    elif check_bounds and _is_int(reported[0]) and _is_int(reported[1]):
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
            yield Violation(
                _render_path(where),
                f"{total} points, at most {tencent.MAX_POINTS_PER_FACE} per face",
            )
        for name, points in lists.items():
            if profile is not None and len(points) != profile.counts[name]:
                yield Violation(
                    _render_path([*where, name]),
                    f"{len(points)} points, profile {profile.name!r}"
                    f" expects {profile.counts[name]}",
                )
            if bounds is not None:
                for number, point in enumerate(points):
                    problem = _outside(point, _TENCENT_X_NAME, _TENCENT_Y_NAME, *bounds)
                    if problem:
                        yield Violation(_render_path([*where, name, number]), problem)


# --------------------------------------------------------------------------- public API


def _image_size(size: object) -> tuple[int, int]:
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(type(n) is int and n > 0 for n in size)
    ):
        raise ValueError(
            f"image_size must be a (width, height) tuple of positive ints, got {size!r}"
        )
    return size[0], size[1]


def validate(
    payload: object,
    kind: str = "auto",
    *,
    image_size: tuple[int, int] | None = None,
    profile: tencent.PointProfile | None = None,
    check_bounds: bool = False,
) -> ValidationResult:
    """Check an already-parsed response body; return a :class:`ValidationResult`.

    ``kind`` is ``facepp``, ``facepp-error``, ``tencent``, ``tencent-error`` or ``auto`` (the
    default: see :func:`detect_kind`; an unrecognisable payload gives kind ``unknown`` and one
    violation). The result is truthy when the payload is valid; otherwise
    ``result.violations`` lists every problem with its JSON path.

    ``image_size=(width, height)`` also checks that every landmark lies inside the image
    (``0 <= x < width``, ``0 <= y < height``); for Tencent it is also compared with
    ``ImageWidth``/``ImageHeight``. ``check_bounds=True`` does the same for Tencent using the
    size the response reports. ``profile`` (Tencent only) checks each point list's length
    against a :class:`~pytest_densemark.tencent.PointProfile`; without it only the total (at
    most :data:`~pytest_densemark.tencent.MAX_POINTS_PER_FACE` points per face) is checked,
    since the vendor never published per-list counts. All three are ignored for error
    payloads; ``profile`` and ``check_bounds`` are ignored for Face++.

    Raises :class:`ValueError` for an unknown ``kind`` or an ``image_size`` that is not a
    pair of positive ints; an invalid payload never raises.
    """
    size = _image_size(image_size) if image_size is not None else None
    if kind == "auto":
        try:
            kind = detect_kind(payload)
        except ValueError as error:
            return ValidationResult(UNKNOWN, [Violation("", str(error))])
    elif kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected auto or one of {', '.join(KINDS)}")
    fast = _FAST.get(kind)
    fast_ok = fast is not None and fast(payload)
    violations = [] if fast_ok else _schema_violations(payload, kind)
    if kind == "tencent" and (not fast_ok or profile is not None or size or check_bounds):
        violations.extend(_tencent_checks(payload, profile, size, check_bounds))
    elif kind == "facepp" and size is not None:
        violations.extend(_facepp_bounds(payload, size))
    return ValidationResult(kind, violations)


def assert_valid(
    payload: object,
    kind: str = "auto",
    *,
    image_size: tuple[int, int] | None = None,
    profile: tencent.PointProfile | None = None,
    check_bounds: bool = False,
) -> ValidationResult:
    """Like :func:`validate`, but raise :class:`AssertionError` listing the violations.

    The message is ``str(result)``: the kind, the number of violations and the first 50 of
    them with their JSON paths. Returns the (valid) result so it can be inspected further.
    """
    result = validate(
        payload, kind, image_size=image_size, profile=profile, check_bounds=check_bounds
    )
    if not result:
        raise AssertionError(str(result))
    return result
