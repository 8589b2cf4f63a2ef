"""Face++ rules: decide what the service answers to a request (a landmark, a Detect answer
or an error) and build that answer.

:data:`ENGINE` implements :class:`pytest_densemark.emulator.Engine`; the emulator reaches it
through the registry (``vendors.get("facepp").engine``). Per emulator, Face++ keeps the face
tokens it knows (:class:`FaceppSettings`); everything else (credentials, faces, URLs, the
clock, the seed) is the emulator's :class:`~pytest_densemark.context.Context`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from pytest_densemark._redaction import REDACTED
from pytest_densemark.answers import (
    NOTE_HEADER,
    Reading,
    Reject,
    Template,
    content_type_header,
    response,
    slot,
)
from pytest_densemark.faces import Face
from pytest_densemark.images import ImageInfo
from pytest_densemark.request_images import RequestImages
from pytest_densemark.vendors.facepp import facts as facepp
from pytest_densemark.vendors.facepp.payloads import (
    LandmarkFragments,
    facepp_detect,
    facepp_error_response,
    facepp_landmark_fragments,
    facepp_request_id,
    facepp_success,
    landmark_pieces,
)
from pytest_densemark.vendors.facepp.request import FaceppParams, parse_facepp

if TYPE_CHECKING:
    from pytest_densemark.calls import Call
    from pytest_densemark.context import Context

__all__ = ["ENGINE", "FaceppAnswer", "FaceppEngine", "FaceppSettings"]

_HEADERS = content_type_header(facepp.CONTENT_TYPE)


class FaceppSettings:
    """What one emulator knows of Face++ beyond the shared context: its face tokens.

    ``face_tokens`` maps a token to its face (``None``: no face) and its expiry in clock
    seconds (``None``: never). The emulator holds its lock around every call.
    """

    __slots__ = ("face_tokens",)

    def __init__(self) -> None:
        self.face_tokens: dict[str, tuple[Face | None, float | None]] = {}

    def register_face_token(self, face_token: str, face: Face | None) -> None:
        """Make ``face_token`` known, for ``face`` (``None``: no face), never expiring."""
        if not isinstance(face_token, str) or not face_token:
            raise ValueError("register_face_token: face_token must be a non-empty string")
        self.face_tokens[face_token] = (face, None)


class FaceppAnswer:
    """A Face++ success answer encoded once: the body around the landmark as a
    :class:`~pytest_densemark.answers.Template`, the landmark as per-part, per-key fragments
    joined in a fresh order for every answer
    (:func:`~pytest_densemark.vendors.facepp.payloads.join_landmark`)."""

    __slots__ = ("fragments", "template")

    def __init__(self, template: Template, fragments: LandmarkFragments | None) -> None:
        self.template = template
        self.fragments = fragments

    def render(self, values: Mapping[str, object], order_seed: int) -> bytes:
        """The body with ``values`` in their slots and the landmark in ``order_seed``'s order."""
        if self.fragments is None:
            return self.template.render(values)
        landmark = landmark_pieces(self.fragments, order_seed)
        return self.template.render(values, {"landmark": landmark})


def _ids(context: Context) -> tuple[str, int]:
    seconds = int(context.clock())
    with context.lock:
        return facepp_request_id(context.rng, seconds=seconds), context.rng.randrange(60, 400)


def _error(
    context: Context,
    request: httpx.Request,
    name: str,
    arg: str | None = None,
    *,
    note: str | None = None,
) -> httpx.Response:
    request_id, time_used = _ids(context)
    answer = facepp_error_response(name, arg, request_id=request_id, time_used=time_used)
    reply = answer.to_httpx(request)
    if note is not None:  # a rule of the kit, not of the vendor: say so beside the body
        reply.headers[NOTE_HEADER] = note
    return reply


def _is_detect(params: FaceppParams) -> bool:
    return params.path.rstrip("/") == facepp.DETECT_PATH


