"""Validate dense-landmark payloads, fast, with readable violations.

:func:`validate` answers with a :class:`ValidationResult` that is truthy when the payload is
valid and otherwise lists every :class:`Violation` with its JSON path::

    >>> result = validate(body)                      # kind detected from the payload's shape
    >>> if not result:
    ...     print("\\n".join(map(str, result.violations)))
    face.landmark.nose: missing key nose_midline_59

How it works: each vendor's hand-specialised check, written from the vendor facts, runs
first. It only uses C-level set comparisons of key sets and ``type(v) is int`` style checks,
so a valid full Face++ payload costs far less than parsing its JSON text. Only when that check
fails does a second, slower pass walk the payload against the shipped JSON Schema (the files
in ``schemas/``; see :mod:`pytest_densemark._schema_walk`) and collect every violation with
its path. The verdict is therefore always the JSON Schema verdict (a test compares it with
``jsonschema`` on thousands of payloads), plus the checks JSON Schema cannot express, which
the vendor adds:

* at most :data:`~pytest_densemark.tencent.MAX_POINTS_PER_FACE` points per Tencent face;
* per-list point counts, only when a :class:`~pytest_densemark.tencent.PointProfile` is passed
  (the vendor never published them);
* points inside the image, when asked: ``image_size=(width, height)`` for Face++ (the
  response does not carry it), ``check_bounds=True`` for Tencent (which reports the size).

The payload kinds, their detection, fast checks and extra checks belong to the vendors: each
registered vendor's ``payloads`` concern is a :class:`PayloadRules` (``vendors/<name>/check.py``
for the kit's own), found through :mod:`pytest_densemark.vendors` and resolved once.

JSON Schema's own rules apply: ``140.0`` is an integer (the same number as ``140``), ``true``
is not; a ``str`` subclass or ``StrEnum`` member in an ``enum`` position is the string it holds
(``jsonschema``'s equality); ``pattern`` is ECMA-262, where ``$`` is the end of the text and
``.`` matches no line terminator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pytest_densemark import vendors
from pytest_densemark._schema_walk import (
    Segment,
    check_supported,
    describe,
    is_type,
    render_path,
    schema_problems,
    short,
)

if TYPE_CHECKING:  # each is the protocol of the core module that uses it
    from pytest_densemark.render import PayloadDrawing
    from pytest_densemark.strategies import VendorStrategies

__all__ = [
    "KINDS",
    "PackagedPayloads",
    "PayloadRules",
    "PointCounts",
    "SemanticCheck",
    "ValidationResult",
    "Violation",
    "assert_valid",
    "detect_kind",
    "file_name",
    "kinds",
    "load_schema",
    "payload_rules",
    "schema_path",
    "validate",
]

if TYPE_CHECKING:
    #: The payload kinds that have a schema, in a stable order (every registered vendor's
    #: :attr:`PayloadRules.kinds`, in registry order); read when asked for.
    KINDS: tuple[str, ...]

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


# --------------------------------------------------------------------------- the vendors' part


class PointCounts(Protocol):
    """Expected points per list, by list name (a vendor's point profile, such as
    :class:`pytest_densemark.tencent.PointProfile`)."""

    @property
    def name(self) -> str:
        """The profile's name, quoted in violations."""

    @property
    def counts(self) -> Mapping[str, int]:
        """Points per list, by the list's name in the payload."""


class SemanticCheck(Protocol):
    """A vendor's checks beyond its schema, for one kind: point totals, per-list counts,
    image bounds. Called after the schema verdict (``fast_ok``: the fast check vouched for
    the payload); yields nothing when there is nothing to add."""

    def __call__(
        self,
        payload: object,
        fast_ok: bool,
        image_size: tuple[int, int] | None,
        profile: PointCounts | None,
        check_bounds: bool,
    ) -> Iterable[Violation]:
        """The extra violations of ``payload`` (see :func:`validate` for the options)."""


