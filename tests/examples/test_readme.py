"""Every Python example in the README and the manual (``docs/``) runs as written.

The convention, documented in ``docs/development.md``:

- a fenced ``python`` block that defines a test (``def test_...``, ``async def test_...`` or
  ``class Test...``) is a test module: it is written to a file and run by pytest, alone;
- every other ``python`` block is a script: a page's script blocks run in order, as one
  script, in a fresh interpreter in an empty folder, so a block may use what an earlier block
  on the same page defined;
- a block right after the line ``<!-- fragment -->`` is a fragment, shown but not run (an
  excerpt, such as a stack of markers); nothing else is exempt.

Runnable blocks hold no ``...`` placeholder, and every package they import beyond the kit's
own dependencies is named in a ``pip install`` line in the text just before the block.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
FRAGMENT = "<!-- fragment -->"
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_TEST = re.compile(r"^(async def test_|def test_|class Test)", re.M)

#: Imports the kit's installation brings (its dependencies), which need no ``pip install``.
_INSTALLED_WITH_THE_KIT = {
    "pytest",
    "respx",
    "httpx",
    "jsonschema",
    "hypothesis",
    "pytest_densemark",
}
#: The distribution a user installs for each other top-level module an example imports.
_DISTRIBUTIONS = {
    "requests": "requests",
    "tencentcloud": "tencentcloud-sdk-python-iai",
    "aiohttp": "aiohttp",
    "anyio": "anyio",
    "PIL": "pillow",
    "urllib3": "urllib3",
}


@dataclass(frozen=True)
class Block:
    """One fenced ``python`` block of a page."""

    page: Path
    line: int
    code: str
    fragment: bool
    #: The page's text between the previous fenced block (or the start) and this one.
    lead: str

    @property
    def is_test(self) -> bool:
        return bool(_TEST.search(self.code))

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found: list[Block] = []
    previous_end = 0
    for match in _FENCE.finditer(text):
        lead = text[previous_end : match.start()]
        previous_end = match.end()
        if match.group(1) != "python":
            continue
        before = [line for line in lead.splitlines() if line.strip()]
        found.append(
            Block(
                page=page,
                line=text.count("\n", 0, match.start()) + 1,
                code=match.group(2),
                fragment=bool(before) and before[-1].strip() == FRAGMENT,
                lead=lead,
            )
        )
    return found


BLOCKS = [block for page in PAGES for block in _blocks(page)]
RUNNABLE = [block for block in BLOCKS if not block.fragment]
TESTS = [block for block in RUNNABLE if block.is_test]
SCRIPT_PAGES = sorted({block.page for block in RUNNABLE if not block.is_test})


def test_the_manual_has_runnable_examples() -> None:
    assert len(TESTS) >= 8
    assert len(SCRIPT_PAGES) >= 5
    assert README in {block.page for block in TESTS}


def test_fragments_are_few_and_marked_right_before_a_block() -> None:
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.strip() != FRAGMENT:
                continue
            following = [later for later in lines[number + 1 :] if later.strip()]
            assert following, f"{page}:{number + 1}: {FRAGMENT} at the end of the page"
            assert following[0].startswith("```python"), (
                f"{page}:{number + 1}: {FRAGMENT} must come right before a python block"
            )
    assert len(BLOCKS) - len(RUNNABLE) <= 4


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.where)
def test_runnable_blocks_are_whole(block: Block) -> None:
    tree = ast.parse(block.code, filename=block.where)
    placeholders = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value is Ellipsis
    ]
    assert not placeholders, f"{block.where}: '...' placeholder on block line(s) {placeholders}"


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.where)
def test_packages_an_example_needs_are_named_next_to_it(block: Block) -> None:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(block.code)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    extra = sorted(modules - _INSTALLED_WITH_THE_KIT - set(sys.stdlib_module_names))
    installs = " ".join(line for line in block.lead.splitlines() if "pip install" in line)
    for module in extra:
        assert module in _DISTRIBUTIONS, f"{block.where}: add {module!r} to _DISTRIBUTIONS"
        assert _DISTRIBUTIONS[module] in installs, (
            f"{block.where}: imports {module}; name it before the block:"
            f" `pip install {_DISTRIBUTIONS[module]}`"
        )


@pytest.mark.parametrize("block", TESTS, ids=lambda block: block.where)
def test_example_test_passes(pytester: pytest.Pytester, block: Block) -> None:
    pytester.makepyfile(test_manual_example=block.code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert result.ret == 0, result.stdout.str()


@pytest.mark.parametrize("page", SCRIPT_PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_example_scripts_run(tmp_path: Path, page: Path) -> None:
    parts = [
        f"# --- {block.where}\n{block.code}"
        for block in RUNNABLE
        if block.page == page and not block.is_test
    ]
    script = tmp_path / "example.py"
    script.write_text("\n".join(parts), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"{page}:\n{result.stdout}\n{result.stderr}"
