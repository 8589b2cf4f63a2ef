"""Face++ ``thousandlandmark`` (and ``detect``): everything the kit knows about the vendor.

This package builds :data:`VENDOR`, the :class:`~pytest_densemark.vendors.Vendor` the core
calls; its modules hold the vendor's facts, request parsing, rules, payloads, schema and fast
check, cassette match key and redaction, strategies and drawing.
"""

from __future__ import annotations

import httpx

from pytest_densemark import facepp as _facts
from pytest_densemark.vendors import Vendor

__all__ = ["VENDOR"]

#: Path prefix of every Face++ API: how a Face++ request is told apart on a loopback host.
_PREFIX = "/facepp/"


def _owns_host(host: str) -> bool:
    return host in _facts.HOSTS


def _claims_request(request: httpx.Request) -> bool:
    return request.url.path.startswith(_PREFIX)


#: The Face++ vendor as the core sees it.
VENDOR = Vendor(
    name="facepp",
    title="Face++",
    owns_host=_owns_host,
    claims_request=_claims_request,
    server="pytest_densemark.vendors.facepp.server:RULES",
)