class FaceppEngine:
    """The Face++ rules, as the emulator calls them (:class:`~pytest_densemark.emulator.Engine`).

    ``POST /facepp/v1/face/thousandlandmark`` answers the landmark of the largest face found,
    ``POST /facepp/v3/detect`` a face token and box per face (tokens valid 72 hours on the
    context's clock); any other path ``API_NOT_FOUND``. Every API first checks the body size,
    then the credentials. ``return_landmark`` is read by
    :func:`~pytest_densemark.vendors.facepp.facts.parts_requested`.
    """

    #: The ``Content-Type`` of a JSON answer.
    content_type = facepp.CONTENT_TYPE
    #: The documented errors, by name: what ``inject_error`` accepts.
    errors: Mapping[str, object] = facepp.ERRORS

    def settings(self, options: Mapping[str, Any], *, where: str) -> FaceppSettings:
        """A new emulator's Face++ settings (Face++ reads none of the emulator's options)."""
        return FaceppSettings()

    def read(self, request: httpx.Request, images: RequestImages) -> Reading:
        """The request's parameters, the API it calls and what the call log keeps of it."""
        params = parse_facepp(request)
        action = "detect" if _is_detect(params) else facepp.ACTION
        logged: dict[str, Any] = {}
        for name, value in params.fields.items():
            if name in facepp.CREDENTIAL_FIELDS:
                logged[name] = REDACTED
            elif name == "image_base64":
                logged[name] = images.base64_summary(value)
            else:
                logged[name] = value
        for name, data in params.files.items():
            logged[name] = images.summary(data)
        return Reading(params, action, None, logged)

    def error(
        self,
        context: Context,
        request: httpx.Request,
        name: str,
        arg: str | None,
        parsed: object,
    ) -> httpx.Response:
        """The answer for the documented error ``name`` (an injected fault)."""
        return _error(context, request, name, arg)

    def answer(
        self,
        context: Context,
        settings: FaceppSettings,
        request: httpx.Request,
        parsed: FaceppParams,
        images: RequestImages,
        call: Call | None = None,
    ) -> httpx.Response:
        """What Face++ answers to the request: a landmark, a Detect answer or an error.

        A landmark answer's key order is drawn per answer; its seed goes on ``call``.
        """
        if _is_detect(parsed):
            return self._detect(context, settings, request, parsed, images)
        try:
            face, parts = self._decide(context, settings, parsed, images)
        except Reject as reject:
            return _error(context, request, reject.name, reject.arg, note=reject.message)
        request_id, time_used = _ids(context)
        with context.lock:
            order_seed = context.rng.getrandbits(63)

        def build() -> FaceppAnswer:
            body = facepp_success(face, parts=parts, request_id=slot("request_id"), time_used=0)
            body["time_used"] = slot("time_used")
            if face is not None:
                fragments = facepp_landmark_fragments(body["face"]["landmark"])
                body["face"]["landmark"] = slot("landmark")
                return FaceppAnswer(
                    Template(body, ("time_used", "request_id", "landmark")), fragments
                )
            return FaceppAnswer(Template(body, ("time_used", "request_id")), None)

        answer = context.template(("facepp", face, parts), build)
        if call is not None and answer.fragments is not None:
            call.order_seed = order_seed
        content = answer.render({"time_used": time_used, "request_id": request_id}, order_seed)
        return response(200, _HEADERS, content, request)

    # -- thousandlandmark ------------------------------------------------------------------

    def _decide(
        self,
        context: Context,
        settings: FaceppSettings,
        params: FaceppParams,
        images: RequestImages,
    ) -> tuple[Face | None, tuple[str, ...]]:
        if params.path.rstrip("/") != facepp.PATH:
            raise Reject("API_NOT_FOUND")
        _admit(context, params)
        parts = _parts(context, params.fields.get(facepp.RETURN_LANDMARK))
        return self._face(context, settings, params, images), parts

    def _face(
        self,
        context: Context,
        settings: FaceppSettings,
        params: FaceppParams,
        images: RequestImages,
    ) -> Face | None:
        source = _source(params, facepp.IMAGE_FIELDS)
        if source == "face_token":
            token = params.fields[source]
            with context.lock:
                known = settings.face_tokens.get(token)
            if known is None or (known[1] is not None and context.clock() >= known[1]):
                raise Reject("INVALID_FACE_TOKEN", token)
            return known[0]
        data, info = _image(context, params, images, source)
        found = _found(context, data, info)
        return found[0] if found else None

    # -- detect ----------------------------------------------------------------------------

    def _detect(
        self,
        context: Context,
        settings: FaceppSettings,
        request: httpx.Request,
        params: FaceppParams,
        images: RequestImages,
    ) -> httpx.Response:
        """``POST /facepp/v3/detect``, minimally: a face_token and box per face found.

        The tokens are accepted by thousandlandmark for the same face until they expire,
        72 hours later on the context's clock.
        """
        try:
            _admit(context, params)
            inputs = [name for name in facepp.IMAGE_FIELDS if name != "face_token"]
            data, info = _image(context, params, images, _source(params, inputs))
        except Reject as reject:
            return _error(context, request, reject.name, reject.arg, note=reject.message)
        found = _found(context, data, info)
        expires = context.clock() + facepp.FACE_TOKEN_LIFETIME_SECONDS
        with context.lock:
            tokens = [f"{context.rng.getrandbits(128):032x}" for _ in found]
            for token, face in zip(tokens, found, strict=True):
                settings.face_tokens[token] = (face, expires)
        request_id, time_used = _ids(context)
        image_id = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        body = facepp_detect(
            list(zip(tokens, found, strict=True)),
            image_id=image_id,
            request_id=request_id,
            time_used=time_used,
        )
        content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        return response(200, _HEADERS, content, request)


