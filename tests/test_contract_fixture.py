"""The fixture contract, the same for every vendor: a user's test module calls the vendor
under the ``densemark`` and ``densemark_server`` fixtures with the marker's credentials and
passes; record mode writes each test's cassette (without its secrets) from an upstream, and
the next run replays it.

The inner runs find each vendor by themselves: the kit's own from the registry, the toy from
the inner suite's ``conftest.py`` (``vendors.register(VENDOR)``), as a user adds a vendor
from outside the package. The outer test unregisters the vendor first to show it.
"""

from __future__ import annotations

import json

import anyio
import hypothesis
import pytest
import requests
import respx
import urllib3
from vendor_contracts import Contract, contract_fixture

import pytest_densemark.emulation
import pytest_densemark.stubs.aiohttp_stub
import pytest_densemark.stubs.http_client_stub
import pytest_densemark.stubs.httpx_stub
from pytest_densemark import vendors
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import DensemarkServer

contract = contract_fixture()

# Imported before any inner run: pytester's in-process runs drop the modules they imported, so
# the plugins the inner runs load would be imported again for every run, and the kit's
# interception state must be one module the inner runs share.
_PRELOADED = (anyio, hypothesis, requests, respx, urllib3, pytest_densemark)

STRICT_INI = """
[pytest]
strict = true
filterwarnings = error
"""

#: The user's test module; ``{name!r}`` is the vendor, ``CONTRACT_SOURCE`` what should answer.
INNER = """
import os

import httpx
import pytest
from vendor_contracts import CONTRACTS

from pytest_densemark.validation import validate

CONTRACT = CONTRACTS[{name!r}]


def check(response, calls):
    assert response.status_code == 200, response.text
    assert validate(response.json(), CONTRACT.success_kind)
    assert [(c.vendor, c.source) for c in calls] == [
        (CONTRACT.name, os.environ["CONTRACT_SOURCE"])
    ]


@pytest.mark.densemark(credentials=CONTRACT.credentials)
def test_in_process(densemark):
    with httpx.Client() as client:
        response = client.send(CONTRACT.valid_request())
    check(response, densemark.calls)


@pytest.mark.densemark(credentials=CONTRACT.credentials)
def test_over_loopback(densemark_server):
    request = CONTRACT.valid_request()
    response = httpx.post(
        densemark_server.url + request.url.path, headers=request.headers, content=request.content
    )
    check(response, densemark_server.calls)
"""


def _run(pytester: pytest.Pytester, *args: str) -> None:
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2)


def test_a_user_suite_calls_the_vendor_records_and_replays(
    contract: Contract, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makeconftest(contract.conftest)
    pytester.makepyfile(test_inner=INNER.format(name=contract.name))
    vendors.unregister(contract.name)  # the inner run finds it by itself

    monkeypatch.setenv("CONTRACT_SOURCE", "emulator")
    _run(pytester)
    folder = pytester.path / "cassettes" / "test_inner"
    assert not folder.exists()

    monkeypatch.setenv("CONTRACT_SOURCE", "upstream")
    with DensemarkServer(Emulator()) as upstream:
        _run(pytester, "--densemark-record=new", f"--densemark-upstream={upstream.url}")
    written = sorted(path.name for path in folder.iterdir())
    assert written == ["test_in_process.json", "test_over_loopback.json"]
    for name in written:
        text = (folder / name).read_text(encoding="utf-8")
        assert json.loads(text)["vendor"] == contract.name
        for secret in contract.secrets:
            assert secret not in text, f"{name} holds a secret"

    monkeypatch.setenv("CONTRACT_SOURCE", "cassette")
    _run(pytester)
