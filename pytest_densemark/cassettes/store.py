"""Where cassettes are found: lookup by name across folders and the shipped library, cached.

:func:`load_cassette` reads a file once per process (it is cached on path, size and
modification time) and :func:`list_cassettes` lists every cassette a test can load by name:
those in the folders given, in order, then the library that ships with the kit.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from stat import S_ISREG

from pytest_densemark._resources import data_dir
from pytest_densemark.cassettes.format import Cassette, CassetteError, cassette_from_bytes

__all__ = ["cassette_stem", "list_cassettes", "load_cassette", "read_cassette"]

_cache: dict[tuple[Path, str], tuple[tuple[int, int], Cassette]] = {}
_cache_lock = threading.Lock()


@functools.cache
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


def read_cassette(path: Path, name: str) -> Cassette:
    """Load one file as the cassette called ``name``, through the cache.

    The cache is keyed on the resolved path and the name, and a hit is used only while the
    file's size and modification time are unchanged. Raises :class:`CassetteError` naming
    the file when it cannot be read or is not a valid cassette.
    """
    __tracebackhide__ = True  # the CassetteError names the file and path: that is the report
    resolved = Path(os.path.abspath(path))
    try:
        stat = os.stat(resolved)
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read cassette: {exc.strerror or exc}") from exc
    if not S_ISREG(stat.st_mode):  # a named pipe would block the read for ever, a device never end
        raise CassetteError(f"{path}: cannot read cassette: not a regular file")
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        hit = _cache.get((resolved, name))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        raw = resolved.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read cassette: {exc.strerror or exc}") from exc
    cassette = cassette_from_bytes(raw, path=resolved, name=name, shown=path)
    with _cache_lock:
        _cache[(resolved, name)] = (stamp, cassette)
    return cassette


#: What splits a cassette name into folders, on any system (a name is portable).
_SEPARATORS = re.compile(r"[\\/]")


def cassette_stem(name: str) -> str:
    """The name a cassette is looked up (and recorded) by: ``name`` without ``.json``, checked.

    A name stays inside the folders it is looked up in: it must not be empty, hold a NUL or
    have a ``..`` part (``../elsewhere``, ``a/../../b``); :class:`CassetteError` names it and
    what was expected. A file outside the folders is named by its path instead.
    """
    __tracebackhide__ = True
    stem = name[: -len(".json")] if name.endswith(".json") else name
    problem = None
    if not stem.strip():
        problem = "a non-empty name such as 'vendor/scenario'"
    elif "\0" in stem:
        problem = "a name without NUL characters"
    elif ".." in _SEPARATORS.split(stem):
        problem = (
            "a name without '..' parts: a cassette name stays inside the cassette folders"
            " (name a file elsewhere by its existing path, or add its folder to the"
            " densemark_cassette_dirs ini value)"
        )
    if problem is not None:
        raise CassetteError(f"cassette name {name!r:.120}: expected {problem}")
    return stem


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
    found (listing where it looked and close names), the name is not one
    (:func:`cassette_stem`: empty, a NUL, a ``..`` part), or the file is not a valid cassette.
    """
    __tracebackhide__ = True
    raw = os.fspath(name_or_path)
    dirs = _search_dirs(search_dirs)
    if os.path.isfile(raw):
        direct = Path(raw)
        for directory in dirs:
            if direct.resolve().is_relative_to(directory.resolve()):
                return read_cassette(direct, _name_in(directory.resolve(), direct.resolve()))
        return read_cassette(direct, direct.stem)
    stem = cassette_stem(raw)
    # os.path rather than pathlib: this runs in every test that names a cassette.
    for directory in dirs:
        candidate = os.path.join(directory, f"{stem}.json")
        if os.path.isfile(candidate):
            return read_cassette(Path(candidate), stem)
    known = sorted({name for d in dirs for name, _ in _scan(d)})
    close = difflib.get_close_matches(stem, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    looked = ", ".join(str(d) for d in dirs) or "no directories"
    raise CassetteError(f"cassette {raw!r:.200} not found (looked in {looked}){hint}")


def _scan(directory: Path) -> list[tuple[str, Path]]:
    """Every ``.json`` file below ``directory``, sorted, with the name a test loads it by."""
    if not directory.is_dir():
        return []
    return [
        (_name_in(directory, p), p) for p in sorted(directory.rglob("*.json")) if not p.is_dir()
    ]


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
        for name, path in _scan(directory):
            try:
                found.append(read_cassette(path, name))
            except CassetteError as error:
                if errors is None:
                    raise
                errors.append(error)
    return found
