"""``densemark cassettes list``: the cassettes a test can load, with their descriptions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pytest_densemark import vendors

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``cassettes`` subcommand (with its ``list`` action)."""
    parser = subparsers.add_parser(
        "cassettes",
        help="list the shipped (and your own) cassettes",
        description="Work with cassettes: recorded or synthetic vendor exchanges.",
    )
    actions = parser.add_subparsers(dest="cassettes_command", metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="print every cassette's name, vendor, source and description",
        description=(
            "Print every cassette a test can load by name: those in each --dir (searched first,"
            " in order), then those in the project's own cassette folders (the"
            " densemark_cassette_dirs value of the pytest configuration found from the current"
            " directory upwards, else cassettes/ in the project's root), then the shipped"
            " library. A file that is not a valid cassette is reported on stderr and the rest"
            " are still listed (exit status 1)."
        ),
    )
    listing.add_argument(
        "--dir",
        dest="dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="also list cassettes under DIR (repeatable; searched before the library)",
    )
    listing.add_argument("--vendor", choices=vendors.names(), help="only this vendor's cassettes")
    listing.add_argument("--json", action="store_true", help="print a JSON list instead")
    listing.set_defaults(func=run_list)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_list(args: argparse.Namespace) -> int:
    """Print the cassettes; return the exit code (1 when one cannot be read)."""
    from pytest_densemark._project import ProjectConfigError, cassette_search_dirs
    from pytest_densemark.cassettes import CassetteError, list_cassettes

    for directory in args.dirs:
        if not Path(directory).is_dir():
            print(f"densemark cassettes list: {directory}: no such directory", file=sys.stderr)
            return 1
    try:
        search_dirs = cassette_search_dirs(list(args.dirs))
    except ProjectConfigError as exc:
        print(f"densemark cassettes list: {exc}", file=sys.stderr)
        return 1
    errors: list[CassetteError] = []
    cassettes = list_cassettes(search_dirs, errors=errors)
    if args.vendor:
        cassettes = [c for c in cassettes if c.vendor == args.vendor]
    rows = [(c.name, c.vendor, c.source, c.description) for c in cassettes]
    if args.json:
        keys = ("name", "vendor", "source", "description")
        text = json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2)
    else:
        header = ("NAME", "VENDOR", "SOURCE", "DESCRIPTION")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        text = "\n".join(
            "  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]])
            for row in [header, *rows]
        )
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `densemark cassettes list | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    for error in errors:
        print(f"densemark cassettes list: {error}", file=sys.stderr)
    return 1 if errors else 0
