"""Regenerate the measured tables of ``docs/performance.md`` from the benchmarks themselves.

Each measured block of the page sits between two markers naming the command that made it::

    <!-- bench: python benchmarks/bench_emulate.py --tests 200 --runs 5 -->
    ...whatever that command printed...
    <!-- /bench -->

``python benchmarks/report.py`` runs every command (from the repository root, with this
interpreter) and puts its output, as printed, between the markers; ``--only NAME`` runs the
blocks whose command contains NAME; ``--list`` shows them. The summary table at the top of
the page quotes these blocks. A command that fails leaves its block as it was and makes the
report exit 1.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "performance.md"
_BLOCK = re.compile(r"(<!-- bench: (?P<command>.+?) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)


def _run(command: str) -> str | None:
    argv = shlex.split(command)
    if argv and argv[0] == "python":
        argv[0] = sys.executable
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - started
    if done.returncode != 0:
        print(f"FAILED ({took:.0f} s): {command}\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    print(f"ok ({took:.0f} s): {command}", file=sys.stderr)
    return done.stdout.strip("\n")


def main(argv: list[str] | None = None) -> int:
    """Run the page's benchmark commands and write their output into it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", metavar="NAME", help="run only commands containing NAME")
    parser.add_argument("--list", action="store_true", help="list the commands and stop")
    parser.add_argument("--page", type=Path, default=PAGE, help="the page (docs/performance.md)")
    args = parser.parse_args(argv)
    text = args.page.read_text(encoding="utf-8")
    commands = [match.group("command") for match in _BLOCK.finditer(text)]
    if args.list:
        print("\n".join(commands))
        return 0
    failed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal failed
        command = match.group("command")
        if args.only and args.only not in command:
            return match.group(0)
        output = _run(command)
        if output is None:
            failed = True
            return match.group(0)
        return f"{match.group(1)}```text\n{output}\n```\n{match.group(4)}"

    args.page.write_text(_BLOCK.sub(replace, text), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
