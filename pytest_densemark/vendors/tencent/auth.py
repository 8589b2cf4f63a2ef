"""Tencent's request authentication as the service applies it: TC3-HMAC-SHA256 and the older
HmacSHA1/HmacSHA256 signatures, with the codes a failure answers.

Called by the Tencent engine once the action and version are known. The SecretId, the
signature, the timestamp's age and the token are checked only once the emulator's
credentials configure them; an ``Authorization`` header must always be well formed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_densemark.answers import Reject
from pytest_densemark.vendors.tencent import facts as tencent
from pytest_densemark.vendors.tencent import signing as tc3
from pytest_densemark.vendors.tencent.request import TencentParams

if TYPE_CHECKING:
    from pytest_densemark.context import Context

__all__ = ["check_old_signature", "check_tc3"]


def _missing(name: str) -> Reject:
    return Reject(
        "MissingParameter", message=f"The request is missing a required parameter `{name}`."
    )


def check_old_signature(context: Context, params: TencentParams) -> None:
    """The HmacSHA1/HmacSHA256 signatures: as strict as TC3, with the same codes."""
    fields = params.fields or {}
    for name in ("Timestamp", "Nonce", "SecretId", "Signature"):
        if not fields.get(name):
            raise _missing(name)
    if params.signature_method not in tencent.OLD_SIGNATURE_METHODS:
        raise Reject(
            "InvalidParameterValue",
            message=f"SignatureMethod `{params.signature_method}` is not one of"
            f" {', '.join(tencent.OLD_SIGNATURE_METHODS)}.",
        )
    timestamp = fields["Timestamp"]
    if not timestamp.isdigit():
        raise Reject(
            "InvalidParameter", message=f"Timestamp `{timestamp}` is not a unix timestamp."
        )
    with context.lock:
        creds = context.credentials
        secret_id, secret_key, token = creds.secret_id, creds.secret_key, creds.token
    if secret_id is not None and fields["SecretId"] != secret_id:
        raise Reject("AuthFailure.SecretIdNotFound")
    if token is not None and params.token != token:
        raise Reject("AuthFailure.TokenFailure")
    if secret_key is None:
        return
    if abs(context.clock() - int(timestamp)) > tencent.MAX_CLOCK_SKEW_SECONDS:
        raise Reject("AuthFailure.SignatureExpire")
    if not tc3.verify_old(
        secret_key, method=params.method, host=params.host, path=params.path, params=fields
    ):
        raise Reject("AuthFailure.SignatureFailure")


def check_tc3(context: Context, params: TencentParams) -> None:
    """TC3-HMAC-SHA256: a well-formed ``Authorization`` header always; the SecretId, token,
    timestamp age and signature once configured (loopback quirks accepted, see
    :func:`~pytest_densemark.vendors.tencent.signing.accepted_scopes`)."""
    if not params.timestamp:
        raise _missing("X-TC-Timestamp")
    if not params.timestamp.isdigit():
        raise Reject(
            "InvalidParameter",
            message=f"X-TC-Timestamp `{params.timestamp}` is not a unix timestamp.",
        )
    try:
        auth = tc3.parse_authorization(params.authorization or "")
    except tc3.AuthorizationError as exc:
        raise Reject("AuthFailure.InvalidAuthorization", message=str(exc)) from None
    with context.lock:
        creds = context.credentials
        secret_id, secret_key, token = creds.secret_id, creds.secret_key, creds.token
    if secret_id is not None and auth.secret_id != secret_id:
        raise Reject("AuthFailure.SecretIdNotFound")
    if token is not None and params.token != token:
        raise Reject("AuthFailure.TokenFailure")
    if secret_key is None:
        return
    timestamp = int(params.timestamp)
    if abs(context.clock() - timestamp) > tencent.MAX_CLOCK_SKEW_SECONDS:
        raise Reject("AuthFailure.SignatureExpire")
    hosts, services = tc3.accepted_scopes(params.host)
    good = (
        auth.service in services
        and auth.date == tc3.credential_date(timestamp)
        and any(
            tc3.verify(
                auth,
                secret_key,
                method=params.method,
                path=params.path,
                query=params.query,
                headers={**params.headers, "host": host},
                body=params.body,
                timestamp=params.timestamp,
            )
            for host in hosts
        )
    )
    if not good:
        raise Reject("AuthFailure.SignatureFailure")
