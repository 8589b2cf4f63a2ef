"""Tencent Cloud "AnalyzeDenseLandmarks" facts at their first import path:
``from pytest_densemark import tencent``.

The facts live in :mod:`pytest_densemark.vendors.tencent.facts`; this module re-exports every
public name of it (the same objects), so code and docs written against the older flat layout
keep working.
"""

from __future__ import annotations

from pytest_densemark.vendors.tencent.facts import *  # noqa: F403
from pytest_densemark.vendors.tencent.facts import __all__ as __all__