def _admit(context: Context, params: FaceppParams) -> None:
    """The checks every Face++ API makes first: body size, then the credentials."""
    if params.body_size > facepp.MAX_REQUEST_BYTES:
        raise Reject("REQUEST_ENTITY_TOO_LARGE")
    fields = params.fields
    for name in facepp.CREDENTIAL_FIELDS:
        if not fields.get(name):
            raise Reject("MISSING_ARGUMENTS", name)
    with context.lock:
        creds = context.credentials
        expected = {"api_key": creds.api_key, "api_secret": creds.api_secret}
    for name, value in expected.items():
        if value is not None and fields[name] != value:
            raise Reject("AUTHENTICATION_ERROR")


def _parts(context: Context, value: str | None) -> tuple[str, ...]:
    try:
        return facepp.parts_requested(value, strict=context.strict)
    except facepp.ReturnLandmarkError as exc:
        # Only the strict refusal of a documented spelling is the kit's own rule.
        note = exc.note if exc.unverified else None
        raise Reject(exc.error, facepp.RETURN_LANDMARK, message=note) from None


def _source(params: FaceppParams, inputs: Sequence[str]) -> str:
    """The image input that wins (the first of ``inputs`` sent), or MISSING_ARGUMENTS."""
    fields, files = params.fields, params.files
    for name in inputs:
        if files.get(name) if name in files else fields.get(name):
            return name
    raise Reject("MISSING_ARGUMENTS", facepp.MISSING_IMAGE_ARGUMENTS)


def _image(
    context: Context, params: FaceppParams, images: RequestImages, source: str
) -> tuple[bytes, ImageInfo]:
    """The image sent as ``source``, checked against the image rules."""
    fields, files = params.fields, params.files
    if source == "image_file":
        data = files[source] if source in files else fields[source].encode("latin-1")
    elif source == "image_base64":
        decoded = images.decode(fields[source])
        if decoded is None:
            raise Reject("IMAGE_ERROR_UNSUPPORTED_FORMAT", source)
        data = decoded
    else:
        registered = context.image_at(fields[source])
        if registered is None:
            raise Reject("INVALID_IMAGE_URL")
        data = registered
    limits = facepp.IMAGE_LIMITS
    if len(data) > limits.max_file_bytes:
        raise Reject("IMAGE_FILE_TOO_LARGE", source)
    info = images.sniff(data)
    if info is None or info.format not in limits.formats:
        raise Reject("IMAGE_ERROR_UNSUPPORTED_FORMAT", source)
    if info.short_side < limits.min_side or info.long_side > limits.max_side:
        raise Reject("INVALID_IMAGE_SIZE", source)
    return data, info


def _found(context: Context, data: bytes, info: ImageInfo) -> tuple[Face, ...]:
    """The faces Face++ finds in an image, largest first (those over the minimum size)."""
    smallest = facepp.IMAGE_LIMITS.min_face_size(info.width, info.height)
    return tuple(f for f in context.faces_in(data, info) if min(f.width, f.height) >= smallest)


#: The Face++ engine the registry hands the emulator.
ENGINE = FaceppEngine()
