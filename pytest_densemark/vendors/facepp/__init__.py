"""Face++ ``thousandlandmark`` (and ``detect``): everything the kit knows about the vendor.

This package builds :data:`VENDOR`, the :class:`~pytest_densemark.vendors.Vendor` the core
calls; its modules hold the vendor's facts (:mod:`.facts`), request reading (:mod:`.request`),
rules (:mod:`.engine`), payloads (:mod:`.payloads`), schema and fast check, cassette match key
and redaction, strategies and drawing. Importing the package imports the facts only (no
httpx): everything else is named as ``"module:attribute"`` and imported on first use.
"""

from __future__ import annotations

from pytest_densemark.vendors import Vendor
from pytest_densemark.vendors.facepp import facts as _facts

__all__ = ["VENDOR"]


def _owns_host(host: str) -> bool:
    return host in _facts.HOSTS


#: The Face++ vendor as the core sees it.
VENDOR = Vendor(
    name="facepp",
    title="Face++",
    owns_host=_owns_host,
    claims_request="pytest_densemark.vendors.facepp.request:claims_request",
    engine="pytest_densemark.vendors.facepp.engine:ENGINE",
    payloads="pytest_densemark.vendors.facepp.check:RULES",
    cassette="pytest_densemark.vendors.facepp.cassette:RULES",
    server="pytest_densemark.vendors.facepp.server:RULES",
)
