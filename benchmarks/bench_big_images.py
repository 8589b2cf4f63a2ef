"""Big Tencent images: many requests with a 4 MiB base64 ``Image`` in one test, against respx.

One test sends ``--requests`` AnalyzeDenseLandmarks requests through a module-level
``httpx.Client``, each with ``json={"Image": <4 MiB of base64>}`` (a synthetic 3 MiB JPEG:
a real header padded with random bytes; base64 makes it 4 MiB, under the vendor's 5 MiB
limit), encoded by httpx on every request as an SDK would. Two tests in one pytest session:

* ``respx``: the ``respx_mock`` fixture answering the same body inline, the baseline;
* ``densemark``: the ``densemark`` fixture emulating every answer (parse the JSON body,
  decode and hash the image, look up the face, log the call).

The figure is each test's wall time (set-up + call + teardown). ``--runs`` pytest sessions
are run, the order of the two tests swapped every other run; the table gives the median
over runs of the per-run ratio with the lowest and highest run. Run:
``python benchmarks/bench_big_images.py [--requests 500] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("respx", "densemark")
LABELS = {"respx": "respx inline route (baseline)", "densemark": "densemark, emulated"}

TEST_MODULE = """
import base64
import os
import httpx
import respx
from pytest_densemark import tc3, tencent
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image

REQUESTS = {requests}
CLIENT = httpx.Client()
HEADER = make_image("JPEG", 1920, 1080)
IMAGE = HEADER + os.urandom(3 * 1024 * 1024 - len(HEADER))  # synthetic
BODY = {{"Image": base64.b64encode(IMAGE).decode()}}
assert len(BODY["Image"]) == 4 * 1024 * 1024
URL = f"https://{{tencent.HOST}}/"
HEADERS = {{
    "X-TC-Action": tencent.ACTION,
    "X-TC-Version": tencent.VERSIONS[1],
    "X-TC-Timestamp": "1700000000",
    "Authorization": tc3.authorization_header(
        "AKIDbench", "bench-secret", host=tencent.HOST, body=b"{{}}", timestamp=1700000000
    ),
}}
with respx.mock() as router:
    router.route().mock(side_effect=Emulator(answer_cache_size=0).handle)
    ANSWER = CLIENT.post(URL, json=BODY, headers=HEADERS).json()
assert len(ANSWER["Response"]["DenseFaceShapeSet"]) == 1, ANSWER


def send_all():
    for _ in range(REQUESTS):
        response = CLIENT.post(URL, json=BODY, headers=HEADERS)
        assert response.status_code == 200
        assert len(response.json()["Response"]["DenseFaceShapeSet"]) == 1


{first}

{second}
"""

TESTS = {
    "respx": """def test_respx(respx_mock):
    respx_mock.post(URL).respond(json=ANSWER)
    send_all()""",
    "densemark": """def test_densemark(densemark):
    send_all()
    assert len(densemark.calls) == REQUESTS""",
}

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


def one_run(requests: int, order: tuple[str, str], work: Path) -> dict[str, float]:
    """One pytest session with both tests in ``order``; each test's seconds."""
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (work / "conftest.py").write_text(COLLECTOR, encoding="utf-8")
    module = TEST_MODULE.format(requests=requests, first=TESTS[order[0]], second=TESTS[order[1]])
    (work / "test_bench.py").write_text(module, encoding="utf-8")
    out = work / "times.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py"]
    run = subprocess.run(
        [*command, "-p", "no:randomly"],
        cwd=work,
        env={**os.environ, "BENCH_OUT": str(out)},
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"the benchmark's pytest run failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    times: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    return {nodeid.split("::test_", 1)[1]: seconds for nodeid, seconds in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the sessions and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per test (500)")
    parser.add_argument("--runs", type=int, default=5, help="pytest sessions (5)")
    args = parser.parse_args(argv)
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    ratios: list[float] = []
    for index in range(args.runs):
        order = KINDS if index % 2 == 0 else KINDS[::-1]
        with tempfile.TemporaryDirectory() as folder:
            times = one_run(args.requests, (order[0], order[1]), Path(folder))
        for kind in KINDS:
            seconds[kind].append(times[kind])
        ratios.append(times["densemark"] / times["respx"])
    print(f"{args.runs} pytest sessions; one test of {args.requests} requests each:")
    head = f"| {'kind':<30} | {'median s/test':>13} | {'ms/request':>10} |"
    print(f"{head} {'ratio (median, range)':>24} |")
    print(f"|{'-' * 32}|{'-' * 14}:|{'-' * 11}:|{'-' * 25}:|")
    for kind in KINDS:
        median = statistics.median(seconds[kind])
        values = ratios if kind == "densemark" else [1.0]
        spread = f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
        per_request = median / args.requests * 1e3
        print(f"| {LABELS[kind]:<30} | {median:>13.2f} | {per_request:>10.1f} | {spread:>24} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
