"""The example project runs with plain ``pytest`` outside the checkout: copied, and from the sdist.

Both runs happen in a temporary folder with no path back to this checkout, the way a user
copies ``examples/`` into a project of their own or unpacks the published sdist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """Plain ``pytest`` in ``folder``, with nothing from this checkout on ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _assert_all_passed(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in output, output
    assert "error" not in output.splitlines()[-1], output


def test_copied_example_project_runs_with_plain_pytest(tmp_path: Path) -> None:
    copy = tmp_path / "my-project"
    shutil.copytree(ROOT / "examples", copy, ignore=shutil.ignore_patterns("__pycache__"))
    _assert_all_passed(_run_pytest(copy))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist built from this checkout, unpacked in a temporary folder."""
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("pytest_densemark-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    (unpacked,) = (p for p in out.iterdir() if p.is_dir())
    return unpacked


def test_sdist_is_complete(sdist: Path) -> None:
    for needed in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "mkdocs.yml",
        "docs/index.md",
        "docs/reference/index.md",
        "schemas/facepp.schema.json",
        "cassettes/facepp/full-9part.json",
        "tests/conftest.py",
        "examples/conftest.py",
        "examples/pyproject.toml",
        "examples/landmark_client/__init__.py",
        "scripts/build_cassettes.py",
    ):
        assert (sdist / needed).is_file(), f"sdist lacks {needed}"
    assert not list(sdist.rglob("__pycache__"))


def test_sdist_example_project_runs(sdist: Path) -> None:
    _assert_all_passed(_run_pytest(sdist / "examples"))


def test_sdist_test_suite_runs_from_the_sdist(sdist: Path) -> None:
    """A slice of the sdist's own test suite, importing the package from the unpacked sdist."""
    # The real payloads live beside a checkout, never in the sdist: without CI set, the tests
    # that read them skip there instead of failing.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "CI")}
    where = subprocess.run(
        [sys.executable, "-c", "import pytest_densemark; print(pytest_densemark.__file__)"],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(sdist), where.stdout
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_schemas.py",
            "tests/test_package.py",
            "tests/test_cli_project.py",
        ],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    _assert_all_passed(result)
