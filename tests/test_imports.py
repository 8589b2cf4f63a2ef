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
