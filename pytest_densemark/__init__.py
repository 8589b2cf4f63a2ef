"""pytest-densemark: a test kit for dense facial-landmark API clients.

Face++ "thousandlandmark" and Tencent Cloud "AnalyzeDenseLandmarks": JSON Schemas and a fast
validator, cassettes, a vendor emulator, Hypothesis strategies and pytest fixtures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_densemark._version import __version__

if TYPE_CHECKING:
    from pytest_densemark.controller import Controller
    from pytest_densemark.emulation import Emulation, emulate
    from pytest_densemark.emulator import Emulator
    from pytest_densemark.errors import DensemarkError
    from pytest_densemark.images import make_faceless_image, make_image
    from pytest_densemark.network import NetworkBlocked
    from pytest_densemark.server import DensemarkServer
    from pytest_densemark.validation import (
        ValidationResult,
        Violation,
        assert_valid,
        detect_kind,
        load_schema,
        schema_path,
        validate,
    )

__all__ = [
    "Controller",
    "DensemarkError",
    "DensemarkServer",
    "Emulation",
    "Emulator",
    "NetworkBlocked",
    "ValidationResult",
    "Violation",
    "__version__",
    "assert_valid",
    "detect_kind",
    "emulate",
    "load_schema",
    "make_faceless_image",
    "make_image",
    "schema_path",
    "validate",
]

# Every name is imported on first use: ``import pytest_densemark`` (which loading the pytest
# plugin does) must not pay for httpx, respx, the emulator or the server, and none of them may
# be imported before ``__version__`` exists, which they read.
_LAZY = {
    "Controller": "pytest_densemark.controller",
    "DensemarkError": "pytest_densemark.errors",
    "DensemarkServer": "pytest_densemark.server",
    "Emulation": "pytest_densemark.emulation",
    "Emulator": "pytest_densemark.emulator",
    "NetworkBlocked": "pytest_densemark.network",
    "ValidationResult": "pytest_densemark.validation",
    "Violation": "pytest_densemark.validation",
    "assert_valid": "pytest_densemark.validation",
    "detect_kind": "pytest_densemark.validation",
    "emulate": "pytest_densemark.emulation",
    "load_schema": "pytest_densemark.validation",
    "make_faceless_image": "pytest_densemark.images",
    "make_image": "pytest_densemark.images",
    "schema_path": "pytest_densemark.validation",
    "validate": "pytest_densemark.validation",
}


if not TYPE_CHECKING:  # mypy sees the imports above, so a misspelt name stays an error

    def __getattr__(name: str) -> Any:
        """Import the lazily exported classes (:data:`_LAZY`) when first asked for."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
