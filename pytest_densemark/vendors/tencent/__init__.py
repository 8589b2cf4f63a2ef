"""Tencent Cloud ``AnalyzeDenseLandmarks``: everything the kit knows about the vendor.

This package builds :data:`VENDOR`, the :class:`~pytest_densemark.vendors.Vendor` the core
calls; its modules hold the vendor's facts (:mod:`.facts`), request reading in every
signature form (:mod:`.request`), TC3 and older signing (:mod:`.signing`), rules
(:mod:`.engine`, :mod:`.auth`), payloads (:mod:`.payloads`), schema and fast check, cassette
match key and redaction, strategies and drawing. Importing the package imports the facts only
(no httpx): everything else is named as ``"module:attribute"`` and imported on first use.
"""

from __future__ import annotations

from pytest_densemark.vendors import Vendor
from pytest_densemark.vendors.tencent import facts as _facts

__all__ = ["VENDOR"]


def _owns_host(host: str) -> bool:
    return _facts.HOST_PATTERN.match(host) is not None


#: The Tencent vendor as the core sees it.
VENDOR = Vendor(
    name="tencent",
    title="Tencent Cloud",
    owns_host=_owns_host,
    claims_request="pytest_densemark.vendors.tencent.request:claims_request",
    engine="pytest_densemark.vendors.tencent.engine:ENGINE",
    payloads="pytest_densemark.vendors.tencent.check:RULES",
    cassette="pytest_densemark.vendors.tencent.cassette:RULES",
    server="pytest_densemark.vendors.tencent.server:RULES",
)
