"""Face++ (Megvii) "thousandlandmark": the vendor's facts, written once.

Everything else in the kit (schemas, validator, face model, strategies, emulator, cassettes)
reads endpoints, part names, key names, counts, error messages and image limits from here,
and the one rule reading ``return_landmark`` (:func:`parts_requested`), which the emulator
and cassette matching both call. Importing it is cheap (no httpx): the validator and the
pytest plugin read it. ``pytest_densemark.facepp`` re-exports it under its older path.
The facts follow the project's vendor reference, which corrects the vendor's Chinese doc:
the API has returned 9 parts since 2019-08-19 (the doc still lists the 7 older ones), and
the doc's ``mouse`` part name is a typo for ``mouth``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pytest_densemark.errors import DensemarkError

__all__ = [
    "ACTION",
    "ALL",
    "ALL_PARTS",
    "CONTENT_TYPE",
    "CREDENTIAL_FIELDS",
    "DETECT_FACE_FIELDS",
    "DETECT_FIELDS",
    "DETECT_PATH",
    "DETECT_URL",
    "DOC_MISSPELLINGS",
    "ERRORS",
    "ERROR_FIELDS",
    "FACE_FIELDS",
    "FACE_RECTANGLE_FIELDS",
    "FACE_TOKEN_LIFETIME_SECONDS",
    "HOSTS",
    "IMAGE_FIELDS",
    "IMAGE_LIMITS",
    "LEGACY_PARTS",
    "MAX_REQUEST_BYTES",
    "MISSING_IMAGE_ARGUMENTS",
    "PARTS",
    "PATH",
    "POINT_FIELDS",
    "RETURN_LANDMARK",
    "SUCCESS_FIELDS",
    "TOTAL_KEYS",
    "TOTAL_POINTS",
    "URL",
    "ApiError",
    "ImageLimits",
    "Part",
    "ReturnLandmarkError",
    "error_body_message",
    "parts_requested",
]

#: Hosts that serve the API (mainland China first, then the international one).
HOSTS: tuple[str, ...] = ("api-cn.faceplusplus.com", "api-us.faceplusplus.com")
#: The path of the dense-landmark API on every host.
PATH = "/facepp/v1/face/thousandlandmark"
#: The URL a client normally calls.
URL = f"https://{HOSTS[0]}{PATH}"
#: Detect, which issues the ``face_token`` values thousandlandmark accepts.
DETECT_PATH = "/facepp/v3/detect"
DETECT_URL = f"https://{HOSTS[0]}{DETECT_PATH}"
#: A face_token from Detect expires this long after it was issued (unless kept in a FaceSet).
FACE_TOKEN_LIFETIME_SECONDS = 72 * 3600
#: Top-level fields of a Detect success body, and the fields of each face the kit returns
#: (Detect's optional landmark and attributes are not emulated).
DETECT_FIELDS: tuple[str, ...] = ("request_id", "time_used", "faces", "image_id", "face_num")
DETECT_FACE_FIELDS: tuple[str, ...] = ("face_token", "face_rectangle")

#: Request fields, in the vendor's words.
CREDENTIAL_FIELDS: tuple[str, ...] = ("api_key", "api_secret")
#: Image inputs in order of precedence: the first one present wins (no COEXISTENCE error).
IMAGE_FIELDS: tuple[str, ...] = ("face_token", "image_file", "image_base64", "image_url")
RETURN_LANDMARK = "return_landmark"
#: ``return_landmark`` value meaning every part (anywhere in the comma list).
ALL = "all"
#: Part names the vendor's docs (Chinese and English) list as legal values of
#: ``return_landmark``, with the part the answer then holds. ``mouse`` is listed in both docs
#: and sent by a public SDK; whether the live service accepts it is not published, so the kit
#: accepts it (answering the ``mouth`` part) unless strict mode refuses unverified spellings.
DOC_MISSPELLINGS: Mapping[str, str] = MappingProxyType({"mouse": "mouth"})
#: The ``Content-Type`` of every JSON answer (successes and JSON errors).
CONTENT_TYPE = "application/json"
#: The API's name: the last segment of :data:`PATH`.
ACTION = "thousandlandmark"

#: Top-level fields of a success body; ``face`` may be absent, ``null`` or ``{}``.
SUCCESS_FIELDS: tuple[str, ...] = ("time_used", "request_id", "face")
#: Top-level fields of a JSON error body.
ERROR_FIELDS: tuple[str, ...] = ("time_used", "error_message", "request_id")
#: The fields of a found face.
FACE_FIELDS: tuple[str, ...] = ("face_rectangle", "landmark")
#: The face box: position (``top``, ``left``) then size (``width``, ``height``), pixels.
FACE_RECTANGLE_FIELDS: tuple[str, ...] = ("top", "left", "width", "height")
#: The coordinates of every landmark point (the vendor serialises ``y`` first).
POINT_FIELDS: tuple[str, ...] = ("x", "y")

#: Body size over which the front end answers 413 in plain text.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One landmark part: its numbered point runs, its single named points, its radii."""

    name: str
    #: ``(prefix, count)``: keys ``prefix0 .. prefix{count-1}``, each a point.
    runs: tuple[tuple[str, int], ...]
    #: Single point keys without an index (pupil centres, nostrils).
    points: tuple[str, ...] = ()
    #: Keys whose value is a bare non-negative integer (pupil radii), not a point.
    radii: tuple[str, ...] = ()

    def run_keys(self, prefix: str) -> tuple[str, ...]:
        """The keys of one numbered run, in contour order."""
        for run_prefix, count in self.runs:
            if run_prefix == prefix:
                return tuple(f"{prefix}{i}" for i in range(count))
        raise KeyError(f"part {self.name!r} has no run {prefix!r}")

    @property
    def point_keys(self) -> tuple[str, ...]:
        """Every key whose value is an ``{"x": int, "y": int}`` point."""
        keys = [f"{prefix}{i}" for prefix, count in self.runs for i in range(count)]
        return (*keys, *self.points)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the part holds: points, then radii."""
        return (*self.point_keys, *self.radii)

    @property
    def point_count(self) -> int:
        """How many points the part holds."""
        return sum(count for _, count in self.runs) + len(self.points)

    @property
    def key_count(self) -> int:
        """How many keys the part holds (points plus radii)."""
        return self.point_count + len(self.radii)


def _eye(side: str) -> Part:
    return Part(
        f"{side}_eye",
        runs=((f"{side}_eye_", 63),),
        points=(f"{side}_eye_pupil_center",),
        radii=(f"{side}_eye_pupil_radius",),
    )


_PARTS = (
    Part(
        "face",
        runs=(("face_hairline_", 145), ("face_contour_right_", 64), ("face_contour_left_", 64)),
    ),
    Part("left_eyebrow", runs=(("left_eyebrow_", 64),)),
    Part("right_eyebrow", runs=(("right_eyebrow_", 64),)),
    _eye("left"),
    _eye("right"),
    Part("left_eye_eyelid", runs=(("left_eye_eyelid_", 64),)),
    Part("right_eye_eyelid", runs=(("right_eye_eyelid_", 64),)),
    Part(
        "nose",
        runs=(("nose_left_", 63), ("nose_right_", 63), ("nose_midline_", 60)),
        points=("left_nostril", "right_nostril"),
    ),
    Part("mouth", runs=(("upper_lip_", 64), ("lower_lip_", 64))),
)

#: Every part of the current (since 2019-08-19) format, by name.
PARTS: Mapping[str, Part] = MappingProxyType({part.name: part for part in _PARTS})
#: The 9 part names of the current format.
ALL_PARTS: tuple[str, ...] = tuple(PARTS)
#: The 7 parts returned before 2019-08-19 (no eyelids); a valid subset today.
LEGACY_PARTS: tuple[str, ...] = tuple(n for n in ALL_PARTS if not n.endswith("_eyelid"))
#: Points in a full response (973).
TOTAL_POINTS = sum(part.point_count for part in _PARTS)
#: Keys in a full response, radii included (975).
TOTAL_KEYS = sum(part.key_count for part in _PARTS)


class ReturnLandmarkError(DensemarkError, ValueError):
    """A ``return_landmark`` value the kit refuses; ``error`` is the vendor error it answers
    (``MISSING_ARGUMENTS`` or ``BAD_ARGUMENTS``) and ``note`` why, when the rule is the kit's
    reading of the docs rather than observed behaviour."""

    def __init__(self, error: str, note: str, *, unverified: bool = False) -> None:
        super().__init__(f"{error}: {note}")
        self.error = error
        self.note = note
        #: True when the refusal is a rule no vendor observation confirms (strict mode).
        self.unverified = unverified


def parts_requested(value: str | None, *, strict: bool = False) -> tuple[str, ...]:
    """The parts the service answers for a ``return_landmark`` value, in the vendor's order.

    ``all`` anywhere in the comma list means every part; names are case-insensitive and
    blank items are skipped. Where the docs contradict each other the kit accepts the request
    unless ``strict`` (then it refuses, saying the rule is unverified): a doc spelling such as
    ``mouse`` gives its part (``mouth``), and a missing or empty value gives every part (the
    English doc's default, though both docs also mark the field required). Raises
    :class:`ReturnLandmarkError` for a value naming no part or an unknown part.
    """
    if value is None or not value.strip():
        # Both docs mark it required; the English one also says it defaults to All.
        if strict:
            raise ReturnLandmarkError(
                "MISSING_ARGUMENTS",
                f"{RETURN_LANDMARK} was not sent: both vendor docs mark it required, but the"
                " English doc also gives it a default (All) and no observation says which the"
                " live service does; strict mode refuses it",
                unverified=True,
            )
        return ALL_PARTS
    names = [name.strip().lower() for name in value.split(",")]
    names = [name for name in names if name]
    if not names:
        raise ReturnLandmarkError("BAD_ARGUMENTS", f"{RETURN_LANDMARK}={value!r} names no part")
    if ALL in names:
        return ALL_PARTS
    wanted = set()
    for name in names:
        if name in DOC_MISSPELLINGS:
            if strict:
                raise ReturnLandmarkError(
                    "BAD_ARGUMENTS",
                    f"{RETURN_LANDMARK}: {name!r} is listed in the vendor's docs but unverified"
                    " against the live service; strict mode refuses it (send"
                    f" {DOC_MISSPELLINGS[name]!r})",
                    unverified=True,
                )
            name = DOC_MISSPELLINGS[name]
        if name not in PARTS:
            raise ReturnLandmarkError(
                "BAD_ARGUMENTS",
                f"{RETURN_LANDMARK}: unknown part {name!r}; expected all or names from"
                f" {', '.join(ALL_PARTS)}",
            )
        wanted.add(name)
    return tuple(part for part in ALL_PARTS if part in wanted)


@dataclass(frozen=True)
class ImageLimits:
    """What the service accepts as an image."""

    formats: tuple[str, ...] = ("JPEG", "PNG")
    min_side: int = 100
    max_side: int = 4096
    max_file_bytes: int = 2 * 1024 * 1024
    #: The smallest face found is ``max(min_face, short side // min_face_divisor)`` pixels.
    min_face: int = 100
    min_face_divisor: int = 24

    def min_face_size(self, width: int, height: int) -> int:
        """The smallest face (in pixels) the service detects in an image of this size."""
        return max(self.min_face, min(width, height) // self.min_face_divisor)


#: The image rules of the thousandlandmark API.
IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True)
class ApiError:
    """One documented error: its HTTP status and ``error_message``.

    ``template`` holds ``{arg}`` where the vendor appends a parameter, a face token or a
    reason. ``json`` is false only for the plain-text 413 from the front end.
    """

    name: str
    status: int
    template: str
    description: str
    json: bool = True
    retryable: bool = False
    #: The values ``{arg}`` takes, when the vendor documents a closed set.
    args: tuple[str, ...] = ()
    #: One line: what evidence the exact message (spacing, arguments) follows.
    evidence: str = ""

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` the vendor sends with this error."""
        return "application/json" if self.json else "text/plain"

    def message(self, arg: str | None = None, *, space: bool | None = None) -> str:
        """The exact ``error_message`` (or plain-text body) for this error.

        The vendor's own docs put a space after the colon for some errors and not others;
        ``space`` overrides the documented spacing so tests can check a client copes with both.
        """
        if "{arg}" not in self.template:
            return self.template
        if arg is None:
            arg = self.args[0] if self.args else "image_file"
        head = self.template.split("{arg}", 1)[0].rstrip()
        if space is None:
            space = self.template.endswith(" {arg}")
        return f"{head} {arg}" if space else f"{head}{arg}"


#: What MISSING_ARGUMENTS names when no image input was sent: every image argument, as the
#: v3 docs' sample failures and clients written against them show.
MISSING_IMAGE_ARGUMENTS = "image_url, image_file, image_base64"

_DOC = "the thousandlandmark doc's error table (Chinese and English agree)"


def _errors() -> Iterator[ApiError]:
    yield ApiError(
        "INVALID_FACE_TOKEN",
        400,
        "INVALID_FACE_TOKEN: {arg}",
        "The face_token does not exist or has expired (72 hours after Detect).",
        args=("c2fc0ad7c8da3af5a34b9c70ff764da0",),
        evidence="conflicting: the English docs' table has a space after the colon, their"
        " sample body none; the kit follows the table and strategies draw both",
    )
    yield ApiError(
        "AUTHENTICATION_ERROR",
        401,
        "AUTHENTICATION_ERROR",
        "api_key and api_secret do not match.",
        evidence=_DOC,
    )
    yield ApiError(
        "AUTHORIZATION_ERROR",
        403,
        "AUTHORIZATION_ERROR:{arg}",
        "The api_key may not call this API.",
        args=("Denied by Client", "Denied by Admin", "Insufficient Account Balance"),
        evidence=f"{_DOC}: the three reasons, no space after the colon",
    )
    yield ApiError(
        "CONCURRENCY_LIMIT_EXCEEDED",
        403,
        "CONCURRENCY_LIMIT_EXCEEDED",
        "The api_key's QPS limit is reached; retry later.",
        retryable=True,
        evidence=_DOC,
    )
    yield ApiError(
        "MISSING_ARGUMENTS",
        400,
        "MISSING_ARGUMENTS: {arg}",
        "A required argument is missing.",
        args=("api_key", "api_secret", "return_landmark", MISSING_IMAGE_ARGUMENTS),
        evidence="the v3 docs' sample failures and their clients: a space after the colon, and"
        " one message listing every image argument when none was sent (whether"
        " thousandlandmark also lists face_token there is not published)",
    )
    yield ApiError(
        "BAD_ARGUMENTS",
        400,
        "BAD_ARGUMENTS:{arg}",
        "An argument could not be parsed.",
        args=("return_landmark",),
        evidence=f"{_DOC}, written without a space; no client evidence either way",
    )
    yield ApiError(
        "COEXISTENCE_ARGUMENTS",
        400,
        "COEXISTENCE_ARGUMENTS",
        "Mutually exclusive arguments were sent (never for this API).",
        evidence=f"{_DOC}; the image inputs' precedence makes it unreachable here",
    )
    yield ApiError(
        "IMAGE_DOWNLOAD_TIMEOUT",
        412,
        "IMAGE_DOWNLOAD_TIMEOUT",
        "Downloading image_url timed out.",
        retryable=True,
        evidence=_DOC,
    )
    yield ApiError(
        "REQUEST_ENTITY_TOO_LARGE",
        413,
        "Request Entity Too Large",
        "The request body is over 2 MB; plain text, not JSON.",
        json=False,
        evidence=f"{_DOC}: the front end's plain-text answer",
    )
    yield ApiError("API_NOT_FOUND", 404, "API_NOT_FOUND", "No API at this path.", evidence=_DOC)
    yield ApiError(
        "INTERNAL_ERROR",
        500,
        "INTERNAL_ERROR",
        "Server error; retry.",
        retryable=True,
        evidence=_DOC,
    )
    yield ApiError(
        "IMAGE_ERROR_UNSUPPORTED_FORMAT",
        400,
        "IMAGE_ERROR_UNSUPPORTED_FORMAT: {arg}",
        "The image is not a JPEG or PNG, or cannot be decoded.",
        args=("image_file", "image_base64", "image_url"),
        evidence="real clients of the v3 image APIs compare against it with a space after the"
        " colon (the doc table writes none)",
    )
    yield ApiError(
        "INVALID_IMAGE_SIZE",
        400,
        "INVALID_IMAGE_SIZE: {arg}",
        "The image is smaller than 100x100 or larger than 4096x4096 pixels.",
        args=("image_file", "image_base64", "image_url"),
        evidence="real clients of the v3 image APIs compare against it with a space after the"
        " colon (the doc table writes none)",
    )
    yield ApiError(
        "INVALID_IMAGE_URL",
        400,
        "INVALID_IMAGE_URL",
        "image_url could not be downloaded.",
        evidence=_DOC,
    )
    yield ApiError(
        "IMAGE_FILE_TOO_LARGE",
        400,
        "IMAGE_FILE_TOO_LARGE:{arg}",
        "The image file is over 2 MB.",
        args=("image_file", "image_base64", "image_url"),
        evidence=f"{_DOC}, written without a space; no client evidence either way",
    )
    yield ApiError(
        "INSUFFICIENT_PERMISSION",
        403,
        "INSUFFICIENT_PERMISSION:{arg}",
        "The api_key may not use this parameter.",
        args=("return_landmark",),
        evidence=f"{_DOC}, written without a space; no client evidence either way",
    )


#: The documented errors, by name.
ERRORS: Mapping[str, ApiError] = MappingProxyType({e.name: e for e in _errors()})


def error_body_message(name: str, arg: str | None = None) -> str:
    """The ``error_message`` the kit emits for the named error (documented spacing)."""
    return ERRORS[name].message(arg)
