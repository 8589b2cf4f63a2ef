"""The slow, thorough pass of validation: walk a payload against a shipped JSON Schema.

A small interpreter for the subset of JSON Schema (draft 2020-12) the shipped schemas use,
with JSON Schema's semantics as ``jsonschema`` implements them, that reports every problem
with its JSON path in plain English. :mod:`pytest_densemark.validation` runs it only when a
vendor's fast check could not vouch for a payload; the small helpers that describe values
and render JSON paths are shared with the vendors' own checks through it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

__all__ = [
    "Segment",
    "check_supported",
    "describe",
    "ecma_regex",
    "is_type",
    "json_equal",
    "key_text",
    "render_path",
    "schema_problems",
    "short",
]

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

#: One step of a JSON path: an object key or an array index.
Segment = str | int


def check_supported(schema: object, kind: str) -> None:
    """Refuse a schema (of payload ``kind``) using keywords this interpreter lacks."""
    if isinstance(schema, dict):
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise RuntimeError(
                f"schema {kind}: keywords {sorted(unknown)} are not implemented by the validator"
            )
        for key, value in schema.items():
            if key in ("properties", "$defs", "dependentRequired"):
                for sub in value.values():
                    check_supported(sub, kind)
            elif key in ("items", "additionalProperties"):
                check_supported(value, kind)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def render_path(path: Iterable[Segment]) -> str:
    """A JSON path as violations show it: ``face.landmark.nose``, ``Response.X[0]``, ``""``."""
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


def short(value: object) -> str:
    """A value as messages quote it: JSON text for strings, at most 40 characters."""
    if isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _number_text(value)
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def key_text(key: object) -> str:
    """A key as reports show it: as it is when printable, else JSON-escaped."""
    if isinstance(key, str):
        return key if key.isprintable() else json.dumps(key)
    return repr(key)


def describe(value: object) -> str:
    """A JSON-flavoured description of a value: ``a string ("3")``, ``null``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({short(value)})"
    if isinstance(value, float):
        return f"a float ({value!r})"
    if isinstance(value, str):
        return f"a string ({short(value)})"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with {len(value)} key{'' if len(value) == 1 else 's'}"
    return f"a {type(value).__name__}"


def is_type(value: object, name: str) -> bool:
    """Whether ``value`` is of JSON Schema type ``name`` (``140.0`` is an integer, ``true``
    is not)."""
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


def json_equal(one: object, two: object) -> bool:
    """JSON equality as ``jsonschema`` has it for ``enum``: ``true`` is not ``1``, ``1.0`` is
    ``1``, a ``str`` subclass (a ``StrEnum`` member) equals the same text."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


# ECMA-262 (JSON Schema's regular expressions) against Python's ``re``, outside brackets:
# ``$`` is the end of the text only (Python's also matches before a final newline) and ``.``
# matches no line terminator (Python's matches CR, U+2028 and U+2029).
_ECMA_TRANSLATIONS = {"$": r"(?![\s\S])", ".": r"[^\n\r\u2028\u2029]"}


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
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
    def __init__(
        self, root: dict[str, Any], shortcuts: Mapping[str, Callable[[object], bool]]
    ) -> None:
        self.root = root
        self.shortcuts = shortcuts
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: list[Segment], message: str) -> None:
        self.problems.append((render_path(path), message))

    def resolve(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/$defs/"):
            raise RuntimeError(f"unsupported $ref {ref!r}")
        resolved: dict[str, Any] = self.root["$defs"][ref[len("#/$defs/") :]]
        return resolved

    def walk(self, value: object, schema: dict[str, Any], path: list[Segment]) -> None:
        ref = schema.get("$ref")
        if ref is not None:
            shortcut = self.shortcuts.get(ref)
            if shortcut is None or not shortcut(value):
                self.walk(value, self.resolve(ref), path)
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if not any(is_type(value, name) for name in names):
                wanted = " or ".join(_ARTICLE.get(n, f"a {n}") for n in names)
                self.fail(path, f"expected {wanted}, got {describe(value)}")
                return
        if "enum" in schema and not any(json_equal(option, value) for option in schema["enum"]):
            options = schema["enum"]
            shown = ", ".join(json.dumps(o) for o in options[:3])
            more = f" (one of {len(options)} documented values)" if len(options) > 3 else ""
            self.fail(path, f"{short(value)} is not one of {shown}{more}")
        if isinstance(value, dict):
            self.walk_object(value, schema, path)
        elif isinstance(value, list):
            self.walk_array(value, schema, path)
        elif isinstance(value, str):
            pattern = schema.get("pattern")
            if pattern is not None and not ecma_regex(pattern).search(value):
                self.fail(path, f"{short(value)} is not a documented value")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            minimum = schema.get("minimum")
            if minimum is not None and (
                (isinstance(value, float) and math.isnan(value)) or value < minimum
            ):
                self.fail(path, f"{short(value)} is below the minimum {minimum}")

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
                self.fail(path, f"unexpected key {key_text(key)}")
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


def schema_problems(
    payload: object,
    schema: dict[str, Any],
    shortcuts: Mapping[str, Callable[[object], bool]],
) -> list[tuple[str, str]]:
    """Every way ``payload`` breaks ``schema``, as ``(JSON path, message)`` pairs.

    ``shortcuts`` maps a ``$ref`` target (``"#/$defs/point_list"``) to a check that vouches
    for a value without a walk: one bad key in a big payload then does not cost a walk over
    every point.
    """
    walker = _Walker(schema, shortcuts)
    walker.walk(payload, schema, [])
    return walker.problems