class PayloadRules(Protocol):
    """What the core asks of a vendor about its payloads: the ``payloads`` concern.

    Validation uses the kinds, detection and checks; :mod:`pytest_densemark.schemas` the
    schema builders; :mod:`pytest_densemark.strategies` and :mod:`pytest_densemark.render`
    the objects behind :attr:`strategies` and :attr:`drawing` (each typed by the protocol of
    the module that calls it, and imported only when first asked for).
    """

    @property
    def kinds(self) -> tuple[str, ...]:
        """The vendor's payload kinds (``"facepp"``, ``"facepp-error"``), each with a schema
        file ``<kind>.schema.json`` in :attr:`schema_dir`."""

    @property
    def detect_rank(self) -> int:
        """When :meth:`detect` is asked, lowest first: a vendor recognising its payloads by
        an envelope key ranks before one going by loose top-level fields."""

    @property
    def shape_hint(self) -> str:
        """What the vendor's payloads look like, for the message when no vendor recognises a
        payload (``a Face++ body (time_used, ...)``)."""

    @property
    def schema_dir(self) -> Path:
        """The folder holding the vendor's schema files (the kit's own: ``schemas/``)."""

    def detect(self, payload: dict[Any, Any]) -> str | None:
        """The kind of ``payload`` (a dict), or ``None`` when it is not this vendor's."""

    def fast_check(self, kind: str) -> Callable[[object], bool] | None:
        """A check returning ``True`` only when a payload is certainly valid under the schema
        of ``kind`` (and the extra checks' defaults); ``False`` sends it to the slow pass."""

    def ref_shortcuts(self, kind: str) -> Mapping[str, Callable[[object], bool]]:
        """Fast checks for ``$ref`` targets of the schema of ``kind`` (``"#/$defs/..."``): a
        value one vouches for is not walked by the slow pass."""

    def semantic_check(self, kind: str) -> SemanticCheck | None:
        """The checks beyond the schema of ``kind``, or ``None`` when there are none."""

    def build_schema(self, kind: str) -> dict[str, Any]:
        """Generate the JSON Schema of ``kind`` from the vendor facts."""

    @property
    def strategies(self) -> VendorStrategies:
        """The vendor's Hypothesis strategies (:mod:`pytest_densemark.strategies`' protocol)."""

    @property
    def drawing(self) -> PayloadDrawing:
        """How to draw the vendor's payloads (:mod:`pytest_densemark.render`'s protocol)."""


class PackagedPayloads:
    """A ready :class:`PayloadRules` for a vendor whose payloads come in two kinds, a success
    and an error, and whose package holds the rest: ``<package>.schema.build(kind)``,
    ``<package>.strategies.STRATEGIES`` and ``<package>.drawing.DRAWING``, each imported
    when first asked for.

    ``detect`` tells a payload's kind (``None``: not this vendor's); ``detect_rank`` and
    ``shape_hint`` are :class:`PayloadRules`'. The success kind may have a hand-written
    ``fast_success`` check, ``success_shortcuts`` for its schema's ``$ref`` targets and
    ``success_extras`` beyond the schema; error bodies always take the schema walk.
    ``schema_dir`` defaults to the kit's own ``schemas/``.
    """

    def __init__(
        self,
        *,
        package: str,
        success: str,
        error: str,
        detect: Callable[[dict[Any, Any]], str | None],
        detect_rank: int,
        shape_hint: str,
        fast_success: Callable[[object], bool] | None = None,
        success_shortcuts: Mapping[str, Callable[[object], bool]] | None = None,
        success_extras: SemanticCheck | None = None,
        schema_dir: Path | None = None,
    ) -> None:
        self.package = package
        self.success = success
        self.kinds: tuple[str, ...] = (success, error)
        self._detect = detect
        self.detect_rank = detect_rank
        self.shape_hint = shape_hint
        self._fast_success = fast_success
        self._success_shortcuts = success_shortcuts or {}
        self._success_extras = success_extras
        self._schema_dir = schema_dir

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.package} kinds={self.kinds}>"

    @property
    def schema_dir(self) -> Path:
        """The folder of the vendor's schema files (the kit's ``schemas/`` unless given)."""
        if self._schema_dir is not None:
            return self._schema_dir
        from pytest_densemark._resources import data_dir

        return data_dir("schemas")

    def detect(self, payload: dict[Any, Any]) -> str | None:
        """The kind of ``payload``, by the vendor's ``detect``."""
        return self._detect(payload)

    def fast_check(self, kind: str) -> Callable[[object], bool] | None:
        """The success kind's hand-written check; none for the error kind."""
        return self._fast_success if kind == self.success else None

    def ref_shortcuts(self, kind: str) -> Mapping[str, Callable[[object], bool]]:
        """The success schema's ``$ref`` shortcuts; none for the error kind."""
        return self._success_shortcuts if kind == self.success else {}

    def semantic_check(self, kind: str) -> SemanticCheck | None:
        """The success kind's checks beyond its schema; none for the error kind."""
        return self._success_extras if kind == self.success else None

    def build_schema(self, kind: str) -> dict[str, Any]:
        """The schema of ``kind``, from ``<package>.schema.build``."""
        built: dict[str, Any] = import_module(f"{self.package}.schema").build(kind)
        return built

    @property
    def strategies(self) -> VendorStrategies:
        """``<package>.strategies.STRATEGIES``."""
        found: VendorStrategies = import_module(f"{self.package}.strategies").STRATEGIES
        return found

    @property
    def drawing(self) -> PayloadDrawing:
        """``<package>.drawing.DRAWING``."""
        found: PayloadDrawing = import_module(f"{self.package}.drawing").DRAWING
        return found


