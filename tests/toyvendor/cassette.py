"""The toy's cassette rules: what a recording keeps of a request, its match key, its answers.

Implements :class:`~pytest_densemark.cassettes.rules.CassetteRules` as :data:`RULES`. A
recording drops ``api_key``, summarises the image and stores every other field as a digest;
no header but the content type is kept. Nothing in a toy request changes the answer but the
image, so the match key is the image alone (for recorded cassettes) or empty.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import httpx

from pytest_densemark.cassettes.rules import CassetteRules, Key, KeySource, stored_image
from pytest_densemark.cassettes.summary import b64_summary, value_summary
from pytest_densemark.validation import ValidationResult, validate
from toyvendor import facts
from toyvendor.request import ToyParams, parse_toy

__all__ = ["RULES", "ToyCassetteRules"]


def _stored_params(
    parsed: ToyParams, secrets: dict[str, str], names: Collection[str] | None
) -> dict[str, Any]:
    """The fields as a cassette stores them (only ``names``, when given)."""
    params: dict[str, Any] = {}
    for key, value in parsed.fields.items():
        if names is not None and key not in names:
            continue
        if key == facts.CREDENTIAL_FIELD:
            if isinstance(value, str):
                secrets[key] = value
        elif key == facts.IMAGE_FIELD and isinstance(value, str):
            params[key] = b64_summary(value)
        else:
            params[key] = value_summary(value)
    if parsed.error and names is None:
        params["$error"] = parsed.error
    return params


class ToyCassetteRules:
    """The toy's :class:`~pytest_densemark.cassettes.rules.CassetteRules`."""

    error_kind = facts.ERROR_KIND
    #: Every toy error is JSON.
    plain_text_errors: Collection[str] = frozenset()

    def recording_action(self, request: httpx.Request) -> tuple[str, str | None]:
        """``landmarks``, version ``1``: the toy has one API."""
        return facts.ACTION, facts.VERSION

    def redact_header(self, name: str, value: str, secrets: dict[str, str]) -> str | None:
        """None: the toy's credential is a body field, and no header is kept."""
        return None

    def redact_params(self, request: httpx.Request, secrets: dict[str, str]) -> dict[str, Any]:
        """The JSON fields as stored: the key out, the image summarised, the rest digests."""
        return _stored_params(parse_toy(request), secrets, None)

    def key_source(
        self, request: httpx.Request, parsed: object | None, *, with_image: bool
    ) -> KeySource:
        """The image field (``with_image``) as the redaction stores it."""
        fields = parsed if isinstance(parsed, ToyParams) else parse_toy(request)
        names = (facts.IMAGE_FIELD,) if with_image else ()
        return KeySource({}, _stored_params(fields, {}, names))

    def match_key(self, source: KeySource, *, with_image: bool) -> Key:
        """Nothing but the image (``with_image``): no other field changes the answer."""
        if not with_image:
            return ()
        value = source.params.get(facts.IMAGE_FIELD)
        return (("image", None if value is None else stored_image(value)),)

    def check_body(self, path: str, status: int, body: Any) -> ValidationResult:
        """A success body for a 2xx answer, else an error body."""
        return validate(body, facts.SUCCESS_KIND if 200 <= status < 300 else facts.ERROR_KIND)


#: The toy's cassette rules, the ``cassette`` concern of its vendor.
RULES: CassetteRules = ToyCassetteRules()
