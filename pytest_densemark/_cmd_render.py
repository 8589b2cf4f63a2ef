"""``densemark render PAYLOAD.json -o out.png [--image IMG]``: draw a payload's landmarks."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``render`` subcommand."""
    parser = subparsers.add_parser(
        "render",
        help="draw a payload's landmarks as a PNG (needs the 'render' extra)",
        description=(
            "Draw the landmarks of a Face++ or Tencent payload (or a cassette interaction body"
            " saved as JSON) as points and polylines, over a blank canvas or a given image."
        ),
    )
    parser.add_argument("payload", type=Path, help="JSON file holding the response body")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--image", type=Path, help="draw over this image instead of a canvas")
    parser.add_argument("--no-dots", action="store_true", help="draw only the polylines")
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    """Report an unusable input or output in one line; exit 2, as ``densemark validate``."""
    print(f"densemark render: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Render ``args.payload`` to ``args.output``; return the exit code."""
    from pytest_densemark.render import RenderError, render

    try:
        payload = json.loads(Path(args.payload).read_text(encoding="utf-8"))
    except OSError as exc:
        return _fail(f"{args.payload}: cannot read: {exc.strerror or exc}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail(f"{args.payload}: not valid JSON: {exc}")
    except RecursionError:
        return _fail(f"{args.payload}: not a landmark payload (JSON nested too deeply)")
    if not isinstance(payload, dict):
        return _fail(f"{args.payload}: expected a JSON object, got {type(payload).__name__}")
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
    print(f"wrote {args.output} ({picture.size[0]}x{picture.size[1]})")
    return 0
