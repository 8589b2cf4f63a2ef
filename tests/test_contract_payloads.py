"""The payloads contract, the same for every vendor: its kinds are listed, detected and
validated, its schema files are the generated text, ``densemark validate`` checks its payload
and cassette files, its strategies draw valid answers, and its answers can be drawn.

The command line is run in process (:func:`pytest_densemark.cli.main`): a vendor registered by
the test suite is known to it. A ``densemark`` run in a shell of its own knows the kit's
vendors only; the command has no option to register another one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from vendor_contracts import Contract, contract_fixture

from pytest_densemark import render, schemas, strategies, validation
from pytest_densemark.cassettes import Recorder
from pytest_densemark.cli import main
from pytest_densemark.emulator import Emulator
from pytest_densemark.validation import detect_kind, schema_path, validate

contract = contract_fixture()


def _answer(contract: Contract) -> Any:
    return Emulator().handle(contract.valid_request()).json()


def test_the_kinds_are_listed_and_detected(contract: Contract) -> None:
    kinds = contract.vendor.payloads.kinds
    assert set(kinds) == {contract.success_kind, contract.error_kind}
    assert set(kinds) <= set(validation.kinds())
    body = _answer(contract)
    assert detect_kind(body) == contract.success_kind
    assert validate(body).kind == contract.success_kind
    assert not validate(body, contract.error_kind)


def test_the_schema_files_are_the_generated_text(contract: Contract) -> None:
    for kind in contract.vendor.payloads.kinds:
        text = schema_path(kind).read_text(encoding="utf-8")
        assert text == schemas.render(schemas.build_schema(kind)), kind


def test_densemark_validate_checks_a_payload_file(
    contract: Contract, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _answer(contract)
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"{path}: ok ({contract.success_kind})\n1 valid, 0 invalid, 0 unreadable\n"
    )
    assert main(["validate", "--kind", contract.success_kind, str(path)]) == 0
    assert main(["validate", "--kind", contract.error_kind, str(path)]) == 1
    capsys.readouterr()
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**body, "unexpected": 1}), encoding="utf-8")
    assert main(["validate", str(broken)]) == 1
    assert "(root): unexpected key unexpected" in capsys.readouterr().out


def test_densemark_validate_checks_a_cassette(
    contract: Contract, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    recorder.record(contract.valid_request(), Emulator().handle(contract.valid_request()))
    path = tmp_path / "cassette.json"
    recorder.write(path)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"ok ({contract.success_kind})" in out


def test_the_strategies_draw_valid_answers(contract: Contract) -> None:
    low, high = contract.vendor.payloads.strategies.image_sides

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategies.http_responses(contract.name), strategies.image_sizes(contract.name))
    def check(response: Any, size: tuple[int, int]) -> None:
        assert low <= min(size) <= max(size) <= high
        if response.headers.get("content-type", "").startswith("text/"):
            return  # a documented plain-text error: no schema
        body = response.json()
        result = validate(body)
        assert result, str(result)
        assert result.kind in {contract.success_kind, contract.error_kind}
        if result.kind == contract.success_kind:
            render.landmark_polylines(body)  # drawable

    check()


def test_an_answer_can_be_drawn(contract: Contract) -> None:
    lines, _, _ = render.landmark_polylines(_answer(contract))
    assert lines
    assert all(points for points, _ in lines)
