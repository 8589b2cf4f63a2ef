"""The emulator contract, the same for every vendor: answers, documented errors, transport
faults, queued answers, the call log, seeds, credentials, and in-process interception.

Every test goes through the public core only (:class:`~pytest_densemark.emulator.Emulator`,
:func:`pytest_densemark.emulate`, :func:`~pytest_densemark.validation.validate`); per-vendor
data comes from the table in :mod:`vendor_contracts`.
"""

from __future__ import annotations

import json

import httpx
import pytest
import requests
from vendor_contracts import CONTRACTS, Contract, contract_fixture

import pytest_densemark
from pytest_densemark import network, vendors
from pytest_densemark.emulator import EmulatedDisconnect, EmulatedTimeout, Emulator
from pytest_densemark.validation import detect_kind, validate

contract = contract_fixture()

NOW = 1_700_000_000.0


def _content_type(response: httpx.Response) -> str:
    value: str = response.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def test_a_valid_request_is_answered_with_a_valid_body(contract: Contract) -> None:
    answer = Emulator().handle(contract.valid_request())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert validate(body, contract.success_kind), str(validate(body, contract.success_kind))
    assert detect_kind(body) == contract.success_kind
    assert _content_type(answer) == contract.vendor.engine.content_type


def test_every_documented_error_can_be_injected(contract: Contract) -> None:
    emulator = Emulator()
    errors = list(contract.vendor.engine.errors)
    assert errors
    for name in errors:
        emulator.inject_error(contract.name, name)
        answer = emulator.handle(contract.valid_request())
        expected = contract.error_answer(name, answer)
        assert answer.status_code == expected.status, name
        assert _content_type(answer) == expected.headers["Content-Type"].lower(), name
        if isinstance(expected.body, str):
            assert answer.text == expected.body, name
            assert answer.text in contract.vendor.cassette.plain_text_errors
        else:
            assert answer.json() == expected.body, name
            assert validate(answer.json(), contract.error_kind), name
    calls = emulator.calls_for(contract.name)
    assert [call.fault for call in calls] == [f"error:{name}" for name in errors]
    assert emulator.handle(contract.valid_request()).status_code == 200  # each was spent once


def test_an_undocumented_error_is_refused(contract: Contract) -> None:
    with pytest.raises(ValueError, match=f"not a documented {contract.name} error"):
        Emulator().inject_error(contract.name, "NO_SUCH_ERROR")


def test_timeouts_and_disconnects_raise(contract: Contract) -> None:
    emulator = Emulator()
    emulator.inject_timeout(vendor=contract.name)
    with pytest.raises(EmulatedTimeout) as timeout:
        emulator.handle(contract.valid_request())
    emulator.inject_disconnect(vendor=contract.name)
    with pytest.raises(EmulatedDisconnect) as disconnect:
        emulator.handle(contract.valid_request())
    assert timeout.value.vendor == disconnect.value.vendor == contract.name
    assert emulator.handle(contract.valid_request()).status_code == 200
    faults = [call.fault for call in emulator.calls_for(contract.name)]
    assert faults == ["timeout", "disconnect", None]


def test_a_queued_answer_comes_first(contract: Contract) -> None:
    emulator = Emulator()
    emulator.queue_response(contract.name, {"queued": True}, status=503)
    queued = emulator.handle(contract.valid_request())
    assert (queued.status_code, queued.json()) == (503, {"queued": True})
    assert _content_type(queued) == contract.vendor.engine.content_type
    assert emulator.handle(contract.valid_request()).status_code == 200
    assert [call.source for call in emulator.calls_for(contract.name)] == ["queue", "emulator"]


def test_calls_are_logged_without_secrets(contract: Contract) -> None:
    emulator = Emulator()
    emulator.handle(contract.valid_request())
    (call,) = emulator.calls_for(contract.name)
    assert (call.vendor, call.status, call.source) == (contract.name, 200, "emulator")
    assert call.action is not None
    shown = repr(call) + json.dumps(call.params, default=str)
    for secret in contract.secrets:
        assert secret not in shown
    others = [name for name in vendors.names() if name != contract.name]
    assert all(emulator.calls_for(name) == [] for name in others)


def test_a_seed_replays_the_answers(contract: Contract) -> None:
    def answers(seed: int) -> list[bytes]:
        emulator = Emulator(seed=seed, clock=lambda: NOW)
        return [emulator.handle(contract.valid_request()).content for _ in range(2)]

    first = answers(7)
    assert first == answers(7)
    assert first[0] != first[1]  # each answer has its own request id
    assert first != answers(8)


def test_configured_credentials_are_checked(contract: Contract) -> None:
    emulator = Emulator()
    emulator.set_credentials(**contract.credentials)
    assert emulator.handle(contract.valid_request()).status_code == 200
    emulator.set_credentials(**{name: f"{value}-x" for name, value in contract.credentials.items()})
    refused = emulator.handle(contract.valid_request())
    assert validate(refused.json(), contract.error_kind), refused.text


def test_clients_are_answered_in_process(contract: Contract) -> None:
    request = contract.valid_request()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    with network.block(), pytest_densemark.emulate() as densemark:
        with httpx.Client() as client:
            by_httpx = client.send(contract.valid_request())
        by_requests = requests.post(str(request.url), headers=headers, data=request.content)
    for status, body in [(r.status_code, r.json()) for r in (by_httpx, by_requests)]:
        assert status == 200, body
        assert validate(body, contract.success_kind)
    assert [call.vendor for call in densemark.calls] == [contract.name, contract.name]


def test_the_table_covers_every_registered_vendor() -> None:
    """A vendor added to the kit gets a contract entry, or this fails."""
    assert set(vendors.names()) <= set(CONTRACTS)
