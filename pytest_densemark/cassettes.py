"""Cassettes: recorded (or synthetic) vendor exchanges, stored as readable JSON, replayed.

One file holds one scenario::

    {"densemark_cassette": 1, "vendor": "facepp", "action": "thousandlandmark",
     "version": null, "description": "...", "source": "synthetic", "kit_version": "0.2.0",
     "interactions": [{"request": {"method", "url", "headers", "params"},
                       "response": {"status", "headers", "body"}}]}

The request side is stored redacted: no ``api_key``/``api_secret``, no signature, no
``X-TC-Token``, no SecretId, and images as ``{"digest", "size", "format"}``, never bytes. A
JSON response body is stored as JSON; a plain-text body as a string.

:func:`load_cassette` reads a file once per process (it is cached on path, size and
modification time), :class:`Player` answers requests from a cassette, and
:class:`Recorder` / :func:`write_cassette` write new ones atomically after checking that no
secret value used in the run survived redaction.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import httpx

from pytest_densemark import __version__, facepp, tencent
from pytest_densemark._redaction import REDACTED, is_credential_name, redact_url, url_credentials
from pytest_densemark._resources import data_dir
from pytest_densemark.checks import header_problem, status_problem
from pytest_densemark.errors import DensemarkError
from pytest_densemark.images import sniff
from pytest_densemark.payloads import facepp_detect_problems
from pytest_densemark.validation import ValidationResult, Violation, validate
from pytest_densemark.wire import (
    FaceppParams,
    TencentParams,
    parse_facepp,
    parse_tencent,
    vendor_of,
    vendor_of_request,
)

__all__ = [
    "FORMAT_VERSION",
    "MIN_SCANNED_LENGTH",
    "REDACTED",
    "BeforeRecord",
    "Cassette",
    "CassetteError",
    "CassetteMismatch",
    "CassetteWarning",
    "Interaction",
    "Player",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "cassette_document",
    "cassette_from_data",
    "cassette_results",
    "dump_cassette",
    "list_cassettes",
    "load_cassette",
    "redact_request",
    "request_secrets",
    "validate_cassette",
    "validation_hook",
    "write_cassette",
]

#: The format version this kit reads and writes (the ``densemark_cassette`` key).
FORMAT_VERSION = 1
#: ``source`` values: built by the kit, or recorded from a real service.
SOURCES: tuple[str, ...] = ("synthetic", "recorded")
VENDORS: tuple[str, ...] = ("facepp", "tencent")

Source = Literal["synthetic", "recorded"]

#: Secrets at least this long are searched for everywhere in a file about to be written;
#: shorter ones (no real vendor credential is that short) only where they stand whole at a
#: place a credential lands. See :func:`write_cassette`.
MIN_SCANNED_LENGTH = 8

# Request headers worth keeping: they say how the client called. Everything else (cookies,
# user agents, proxies' headers) is dropped, so a secret in an unexpected header never lands.
_KEPT_REQUEST_HEADERS = ("content-type",)
_TC_HEADER_PREFIX = "x-tc-"
_TC_TOKEN = "x-tc-token"
# Parameters holding an image's URL: stored without user information and query, plus a digest.
_URL_FIELDS = frozenset({"image_url", "Url"})
# Face++ parameters stored as sent; any other field is stored as a digest.
_FACEPP_KEPT_FIELDS = frozenset({facepp.RETURN_LANDMARK, "face_token"})
# Response headers that describe the stored body's transport, not the vendor's answer.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "set-cookie"}
)


class CassetteError(DensemarkError):
    """A cassette cannot be found, read or written; the message names the file and why."""


class CassetteMismatch(CassetteError):
    """A request matched no interaction of the cassette in play.

    The message names the cassette, shows the nearest interaction and what differed.
    """


# --- the format -----------------------------------------------------------------------------


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
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
            "params": _thaw(self.params),
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
    memory). ``version`` is the Tencent API version, ``None`` for Face++.
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
        """The JSON document of this cassette (what :func:`dump_cassette` serialises)."""
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
    :func:`write_cassette` writes and :func:`cassette_from_data` reads back.
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


#: Deepest nesting a cassette may have (a real one has about ten levels); deeper files are
#: refused with the JSON path instead of exhausting the interpreter's recursion limit.
MAX_DEPTH = 100
_NUMBER = re.compile(r"-?(\d+)(\.\d+)?([eE][-+]?\d+)?")


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

    def fail(self, path: str, expected: str, got: Any) -> CassetteError:
        shown = json.dumps(got)[:80] if not isinstance(got, Mapping | list) else type(got).__name__
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
                raise self.fail(f"{path}.{key}", "a string", item)
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


def cassette_from_data(data: Any, *, path: Path | None = None, name: str | None = None) -> Cassette:
    """Build a :class:`Cassette` from a parsed cassette document, checking its structure.

    Raises :class:`CassetteError` naming the file (or ``<memory>``), the JSON path and what
    was expected, for a wrong format version or any malformed field.
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
    if vendor not in VENDORS:
        raise reader.fail("vendor", f"one of {', '.join(VENDORS)}", vendor)
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
        content, is_json = _encode_body(resp.get("body"))
        interactions.append(
            Interaction(
                index=index,
                request=RecordedRequest(
                    method=reader.text(req, "method", f"{where}.request.").upper(),
                    url=reader.text(req, "url", f"{where}.request."),
                    headers=MappingProxyType(
                        reader.str_map(req.get("headers", {}), f"{where}.request.headers")
                    ),
                    params=_freeze(params),
                ),
                response=RecordedResponse(
                    status=status,
                    headers=MappingProxyType(
                        reader.str_map(resp.get("headers", {}), f"{where}.response.headers")
                    ),
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


# --- loading ----------------------------------------------------------------------------------

_cache: dict[tuple[Path, str], tuple[tuple[int, int], Cassette]] = {}
_cache_lock = threading.Lock()


@functools.cache
@functools.lru_cache(maxsize=1)
def _shipped_dir() -> Path | None:
    try:
        return data_dir("cassettes")
    except FileNotFoundError:
        return None


def _search_dirs(search_dirs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    dirs = [d if isinstance(d, Path) else Path(d) for d in search_dirs]
    shipped = _shipped_dir()
    if shipped is not None:
        dirs.append(shipped)
    return dirs


def _read(path: Path, name: str) -> Cassette:
    """Load one file through the cache (keyed on resolved path, size and mtime)."""
    __tracebackhide__ = True  # the CassetteError names the file and path: that is the report
    resolved = Path(os.path.abspath(path))
    try:
        stat = os.stat(resolved)
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read cassette: {exc.strerror or exc}") from exc
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        hit = _cache.get((resolved, name))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        raw = resolved.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read cassette: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CassetteError(f"{path}: not valid JSON: {exc}") from exc
    except (RecursionError, ValueError) as exc:
        # Too deep for the parser, or an integer too long to convert: find where.
        found = _scan_text(raw.decode("utf-8", errors="replace"))
        where, what = found or ("$", f"JSON Python cannot read ({type(exc).__name__})")
        raise CassetteError(f"{path}: {where}: {what}") from None
    cassette = cassette_from_data(data, path=resolved, name=name)
    with _cache_lock:
        _cache[(resolved, name)] = (stamp, cassette)
    return cassette


def _name_in(directory: Path, path: Path) -> str:
    return path.relative_to(directory).with_suffix("").as_posix()


def load_cassette(
    name_or_path: str | os.PathLike[str], *, search_dirs: Sequence[str | os.PathLike[str]] = ()
) -> Cassette:
    """Load a cassette by library name (``"facepp/full-9part"``) or by file path.

    A name is looked up in ``search_dirs`` in order, then in the shipped library; ``.json``
    may be left off. An existing file path is loaded directly. Each file is parsed once per
    process and then served from a cache until it changes on disk, so calling this in every
    test's set-up costs a few ``stat`` calls. Raises :class:`CassetteError` when nothing is
    found (listing where it looked and close names), or the file is not a valid cassette.
    """
    __tracebackhide__ = True
    raw = os.fspath(name_or_path)
    dirs = _search_dirs(search_dirs)
    if os.path.isfile(raw):
        direct = Path(raw)
        for directory in dirs:
            if direct.resolve().is_relative_to(directory.resolve()):
                return _read(direct, _name_in(directory.resolve(), direct.resolve()))
        return _read(direct, direct.stem)
    stem = raw[: -len(".json")] if raw.endswith(".json") else raw
    # os.path rather than pathlib: this runs in every test that names a cassette.
    for directory in dirs:
        candidate = os.path.join(directory, f"{stem}.json")
        if os.path.isfile(candidate):
            return _read(Path(candidate), stem)
    known = sorted({c.name for d in dirs for c in _scan(d)})
    close = difflib.get_close_matches(stem, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    looked = ", ".join(str(d) for d in dirs) or "no directories"
    raise CassetteError(f"cassette {raw!r} not found (looked in {looked}){hint}")


class _Named:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path


def _scan(directory: Path) -> list[_Named]:
    if not directory.is_dir():
        return []
    return [_Named(_name_in(directory, p), p) for p in sorted(directory.rglob("*.json"))]


def list_cassettes(
    search_dirs: Sequence[str | os.PathLike[str]] = (),
    *,
    errors: list[CassetteError] | None = None,
) -> list[Cassette]:
    """Every cassette in ``search_dirs`` (in order), then the shipped library, by name.

    Raises :class:`CassetteError` for the first file that is not a valid cassette, unless
    ``errors`` is a list: then each such error is appended to it and the other files are
    still listed.
    """
    found: list[Cassette] = []
    for directory in _search_dirs(search_dirs):
        for item in _scan(directory):
            try:
                found.append(_read(item.path, item.name))
            except CassetteError as error:
                if errors is None:
                    raise
                errors.append(error)
    return found


# --- redaction --------------------------------------------------------------------------------


def image_summary(data: bytes) -> dict[str, Any]:
    """What a cassette keeps of an image: sha256 ``digest``, ``size`` in bytes, ``format``.

    ``format`` is ``"JPEG"``, ``"PNG"``, ``"BMP"``, ``"GIF"`` or ``None`` when the bytes are
    not an image the kit recognises.
    """
    info = sniff(data)
    digest = info.digest if info else hashlib.sha256(data).hexdigest()
    return {"digest": digest, "size": len(data), "format": info.format if info else None}


def _b64_summary(text: str) -> dict[str, Any]:
    try:
        data = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        data = text.encode("utf-8", errors="replace")
    return image_summary(data)


def _url_of(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _url_summary(value: str) -> dict[str, Any]:
    """An image URL as stored: no user information, no query, the full value's digest."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
        shown = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path
    except ValueError:
        shown = ""
    return {"url": shown, "digest": _digest(value)}


def _value_summary(value: Any) -> dict[str, Any]:
    """An unknown parameter as stored: the sha256 of its value (JSON text if not a string)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return {"digest": _digest(text)}


def _split_authorization(value: str) -> tuple[str, dict[str, str]]:
    """``TC3-HMAC-SHA256 Credential=id/date/iai/tc3_request, SignedHeaders=..., Signature=..``"""
    algorithm, _, rest = value.strip().partition(" ")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    return algorithm, parts


def _redact_authorization(value: str, secrets: dict[str, str]) -> str:
    algorithm, parts = _split_authorization(value)
    credential = parts.get("Credential")
    if algorithm != tencent.SIGNATURE_ALGORITHM or credential is None:
        secrets["Authorization"] = value
        return REDACTED
    secret_id, _, scope = credential.partition("/")
    if secret_id:
        secrets["SecretId"] = secret_id
    if parts.get("Signature"):
        secrets["Signature"] = parts["Signature"]
    return (
        f"{algorithm} Credential={REDACTED}/{scope}, "
        f"SignedHeaders={parts.get('SignedHeaders', '')}, Signature={REDACTED}"
    )


def _redact(request: httpx.Request) -> tuple[dict[str, Any], dict[str, str]]:
    secrets: dict[str, str] = {}
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower == "content-type":
            headers[lower] = value.split(";", 1)[0].strip() if "boundary=" in value else value
        elif lower == "authorization":
            headers[lower] = _redact_authorization(value, secrets)
        elif lower == _TC_TOKEN:
            secrets["X-TC-Token"] = value
            headers[lower] = REDACTED
        elif lower.startswith(_TC_HEADER_PREFIX) or lower in _KEPT_REQUEST_HEADERS:
            headers[lower] = value
    params: dict[str, Any] = {}
    vendor = vendor_of_request(request)
    if vendor == "facepp":
        parsed = parse_facepp(request)
        for key, text in parsed.fields.items():
            if key in facepp.CREDENTIAL_FIELDS:
                secrets[key] = text
            elif key == "image_base64":
                params[key] = _b64_summary(text)
            elif key in _URL_FIELDS:
                params[key] = _url_summary(text)
                secrets.update({f"{key} {k}": v for k, v in url_credentials(text).items()})
            elif key in _FACEPP_KEPT_FIELDS:
                params[key] = text
            else:
                params[key] = _value_summary(text)
                if is_credential_name(key):
                    secrets[key] = text
        for key, data in parsed.files.items():
            if key in facepp.CREDENTIAL_FIELDS:
                secrets[key] = data.decode("utf-8", errors="replace")
            else:
                params[key] = image_summary(data)
        if parsed.error:
            params["$error"] = parsed.error
    elif vendor == "tencent":
        tparsed = parse_tencent(request)
        if tparsed.params is None:
            params["$body"] = image_summary(tparsed.body) | {"error": tparsed.error}
        else:
            for key, value in tparsed.params.items():
                if key == "Image" and isinstance(value, str):
                    params[key] = _b64_summary(value)
                elif key in _URL_FIELDS and isinstance(value, str):
                    params[key] = _url_summary(value)
                    secrets.update({f"{key} {k}": v for k, v in url_credentials(value).items()})
                elif key in tencent.PARAMETERS and not isinstance(value, dict | list):
                    params[key] = value
                else:
                    params[key] = _value_summary(value)
                    if is_credential_name(key) and isinstance(value, str):
                        secrets[key] = value
    else:
        body = request.read()
        if body:
            params["$body"] = image_summary(body)
    # The stored URL has no user information and no query string; what they carried is
    # scanned for (a Tencent GET request signs in the query, say).
    url = request.url
    known = set(secrets.values())
    for where, value in url_credentials(str(url)).items():
        if value not in known:
            secrets[f"URL {where}"] = value
    summary = {
        "method": request.method.upper(),
        "url": _url_of(url),
        "headers": dict(sorted(headers.items())),
        "params": params,
    }
    return summary, {k: v for k, v in secrets.items() if v}


def redact_request(request: httpx.Request) -> dict[str, Any]:
    """The redacted JSON summary of ``request`` as a cassette stores it.

    Drops ``api_key``/``api_secret`` (query string, urlencoded and multipart bodies), every
    header except ``Content-Type`` and ``X-TC-*``, the query string itself, the SecretId and
    signature inside ``Authorization``, and ``X-TC-Token``'s value; images (``image_file``,
    ``image_base64``, Tencent's ``Image``) become ``{"digest", "size", "format"}``.
    """
    return _redact(request)[0]


def request_secrets(request: httpx.Request) -> dict[str, str]:
    """The secret values ``request`` carries, by name (``api_key``, ``SecretId``, ...).

    :class:`Recorder` collects these so the final scan looks for the values actually sent.
    """
    return _redact(request)[1]


# --- matching ---------------------------------------------------------------------------------

_Key = tuple[tuple[str, Any], ...]


def _norm_parts(value: Any) -> Any:
    """The parts a ``return_landmark`` value asks for, by the emulator's own rule.

    :func:`~pytest_densemark.facepp.parts_requested` decides for both, so a request the
    emulator answers with every part (``ALL``, ``all ,``, no value at all) matches an
    interaction recorded with ``all``. A value the rule refuses is kept, case-folded, and can
    only match itself.
    """
    if value is not None and not isinstance(value, str):
        return value
    try:
        return frozenset(facepp.parts_requested(value))
    except facepp.ReturnLandmarkError:
        assert value is not None
        return frozenset(name.strip().lower() for name in value.split(",") if name.strip())


def _norm_mode(value: Any) -> Any:
    if value is None:
        return tencent.MODES[0]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _norm_model(value: Any) -> Any:
    return tencent.FACE_MODEL_VERSIONS[0] if value is None else value


def _stored_image(vendor: str | None, params: Mapping[str, Any]) -> Any:
    def digest(item: Any) -> Any:
        return ("digest", item.get("digest")) if isinstance(item, Mapping) else ("value", item)

    if vendor == "facepp":
        for name in facepp.IMAGE_FIELDS:
            if name in params:
                value = params[name]
                if name in ("image_file", "image_base64"):
                    return digest(value)
                if name in _URL_FIELDS:
                    return _stored_url(name, value)
                return (name, value)
        return None
    if "Url" in params:
        return _stored_url("Url", params["Url"])
    if "Image" in params:
        return digest(params["Image"])
    return None


def _stored_url(name: str, value: Any) -> Any:
    # Cassettes written before URLs were summarised hold the URL itself.
    if isinstance(value, Mapping):
        return (name, value.get("digest"))
    return (name, _digest(value) if isinstance(value, str) else value)


def _stored_key(request: RecordedRequest, cassette: Cassette, with_image: bool) -> _Key:
    vendor = vendor_of(request.url)
    if vendor is None and any(k.lower() == "x-tc-action" for k in request.headers):
        vendor = "tencent"
    key: list[tuple[str, Any]] = [
        ("method", request.method),
        ("host family", vendor),
        ("path", urlsplit(request.url).path or "/"),
    ]
    params = request.params
    headers = {k.lower(): v for k, v in request.headers.items()}
    if vendor == "tencent":
        key.append(("X-TC-Action", headers.get("x-tc-action", cassette.action)))
        key.append(("X-TC-Version", headers.get("x-tc-version", cassette.version)))
        key.append(("Mode", _norm_mode(params.get("Mode"))))
        key.append(("FaceModelVersion", _norm_model(params.get("FaceModelVersion"))))
    elif vendor == "facepp":
        key.append(("return_landmark", _norm_parts(params.get(facepp.RETURN_LANDMARK))))
    if with_image:
        key.append(("image", _stored_image(vendor, params)))
    return tuple(key)


def _live_image_facepp(fields: Mapping[str, str], files: Mapping[str, bytes]) -> Any:
    for name in facepp.IMAGE_FIELDS:
        if name == "image_file" and name in files:
            return ("digest", image_summary(files[name])["digest"])
        if name in fields:
            if name == "image_base64":
                return ("digest", _b64_summary(fields[name])["digest"])
            if name == "image_file":
                return ("digest", image_summary(fields[name].encode())["digest"])
            if name in _URL_FIELDS:
                return (name, _digest(fields[name]))
            return (name, fields[name])
    return None


def _live_key(
    request: httpx.Request, with_image: bool, parsed: FaceppParams | TencentParams | None
) -> _Key:
    vendor = vendor_of_request(request)
    key: list[tuple[str, Any]] = [
        ("method", request.method.upper()),
        ("host family", vendor),
        ("path", request.url.path or "/"),
    ]
    if vendor == "tencent":
        tparsed = parsed if isinstance(parsed, TencentParams) else parse_tencent(request)
        params = tparsed.params or {}
        key.append(("X-TC-Action", tparsed.action))
        key.append(("X-TC-Version", tparsed.version))
        key.append(("Mode", _norm_mode(params.get("Mode"))))
        key.append(("FaceModelVersion", _norm_model(params.get("FaceModelVersion"))))
        if with_image:
            image: Any = None
            if "Url" in params:
                url = params["Url"]
                image = ("Url", _digest(url) if isinstance(url, str) else url)
            elif isinstance(params.get("Image"), str):
                image = ("digest", _b64_summary(params["Image"])["digest"])
            key.append(("image", image))
    elif vendor == "facepp":
        fparsed = parsed if isinstance(parsed, FaceppParams) else parse_facepp(request)
        key.append(("return_landmark", _norm_parts(fparsed.fields.get(facepp.RETURN_LANDMARK))))
        if with_image:
            key.append(("image", _live_image_facepp(fparsed.fields, fparsed.files)))
    elif with_image:
        key.append(("image", None))
    return tuple(key)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        if value == frozenset(facepp.ALL_PARTS):
            return "all parts"
        return "{" + ", ".join(sorted(value)) + "}" if value else "{}"
    if value is None:
        return "absent"
    if isinstance(value, tuple) and len(value) == 2:
        if value[0] in _URL_FIELDS:
            return f"{value[0]} with sha256 {str(value[1])[:12]}..."
        return f"{value[0]} {value[1]}"
    return repr(value)


def _differences(expected: _Key, got: _Key) -> list[str]:
    got_map = dict(got)
    diffs = []
    for name, value in expected:
        other = got_map.get(name)
        if other != value:
            diffs.append(f"{name}: cassette has {_show(value)}, request has {_show(other)}")
    return diffs


class Player:
    """Answers requests from one cassette, in order, matching them vendor-aware.

    A request matches an interaction when the method, host family (any Face++ host, any
    Tencent IAI host), path, Tencent action and version and the parameters that change the
    answer agree: ``return_landmark`` as a set of parts (``all`` meaning every part), ``Mode``
    (absent = 0) and ``FaceModelVersion`` (absent = the default), and for recorded cassettes
    the image (digest of the bytes or of the full image URL, or the face token). Secrets,
    timestamps, signatures and unknown extra fields are ignored. Interactions that match the
    same request are played in order, so "fails twice, then succeeds" is one cassette; once
    all of them are played, the last one answers again when ``allow_repeats`` is true (the
    default), otherwise :class:`CassetteMismatch` is raised, its message showing the request
    URL with credentials redacted. Thread-safe.
    """

    def __init__(self, cassette: Cassette, *, allow_repeats: bool = True) -> None:
        self.cassette = cassette
        self.allow_repeats = allow_repeats
        self._with_image = cassette.source == "recorded"
        keys = cassette._keys.get(self._with_image)
        if keys is None:
            keys = [
                _stored_key(i.request, cassette, self._with_image) for i in cassette.interactions
            ]
            cassette._keys[self._with_image] = keys
        self._keys: list[_Key] = keys
        self._played = [False] * len(cassette.interactions)
        self._lock = threading.Lock()

    def match(
        self, request: httpx.Request, *, parsed: FaceppParams | TencentParams | None = None
    ) -> Interaction:
        """The interaction that answers ``request`` (marking it played).

        ``parsed`` is the request's parameters when the caller has already read them
        (:func:`~pytest_densemark.wire.parse_facepp` / ``parse_tencent``), so the body is not
        split twice. Raises :class:`CassetteMismatch` when none matches.
        """
        __tracebackhide__ = True  # a user's failing test passes through here
        key = _live_key(request, self._with_image, parsed)
        with self._lock:
            last = None
            for index, stored in enumerate(self._keys):
                if stored == key:
                    if not self._played[index]:
                        self._played[index] = True
                        return self.cassette.interactions[index]
                    last = index
            if last is not None and self.allow_repeats:
                return self.cassette.interactions[last]
        raise CassetteMismatch(self._mismatch(request, key, exhausted=last is not None))

    def respond(
        self, request: httpx.Request, *, parsed: FaceppParams | TencentParams | None = None
    ) -> httpx.Response:
        """The recorded response to ``request``; raises :class:`CassetteMismatch`.

        ``parsed`` is as for :meth:`match`.
        """
        __tracebackhide__ = True
        return self.match(request, parsed=parsed).response.to_httpx(request)

    def _mismatch(self, request: httpx.Request, key: _Key, *, exhausted: bool) -> str:
        head = (
            f"{self.cassette.label}: no interaction answers {request.method}"
            f" {redact_url(request.url)}"
        )
        if exhausted:
            count = sum(1 for stored in self._keys if stored == key)
            return (
                f"{head}: all {count} matching interaction(s) were already played and repeats"
                " are off; add interactions or allow repeats"
            )
        scored = sorted(
            ((_differences(stored, key), i) for i, stored in enumerate(self._keys)),
            key=lambda item: (len(item[0]), self._played[item[1]], item[1]),
        )
        diffs, index = scored[0]
        state = "played" if self._played[index] else "unplayed"
        return (
            f"{head}; nearest is interaction #{index} ({state},"
            f" {self.cassette.interactions[index].request.method}"
            f" {self.cassette.interactions[index].request.url}), which differs in: "
            + "; ".join(diffs)
        )

    def unplayed(self) -> list[Interaction]:
        """The interactions no request has matched yet, in cassette order."""
        with self._lock:
            return [
                i
                for i, done in zip(self.cassette.interactions, self._played, strict=True)
                if not done
            ]

    def reset(self) -> None:
        """Mark every interaction unplayed again."""
        with self._lock:
            self._played = [False] * len(self._played)


# --- writing ----------------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    if isinstance(value, Mapping | list | tuple):
        return not value
    return value is None or isinstance(value, str | int | float | bool)


def _format(value: Any, indent: int, out: list[str]) -> None:
    """Readable JSON: containers of scalars on one line, bigger ones one item per line."""
    if isinstance(value, Mapping | list | tuple) and all(
        _is_scalar(v) for v in (value.values() if isinstance(value, Mapping) else value)
    ):
        flat = json.dumps(_thaw(value), ensure_ascii=False)
        if len(flat) + indent <= 100 or not value:
            out.append(flat)
            return
    pad = " " * (indent + 2)
    if isinstance(value, Mapping):
        out.append("{\n")
        for n, (key, item) in enumerate(value.items()):
            out.append(f"{pad}{json.dumps(key, ensure_ascii=False)}: ")
            _format(item, indent + 2, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "}")
    elif isinstance(value, list | tuple):
        out.append("[\n")
        for n, item in enumerate(value):
            out.append(pad)
            _format(item, indent + 2, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def dump_cassette(cassette: Cassette | Mapping[str, Any]) -> str:
    """Serialise a cassette as readable, deterministic JSON text (key order as given)."""
    data = cassette.to_json() if isinstance(cassette, Cassette) else cassette
    out: list[str] = []
    _format(data, 0, out)
    out.append("\n")
    return "".join(out)


def _secret_forms(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    forms.add(base64.b64encode(value.encode()).decode().rstrip("="))
    return {f for f in forms if f}


def _locate(data: Any, needle: str, path: str = "$") -> str | None:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if needle in str(key):
                return f"{path} (a key)"
            found = _locate(value, needle, f"{path}.{key}")
            if found:
                return found
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = _locate(value, needle, f"{path}[{index}]")
            if found:
                return found
    elif needle in json.dumps(data, ensure_ascii=False)[1:-1] or needle in str(data):
        return path
    return None


def _mask(value: str) -> str:
    return f"{value[:2]}...({len(value)} characters)" if len(value) > 4 else "***"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string value (not key) under ``value``, with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _url_parts(url: str, path: str) -> Iterator[tuple[str, str]]:
    yield path, url
    for where, value in url_credentials(url).items():
        yield f"{path} ({where})", value
    try:
        query = urlsplit(url).query
    except ValueError:
        return
    for name, value in parse_qsl(query, keep_blank_values=True):
        yield f"{path} (query {name})", value


def _landing_places(data: Any) -> Iterator[tuple[str, str]]:
    """The strings of a cassette document where a credential can land, with their paths.

    Request URLs (whole, and their user information and query values), request and response
    header values, request parameter values and response body string values. Keys, the
    description and the other metadata are not credentials' landing places.
    """
    interactions = data.get("interactions") if isinstance(data, Mapping) else None
    if not isinstance(interactions, list):
        return
    for index, item in enumerate(interactions):
        if not isinstance(item, Mapping):
            continue
        base = f"$.interactions[{index}]"
        request = item.get("request")
        if isinstance(request, Mapping):
            for where, value in _strings(request.get("params"), f"{base}.request.params"):
                yield from _url_parts(value, where) if "://" in value else [(where, value)]
            url = request.get("url")
            if isinstance(url, str):
                yield from _url_parts(url, f"{base}.request.url")
            yield from _strings(request.get("headers"), f"{base}.request.headers")
        response = item.get("response")
        if isinstance(response, Mapping):
            yield from _strings(response.get("headers"), f"{base}.response.headers")
            yield from _strings(response.get("body"), f"{base}.response.body")


def _check_secrets(path: Path, text: str, data: Any, secrets: Mapping[str, str]) -> None:
    """Refuse a cassette in which a secret used in the run survived.

    Two promises: no real credential is ever written, and a dummy one (``k``, ``test``) does
    not make recording fail because the same letters occur elsewhere in the file. Real
    credentials of both vendors are long (Face++ keys 32 characters, Tencent SecretIds 36), so
    a secret of :data:`MIN_SCANNED_LENGTH` characters or more is looked for everywhere in the
    text, inside other strings too, as sent, URL-encoded, JSON-escaped and base64: no leak,
    and a random value that long does not occur by chance. A shorter one is no real
    credential and occurs by chance (in the description, a key name, a word of a message), so
    it is refused only where it stands whole at a place a credential lands: a request or
    response header value, a parameter value, a request URL or one of its query values or
    user information, a response body string.
    """
    places: list[tuple[str, str]] | None = None
    for label, value in secrets.items():
        if not value:
            continue
        forms = _secret_forms(value)
        where: str | None = None
        if len(value) >= MIN_SCANNED_LENGTH:
            found = next((form for form in forms if form in text), None)
            if found is not None:
                where = _locate(data, found) or "the serialised text"
        else:
            if places is None:
                places = list(_landing_places(data))
            where = next((p for p, item in places if item in forms), None)
        if where is not None:
            raise CassetteError(
                f"{path}: refusing to write: the secret {label} ({_mask(value)}) used in"
                f" this run appears at {where}; redact it (or do not send it) and re-record"
            )


def _normalise_secrets(secrets: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(secrets, Mapping):
        return {str(k): str(v) for k, v in secrets.items()}
    return {f"secret #{n}": str(v) for n, v in enumerate(secrets, start=1)}


_umask_lock = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere the only way to read it is to set it and set it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_cassette(
    path: str | os.PathLike[str],
    cassette: Cassette | Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | Iterable[str] = (),
    overwrite: bool = True,
) -> bool:
    """Write ``cassette`` to ``path`` atomically, after checking no secret survived.

    The document is checked as a cassette, serialised with :func:`dump_cassette`, then
    searched for every value in ``secrets`` (as sent, URL-encoded, JSON-escaped and base64):
    if any is found nothing is written and :class:`CassetteError` names the file, the secret
    (masked) and the JSON path. A secret of :data:`MIN_SCANNED_LENGTH` characters or more is
    searched for anywhere in the text; a shorter one (a dummy such as ``k`` or ``test``: no
    real vendor credential is that short) only where it stands as a whole value at a place
    a credential lands (header values, parameter values, URLs and their query values and
    user information, response body strings), so it does not make the write fail for
    occurring in the description or a key name.

    The text goes to a temporary file in the same directory that is then renamed into place,
    so readers and concurrent writers (xdist workers) only ever see a complete file; the
    file gets the permissions ``open()`` would give it (``0666`` less the umask). With
    ``overwrite=False`` an existing file is kept and ``False`` is returned (the check and
    the creation are one atomic step); otherwise returns ``True``.
    """
    target = Path(path)
    data = cassette.to_json() if isinstance(cassette, Cassette) else dict(cassette)
    # The writer and the secret scan walk the whole document recursively.
    _Reader(str(target)).not_too_deep(data, "$")
    cassette_from_data(data, path=target)
    text = dump_cassette(data)
    _check_secrets(target, text, data, _normalise_secrets(secrets))
    if not overwrite and target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        # mkstemp creates the file 0600; give it the mode open() would (0666 less the umask).
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temp, target)
            return True
        try:
            os.link(temp, target)  # fails if another writer got there first
        except FileExistsError:
            return False
        return True
    finally:
        temp.unlink(missing_ok=True)


#: The before-record hook: called with the redacted request summary about to be stored and
#: the live request; returns the summary to store (changed or not), or ``None`` to leave the
#: interaction out.
BeforeRecord = Callable[[dict[str, Any], httpx.Request], dict[str, Any] | None]


class CassetteWarning(UserWarning):
    """Something about a cassette the run did not stop for, such as a recording not written."""


class Recorder:
    """Collects live exchanges and writes them as a ``source: recorded`` cassette.

    Call :meth:`record` with each request and its (read) response; the request is redacted at
    once and the secret values it carried are remembered, so :meth:`write` refuses to write a
    file in which any of them (or any extra secret you pass) survived.

    ``before_record``, like vcrpy's ``before_record_request``, widens or narrows what is
    stored. It is called for every exchange with two arguments, the request summary about to
    be stored (a fresh dict ``{"method", "url", "headers", "params"}``, already redacted as
    :func:`redact_request` says) and the live :class:`httpx.Request`, and returns the summary
    to store (the same dict changed in place, or a new one), or ``None`` to leave the
    exchange out of the cassette. What it returns still goes through the secret scan of
    :func:`write_cassette`: putting a credential back makes the write fail. For example, to
    keep a non-secret field that is stored as a digest by default::

        def keep_user_id(summary, request):
            summary["params"]["user_id"] = parse_facepp(request).fields["user_id"]
            return summary

        Recorder(before_record=keep_user_id)
    """

    def __init__(self, *, description: str = "", before_record: BeforeRecord | None = None) -> None:
        if before_record is not None and not callable(before_record):
            raise TypeError(
                f"before_record must be a callable (summary, request) -> summary or None,"
                f" got {type(before_record).__name__}"
            )
        self.description = description
        self.before_record = before_record
        self.interactions: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = {}
        self.vendor: str | None = None
        self.action: str | None = None
        self.version: str | None = None
        self._lock = threading.Lock()

    def record(self, request: httpx.Request, response: httpx.Response) -> None:
        """Add one exchange (the response body must have been read).

        The request is summarised by :func:`redact_request`, then given to ``before_record``
        when one was set; an exchange it drops (``None``) is not stored, though the secrets
        its request carried are still scanned for when writing.
        """
        redacted, secrets = _redact(request)
        summary: dict[str, Any] | None = redacted
        if self.before_record is not None:
            summary = self.before_record(redacted, request)
            if summary is not None and not isinstance(summary, dict):
                raise TypeError(
                    f"before_record must return the request summary (a dict) or None,"
                    f" got {type(summary).__name__}"
                )
        vendor = vendor_of_request(request)
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS
        }
        kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body: Any
        if kind.endswith("json"):
            try:
                body = json.loads(response.content)
            except (UnicodeDecodeError, json.JSONDecodeError):
                body = response.text
        else:
            body = response.text if response.content else None
        with self._lock:
            self.secrets.update(
                {f"{k} (interaction {len(self.interactions)})": v for k, v in secrets.items()}
            )
            if summary is None:
                return
            if self.vendor is None and vendor is not None:
                self.vendor = vendor
                if vendor == "tencent":
                    self.action = request.headers.get("x-tc-action", tencent.ACTION)
                    self.version = request.headers.get("x-tc-version")
                else:
                    self.action = facepp.ACTION
            self.interactions.append(
                {
                    "request": summary,
                    "response": {"status": response.status_code, "headers": headers, "body": body},
                }
            )

    def to_json(self) -> dict[str, Any]:
        """The cassette document recorded so far."""
        if not self.interactions or self.vendor is None:
            raise CassetteError("nothing to write: no Face++ or Tencent exchange was recorded")
        return cassette_document(
            vendor=self.vendor,
            action=self.action,
            version=self.version,
            description=self.description,
            source="recorded",
            interactions=list(self.interactions),
        )

    def write(
        self,
        path: str | os.PathLike[str],
        *,
        secrets: Mapping[str, str] | Iterable[str] = (),
        overwrite: bool = True,
    ) -> bool:
        """Write the recording with :func:`write_cassette`, scanning for every secret seen.

        With ``overwrite=False``, when the file appeared since recording began (another
        pytest-xdist worker recorded the same cassette first), the recording is not written,
        a :class:`CassetteWarning` naming the file says so, and ``False`` is returned.
        """
        extra = _normalise_secrets(secrets)
        written = write_cassette(
            path, self.to_json(), secrets={**self.secrets, **extra}, overwrite=overwrite
        )
        if not written:
            warnings.warn(
                CassetteWarning(
                    f"{os.fspath(path)}: this recording was not written: the cassette was"
                    " created meanwhile (by another pytest-xdist worker recording it too?);"
                    " the existing file was kept"
                ),
                stacklevel=2,
            )
        return written


# --- validation -------------------------------------------------------------------------------


def _body_kind(vendor: str, status: int, body: Any) -> str:
    if vendor == "facepp":
        return "facepp" if 200 <= status < 300 else "facepp-error"
    response = body.get("Response") if isinstance(body, Mapping) else None
    return "tencent-error" if isinstance(response, Mapping) and "Error" in response else "tencent"


def _as_cassette(path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any]) -> Cassette:
    if isinstance(path_or_data, Cassette):
        return path_or_data
    if isinstance(path_or_data, Mapping):
        return cassette_from_data(dict(path_or_data))
    path = Path(path_or_data)
    return _read(path, path.stem)


def cassette_results(
    path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any], *, kind: str = "auto"
) -> list[tuple[str, ValidationResult]]:
    """Validate every response body of a cassette: ``(label, result)`` per interaction.

    ``label`` is ``interactions[i].response.body``. With ``kind="auto"`` each body is checked
    as its vendor's success or error payload, from the cassette's vendor, the HTTP status
    (Face++) and the envelope (Tencent); another ``kind`` is applied to every body. A Face++
    plain-text body is valid only when it is a documented plain-text error (the 413).
    """
    cassette = _as_cassette(path_or_data)
    plain_texts = {e.message() for e in facepp.ERRORS.values() if not e.json}
    results: list[tuple[str, ValidationResult]] = []
    for interaction in cassette.interactions:
        label = f"interactions[{interaction.index}].response.body"
        response = interaction.response
        body = response.body
        if not response.is_json:
            documented = cassette.vendor == "facepp" and body in plain_texts
            problems = (
                []
                if documented
                else [
                    Violation(
                        "", f"expected JSON or a documented plain-text error, got {body!r:.80}"
                    )
                ]
            )
            results.append((label, ValidationResult(f"{cassette.vendor}-error", problems)))
            continue
        if (
            kind == "auto"
            and response.status == 200
            and urlsplit(interaction.request.url).path.rstrip("/") == facepp.DETECT_PATH
        ):  # Detect (the face_token flow) is not thousandlandmark: its own, minimal check
            problems = [Violation("", p) for p in facepp_detect_problems(body)]
            results.append((label, ValidationResult("facepp-detect", problems)))
            continue
        chosen = _body_kind(cassette.vendor, response.status, body) if kind == "auto" else kind
        results.append((label, validate(body, chosen)))
    return results


def validate_cassette(
    path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any],
) -> list[tuple[str, str]]:
    """Check every response body of a cassette against its vendor's schema.

    Takes a file path, a loaded :class:`Cassette` or a parsed document. Returns a list of
    ``(json_path, message)`` pairs, empty when every body is valid; a JSON path looks like
    ``interactions[2].response.body.face.landmark.nose``. A Face++ plain-text body (the 413
    front-end error) must be exactly a documented plain-text error. Raises
    :class:`CassetteError` when the input is not a readable cassette at all.
    """
    problems: list[tuple[str, str]] = []
    for label, result in cassette_results(path_or_data):
        for violation in result.violations:
            sub = violation.path
            joined = f"{label}{sub}" if sub.startswith("[") else f"{label}.{sub}"
            problems.append((joined if sub else label, violation.message))
    return problems


def validation_hook(
    document: object, *, kind: str = "auto"
) -> list[tuple[str, ValidationResult]] | None:
    """``densemark validate``'s hook: the results for a cassette document, else ``None``.

    A document carrying the ``densemark_cassette`` key is a cassette: a malformed one raises
    :class:`CassetteError` (reported as unreadable input).
    """
    if not isinstance(document, Mapping) or "densemark_cassette" not in document:
        return None
    try:
        cassette = cassette_from_data(dict(document))
    except CassetteError as exc:  # the command names the file itself
        raise CassetteError(str(exc).removeprefix("<memory>: ")) from None
    return cassette_results(cassette, kind=kind)
