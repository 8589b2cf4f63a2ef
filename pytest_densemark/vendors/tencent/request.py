"""Read a Tencent request off the wire in every form the official SDKs send, and the one
rule for the action's defaulted parameters.

Used by the emulator's Tencent engine (to answer) and by cassette matching and redaction.
Nothing here judges a request: a body that is not JSON is reported in
:attr:`TencentParams.error`, and the engine applies the vendor's rules to what was sent.
:func:`requested_mode` and :func:`requested_face_model_version` read the parameters that have
a default the same way for the emulator and for cassette matching.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pytest_densemark._redaction import REDACTED, redact_fields, redact_headers, redact_url
from pytest_densemark.parsing import (
    FORM_URLENCODED,
    form_fields,
    header_params,
    is_loopback,
    query_fields,
    request_body,
)
from pytest_densemark.vendors.tencent import facts as tencent

__all__ = [
    "TencentParams",
    "claims_request",
    "parse_tencent",
    "requested_face_model_version",
    "requested_mode",
]


def claims_request(request: httpx.Request) -> bool:
    """Whether a request to a host Tencent does not own is for Tencent: an ``X-TC-Action``
    header, else, on a loopback host, an ``Action`` parameter in the query string or a form
    body (the older HmacSHA1/HmacSHA256 signatures carry no ``X-TC-*`` header)."""
    if "x-tc-action" in request.headers:
        return True
    # Only on this machine (the loopback server): elsewhere an ``Action`` parameter belongs to
    # other APIs (AWS's query APIs use one too).
    if not is_loopback(request.url.host):
        return False
    if "Action" in query_fields(request):
        return True
    kind, _ = header_params(request.headers.get("content-type", ""))
    return kind == FORM_URLENCODED and "Action" in form_fields(request_body(request))


def requested_mode(params: Mapping[str, Any]) -> Any:
    """The ``Mode`` a request's action parameters ask for: as sent, or the default (``0``,
    every face) when absent. The emulator judges the value; cassette matching compares it."""
    return params["Mode"] if "Mode" in params else tencent.MODES[0]


def requested_face_model_version(params: Mapping[str, Any]) -> Any:
    """The ``FaceModelVersion`` a request asks for: as sent, or the default (``"3.0"``)."""
    if "FaceModelVersion" in params:
        return params["FaceModelVersion"]
    return tencent.FACE_MODEL_VERSIONS[0]


@dataclass(frozen=True)
class TencentParams:
    """The parts of a Tencent API 3.0 request the service looks at.

    Header values are ``None`` when absent. ``params`` is the parsed JSON body when it is a
    JSON object, else ``None`` with ``error`` saying why.
    """

    method: str
    host: str
    path: str
    query: str
    content_type: str
    action: str | None
    version: str | None
    region: str | None
    timestamp: str | None
    authorization: str | None
    token: str | None
    language: str | None
    body: bytes
    params: dict[str, Any] | None
    error: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: ``TC3-HMAC-SHA256``, or ``HmacSHA1``/``HmacSHA256`` (the ``SignatureMethod`` sent,
    #: ``HmacSHA1`` when absent) for a request signed the older way.
    signature_method: str = tencent.SIGNATURE_ALGORITHM
    #: Every parameter of a query-string or form request as sent (text), common ones
    #: included; ``None`` for a JSON body.
    fields: dict[str, str] | None = None
    #: Whether the request is signed the older way: no ``Authorization`` or ``X-TC-Action``
    #: header, the common parameters among the others.
    old_signature: bool = False

    def __repr__(self) -> str:
        # Shown in tracebacks and assertion messages: credentials redacted, the body as a size.
        query = redact_url(f"?{self.query}")[1:] if self.query else ""
        params = None if self.params is None else redact_fields(self.params)
        return (
            f"TencentParams(method={self.method!r}, host={self.host!r}, path={self.path!r},"
            f" query={query!r}, action={self.action!r}, version={self.version!r},"
            f" region={self.region!r}, timestamp={self.timestamp!r},"
            f" authorization={REDACTED if self.authorization else None!r},"
            f" token={REDACTED if self.token else None!r}, language={self.language!r},"
            f" body=<{len(self.body)} bytes>, params={params!r}, error={self.error!r},"
            f" headers={redact_headers(self.headers)!r})"
        )


def _typed(fields: Mapping[str, str]) -> dict[str, Any]:
    """Action parameters read from text: the integer ones as ints when they parse."""
    typed: dict[str, Any] = {}
    for name, value in fields.items():
        if name in tencent.INTEGER_PARAMETERS and value.strip().lstrip("-").isdigit():
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


#: Bodies at least this large are checked for one big ``Image`` string before parsing.
_BIG_BODY = 256 * 1024
_IMAGE_KEY = re.compile(rb'"Image"\s*:\s*"')


def _json_body(body: bytes) -> Any:
    """``json.loads`` of a request body, the big base64 ``Image`` string cut out first.

    A 4 MiB image is almost all of its body, and reading it through the JSON parser costs
    more than everything else the emulator does. When the string has no escape and is plain
    ASCII (as base64 always is), the rest is parsed without it and the text put back as is;
    anything else goes through ``json.loads`` whole, so the result is always what
    ``json.loads`` gives (a raw control character inside the string, which JSON refuses, is
    left for the image check, which refuses it too).
    """
    if len(body) >= _BIG_BODY:
        found = _IMAGE_KEY.search(body, 0, 64 * 1024)
        if found is not None:
            start = found.end()
            end = body.find(b'"', start)
            text = body[start:end] if end > 0 else b""
            if len(text) >= _BIG_BODY and text.isascii() and b"\\" not in text:
                rest = json.loads(body[:start] + body[end:])
                if isinstance(rest, dict) and rest.get("Image") == "":
                    rest["Image"] = text.decode("ascii")
                    return rest
    return json.loads(body.decode("utf-8"))


def parse_tencent(request: httpx.Request) -> TencentParams:
    """Read a Tencent request in any form the official SDKs send.

    TC3-HMAC-SHA256 over POST (``X-TC-*`` headers, ``Authorization``, a JSON body) or over
    GET (the action's parameters in the query string); or the older HmacSHA1/HmacSHA256
    signatures, where ``Action``, ``Version``, ``Timestamp``, ``SecretId``, ``Signature`` and
    the rest travel as parameters beside the action's own, in a form body or the query.
    """
    body = request_body(request)
    headers = request.headers
    kind, _ = header_params(headers.get("content-type", ""))
    query = query_fields(request)
    fields: dict[str, str] | None = None
    # TC3 always carries X-TC-Action or Authorization; the older signatures carry neither.
    old = "authorization" not in headers and "x-tc-action" not in headers
    if old and ("Signature" in query or "Action" in query):
        fields = query
    elif old and kind == FORM_URLENCODED:
        fields = {**query, **form_fields(body)}
    elif request.method == "GET":
        old = False
        fields = query
    else:
        old = False
    params: dict[str, Any] | None = None
    error = None
    if fields is not None:
        skipped = tencent.OLD_SIGNATURE_PARAMETERS if old else ()
        params = _typed({k: v for k, v in fields.items() if k not in skipped})
    else:
        try:
            parsed = _json_body(body) if body else {}
        except (ValueError, RecursionError) as exc:  # also too deep, or a 5000-digit integer
            error = f"request body is not JSON: {exc}"
        else:
            if isinstance(parsed, dict):
                params = parsed
            else:
                error = f"request body is JSON {type(parsed).__name__}, expected an object"
    if old and fields is not None:  # the common parameters travel among the others
        common: Mapping[str, str | None] = {
            "action": fields.get("Action"),
            "version": fields.get("Version"),
            "region": fields.get("Region"),
            "timestamp": fields.get("Timestamp"),
            "authorization": None,
            "token": fields.get("Token"),
            "language": fields.get("Language") or headers.get("x-tc-language"),
        }
        method = fields.get("SignatureMethod") or tencent.OLD_SIGNATURE_METHODS[0]
    else:
        common = {
            "action": headers.get("x-tc-action"),
            "version": headers.get("x-tc-version"),
            "region": headers.get("x-tc-region"),
            "timestamp": headers.get("x-tc-timestamp"),
            "authorization": headers.get("authorization"),
            "token": headers.get("x-tc-token"),
            "language": headers.get("x-tc-language"),
        }
        method = tencent.SIGNATURE_ALGORITHM
    return TencentParams(
        method=request.method,
        host=headers.get("host", request.url.netloc.decode("ascii")),
        path=request.url.path,
        query=request.url.query.decode("latin-1"),
        content_type=headers.get("content-type", ""),
        body=body,
        params=params,
        error=error,
        headers={k.lower(): v for k, v in headers.items()},
        signature_method=method,
        fields=fields,
        old_signature=old and fields is not None,
        **common,
    )
