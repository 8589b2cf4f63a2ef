"""``densemark validate``: check payload files against the vendor schemas.

Arguments are files, directories (every ``*.json`` below them, recursively, in sorted
order) and ``-`` for standard input. Exit status: 0 when every payload is valid, 1 when any
is invalid, 2 for a usage error or any input that cannot be read as JSON (missing, empty,
binary or non-UTF-8, malformed, over :data:`MAX_INPUT_BYTES`, nested deeper than
:data:`MAX_DEPTH`); each such input gets one line on stderr naming it.

Documents that are not a single payload (a cassette holding many) are handed to the
functions named in :data:`DOCUMENT_HOOKS`; see there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_densemark.validation import KINDS, ValidationResult, validate

__all__ = ["DOCUMENT_HOOKS", "MAX_DEPTH", "MAX_INPUT_BYTES", "InputError", "register", "run"]

#: Inputs larger than this many bytes are refused (``--max-bytes`` changes it). A full Face++
#: payload is about 35 kB and a five-face Tencent one about 100 kB.
MAX_INPUT_BYTES = 16 * 1024 * 1024
#: Documents nested deeper than this are refused; vendor payloads are 6 levels deep.
MAX_DEPTH = 64

#: Hooks for documents that hold payloads rather than being one, as ``"module:function"``.
#: Each hook is called as ``hook(document, kind=kind)`` with the parsed JSON and the
#: ``--kind`` value. It returns ``None`` when the document is not its kind (the next hook,
#: and finally plain payload validation, gets it), or a list of ``(label, result)`` pairs,
#: one per embedded payload, where ``label`` says where the payload sits (for example
#: ``interactions[0].response.body``) and ``result`` is a
#: :class:`~pytest_densemark.validation.ValidationResult`. A hook may raise an exception
#: whose message explains why the document is unusable; it is reported as unreadable input.
DOCUMENT_HOOKS: tuple[str, ...] = ("pytest_densemark.cassettes:validation_hook",)

Hook = Callable[..., "list[tuple[str, ValidationResult]] | None"]


class InputError(Exception):
    """An input that cannot be validated; the message names the problem (not the file)."""


@dataclass(frozen=True)
class _Source:
    name: str
    path: Path | None  # None: standard input


def _load_hooks() -> list[Hook]:
    hooks = []
    for spec in DOCUMENT_HOOKS:
        module, _, function = spec.partition(":")
        hooks.append(getattr(importlib.import_module(module), function))
    return hooks


def _read(source: _Source, max_bytes: int) -> bytes:
    if source.path is None:
        data: bytes = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            with source.path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
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


def _too_deep(document: object, limit: int) -> bool:
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


def parse(data: bytes) -> object:
    """Decode and parse one input; raise :class:`InputError` with a one-line reason."""
    if not data.strip():
        raise InputError("empty file, expected a JSON document")
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes), expected JSON text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"JSON nested deeper than the {MAX_DEPTH}-level limit") from None
    if _too_deep(document, MAX_DEPTH):
        raise InputError(f"JSON nested deeper than the {MAX_DEPTH}-level limit")
    return document


def _sources(paths: list[str]) -> Iterator[_Source | tuple[str, str]]:
    """Expand the arguments; yields sources, or ``(name, problem)`` for unusable ones."""
    for argument in paths:
        if argument == "-":
            yield _Source("<stdin>", None)
            continue
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                yield (argument, "directory holds no *.json file")
            yield from (_Source(str(p), p) for p in found)
        else:
            yield _Source(argument, path)


def _check(document: object, kind: str, hooks: list[Hook]) -> list[tuple[str, ValidationResult]]:
    for hook in hooks:
        try:
            results = hook(document, kind=kind)
        except Exception as error:  # a hook's complaint is about the input
            raise InputError(str(error) or type(error).__name__) from None
        if results is not None:
            return results
    return [("", validate(document, kind))]


def run(
    paths: list[str], *, kind: str = "auto", fmt: str = "text", max_bytes: int = MAX_INPUT_BYTES
) -> int:
    """Validate every input named in ``paths``; print the report; return the exit status."""
    hooks = _load_hooks()
    report: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    counts = {"valid": 0, "invalid": 0}
    for source in _sources(paths):
        if isinstance(source, tuple):
            name, problem = source
        else:
            name = source.name
            try:
                outcomes = _check(parse(_read(source, max_bytes)), kind, hooks)
            except InputError as error:
                problem = str(error)
            else:
                for label, result in outcomes:
                    counts["valid" if result else "invalid"] += 1
                    report.append({"file": name, "label": label, **result.to_dict()})
                    if fmt == "text":
                        _print_text(name, label, result)
                continue
        errors.append({"file": name, "error": problem})
        print(f"densemark validate: {name}: {problem}", file=sys.stderr)
    status = 2 if errors else 1 if counts["invalid"] else 0
    if fmt == "json":
        summary = {**counts, "unreadable": len(errors), "exit_status": status}
        json.dump({"results": report, "errors": errors, "summary": summary}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"{counts['valid']} valid, {counts['invalid']} invalid, {len(errors)} unreadable")
    return status


def _print_text(name: str, label: str, result: ValidationResult) -> None:
    where = f"{name} ({label})" if label else name
    if result:
        print(f"{where}: ok ({result.kind})")
        return
    for violation in result.violations:
        print(f"{where}: {result.kind}: {violation}")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes, got {value}")
    return value


def _main(args: argparse.Namespace) -> int:
    return run(args.paths, kind=args.kind, fmt=args.format, max_bytes=args.max_bytes)


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
        choices=("auto", *KINDS),
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
