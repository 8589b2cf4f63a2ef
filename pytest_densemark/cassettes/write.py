"""Writing cassettes: readable deterministic JSON, atomically, after a scan for secrets.

:func:`dump_cassette` serialises a document the same way every time (containers of scalars
on one line, bigger ones one item per line), so rebuilt files diff cleanly.
:func:`write_cassette` checks the document, refuses it when a secret used in the run
survived redaction anywhere in it (naming the file, the secret masked and the JSON path),
and renames a complete temporary file into place.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from pytest_densemark._redaction import url_credentials
from pytest_densemark.cassettes.format import (
    Cassette,
    CassetteError,
    cassette_from_data,
    check_depth,
    thaw,
)

__all__ = ["MIN_SCANNED_LENGTH", "dump_cassette", "normalise_secrets", "write_cassette"]

#: Secrets at least this long are searched for everywhere in a file about to be written;
#: shorter ones (no real vendor credential is that short) only where they stand whole at a
#: place a credential lands. See :func:`write_cassette`.
MIN_SCANNED_LENGTH = 8


def _is_scalar(value: Any) -> bool:
    if isinstance(value, Mapping | list | tuple):
        return not value
    return value is None or isinstance(value, str | int | float | bool)


def _format(value: Any, indent: int, out: list[str]) -> None:
    """Readable JSON: containers of scalars on one line, bigger ones one item per line."""
    if isinstance(value, Mapping | list | tuple) and all(
        _is_scalar(v) for v in (value.values() if isinstance(value, Mapping) else value)
    ):
        flat = json.dumps(thaw(value), ensure_ascii=False)
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


def normalise_secrets(secrets: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    """Secrets by label: a mapping as given, other values labelled ``secret #1``, ``#2``..."""
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
    the creation are one atomic step); otherwise returns ``True``. A file that cannot be
    written (a folder that cannot be created or written to, a folder in the way, a name the
    system refuses) raises :class:`CassetteError` naming it and why, and leaves nothing
    behind.
    """
    target = Path(path)
    data = cassette.to_json() if isinstance(cassette, Cassette) else dict(cassette)
    # The writer and the secret scan walk the whole document recursively.
    check_depth(data, str(target))
    cassette_from_data(data, path=target)
    text = dump_cassette(data)
    _check_secrets(target, text, data, normalise_secrets(secrets))
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder has that name")
        if not overwrite and target.exists():
            return False
        return _write_atomically(target, text, overwrite=overwrite)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        culprit = getattr(exc, "filename", None)
        where = f" ({culprit})" if culprit and str(culprit) != str(target) else ""
        raise CassetteError(
            f"{target}: cannot write the cassette: {reason}{where}; nothing was written"
        ) from exc


def _write_atomically(target: Path, text: str, *, overwrite: bool) -> bool:
    """Write ``text`` to a temporary file beside ``target`` and move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            # mkstemp creates the file 0600; give it the mode open() would (0666 less umask).
            os.chmod(temp, 0o666 & ~_umask())
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
