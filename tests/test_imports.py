"""Every module imports alone in a fresh interpreter: no import cycle hides behind another
module having been imported first."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import pytest_densemark

MODULES = sorted(
    module.name for module in pkgutil.walk_packages(pytest_densemark.__path__, "pytest_densemark.")
)


def test_every_module_is_listed() -> None:
    assert "pytest_densemark.stubs.http_client_stub" in MODULES
    assert len(MODULES) > 30


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_every_kit_exception_derives_from_densemark_error() -> None:
    import importlib
    import inspect

    from pytest_densemark import DensemarkError

    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and not issubclass(value, Warning)  # warnings are not errors
                and value.__module__ == name
                and not value.__name__.startswith("_")
            ):
                found.append(value)
                assert issubclass(value, DensemarkError), value
    assert len(found) >= 10
