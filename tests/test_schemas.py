"""The shipped JSON Schemas: valid draft 2020-12, generated from the vendor facts, realistic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _validator_payloads import facepp_body, tencent_body, tencent_error_body
from jsonschema import Draft202012Validator

from pytest_densemark import facepp, load_schema, schema_path, tencent
from pytest_densemark.schemas import KINDS, build_schema, file_name, main, render


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_against_its_metaschema(kind: str) -> None:
    schema = load_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_schema_has_a_distinct_id() -> None:
    ids = [load_schema(kind)["$id"] for kind in KINDS]
    assert all(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("kind", KINDS)
def test_committed_file_equals_generated(kind: str) -> None:
    assert schema_path(kind).read_text(encoding="utf-8") == render(build_schema(kind)), (
        f"{schema_path(kind)} is stale: run python -m pytest_densemark.schemas"
    )


def test_main_check_passes_and_out_writes_identical_files(tmp_path: Path) -> None:
    assert main(["--check"]) == 0
    assert main(["--out", str(tmp_path)]) == 0
    for kind in KINDS:
        assert (tmp_path / file_name(kind)).read_text(encoding="utf-8") == render(
            build_schema(kind)
        )
    (tmp_path / file_name("facepp")).write_text("{}", encoding="utf-8")
    assert main(["--check", "--out", str(tmp_path)]) == 1


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown payload kind 'face'"):
        file_name("face")


def test_load_schema_returns_a_fresh_copy() -> None:
    first = load_schema("facepp")
    first["title"] = "changed"
    assert load_schema("facepp")["title"] != "changed"


def test_facepp_parts_hold_exactly_the_vendor_keys() -> None:
    defs = load_schema("facepp")["$defs"]
    for part in facepp.PARTS.values():
        schema = defs[f"part_{part.name}"]
        assert sorted(schema["required"]) == sorted(part.keys)
        assert schema["additionalProperties"] is False
    assert sum(len(defs[f"part_{n}"]["required"]) for n in facepp.ALL_PARTS) == 975


def _jsonschema_valid(kind: str, payload: Any) -> bool:
    return Draft202012Validator(load_schema(kind)).is_valid(payload)


def test_real_payloads_pass_the_schema_itself(
    real_facepp_9part: list[dict[str, Any]], real_facepp_7part: list[dict[str, Any]]
) -> None:
    validator = Draft202012Validator(load_schema("facepp"))
    for body in [*real_facepp_9part, *real_facepp_7part]:
        errors = [e.message for e in validator.iter_errors(body)]
        assert errors == []


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("facepp", facepp_body()),
        ("facepp", {"time_used": 5, "request_id": "r"}),
        ("facepp", {"time_used": 5, "request_id": "r", "face": None}),
        ("facepp", {"time_used": 5, "request_id": "r", "face": {}}),
        ("tencent", tencent_body(tencent.MAX_FACES)),
        ("tencent-error", tencent_error_body()),
    ],
)
def test_synthetic_payloads_pass_the_schema(kind: str, payload: Any) -> None:
    assert _jsonschema_valid(kind, payload)


@pytest.mark.parametrize("error", [e for e in facepp.ERRORS.values() if e.json])
def test_facepp_error_pattern_accepts_both_spacings(error: facepp.ApiError) -> None:
    validator = Draft202012Validator(load_schema("facepp-error"))
    for space in (True, False):
        body = {"time_used": 1, "error_message": error.message(space=space), "request_id": "r"}
        assert validator.is_valid(body), body["error_message"]


@pytest.mark.parametrize(
    "message",
    ["AUTHENTICATION_ERROR ", "BAD_ARGUMENTS", "BAD_ARGUMENTS:", "Request Entity Too Large", ""],
)
def test_facepp_error_pattern_refuses_others(message: str) -> None:
    body = {"time_used": 1, "error_message": message, "request_id": "r"}
    assert not _jsonschema_valid("facepp-error", body)


def test_tencent_error_codes_are_the_catalogue() -> None:
    schema = load_schema("tencent-error")
    code = schema["properties"]["Response"]["properties"]["Error"]["properties"]["Code"]
    assert code["enum"] == list(tencent.ERRORS)


def test_schema_files_are_plain_json() -> None:
    for kind in KINDS:
        json.loads(schema_path(kind).read_text(encoding="utf-8"))
