"""``densemark cassettes list``: the cassettes a test can load, with their descriptions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_densemark import vendors
from pytest_densemark._cli_io import err, finish, out, printable

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
            err(f"densemark cassettes list: {printable(str(directory))}: no such directory")
            return 1
    try:
        search_dirs = cassette_search_dirs(list(args.dirs))
    except ProjectConfigError as exc:
        err(f"densemark cassettes list: {printable(str(exc))}")
        return 1
    errors: list[CassetteError] = []
    cassettes = list_cassettes(search_dirs, errors=errors)
    if args.vendor:
        cassettes = [c for c in cassettes if c.vendor == args.vendor]
    rows = [(c.name, c.vendor, c.source, c.description) for c in cassettes]
    if args.json:
        keys = ("name", "vendor", "source", "description")
        out(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
    else:
        # Names come from file names and descriptions from the files: shown escaped, so
        # that neither can move the cursor or rewrite the terminal.
        shown = [tuple(map(printable, row)) for row in rows]
        header = ("NAME", "VENDOR", "SOURCE", "DESCRIPTION")
        widths = [max(len(r[i]) for r in [header, *shown]) for i in range(3)]
        for row in [header, *shown]:
            out("  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]]))
    finish()
    for error in errors:
        err(f"densemark cassettes list: {printable(str(error))}")
    return 1 if errors else 0
