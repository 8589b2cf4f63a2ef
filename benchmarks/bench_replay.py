"""Replay speed: a full 975-key Face++ answer through httpx, per test, fixture set-up included.

Three ways of answering the same ``thousandlandmark`` request with the same body, measured in
the same run:

* ``respx route (baseline)``: the ``respx_mock`` fixture with a route returning the body
  inline (``.respond(json=BODY)``);
* ``densemark cassette``: the ``densemark`` fixture with
  ``@pytest.mark.densemark(cassette="facepp/full-9part")`` (the shipped cassette);
* ``vcrpy cassette`` (reference): ``vcr.use_cassette`` replaying the same exchange.

Part 1 runs ``--runs`` pytest sessions (5), each holding ``--tests`` tests of each kind,
interleaved, and reads each test's set-up + call + teardown time from pytest's own reports;
it prints the median over the sessions of each session's median per test, and the ratio to
the respx baseline as the median over sessions with the lowest and highest. Part 2 times the
same work without pytest, in a plain loop (median and mean per test). Ratios are against the
respx baseline of the same part. Run: ``python benchmarks/bench_replay.py [--runs 5]``.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import respx

from pytest_densemark import facepp
from pytest_densemark.cassettes import load_cassette
from pytest_densemark.controller import Controller, intercept_httpx, release_httpx
from pytest_densemark.images import make_image

CASSETTE = "facepp/full-9part"
KINDS = ("respx", "densemark", "vcrpy")
LABELS = {
    "respx": "respx route (baseline)",
    "densemark": "densemark cassette",
    "vcrpy": "vcrpy cassette (reference)",
}

# The inner test module: one module-level client (as most suites have), three ways to answer.
TEST_MODULE = """
import json
import httpx
import pytest
import vcr
from pytest_densemark import facepp
from pytest_densemark.images import make_image

CLIENT = httpx.Client()
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
    def test_respx(self, respx_mock, n):
        respx_mock.post(facepp.URL).respond(json=BODY)
        check(CLIENT.post(facepp.URL, data=DATA, files=FILES))

    @pytest.mark.densemark(cassette={cassette!r})
    def test_densemark(self, densemark, n):
        check(CLIENT.post(facepp.URL, data=DATA, files=FILES))

    def test_vcrpy(self, n):
        with VCR.use_cassette({vcr_path!r}):
            check(CLIENT.post(facepp.URL, data=DATA, files=FILES))
"""

COLLECTOR = """
import json, os
from collections import defaultdict

TIMES = defaultdict(float)

def pytest_runtest_logreport(report):
    TIMES[report.nodeid] += report.duration

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as handle:
        json.dump(TIMES, handle)
"""


def _body() -> dict[str, Any]:
    response = load_cassette(CASSETTE).interactions[0].response
    body: dict[str, Any] = response.body
    return body


def _vcr_cassette(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {"method": "POST", "uri": facepp.URL, "body": None, "headers": {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": [facepp.CONTENT_TYPE]},
                    "body": {"string": json.dumps(body, separators=(",", ":"))},
                },
            }
        ],
    }


def _summarise(samples: dict[str, list[float]]) -> list[tuple[str, float, float, float]]:
    base = statistics.median(samples["respx"])
    rows = []
    for kind in KINDS:
        values = samples.get(kind)
        if values:
            median = statistics.median(values)
            rows.append((LABELS[kind], median * 1e6, statistics.fmean(values) * 1e6, median / base))
    return rows


def _print(title: str, rows: list[tuple[str, float, float, float]], count: int) -> None:
    print(f"\n{title} ({count} tests each)")
    print(f"| {'way':<28} | {'median us/test':>14} | {'mean us/test':>12} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 16}:|{'-' * 14}:|{'-' * 7}:|")
    for label, median, mean, ratio in rows:
        print(f"| {label:<28} | {median:>14.0f} | {mean:>12.0f} | {ratio:>5.2f}x |")


def pytest_run(tests: int, work: Path, body: dict[str, Any]) -> dict[str, list[float]]:
    """One pytest session, every kind interleaved; per-test set-up + call + teardown."""
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
    env = {**os.environ, "BENCH_OUT": str(out)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"the benchmark's pytest run failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    times: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for nodeid, seconds in times.items():
        kind = nodeid.split("::test_", 1)[1].split("[", 1)[0]
        samples[kind].append(seconds)
    return samples


def loop_run(tests: int, body: dict[str, Any]) -> dict[str, list[float]]:
    """The fixtures' work without pytest: set up, one request, check, tear down."""
    client = httpx.Client()
    image = make_image("JPEG", 640, 480)
    data = {"api_key": "bench-key", "api_secret": "bench-secret", "return_landmark": "all"}
    files = {"image_file": ("face.jpg", image, "image/jpeg")}

    def check(response: httpx.Response) -> None:
        landmark = response.json()["face"]["landmark"]
        assert sum(len(part) for part in landmark.values()) == facepp.TOTAL_KEYS

    def with_respx() -> None:
        with respx.mock(assert_all_called=True) as router:
            router.post(facepp.URL).respond(json=body)
            check(client.post(facepp.URL, data=data, files=files))

    def with_densemark() -> None:
        controller = Controller()
        controller.use_cassette(CASSETTE)
        with intercept_httpx(controller, keep_patched=True):  # as the fixture does
            check(client.post(facepp.URL, data=data, files=files))
        assert controller.unplayed_problem() is None
        controller.finish()

    ways: dict[str, Callable[[], None]] = {"respx": with_respx, "densemark": with_densemark}
    samples: dict[str, list[float]] = {kind: [] for kind in ways}
    for way in ways.values():  # warm-up: imports, caches
        way()
    for _ in range(tests):
        for kind, way in ways.items():
            start = time.perf_counter()
            way()
            samples[kind].append(time.perf_counter() - start)
    client.close()
    release_httpx()
    return samples


def _print_runs(runs: list[dict[str, list[float]]], count: int) -> None:
    """Part 1's table: per kind, the median of the sessions' medians and the ratio's spread."""
    print(
        f"\nPart 1: {len(runs)} pytest sessions, per-test set-up + call + teardown"
        f" ({count} tests each per session)"
    )
    print(f"| {'way':<28} | {'median us/test':>14} | {'ratio (median, range)':>22} |")
    print(f"|{'-' * 30}|{'-' * 16}:|{'-' * 23}:|")
    for kind in KINDS:
        medians = [statistics.median(run[kind]) for run in runs if run.get(kind)]
        if not medians:
            continue
        ratios = [
            statistics.median(run[kind]) / statistics.median(run["respx"])
            for run in runs
            if run.get(kind)
        ]
        spread = f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
        us = statistics.median(medians) * 1e6
        print(f"| {LABELS[kind]:<28} | {us:>14.0f} | {spread:>22} |")


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300, help="tests of each kind (300)")
    parser.add_argument("--runs", type=int, default=5, help="pytest sessions of part 1 (5)")
    args = parser.parse_args(argv)
    body = _body()
    keys = sum(len(part) for part in body["face"]["landmark"].values())
    print(f"cassette {CASSETTE}: {keys} landmark keys, {len(json.dumps(body))} bytes of JSON")
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(pytest_run(args.tests, Path(folder), body))
    _print_runs(runs, args.tests)
    loop = loop_run(args.tests, body)
    _print("Part 2: the same work in a plain loop (no pytest)", _summarise(loop), args.tests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
