"""The JSON Schemas of Tencent AnalyzeDenseLandmarks envelopes, generated from the facts.

``tencent``
    An AnalyzeDenseLandmarks success envelope (both API versions share it).
``tencent-error``
    The API 3.0 error envelope, ``Code`` from the error catalogue.

:mod:`pytest_densemark.schemas` writes them to ``schemas/``. What JSON Schema cannot say (at
most 888 points per face, per-list counts under a profile, image bounds) is checked by
:mod:`pytest_densemark.vendors.tencent.check`.
"""

from __future__ import annotations

from pytest_densemark import tencent
from pytest_densemark.schemas import (
    INT,
    NON_NEGATIVE_INT,
    STRING,
    Schema,
    closed_object,
    header,
)

__all__ = ["build"]


def _tencent_success() -> Schema:
    point_list: Schema = {
        "type": "array",
        "items": {"$ref": "#/$defs/point"},
        "maxItems": tencent.MAX_POINTS_PER_FACE,
    }
    box = dict.fromkeys(tencent.FACE_BOX_FIELDS, INT)
    box.update(dict.fromkeys(tencent.FACE_BOX_FIELDS[2:], NON_NEGATIVE_INT))  # the size
    shape = closed_object(
        {**box, **{name: {"$ref": "#/$defs/point_list"} for name in tencent.POINT_LISTS}},
        title="DenseFaceShape",
    )
    width, height, shapes, version, request_id = tencent.RESPONSE_FIELDS
    fields: dict[str, Schema] = {
        width: NON_NEGATIVE_INT,
        height: NON_NEGATIVE_INT,
        shapes: {
            "type": "array",
            "items": {"$ref": "#/$defs/DenseFaceShape"},
            "maxItems": tencent.MAX_FACES,
        },
        version: {"enum": list(tencent.FACE_MODEL_VERSIONS)},
        request_id: STRING,
    }
    return {
        **header(
            "tencent",
            "Tencent AnalyzeDenseLandmarks success envelope",
            f"Versions {', '.join(tencent.VERSIONS)} (identical models). At most"
            f" {tencent.MAX_FACES} faces; the {tencent.MAX_POINTS_PER_FACE}-points-per-face"
            " total is checked by the validator, not by this schema.",
        ),
        **closed_object({tencent.ENVELOPE: closed_object(fields)}),
        "$defs": {
            "point": closed_object(dict.fromkeys(tencent.POINT_FIELDS, INT), title="Point"),
            "point_list": point_list,
            "DenseFaceShape": shape,
        },
    }


def _tencent_error() -> Schema:
    code, message = tencent.ERROR_FIELDS
    error = closed_object({code: {"enum": list(tencent.ERRORS)}, message: STRING})
    error_name, request_id = tencent.ERROR_RESPONSE_FIELDS
    return {
        **header(
            "tencent-error",
            "Tencent API 3.0 error envelope",
            "Sent with HTTP 200; Code comes from the documented catalogue of the action and"
            " of API 3.0.",
        ),
        **closed_object({tencent.ENVELOPE: closed_object({error_name: error, request_id: STRING})}),
    }


_BUILDERS = {"tencent": _tencent_success, "tencent-error": _tencent_error}


def build(kind: str) -> Schema:
    """Generate the schema for ``kind`` (``tencent`` or ``tencent-error``)."""
    return _BUILDERS[kind]()
