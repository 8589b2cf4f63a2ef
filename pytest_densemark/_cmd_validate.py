"""``densemark validate``: check payload files against the vendor schemas.

Arguments are files, directories (every ``*.json`` below them, recursively, in sorted
order) and ``-`` for standard input. Exit status: 0 when every payload is valid, 1 when any
is invalid, 2 for a usage error or any input that cannot be read as JSON (missing, empty,
binary or non-UTF-8, malformed, ``NaN``/``Infinity`` literals, an integer longer than Python
converts, over :data:`MAX_INPUT_BYTES`, nested deeper than :data:`MAX_DEPTH`); each such
input gets one line on stderr naming it. File names and keys
are printed with control characters escaped (see :func:`pytest_densemark._cli_io.printable`);
a closed standard output ends the report, not the run, so the exit status is the verdict
either way.

Documents that are not a single payload (a cassette holding many) are handed to the
functions named in :data:`DOCUMENT_HOOKS`; see there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pytest_densemark._cli_io import err, finish, guarded, out, printable
from pytest_densemark.errors import DensemarkError
from pytest_densemark.validation import ValidationResult, kinds, validate

__all__ = [
    "DOCUMENT_HOOKS",
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "InputError",
    "cassette_hook",
    "parse",
    "read_bounded",
    "register",
    "run",
    "too_deep",
]

#: Inputs larger than this many bytes are refused (``--max-bytes`` changes it). A full Face++
#: payload is about 35 kB and a five-face Tencent one about 100 kB.
MAX_INPUT_BYTES = 16 * 1024 * 1024
#: Documents nested deeper than this are refused; vendor payloads are 6 levels deep. A
#: payload the validator finds valid is never checked: the shipped schemas are closed, so it
#: is at most as deep as they are.
MAX_DEPTH = 64

#: Hooks for documents that hold payloads rather than being one, as ``"module:function"``.
#: Each hook is called as ``hook(document, kind=kind)`` with the parsed JSON and the
#: ``--kind`` value. It returns ``None`` when the document is not its kind (the next hook,
#: and finally plain payload validation, gets it), or a list of ``(label, result)`` pairs,
#: one per embedded payload, where ``label`` says where the payload sits (for example
#: ``interactions[0].response.body``) and ``result`` is a
#: :class:`~pytest_densemark.validation.ValidationResult`. A hook may raise an exception
#: whose message explains why the document is unusable; it is reported as unreadable input.
#: Hooks only see documents that are not a valid payload of the ``--kind`` asked for, after
#: the :data:`MAX_DEPTH` check; their modules are imported when first needed.
DOCUMENT_HOOKS: tuple[str, ...] = ("pytest_densemark._cmd_validate:cassette_hook",)

Hook = Callable[..., "list[tuple[str, ValidationResult]] | None"]


class InputError(DensemarkError):
    """An input that cannot be validated; the message names the problem (not the file)."""


@dataclass(frozen=True)
class _Source:
    name: str
    path: Path | None  # None: standard input


def cassette_hook(document: object, *, kind: str) -> list[tuple[str, ValidationResult]] | None:
    """The cassette hook: a document with a ``densemark_cassette`` key goes to
    :func:`pytest_densemark.cassettes.validation_hook`; others are not its kind (``None``).

    Checking the key here keeps the cassette machinery unimported for plain payloads.
    """
    if not (isinstance(document, dict) and "densemark_cassette" in document):
        return None
    from pytest_densemark.cassettes import validation_hook

    return validation_hook(document, kind=kind)


class _Hooks:
    """The :data:`DOCUMENT_HOOKS` functions, imported on first use."""

    def __init__(self) -> None:
        self._loaded: list[Hook] | None = None

    def __iter__(self) -> Iterator[Hook]:
        if self._loaded is None:
            self._loaded = []
            for spec in DOCUMENT_HOOKS:
                module, _, function = spec.partition(":")
                self._loaded.append(getattr(importlib.import_module(module), function))
        return iter(self._loaded)


#: The first read from an input whose size is unknown (a pipe, a device); later reads grow.
_CHUNK = 1 << 16


def _read_upto(handle: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes from ``handle``, in reads sized by what is there (a regular
    file's size, else growing chunks), never a ``limit``-sized buffer per input."""
    try:
        size = os.fstat(handle.fileno()).st_size
    except (OSError, ValueError, AttributeError):  # not a file descriptor
        size = 0
    first = handle.read(min(limit, size + 1 if size > 0 else _CHUNK))
    if len(first) >= limit or not first:
        return first
    chunks, total = [first], len(first)
    while total < limit:
        chunk = handle.read(min(limit - total, max(_CHUNK, total)))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return first if len(chunks) == 1 else b"".join(chunks)


