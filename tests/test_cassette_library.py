"""The shipped cassette library: complete, valid, replayable and reproducible."""

from __future__ import annotations

import base64
import filecmp
import functools
import importlib.util
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from pytest_densemark import __version__, facepp, tencent
from pytest_densemark.cassettes import (
    Cassette,
    Player,
    RecordedRequest,
    load_cassette,
    validate_cassette,
)
from pytest_densemark.images import make_image

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "cassettes"
SHIPPED = sorted(p.relative_to(LIBRARY).with_suffix("").as_posix() for p in LIBRARY.rglob("*.json"))
#: A stand-in image: synthetic cassettes answer whatever image a client sends.
STAND_IN = make_image("PNG", 320, 240, seed=99)


@functools.cache
def builder() -> ModuleType:
    """scripts/build_cassettes.py, imported as a module (once)."""
    spec = importlib.util.spec_from_file_location(
        "build_cassettes", ROOT / "scripts" / "build_cassettes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def live_request(summary: RecordedRequest) -> httpx.Request:
    """A request a client could send for this redacted summary, with its own credentials."""
    params = dict(summary.params)
    if "/facepp/" in summary.url:
        fields = {"api_key": "client-key", "api_secret": "client-secret"}
        fields.update({k: v for k, v in params.items() if isinstance(v, str)})
        return httpx.Request(
            "POST", summary.url, data=fields, files={"image_file": ("i.png", STAND_IN)}
        )
    body = {k: v for k, v in params.items() if not isinstance(v, Mapping)}
    body["Image"] = base64.b64encode(STAND_IN).decode()
    headers = {k: v for k, v in summary.headers.items() if k.startswith("x-tc-")}
    headers["x-tc-token"] = "client-token"
    headers["authorization"] = (
        "TC3-HMAC-SHA256 Credential=AKIDclient/2030-01-01/iai/tc3_request,"
        " SignedHeaders=content-type;host, Signature=ff"
    )
    return httpx.Request("POST", summary.url, json=body, headers=headers)


def body(cassette: Cassette, index: int = 0) -> Any:
    return cassette.interactions[index].response.body


def test_library_is_not_empty() -> None:
    assert len(SHIPPED) >= len(facepp.ERRORS) + len(tencent.ERRORS)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_cassette_loads_validates_and_replays(name: str) -> None:
    cassette = load_cassette(name)
    assert cassette.name == name
    assert cassette.source == "synthetic"
    assert cassette.kit_version == __version__
    assert cassette.description
    assert name.startswith(f"{cassette.vendor}/")
    assert validate_cassette(cassette) == []
    assert validate_cassette(cassette.path or "") == []
    player = Player(cassette, allow_repeats=False)
    with httpx.Client(transport=httpx.MockTransport(player.respond)) as client:
        for interaction in cassette.interactions:
            response = client.send(live_request(interaction.request))
            assert response.status_code == interaction.response.status
            assert response.content == interaction.response.content
            assert response.headers["content-type"] == interaction.response.headers["Content-Type"]
    assert player.unplayed() == []


def test_every_documented_error_has_a_cassette() -> None:
    for name, error in facepp.ERRORS.items():
        cassette = load_cassette(f"facepp/error-{name}")
        (interaction,) = cassette.interactions
        assert interaction.response.status == error.status
        got = interaction.response.body
        assert (got if not error.json else got["error_message"]) == error.message()
    for code, tc_error in tencent.ERRORS.items():
        cassette = load_cassette(f"tencent/error-{code}")
        assert cassette.version in tc_error.versions
        (interaction,) = cassette.interactions
        assert interaction.response.status == 200
        assert interaction.response.headers["Content-Type"] == tencent.CONTENT_TYPE
        assert interaction.response.body["Response"]["Error"]["Code"] == code


def test_every_authorization_error_reason_has_a_cassette() -> None:
    error = facepp.ERRORS["AUTHORIZATION_ERROR"]
    names = ["facepp/error-AUTHORIZATION_ERROR"] + [
        f"facepp/error-AUTHORIZATION_ERROR-{reason.lower().replace(' ', '-')}"
        for reason in error.args[1:]
    ]
    messages = []
    for name in names:
        (interaction,) = load_cassette(name).interactions
        assert interaction.response.status == error.status
        messages.append(interaction.response.body["error_message"])
    assert messages == [error.message(reason) for reason in error.args]


def test_facepp_scenarios_hold_what_they_say() -> None:
    full = body(load_cassette("facepp/full-9part"))["face"]["landmark"]
    assert sorted(full) == sorted(facepp.ALL_PARTS)
    assert sum(len(points) for points in full.values()) == facepp.TOTAL_KEYS
    legacy = body(load_cassette("facepp/legacy-7part"))["face"]["landmark"]
    assert sorted(legacy) == sorted(facepp.LEGACY_PARTS)
    partial = load_cassette("facepp/partial-parts")
    asked = partial.interactions[0].request.params["return_landmark"].split(",")
    assert sorted(body(partial)["face"]["landmark"]) == sorted(asked)
    assert set(asked) < set(facepp.ALL_PARTS)
    assert "face" not in body(load_cassette("facepp/no-face"))
    outside = body(load_cassette("facepp/face-partly-outside"))["face"]["face_rectangle"]
    assert outside["left"] < 0 or outside["top"] < 0
    small = body(load_cassette("facepp/min-size-face"))["face"]["face_rectangle"]
    assert small["width"] == facepp.IMAGE_LIMITS.min_face


def test_tencent_scenarios_hold_what_they_say() -> None:
    for version in tencent.VERSIONS:
        suffix = "" if version == tencent.VERSIONS[-1] else f"-{version}"

        def shapes(name: str, suffix: str = suffix) -> list[dict[str, Any]]:
            cassette = load_cassette(f"tencent/{name}{suffix}")
            headers = cassette.interactions[-1].request.headers
            assert headers["x-tc-version"] == cassette.version
            result: list[dict[str, Any]] = body(cassette, -1)["Response"]["DenseFaceShapeSet"]
            return result

        assert load_cassette(f"tencent/one-face{suffix}").version == version
        assert len(shapes("one-face")) == 1
        five = shapes("five-faces")
        assert len(five) == tencent.MAX_FACES
        (largest,) = shapes("largest-face")
        assert largest == max(five, key=lambda s: s["Width"] * s["Height"])
        # The doc's own output example: a success with an empty set, not the error.
        assert shapes("no-face") == []
        no_face = body(load_cassette(f"tencent/no-face{suffix}"))
        assert "Error" not in no_face["Response"]
    error = body(load_cassette(f"tencent/error-{tencent.NO_FACE_ERROR}"))["Response"]
    assert error["Error"]["Code"] == tencent.NO_FACE_ERROR


@pytest.mark.parametrize(
    "name", ["facepp/retry-twice-then-success", "tencent/retry-twice-then-success"]
)
def test_retry_cassettes_fail_twice_then_succeed(name: str) -> None:
    cassette = load_cassette(name)
    player = Player(cassette)
    request = live_request(cassette.interactions[0].request)
    answers = [player.respond(request).json() for _ in range(3)]
    failed = ["error_message" in a or "Error" in a.get("Response", {}) for a in answers]
    assert failed == [True, True, False]


def test_building_again_gives_the_committed_files(tmp_path: Path) -> None:
    module = builder()
    written = module.build(tmp_path)
    fresh = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    committed = sorted(p.relative_to(LIBRARY).as_posix() for p in LIBRARY.rglob("*.json"))
    assert fresh == committed, "run: python scripts/build_cassettes.py"
    _, mismatch, errors = filecmp.cmpfiles(LIBRARY, tmp_path, committed, shallow=False)
    assert (mismatch, errors) == ([], []), "run: python scripts/build_cassettes.py"
    assert module.main(["--check", "--out", str(LIBRARY)]) == 0


def test_check_reports_stale_files_and_build_repairs_them(tmp_path: Path) -> None:
    module = builder()
    shutil.copytree(LIBRARY, tmp_path, dirs_exist_ok=True)
    stale = tmp_path / "facepp" / "full-9part.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace('"all"', '"nose"'), encoding="utf-8")
    leftover = tmp_path / "facepp" / "leftover.json"
    leftover.write_text("{}", encoding="utf-8")
    assert module.check(tmp_path) == ["facepp/full-9part.json", "facepp/leftover.json"]
    module.build(tmp_path)
    assert not leftover.exists()
    assert filecmp.cmp(stale, LIBRARY / "facepp" / "full-9part.json", shallow=False)


def test_library_keeps_no_secret_and_stays_small() -> None:
    module = builder()
    total = 0
    for path in LIBRARY.rglob("*.json"):
        raw = path.read_text(encoding="utf-8")
        total += len(raw)
        for secret in module.SECRETS.values():
            assert secret not in raw, path
        data = json.loads(raw)
        for interaction in data["interactions"]:
            for value in interaction["request"]["params"].values():
                if isinstance(value, dict):
                    assert set(value) == {"digest", "size", "format"}
    assert total < 2 * 1024 * 1024
