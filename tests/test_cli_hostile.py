"""Fuzz: ``densemark validate`` and ``densemark render`` answer hostile files with a status.

Hypothesis builds synthetic Face++ and Tencent bodies and plants hostile values in them (NaN
and infinite numbers written as JavaScript literals, integers of hundreds or thousands of
digits, keys with lone surrogates, newlines and terminal escapes, deep nesting), or sends raw
bytes. Each command must return its documented status (validate: 0, 1 or 2; render: 0 or 2)
with single-line diagnostics and without raising. About 150 examples, a few seconds.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from _validator_payloads import facepp_body, tencent_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_densemark.cli import build_parser

HOSTILE_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        10**30,
        -(10**400),
        "INTERNAL_ERROR\n",
        "\x1b[2J",
        [[[[[[[[[[]]]]]]]]]],
        None,
        True,
        1.5,
    ]
)
HOSTILE_KEYS = st.sampled_from(["\ud800", "a\nb", "\x1b[31m", "nose_" + "9" * 40, "x", "X", ""])


def _containers(value: Any) -> list[Any]:
    found: list[Any] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            found.append(node)
            stack.extend(node)
    return found


@st.composite
def hostile_files(draw: st.DrawFn) -> bytes:
    """A synthetic body with hostile values planted, as JSON text (NaN kept as literals)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    body: Any = facepp_body(["nose", "left_eye"]) if draw(st.booleans()) else tencent_body(1)
    for _ in range(draw(st.integers(1, 4))):
        nodes = _containers(body)
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        # A copy: the nested list is one shared object, and a later step may plant into it.
        value = copy.deepcopy(draw(HOSTILE_VALUES))
        if isinstance(node, dict):
            keys = list(node)
            replace = draw(st.booleans())
            if keys and replace:
                node[keys[draw(st.integers(0, len(keys) - 1))]] = value
            else:
                node[draw(HOSTILE_KEYS)] = value
        elif node:
            node[draw(st.integers(0, len(node) - 1))] = value
    if draw(st.integers(0, 9)) == 0:
        body = json.loads("[" * 70 + "]" * 70)
    text = json.dumps(body, ensure_ascii=draw(st.booleans()), allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


def _run(argv: list[str]) -> tuple[int, str, str]:
    args = build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status: int = args.func(args)
    return status, out.getvalue(), err.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_files())
def test_hostile_files_get_a_status_never_an_exception(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.json"
        path.write_bytes(data)
        status, out, err = _run(["validate", str(path)])
        assert status in (0, 1, 2)
        assert "internal error" not in err
        assert err.count("\n") == (1 if status == 2 else 0)
        assert out.endswith(" unreadable\n")
        image = Path(folder) / "out.png"
        status, out, err = _run(["render", str(path), "-o", str(image)])
        assert status in (0, 2), err
        assert "internal error" not in err
        assert err.count("\n") == (1 if status == 2 else 0)
        assert image.exists() is (status == 0)
