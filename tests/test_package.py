"""The package's top-level exports."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_densemark
from pytest_densemark.controller import Controller
from pytest_densemark.server import DensemarkServer


@pytest.mark.parametrize("name", pytest_densemark.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(pytest_densemark, name)
    assert value is not None
    assert name in dir(pytest_densemark)
    if name != "__version__":
        assert value.__doc__, f"pytest_densemark.{name} has no docstring"


def test_lazy_exports_are_the_module_classes() -> None:
    assert pytest_densemark.Controller is Controller
    assert pytest_densemark.DensemarkServer is DensemarkServer


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = pytest_densemark.nothing_here  # type: ignore[attr-defined]


def test_import_does_not_load_the_controller_or_server() -> None:
    # A fresh interpreter: this one has long imported both (the plugin needs them).
    code = (
        "import sys, pytest_densemark;"
        "heavy = {'pytest_densemark.controller', 'pytest_densemark.server', 'respx', 'anyio'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_version_is_single_sourced() -> None:
    """The installed metadata, the package and ``densemark --version`` agree with _version.py."""
    from importlib.metadata import version

    from pytest_densemark import _version

    assert pytest_densemark.__version__ == _version.__version__
    assert version("pytest-densemark") == _version.__version__
    result = subprocess.run(
        [sys.executable, "-m", "pytest_densemark.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"densemark {_version.__version__}"


def test_changelog_names_the_version() -> None:
    """CHANGELOG.md has a section for the current version and one for unreleased changes."""
    from pathlib import Path

    changelog = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
    lines = changelog.read_text(encoding="utf-8").splitlines()
    headings = [line for line in lines if line.startswith("## ")]
    assert "## Unreleased" in headings
    assert f"## {pytest_densemark.__version__}" in headings
