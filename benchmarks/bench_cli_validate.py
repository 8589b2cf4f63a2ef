"""``densemark validate`` on 1000 payload files against a plain Python loop over the same files.

Files (synthetic, written to a temporary folder): 1000 full Face++ success bodies (9 parts, 975
keys, about 35 KB each, shuffled key order, built as in ``bench_validate.py``), each with its
own coordinates.

Rows, each a whole process, run alternately in every round so that load from other processes
hits both sides alike:

- the baseline: ``python -c`` running ``validate(json.loads(path.read_bytes()))`` over the
  files (found with ``rglob("*.json")``, as the command does);
- ``densemark validate DIR`` (``python -m pytest_densemark.cli``), report to ``/dev/null``.

Each process is timed twice: wall-clock time, and the CPU time (user + system) it used, which
load from other processes on a shared machine disturbs far less. The figures are the medians
of the per-round ratios, with their range. Every process may cache bytecode (in a temporary
``PYTHONPYCACHEPREFIX``, even when ``PYTHONDONTWRITEBYTECODE`` is set), as an installed
package does, so that start-up is not compiling the sources each time. The start-up rows compare
``densemark validate --help`` with ``python -c pass`` and with a process that only imports the
validator (``python -c "import pytest_densemark.validation"``).

Unix only (CPU time comes from ``resource``).
Run: ``python benchmarks/bench_cli_validate.py [--files 1000] [--rounds 7] [--check]``.
``--check`` exits 1 when the median CPU-time ratio is over 1.3 (CPU time, because it is the
steadier of the two on a shared machine; both are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_validate import facepp_payload

LIMIT = 1.3

LOOP = """
import json, sys
from pathlib import Path
from pytest_densemark.validation import validate
invalid = 0
for path in sorted(p for p in Path(sys.argv[1]).rglob("*.json") if p.is_file()):
    if not validate(json.loads(path.read_bytes())):
        invalid += 1
sys.exit(1 if invalid else 0)
"""


def write_files(folder: Path, count: int) -> None:
    """``count`` synthetic full Face++ bodies, one per file, each with its own coordinates."""
    rng = random.Random(2019)
    for index in range(count):
        text = json.dumps(facepp_payload(rng))
        (folder / f"payload-{index:04d}.json").write_text(text, encoding="utf-8")


Times = tuple[float, float]  # wall-clock seconds, CPU seconds

#: The environment of the timed processes: bytecode cached outside the source tree.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> Times:
    """Wall-clock and CPU (user + system) seconds of one process; it must exit 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def paired(first: list[str], second: list[str], rounds: int) -> tuple[list[Times], list[Times]]:
    """Times of ``first`` and ``second``, alternated (one warm-up pair first)."""
    timed(first)
    timed(second)
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first))
        b.append(timed(second))
    return a, b


def _ratio(base: list[Times], other: list[Times], which: int) -> tuple[float, float, float, str]:
    ratios = sorted(o[which] / b[which] for b, o in zip(base, other, strict=True))
    median = statistics.median(ratios)
    times = (
        f"{statistics.median(b[which] for b in base) * 1e3:,.0f} ms vs"
        f" {statistics.median(o[which] for o in other) * 1e3:,.0f} ms"
    )
    return median, ratios[0], ratios[-1], times


def describe(label: str, base: list[Times], other: list[Times]) -> tuple[float, float]:
    """Print one row: median times and the median and range of the per-round ratios, for
    wall-clock and CPU time; return the two median ratios."""
    cells = []
    medians = []
    for which in (0, 1):
        median, low, high, times = _ratio(base, other, which)
        cells.append(f"**{median:.2f}x** ({low:.2f}-{high:.2f}); {times}")
        medians.append(median)
    print(f"| {label} | {cells[0]} | {cells[1]} |")
    return medians[0], medians[1]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; with ``--check`` return 1 when the ratio is over the limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=1000, help="number of payload files")
    parser.add_argument("--rounds", type=int, default=7, help="alternated rounds (at least 5)")
    parser.add_argument("--check", action="store_true", help=f"fail above {LIMIT}x")
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as folder:
        _ENV["PYTHONPYCACHEPREFIX"] = cache
        return _run(python, Path(folder), args.files, args.rounds, args.check)


def _run(python: str, folder: Path, files: int, rounds: int, check: bool) -> int:
    """Write the files into ``folder``, time every row, print the table; the exit status."""
    write_files(folder, files)
    print(
        f"Python {sys.version.split()[0]}; {files} synthetic Face++ payload files;"
        f" median of {rounds} alternated rounds (range in brackets)\n"
    )
    print("| what | wall-clock ratio (range); medians | CPU-time ratio (range); medians |")
    print("|---|---:|---:|")
    base, cli = paired(
        [python, "-c", LOOP, str(folder)],
        [python, "-m", "pytest_densemark.cli", "validate", str(folder)],
        rounds,
    )
    ratio, cpu_ratio = describe(
        f"`densemark validate` on {files} files vs a `json.loads` + `validate()` loop", base, cli
    )
    help_command = [python, "-m", "pytest_densemark.cli", "validate", "--help"]
    bare, helped = paired([python, "-c", "pass"], help_command, rounds)
    describe("start-up: `densemark validate --help` vs `python -c pass`", bare, helped)
    imported, helped = paired(
        [python, "-c", "import pytest_densemark.validation"], help_command, rounds
    )
    describe("start-up: `densemark validate --help` vs importing the validator", imported, helped)
    verdict = "within" if cpu_ratio <= LIMIT else "OVER"
    print(
        f"\ndensemark validate: {cpu_ratio:.2f}x the Python loop in CPU time ({verdict} {LIMIT}x),"
        f" {ratio:.2f}x in wall-clock time"
    )
    return 1 if check and cpu_ratio > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
