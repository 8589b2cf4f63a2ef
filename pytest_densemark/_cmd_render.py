"""``densemark render PAYLOAD.json -o out.png [--image IMG] [--interaction N]``: draw landmarks.

PAYLOAD is a Face++ or Tencent response body, or a densemark cassette (a JSON file, or a
cassette name such as ``facepp/full-9part`` when no such file exists): the cassette's first
interaction whose response body holds landmarks is drawn, or interaction ``N`` (counted from
0, as cassette messages number them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    """Report an unusable input or output in one line; exit 2, as ``densemark validate``."""
    print(f"densemark render: {message}", file=sys.stderr)
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
    """The cassette a name (not an existing path) refers to, if any."""
    from pytest_densemark._project import ProjectConfigError, cassette_search_dirs
    from pytest_densemark.cassettes import CassetteError, load_cassette

    try:  # the project's own cassette folders first, as the fixture searches them
        return load_cassette(str(name), search_dirs=cassette_search_dirs([]))
    except (CassetteError, ProjectConfigError):
        return None


def run(args: argparse.Namespace) -> int:
    """Render ``args.payload`` to ``args.output``; return the exit code."""
    from pytest_densemark.cassettes import CassetteError, cassette_from_data
    from pytest_densemark.render import RenderError, render

    cassette = None if Path(args.payload).exists() else _library_cassette(args.payload)
    where = cassette.path if cassette is not None and cassette.path else args.payload
    try:
        payload = (
            cassette.to_json()
            if cassette is not None
            else json.loads(Path(args.payload).read_text(encoding="utf-8"))
        )
    except OSError as exc:
        return _fail(f"{args.payload}: cannot read: {exc.strerror or exc}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail(f"{args.payload}: not valid JSON: {exc}")
    except RecursionError:
        return _fail(f"{args.payload}: not a landmark payload (JSON nested too deeply)")
    if not isinstance(payload, dict):
        return _fail(f"{args.payload}: expected a JSON object, got {type(payload).__name__}")
    source = ""
    if "densemark_cassette" in payload:
        if cassette is None:
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
    if args.image is not None and not Path(args.image).is_file():
        return _fail(f"{args.image}: background image not found")
    try:
        picture = render(payload, image=args.image, dots=not args.no_dots)
    except RenderError as exc:
        return _fail(f"{args.payload}: {exc}")
    output = Path(args.output)
    # Write beside the target, then rename: a failed run never leaves a half-written PNG.
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent or ".")
    except OSError as exc:
        return _fail(f"{output}: cannot write: {exc.strerror or exc}")
    try:
        with os.fdopen(fd, "wb") as stream:
            picture.save(stream, format="PNG")
        os.replace(temporary, output)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        return _fail(f"{output}: cannot write: {exc.strerror or exc}")
    print(f"wrote {args.output} ({picture.size[0]}x{picture.size[1]}){source}")
    return 0
