"""The toy vendor's facts: host, path, fields, limits and documented errors.

Everything else in the package reads these, as the kit's own vendors read their ``facts``.
The API is invented for the contract tests: ``POST https://api.toyface.example/v1/landmarks``
with a JSON body ``{"api_key": ..., "image_base64": ...}`` answers
``{"request_id": ..., "points": [{"x": ..., "y": ...}, ...]}`` (five points of the largest
face found, none when there is no face) or a JSON error ``{"request_id", "error", "message"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "ACTION",
    "CONTENT_TYPE",
    "CREDENTIAL_FIELD",
    "ERRORS",
    "ERROR_KIND",
    "FORMATS",
    "HOST",
    "IMAGE_FIELD",
    "MAX_REQUEST_BYTES",
    "MAX_SIDE",
    "MIN_FACE",
    "MIN_SIDE",
    "NAME",
    "NO_FACE_ANSWERS",
    "PATH",
    "POINTS",
    "SUCCESS_KIND",
    "TITLE",
    "URL",
    "VERSION",
    "ToyError",
]

#: The vendor's name in the registry, markers, cassettes and ``Call.vendor``.
NAME = "toy"
#: Its name for people.
TITLE = "Toy Face"
#: The one API host.
HOST = "api.toyface.example"
#: The landmark API's path; every other path is ``NOT_FOUND``.
PATH = "/v1/landmarks"
#: The landmark API's full URL.
URL = f"https://{HOST}{PATH}"
#: What the API is called in the call log and in cassettes, and its version.
ACTION, VERSION = "landmarks", "1"
#: The ``Content-Type`` of every answer.
CONTENT_TYPE = "application/json"
#: The field carrying the credential, and the one carrying the image.
CREDENTIAL_FIELD, IMAGE_FIELD = "api_key", "image_base64"
#: Image formats the API reads, and the image sides it accepts.
FORMATS = frozenset({"JPEG", "PNG"})
MIN_SIDE, MAX_SIDE = 48, 4096
#: The smallest face side it finds, in pixels.
MIN_FACE = 32
#: What the API answers for an image without a face, by default: ``"empty"`` (a success with
#: no points) or ``"error"`` (``NO_FACE``); the toy's emulator setting ``no_face`` changes it.
NO_FACE_ANSWERS = ("empty", "error")
#: Largest request body its front end takes.
MAX_REQUEST_BYTES = 1024 * 1024
#: The landmarks of a face, in answer order, as (x, y) fractions of the face box.
POINTS: tuple[tuple[str, float, float], ...] = (
    ("left_eye", 0.3, 0.4),
    ("right_eye", 0.7, 0.4),
    ("nose_tip", 0.5, 0.6),
    ("mouth_left", 0.35, 0.8),
    ("mouth_right", 0.65, 0.8),
)
#: The payload kinds: a success body and an error body.
SUCCESS_KIND, ERROR_KIND = "toy", "toy-error"


@dataclass(frozen=True)
class ToyError:
    """One documented error: its name (the body's ``error``), HTTP status and message."""

    name: str
    status: int
    message: str


#: The documented errors, by name.
ERRORS: Mapping[str, ToyError] = MappingProxyType(
    {
        error.name: error
        for error in (
            ToyError("BAD_REQUEST", 400, "the body is not a JSON object"),
            ToyError("BAD_KEY", 401, "api_key is missing or not valid"),
            ToyError("MISSING_IMAGE", 400, "image_base64 is required"),
            ToyError("BAD_IMAGE", 400, "image_base64 is not a JPEG or PNG image of 48 to 4096 px"),
            ToyError("NO_FACE", 422, "no face found in the image"),
            ToyError("NOT_FOUND", 404, "no such API"),
            ToyError("TOO_LARGE", 413, "request body over 1 MiB"),
        )
    }
)
