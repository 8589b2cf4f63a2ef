"""The cassette file format: its constants and errors, the loaded types, and reading a document.

One file holds one scenario::

    {"densemark_cassette": 1, "vendor": "facepp", "action": "thousandlandmark",
     "version": null, "description": "...", "source": "synthetic", "kit_version": "0.2.0",
     "interactions": [{"request": {"method", "url", "headers", "params"},
                       "response": {"status", "headers", "body"}}]}

:func:`cassette_from_data` checks a parsed document and builds a :class:`Cassette`, naming the
file, the JSON path and what was expected when something is wrong; :func:`cassette_from_bytes`
does the same from a file's bytes. Everything else in the package builds on this module.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import httpx

from pytest_densemark import vendors
from pytest_densemark._redaction import is_credential_name
from pytest_densemark._version import __version__
from pytest_densemark.checks import header_problem, status_problem
from pytest_densemark.errors import DensemarkError

__all__ = [
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "SOURCES",
    "Cassette",
    "CassetteError",
    "CassetteMismatch",
    "CassetteWarning",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "Source",
    "cassette_document",
    "cassette_from_bytes",
    "cassette_from_data",
    "check_depth",
    "thaw",
]

#: The format version this kit reads and writes (the ``densemark_cassette`` key).
FORMAT_VERSION = 1
#: ``source`` values: built by the kit, or recorded from a real service.
SOURCES: tuple[str, ...] = ("synthetic", "recorded")

Source = Literal["synthetic", "recorded"]

#: Deepest nesting a cassette may have (a real one has about ten levels); deeper files are
#: refused with the JSON path instead of exhausting the interpreter's recursion limit.
MAX_DEPTH = 100


class CassetteError(DensemarkError):
    """A cassette cannot be found, read or written; the message names the file and why."""


class CassetteMismatch(CassetteError):
    """A request matched no interaction of the cassette in play.

    The message names the cassette, shows the nearest interaction and what differed.
    """


class CassetteWarning(UserWarning):
    """Something about a cassette the run did not stop for, such as a recording not written."""


# --- the loaded types -----------------------------------------------------------------------


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain JSON value (dicts and lists) from a loaded, read-only one."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class RecordedRequest:
    """The redacted summary of one request: what the client asked, without its secrets.

    ``url`` is scheme, host and path (no query string); ``headers`` keeps ``Content-Type``
    (without the multipart boundary) and the ``X-TC-*`` headers, with ``Authorization`` and
    ``X-TC-Token`` reduced to their redacted shape; ``params`` holds the parsed vendor
    parameters with credentials removed and each image as ``{"digest", "size", "format"}``.
    Mappings are read-only.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    params: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in a cassette file."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "params": thaw(self.params),
        }


@dataclass(frozen=True)
class RecordedResponse:
    """One stored answer. ``content`` holds the exact bytes replayed, encoded once at load."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    is_json: bool

    @property
    def body(self) -> Any:
        """The body as stored: a fresh JSON value for a JSON body, else the text (or None)."""
        if not self.content:
            return None
        if self.is_json:
            return json.loads(self.content)
        return self.content.decode("utf-8")

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """A new :class:`httpx.Response` carrying this answer (for ``request``, if given)."""
        return httpx.Response(
            self.status, headers=list(self.headers.items()), content=self.content, request=request
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in a cassette file."""
        return {"status": self.status, "headers": dict(self.headers), "body": self.body}


