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
of the per-round ratios, with their range. The start-up rows compare
``densemark validate --help`` with ``python -c pass`` and with a process that only imports the
validator (``python -c "import pytest_densemark.validation"``).

Run: ``python benchmarks/bench_cli_validate.py [--files 1000] [--rounds 7] [--check]``.
``--check`` exits 1 when the median ratio is over 1.3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def timed(argv: list[str]) -> Times:
    """Wall-clock and CPU (user + system) seconds of one process; it must exit 0."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
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
    with tempfile.TemporaryDirectory() as folder:
        write_files(Path(folder), args.files)
        print(
            f"Python {sys.version.split()[0]}; {args.files} synthetic Face++ payload files;"
            f" median of {args.rounds} alternated rounds (range in brackets)\n"
        )
        print("| what | wall-clock ratio (range); medians | CPU-time ratio (range); medians |")
        print("|---|---:|---:|")
        base, cli = paired(
            [python, "-c", LOOP, folder],
            [python, "-m", "pytest_densemark.cli", "validate", folder],
            args.rounds,
        )
        ratio, cpu_ratio = describe(
            f"`densemark validate` on {args.files} files vs a `json.loads` + `validate()` loop",
            base,
            cli,
        )
    bare, helped = paired(
        [python, "-c", "pass"],
        [python, "-m", "pytest_densemark.cli", "validate", "--help"],
        args.rounds,
    )
    describe("start-up: `densemark validate --help` vs `python -c pass`", bare, helped)
    imported, helped = paired(
        [python, "-c", "import pytest_densemark.validation"],
        [python, "-m", "pytest_densemark.cli", "validate", "--help"],
        args.rounds,
    )
    describe("start-up: `densemark validate --help` vs importing the validator", imported, helped)
    verdict = "within" if ratio <= LIMIT else "OVER"
    print(
        f"\ndensemark validate: {ratio:.2f}x the Python loop in wall-clock time"
        f" ({verdict} {LIMIT}x), {cpu_ratio:.2f}x in CPU time"
    )
    return 1 if args.check and ratio > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
