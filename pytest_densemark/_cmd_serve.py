"""``densemark serve``: the emulator for both vendors as a loopback HTTP server."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from pytest_densemark._cli_io import err, printable

# The server, the controller and httpx are imported when the command runs, not when the
# command line is built (every ``densemark`` call builds it, ``densemark validate`` included).
#: ``pytest_densemark.server.CONTROL_PREFIX`` (tests/test_cmd_serve.py checks they agree).
CONTROL_PREFIX = "/_densemark/"

__all__ = ["register"]

#: The highest TCP port number.
_MAX_PORT = 65535
#: Width of the labels before the addresses printed at start (``"Tencent endpoint: "``).
_LABEL_WIDTH = 18


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the Face++ and Tencent emulator on 127.0.0.1 until Ctrl-C",
        description=(
            "Serve the emulator for both vendors as real HTTP on a loopback address, for "
            "clients that httpx mocking cannot reach (requests, urllib, the Tencent SDK, curl, "
            "other languages). Prints the Face++ URL and the Tencent endpoint (host:port, the "
            "form HttpProfile(endpoint=...) takes); stops cleanly on Ctrl-C or SIGTERM. The "
            f"control API lives under {CONTROL_PREFIX} on the same port."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: 0, any free port)")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a throwaway CA (printed: the CA bundle clients must trust)",
    )
    parser.add_argument(
        "--cassette",
        metavar="NAME",
        help="answer from this cassette (library name or path) instead of emulating",
    )
    parser.add_argument(
        "--cassette-dir",
        metavar="DIR",
        action="append",
        default=[],
        type=Path,
        help=(
            "folder searched for --cassette (and the control API's cassettes) before the"
            " shipped library (repeatable)"
        ),
    )
    parser.add_argument(
        "--record",
        choices=("new", "all"),
        metavar="MODE",
        help=(
            "record --cassette instead of answering: forward every vendor request to"
            " --upstream (default: the real vendor) and write the redacted cassette when the"
            " server stops; 'new' replays a cassette that already exists, 'all' re-records it"
            " (into the first --cassette-dir, default ./cassettes)"
        ),
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="base URL recording forwards vendor requests to (default: $DENSEMARK_UPSTREAM)",
    )
    for option, field in (
        ("--api-key", "api_key"),
        ("--api-secret", "api_secret"),
        ("--secret-id", "secret_id"),
        ("--secret-key", "secret_key"),
    ):
        parser.add_argument(
            option, dest=field, metavar="VALUE", help=f"credential the emulator expects: {field}"
        )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; return the exit code."""
    from pytest_densemark.cassettes import CassetteError
    from pytest_densemark.controller import Controller
    from pytest_densemark.server import DensemarkServer

    if not 0 <= args.port <= _MAX_PORT:
        err(
            f"densemark serve: --port {args.port}: expected a TCP port in 0..{_MAX_PORT}"
            " (0 picks any free port)"
        )
        return 2
    if args.upstream is not None:
        from pytest_densemark.checks import upstream_problem

        problem = upstream_problem(args.upstream)
        if problem is not None:
            err(f"densemark serve: --upstream: expected {problem}")
            return 2
    if args.record and not args.cassette:
        err("densemark serve: --record needs --cassette NAME (the file to write)")
        return 2
    cassette_dirs = list(args.cassette_dir)
    if args.record and not cassette_dirs:
        cassette_dirs = [Path("cassettes")]
    controller = Controller(
        search_dirs=cassette_dirs,
        record_mode=args.record or "none",
        upstream=args.upstream,
    )
    try:
        server = DensemarkServer(controller, host=args.host, port=args.port, tls=args.tls)
    except ValueError as exc:
        err(f"densemark serve: --host: {printable(str(exc))}")
        return 2
    except RuntimeError as exc:  # --tls without trustme
        err(f"densemark serve: --tls: {printable(str(exc))}")
        return 2
    credentials = {
        name: getattr(args, name)
        for name in ("api_key", "api_secret", "secret_id", "secret_key")
        if getattr(args, name) is not None
    }
    if credentials:
        server.set_credentials(**credentials)
    server.cassette_dirs = tuple(args.cassette_dir)  # the control API may load from them too
    if args.cassette:
        try:
            server.use_cassette(args.cassette)
        except CassetteError as exc:
            err(f"densemark serve: --cassette: {printable(str(exc))}")
            return 1
    recording = controller.recording
    if recording is not None and (problem := _unwritable(recording.parent)) is not None:
        err(printable(f"densemark serve: --record: cannot write {recording}: {problem}"))
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Handlers go in before the socket opens and stay until it is closed: a signal at any
    # point from here on ends in the same clean stop, never a KeyboardInterrupt traceback.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server.start()
        except OSError as exc:
            err(
                printable(
                    f"densemark serve: cannot listen on {args.host}:{args.port}:"
                    f" {exc.strerror or exc}"
                )
            )
            return 1
        try:
            # One write, flushed at once: through a pipe stdout is block-buffered and a
            # reader waiting for the addresses would otherwise wait forever.
            if recording is not None:
                target = args.upstream or controller.upstream or "the real vendor hosts"
                _say(f"densemark: recording {recording} from {target}\n")
            lines = [(a.label, a.value) for a in server.vendor_addresses()]
            lines.append(("Control API", f"{server.url}{CONTROL_PREFIX}"))
            if args.tls:
                lines.append(("CA bundle", server.ca_bundle))
            _say(
                f"densemark: serving on {server.url} (Ctrl-C to stop)\n"
                + "".join(f"{label + ':':<{_LABEL_WIDTH}}{value}\n" for label, value in lines)
            )
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    try:
        written = controller.finish()
    except CassetteError as exc:
        err(f"densemark serve: not recorded: {printable(str(exc))}")
        return 1
    except OSError as exc:  # the folder went away or filled up while serving
        err(printable(f"densemark serve: not recorded: {recording}: {exc.strerror or exc}"))
        return 1
    if written is not None:
        _say(f"densemark: recorded {written}\n")
    _say("densemark: stopped\n")
    return 0


def _unwritable(folder: Path) -> str | None:
    """Why a cassette could not be written into ``folder`` (created when missing), or
    ``None``: checked before serving, so that a recording session is not lost at the end."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing}: permission denied"
    return None


def _say(text: str) -> None:
    """Write ``text`` to stdout and flush; a reader that went away (or a standard output
    closed from the start, ``densemark serve >&-``) is not an error."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Nobody reads any more (``densemark serve | head -1``): keep serving quietly, and
        # point stdout at devnull so the flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
