"""Generate the JSON Schemas (draft 2020-12) of both vendors' responses from the vendor facts.

The files in ``schemas/`` are this module's output, committed so that users (and tools outside
Python) can read them; a test checks they equal what this module generates. Regenerate them
after changing :mod:`pytest_densemark.facepp` or :mod:`pytest_densemark.tencent` with::

    python -m pytest_densemark.schemas

Four schemas, one per *kind*:

``facepp``
    A thousandlandmark success body. Every part present holds exactly its keys (the 9-part
    format; the 7 pre-2019 parts are a subset), every point is ``{"x": int, "y": int}``,
    pupil radii are integers >= 0. ``face`` may be absent, ``null`` or ``{}``.
``facepp-error``
    A thousandlandmark JSON error body, ``error_message`` from the error catalogue.
``tencent``
    An AnalyzeDenseLandmarks success envelope (both API versions share it).
``tencent-error``
    The API 3.0 error envelope, ``Code`` from the error catalogue.

What JSON Schema cannot say (at most 888 points per Tencent face, per-list counts under a
profile, image bounds) is checked by :mod:`pytest_densemark.validation`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_densemark import facepp, tencent
from pytest_densemark._resources import data_dir
from pytest_densemark.validation import KINDS, file_name

__all__ = [
    "DIALECT",
    "KINDS",
    "build_schema",
    "build_schemas",
    "facepp_error_pattern",
    "file_name",
    "main",
    "render",
]

#: The JSON Schema dialect of every shipped schema.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

_INT: Schema = {"type": "integer"}
_NON_NEGATIVE_INT: Schema = {"type": "integer", "minimum": 0}
_STRING: Schema = {"type": "string"}


def _closed_object(properties: dict[str, Schema], *, title: str | None = None) -> Schema:
    """An object with exactly ``properties``, all required."""
    schema: Schema = {}
    if title is not None:
        schema["title"] = title
    schema.update(
        {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
    )
    return schema


def _header(kind: str, title: str, description: str) -> Schema:
    return {
        "$schema": DIALECT,
        "$id": f"urn:pytest-densemark:schema:{kind}",
        "title": title,
        "description": description,
    }


def _facepp_success() -> Schema:
    point_ref = {"$ref": "#/$defs/point"}
    radius_ref = {"$ref": "#/$defs/radius"}
    parts: dict[str, Schema] = {}
    for part in facepp.PARTS.values():
        properties = dict.fromkeys(part.point_keys, point_ref)
        properties.update(dict.fromkeys(part.radii, radius_ref))
        parts[part.name] = _closed_object(properties, title=f"landmark part {part.name}")
    landmark: Schema = {
        "type": "object",
        "description": "Only the parts named in return_landmark are present (at least one).",
        "properties": {name: {"$ref": f"#/$defs/part_{name}"} for name in parts},
        "additionalProperties": False,
        "minProperties": 1,
    }
    rectangle_name, landmark_name = facepp.FACE_FIELDS
    face: Schema = {
        "description": "The largest face; absent, null or {} when no face was found.",
        "type": ["object", "null"],
        "properties": {
            rectangle_name: {"$ref": "#/$defs/face_rectangle"},
            landmark_name: {"$ref": "#/$defs/landmark"},
        },
        "additionalProperties": False,
        # both or neither: {} means no face
        "dependentRequired": {
            name: [other for other in facepp.FACE_FIELDS if other != name]
            for name in facepp.FACE_FIELDS
        },
    }
    rectangle = dict.fromkeys(facepp.FACE_RECTANGLE_FIELDS, _INT)
    rectangle.update(dict.fromkeys(facepp.FACE_RECTANGLE_FIELDS[2:], _NON_NEGATIVE_INT))  # size
    defs: Schema = {
        "point": _closed_object(
            dict.fromkeys(facepp.POINT_FIELDS, _INT), title="point (image pixels)"
        ),
        "radius": {**_NON_NEGATIVE_INT, "title": "pupil radius (pixels)"},
        "face_rectangle": _closed_object(rectangle, title="face box"),
        "landmark": landmark,
        "face": face,
    }
    defs.update({f"part_{name}": schema for name, schema in parts.items()})
    time_used, request_id, face_name = facepp.SUCCESS_FIELDS
    return {
        **_header(
            "facepp",
            "Face++ thousandlandmark success body",
            f"{facepp.URL} answer: {len(facepp.ALL_PARTS)} parts, {facepp.TOTAL_KEYS} keys in"
            f" all; the {len(facepp.LEGACY_PARTS)} pre-2019 parts are a valid subset. Key"
            " order does not matter.",
        ),
        "type": "object",
        "properties": {
            time_used: _NON_NEGATIVE_INT,
            request_id: _STRING,
            face_name: {"$ref": "#/$defs/face"},
        },
        "required": [time_used, request_id],
        "additionalProperties": False,
        "$defs": defs,
    }


#: Any character but an ECMA-262 line terminator (what ECMA's ``.`` matches), and the end of
#: the text (ECMA's ``$`` without the multiline flag), written alike for ECMA-262 and ``re``.
_LINE = r"[^\n\r\u2028\u2029]"
_END = r"(?![\s\S])"


def facepp_error_pattern() -> str:
    """A regular expression matching every JSON ``error_message`` in the catalogue.

    Where the vendor appends an argument, either spacing after the colon is accepted (the
    vendor's own docs use both); the argument holds no line break.

    The expression means the same in ECMA-262 (JSON Schema's dialect) and in Python's ``re``
    (which ``jsonschema`` uses): it avoids the two constructs they read differently, ``$``
    (Python's also matches before a final newline, so ``"INTERNAL_ERROR\\n"`` would pass) and
    ``.`` (Python's matches CR, U+2028 and U+2029). The end is ``(?![\\s\\S])``, "no character
    follows", and the argument ``[^\\n\\r\\u2028\\u2029]*``.
    """
    alternatives = []
    for error in facepp.ERRORS.values():
        if not error.json:
            continue
        if "{arg}" in error.template:
            head = error.template.split("{arg}", 1)[0].rstrip()
            alternatives.append(f"{re.escape(head)} ?[^ ]{_LINE}*")
        else:
            alternatives.append(re.escape(error.template))
    return "^(?:" + "|".join(alternatives) + f"){_END}"


def _facepp_error() -> Schema:
    time_used, error_message, request_id = facepp.ERROR_FIELDS
    return {
        **_header(
            "facepp-error",
            "Face++ thousandlandmark error body",
            "JSON error body; error_message comes from the documented catalogue. The plain-text"
            " 413 answer is not JSON and has no schema.",
        ),
        **_closed_object(
            {
                time_used: _NON_NEGATIVE_INT,
                error_message: {"type": "string", "pattern": facepp_error_pattern()},
                request_id: _STRING,
            }
        ),
    }


def _tencent_success() -> Schema:
    point_list: Schema = {
        "type": "array",
        "items": {"$ref": "#/$defs/point"},
        "maxItems": tencent.MAX_POINTS_PER_FACE,
    }
    box = dict.fromkeys(tencent.FACE_BOX_FIELDS, _INT)
    box.update(dict.fromkeys(tencent.FACE_BOX_FIELDS[2:], _NON_NEGATIVE_INT))  # the size
    shape = _closed_object(
        {**box, **{name: {"$ref": "#/$defs/point_list"} for name in tencent.POINT_LISTS}},
        title="DenseFaceShape",
    )
    width, height, shapes, version, request_id = tencent.RESPONSE_FIELDS
    fields: dict[str, Schema] = {
        width: _NON_NEGATIVE_INT,
        height: _NON_NEGATIVE_INT,
        shapes: {
            "type": "array",
            "items": {"$ref": "#/$defs/DenseFaceShape"},
            "maxItems": tencent.MAX_FACES,
        },
        version: {"enum": list(tencent.FACE_MODEL_VERSIONS)},
        request_id: _STRING,
    }
    return {
        **_header(
            "tencent",
            "Tencent AnalyzeDenseLandmarks success envelope",
            f"Versions {', '.join(tencent.VERSIONS)} (identical models). At most"
            f" {tencent.MAX_FACES} faces; the {tencent.MAX_POINTS_PER_FACE}-points-per-face"
            " total is checked by the validator, not by this schema.",
        ),
        **_closed_object({tencent.ENVELOPE: _closed_object(fields)}),
        "$defs": {
            "point": _closed_object(dict.fromkeys(tencent.POINT_FIELDS, _INT), title="Point"),
            "point_list": point_list,
            "DenseFaceShape": shape,
        },
    }


def _tencent_error() -> Schema:
    code, message = tencent.ERROR_FIELDS
    error = _closed_object({code: {"enum": list(tencent.ERRORS)}, message: _STRING})
    error_name, request_id = tencent.ERROR_RESPONSE_FIELDS
    return {
        **_header(
            "tencent-error",
            "Tencent API 3.0 error envelope",
            "Sent with HTTP 200; Code comes from the documented catalogue of the action and"
            " of API 3.0.",
        ),
        **_closed_object(
            {tencent.ENVELOPE: _closed_object({error_name: error, request_id: _STRING})}
        ),
    }


_BUILDERS = {
    "facepp": _facepp_success,
    "facepp-error": _facepp_error,
    "tencent": _tencent_success,
    "tencent-error": _tencent_error,
}


def build_schema(kind: str) -> Schema:
    """Generate the schema for ``kind`` (one of :data:`KINDS`) from the vendor facts."""
    file_name(kind)  # validates kind
    return _BUILDERS[kind]()


def build_schemas() -> dict[str, Schema]:
    """Generate every schema, by kind."""
    return {kind: build_schema(kind) for kind in KINDS}


def render(schema: Schema) -> str:
    """The exact text written to disk for ``schema`` (stable, diff-friendly)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check``, compare) the shipped schema files; return an exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_densemark.schemas",
        description="Generate the JSON Schemas in schemas/ from the vendor facts.",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="directory to write to (default: shipped schemas/)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report files that differ; exit 1 if any"
    )
    args = parser.parse_args(argv)
    out: Path = args.out if args.out is not None else data_dir("schemas")
    stale = []
    for kind, schema in build_schemas().items():
        path = out / file_name(kind)
        text = render(schema)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if args.check:
            print(f"{path}: out of date; run python -m pytest_densemark.schemas", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
