"""The server contract, the same for every vendor: over :class:`DensemarkServer` (a real
loopback socket) a valid request answers as it does in process, by the vendor's ``Host``
header or by the server's URL for the vendor; a body over the vendor's limit gets the vendor's
own refusal; the control API injects the vendor's errors and lists its own endpoints.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from vendor_contracts import Contract, contract_fixture

from pytest_densemark.emulator import Emulator
from pytest_densemark.server import DensemarkServer

contract = contract_fixture()

NOW = 1_700_000_000.0
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _emulator() -> Emulator:
    return Emulator(seed=11, clock=lambda: NOW)


def _headers(request: httpx.Request, *, host: bool) -> dict[str, str]:
    dropped = {"content-length"} | (set() if host else {"host"})
    return {k: v for k, v in request.headers.items() if k.lower() not in dropped}


def _shown(response: httpx.Response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers.get("content-type", ""), response.content


def _without_ids(value: Any) -> Any:
    """``value`` with every uuid (a request id drawn afresh per answer) masked."""
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return "<uuid>" if isinstance(value, str) and _UUID.match(value) else value


def test_the_server_answers_as_in_process(contract: Contract) -> None:
    expected = _shown(_emulator().handle(contract.valid_request()))
    assert expected[0] == 200
    request = contract.valid_request()
    with DensemarkServer(_emulator()) as server:
        by_host = httpx.post(
            server.url + request.url.path,
            headers=_headers(request, host=True),
            content=request.content,
            timeout=10,
        )
    with DensemarkServer(_emulator()) as server:
        by_url = httpx.post(
            server.url_for(contract.name),
            headers=_headers(request, host=False),
            content=request.content,
            timeout=10,
        )
    assert _shown(by_host) == expected
    assert _shown(by_url) == expected


def test_a_body_over_the_limit_gets_the_vendor_s_refusal(contract: Contract) -> None:
    rules = contract.vendor.server
    status, content_type, body = rules.too_large()
    request = contract.valid_request()
    with DensemarkServer(Emulator()) as server:
        refused = httpx.post(
            server.url_for(contract.name),
            headers=_headers(request, host=False),
            content=b"x" * (rules.max_request_bytes + 1),
            timeout=30,
        )
    assert (refused.status_code, refused.headers["content-type"]) == (status, content_type)
    if content_type.startswith("text/"):
        assert refused.content == body
    else:
        assert _without_ids(refused.json()) == _without_ids(json.loads(body))


def test_the_control_api_injects_the_vendor_s_errors(contract: Contract) -> None:
    name = next(iter(contract.vendor.engine.errors))
    request = contract.valid_request()
    with DensemarkServer(Emulator()) as server:
        injected = httpx.post(
            f"{server.url}/_densemark/fault",
            json={"type": "error", "vendor": contract.name, "error": name},
            timeout=10,
        )
        assert injected.status_code == 200, injected.text
        answer = httpx.post(
            server.url + request.url.path,
            headers=_headers(request, host=True),
            content=request.content,
            timeout=10,
        )
        calls = httpx.get(f"{server.url}/_densemark/calls", timeout=10).json()
    expected = contract.error_answer(name, answer)
    assert answer.status_code == expected.status
    assert answer.content == expected.content
    assert [(call["vendor"], call["fault"]) for call in calls["calls"]] == [
        (contract.name, f"error:{name}")
    ]


def test_the_index_lists_the_vendor(contract: Contract) -> None:
    rules = contract.vendor.server
    with DensemarkServer(Emulator()) as server:
        index = httpx.get(f"{server.url}/_densemark/", timeout=10).json()
        assert server.url_for(contract.name) == server.url + rules.path
        addresses = rules.addresses(server.url, server.endpoint)
    assert addresses
    for key, _, value in addresses:
        assert index[key] == value
    for endpoint in rules.control:
        assert index["endpoints"][f"POST /_densemark/{endpoint.name}"] == endpoint.summary
