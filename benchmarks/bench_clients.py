"""Replay through requests, and what the plugin adds to pytest's start-up.

Part 1, replay per test through ``requests`` (set-up + call + teardown from pytest's own
reports), the full 975-key Face++ answer, three ways in one pytest session, interleaved:

* ``responses route (baseline)``: a ``responses.RequestsMock`` returning the body inline;
* ``densemark cassette``: the ``densemark`` fixture with the shipped ``facepp/full-9part``;
* ``vcrpy cassette`` (reference): ``vcr.use_cassette`` replaying the same exchange.

Part 2, start-up: a session of one trivial test, with every installed plugin, then without
this kit's plugin (``-p no:densemark``) and without pytest-httpx's (``-p no:httpx``), runs
alternated. What a plugin adds is the difference of the fastest rounds (start-up time has
only slow outliers); the target is that the kit adds no more than pytest-httpx does.

Part 3, start-up alone: the same session on bare pytest (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``),
with no plugin, with only this kit's (``-p pytest_densemark.plugin``) and with only
pytest-httpx's (``-p pytest_httpx``), alternated; each as a ratio of bare pytest's fastest
round.

Each part is repeated ``--runs`` times; the tables give the median ratio and its range.
Run: ``python benchmarks/bench_clients.py`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_replay import CASSETTE, COLLECTOR, _body, _vcr_cassette

KINDS = ("responses", "densemark", "vcrpy")
LABELS = {
    "responses": "responses route (baseline)",
    "densemark": "densemark cassette",
    "vcrpy": "vcrpy cassette (reference)",
}

TEST_MODULE = """
import json
import pytest
import requests
import responses
import vcr
from pytest_densemark import facepp
from pytest_densemark.images import make_image

SESSION = requests.Session()
IMAGE = make_image("JPEG", 640, 480)
DATA = {{"api_key": "bench-key", "api_secret": "bench-secret", "return_landmark": "all"}}
FILES = {{"image_file": ("face.jpg", IMAGE, "image/jpeg")}}
with open({body_path!r}, encoding="utf-8") as handle:
    BODY = json.load(handle)
VCR = vcr.VCR(serializer="json", record_mode="none")


def check(response):
    landmark = response.json()["face"]["landmark"]
    assert sum(len(part) for part in landmark.values()) == facepp.TOTAL_KEYS


@pytest.mark.parametrize("n", range({tests}))
class TestReplay:
    def test_responses(self, n):
        with responses.RequestsMock() as mocked:
            mocked.add(responses.POST, facepp.URL, json=BODY)
            check(SESSION.post(facepp.URL, data=DATA, files=FILES))

    @pytest.mark.densemark(cassette={cassette!r})
    def test_densemark(self, densemark, n):
        check(SESSION.post(facepp.URL, data=DATA, files=FILES))

    def test_vcrpy(self, n):
        with VCR.use_cassette({vcr_path!r}):
            check(SESSION.post(facepp.URL, data=DATA, files=FILES))
