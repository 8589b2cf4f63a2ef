"""Face++ "thousandlandmark" facts at their first path: ``from pytest_densemark import facepp``.

The facts live in :mod:`pytest_densemark.vendors.facepp.facts`; this module re-exports every
public name of it (the same objects), so code and docs written against the older flat layout
keep working.
"""

from __future__ import annotations

from pytest_densemark.vendors.facepp.facts import *  # noqa: F403
from pytest_densemark.vendors.facepp.facts import __all__ as __all__
