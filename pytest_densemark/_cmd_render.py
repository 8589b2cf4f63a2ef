"""``densemark render PAYLOAD.json -o out.png [--image IMG] [--interaction N]``: draw landmarks.

PAYLOAD is a Face++ or Tencent response body, or a densemark cassette (a JSON file, or a
cassette name such as ``facepp/full-9part`` when no such file exists): the cassette's first
interaction whose response body holds landmarks is drawn, or interaction ``N`` (counted from
0, as cassette messages number them).

Inputs are read as ``densemark validate`` reads them: at most ``--max-bytes`` bytes (so
``/dev/zero`` is refused at once), strict JSON (no ``NaN``/``Infinity``), at most 64 levels
deep. Every problem is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_densemark._cli_io import err, guarded, out, printable
from pytest_densemark._cmd_validate import (
    MAX_DEPTH,
    MAX_INPUT_BYTES,
    InputError,
    _positive,
    parse,
    read_bounded,
    too_deep,
)

if TYPE_CHECKING:
    from pytest_densemark.cassettes import Cassette

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``render`` subcommand."""
    parser = subparsers.add_parser(
        "render",
        help="draw a payload's landmarks as a PNG (needs the 'render' extra)",
        description=(
            "Draw the landmarks of a Face++ or Tencent payload, or of a densemark cassette"
            " (its first interaction whose response body holds landmarks, or the one"
            " --interaction names), as points and polylines, over a blank canvas or a given"
            " image."
        ),
    )
    parser.add_argument(
        "payload",
        type=Path,
        help=(
            "JSON file holding a response body or a cassette; a cassette name from"
            " 'densemark cassettes list' works too"
        ),
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--image", type=Path, help="draw over this image instead of a canvas")
    parser.add_argument("--no-dots", action="store_true", help="draw only the polylines")
    parser.add_argument(
        "--interaction",
        type=int,
        metavar="N",
        help="cassette only: draw interaction N (counted from 0) instead of the first one"
        " holding landmarks",
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive,
        default=MAX_INPUT_BYTES,
        metavar="N",
        help=f"refuse a payload or image larger than N bytes (default: {MAX_INPUT_BYTES})",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    return guarded("densemark render", lambda: run(args))


def _fail(message: str) -> int:
    """Report an unusable input or output in one line; exit 2, as ``densemark validate``."""
    err(f"densemark render: {printable(message)}")
    return 2


def _has_landmarks(body: Any) -> bool:
    """Whether a response body holds at least one landmark point to draw."""
    from pytest_densemark.render import RenderError, landmark_polylines

    if not isinstance(body, dict):
        return False
    try:
        lines, circles, _ = landmark_polylines(body)
    except RenderError:
        return False
    return bool(circles) or any(points for points, _ in lines)


def _cassette_body(
    cassette: Cassette, where: Path | str, index: int | None
) -> tuple[dict[str, Any], str] | str:
    """The response body to draw and a label for it, or the problem in one line."""
    interactions = cassette.interactions
    if index is not None:
        if not 0 <= index < len(interactions):
            return (
                f"{where}: --interaction {index} is out of range; the cassette has"
                f" {len(interactions)} interaction(s), numbered 0 to {len(interactions) - 1}"
            )
        response = interactions[index].response
        if not _has_landmarks(response.body):
            return (
                f"{where}: interaction #{index} (HTTP {response.status}) holds no landmarks to draw"
            )
        chosen = index
    else:
        found = [i.index for i in interactions if _has_landmarks(i.response.body)]
        if not found:
            return (
                f"{where}: no interaction of cassette {cassette.name!r} has a response body"
                f" with landmarks ({len(interactions)} interaction(s): errors or no face)"
            )
        chosen = found[0]
    body: dict[str, Any] = interactions[chosen].response.body
    return body, f"interaction #{chosen} of cassette {cassette.name!r}"


def _library_cassette(name: Path) -> Cassette | None:
    """The cassette a name (not an existing path) refers to, if any.

    Raises :class:`~pytest_densemark._project.ProjectConfigError` when the project's pytest
    configuration, which says where its cassettes are, cannot be read.
    """
    from pytest_densemark._project import cassette_search_dirs
    from pytest_densemark.cassettes import CassetteError, load_cassette

    search_dirs = cassette_search_dirs([])  # the project's own folders first, as the fixture
    try:
        return load_cassette(str(name), search_dirs=search_dirs)
    except (CassetteError, OSError, ValueError):
        return None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, say: reading it reports the problem
        return True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _read_json(path: Path, max_bytes: int) -> object:
    """The parsed document, read and parsed as ``densemark validate`` does."""
    document = parse(read_bounded(path, max_bytes))
    if too_deep(document):
        raise InputError(f"JSON nested deeper than the {MAX_DEPTH}-level limit")
    return document


def _new_file_mode(target: Path) -> int:
    """The permissions the output gets: the replaced file's, else those ``open()`` gives a
    new file (``0o666`` less the umask), not the owner-only ones of a temporary file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_output(output: Path, data: bytes) -> str | None:
    """Write ``data`` to ``output``; the problem in a few words, or ``None`` when written.

    A regular file (new or replaced) is written beside its target and renamed over it, so a
    failed run never leaves a half-written PNG; a symbolic link is followed (the file it
    names is replaced, the link stays). A device or a named pipe (``/dev/stdout``) is written
    to as it is: replacing it would put a regular file in its place.
    """
    if _is_dir(output):
        return "is a directory, expected the name of the PNG file to write"
    target = Path(os.path.realpath(output))
    try:
        special = not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:  # nothing there yet (or unreadable: the write says why)
        special = False
    if special:
        try:
            with open(target, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            return f"cannot write: {exc.strerror or exc}"
        return None
    mode = _new_file_mode(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            os.fchmod(stream.fileno(), mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        return f"cannot write: {exc.strerror or exc}"
    return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    """Render ``args.payload`` to ``args.output``; return the exit code."""
    from pytest_densemark._project import ProjectConfigError
    from pytest_densemark.render import RenderError, _BackgroundImageError, render

    max_bytes: int = getattr(args, "max_bytes", MAX_INPUT_BYTES)
    try:
        cassette = None if _exists(Path(args.payload)) else _library_cassette(args.payload)
    except ProjectConfigError as exc:
        return _fail(f"{args.payload}: not a file, and no cassette name can be looked up: {exc}")
    where = cassette.path if cassette is not None and cassette.path else args.payload
    try:
        payload = (
            cassette.to_json()
            if cassette is not None
            else _read_json(Path(args.payload), max_bytes)
        )
    except InputError as exc:
        return _fail(f"{args.payload}: {exc}")
    if not isinstance(payload, dict):
        return _fail(f"{args.payload}: expected a JSON object, got {type(payload).__name__}")
    source = ""
    if "densemark_cassette" in payload:
        if cassette is None:
            from pytest_densemark.cassettes import CassetteError, cassette_from_data

            try:
                cassette = cassette_from_data(payload, path=Path(args.payload))
            except CassetteError as exc:
                return _fail(str(exc))
        chosen = _cassette_body(cassette, where, args.interaction)
        if isinstance(chosen, str):
            return _fail(chosen)
        payload, label = chosen
        source = f" from {label}"
    elif args.interaction is not None:
        return _fail(f"{args.payload}: --interaction applies to a cassette; this is a payload")
    image = None
    if args.image is not None:
        if not _is_file(Path(args.image)):
            return _fail(f"{args.image}: background image not found (or not a regular file)")
        try:
            image = read_bounded(Path(args.image), max_bytes)
        except InputError as exc:
            return _fail(f"{args.image}: background image: {exc}")
    try:
        picture = render(payload, image=image, dots=not args.no_dots)
    except _BackgroundImageError as exc:
        return _fail(f"{args.image}: {exc}")
    except RenderError as exc:
        return _fail(f"{args.payload}: {exc}")
    encoded = io.BytesIO()
    picture.save(encoded, format="PNG")  # in memory: a failure here never touches the output
    problem = _write_output(Path(args.output), encoded.getvalue())
    if problem is not None:
        return _fail(f"{args.output}: {problem}")
    out(printable(f"wrote {args.output} ({picture.size[0]}x{picture.size[1]}){source}"))
    return 0
