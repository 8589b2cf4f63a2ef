"""How fast the strategies draw full payloads, Hypothesis overhead included.

Each row runs a ``@given`` test of 100 examples (no database, generate phase only) and reports
the wall time: the best of ``--repeat`` runs (default 3), since other processes on a shared
machine only ever slow a run down, and the CPU time this process used (best of the same runs;
steadier than wall time on a busy machine). Baseline in the same run, measured the same way: a
``@given`` test drawing a trivially small dict with ``st.builds``; a second reference decodes
the same full payloads with ``json.loads``. Target: 100 full Face++ bodies (975 keys) in at
most 1 s, and 100 Tencent 5-face bodies likewise.

Run: ``python benchmarks/bench_strategies.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pytest_densemark import facepp, strategies
from pytest_densemark.faces import Face
from pytest_densemark.payloads import facepp_success

EXAMPLES = 100


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def timed_given(strategy: st.SearchStrategy[Any]) -> Timing:
    """Wall and CPU seconds for a @given test drawing ``EXAMPLES`` examples from ``strategy``."""

    @settings(max_examples=EXAMPLES, database=None, deadline=None, phases=[Phase.generate])
    @given(strategy)
    def run(value: Any) -> None:
        assert value is not None

    return timed(run)


def timed(func: Callable[[], object]) -> Timing:
    """Wall and CPU seconds for one call of ``func``."""
    start, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - start, time.process_time() - cpu


def best(measure: Callable[[], Timing], repeat: int) -> Timing:
    """The fastest wall time and the least CPU time of ``repeat`` measurements."""
    runs = [measure() for _ in range(repeat)]
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the best counts")
    repeat = max(1, parser.parse_args(argv).repeat)

    def given_row(strategy: st.SearchStrategy[Any]) -> Timing:
        return best(lambda: timed_given(strategy), repeat)

    baseline = given_row(st.builds(dict, a=st.integers(), b=st.text(max_size=3)))
    full = strategies.facepp_responses(parts=st.just(facepp.ALL_PARTS))
    rows = [
        ("baseline: st.builds(dict) of 2 small fields", baseline),
        ("facepp_responses(), all 9 parts (975 keys)", given_row(full)),
        ("facepp_responses(), default part sets", given_row(strategies.facepp_responses())),
        ("tencent_responses(min_faces=5)", given_row(strategies.tencent_responses(min_faces=5))),
        ("tencent_responses(), 0-5 faces", given_row(strategies.tencent_responses())),
        ("facepp_error_responses()", given_row(strategies.facepp_error_responses())),
        ("tencent_error_responses()", given_row(strategies.tencent_error_responses())),
        ("facepp_invalid_responses()", given_row(strategies.facepp_invalid_responses())),
    ]
    text = json.dumps(facepp_success(Face(100, 100, 300, 300), request_id="0,x", time_used=1))
    rows.append(
        (
            f"reference: json.loads of one 975-key body x{EXAMPLES}",
            best(lambda: timed(lambda: [json.loads(text) for _ in range(EXAMPLES)]), repeat),
        )
    )
    print(f"{'case (' + str(EXAMPLES) + ' examples, best of ' + str(repeat) + ')':<52}", end="")
    print(f" {'seconds':>8} {'x baseline':>11} {'cpu s':>8} {'x baseline':>11}")
    for name, (wall, cpu) in rows:
        print(
            f"{name:<52} {wall:>8.3f} {wall / baseline[0]:>11.1f}"
            f" {cpu:>8.3f} {cpu / baseline[1]:>11.1f}"
        )


if __name__ == "__main__":
    main()
