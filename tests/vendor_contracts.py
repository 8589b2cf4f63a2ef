"""The vendor contract tests' table: per vendor, the data the same tests need, from its facts.

The contract tests (``tests/test_contract_*.py``) run identically for every vendor here: the
kit's two and the toy of :mod:`toyvendor`, registered for each test and always unregistered
after. What differs between vendors is only data, each built from the vendor's own facts and
payload functions: how a valid request looks, which credentials it carries, and what a
documented error answer is.

The ``contract`` fixture of a test module is made by :func:`contract_fixture`; a test that
needs the toy alone uses :func:`registered_toy`. Both are safe under pytest-xdist: the
registry is one per process, and each test leaves it as it found it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import toyvendor
from toyvendor import facts as toy
from toyvendor.payloads import toy_error_response

from pytest_densemark import facepp, tc3, tencent, vendors
from pytest_densemark.images import make_image
from pytest_densemark.payloads import (
    VendorResponse,
    facepp_error_response,
    tencent_error_response,
)

__all__ = [
    "CONTRACTS",
    "IMAGE",
    "NAMES",
    "OTHER_IMAGE",
    "Contract",
    "contract_fixture",
    "registered_toy",
]

#: The image every valid request carries, and another one (a request that differs).
IMAGE = make_image("JPEG", 640, 480, seed=31)
OTHER_IMAGE = make_image("JPEG", 640, 480, seed=32)


@contextmanager
def registered_toy() -> Iterator[vendors.Vendor]:
    """The toy vendor, registered inside the block and unregistered after, whatever happens."""
    vendor = vendors.register(toyvendor.VENDOR)
    try:
        yield vendor
    finally:
        vendors.unregister(vendor.name)


@dataclass(frozen=True)
class Contract:
    """What the contract tests need to know of one vendor.

    ``make_request(image)`` builds a valid request carrying ``image`` (its credentials are
    :attr:`credentials`, the ``set_credentials`` arguments that accept it; the values in
    :attr:`secrets` must never be logged or written). ``error_answer(name, answered)`` is
    the vendor's documented answer for the error ``name``, with the per-request values
    (request id, time used) taken from ``answered``. ``conftest`` is the ``conftest.py`` a
    test suite of the vendor's users needs: nothing for the kit's own vendors, the
    registration for the toy.
    """

    name: str
    host: str
    success_kind: str
    error_kind: str
    credentials: dict[str, str]
    secrets: tuple[str, ...]
    make_request: Callable[[bytes], httpx.Request]
    error_answer: Callable[[str, httpx.Response], VendorResponse]
    conftest: str = ""
    registers: bool = field(default=False)

    @property
    def vendor(self) -> vendors.Vendor:
        """The registered vendor."""
        return vendors.get(self.name)

    def valid_request(self) -> httpx.Request:
        """A valid request carrying :data:`IMAGE` (its body read: ``content`` is ready)."""
        request = self.make_request(IMAGE)
        request.read()
        return request

    def other_request(self) -> httpx.Request:
        """The same request carrying :data:`OTHER_IMAGE`."""
        request = self.make_request(OTHER_IMAGE)
        request.read()
        return request

    @contextmanager
    def registered(self) -> Iterator[Contract]:
        """The vendor registered inside the block (the kit's own always are)."""
        if not self.registers:
            yield self
            return
        with registered_toy():
            yield self


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


# --- Face++ ---------------------------------------------------------------------------------

_FACEPP_KEYS = {"api_key": "contract-facepp-key-0123", "api_secret": "contract-facepp-secret-4567"}


def _facepp_request(image: bytes) -> httpx.Request:
    return httpx.Request(
        "POST",
        facepp.URL,
        data={**_FACEPP_KEYS, facepp.RETURN_LANDMARK: "all"},
        files={"image_file": ("face.jpg", image, "image/jpeg")},
    )


def _facepp_error(name: str, answered: httpx.Response) -> VendorResponse:
    if not facepp.ERRORS[name].json:  # plain text: no per-request values
        return facepp_error_response(name, request_id="", time_used=0)
    body = answered.json()
    return facepp_error_response(name, request_id=body["request_id"], time_used=body["time_used"])


# --- Tencent --------------------------------------------------------------------------------

_TENCENT_KEYS = {
    "secret_id": "AKIDcontract0123456789",
    "secret_key": "contract-tencent-key-89ab",
    "token": "contract-tencent-token-cdef",
}


def _tencent_request(image: bytes) -> httpx.Request:
    body = json.dumps({"Image": _b64(image)}).encode()
    now = int(time.time())
    authorization = tc3.authorization_header(
        _TENCENT_KEYS["secret_id"],
        _TENCENT_KEYS["secret_key"],
        host=tencent.HOST,
        body=body,
        timestamp=now,
    )
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "Host": tencent.HOST,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[-1],
        "X-TC-Timestamp": str(now),
        "X-TC-Token": _TENCENT_KEYS["token"],
        "Authorization": authorization,
    }
    return httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=body)


def _tencent_error(name: str, answered: httpx.Response) -> VendorResponse:
    return tencent_error_response(name, request_id=answered.json()["Response"]["RequestId"])


# --- the toy --------------------------------------------------------------------------------

_TOY_KEY = "contract-toy-key-0123456789"


def _toy_request(image: bytes) -> httpx.Request:
    return httpx.Request("POST", toy.URL, json={"api_key": _TOY_KEY, "image_base64": _b64(image)})


def _toy_error(name: str, answered: httpx.Response) -> VendorResponse:
    return toy_error_response(name, request_id=answered.json()["request_id"])


#: What a user's suite adds to use the toy: registration in its own ``conftest.py``.
TOY_CONFTEST = """
from pytest_densemark import vendors
from toyvendor import VENDOR


def pytest_configure(config):
    vendors.register(VENDOR)


def pytest_unconfigure(config):
    vendors.unregister(VENDOR.name)
"""

CONTRACTS: dict[str, Contract] = {
    "facepp": Contract(
        name="facepp",
        host=facepp.HOSTS[0],
        success_kind="facepp",
        error_kind="facepp-error",
        credentials=_FACEPP_KEYS,
        secrets=tuple(_FACEPP_KEYS.values()),
        make_request=_facepp_request,
        error_answer=_facepp_error,
    ),
    "tencent": Contract(
        name="tencent",
        host=tencent.HOST,
        success_kind="tencent",
        error_kind="tencent-error",
        credentials=_TENCENT_KEYS,
        secrets=(_TENCENT_KEYS["secret_id"], _TENCENT_KEYS["token"]),
        make_request=_tencent_request,
        error_answer=_tencent_error,
    ),
    toy.NAME: Contract(
        name=toy.NAME,
        host=toy.HOST,
        success_kind=toy.SUCCESS_KIND,
        error_kind=toy.ERROR_KIND,
        credentials={"api_key": _TOY_KEY},
        secrets=(_TOY_KEY,),
        make_request=_toy_request,
        error_answer=_toy_error,
        conftest=TOY_CONFTEST,
        registers=True,
    ),
}
#: Every vendor the contract tests run for.
NAMES: tuple[str, ...] = tuple(CONTRACTS)


def contract_fixture() -> Any:
    """A ``contract`` fixture parametrized over :data:`NAMES`: each test gets one vendor's
    :class:`Contract`, its vendor registered for the test (``contract = contract_fixture()``
    at a test module's top level)."""

    @pytest.fixture(params=NAMES)
    def contract(request: pytest.FixtureRequest) -> Iterator[Contract]:
        with CONTRACTS[request.param].registered() as found:
            yield found

    return contract
