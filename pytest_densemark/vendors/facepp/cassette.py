"""Face++'s cassette rules: what a recording keeps of a request, its match key, its answers.

Implements :class:`~pytest_densemark.cassettes.rules.CassetteRules` as :data:`RULES`. A
recording keeps ``return_landmark`` and ``face_token`` as sent, summarises images and image
URLs, drops ``api_key``/``api_secret`` and stores every other field as a digest. The match key
reads ``return_landmark`` by the emulator's own rule
(:func:`~pytest_densemark.facepp.parts_requested`) and, for recorded cassettes, the image.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from pytest_densemark import facepp, wire
from pytest_densemark._redaction import is_credential_name, url_credentials
from pytest_densemark.cassettes.rules import (
    ImageKey,
    Key,
    KeySource,
    stored_image,
    stored_url,
)
from pytest_densemark.cassettes.summary import (
    b64_summary,
    image_summary,
    url_summary,
    value_summary,
)
from pytest_densemark.payloads import facepp_detect_problems
from pytest_densemark.validation import ValidationResult, Violation, validate

__all__ = ["RULES", "FaceppCassetteRules"]

# Fields stored as sent; any other field is stored as a digest.
_KEPT_FIELDS = frozenset({facepp.RETURN_LANDMARK, "face_token"})
# The image URL field: stored without user information and query, plus a digest.
_URL_FIELD = "image_url"
# Image fields stored as a summary of the image.
_IMAGE_DATA_FIELDS = frozenset({"image_file", "image_base64"})
# What the match key reads, without and with the image.
_KEY_FIELDS = frozenset({facepp.RETURN_LANDMARK})
_IMAGE_KEY_FIELDS = _KEY_FIELDS | frozenset(facepp.IMAGE_FIELDS)
_EVERY_PART = frozenset(facepp.ALL_PARTS)


class _Parts(frozenset[str]):
    """The parts a request asks for, as the match key holds them."""

    __slots__ = ()

    def describe(self) -> str:
        """``all parts``, or the names in braces."""
        if self == _EVERY_PART:
            return "all parts"
        return "{" + ", ".join(sorted(self)) + "}" if self else "{}"


def _parts(value: Any) -> Any:
    """The parts a ``return_landmark`` value asks for, by the emulator's own rule.

    :func:`~pytest_densemark.facepp.parts_requested` decides for both, so a request the
    emulator answers with every part (``ALL``, ``all ,``, no value at all) matches an
    interaction recorded with ``all``. A value the rule refuses is kept, case-folded, and can
    only match itself.
    """
    if value is not None and not isinstance(value, str):
        return value
    return _text_parts(value)


@functools.lru_cache(maxsize=256)  # clients send the same few values request after request
def _text_parts(value: str | None) -> _Parts:
    try:
        return _Parts(facepp.parts_requested(value))
    except facepp.ReturnLandmarkError:
        assert value is not None
        return _Parts(name.strip().lower() for name in value.split(",") if name.strip())


def _stored_params(
    parsed: wire.FaceppParams, secrets: dict[str, str], names: Collection[str] | None
) -> dict[str, Any]:
    """The parameters as a cassette stores them (only ``names``, when given)."""
    params: dict[str, Any] = {}
    for key, text in parsed.fields.items():
        if names is not None and key not in names:
            continue
        if key in facepp.CREDENTIAL_FIELDS:
            secrets[key] = text
        elif key == "image_base64":
            params[key] = b64_summary(text)
        elif key == _URL_FIELD:
            params[key] = url_summary(text)
            secrets.update({f"{key} {k}": v for k, v in url_credentials(text).items()})
        elif key in _KEPT_FIELDS:
            params[key] = text
        else:
            params[key] = value_summary(text)
            if is_credential_name(key):
                secrets[key] = text
    for key, data in parsed.files.items():
        if names is not None and key not in names:
            continue
        if key in facepp.CREDENTIAL_FIELDS:
            secrets[key] = data.decode("utf-8", errors="replace")
        else:
            params[key] = image_summary(data)
    if parsed.error and names is None:
        params["$error"] = parsed.error
    return params


def _image(params: Mapping[str, Any]) -> ImageKey | None:
    """The image a request names, by the first image field it sends (the vendor's order)."""
    for name in facepp.IMAGE_FIELDS:
        if name in params:
            value = params[name]
            if name in _IMAGE_DATA_FIELDS:
                return stored_image(value)
            if name == _URL_FIELD:
                return stored_url(name, value)
            return ImageKey(name, value)  # an identifier the vendor handed out (face_token)
    return None


class FaceppCassetteRules:
    """Face++'s :class:`~pytest_densemark.cassettes.rules.CassetteRules`."""

    error_kind = "facepp-error"
    plain_text_errors: Collection[str] = frozenset(
        error.message() for error in facepp.ERRORS.values() if not error.json
    )

    def recording_action(self, request: httpx.Request) -> tuple[str, str | None]:
        """``thousandlandmark``, no version (Face++'s API has none)."""
        return facepp.ACTION, None

    def redact_header(self, name: str, value: str, secrets: dict[str, str]) -> str | None:
        """None: Face++ sends its credentials as parameters, and no header is kept."""
        return None

    def redact_params(self, request: httpx.Request, secrets: dict[str, str]) -> dict[str, Any]:
        """Fields and files as stored: credentials out, images summarised, the rest digests."""
        return _stored_params(wire.parse_facepp(request), secrets, None)

    def key_source(
        self, request: httpx.Request, parsed: object | None, *, with_image: bool
    ) -> KeySource:
        """``return_landmark`` (and the image fields) as the redaction stores them."""
        fields = parsed if isinstance(parsed, wire.FaceppParams) else wire.parse_facepp(request)
        names = _IMAGE_KEY_FIELDS if with_image else _KEY_FIELDS
        return KeySource({}, _stored_params(fields, {}, names))

    def match_key(self, source: KeySource, *, with_image: bool) -> Key:
        """``return_landmark`` as a set of parts; the image, ``with_image``."""
        parts = ("return_landmark", _parts(source.params.get(facepp.RETURN_LANDMARK)))
        if not with_image:
            return (parts,)
        return (parts, ("image", _image(source.params)))

    def check_body(self, path: str, status: int, body: Any) -> ValidationResult:
        """A Detect success by its own check; else thousandlandmark's by status."""
        if status == 200 and path.rstrip("/") == facepp.DETECT_PATH:
            # Detect (the face_token flow) is not thousandlandmark: its own, minimal check.
            problems = [Violation("", p) for p in facepp_detect_problems(body)]
            return ValidationResult("facepp-detect", problems)
        return validate(body, "facepp" if 200 <= status < 300 else "facepp-error")


#: Face++'s cassette rules, the ``cassette`` concern of its vendor.
RULES = FaceppCassetteRules()
