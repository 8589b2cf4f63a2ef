"""Whole response bodies of both vendors, at their first import path:
``from pytest_densemark import payloads``. Synthetic data.

The bodies now live with each vendor (:mod:`pytest_densemark.vendors.facepp.payloads`,
:mod:`pytest_densemark.vendors.tencent.payloads`) and :class:`VendorResponse` in
:mod:`pytest_densemark.answers`; this module re-exports them (the same objects), so code and
docs written against the older flat layout keep working.
"""

from __future__ import annotations

from pytest_densemark.answers import VendorResponse
from pytest_densemark.vendors.facepp import payloads as _facepp
from pytest_densemark.vendors.facepp.payloads import *  # noqa: F403
from pytest_densemark.vendors.tencent import payloads as _tencent
from pytest_densemark.vendors.tencent.payloads import *  # noqa: F403

__all__ = ["VendorResponse", *_facepp.__all__, *_tencent.__all__]
