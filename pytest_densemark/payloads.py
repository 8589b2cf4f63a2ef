"""Whole response bodies of both vendors, built from the face model. Synthetic data.

Success and error bodies come out as plain dicts, ready for ``json.dumps``. For errors the
HTTP side matters as much as the body (Face++ answers 413 in plain text; Tencent answers every
error with HTTP 200 and ``Content-Type`` exactly ``application/json``), so
:func:`facepp_error_response` and :func:`tencent_error_response` return a
:class:`VendorResponse` carrying status, headers and body together.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face, facepp_face, tencent_face

__all__ = [
    "NO_FACE_FORMS",
    "VendorResponse",
    "facepp_error",
    "facepp_error_response",
    "facepp_request_id",
    "facepp_success",
    "tencent_error",
    "tencent_error_response",
    "tencent_request_id",
    "tencent_success",
]

#: How a Face++ body may say "no face": key absent, ``null`` or ``{}`` (all seen by clients).
NO_FACE_FORMS: tuple[str, ...] = ("absent", "null", "empty")
NoFace = Literal["absent", "null", "empty"]

# Plausible request times: December 2019 to the end of 2030, unix seconds.
_EPOCH_RANGE = (1_575_000_000, 1_924_000_000)


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def facepp_request_id(rng: random.Random) -> str:
    """A Face++ ``request_id``: ``"<unix seconds>,<uuid4>"``, drawn from ``rng``."""
    return f"{rng.randrange(*_EPOCH_RANGE)},{_uuid4(rng)}"


def tencent_request_id(rng: random.Random) -> str:
    """A Tencent ``RequestId``: a uuid4 string, drawn from ``rng``."""
    return _uuid4(rng)


def facepp_success(
    face: Face | None,
    *,
    parts: Iterable[str] = facepp.ALL_PARTS,
    request_id: str,
    time_used: int,
    no_face: NoFace = "absent",
) -> dict[str, Any]:
    """A thousandlandmark success body for ``face`` (synthetic).

    ``parts`` picks the landmark parts returned (as ``return_landmark`` would). With
    ``face=None`` the body says no face was found; ``no_face`` picks how: ``"absent"`` (no
    ``face`` key, the default), ``"null"`` or ``"empty"`` (``{}``), all seen in the wild.
    """
    body: dict[str, Any] = {"time_used": time_used, "request_id": request_id}
    if face is not None:
        body["face"] = facepp_face(face, parts)
    elif no_face == "null":
        body["face"] = None
    elif no_face == "empty":
        body["face"] = {}
    elif no_face != "absent":
        raise ValueError(f"facepp_success: no_face must be one of {NO_FACE_FORMS}, got {no_face!r}")
    return body


def _facepp_api_error(name: str) -> facepp.ApiError:
    try:
        return facepp.ERRORS[name]
    except KeyError:
        raise ValueError(
            f"unknown Face++ error {name!r}; expected one of {', '.join(facepp.ERRORS)}"
        ) from None


def facepp_error(
    name: str,
    arg: str | None = None,
    *,
    request_id: str,
    time_used: int,
    space: bool | None = None,
) -> dict[str, Any]:
    """A thousandlandmark JSON error body for the documented error ``name``.

    ``arg`` fills the error's parameter (a key, reason or face token); ``space`` overrides
    the spacing after the colon (default: as the vendor documents it, see
    :meth:`pytest_densemark.facepp.ApiError.message`). The 413 answer is plain text, not
    JSON: asking for it raises ``ValueError``; use :func:`facepp_error_response` instead.
    """
    error = _facepp_api_error(name)
    if not error.json:
        raise ValueError(
            f"Face++ error {name!r} is plain text ({error.status}), not a JSON body;"
            " use facepp_error_response()"
        )
    return {
        "time_used": time_used,
        "error_message": error.message(arg, space=space),
        "request_id": request_id,
    }


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


@dataclass(frozen=True)
class VendorResponse:
    """An HTTP answer as a vendor sends it: status, headers and body.

    ``body`` is a dict (JSON) or a str (plain text). :attr:`content` gives the bytes on the
    wire and :meth:`to_httpx` an :class:`httpx.Response` ready to hand to respx.
    """

    status: int
    body: dict[str, Any] | str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        """The body as sent: compact JSON for dicts, UTF-8 text otherwise."""
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` for a plain-text body)."""
        if isinstance(self.body, str):
            raise ValueError(f"HTTP {self.status} body is plain text, not JSON: {self.body!r}")
        return self.body

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """This answer as an :class:`httpx.Response` (optionally bound to ``request``)."""
        return httpx.Response(
            self.status, headers=dict(self.headers), content=self.content, request=request
        )


def facepp_error_response(
    name: str,
    arg: str | None = None,
    *,
    request_id: str,
    time_used: int,
    space: bool | None = None,
) -> VendorResponse:
    """The whole Face++ error answer: the documented status, content type and body.

    The 413 ``Request Entity Too Large`` is plain text; every other error a JSON body (see
    :func:`facepp_error`).
    """
    error = _facepp_api_error(name)
    headers = {"Content-Type": error.content_type}
    if not error.json:
        return VendorResponse(error.status, error.message(arg, space=space), headers)
    body = facepp_error(name, arg, request_id=request_id, time_used=time_used, space=space)
    return VendorResponse(error.status, body, headers)


def tencent_error_response(
    code: str, *, request_id: str, message: str | None = None
) -> VendorResponse:
    """The whole Tencent error answer: HTTP 200, ``Content-Type`` exactly as the vendor sends
    it (:data:`pytest_densemark.tencent.CONTENT_TYPE`) and the error envelope."""
    body = tencent_error(code, request_id=request_id, message=message)
    return VendorResponse(200, body, {"Content-Type": tencent.CONTENT_TYPE})
