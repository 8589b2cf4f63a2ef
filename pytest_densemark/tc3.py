"""TC3-HMAC-SHA256 signing at its first import path: ``from pytest_densemark import tc3``.

The signing code lives in :mod:`pytest_densemark.vendors.tencent.signing`; this module
re-exports every public name of it (the same objects), so code and docs written against the
older flat layout keep working.
"""

from __future__ import annotations

from pytest_densemark.vendors.tencent.signing import *  # noqa: F403
from pytest_densemark.vendors.tencent.signing import __all__ as __all__