@dataclass(frozen=True)
class Interaction:
    """One request and the response it got, at ``index`` in its cassette."""

    index: int
    request: RecordedRequest
    response: RecordedResponse

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in a cassette file."""
        return {"request": self.request.to_json(), "response": self.response.to_json()}


@dataclass(frozen=True)
class Cassette:
    """A loaded cassette: its metadata and its interactions, in order.

    ``name`` is the path below the directory it was found in, without ``.json``
    (``facepp/full-9part``); ``path`` is the file it came from (``None`` when built in
    memory). ``version`` is the vendor's API version (Tencent's), ``None`` when the vendor
    has none (Face++).
    """

    name: str
    vendor: str
    action: str
    version: str | None
    description: str
    source: Source
    kit_version: str
    interactions: tuple[Interaction, ...]
    path: Path | None = None
    # Match keys, computed once per cassette (by "with image"), so a Player per test is cheap.
    _keys: dict[bool, list[Any]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def to_json(self) -> dict[str, Any]:
        """The JSON document of this cassette (what ``dump_cassette`` serialises)."""
        return cassette_document(
            vendor=self.vendor,
            action=self.action,
            version=self.version,
            description=self.description,
            source=self.source,
            interactions=[i.to_json() for i in self.interactions],
            kit_version=self.kit_version,
        )

    @property
    def label(self) -> str:
        """How messages name the cassette: its name and, when known, its file."""
        return f"cassette {self.name!r} ({self.path})" if self.path else f"cassette {self.name!r}"


def cassette_document(
    *,
    vendor: str,
    action: str | None,
    version: str | None,
    description: str,
    source: Source,
    interactions: list[dict[str, Any]],
    kit_version: str = __version__,
) -> dict[str, Any]:
    """A cassette file's JSON document, keys in the order they are written.

    ``interactions`` are ``{"request": ..., "response": ...}`` objects as stored (requests
    already redacted). ``kit_version`` defaults to this kit's version. The result is what
    ``write_cassette`` writes and :func:`cassette_from_data` reads back.
    """
    return {
        "densemark_cassette": FORMAT_VERSION,
        "vendor": vendor,
        "action": action,
        "version": version,
        "description": description,
        "source": source,
        "kit_version": kit_version,
        "interactions": interactions,
    }


# --- checking a document --------------------------------------------------------------------

_NUMBER = re.compile(r"-?(\d+)(\.\d+)?([eE][-+]?\d+)?")
#: An HTTP method: a token (RFC 9110 9.1).
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _url_problem(url: str) -> str | None:
    """What is wrong with a stored request URL, or ``None`` for an absolute http(s) URL."""
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port >= 0  # .port raises for a bad one
    except ValueError:
        port_ok = False
    if not port_ok or parts.scheme not in ("http", "https") or not parts.hostname:
        return "an absolute http(s) URL such as https://host/path"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "a URL without spaces or control characters"
    return None


def _max_int_digits() -> int:
    limit: int = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    return limit or 10**9


def _show_path(parts: Sequence[str | int]) -> str:
    shown = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts]
    if len(shown) > 12:
        shown = [*shown[:6], f"...({len(shown) - 9} more levels)...", *shown[-3:]]
    return "$" + "".join(shown)


def _too_deep(data: Any) -> str | None:
    """The JSON path of the first container nested deeper than :data:`MAX_DEPTH`, if any."""
    # Iterative, so that checking a deep document cannot itself exhaust the stack.
    containers = (dict, list, tuple, MappingProxyType)
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(data, 0, ())]
    while stack:
        value, depth, trail = stack.pop()
        if depth >= MAX_DEPTH:
            parts: list[str | int] = []
            while trail:
                trail, key = trail
                parts.append(key)
            return _show_path(parts[::-1])
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        stack.extend(
            (item, depth + 1, (trail, key))
            for key, item in items
            if isinstance(item, containers) and item
        )
    return None


def _scan_text(text: str) -> tuple[str, str] | None:
    """Find what made a JSON text unparseable for Python: ``(path, expected/got)``.

    Walks the text without recursion, tracking the path, to the first container nested
    deeper than :data:`MAX_DEPTH` or the first integer longer than Python converts.
    """
    max_digits = _max_int_digits()
    parts: list[Any] = []  # the path: keys and indexes
    kinds: list[str] = []
    expecting_key = False
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while True:
                end = text.find('"', end)
                if end == -1:
                    return None
                slashes = len(text[i + 1 : end]) - len(text[i + 1 : end].rstrip("\\"))
                if slashes % 2 == 0:
                    break
                end += 1
            if expecting_key and kinds and kinds[-1] == "{":
                try:
                    parts[-1] = json.loads(text[i : end + 1])
                except ValueError:
                    parts[-1] = text[i + 1 : end]
                expecting_key = False
            i = end + 1
            continue
        if char in "[{":
            if len(kinds) >= MAX_DEPTH:
                return (
                    _show_path(parts),
                    f"expected at most {MAX_DEPTH} levels of nesting, got more",
                )
            kinds.append(char)
            parts.append(0 if char == "[" else "")
            expecting_key = char == "{"
        elif char in "]}":
            if kinds:
                kinds.pop()
                parts.pop()
            expecting_key = False
        elif char == ",":
            if kinds and kinds[-1] == "[":
                parts[-1] += 1
            elif kinds:
                expecting_key = True
        elif char == "-" or char.isdigit():
            match = _NUMBER.match(text, i)
            if match is None:
                i += 1
                continue
            digits = match.group(1)
            if not match.group(2) and not match.group(3) and len(digits) > max_digits:
                return (
                    _show_path(parts),
                    f"expected an integer of at most {max_digits} digits,"
                    f" got one of {len(digits)} digits",
                )
            i = match.end()
            continue
        i += 1
    return None


def _encode_body(body: Any) -> tuple[bytes, bool]:
    if body is None:
        return b"", False
    if isinstance(body, str):
        return body.encode("utf-8"), False
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), True


class _Reader:
    """Checks a cassette document's structure, naming the file and JSON path on failure."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, expected: str, got: Any, *, secret: bool = False) -> CassetteError:
        """The error for ``got`` at ``path``; a ``secret`` value is described, never shown."""
        if isinstance(got, Mapping | list) or (secret and got is not None):
            shown = type(got).__name__
        else:
            shown = json.dumps(got)[:80]
        return CassetteError(f"{self.where}: {path}: expected {expected}, got {shown}")

    def not_too_deep(self, value: Any, path: str) -> None:
        deep = _too_deep(value)
        if deep is not None:
            raise CassetteError(
                f"{self.where}: {path}{deep[1:]}: expected at most {MAX_DEPTH} levels of"
                " nesting, got more"
            )

    def str_map(self, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(path, "an object of header names to strings", value)
        for key, item in value.items():
            if not isinstance(item, str):
                secret = is_credential_name(key)
                raise self.fail(f"{path}.{key}", "a string", item, secret=secret)
            if (problem := header_problem(key, item)) is not None:
                raise CassetteError(f"{self.where}: {path}.{key}: expected {problem}")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> Any:
        value = data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{path}{key}", "a string", value)
        return value


def check_depth(data: Any, where: str) -> None:
    """Raise :class:`CassetteError` naming ``where`` and the JSON path when ``data`` nests
    deeper than :data:`MAX_DEPTH` (checked before anything walks it recursively)."""
    _Reader(where).not_too_deep(data, "$")


def cassette_from_data(data: Any, *, path: Path | None = None, name: str | None = None) -> Cassette:
    """Build a :class:`Cassette` from a parsed cassette document, checking its structure.

    Raises :class:`CassetteError` naming the file (or ``<memory>``), the JSON path and what
    was expected, for a wrong format version, a vendor no registered vendor has, or any
    malformed field.
    """
    reader = _Reader(str(path) if path else "<memory>")
    if not isinstance(data, dict):
        raise reader.fail("top level", "a JSON object (a densemark cassette)", data)
    version = data.get("densemark_cassette")
    # The integer 1 only: true and 1.0 compare equal to 1 but are not the format's version.
    if type(version) is not int or version != FORMAT_VERSION:
        if version is None:
            raise CassetteError(
                f"{reader.where}: not a densemark cassette (no 'densemark_cassette' key)"
            )
        raise CassetteError(
            f"{reader.where}: cassette format version {version!r} is not supported; this kit"
            f" ({__version__}) reads version {FORMAT_VERSION}: rebuild or re-record it"
        )
    vendor = reader.text(data, "vendor", "")
    known = vendors.names()
    if vendor not in known:
        raise reader.fail("vendor", f"one of {', '.join(known)}", vendor)
    source = reader.text(data, "source", "")
    if source not in SOURCES:
        raise reader.fail("source", f"one of {', '.join(SOURCES)}", source)
    interactions_data = data.get("interactions")
    if not isinstance(interactions_data, list) or not interactions_data:
        raise reader.fail("interactions", "a non-empty list", interactions_data)
    interactions = []
    for index, item in enumerate(interactions_data):
        where = f"interactions[{index}]"
        if not isinstance(item, dict):
            raise reader.fail(where, "an object with request and response", item)
        req = item.get("request")
        resp = item.get("response")
        if not isinstance(req, dict):
            raise reader.fail(f"{where}.request", "an object", req)
        if not isinstance(resp, dict):
            raise reader.fail(f"{where}.response", "an object", resp)
        params = req.get("params", {})
        if not isinstance(params, dict):
            raise reader.fail(f"{where}.request.params", "an object", params)
        # Checked here because they are copied recursively; bodies are only handed to json,
        # and a body too deep for it was refused when the file was parsed.
        reader.not_too_deep(params, f"{where}.request.params")
        status = resp.get("status")
        if (problem := status_problem(status)) is not None:
            raise CassetteError(f"{reader.where}: {where}.response.status: expected {problem}")
        assert isinstance(status, int)  # status_problem() found nothing
        try:
            content, is_json = _encode_body(resp.get("body"))
        except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") has no UTF-8 form
            raise CassetteError(
                f"{reader.where}: {where}.response.body: expected text UTF-8 can encode, got"
                f" the lone surrogate {exc.object[exc.start : exc.end]!r}"
            ) from None
        method = reader.text(req, "method", f"{where}.request.")
        if not _METHOD.fullmatch(method):
            raise reader.fail(f"{where}.request.method", "an HTTP method such as POST", method)
        response_headers = reader.str_map(resp.get("headers", {}), f"{where}.response.headers")
        for key, value in response_headers.items():
            if key.lower() == "content-encoding" and value.strip().lower() != "identity":
                raise reader.fail(
                    f"{where}.response.headers.{key}",
                    "no Content-Encoding: a cassette stores the body decoded",
                    value,
                )
        url = reader.text(req, "url", f"{where}.request.")
        if (problem := _url_problem(url)) is not None:
            raise reader.fail(f"{where}.request.url", problem, url)
        interactions.append(
            Interaction(
                index=index,
                request=RecordedRequest(
                    method=method.upper(),
                    url=url,
                    headers=MappingProxyType(
                        reader.str_map(req.get("headers", {}), f"{where}.request.headers")
                    ),
                    params=_freeze(params),
                ),
                response=RecordedResponse(
                    status=status,
                    headers=MappingProxyType(response_headers),
                    content=content,
                    is_json=is_json,
                ),
            )
        )
    if name is None:
        name = path.stem if path else "<memory>"
    return Cassette(
        name=name,
        vendor=vendor,
        action=reader.text(data, "action", ""),
        version=reader.text(data, "version", "", optional=True),
        description=reader.text(data, "description", ""),
        source=source,
        kit_version=reader.text(data, "kit_version", ""),
        interactions=tuple(interactions),
        path=path,
    )


def cassette_from_bytes(raw: bytes, *, path: Path, name: str, shown: object = None) -> Cassette:
    """Parse a cassette file's bytes and build its :class:`Cassette`.

    Errors name ``shown`` (the path as the caller was given it; ``path`` by default): invalid
    JSON, JSON Python cannot read (nesting deeper than :data:`MAX_DEPTH`, an integer longer
    than the interpreter converts: the JSON path of the culprit), or a malformed document.
    """
    __tracebackhide__ = True  # the CassetteError names the file and path: that is the report
    where = path if shown is None else shown
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CassetteError(f"{where}: not valid JSON: {exc}") from exc
    except (RecursionError, ValueError) as exc:
        # Too deep for the parser, or an integer too long to convert: find where.
        found = _scan_text(raw.decode("utf-8", errors="replace"))
        at, what = found or ("$", f"JSON Python cannot read ({type(exc).__name__})")
        raise CassetteError(f"{where}: {at}: {what}") from None
    return cassette_from_data(data, path=path, name=name)
