"""The README's test examples run as written.

Every fenced ``python`` block in README.md that defines a ``test_*`` function using the kit's
fixtures is written to a test module and run by pytest, the way a user pastes it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _runnable_blocks() -> list[str]:
    """Blocks that are whole test modules: they define tests and elide nothing."""
    blocks = _BLOCK.findall(README.read_text(encoding="utf-8"))
    return [b for b in blocks if re.search(r"^def test_", b, re.M) and "..." not in b]


def test_the_readme_has_runnable_examples() -> None:
    assert len(_runnable_blocks()) >= 1


def _first_test_name(block: str) -> str:
    match = re.search(r"^def (test_\w+)", block, re.M)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("block", _runnable_blocks(), ids=_first_test_name)
def test_readme_example_passes(pytester: pytest.Pytester, block: str) -> None:
    pytester.makepyfile(test_readme_example=block)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert result.ret == 0, result.stdout.str()
