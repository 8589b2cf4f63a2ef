# ruff: noqa: RUF001  (the Chinese messages use full-width punctuation, as the vendor writes)
"""Tencent Cloud IAI "AnalyzeDenseLandmarks": the vendor's facts, written once.

Everything else in the kit reads hosts, versions, point-list names, limits and error codes
from here. Tencent never published how many points each list holds, only "up to 888" per
face; per-list counts therefore live in an explicit :class:`PointProfile`, and the kit's own
assumption (:data:`KIT_PROFILE`) is labelled as such. Importing it is cheap (no httpx): the
validator and the pytest plugin read it. ``pytest_densemark.tencent`` re-exports it under its
older path.
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
    "FACE_MODEL_VERSIONS",
    "HOST",
    "HOST_PATTERN",
    "IMAGE_LIMITS",
    "INTEGER_PARAMETERS",
    "KIT_PROFILE",
    "LANGUAGES",
    "MAX_CLOCK_SKEW_SECONDS",
    "MAX_FACES",
    "MAX_GET_REQUEST_BYTES",
    "MAX_OLD_SIGNATURE_POST_BYTES",
    "MAX_POINTS_PER_FACE",
    "MAX_REQUEST_BYTES",
    "MODES",
    "NO_FACE_ANSWERS",
    "NO_FACE_ERROR",
    "OLD_SIGNATURE_METHODS",
    "OLD_SIGNATURE_PARAMETERS",
    "PARAMETERS",
    "POINT_FIELDS",
    "POINT_LISTS",
    "RESPONSE_FIELDS",
    "SDK_RETRIED_CODES",
    "SERVICE",
    "SIGNATURE_ALGORITHM",
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
#: The older signatures (``SignatureMethod``), still accepted by API 3.0 and selectable in
#: every official SDK (``ClientProfile(signMethod=...)``): no ``Authorization`` header, the
#: common parameters travel with the action's in a form body or the query string.
OLD_SIGNATURE_METHODS: tuple[str, ...] = ("HmacSHA1", "HmacSHA256")
#: The common parameters of an old-signature request (the action's own ones travel beside).
OLD_SIGNATURE_PARAMETERS: tuple[str, ...] = (
    "Action",
    "Version",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Region",
    "Token",
    "Language",
    "RequestClient",
)
#: The languages of error messages (``X-TC-Language`` / ``Language``). The SDKs send
#: ``zh-CN`` unless told otherwise; without the header the kit answers in English (the API
#: doc's default of zh-CN is documented for "some actions" only: unverified here).
LANGUAGES: tuple[str, ...] = ("zh-CN", "en-US")
#: The error codes the official SDK's retryer retries (``StandardRetryer.should_retry``),
#: besides its own network errors.
SDK_RETRIED_CODES: tuple[str, ...] = (
    "RequestLimitExceeded",
    "RequestLimitExceeded.UinLimitExceeded",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
)
#: How far ``X-TC-Timestamp`` may be from the server's clock before SignatureExpire.
MAX_CLOCK_SKEW_SECONDS = 300
#: Largest API 3.0 request body (POST, TC3-HMAC-SHA256 signing); a bigger one gets
#: ``RequestSizeLimitExceeded``.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
#: Largest GET request (its query string) and largest POST signed the older way
#: (HmacSHA1/HmacSHA256), as the API 3.0 request-structure doc gives them; the project's
#: vendor reference does not list them, so they are the doc's word, unverified here.
MAX_GET_REQUEST_BYTES = 32 * 1024
MAX_OLD_SIGNATURE_POST_BYTES = 1024 * 1024

#: The action's parameters (the JSON body's keys).
PARAMETERS: tuple[str, ...] = ("Mode", "Image", "Url", "FaceModelVersion", "NeedRotateDetection")
#: The integer parameters: in a query string or form body they arrive as text.
INTEGER_PARAMETERS: tuple[str, ...] = ("Mode", "NeedRotateDetection")
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
    #: Whether the official SDK's retryer retries it (:data:`SDK_RETRIED_CODES`).
    retryable: bool = False
    #: The message in Chinese, what clients get with ``X-TC-Language: zh-CN`` (the SDK's
    #: default): the action codes' text is the SDK's ``errorcodes.py``, the common codes'
    #: the API 3.0 common error table.
    message_zh: str = ""

    def message_in(self, language: str | None) -> str:
        """The message for ``X-TC-Language: language`` (English unless ``zh-CN``)."""
        if language == "zh-CN" and self.message_zh:
            return self.message_zh
        return self.message


def _codes() -> Iterator[ErrorCode]:
    action = [
        (
            "FailedOperation.FaceSizeTooSmall",
            "Face is smaller than MinFaceSize and was filtered.",
            "人脸框大小小于MinFaceSize设置，人脸被过滤。",
        ),
        ("FailedOperation.ImageDecodeFailed", "Image decoding failed.", "图片解码失败。"),
        ("FailedOperation.ImageDownloadError", "Image download error.", "图片下载错误。"),
        (
            "FailedOperation.ImageResolutionExceed",
            "Image resolution is too large.",
            "图片分辨率过大。",
        ),
        (
            "FailedOperation.ImageResolutionTooSmall",
            "Image short side is smaller than 64.",
            "图片短边分辨率小于64。",
        ),
        (
            "FailedOperation.ImageSizeExceed",
            "Base64-encoded image data exceeds 5M.",
            "base64编码后的图片数据大小不超过5M。",
        ),
        ("FailedOperation.RequestTimeout", "Backend service timed out.", "后端服务超时。"),
        (
            "FailedOperation.ServerError",
            "Algorithm service error, please retry.",
            "算法服务异常，请重试。",
        ),
        ("InternalError", "Internal error.", "内部错误。"),
        ("InvalidParameter.InvalidParameter", "Invalid parameter.", "参数不合法。"),
        (
            "InvalidParameterValue.FaceModelVersionIllegal",
            "Illegal algorithm model version.",
            "算法模型版本不合法。",
        ),
        ("InvalidParameterValue.ImageEmpty", "Image is empty.", "图片为空。"),
        ("InvalidParameterValue.NoFaceInPhoto", "No face in the image.", "图片中没有人脸。"),
        ("InvalidParameterValue.UrlIllegal", "Illegal URL format.", "URL格式不合法。"),
        ("RequestLimitExceeded", "Request frequency limit exceeded.", "请求的次数超过了频率限制。"),
        ("ResourceUnavailable.InArrears", "Account is in arrears.", "账号已欠费。"),
        ("ResourceUnavailable.LowBalance", "Insufficient balance.", "余额不足。"),
        (
            "ResourceUnavailable.NotExist",
            "Billing status unknown; enable the service.",
            "计费状态未知，请确认是否已在控制台开通服务。",
        ),
        ("ResourceUnavailable.NotReady", "Service not enabled.", "服务未开通。"),
        ("ResourceUnavailable.Recover", "Resource has been reclaimed.", "资源已被回收。"),
        ("ResourceUnavailable.StopUsing", "Account service stopped.", "账号已停服。"),
        ("ResourceUnavailable.UnknownStatus", "Billing status unknown.", "计费状态未知。"),
        ("ResourcesSoldOut.ChargeStatusException", "Billing status exception.", "计费状态异常。"),
        ("UnsupportedOperation.UnknowMethod", "Unknown method name.", "未知方法名。"),
        # Listed last, where the catalogue always had it.
        ("FailedOperation.UnKnowError", "Unknown error.", "内部错误。"),
    ]
    # FailedOperation.UnKnowError is defined for both versions (both SDK errorcodes.py files).
    for code, message, message_zh in action:
        yield ErrorCode(
            code, message, "action", retryable=code in SDK_RETRIED_CODES, message_zh=message_zh
        )
    common = [
        (
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated."
            " Please check your signature is correct.",
            "请求签名验证失败，请检查您的签名计算是否正确。",
        ),
        (
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
            "签名过期。Timestamp 和服务器时间相差不得超过五分钟，"
            "请检查本地时间是否和标准时间同步。",
        ),
        (
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
            "密钥不存在。请在控制台检查密钥是否已被删除或者禁用，如状态正常，请检查密钥是否填写正确，"
            "注意前后不得有空格。",
        ),
        (
            "AuthFailure.InvalidSecretId",
            "Invalid key (not a TencentCloud API key type).",
            "密钥非法（不是云 API 密钥类型）。",
        ),
        (
            "AuthFailure.InvalidAuthorization",
            "The `Authorization` header is invalid.",
            "请求头部的 Authorization 不符合腾讯云标准。",
        ),
        ("AuthFailure.TokenFailure", "Token error.", "token 错误。"),
        (
            "AuthFailure.UnauthorizedOperation",
            "The request is not authorized.",
            "请求未授权。请参考 CAM 文档对鉴权的说明。",
        ),
        ("AuthFailure.MFAFailure", "MFA failure.", "MFA 错误。"),
        ("InvalidAction", "The requested action does not exist.", "接口不存在。"),
        ("NoSuchVersion", "The requested version does not exist.", "接口版本不存在。"),
        ("MissingParameter", "A required parameter is missing.", "缺少参数错误。"),
        (
            "UnknownParameter",
            "An unknown parameter was sent.",
            "未知参数错误，用户多传未定义的参数会导致错误。",
        ),
        ("InvalidParameter", "A parameter is invalid.", "参数错误（包括参数格式、类型等错误）。"),
        ("InvalidParameterValue", "A parameter value is invalid.", "参数取值错误。"),
        (
            "UnsupportedProtocol",
            "HTTP(S) request protocol error; only GET and POST.",
            "HTTP(S) 请求协议错误，只支持 GET 和 POST 请求。",
        ),
        ("RequestLimitExceeded.IPLimitExceeded", "IP frequency limit exceeded.", "IP 限频。"),
        (
            "RequestLimitExceeded.UinLimitExceeded",
            "Main account frequency limit exceeded.",
            "主账号限频。",
        ),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            "Main account frequency limit exceeded in all regions.",
            "主账号超过全局限频。",
        ),
        ("RequestSizeLimitExceeded", "The request size exceeds the limit.", "请求包超过限制大小。"),
        ("ServiceUnavailable", "The service is temporarily unavailable.", "当前服务暂时不可用。"),
    ]
    for code, message, message_zh in common:
        yield ErrorCode(
            code, message, "common", retryable=code in SDK_RETRIED_CODES, message_zh=message_zh
        )


#: Every documented code, by code. ``InternalError`` and ``RequestLimitExceeded`` are both
#: action-specific and common; they appear once, as action codes.
ERRORS: Mapping[str, ErrorCode] = MappingProxyType({e.code: e for e in _codes()})
