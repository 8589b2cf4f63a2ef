"""Tencent rules: decide what AnalyzeDenseLandmarks answers to a request (the dense shapes
or an error envelope) and build that answer.

:data:`ENGINE` implements :class:`pytest_densemark.emulator.Engine`; the emulator reaches it
through the registry (``vendors.get("tencent").engine``). Per emulator, Tencent keeps what it
answers for a faceless image and the points per list (:class:`TencentSettings`); everything
else (credentials, faces, URLs, the clock, the seed) is the emulator's
:class:`~pytest_densemark.context.Context`. Signatures are checked by :mod:`.auth`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from pytest_densemark.answers import (
    Reading,
    Reject,
    Template,
    content_type_header,
    response,
    slot,
)
from pytest_densemark.request_images import RequestImages
from pytest_densemark.vendors.tencent import facts as tencent
from pytest_densemark.vendors.tencent.auth import check_old_signature, check_tc3
from pytest_densemark.vendors.tencent.payloads import (
    tencent_error_response,
    tencent_request_id,
    tencent_success,
)
from pytest_densemark.vendors.tencent.request import (
    TencentParams,
    parse_tencent,
    requested_face_model_version,
    requested_mode,
)

if TYPE_CHECKING:
    from pytest_densemark.calls import Call
    from pytest_densemark.context import Context

__all__ = ["ENGINE", "TencentEngine", "TencentSettings"]

_HEADERS = content_type_header(tencent.CONTENT_TYPE)
_URL = re.compile(r"^https?://[^/\s]+")


def _check_no_face(where: str, answer: object) -> str:
    if not isinstance(answer, str) or answer not in tencent.NO_FACE_ANSWERS:
        raise ValueError(
            f"{where}: tencent_no_face must be one of {', '.join(tencent.NO_FACE_ANSWERS)},"
            f" got {answer!r}"
        )
    return answer


class TencentSettings:
    """What one emulator knows of Tencent beyond the shared context: what it answers for an
    image without a face (``tencent_no_face``, back to ``default_no_face`` on reset) and the
    points per list (``profile``). The emulator holds its lock around every call."""

    __slots__ = ("default_no_face", "profile", "tencent_no_face")

    def __init__(self, *, no_face: str, profile: tencent.PointProfile) -> None:
        self.default_no_face = no_face
        self.tencent_no_face = no_face
        self.profile = profile

    def set_tencent_no_face(self, answer: str) -> None:
        """Answer ``"error"`` or ``"empty"`` for an image without a face."""
        self.tencent_no_face = _check_no_face("set_tencent_no_face", answer)


def _profile_key(profile: tencent.PointProfile) -> tuple[str, tuple[tuple[str, int], ...]]:
    return profile.name, tuple(profile.counts.items())


def _error(
    context: Context,
    request: httpx.Request,
    code: str,
    message: str | None = None,
    language: str | None = None,
) -> httpx.Response:
    with context.lock:
        request_id = tencent_request_id(context.rng)
    if language == "zh-CN" or message is None:
        # The detailed messages are the kit's English; in Chinese the catalogue's text.
        message = tencent.ERRORS[code].message_in(language)
    answer = tencent_error_response(code, request_id=request_id, message=message)
    return answer.to_httpx(request)


class TencentEngine:
    """The Tencent rules, as the emulator calls them (:class:`~pytest_densemark.emulator.Engine`).

    Every form the official SDKs send is read (TC3 over POST or GET, the older signatures in
    a form body or the query). Checks, in the service's order: method, request size, action
    and version, the signature (:mod:`.auth`), the body's parameters, the image; error
    messages follow ``X-TC-Language`` (``zh-CN``: the Chinese texts).
    """

    #: The ``Content-Type`` of every answer.
    content_type = tencent.CONTENT_TYPE
    #: The documented error codes: what ``inject_error`` accepts.
    errors: Mapping[str, object] = tencent.ERRORS

    def settings(self, options: Mapping[str, Any], *, where: str) -> TencentSettings:
        """A new emulator's Tencent settings from its ``tencent_no_face`` and ``profile``
        options (``ValueError`` naming ``where`` for a bad ``tencent_no_face``)."""
        no_face = _check_no_face(where, options.get("tencent_no_face", "error"))
        profile = options.get("profile") or tencent.KIT_PROFILE
        return TencentSettings(no_face=no_face, profile=profile)

    def read(self, request: httpx.Request, images: RequestImages) -> Reading:
        """The request's parameters, the action and version called and what the call log
        keeps of it (the ``Image`` as a summary)."""
        params = parse_tencent(request)
        logged: dict[str, Any] = {}
        if params.params is not None:
            logged = dict(params.params)
            if isinstance(logged.get("Image"), str):
                logged["Image"] = images.base64_summary(logged["Image"])
        return Reading(params, params.action, params.version, logged)

    def error(
        self,
        context: Context,
        request: httpx.Request,
        name: str,
        arg: str | None,
        parsed: object,
    ) -> httpx.Response:
        """The error envelope for the documented code ``name`` (an injected fault), in the
        request's language."""
        language = parsed.language if isinstance(parsed, TencentParams) else None
        return _error(context, request, name, language=language)

    def answer(
        self,
        context: Context,
        settings: TencentSettings,
        request: httpx.Request,
        parsed: TencentParams,
        images: RequestImages,
        call: Call | None = None,
    ) -> httpx.Response:
        """What AnalyzeDenseLandmarks answers to the request: the shapes or an error."""
        try:
            content = self._decide(context, settings, parsed, images)
        except Reject as reject:
            return _error(context, request, reject.name, reject.message, parsed.language)
        return response(200, _HEADERS, content, request)

    def _decide(
        self,
        context: Context,
        settings: TencentSettings,
        params: TencentParams,
        images: RequestImages,
    ) -> bytes:
        if params.method not in ("POST", "GET"):
            raise Reject(
                "UnsupportedProtocol",
                message=f"Only GET and POST requests are supported, got {params.method}.",
            )
        old = params.old_signature
        if params.method == "GET":
            limit, size = tencent.MAX_GET_REQUEST_BYTES, len(params.query)
        elif old:
            limit, size = tencent.MAX_OLD_SIGNATURE_POST_BYTES, len(params.body)
        else:
            limit, size = tencent.MAX_REQUEST_BYTES, len(params.body)
        if size > limit:
            raise Reject(
                "RequestSizeLimitExceeded",
                message=f"The request is {size} bytes; this form allows {limit}.",
            )
        names = ("Action", "Version") if old else ("X-TC-Action", "X-TC-Version")
        for header, value in zip(names, (params.action, params.version), strict=True):
            if not value:
                raise Reject(
                    "MissingParameter",
                    message=f"The request is missing a required parameter `{header}`.",
                )
        if params.action != tencent.ACTION:
            raise Reject(
                "InvalidAction",
                message=f"The requested action `{params.action}` does not exist.",
            )
        if params.version not in tencent.VERSIONS:
            raise Reject(
                "NoSuchVersion",
                message=f"The requested version `{params.version}` of service `iai` does not"
                " exist.",
            )
        if old:
            check_old_signature(context, params)
        else:
            check_tc3(context, params)
        if params.params is None:
            raise Reject("InvalidParameter", message=f"Invalid request body: {params.error}.")
        return self._body(context, settings, params.params, images)

    def _body(
        self,
        context: Context,
        settings: TencentSettings,
        body: dict[str, Any],
        images: RequestImages,
    ) -> bytes:
        unknown = [key for key in body if key not in tencent.PARAMETERS]
        if unknown:
            raise Reject(
                "UnknownParameter", message=f"The parameter `{unknown[0]}` is not recognized."
            )
        mode = requested_mode(body)
        if not isinstance(mode, int) or isinstance(mode, bool):
            raise Reject("InvalidParameter", message="Mode must be an integer.")
        if mode not in tencent.MODES:
            raise Reject(
                "InvalidParameterValue",
                message=f"Mode must be one of {list(tencent.MODES)}, got {mode}.",
            )
        rotate = body.get("NeedRotateDetection", 0)
        if rotate not in (0, 1) or isinstance(rotate, bool):
            raise Reject("InvalidParameterValue", message="NeedRotateDetection must be 0 or 1.")
        if requested_face_model_version(body) not in tencent.FACE_MODEL_VERSIONS:
            raise Reject("InvalidParameterValue.FaceModelVersionIllegal")
        for key in ("Image", "Url"):
            if key in body and not isinstance(body[key], str):
                raise Reject("InvalidParameter", message=f"{key} must be a string.")
        data = _image(context, body.get("Url") or None, body.get("Image") or None, images)
        limits = tencent.IMAGE_LIMITS
        info = images.sniff(data)
        if info is None or info.format not in limits.formats:
            raise Reject("FailedOperation.ImageDecodeFailed")
        if info.short_side < limits.min_short_side:
            raise Reject("FailedOperation.ImageResolutionTooSmall")
        if info.long_side > limits.max_long_side(info.format):
            raise Reject("FailedOperation.ImageResolutionExceed")
        faces = context.faces_in(data, info)
        with context.lock:
            no_face = settings.tencent_no_face
        if not faces and no_face == "error":
            raise Reject(tencent.NO_FACE_ERROR)
        chosen = faces[:1] if mode == 1 else faces[: tencent.MAX_FACES]
        with context.lock:
            request_id = tencent_request_id(context.rng)
        profile = settings.profile
        width, height = info.width, info.height

        def build() -> Template:
            answer = tencent_success(
                chosen,
                image_width=width,
                image_height=height,
                request_id=slot("request_id"),
                profile=profile,
            )
            return Template(answer, ("request_id",))

        cache_key = ("tencent", chosen, width, height, _profile_key(profile))
        return context.template(cache_key, build).render({"request_id": request_id})


def _image(context: Context, url: str | None, image: str | None, images: RequestImages) -> bytes:
    limits = tencent.IMAGE_LIMITS
    if url is not None:  # Url wins over Image
        parsed = httpx.URL(url) if _URL.match(url) else None
        if parsed is None or not parsed.host:
            raise Reject("InvalidParameterValue.UrlIllegal")
        data = context.image_at(url)
        if data is None:
            raise Reject("FailedOperation.ImageDownloadError")
        if 4 * -(-len(data) // 3) > limits.max_base64_bytes:
            raise Reject("FailedOperation.ImageSizeExceed")
        return data
    if image is None:
        raise Reject("InvalidParameterValue.ImageEmpty")
    if len(image) > limits.max_base64_bytes:
        raise Reject("FailedOperation.ImageSizeExceed")
    data = images.decode(image)
    if data is None:
        raise Reject("FailedOperation.ImageDecodeFailed")
    return data


#: The Tencent engine the registry hands the emulator.
ENGINE = TencentEngine()
