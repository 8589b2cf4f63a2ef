"""The JSON Schemas of Face++ thousandlandmark bodies, generated from the vendor facts.

``facepp``
    A thousandlandmark success body. Every part present holds exactly its keys (the 9-part
    format; the 7 pre-2019 parts are a subset), every point is ``{"x": int, "y": int}``,
    pupil radii are integers >= 0. ``face`` may be absent, ``null`` or ``{}``.
``facepp-error``
    A thousandlandmark JSON error body, ``error_message`` from the error catalogue.

:mod:`pytest_densemark.schemas` writes them to ``schemas/``; image bounds, which JSON Schema
cannot say, are checked by :mod:`pytest_densemark.vendors.facepp.check`.
"""

from __future__ import annotations

import re

from pytest_densemark import facepp
from pytest_densemark.schemas import (
    INT,
    NON_NEGATIVE_INT,
    STRING,
    Schema,
    closed_object,
    header,
)

__all__ = ["build", "facepp_error_pattern"]


def _facepp_success() -> Schema:
    point_ref = {"$ref": "#/$defs/point"}
    radius_ref = {"$ref": "#/$defs/radius"}
    parts: dict[str, Schema] = {}
    for part in facepp.PARTS.values():
        properties = dict.fromkeys(part.point_keys, point_ref)
        properties.update(dict.fromkeys(part.radii, radius_ref))
        parts[part.name] = closed_object(properties, title=f"landmark part {part.name}")
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
    rectangle = dict.fromkeys(facepp.FACE_RECTANGLE_FIELDS, INT)
    rectangle.update(dict.fromkeys(facepp.FACE_RECTANGLE_FIELDS[2:], NON_NEGATIVE_INT))  # size
    defs: Schema = {
        "point": closed_object(
            dict.fromkeys(facepp.POINT_FIELDS, INT), title="point (image pixels)"
        ),
        "radius": {**NON_NEGATIVE_INT, "title": "pupil radius (pixels)"},
        "face_rectangle": closed_object(rectangle, title="face box"),
        "landmark": landmark,
        "face": face,
    }
    defs.update({f"part_{name}": schema for name, schema in parts.items()})
    time_used, request_id, face_name = facepp.SUCCESS_FIELDS
    return {
        **header(
            "facepp",
            "Face++ thousandlandmark success body",
            f"{facepp.URL} answer: {len(facepp.ALL_PARTS)} parts, {facepp.TOTAL_KEYS} keys in"
            f" all; the {len(facepp.LEGACY_PARTS)} pre-2019 parts are a valid subset. Key"
            " order does not matter.",
        ),
        "type": "object",
        "properties": {
            time_used: NON_NEGATIVE_INT,
            request_id: STRING,
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
        **header(
            "facepp-error",
            "Face++ thousandlandmark error body",
            "JSON error body; error_message comes from the documented catalogue. The plain-text"
            " 413 answer is not JSON and has no schema.",
        ),
        **closed_object(
            {
                time_used: NON_NEGATIVE_INT,
                error_message: {"type": "string", "pattern": facepp_error_pattern()},
                request_id: STRING,
            }
        ),
    }


_BUILDERS = {"facepp": _facepp_success, "facepp-error": _facepp_error}


def build(kind: str) -> Schema:
    """Generate the schema for ``kind`` (``facepp`` or ``facepp-error``)."""
    return _BUILDERS[kind]()
