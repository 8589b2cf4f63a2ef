"""Read vendor requests off the wire: which vendor a request is for, and its parameters.

Used by the emulator (to answer), the cassettes (to match and redact) and the loopback server.
Nothing here judges a request: a missing field or a broken body is reported, not rejected,
so every caller applies the vendor's own rules to what was actually sent.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx

from pytest_densemark import facepp, tencent
from pytest_densemark._redaction import REDACTED, redact_fields, redact_headers, redact_url

__all__ = [
    "FaceppParams",
    "TencentParams",
    "Vendor",
    "parse_facepp",
    "parse_multipart",
    "parse_tencent",
    "vendor_of",
    "vendor_of_request",
]

Vendor = Literal["facepp", "tencent"]

#: Path prefix of every Face++ API (used to recognise Face++ on a loopback host).
_FACEPP_PREFIX = "/facepp/"


def _host_of(url: httpx.URL | str) -> tuple[str, str]:
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    return parsed.host.lower(), parsed.path


def vendor_of(url: httpx.URL | str) -> Vendor | None:
    """The vendor a URL belongs to, from its host, or ``None`` for any other URL.

    A Face++ host (``api-cn``/``api-us.faceplusplus.com``) gives ``"facepp"`` whatever the
    path (a wrong path is still the vendor's ``API_NOT_FOUND``); ``iai.tencentcloudapi.com``
    and its regional hosts give ``"tencent"``. On any other host (a loopback server, say) a
    path under ``/facepp/`` gives ``"facepp"``; Tencent's path is ``/`` so a Tencent request
    on a foreign host is only recognised from its headers: see :func:`vendor_of_request`.
    """
    host, path = _host_of(url)
    if host in facepp.HOSTS:
        return "facepp"
    if tencent.HOST_PATTERN.match(host):
        return "tencent"
    if path.startswith(_FACEPP_PREFIX):
        return "facepp"
    return None


def vendor_of_request(request: httpx.Request) -> Vendor | None:
    """The vendor of a request: :func:`vendor_of` its URL, else an ``X-TC-Action`` header,
    else, on a loopback host, an ``Action`` parameter in the query string or a form body
    (Tencent's older HmacSHA1/HmacSHA256 signatures carry no ``X-TC-*`` header)."""
    vendor = vendor_of(request.url)
    if vendor is not None:
        return vendor
    if "x-tc-action" in request.headers:
        return "tencent"
    # Only on this machine (the loopback server): elsewhere an ``Action`` parameter belongs to
    # other APIs (AWS's query APIs use one too).
    if not _is_loopback(request.url.host):
        return None
    if "Action" in _query_fields(request):
        return "tencent"
    kind, _ = _header_params(request.headers.get("content-type", ""))
    if kind == "application/x-www-form-urlencoded" and "Action" in _form_fields(_body(request)):
        return "tencent"
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _query_fields(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True))


def _form_fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _body(request: httpx.Request) -> bytes:
    # A request built with files= or a stream has no ``content`` until it is read.
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


@dataclass(frozen=True)
class FaceppParams:
    """The parameters of one Face++ request, as the service would see them.

    ``fields`` holds text values (query string first, then the body, so the body wins);
    ``files`` holds multipart parts sent with a filename, by field name (an ``image_file``
    part without a filename is kept there too). ``error`` says why the body could not be
    read (a broken multipart body), ``None`` otherwise.
    """

    method: str
    host: str
    path: str
    content_type: str
    body_size: int
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None

    def get(self, name: str) -> str | None:
        """A text field's value, or ``None`` when it was not sent."""
        return self.fields.get(name)

    def __repr__(self) -> str:
        # Shown in tracebacks and assertion messages: credentials redacted, files as sizes.
        return (
            f"FaceppParams(method={self.method!r}, host={self.host!r}, path={self.path!r},"
            f" content_type={self.content_type!r}, body_size={self.body_size!r},"
            f" fields={redact_fields(self.fields)!r}, files={redact_fields(self.files)!r},"
            f" error={self.error!r})"
        )


@functools.lru_cache(maxsize=512)
def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="x"`` into the main value and its parameters.

    Cached (the same Content-Type and Content-Disposition lines come back request after
    request): callers must not modify the returned dict.
    """
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        name, sep, raw = item.strip().partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        params[name.strip().lower()] = raw
    return head.strip().lower(), params


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a ``multipart/form-data`` body into text fields and file parts.

    Raises ``ValueError`` naming what is wrong when the body does not follow RFC 7578.
    """
    delimiter = b"--" + boundary.encode("latin-1")
    if not boundary:
        raise ValueError("multipart body: the Content-Type has no boundary parameter")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError(f"multipart body: no closing delimiter for boundary {boundary!r}")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for index, chunk in enumerate(chunks[1:-1], start=1):
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError(f"multipart body: part {index} is not framed by CRLF")
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(f"multipart body: part {index} has no blank line after its headers")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            header, colon, value = line.partition(":")
            if colon:
                headers[header.strip().lower()] = value.strip()
        disposition, params = _header_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if disposition != "form-data" or name is None:
            raise ValueError(f"multipart body: part {index} has no form-data name")
        if "filename" in params or name == "image_file":
            files[name] = content
        else:
            fields[name] = content.decode("utf-8", errors="replace")
    return fields, files


def parse_facepp(request: httpx.Request) -> FaceppParams:
    """Read a Face++ request's parameters from its query string and body.

    Bodies may be ``multipart/form-data`` (what the vendor documents),
    ``application/x-www-form-urlencoded`` or absent (parameters in the query string): all
    three are seen from real clients.
    """
    body = _body(request)
    content_type = request.headers.get("content-type", "")
    fields = dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True))
    files: dict[str, bytes] = {}
    error = None
    kind, params = _header_params(content_type)
    if kind == "multipart/form-data":
        try:
            body_fields, files = parse_multipart(body, params.get("boundary", ""))
        except ValueError as exc:
            error = str(exc)
        else:
            fields.update(body_fields)
    elif body and kind in ("application/x-www-form-urlencoded", ""):
        text = body.decode("utf-8", errors="replace")
        fields.update(parse_qsl(text, keep_blank_values=True))
    return FaceppParams(
        method=request.method,
        host=request.url.host,
        path=request.url.path,
        content_type=content_type,
        body_size=len(body),
        fields=fields,
        files=files,
        error=error,
    )


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
    body = _body(request)
    headers = request.headers
    kind, _ = _header_params(headers.get("content-type", ""))
    query = _query_fields(request)
    fields: dict[str, str] | None = None
    # TC3 always carries X-TC-Action or Authorization; the older signatures carry neither.
    old = "authorization" not in headers and "x-tc-action" not in headers
    if old and ("Signature" in query or "Action" in query):
        fields = query
    elif old and kind == "application/x-www-form-urlencoded":
        fields = {**query, **_form_fields(body)}
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