def read_bounded(path: Path | None, max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` from ``path`` (``None``: standard input).

    Raises :class:`InputError` when the input is larger (reading stops there, so
    ``/dev/zero`` is refused at once) or cannot be read.
    """
    try:
        if path is None:
            if sys.stdin is None:
                raise InputError("standard input is closed")
            data = _read_upto(sys.stdin.buffer, max_bytes + 1)
        else:
            with path.open("rb") as handle:
                data = _read_upto(handle, max_bytes + 1)
    except FileNotFoundError:
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError("is a directory") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes}-byte limit (raise it with --max-bytes)")
    return data


def too_deep(document: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``document`` nests arrays and objects deeper than ``limit`` levels."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _refuse_constant(name: str) -> object:
    raise InputError(f"invalid JSON: {name} is not a JSON value (JSON has no NaN or Infinity)")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)

#: Byte-order marks of the encodings JSON text once allowed besides UTF-8 (longest first).
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


#: The characters JSON text can start with: whitespace or the first of a value.
_JSON_STARTS = b' \t\r\n{["-0123456789tfn'


def _wide_encoding(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when ``data`` looks like JSON text in that encoding:
    a byte-order mark, or NUL bytes beside a first character JSON text can start with (RFC
    4627's test)."""
    for mark, name in _OTHER_BOMS:
        if data.startswith(mark):
            return name
    head = data.lstrip(b"\x00")[:1]
    if len(data) >= 4 and head and head in _JSON_STARTS:
        if data[:3] == b"\x00\x00\x00" or data[1:4] == b"\x00\x00\x00":
            return "UTF-32"
        if data[0] == 0 or data[1] == 0:
            return "UTF-16"
    return None


def _int_digit_limit() -> int | None:
    limit: int | None = getattr(sys, "get_int_max_str_digits", lambda: None)()
    return limit or None


def parse(data: bytes) -> object:
    """Decode and parse one input; raise :class:`InputError` with a one-line reason.

    Refused: empty text, NUL bytes (UTF-16 and UTF-32 text named as such), text that is not
    UTF-8 (a UTF-8 byte-order mark is skipped), malformed JSON, ``NaN``/``Infinity``, an
    integer longer than Python converts. A key repeated in one object is read as Python's
    ``json`` reads it (the last value counts): refusing it costs a Python call per object,
    about as much as the whole validation of a Face++ payload.

    Nesting is only limited by the parser itself (:class:`RecursionError`, reported as too
    deep); :func:`too_deep` is the :data:`MAX_DEPTH` check.
    """
    if not data or data.isspace():
        raise InputError("empty file, expected a JSON document")
    if b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        wide = _wide_encoding(data)
        if wide is not None:
            raise InputError(f"{wide} text, expected UTF-8 (JSON files are UTF-8: RFC 8259)")
        raise InputError("binary file (contains NUL bytes), expected JSON text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    try:
        document: object = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"JSON nested deeper than the {MAX_DEPTH}-level limit") from None
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits() allows
        limit = _int_digit_limit()
        over = f"more than {limit} digits" if limit else "too many digits"
        raise InputError(
            f"unreadable JSON number: an integer with {over} (Python's conversion limit)"
        ) from None
    return document


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, say: reading it reports the problem
        return False


def _sources(paths: list[str]) -> Iterator[_Source | tuple[str, str]]:
    """Expand the arguments; yields sources, or ``(name, problem)`` for unusable ones."""
    for argument in paths:
        if argument == "-":
            yield _Source("<stdin>", None)
            continue
        path = Path(argument)
        if _is_dir(path):
            try:
                found = sorted(p for p in path.rglob("*.json") if p.is_file())
            except OSError as error:
                yield (argument, f"cannot list the directory: {error.strerror or error}")
                continue
            if not found:
                yield (argument, "directory holds no *.json file")
            yield from (_Source(str(p), p) for p in found)
        else:
            yield _Source(argument, path)


def _check(document: object, kind: str, hooks: _Hooks) -> list[tuple[str, ValidationResult]]:
    result = validate(document, kind)
    if result:  # valid under a closed schema: a payload, and as shallow as the schema
        return [("", result)]
    if too_deep(document):
        raise InputError(f"JSON nested deeper than the {MAX_DEPTH}-level limit")
    for hook in hooks:
        try:
            results = hook(document, kind=kind)
        except Exception as error:  # a hook's complaint is about the input
            raise InputError(str(error) or type(error).__name__) from None
        if results is not None:
            return results
    return [("", result)]


def run(
    paths: list[str], *, kind: str = "auto", fmt: str = "text", max_bytes: int = MAX_INPUT_BYTES
) -> int:
    """Validate every input named in ``paths``; print the report; return the exit status."""
    hooks = _Hooks()
    report: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    counts = {"valid": 0, "invalid": 0}
    for source in _sources(paths):
        if isinstance(source, tuple):
            name, problem = printable(source[0]), source[1]
        else:
            name = printable(source.name)
            try:
                outcomes = _check(parse(read_bounded(source.path, max_bytes)), kind, hooks)
            except InputError as error:
                problem = str(error)
            else:
                for label, result in outcomes:
                    counts["valid" if result else "invalid"] += 1
                    if fmt == "json":
                        report.append({"file": name, "label": label, **result.to_dict()})
                    else:
                        _print_text(name, label, result)
                continue
        errors.append({"file": name, "error": problem})
        err(f"densemark validate: {name}: {printable(problem)}")
    status = 2 if errors else 1 if counts["invalid"] else 0
    if fmt == "json":
        summary = {**counts, "unreadable": len(errors), "exit_status": status}
        out(json.dumps({"results": report, "errors": errors, "summary": summary}, indent=2))
    else:
        out(f"{counts['valid']} valid, {counts['invalid']} invalid, {len(errors)} unreadable")
    finish()
    return status


def _print_text(name: str, label: str, result: ValidationResult) -> None:
    where = f"{name} ({printable(label)})" if label else name
    if result:
        out(f"{where}: ok ({result.kind})")
        return
    for violation in result.violations:
        out(f"{where}: {result.kind}: {printable(str(violation))}")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes, got {value}")
    return value


def _main(args: argparse.Namespace) -> int:
    return guarded(
        "densemark validate",
        lambda: run(args.paths, kind=args.kind, fmt=args.format, max_bytes=args.max_bytes),
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="check Face++ / Tencent payload files against the vendor schemas",
        description=(
            "Validate JSON payload files (directories: every *.json inside, recursively;"
            " '-': standard input). Exit 0 when all are valid, 1 when any is invalid, 2 on"
            " usage errors or unreadable input."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or -")
    parser.add_argument(
        "--kind",
        choices=("auto", *kinds()),
        default="auto",
        help="payload kind (default: detected from each payload's shape)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format (default: text)"
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive,
        default=MAX_INPUT_BYTES,
        metavar="N",
        help=f"refuse inputs larger than N bytes (default: {MAX_INPUT_BYTES})",
    )
    parser.set_defaults(func=_main)
