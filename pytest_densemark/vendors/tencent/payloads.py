"""Tencent response bodies built from the face model: the success envelope and the error
envelope. Synthetic data.

Every Tencent answer is HTTP 200 with ``Content-Type`` exactly ``application/json``, errors
included: :func:`tencent_error_response` returns a
:class:`~pytest_densemark.answers.VendorResponse` carrying status, headers and body together.
``pytest_densemark.payloads`` re-exports these under their older path.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pytest_densemark.answers import VendorResponse, uuid4_from
from pytest_densemark.faces import Face, tencent_face
from pytest_densemark.vendors.tencent import facts as tencent

__all__ = [
    "tencent_error",
    "tencent_error_response",
    "tencent_request_id",
    "tencent_success",
]


def tencent_request_id(rng: random.Random) -> str:
    """A Tencent ``RequestId``: a uuid4 string, drawn from ``rng``."""
    return uuid4_from(rng)


def tencent_success(
    faces: Sequence[Face],
    *,
    image_width: int,
    image_height: int,
    request_id: str,
    profile: tencent.PointProfile = tencent.KIT_PROFILE,
) -> dict[str, Any]:
    """An AnalyzeDenseLandmarks success envelope ``{"Response": {...}}`` (synthetic).

    One ``DenseFaceShape`` per face, in the order given; more than
    :data:`pytest_densemark.tencent.MAX_FACES` faces raise ``ValueError`` (the vendor never
    returns more). ``profile`` sets the points per list.
    """
    if len(faces) > tencent.MAX_FACES:
        raise ValueError(
            f"tencent_success: {len(faces)} faces, but the vendor returns at most"
            f" {tencent.MAX_FACES}"
        )
    shapes = [tencent_face(face, profile) for face in faces]
    return _tencent_envelope(image_width, image_height, shapes, request_id)


def _tencent_envelope(
    image_width: int, image_height: int, shapes: list[dict[str, Any]], request_id: str
) -> dict[str, Any]:
    # The one place the success envelope is assembled (the strategies reuse it).
    values = (image_width, image_height, shapes, tencent.FACE_MODEL_VERSIONS[0], request_id)
    return {"Response": dict(zip(tencent.RESPONSE_FIELDS, values, strict=True))}


def _tencent_code(code: str) -> tencent.ErrorCode:
    try:
        return tencent.ERRORS[code]
    except KeyError:
        raise ValueError(
            f"unknown Tencent error code {code!r}; expected one of {', '.join(tencent.ERRORS)}"
        ) from None


def tencent_error(code: str, *, request_id: str, message: str | None = None) -> dict[str, Any]:
    """The API 3.0 error envelope for the documented ``code`` (message: the catalogue's).

    An undocumented ``code`` raises ``ValueError``.
    """
    error = _tencent_code(code)
    return {
        "Response": {
            "Error": {"Code": code, "Message": error.message if message is None else message},
            "RequestId": request_id,
        }
    }


def tencent_error_response(
    code: str, *, request_id: str, message: str | None = None
) -> VendorResponse:
    """The whole Tencent error answer: HTTP 200, ``Content-Type`` exactly as the vendor sends
    it (:data:`pytest_densemark.tencent.CONTENT_TYPE`) and the error envelope."""
    body = tencent_error(code, request_id=request_id, message=message)
    return VendorResponse(200, body, {"Content-Type": tencent.CONTENT_TYPE})
