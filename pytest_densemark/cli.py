"""The ``densemark`` command line.

Each subcommand lives in its own ``_cmd_*`` module exposing ``register(subparsers)``; that
function adds the subcommand's parser and sets ``func`` to a callable taking the parsed
arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pytest_densemark._cli_io import err, guarded
from pytest_densemark._version import __version__

__all__ = ["main"]

#: Subcommand modules, in the order ``densemark --help`` lists them.
_COMMAND_MODULES: tuple[str, ...] = (
    "_cmd_validate",
    "_cmd_render",
    "_cmd_cassettes",
    "_cmd_serve",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="densemark",
        description="Test kit for Face++ and Tencent dense facial-landmark clients.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the kit's version and exit",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(f"pytest_densemark.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``densemark`` with ``argv`` (default: the process arguments); return the exit code.

    Never ends in a traceback: Ctrl-C at any point, even while the command's modules are
    still being imported, exits with 130 and one line; an unforeseen failure is one
    ``internal error`` line and status :data:`~pytest_densemark._cli_io.INTERNAL_ERROR`.
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        err("densemark: interrupted")
        return 130
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return guarded(f"densemark {args.command}", lambda: int(func(args)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
