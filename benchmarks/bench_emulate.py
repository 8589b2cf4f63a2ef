"""Emulated answers per test against respx's inline route with the same body, in one run.

Each test makes one request through a module-level ``httpx.Client`` and checks the answer;
the figure is the test's set-up + call + teardown time from pytest's own reports. Kinds,
interleaved in one pytest session:

* ``respx``: the ``respx_mock`` fixture with a route answering the same body inline
  (``.respond(json=BODY)``), the baseline;
* ``densemark``: the ``densemark`` fixture emulating the answer from the image (a new
  controller per test, so only the process-wide answer cache carries over);
* ``densemark, cold cache``: the same with the controller given an empty answer cache of its
  own at the start of the test, which is what every test paid before the cache was shared
  (the shared cache itself is left alone, so the other kinds stay warm);
* ``densemark_server`` and ``densemark_server, cold cache``: the same answers from the
  loopback server over a keep-alive socket (its per-test reset keeps the shared cache; the
  cold kind swaps in an empty cache for the test), for reference: a socket round trip is not
  what the respx baseline pays.

A second session per run, with the plugin disabled (``-p no:densemark``), runs the respx
tests alone, as a suite that does not install the kit runs them: there respx patches httpx's
transports at every test's start and removes the patch at its end, which in the shared session
it skips because the kit's own router keeps the patch in place. Its figures are printed as a
reference below each table (a ratio of the two sessions' medians, not paired test by test).

Two cases, each against its own respx baseline: Face++ (``return_landmark=all``, 975 keys,
one face) and Tencent with five faces (a synthetic image whose marker holds five faces).
``--runs`` whole pytest sessions are run one after another. Tests of every kind take turns
(test ``n`` of each kind, then test ``n + 1``...), so each test is paired with the baseline
test next to it; a run's ratio is the median of those paired ratios, which a machine whose
load drifts during the run disturbs less than a ratio of medians. The table gives, per kind,
the median test time and the median over runs of the run's ratio, with the lowest and
highest run. Run: ``python benchmarks/bench_emulate.py [--tests 200]
[--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

CASES = ("facepp", "tencent5")
KINDS = ("respx", "densemark", "cold", "server", "servercold")
LABELS = {
    "respx": "respx inline route (baseline)",
    "densemark": "densemark, emulated",
    "cold": "densemark, cold cache each test",
    "server": "densemark_server, emulated",
    "servercold": "densemark_server, cold cache",
}
TITLES = {"facepp": "Face++ full answer (975 keys)", "tencent5": "Tencent, five faces"}
#: The suffix of the respx kind run in a session without the kit.
ALONE = "_alone"

TEST_MODULE = """
import base64
import httpx
import pytest
from pytest_densemark import facepp, tc3, tencent
from pytest_densemark.emulator import SHARED_ANSWER_CACHE, AnswerCache, Emulator
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image

CLIENT = httpx.Client()
FACEPP_IMAGE = make_image("JPEG", 640, 480)
FACEPP_DATA = {{"api_key": "bench-key", "api_secret": "bench-secret", "return_landmark": "all"}}
FACEPP_FILES = {{"image_file": ("face.jpg", FACEPP_IMAGE, "image/jpeg")}}
FIVE = [Face(20 + 240 * i, 200, 200, 200, seed=i) for i in range(5)]
TENCENT_IMAGE = make_image("JPEG", 1280, 720, faces=FIVE)
TENCENT_BODY = {{"Image": base64.b64encode(TENCENT_IMAGE).decode()}}
TENCENT_URL = f"https://{{tencent.HOST}}/"
TENCENT_HEADERS = {{
    "X-TC-Action": tencent.ACTION,
    "X-TC-Version": tencent.VERSIONS[1],
    "X-TC-Timestamp": "1700000000",
    "Authorization": tc3.authorization_header(
        "AKIDbench", "bench-secret", host=tencent.HOST, body=b"{{}}", timestamp=1700000000
    ),
}}


def facepp_call(url=facepp.URL):
    return CLIENT.post(url, data=FACEPP_DATA, files=FACEPP_FILES)


def tencent_call(url=TENCENT_URL):
    return CLIENT.post(url, json=TENCENT_BODY, headers=TENCENT_HEADERS)


def use_cache(holder, cache):
    # The answer cache of the emulator behind a fixture's object (a controller has one).
    emulator = holder
    while not isinstance(emulator, Emulator):
        emulator = emulator.emulator
    emulator._context.answers = cache


@pytest.fixture
def cold_server(densemark_server):
    use_cache(densemark_server.emulator, AnswerCache())  # for this test only, as before
    yield densemark_server
    use_cache(densemark_server.emulator, SHARED_ANSWER_CACHE)


def answer(call):
    # The body the emulator gives (from a private, uncached emulator), for respx to repeat.
    emulator = Emulator(answer_cache_size=0)
    import respx
    with respx.mock() as router:
        router.route().mock(side_effect=emulator.handle)
        return call().json()


FACEPP_ANSWER = answer(facepp_call)
TENCENT_ANSWER = answer(tencent_call)
assert len(FACEPP_ANSWER["face"]["landmark"]) == 9
assert len(TENCENT_ANSWER["Response"]["DenseFaceShapeSet"]) == 5


