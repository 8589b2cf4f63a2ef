"""Vendor requests off the wire, at their first import path: which vendor a request is for,
and its parameters.

The reading now lives with each vendor (:mod:`pytest_densemark.vendors.facepp.request`,
:mod:`pytest_densemark.vendors.tencent.request`), the vendor-neutral helpers in
:mod:`pytest_densemark.parsing`, and which vendor a request is for in the registry
(:func:`pytest_densemark.vendors.vendor_for_request`). This module keeps the older names
working: the same classes and functions, and :func:`vendor_of` / :func:`vendor_of_request`
answering with the vendor's name.
"""

from __future__ import annotations

import httpx

from pytest_densemark import parsing as _parsing
from pytest_densemark import vendors as _vendors
from pytest_densemark.vendors.facepp.request import FILE_FIELDS as _FACEPP_FILE_FIELDS
from pytest_densemark.vendors.facepp.request import FaceppParams, parse_facepp
from pytest_densemark.vendors.tencent.request import TencentParams, parse_tencent

__all__ = [
    "FaceppParams",
    "TencentParams",
    "Vendor",
    "parse_facepp",
    "parse_multipart",
    "parse_tencent",
    "vendor_of",
    "vendor_of_request",
]

#: A vendor's name (``Vendor.name`` in :mod:`pytest_densemark.vendors`).
Vendor = str


def vendor_of(url: httpx.URL | str) -> Vendor | None:
    """The name of the vendor a URL belongs to, or ``None`` for any other URL.

    A vendor's own host gives that vendor whatever the path (a wrong path is still the
    vendor's ``API_NOT_FOUND``); on any other host (a loopback server, say) the vendor that
    claims a bodiless ``GET`` of the URL (a Face++ path under ``/facepp/``). A Tencent
    request on a foreign host is recognised from its headers: see :func:`vendor_of_request`.
    """
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    vendor = _vendors.vendor_for_host(parsed.host)
    if vendor is None:
        vendor = _vendors.vendor_for_request(httpx.Request("GET", parsed))
    return None if vendor is None else vendor.name


def vendor_of_request(request: httpx.Request) -> Vendor | None:
    """The name of the vendor a request is for
    (:func:`pytest_densemark.vendors.vendor_for_request`), or ``None``."""
    vendor = _vendors.vendor_for_request(request)
    return None if vendor is None else vendor.name


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a ``multipart/form-data`` body into text fields and file parts, as Face++ reads
    one (an ``image_file`` part is a file even without a filename); see
    :func:`pytest_densemark.parsing.parse_multipart`."""
    return _parsing.parse_multipart(body, boundary, file_fields=_FACEPP_FILE_FIELDS)