def payload_rules() -> list[PayloadRules]:
    """Every registered vendor's payload rules, in registry order (vendors without any are
    left out)."""
    found = []
    for vendor in vendors.all_vendors():
        try:
            rules: PayloadRules = vendor.payloads
        except NotImplementedError:
            continue
        found.append(rules)
    return found


def or_list(items: list[str]) -> str:
    """``items`` as a sentence lists alternatives: ``a``, ``a or b``, ``a, b or c``."""
    return " or ".join(filter(None, (", ".join(items[:-1]), items[-1]))) if items else "nothing"


@dataclass(frozen=True)
class _Kind:
    """One kind's checks, resolved once: the fast check is called directly."""

    rules: PayloadRules
    fast: Callable[[object], bool] | None
    semantic: SemanticCheck | None


class _Table:
    """The registry's payload rules, resolved: kinds, checks and detectors."""

    def __init__(self, key: tuple[vendors.Vendor, ...]) -> None:
        self.key = key
        every = payload_rules()
        self.kinds: tuple[str, ...] = tuple(kind for rules in every for kind in rules.kinds)
        self.by_kind = {
            kind: _Kind(rules, rules.fast_check(kind), rules.semantic_check(kind))
            for rules in every
            for kind in rules.kinds
        }
        ranked = sorted(every, key=lambda rules: rules.detect_rank)  # stable: registry order
        self.detectors = tuple(rules.detect for rules in ranked)
        self.expected = or_list([rules.shape_hint for rules in every])


_table: _Table | None = None


def _current() -> _Table:
    """The resolved rules, rebuilt only when the registry has changed."""
    global _table
    key = tuple(map(vendors.get, vendors.names()))
    table = _table
    if table is None or table.key != key:
        table = _table = _Table(key)
    return table


def kinds() -> tuple[str, ...]:
    """Every payload kind that has a schema, in a stable order (the registered vendors')."""
    return _current().kinds


if not TYPE_CHECKING:  # mypy sees the declaration above

    def __getattr__(name: str) -> Any:
        """:data:`KINDS`, read from the registry when asked for."""
        if name == "KINDS":
            return kinds()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- schemas


def file_name(kind: str) -> str:
    """The file name of the schema for ``kind`` inside ``schemas/``."""
    known = kinds()
    if kind not in known:
        raise ValueError(f"unknown payload kind {kind!r}; expected one of {', '.join(known)}")
    return f"{kind}.schema.json"


def schema_path(kind: str) -> Path:
    """Where the shipped JSON Schema for ``kind`` lives (``schemas/<kind>.schema.json``)."""
    name = file_name(kind)
    return _current().by_kind[kind].rules.schema_dir / name


