"""How fast the strategies draw full payloads, Hypothesis overhead included.

Each row runs a ``@given`` test of 100 examples (no database, generate phase only) and reports
the wall time. Baseline in the same run: a ``@given`` test drawing a trivially small dict with
``st.builds``; a second reference decodes the same full payloads with ``json.loads``. Target:
100 full Face++ bodies (975 keys) in at most 1 s, and 100 Tencent 5-face bodies likewise.

Run: ``python benchmarks/bench_strategies.py``
"""

from __future__ import annotations

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


def timed_given(strategy: st.SearchStrategy[Any]) -> float:
    """Seconds for a @given test drawing ``EXAMPLES`` examples from ``strategy``."""

    @settings(max_examples=EXAMPLES, database=None, deadline=None, phases=[Phase.generate])
    @given(strategy)
    def run(value: Any) -> None:
        assert value is not None

    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    """Print the table."""
    baseline = timed_given(st.builds(dict, a=st.integers(), b=st.text(max_size=3)))
    full = strategies.facepp_responses(parts=st.just(facepp.ALL_PARTS))
    rows = [
        ("baseline: st.builds(dict) of 2 small fields", baseline),
        ("facepp_responses(), all 9 parts (975 keys)", timed_given(full)),
        ("facepp_responses(), default part sets", timed_given(strategies.facepp_responses())),
        ("tencent_responses(min_faces=5)", timed_given(strategies.tencent_responses(min_faces=5))),
        ("tencent_responses(), 0-5 faces", timed_given(strategies.tencent_responses())),
        ("facepp_error_responses()", timed_given(strategies.facepp_error_responses())),
        ("tencent_error_responses()", timed_given(strategies.tencent_error_responses())),
        ("facepp_invalid_responses()", timed_given(strategies.facepp_invalid_responses())),
    ]
    text = json.dumps(facepp_success(Face(100, 100, 300, 300), request_id="0,x", time_used=1))
    rows.append(
        (
            f"reference: json.loads of one 975-key body x{EXAMPLES}",
            timed(lambda: [json.loads(text) for _ in range(EXAMPLES)]),
        )
    )
    print(f"{'case (' + str(EXAMPLES) + ' examples)':<52} {'seconds':>8} {'x baseline':>11}")
    for name, seconds in rows:
        print(f"{name:<52} {seconds:>8.3f} {seconds / baseline:>11.1f}")


if __name__ == "__main__":
    main()
