"""Tencent's cassette rules: what a recording keeps of a request, its match key, its answers.

Implements :class:`~pytest_densemark.cassettes.rules.CassetteRules` as :data:`RULES`. A
recording keeps the ``X-TC-*`` headers, with ``X-TC-Token`` replaced and the SecretId and
signature inside a TC3 ``Authorization`` header redacted; it keeps the action's own
parameters as sent, summarises ``Image`` and ``Url``, and stores anything else as a digest.
The match key reads the action and version, ``Mode`` and ``FaceModelVersion`` with their
defaults, and, for recorded cassettes, the image. Every signature form (TC3 over POST or GET,
the older HmacSHA1/HmacSHA256) is read by :func:`~pytest_densemark.wire.parse_tencent`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import httpx

from pytest_densemark import tencent, wire
from pytest_densemark._redaction import REDACTED, is_credential_name, url_credentials
from pytest_densemark.cassettes.rules import ImageKey, Key, KeySource, stored_image, stored_url
from pytest_densemark.cassettes.summary import (
    b64_summary,
    image_summary,
    url_summary,
    value_summary,
)
from pytest_densemark.validation import ValidationResult, validate

__all__ = ["RULES", "TencentCassetteRules"]

_HEADER_PREFIX = "x-tc-"
_TOKEN_HEADER = "x-tc-token"
_ACTION_HEADER = "x-tc-action"
_VERSION_HEADER = "x-tc-version"
_IMAGE = "Image"
# The image URL parameter: stored without user information and query, plus a digest.
_URL = "Url"
# What the match key reads, without and with the image.
_KEY_FIELDS = frozenset({"Mode", "FaceModelVersion"})
_IMAGE_KEY_FIELDS = _KEY_FIELDS | {_IMAGE, _URL}


def _split_authorization(value: str) -> tuple[str, dict[str, str]]:
    """``TC3-HMAC-SHA256 Credential=id/date/iai/tc3_request, SignedHeaders=..., Signature=..``"""
    algorithm, _, rest = value.strip().partition(" ")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    return algorithm, parts


def _redact_authorization(value: str, secrets: dict[str, str]) -> str | None:
    """A TC3 ``Authorization`` with its SecretId and signature redacted; None for another."""
    algorithm, parts = _split_authorization(value)
    credential = parts.get("Credential")
    if algorithm != tencent.SIGNATURE_ALGORITHM or credential is None:
        return None
    secret_id, _, scope = credential.partition("/")
    if secret_id:
        secrets["SecretId"] = secret_id
    if parts.get("Signature"):
        secrets["Signature"] = parts["Signature"]
    return (
        f"{algorithm} Credential={REDACTED}/{scope}, "
        f"SignedHeaders={parts.get('SignedHeaders', '')}, Signature={REDACTED}"
    )


def _stored_params(
    params: Mapping[str, Any], secrets: dict[str, str], names: Collection[str] | None
) -> dict[str, Any]:
    """The action's parameters as a cassette stores them (only ``names``, when given)."""
    stored: dict[str, Any] = {}
    for key, value in params.items():
        if names is not None and key not in names:
            continue
        if key == _IMAGE and isinstance(value, str):
            stored[key] = b64_summary(value)
        elif key == _URL and isinstance(value, str):
            stored[key] = url_summary(value)
            secrets.update({f"{key} {k}": v for k, v in url_credentials(value).items()})
        elif key in tencent.PARAMETERS and not isinstance(value, dict | list):
            stored[key] = value
        else:
            stored[key] = value_summary(value)
            if is_credential_name(key) and isinstance(value, str):
                secrets[key] = value
    return stored


def _mode(value: Any) -> Any:
    if value is None:
        return tencent.MODES[0]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _model(value: Any) -> Any:
    return tencent.FACE_MODEL_VERSIONS[0] if value is None else value


class TencentCassetteRules:
    """Tencent's :class:`~pytest_densemark.cassettes.rules.CassetteRules`."""

    error_kind = "tencent-error"
    #: Tencent answers in JSON only.
    plain_text_errors: Collection[str] = frozenset()

    def recording_action(self, request: httpx.Request) -> tuple[str, str | None]:
        """The action (``AnalyzeDenseLandmarks`` when the request names none) and version.

        Read as the match key reads them: from ``X-TC-Action`` / ``X-TC-Version``, or from
        the ``Action`` / ``Version`` parameters of a request signed the older way (which the
        stored request does not keep, so the cassette's own must be right).
        """
        read = wire.parse_tencent(request)
        return (read.action if read.action is not None else tencent.ACTION), read.version

    def redact_header(self, name: str, value: str, secrets: dict[str, str]) -> str | None:
        """``X-TC-*`` kept (the token, and any whose name says credential, replaced); a TC3
        ``Authorization`` without its secrets."""
        if name == "authorization":
            return _redact_authorization(value, secrets)
        if name == _TOKEN_HEADER:
            secrets["X-TC-Token"] = value
            return REDACTED
        if name.startswith(_HEADER_PREFIX) and is_credential_name(name):
            # Not a header Tencent documents, but its name says it carries a credential.
            secrets[name] = value
            return REDACTED
        if name.startswith(_HEADER_PREFIX):
            return value
        return None

    def redact_params(self, request: httpx.Request, secrets: dict[str, str]) -> dict[str, Any]:
        """The action's parameters as stored; a body that is no JSON object as a summary."""
        parsed = wire.parse_tencent(request)
        if parsed.params is None:
            return {"$body": image_summary(parsed.body) | {"error": parsed.error}}
        return _stored_params(parsed.params, secrets, None)

    def key_source(
        self, request: httpx.Request, parsed: object | None, *, with_image: bool
    ) -> KeySource:
        """Action and version (from headers or, signed the older way, parameters), and
        ``Mode``, ``FaceModelVersion`` (and the image) as the redaction stores them."""
        read = parsed if isinstance(parsed, wire.TencentParams) else wire.parse_tencent(request)
        headers: dict[str, str] = {}
        if read.action is not None:
            headers[_ACTION_HEADER] = read.action
        if read.version is not None:
            headers[_VERSION_HEADER] = read.version
        names = _IMAGE_KEY_FIELDS if with_image else _KEY_FIELDS
        return KeySource(headers, _stored_params(read.params or {}, {}, names))

    def match_key(self, source: KeySource, *, with_image: bool) -> Key:
        """Action, version, ``Mode`` (absent = 0), ``FaceModelVersion`` (absent = the
        default); the image (``Url`` before ``Image``), ``with_image``."""
        params = source.params
        key: Key = (
            ("X-TC-Action", source.headers.get(_ACTION_HEADER, source.action)),
            ("X-TC-Version", source.headers.get(_VERSION_HEADER, source.version)),
            ("Mode", _mode(params.get("Mode"))),
            ("FaceModelVersion", _model(params.get("FaceModelVersion"))),
        )
        if not with_image:
            return key
        image: ImageKey | None = None
        if _URL in params:
            image = stored_url(_URL, params[_URL])
        elif _IMAGE in params:
            image = stored_image(params[_IMAGE])
        return (*key, ("image", image))

    def check_body(self, path: str, status: int, body: Any) -> ValidationResult:
        """A success or an error payload, by the envelope (Tencent answers errors with 200)."""
        response = body.get(tencent.ENVELOPE) if isinstance(body, Mapping) else None
        error = isinstance(response, Mapping) and "Error" in response
        return validate(body, "tencent-error" if error else "tencent")


#: Tencent's cassette rules, the ``cassette`` concern of its vendor.
RULES = TencentCassetteRules()
