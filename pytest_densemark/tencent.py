"""Tencent Cloud IAI "AnalyzeDenseLandmarks": the vendor's facts, written once.

Everything else in the kit reads hosts, versions, point-list names, limits and error codes
from here. Tencent never published how many points each list holds, only "up to 888" per
face; per-list counts therefore live in an explicit :class:`PointProfile`, and the kit's own
assumption (:data:`KIT_PROFILE`) is labelled as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "ACTION",
    "CONTENT_TYPE",
    "ENVELOPE",
    "ERRORS",
    "ERROR_FIELDS",
    "ERROR_RESPONSE_FIELDS",
    "FACE_BOX_FIELDS",
    "HOST",
    "HOST_PATTERN",
    "IMAGE_LIMITS",
    "KIT_PROFILE",
    "MAX_FACES",
    "MAX_POINTS_PER_FACE",
    "MAX_REQUEST_BYTES",
    "NO_FACE_ANSWERS",
    "NO_FACE_ERROR",
    "POINT_FIELDS",
    "POINT_LISTS",
    "VERSIONS",
    "ErrorCode",
    "ImageLimits",
    "PointProfile",
]

#: The default endpoint host.
HOST = "iai.tencentcloudapi.com"
#: Every host that serves the action: the default one and the regional ones.
HOST_PATTERN = re.compile(r"^iai(\.[a-z0-9-]+)?\.tencentcloudapi\.com$")
SERVICE = "iai"
ACTION = "AnalyzeDenseLandmarks"
#: API versions that offer the action; their response models are identical.
VERSIONS: tuple[str, ...] = ("2018-03-01", "2020-03-03")
#: The exact ``Content-Type`` of every answer, errors included. The official SDK only raises
#: its exception for an error body when the type is exactly this.
CONTENT_TYPE = "application/json"
#: The signature algorithm of API 3.0.
SIGNATURE_ALGORITHM = "TC3-HMAC-SHA256"
#: How far ``X-TC-Timestamp`` may be from the server's clock before SignatureExpire.
MAX_CLOCK_SKEW_SECONDS = 300
#: Largest API 3.0 request body (POST, TC3-HMAC-SHA256 signing); a bigger one gets
#: ``RequestSizeLimitExceeded``.
MAX_REQUEST_BYTES = 10 * 1024 * 1024

#: The action's parameters (the JSON body's keys).
PARAMETERS: tuple[str, ...] = ("Mode", "Image", "Url", "FaceModelVersion", "NeedRotateDetection")
#: ``Mode``: 0 returns every face (default), 1 the largest one.
MODES: tuple[int, ...] = (0, 1)
FACE_MODEL_VERSIONS: tuple[str, ...] = ("3.0",)
#: At most this many faces come back, whatever the image holds.
MAX_FACES = 5
#: At most this many points per face, over all lists; the only count the vendor gives.
MAX_POINTS_PER_FACE = 888
#: The action's error for an image without a face.
NO_FACE_ERROR = "InvalidParameterValue.NoFaceInPhoto"
#: The two documented answers to an image without a face: ``"error"`` (:data:`NO_FACE_ERROR`,
#: from the action's error list) and ``"empty"`` (a success whose ``DenseFaceShapeSet`` is
#: ``[]``, the shape of the action doc's own output example). Which one a real call gets is
#: not documented, so clients should cope with both.
NO_FACE_ANSWERS: tuple[str, ...] = ("error", "empty")

#: The face box fields of a DenseFaceShape (integers; X and Y may be negative).
FACE_BOX_FIELDS: tuple[str, ...] = ("X", "Y", "Width", "Height")
#: The coordinates of a Point.
POINT_FIELDS: tuple[str, ...] = ("X", "Y")
#: The one top-level key of every answer, success or error.
ENVELOPE = "Response"
#: An error answer's ``Response`` fields, and the fields of its ``Error`` object.
ERROR_RESPONSE_FIELDS: tuple[str, ...] = ("Error", "RequestId")
ERROR_FIELDS: tuple[str, ...] = ("Code", "Message")
#: The 14 point lists of a DenseFaceShape, in the vendor's order.
POINT_LISTS: tuple[str, ...] = (
    "LeftEye",
    "RightEye",
    "LeftEyeBrow",
    "RightEyeBrow",
    "MouthOutside",
    "MouthInside",
    "Nose",
    "LeftPupil",
    "RightPupil",
    "CentralAxis",
    "Chin",
    "LeftEyeBags",
    "RightEyeBags",
    "Forehead",
)
#: Top-level fields of a successful ``Response``.
RESPONSE_FIELDS: tuple[str, ...] = (
    "ImageWidth",
    "ImageHeight",
    "DenseFaceShapeSet",
    "FaceModelVersion",
    "RequestId",
)


@dataclass(frozen=True)
class ImageLimits:
    """What the action accepts as an image."""

    formats: tuple[str, ...] = ("PNG", "JPEG", "BMP")
    max_base64_bytes: int = 5 * 1024 * 1024
    #: JPEG's long side may reach 4000 px, every other format's 2000 px.
    max_long_side_jpeg: int = 4000
    max_long_side_other: int = 2000
    min_short_side: int = 64

    def max_long_side(self, image_format: str) -> int:
        """The largest long side, in pixels, accepted for this format."""
        return self.max_long_side_jpeg if image_format == "JPEG" else self.max_long_side_other


#: The image rules of AnalyzeDenseLandmarks.
IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True)
class PointProfile:
    """How many points each of the 14 lists holds, an assumption the user can override.

    The vendor never published per-list counts. Validation checks them only when a profile
    is passed explicitly; generation needs some counts and uses :data:`KIT_PROFILE` unless
    told otherwise (for example with counts taken from your own recordings).
    """

    name: str
    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [n for n in POINT_LISTS if n not in self.counts]
        unknown = [n for n in self.counts if n not in POINT_LISTS]
        if missing or unknown:
            raise ValueError(
                f"profile {self.name!r}: lists must be exactly {', '.join(POINT_LISTS)}"
                f" (missing {missing}, unknown {unknown})"
            )
        bad = {n: c for n, c in self.counts.items() if not isinstance(c, int) or c < 0}
        if bad:
            raise ValueError(f"profile {self.name!r}: counts must be integers >= 0, got {bad}")
        if self.total > MAX_POINTS_PER_FACE:
            raise ValueError(
                f"profile {self.name!r}: {self.total} points, over the vendor's"
                f" {MAX_POINTS_PER_FACE} per face"
            )
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    @property
    def total(self) -> int:
        """Points per face under this profile."""
        return sum(self.counts.values())


#: The kit's own assumption, used to generate faces: 888 points split by the size of each
#: feature. Not a vendor fact.
KIT_PROFILE = PointProfile(
    "kit-assumed-888",
    {
        "LeftEye": 64,
        "RightEye": 64,
        "LeftEyeBrow": 64,
        "RightEyeBrow": 64,
        "MouthOutside": 64,
        "MouthInside": 64,
        "Nose": 128,
        "LeftPupil": 32,
        "RightPupil": 32,
        "CentralAxis": 40,
        "Chin": 128,
        "LeftEyeBags": 32,
        "RightEyeBags": 32,
        "Forehead": 80,
    },
)


@dataclass(frozen=True)
class ErrorCode:
    """One documented error code. Every error comes back as HTTP 200 with a JSON envelope."""

    code: str
    message: str
    #: ``"action"`` for AnalyzeDenseLandmarks' own codes, ``"common"`` for API 3.0's.
    scope: str
    #: The API versions that document the code.
    versions: tuple[str, ...] = VERSIONS
    retryable: bool = False


def _codes() -> Iterator[ErrorCode]:
    action = [
        ("FailedOperation.FaceSizeTooSmall", "Face is smaller than MinFaceSize and was filtered."),
        ("FailedOperation.ImageDecodeFailed", "Image decoding failed."),
        ("FailedOperation.ImageDownloadError", "Image download error."),
        ("FailedOperation.ImageResolutionExceed", "Image resolution is too large."),
        ("FailedOperation.ImageResolutionTooSmall", "Image short side is smaller than 64."),
        ("FailedOperation.ImageSizeExceed", "Base64-encoded image data exceeds 5M."),
        ("FailedOperation.RequestTimeout", "Backend service timed out."),
        ("FailedOperation.ServerError", "Algorithm service error, please retry."),
        ("InternalError", "Internal error."),
        ("InvalidParameter.InvalidParameter", "Invalid parameter."),
        ("InvalidParameterValue.FaceModelVersionIllegal", "Illegal algorithm model version."),
        ("InvalidParameterValue.ImageEmpty", "Image is empty."),
        ("InvalidParameterValue.NoFaceInPhoto", "No face in the image."),
        ("InvalidParameterValue.UrlIllegal", "Illegal URL format."),
        ("RequestLimitExceeded", "Request frequency limit exceeded."),
        ("ResourceUnavailable.InArrears", "Account is in arrears."),
        ("ResourceUnavailable.LowBalance", "Insufficient balance."),
        ("ResourceUnavailable.NotExist", "Billing status unknown; enable the service."),
        ("ResourceUnavailable.NotReady", "Service not enabled."),
        ("ResourceUnavailable.Recover", "Resource has been reclaimed."),
        ("ResourceUnavailable.StopUsing", "Account service stopped."),
        ("ResourceUnavailable.UnknownStatus", "Billing status unknown."),
        ("ResourcesSoldOut.ChargeStatusException", "Billing status exception."),
        ("UnsupportedOperation.UnknowMethod", "Unknown method name."),
    ]
    retryable = {
        "FailedOperation.RequestTimeout",
        "FailedOperation.ServerError",
        "InternalError",
        "RequestLimitExceeded",
        "FailedOperation.UnKnowError",
    }
    for code, message in action:
        yield ErrorCode(code, message, "action", retryable=code in retryable)
    yield ErrorCode(
        "FailedOperation.UnKnowError",
        "Unknown error.",
        "action",
        versions=("2020-03-03",),
        retryable=True,
    )
    common = [
        (
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated."
            " Please check your signature is correct.",
        ),
        (
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
        ),
        (
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        ),
        ("AuthFailure.InvalidSecretId", "Invalid key (not a TencentCloud API key type)."),
        ("AuthFailure.InvalidAuthorization", "The `Authorization` header is invalid."),
        ("AuthFailure.TokenFailure", "Token error."),
        ("AuthFailure.UnauthorizedOperation", "The request is not authorized."),
        ("AuthFailure.MFAFailure", "MFA failure."),
        ("InvalidAction", "The requested action does not exist."),
        ("NoSuchVersion", "The requested version does not exist."),
        ("MissingParameter", "A required parameter is missing."),
        ("UnknownParameter", "An unknown parameter was sent."),
        ("InvalidParameter", "A parameter is invalid."),
        ("InvalidParameterValue", "A parameter value is invalid."),
        ("UnsupportedProtocol", "HTTP(S) request protocol error; only GET and POST."),
        ("RequestLimitExceeded.IPLimitExceeded", "IP frequency limit exceeded."),
        ("RequestLimitExceeded.UinLimitExceeded", "Main account frequency limit exceeded."),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            "Main account frequency limit exceeded in all regions.",
        ),
        ("RequestSizeLimitExceeded", "The request size exceeds the limit."),
        ("ServiceUnavailable", "The service is temporarily unavailable."),
    ]
    for code, message in common:
        yield ErrorCode(
            code,
            message,
            "common",
            retryable=code.startswith(("RequestLimitExceeded", "ServiceUnavailable")),
        )


#: Every documented code, by code. ``InternalError`` and ``RequestLimitExceeded`` are both
#: action-specific and common; they appear once, as action codes.
ERRORS: Mapping[str, ErrorCode] = MappingProxyType({e.code: e for e in _codes()})