"""


def replay_ratios(tests: int, work: Path) -> dict[str, float]:
    """One pytest session; each kind's median per-test time over the responses baseline's."""
    body = _body()
    body_path = work / "body.json"
    body_path.write_text(json.dumps(body), encoding="utf-8")
    vcr_path = work / "vcr-full-9part.json"
    vcr_path.write_text(json.dumps(_vcr_cassette(body)), encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (work / "conftest.py").write_text(COLLECTOR, encoding="utf-8")
    (work / "test_bench.py").write_text(
        TEST_MODULE.format(
            body_path=str(body_path), vcr_path=str(vcr_path), cassette=CASSETTE, tests=tests
        ),
        encoding="utf-8",
    )
    out = work / "times.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py"],
        cwd=work,
        env={**os.environ, "BENCH_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.exit(f"the benchmark's pytest run failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for nodeid, seconds in json.loads(out.read_text(encoding="utf-8")).items():
        samples[nodeid.split("::test_", 1)[1].split("[", 1)[0]].append(seconds)
    medians = {kind: statistics.median(values) for kind, values in samples.items()}
    return {
        **{f"{kind} us": medians[kind] * 1e6 for kind in KINDS},
        **{kind: medians[kind] / medians["responses"] for kind in KINDS},
    }


STARTUP_VARIANTS = {
    "every plugin": [],
    "without densemark (-p no:densemark)": ["-p", "no:densemark"],
    "without pytest-httpx (-p no:httpx)": ["-p", "no:httpx"],
}
ALONE_VARIANTS = {
    "bare pytest": [],
    "densemark alone": ["-p", "pytest_densemark.plugin"],
    "pytest-httpx alone": ["-p", "pytest_httpx"],
}


def startup_times(
    work: Path,
    rounds: int,
    variants: dict[str, list[str]] = STARTUP_VARIANTS,
    autoload: bool = True,
) -> dict[str, float]:
    """Fastest wall time of a one-test session per variant, variants alternated (without
    ``autoload``, pytest loads only the plugins a variant names).

    Bytecode is cached in a folder of the run's own (``PYTHONPYCACHEPREFIX``, and
    ``PYTHONDONTWRITEBYTECODE`` unset), so start-up is measured as a user's machine has it,
    not as compile time.
    """
    (work / "test_one.py").write_text("def test_one():\n    pass\n", encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
    for extra in variants.values():  # warm the bytecode cache
        subprocess.run([*base, *extra], cwd=work, env=env, capture_output=True, check=True)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, extra in variants.items():
            start = time.perf_counter()
            subprocess.run([*base, *extra], cwd=work, env=env, capture_output=True, check=True)
            samples[name].append(time.perf_counter() - start)
    # The fastest round: start-up has no fast outliers, only slow ones (other processes).
    return {name: min(values) for name, values in samples.items()}


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    """Run every part ``--runs`` times and print their tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tests", type=int, default=200, help="tests of each kind (200)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each part (5)")
    parser.add_argument("--rounds", type=int, default=10, help="start-up rounds per run (10)")
    args = parser.parse_args(argv)

    replays = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            replays.append(replay_ratios(args.tests, Path(folder)))
    print(f"\nPart 1: replay through requests, per test ({args.tests} tests, {args.runs} runs)")
    print("| way | median us/test | ratio to responses: median (range) |")
    print("|---|---:|---:|")
    for kind in KINDS:
        micros = statistics.median(r[f"{kind} us"] for r in replays)
        print(f"| {LABELS[kind]} | {micros:.0f} | {_spread([r[kind] for r in replays])} |")

    costs: dict[str, list[float]] = {"densemark": [], "pytest-httpx": []}
    bare: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            times = startup_times(Path(folder), args.rounds)
        every = times["every plugin"]
        costs["densemark"].append(every - times["without densemark (-p no:densemark)"])
        costs["pytest-httpx"].append(every - times["without pytest-httpx (-p no:httpx)"])
        bare.append(every)
    print(f"\nPart 2: start-up of a one-test session ({args.runs} runs x {args.rounds} rounds)")
    print(f"every plugin loaded: {statistics.median(bare) * 1e3:.0f} ms (fastest round, median)")
    print("| plugin | adds (median, ms) | range (ms) |")
    print("|---|---:|---:|")
    for name, values in costs.items():
        low, high = min(values) * 1e3, max(values) * 1e3
        print(f"| {name} | {statistics.median(values) * 1e3:.1f} | {low:.1f} to {high:.1f} |")

    alone: dict[str, list[float]] = {name: [] for name in ALONE_VARIANTS}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            times = startup_times(Path(folder), args.rounds, ALONE_VARIANTS, autoload=False)
        for name in ALONE_VARIANTS:
            alone[name].append(times[name] / times["bare pytest"])
    print(f"\nPart 3: start-up alone on bare pytest ({args.runs} runs x {args.rounds} rounds)")
    print("| session | ratio to bare pytest: median (range) |")
    print("|---|---:|")
    for name, values in alone.items():
        print(f"| {name} | {_spread(values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
