"""TC3-HMAC-SHA256 signing at its first import path: ``from pytest_densemark import tc3``.

The signing code lives in :mod:`pytest_densemark.vendors.tencent.signing`; this module
re-exports every public name of it (the same objects), so code and docs written against the
older flat layout keep working.
"""

from __future__ import annotations

from pytest_densemark.vendors.tencent.signing import (
    ALGORITHM,
    DEFAULT_SIGNED_HEADERS,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    Authorization,
    AuthorizationError,
    accepted_scopes,
    authorization_header,
    canonical_request,
    credential_date,
    is_loopback,
    old_sign,
    old_string_to_sign,
    parse_authorization,
    sign,
    signing_key,
    string_to_sign,
    verify,
    verify_old,
)

__all__ = [
    "ALGORITHM",
    "DEFAULT_SIGNED_HEADERS",
    "TERMINATOR",
    "UNSIGNED_PAYLOAD",
    "Authorization",
    "AuthorizationError",
    "accepted_scopes",
    "authorization_header",
    "canonical_request",
    "credential_date",
    "is_loopback",
    "old_sign",
    "old_string_to_sign",
    "parse_authorization",
    "sign",
    "signing_key",
    "string_to_sign",
    "verify",
    "verify_old",
]