# Cached by file, not by kind: a vendor registered again may ship its schemas elsewhere.
@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _parsed(path: Path, kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_read(path))
    check_supported(schema, kind)
    return schema


def _schema(kind: str) -> dict[str, Any]:
    return _parsed(schema_path(kind), kind)


def load_schema(kind: str) -> dict[str, Any]:
    """The shipped JSON Schema (draft 2020-12) for ``kind``, as a fresh dict."""
    loaded: dict[str, Any] = json.loads(_read(schema_path(kind)))
    return loaded


# --------------------------------------------------------------------------- kinds


def _detect(payload: object, table: _Table) -> str:
    if isinstance(payload, dict):
        for detect in table.detectors:
            kind = detect(payload)
            if kind is not None:
                return kind
    raise ValueError(
        f"cannot tell what this payload is ({describe(payload)}): expected {table.expected};"
        " pass kind= explicitly"
    )


def detect_kind(payload: object) -> str:
    """Tell which kind of payload this is from its shape.

    ``{"Response": {"Error": ...}}`` is ``tencent-error``, any other ``{"Response": ...}`` is
    ``tencent``; an object with ``error_message`` is ``facepp-error``; one with ``time_used``,
    ``request_id`` or ``face`` is ``facepp``. Raises :class:`ValueError` otherwise.
    (Each vendor's :meth:`PayloadRules.detect` decides, in :attr:`~PayloadRules.detect_rank`
    order.)
    """
    return _detect(payload, _current())


def _schema_violations(payload: object, kind: str) -> list[Violation]:
    """Every way ``payload`` breaks the shipped schema for ``kind`` (slow, thorough)."""
    shortcuts = _current().by_kind[kind].rules.ref_shortcuts(kind)
    return [Violation(*problem) for problem in schema_problems(payload, _schema(kind), shortcuts)]


# --------------------------------------------------------------------------- vendor helpers
# Shared by the vendors' fast and extra checks.

_DICT = frozenset({dict})
_INT = frozenset({int})


def points_ok(points: list[Any], first: Callable[[Any], Any], second: Callable[[Any], Any]) -> bool:
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


def is_json_int(value: object) -> bool:
    """Whether ``value`` is a JSON Schema integer (``140.0`` is, ``true`` is not)."""
    return is_type(value, "integer")


def point_outside(point: object, xkey: str, ykey: str, width: int, height: int) -> str | None:
    """Why ``point`` (a dict of coordinates under ``xkey`` and ``ykey``) lies outside a
    ``width`` x ``height`` image, or ``None`` when it is inside or not a point at all."""
    if not isinstance(point, dict):
        return None
    x, y = point.get(xkey), point.get(ykey)
    if not (is_json_int(x) and is_json_int(y)):
        return None
    assert isinstance(x, (int, float))
    assert isinstance(y, (int, float))
    if 0 <= x < width and 0 <= y < height:
        return None
    return f"point ({_coordinate(x)}, {_coordinate(y)}) lies outside the {width}x{height} image"


def _coordinate(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return short(value)


def violation_at(path: Iterable[Segment], message: str) -> Violation:
    """A :class:`Violation` at the JSON path ``path`` (keys and indexes)."""
    return Violation(render_path(path), message)


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
    profile: PointCounts | None = None,
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
    table = _current()
    if kind == "auto":
        try:
            kind = _detect(payload, table)
        except ValueError as error:
            return ValidationResult(UNKNOWN, [Violation("", str(error))])
    rules = table.by_kind.get(kind) if isinstance(kind, str) else None
    if rules is None:
        raise ValueError(f"unknown kind {kind!r}; expected auto or one of {', '.join(table.kinds)}")
    fast = rules.fast
    fast_ok = fast is not None and fast(payload)
    violations = [] if fast_ok else _schema_violations(payload, kind)
    if rules.semantic is not None:
        violations.extend(rules.semantic(payload, fast_ok, size, profile, check_bounds))
    return ValidationResult(kind, violations)


def assert_valid(
    payload: object,
    kind: str = "auto",
    *,
    image_size: tuple[int, int] | None = None,
    profile: PointCounts | None = None,
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
