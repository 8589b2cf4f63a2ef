"""pytest-densemark: a test kit for dense facial-landmark API clients.

Face++ "thousandlandmark" and Tencent Cloud "AnalyzeDenseLandmarks": JSON Schemas and a fast
validator, cassettes, a vendor emulator, Hypothesis strategies and pytest fixtures.
"""

from __future__ import annotations

from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_faceless_image, make_image
from pytest_densemark.validation import (
    ValidationResult,
    Violation,
    assert_valid,
    detect_kind,
    load_schema,
    schema_path,
    validate,
)

__version__ = "0.1.0"

__all__ = [
    "Emulator",
    "ValidationResult",
    "Violation",
    "__version__",
    "assert_valid",
    "detect_kind",
    "load_schema",
    "make_faceless_image",
    "make_image",
    "schema_path",
    "validate",
]
