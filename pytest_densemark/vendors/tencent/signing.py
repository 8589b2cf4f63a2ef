"""TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0: sign and verify.

The algorithm (see the vendor reference): a canonical request built from the method, path,
query, the signed headers and the body's sha256; a string to sign holding the timestamp, the
credential scope (``<UTC date>/<service>/tc3_request``) and the canonical request's sha256;
an HMAC-SHA256 key chain ``"TC3" + SecretKey`` -> date -> service -> ``tc3_request``.
A client that sets ``X-TC-Content-SHA256: UNSIGNED-PAYLOAD`` signs that literal string
instead of the body's hash. The older HmacSHA1/HmacSHA256 signatures, still accepted by the
API and offered by every SDK, are here too (:func:`old_sign`, :func:`verify_old`).
``pytest_densemark.tc3`` re-exports this module under its older path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from pytest_densemark.errors import DensemarkError
from pytest_densemark.vendors.tencent import facts as tencent

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

ALGORITHM = tencent.SIGNATURE_ALGORITHM
TERMINATOR = "tc3_request"
#: The value of ``X-TC-Content-SHA256`` that replaces the body's hash in the signature.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: The headers every official SDK signs.
DEFAULT_SIGNED_HEADERS: tuple[str, ...] = ("content-type", "host")

_AUTH_RE = re.compile(
    rf"^{re.escape(ALGORITHM)}\s+"
    r"Credential=(?P<secret_id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/,\s]+)"
    rf"/(?P<terminator>{TERMINATOR})\s*,\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;-]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


class AuthorizationError(DensemarkError, ValueError):
    """An ``Authorization`` header that is not a well-formed TC3-HMAC-SHA256 header."""


@dataclass(frozen=True)
class Authorization:
    """The parts of a TC3-HMAC-SHA256 ``Authorization`` header."""

    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """The credential scope: ``<date>/<service>/tc3_request``."""
        return f"{self.date}/{self.service}/{TERMINATOR}"


_SCHEME = re.compile(r"^([A-Za-z0-9-]{1,40})\s")


def _shape(value: str) -> str:
    """How a malformed ``Authorization`` value looks, without its content: it carries the
    SecretId and a signature (or another credential), which no message may repeat."""
    text = value.strip()
    if not text:
        return "is empty"
    scheme = _SCHEME.match(text)
    named = f", scheme {scheme[1]!r}" if scheme else ""
    return f"({len(text)} characters{named}) is malformed"


def parse_authorization(value: str) -> Authorization:
    """Split an ``Authorization`` header; raises :class:`AuthorizationError` when malformed.

    The signed headers must include ``content-type`` and ``host``, as the vendor requires.
    """
    match = _AUTH_RE.match(value.strip())
    if match is None:
        raise AuthorizationError(
            f"Authorization header {_shape(value)}: expected '{ALGORITHM} Credential="
            f"<SecretId>/<YYYY-MM-DD>/<service>/{TERMINATOR}, SignedHeaders=content-type;host,"
            " Signature=<64 hex digits>'"
        )
    signed = tuple(match["headers"].split(";"))
    missing = [h for h in DEFAULT_SIGNED_HEADERS if h not in signed]
    if missing or "" in signed:
        raise AuthorizationError(
            f"Authorization header: SignedHeaders {match['headers']!r} must list"
            f" {';'.join(DEFAULT_SIGNED_HEADERS)}"
        )
    return Authorization(
        secret_id=match["secret_id"],
        date=match["date"],
        service=match["service"],
        signed_headers=signed,
        signature=match["signature"],
    )


def _hostname(host: str) -> str:
    """``host`` without its port (``[::1]:80`` gives ``[::1]``)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    """Whether a ``Host`` value (port allowed) names this machine: localhost, 127/8, ::1."""
    name = _hostname(host).strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def accepted_scopes(host: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The signed ``host`` values and credential services a correct client may use for a
    request whose ``Host`` header is ``host``.

    Always the header as sent and the service ``iai``. On a loopback address two more, which
    a correct client is forced into there and nowhere else: the Node.js SDK signs ``host``
    without the port and takes the service from the endpoint's first dot-separated label
    (``127`` for ``127.0.0.1:PORT``). Against the real endpoint both coincide with the above.
    """
    hosts, services = [host], [tencent.SERVICE]
    if is_loopback(host):
        hostname = _hostname(host)
        if hostname != host:
            hosts.append(hostname)
        label = host.split(".", 1)[0]
        if label != tencent.SERVICE:
            services.append(label)
    return tuple(hosts), tuple(services)


def credential_date(timestamp: int) -> str:
    """The UTC date (``YYYY-MM-DD``) of a unix timestamp, as used in the credential scope."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, service: str = tencent.SERVICE) -> bytes:
    """The derived key: HMAC chain ``"TC3" + secret_key`` over date, service, tc3_request."""
    key = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    key = _hmac(key, service)
    return _hmac(key, TERMINATOR)


def canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    unsigned_payload: bool = False,
    lowercase_values: bool = False,
) -> str:
    """The canonical request. ``headers`` are looked up case-insensitively.

    Header values are signed as sent (what the official SDKs do); ``lowercase_values``
    lower-cases them as the vendor's written description of the algorithm says.

    Raises ``KeyError`` naming a signed header the request does not carry.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in signed_headers:
        if name not in lower:
            raise KeyError(f"signed header {name!r} is not in the request")
        value = lower[name].strip()
        lines.append(f"{name}:{value.lower() if lowercase_values else value}")
    payload = UNSIGNED_PAYLOAD.encode() if unsigned_payload else body
    return "\n".join(
        [
            method.upper(),
            path or "/",
            query,
            "".join(line + "\n" for line in lines),
            ";".join(signed_headers),
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def string_to_sign(timestamp: int | str, scope: str, canonical: str) -> str:
    """The string to sign: algorithm, timestamp, scope and the canonical request's sha256."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def sign(
    secret_key: str,
    *,
    timestamp: int,
    canonical: str,
    service: str = tencent.SERVICE,
    date: str | None = None,
) -> str:
    """The hex signature of a canonical request (``date`` defaults to the timestamp's)."""
    date = date or credential_date(timestamp)
    scope = f"{date}/{service}/{TERMINATOR}"
    return hmac.new(
        signing_key(secret_key, date, service),
        string_to_sign(timestamp, scope, canonical).encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()


def authorization_header(
    secret_id: str,
    secret_key: str,
    *,
    host: str,
    body: bytes,
    timestamp: int,
    content_type: str = tencent.CONTENT_TYPE,
    method: str = "POST",
    path: str = "/",
    query: str = "",
    service: str = tencent.SERVICE,
) -> str:
    """A complete ``Authorization`` header for a request, as the official SDKs build it."""
    canonical = canonical_request(
        method=method,
        path=path,
        query=query,
        headers={"content-type": content_type, "host": host},
        signed_headers=DEFAULT_SIGNED_HEADERS,
        body=body,
    )
    date = credential_date(timestamp)
    signature = sign(secret_key, timestamp=timestamp, canonical=canonical, service=service)
    return (
        f"{ALGORITHM} Credential={secret_id}/{date}/{service}/{TERMINATOR},"
        f" SignedHeaders={';'.join(DEFAULT_SIGNED_HEADERS)}, Signature={signature}"
    )


def verify(
    authorization: Authorization,
    secret_key: str,
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    timestamp: str,
) -> bool:
    """Whether ``authorization`` is the right signature of this request under ``secret_key``.

    ``timestamp`` is the ``X-TC-Timestamp`` header as sent (it is signed verbatim). Header
    values are tried as sent and lower-cased. A signed header missing from the request makes
    the signature wrong, not an exception.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    key = signing_key(secret_key, authorization.date, authorization.service)
    for lowercase_values in (False, True):
        try:
            canonical = canonical_request(
                method=method,
                path=path,
                query=query,
                headers=lower,
                signed_headers=authorization.signed_headers,
                body=body,
                unsigned_payload=lower.get("x-tc-content-sha256") == UNSIGNED_PAYLOAD,
                lowercase_values=lowercase_values,
            )
        except KeyError:
            return False
        expected = hmac.new(
            key,
            string_to_sign(timestamp, authorization.scope, canonical).encode("utf-8"),
            hashlib.sha256,
        ).hexdigest()
        if hmac.compare_digest(expected, authorization.signature):
            return True
    return False


# -- the older signatures: HmacSHA1 / HmacSHA256 ------------------------------------------


def old_string_to_sign(method: str, host: str, path: str, params: Mapping[str, object]) -> str:
    """The string the older signatures sign: ``METHOD + host + path + "?" + k=v&...``.

    Every parameter but ``Signature``, sorted by name, values as text (not URL-encoded),
    ``_`` in names replaced by ``.``; ``host`` is the endpoint the client called (port
    included when it called one).
    """
    items = {str(k).replace("_", "."): v for k, v in params.items() if k != "Signature"}
    query = "&".join(f"{k}={items[k]}" for k in sorted(items))
    return f"{method.upper()}{host}{path or '/'}?{query}"


def old_sign(secret_key: str, string: str, method: str = "HmacSHA256") -> str:
    """The base64 ``Signature`` of ``string`` under ``secret_key`` (HmacSHA1 or HmacSHA256).

    Raises ``ValueError`` for another method.
    """
    digests = {"HmacSHA1": hashlib.sha1, "HmacSHA256": hashlib.sha256}
    if method not in digests:
        raise ValueError(
            f"SignatureMethod {method!r}: expected one of"
            f" {', '.join(tencent.OLD_SIGNATURE_METHODS)}"
        )
    mac = hmac.new(secret_key.encode("utf-8"), string.encode("utf-8"), digests[method])
    return base64.b64encode(mac.digest()).decode("ascii")


def verify_old(
    secret_key: str, *, method: str, host: str, path: str, params: Mapping[str, str]
) -> bool:
    """Whether ``params["Signature"]`` signs this request under ``secret_key``."""
    signature = params.get("Signature", "")
    algorithm = params.get("SignatureMethod") or tencent.OLD_SIGNATURE_METHODS[0]
    if algorithm not in tencent.OLD_SIGNATURE_METHODS or not signature:
        return False
    expected = old_sign(secret_key, old_string_to_sign(method, host, path, params), algorithm)
    return hmac.compare_digest(expected, signature)
