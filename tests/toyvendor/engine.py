"""The toy's rules: decide what the API answers to a request (five points or an error) and
build that answer.

:data:`ENGINE` implements :class:`pytest_densemark.emulator.Engine`; the emulator reaches it
through the registry, as it reaches the kit's own vendors. Per emulator the toy keeps one
setting (:class:`ToySettings`: what a faceless image gets); credentials, faces, the seed and
the clock are the emulator's :class:`~pytest_densemark.context.Context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from pytest_densemark.answers import Reading, Reject
from pytest_densemark.cassettes import REDACTED
from pytest_densemark.faces import Face
from pytest_densemark.request_images import RequestImages
from toyvendor import facts
from toyvendor.payloads import toy_error_response, toy_request_id, toy_success_response
from toyvendor.request import ToyParams, parse_toy

if TYPE_CHECKING:
    from pytest_densemark.calls import Call
    from pytest_densemark.context import Context
    from pytest_densemark.emulator import Engine

__all__ = ["ENGINE", "ToyEngine", "ToySettings"]


class ToySettings:
    """What one emulator knows of the toy beyond the shared context: what a faceless image
    gets (``no_face``, one of :data:`~toyvendor.facts.NO_FACE_ANSWERS`)."""

    def __init__(self) -> None:
        self._no_face = facts.NO_FACE_ANSWERS[0]

    @property
    def no_face(self) -> str:
        """``"empty"``: a success with no points; ``"error"``: the ``NO_FACE`` error."""
        return self._no_face

    @no_face.setter
    def no_face(self, answer: str) -> None:
        if answer not in facts.NO_FACE_ANSWERS:
            raise ValueError(f"no_face must be one of {facts.NO_FACE_ANSWERS}, got {answer!r}")
        self._no_face = answer


def _request_id(context: Context) -> str:
    with context.lock:
        return toy_request_id(context.rng)


def _error(context: Context, request: httpx.Request, name: str) -> httpx.Response:
    return toy_error_response(name, request_id=_request_id(context)).to_httpx(request)


class ToyEngine:
    """The toy API's rules, as the emulator calls them.

    Checked in order: the path, the body's size, that it is a JSON object, the credential
    (any non-empty ``api_key`` until ``set_credentials(api_key=...)`` fixes one), the image
    (present, base64, a JPEG or PNG of the accepted size); then the largest face found (at
    least :data:`~toyvendor.facts.MIN_FACE` pixels) is answered with its five points.
    """

    content_type = facts.CONTENT_TYPE
    errors: Mapping[str, object] = facts.ERRORS

    def settings(self, options: Mapping[str, Any], *, where: str) -> ToySettings:
        """A new emulator's toy settings (the toy reads none of the emulator's options)."""
        return ToySettings()

    def read(self, request: httpx.Request, images: RequestImages) -> Reading:
        """The JSON fields, with the key redacted and the image summarised for the call log."""
        params = parse_toy(request)
        logged: dict[str, Any] = {}
        for name, value in params.fields.items():
            if name == facts.CREDENTIAL_FIELD:
                logged[name] = REDACTED
            elif name == facts.IMAGE_FIELD and isinstance(value, str):
                logged[name] = images.base64_summary(value)
            else:
                logged[name] = value
        return Reading(params, facts.ACTION, facts.VERSION, logged)

    def answer(
        self,
        context: Context,
        settings: ToySettings,
        request: httpx.Request,
        parsed: ToyParams,
        images: RequestImages,
        call: Call | None = None,
    ) -> httpx.Response:
        """The points of the largest face in the image, or the error the request earns."""
        try:
            face = self._decide(context, settings, parsed, images)
        except Reject as reject:
            return _error(context, request, reject.name)
        return toy_success_response(face, request_id=_request_id(context)).to_httpx(request)

    def error(
        self, context: Context, request: httpx.Request, name: str, arg: str | None, parsed: Any
    ) -> httpx.Response:
        """The answer for the documented error ``name`` (an injected fault)."""
        return _error(context, request, name)

    def _decide(
        self, context: Context, settings: ToySettings, params: ToyParams, images: RequestImages
    ) -> Face | None:
        if params.path != facts.PATH:
            raise Reject("NOT_FOUND")
        if params.body_size > facts.MAX_REQUEST_BYTES:
            raise Reject("TOO_LARGE")
        if params.error is not None:
            raise Reject("BAD_REQUEST")
        key = params.fields.get(facts.CREDENTIAL_FIELD)
        with context.lock:
            expected = context.credentials.api_key
        if not isinstance(key, str) or not key or (expected is not None and key != expected):
            raise Reject("BAD_KEY")
        text = params.fields.get(facts.IMAGE_FIELD)
        if not isinstance(text, str) or not text:
            raise Reject("MISSING_IMAGE")
        data = images.decode(text)
        info = None if data is None else images.sniff(data)
        if (
            data is None
            or info is None
            or info.format not in facts.FORMATS
            or info.short_side < facts.MIN_SIDE
            or info.long_side > facts.MAX_SIDE
        ):
            raise Reject("BAD_IMAGE")
        for face in context.faces_in(data, info):  # largest first
            if min(face.width, face.height) >= facts.MIN_FACE:
                return face
        if settings.no_face == "error":
            raise Reject("NO_FACE")
        return None


#: The toy engine the registry hands the emulator.
ENGINE: Engine = ToyEngine()