def check_facepp(response):
    assert response.status_code == 200
    assert len(response.json()["face"]["landmark"]) == 9


def check_tencent(response):
    assert response.status_code == 200
    assert len(response.json()["Response"]["DenseFaceShapeSet"]) == 5


@pytest.mark.parametrize("n", range({tests}))
class TestEmulate:
    def test_facepp__respx(self, respx_mock, n):
        respx_mock.post(facepp.URL).respond(json=FACEPP_ANSWER)
        check_facepp(facepp_call())

    def test_facepp__densemark(self, densemark, n):
        check_facepp(facepp_call())

    def test_facepp__cold(self, densemark, n):
        use_cache(densemark, AnswerCache())  # a per-controller cache, as before it was shared
        check_facepp(facepp_call())

    def test_tencent5__respx(self, respx_mock, n):
        respx_mock.post(TENCENT_URL).respond(json=TENCENT_ANSWER)
        check_tencent(tencent_call())

    def test_tencent5__densemark(self, densemark, n):
        check_tencent(tencent_call())

    def test_tencent5__cold(self, densemark, n):
        use_cache(densemark, AnswerCache())
        check_tencent(tencent_call())

    def test_facepp__server(self, densemark_server, n):
        check_facepp(facepp_call(densemark_server.facepp_url))

    def test_facepp__servercold(self, cold_server, n):
        check_facepp(facepp_call(cold_server.facepp_url))

    def test_tencent5__server(self, densemark_server, n):
        check_tencent(tencent_call(densemark_server.tencent_url))

    def test_tencent5__servercold(self, cold_server, n):
        check_tencent(tencent_call(cold_server.tencent_url))
"""

COLLECTOR = """
import json, os
from collections import defaultdict

TIMES = defaultdict(float)

def pytest_collection_modifyitems(items):
    # Kinds take turns: test n of every kind, then test n + 1 (the sort is stable).
    items.sort(key=lambda item: item.callspec.params["n"])

def pytest_runtest_logreport(report):
    TIMES[report.nodeid] += report.duration

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as handle:
        json.dump(TIMES, handle)
"""


def one_run(tests: int, work: Path) -> dict[str, dict[str, dict[int, float]]]:
    """One pytest session; per case, kind and test number, set-up + call + teardown."""
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (work / "conftest.py").write_text(COLLECTOR, encoding="utf-8")
    (work / "test_bench.py").write_text(TEST_MODULE.format(tests=tests), encoding="utf-8")
    out = work / "times.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py"]
    samples: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    sessions: tuple[tuple[list[str], str], ...] = (
        ([], ""),
        (["-p", "no:densemark", "-k", "respx"], ALONE),
    )
    for extra, suffix in sessions:
        run = subprocess.run(
            [*command, "-p", "no:randomly", *extra],
            cwd=work,
            env={**os.environ, "BENCH_OUT": str(out)},
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(
                f"the benchmark's pytest run failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
            )
        times: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
        for nodeid, seconds in times.items():
            name, number = nodeid.split("::test_", 1)[1].rstrip("]").split("[", 1)
            case, kind = name.split("__")
            samples[case][kind + suffix][int(number)] = seconds
    return samples


def main(argv: list[str] | None = None) -> int:
    """Run the sessions and print one table per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200, help="tests of each kind (200)")
    parser.add_argument("--runs", type=int, default=5, help="pytest sessions (5)")
    args = parser.parse_args(argv)
    ratios: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    medians: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            samples = one_run(args.tests, Path(folder))
        for case in CASES:
            base = samples[case]["respx"]
            for kind in KINDS:
                times = samples[case][kind]
                medians[case][kind].append(statistics.median(times.values()))
                paired = [times[n] / base[n] for n in times]
                ratios[case][kind].append(statistics.median(paired))
            alone = statistics.median(samples[case]["respx" + ALONE].values())
            medians[case]["respx" + ALONE].append(alone)
            ratios[case]["alone"].append(medians[case]["densemark"][-1] / alone)
    print(f"{args.runs} pytest sessions of {args.tests} tests per kind; per test:")
    for case in CASES:
        print(f"\n{TITLES[case]}")
        print(f"| {'kind':<32} | {'median us/test':>14} | {'ratio (median, range)':>24} |")
        print(f"|{'-' * 34}|{'-' * 15}:|{'-' * 25}:|")
        for kind in KINDS:
            us = statistics.median(medians[case][kind]) * 1e6
            values = ratios[case][kind]
            spread = f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
            print(f"| {LABELS[kind]:<32} | {us:>14.0f} | {spread:>24} |")
        alone_us = statistics.median(medians[case]["respx" + ALONE]) * 1e6
        values = ratios[case]["alone"]
        print(
            f"reference: respx alone (a session with -p no:densemark) {alone_us:.0f} us/test;"
            f" densemark, emulated / respx alone: {statistics.median(values):.2f}x"
            f" ({min(values):.2f}-{max(values):.2f}), ratio of the sessions' medians"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
