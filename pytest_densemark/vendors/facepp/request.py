"""Read a Face++ request off the wire: whether a request is for Face++, and its parameters.

Used by the emulator's Face++ engine (to answer) and by cassette matching and redaction.
Nothing here judges a request: a broken body is reported in :attr:`FaceppParams.error`, and
the engine applies the vendor's rules to what was sent. How ``return_landmark`` is read is
:func:`~pytest_densemark.vendors.facepp.facts.parts_requested`, the one rule both the
emulator and cassette matching call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx

from pytest_densemark._redaction import redact_fields
from pytest_densemark.parsing import (
    FORM_URLENCODED,
    MULTIPART,
    header_params,
    parse_multipart,
    request_body,
)

__all__ = ["FILE_FIELDS", "PREFIX", "FaceppParams", "claims_request", "parse_facepp"]

#: Path prefix of every Face++ API: how a Face++ request is told apart on a loopback host.
PREFIX = "/facepp/"
#: Multipart fields that are files even when a client sends them without a filename.
FILE_FIELDS: tuple[str, ...] = ("image_file",)


def claims_request(request: httpx.Request) -> bool:
    """Whether a request to a host Face++ does not own (a loopback server) is for Face++:
    its path is under ``/facepp/``."""
    return request.url.path.startswith(PREFIX)


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


def parse_facepp(request: httpx.Request) -> FaceppParams:
    """Read a Face++ request's parameters from its query string and body.

    Bodies may be ``multipart/form-data`` (what the vendor documents),
    ``application/x-www-form-urlencoded`` or absent (parameters in the query string): all
    three are seen from real clients.
    """
    body = request_body(request)
    content_type = request.headers.get("content-type", "")
    fields = dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True))
    files: dict[str, bytes] = {}
    error = None
    kind, params = header_params(content_type)
    if kind == MULTIPART:
        try:
            body_fields, files = parse_multipart(
                body, params.get("boundary", ""), file_fields=FILE_FIELDS
            )
        except ValueError as exc:
            error = str(exc)
        else:
            fields.update(body_fields)
    elif body and kind in (FORM_URLENCODED, ""):
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
