"""Output helpers shared by ``densemark validate`` and ``densemark render``.

Both commands print text that comes from their inputs (file names, JSON keys) and must never
end in a traceback. :func:`printable` escapes what a terminal would interpret or an encoder
would refuse; :func:`out` and :func:`err` write one line and survive a closed standard output
(``densemark validate . | head -1``) and an output encoding that cannot represent a
character; :func:`finish` flushes standard output at the end of a command.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import TextIO

__all__ = ["INTERNAL_ERROR", "err", "finish", "guarded", "out", "printable"]

#: Exit status of a command that failed on something it did not foresee (a bug): the same as
#: unusable input, so that CI never reads it as "invalid payload" (1) or success (0).
INTERNAL_ERROR = 2

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every character a terminal would not show as itself escaped.

    Newlines, tabs, escape sequences and other control or format characters become ``\\n``,
    ``\\x1b``, ``\\u200b``...; a byte that was not valid in a file name (decoded by Python as a
    lone surrogate, ``\\udce9``) is shown as the byte, ``\\xe9``; any other lone surrogate as
    ``\\ud800``. Printable text, non-ASCII letters included, is kept as it is.
    """
    if text.isprintable():
        return text
    shown = []
    for char in text:
        if char.isprintable():
            shown.append(char)
        elif char in _SHORT_ESCAPES:
            shown.append(_SHORT_ESCAPES[char])
        elif "\udc80" <= char <= "\udcff":  # os.fsdecode's stand-in for an undecodable byte
            shown.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif ord(char) < 0x100:
            shown.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            shown.append(f"\\u{ord(char):04x}")
        else:
            shown.append(f"\\U{ord(char):08x}")
    return "".join(shown)


class _Stdout:
    """Whether standard output's reader has gone (then output is dropped)."""

    closed = False


def _write(stream: TextIO, line: str) -> None:
    try:
        stream.write(line + "\n")
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        safe = line.encode(encoding, "backslashreplace").decode(encoding, "replace")
        stream.write(safe + "\n")


def _drop_stdout() -> None:
    """Point standard output at the null device: its reader has closed the pipe."""
    _Stdout.closed = True
    # no file descriptor (captured output): dropping the output is enough
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def out(line: str) -> None:
    """Print one line on standard output; once its reader has gone, print nothing more.

    A closed pipe does not stop the command: it goes on and its exit status still tells the
    verdict, as when the report is read in full.
    """
    if _Stdout.closed or sys.stdout is None:  # None: started with standard output closed
        return
    try:
        _write(sys.stdout, line)
    except BrokenPipeError:
        _drop_stdout()


def err(line: str) -> None:
    """Print one line on standard error (a closed standard error is ignored)."""
    if sys.stderr is not None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            _write(sys.stderr, line)


def finish() -> None:
    """Flush standard output so that a reader that has gone is noticed here, not at exit."""
    if _Stdout.closed or sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()


def guarded(command: str, run: Callable[[], int]) -> int:
    """Call ``run`` and return its exit status; never let a traceback reach the user.

    An unforeseen exception is reported in one line naming its type, with exit status
    :data:`INTERNAL_ERROR`; an interrupt (Ctrl-C) exits with 130, as shells expect.
    """
    try:
        status = run()
    except KeyboardInterrupt:
        err(f"{command}: interrupted")
        return 130
    except Exception as error:
        detail = printable(str(error))[:200]
        err(f"{command}: internal error ({type(error).__name__}: {detail}); please report it")
        return INTERNAL_ERROR
    finish()
    return status
