"""Tencent Cloud ``AnalyzeDenseLandmarks``: everything the kit knows about the vendor.

This package builds :data:`VENDOR`, the :class:`~pytest_densemark.vendors.Vendor` the core
calls; its modules hold the vendor's facts, request parsing (every signature form), TC3
signing, rules, payloads, schema and fast check, cassette match key and redaction, strategies
and drawing.
"""

from __future__ import annotations

import httpx

from pytest_densemark import tencent as _facts
from pytest_densemark import wire as _wire
from pytest_densemark.vendors import Vendor

__all__ = ["VENDOR"]


def _owns_host(host: str) -> bool:
    return _facts.HOST_PATTERN.match(host) is not None


def _claims_request(request: httpx.Request) -> bool:
    return _wire.vendor_of_request(request) == "tencent"


#: The Tencent vendor as the core sees it.
VENDOR = Vendor(
    name="tencent",
    title="Tencent Cloud",
    owns_host=_owns_host,
    claims_request=_claims_request,
    server="pytest_densemark.vendors.tencent.server:RULES",
)
