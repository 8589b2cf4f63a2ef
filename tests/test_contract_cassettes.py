"""The cassette contract, the same for every vendor: a recorded exchange is written without
its secrets, loads, validates and replays; another request gets a mismatch naming the nearest
interaction; a recorded request and its live request have the same match key; and the
controller's record mode records from an upstream and replays what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from vendor_contracts import Contract, contract_fixture

from pytest_densemark.cassettes import (
    CassetteMismatch,
    Player,
    Recorder,
    load_cassette,
    validate_cassette,
)
from pytest_densemark.cassettes.match import live_key, stored_key
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import DensemarkServer

contract = contract_fixture()


def _record(contract: Contract, path: Path) -> httpx.Response:
    """Record one exchange (the emulator standing in for the vendor) and write it to ``path``."""
    answer = Emulator().handle(contract.valid_request())
    recorder = Recorder(description="contract")
    recorder.record(contract.valid_request(), answer)
    assert recorder.write(path)
    return answer


def _assert_no_secrets(contract: Contract, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for secret in contract.secrets:
        assert secret not in text, f"{path} holds a secret"


def test_a_recording_is_written_without_secrets_and_replays(
    contract: Contract, tmp_path: Path
) -> None:
    path = tmp_path / "contract.json"
    answer = _record(contract, path)
    _assert_no_secrets(contract, path)
    cassette = load_cassette(path)
    assert (cassette.vendor, cassette.source) == (contract.name, "recorded")
    assert validate_cassette(cassette) == []
    replayed = Player(cassette).respond(contract.valid_request())
    assert replayed.status_code == answer.status_code
    assert replayed.json() == answer.json()


def test_another_request_names_the_nearest_interaction(contract: Contract, tmp_path: Path) -> None:
    path = tmp_path / "contract.json"
    _record(contract, path)
    with pytest.raises(CassetteMismatch) as info:
        Player(load_cassette(path)).respond(contract.other_request())
    message = str(info.value)
    assert "nearest is interaction #0 (unplayed" in message
    assert "image: cassette has digest" in message
    for secret in contract.secrets:
        assert secret not in message


@pytest.mark.parametrize("with_image", [False, True], ids=["synthetic", "recorded"])
def test_recorded_and_live_requests_have_one_key(
    contract: Contract, tmp_path: Path, with_image: bool
) -> None:
    path = tmp_path / "contract.json"
    _record(contract, path)
    cassette = load_cassette(path)
    (interaction,) = cassette.interactions
    stored = stored_key(interaction.request, cassette, with_image=with_image)
    assert stored == live_key(contract.valid_request(), with_image=with_image)
    assert dict(stored)["host family"] == contract.name


def test_the_controller_records_and_replays(contract: Contract, tmp_path: Path) -> None:
    with DensemarkServer(Emulator()) as upstream:
        recording = Controller(record_mode="new", upstream=upstream.url, search_dirs=[tmp_path])
        recording.set_credentials(**contract.credentials)
        assert recording.use_cassette("contract/recorded") is None
        recorded = recording.respond(contract.valid_request())
        path = recording.finish()
    assert recorded.status_code == 200, recorded.text
    assert path == tmp_path / "contract" / "recorded.json"
    _assert_no_secrets(contract, path)
    assert [call.source for call in recording.calls_for(contract.name)] == ["upstream"]

    replaying = Controller(search_dirs=[tmp_path])
    cassette = replaying.use_cassette("contract/recorded")
    assert cassette is not None
    assert cassette.vendor == contract.name
    replayed = replaying.respond(contract.valid_request())
    assert replayed.json() == recorded.json()
    assert [call.source for call in replaying.calls_for(contract.name)] == ["cassette"]
    assert replaying.unplayed_problem() is None
