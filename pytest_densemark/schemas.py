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
#: The payload kinds that have a schema, in a stable order.
KINDS: tuple[str, ...] = ("facepp", "facepp-error", "tencent", "tencent-error")

Schema = dict[str, Any]

_INT: Schema = {"type": "integer"}
_NON_NEGATIVE_INT: Schema = {"type": "integer", "minimum": 0}
_STRING: Schema = {"type": "string"}


def file_name(kind: str) -> str:
    """The file name of the schema for ``kind`` inside ``schemas/``."""
    if kind not in KINDS:
        raise ValueError(f"unknown payload kind {kind!r}; expected one of {', '.join(KINDS)}")
    return f"{kind}.schema.json"


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
    face: Schema = {
        "description": "The largest face; absent, null or {} when no face was found.",
        "type": ["object", "null"],
        "properties": {
            "face_rectangle": {"$ref": "#/$defs/face_rectangle"},
            "landmark": {"$ref": "#/$defs/landmark"},
        },
        "additionalProperties": False,
        "dependentRequired": {"face_rectangle": ["landmark"], "landmark": ["face_rectangle"]},
    }
    defs: Schema = {
        "point": _closed_object({"x": _INT, "y": _INT}, title="point (image pixels)"),
        "radius": {**_NON_NEGATIVE_INT, "title": "pupil radius (pixels)"},
        "face_rectangle": _closed_object(
            {"top": _INT, "left": _INT, "width": _NON_NEGATIVE_INT, "height": _NON_NEGATIVE_INT},
            title="face box",
        ),
        "landmark": landmark,
        "face": face,
    }
    defs.update({f"part_{name}": schema for name, schema in parts.items()})
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
            "time_used": _NON_NEGATIVE_INT,
            "request_id": _STRING,
            "face": {"$ref": "#/$defs/face"},
        },
        "required": ["time_used", "request_id"],
        "additionalProperties": False,
        "$defs": defs,
    }


def facepp_error_pattern() -> str:
    """A regular expression matching every JSON ``error_message`` in the catalogue.

    Where the vendor appends an argument, either spacing after the colon is accepted (the
    vendor's own docs use both).
    """
    alternatives = []
    for error in facepp.ERRORS.values():
        if not error.json:
            continue
        if "{arg}" in error.template:
            head = error.template.split("{arg}", 1)[0].rstrip()
            alternatives.append(f"{re.escape(head)} ?[^ ].*")
        else:
            alternatives.append(re.escape(error.template))
    return "^(?:" + "|".join(alternatives) + ")$"


def _facepp_error() -> Schema:
    return {
        **_header(
            "facepp-error",
            "Face++ thousandlandmark error body",
            "JSON error body; error_message comes from the documented catalogue. The plain-text"
            " 413 answer is not JSON and has no schema.",
        ),
        **_closed_object(
            {
                "time_used": _NON_NEGATIVE_INT,
                "error_message": {"type": "string", "pattern": facepp_error_pattern()},
                "request_id": _STRING,
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
    for name in ("Width", "Height"):
        box[name] = _NON_NEGATIVE_INT
    shape = _closed_object(
        {**box, **{name: {"$ref": "#/$defs/point_list"} for name in tencent.POINT_LISTS}},
        title="DenseFaceShape",
    )
    fields: dict[str, Schema] = {
        "ImageWidth": _NON_NEGATIVE_INT,
        "ImageHeight": _NON_NEGATIVE_INT,
        "DenseFaceShapeSet": {
            "type": "array",
            "items": {"$ref": "#/$defs/DenseFaceShape"},
            "maxItems": tencent.MAX_FACES,
        },
        "FaceModelVersion": {"enum": list(tencent.FACE_MODEL_VERSIONS)},
        "RequestId": _STRING,
    }
    if list(fields) != list(tencent.RESPONSE_FIELDS):  # pragma: no cover - facts changed
        raise RuntimeError("tencent.RESPONSE_FIELDS changed: update the schema generator")
    return {
        **_header(
            "tencent",
            "Tencent AnalyzeDenseLandmarks success envelope",
            f"Versions {', '.join(tencent.VERSIONS)} (identical models). At most"
            f" {tencent.MAX_FACES} faces; the {tencent.MAX_POINTS_PER_FACE}-points-per-face"
            " total is checked by the validator, not by this schema.",
        ),
        **_closed_object({"Response": _closed_object(fields)}),
        "$defs": {
            "point": _closed_object({"X": _INT, "Y": _INT}, title="Point"),
            "point_list": point_list,
            "DenseFaceShape": shape,
        },
    }


def _tencent_error() -> Schema:
    error = _closed_object({"Code": {"enum": list(tencent.ERRORS)}, "Message": _STRING})
    return {
        **_header(
            "tencent-error",
            "Tencent API 3.0 error envelope",
            "Sent with HTTP 200; Code comes from the documented catalogue of the action and"
            " of API 3.0.",
        ),
        **_closed_object({"Response": _closed_object({"Error": error, "RequestId": _STRING})}),
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
