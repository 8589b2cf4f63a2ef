"""A toy vendor for the contract tests: not a real vendor, and no part of the kit.

It proves the claim of the vendor interface: a vendor is one folder plus one registry entry,
and the core (emulator, cassettes, server, fixtures, validation) serves it without a change.
The toy's API is invented and small (see :mod:`toyvendor.facts`): ``POST
https://api.toyface.example/v1/landmarks`` with ``{"api_key": ..., "image_base64": ...}``
answers five points of the largest face, or a documented JSON error (``BAD_KEY`` 401,
``MISSING_IMAGE`` 400, ...); ``api_key`` is the secret a recording must not keep.

Its modules mirror the kit's own vendor packages: :mod:`~toyvendor.facts`,
:mod:`~toyvendor.request`, :mod:`~toyvendor.payloads`, :mod:`~toyvendor.engine`,
:mod:`~toyvendor.cassette`, :mod:`~toyvendor.schema` and :mod:`~toyvendor.check` (with
``schemas/``), :mod:`~toyvendor.strategies`, :mod:`~toyvendor.drawing` and
:mod:`~toyvendor.server`. Importing this package imports the facts only; every concern is
named as ``"module:attribute"``.

Nothing registers it on import: a test (or a user's ``conftest.py``) calls
``vendors.register(VENDOR)``, and ``vendors.unregister("toy")`` when done.
"""

from __future__ import annotations

from pytest_densemark.vendors import Vendor
from toyvendor import facts as _facts

__all__ = ["VENDOR"]


def _owns_host(host: str) -> bool:
    return host == _facts.HOST


#: The toy vendor as the core sees it: register it to use it.
VENDOR = Vendor(
    name=_facts.NAME,
    title=_facts.TITLE,
    owns_host=_owns_host,
    claims_request="toyvendor.request:claims_request",
    engine="toyvendor.engine:ENGINE",
    cassette="toyvendor.cassette:RULES",
    payloads="toyvendor.check:RULES",
    server="toyvendor.server:RULES",
)
