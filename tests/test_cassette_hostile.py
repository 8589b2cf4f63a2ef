"""Hostile cassette files, names and folders: each refused with a ``CassetteError`` naming the
file (or name) and the field, never an exception from inside the kit; recording never leaves a
file outside the cassette folder, a credential-named header or a half-written file behind."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, tencent
from pytest_densemark.cassettes import (
    REDACTED,
    CassetteError,
    Recorder,
    load_cassette,
    redact_request,
    request_secrets,
    validate_cassette,
    write_cassette,
)
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 320, 240)  # synthetic
FACEPP_BODY = {"time_used": 5, "request_id": "1,synthetic", "face": {}}
#: A synthetic credential (a canary: it must reach no file).
CANARY = "canary-tc-secret-key-5e6f7a8b"


def _document() -> dict[str, Any]:
    """A valid one-interaction Face++ cassette document (a fresh copy each time)."""
    text = Path(str(load_cassette("facepp/full-9part").path)).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


HOSTILE_FIELDS = [
    ("response", "body", "\ud800", "response.body", "lone surrogate"),
    ("response", "body", {"x": "a\udfffb"}, "response.body", "lone surrogate"),
    ("response", "headers", {"X-Note": "caf\u00e9"}, "response.headers.X-Note", "ASCII"),
    ("response", "headers", {"Content-Encoding": "gzip"}, "Content-Encoding", "decoded"),
    ("request", "url", "http://[::1", "request.url", "absolute http(s) URL"),
    ("request", "url", "thousandlandmark", "request.url", "absolute http(s) URL"),
    ("request", "url", "", "request.url", "absolute http(s) URL"),
    ("request", "url", "ftp://host/x", "request.url", "absolute http(s) URL"),
    ("request", "url", "https://host:99999/", "request.url", "absolute http(s) URL"),
    ("request", "url", "https://host/a b", "request.url", "without spaces"),
    ("request", "method", "", "request.method", "an HTTP method"),
    ("request", "method", "PO ST", "request.method", "an HTTP method"),
]


@pytest.mark.parametrize(
    ("side", "key", "value", "field", "expected"),
    HOSTILE_FIELDS,
    ids=[f"{side}.{key}={value!r}" for side, key, value, _, _ in HOSTILE_FIELDS],
)
def test_a_hostile_field_names_the_file_and_the_field(
    tmp_path: Path, side: str, key: str, value: Any, field: str, expected: str
) -> None:
    document = _document()
    document["interactions"][0][side][key] = value
    path = _write(tmp_path, "hostile", document)
    with pytest.raises(CassetteError) as caught:
        load_cassette("hostile", search_dirs=[tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{path}: interactions[0].")
    assert field in message
    assert expected in message
    with pytest.raises(CassetteError, match=str(path)):
        validate_cassette(path)  # densemark validate's entry point: no ValueError either


def test_identity_content_encoding_and_ascii_headers_still_load(tmp_path: Path) -> None:
    document = _document()
    document["interactions"][0]["response"]["headers"] = {
        "Content-Encoding": "identity",
        "X-Note": "plain ascii",
    }
    _write(tmp_path, "fine", document)
    cassette = load_cassette("fine", search_dirs=[tmp_path])
    assert cassette.interactions[0].response.headers["X-Note"] == "plain ascii"


def test_queue_response_refuses_a_header_no_client_can_be_sent() -> None:
    with pytest.raises(ValueError, match=r"queue_response: headers.*ASCII"):
        Emulator().queue_response("facepp", FACEPP_BODY, headers={"X-Note": "caf\u00e9"})


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../outside", "without '..' parts"),
        ("sub/../../outside", "without '..' parts"),
        ("..\\outside", "without '..' parts"),
        ("..", "without '..' parts"),
        ("a\x00b", "without NUL"),
        ("", "a non-empty name"),
        (".json", "a non-empty name"),
    ],
)
def test_a_name_cannot_leave_the_cassette_folders(tmp_path: Path, name: str, expected: str) -> None:
    folder = tmp_path / "cassettes"
    (folder / "sub").mkdir(parents=True)
    _write(tmp_path, "outside", _document())  # what ../outside would have reached
    with pytest.raises(CassetteError, match=f"cassette name .*expected .*{expected}"):
        load_cassette(name, search_dirs=[folder])
    for mode in ("new", "all"):
        controller = Controller(search_dirs=[folder], record_mode=mode)
        with pytest.raises(CassetteError, match=f"cassette name .*expected .*{expected}"):
            controller.use_cassette(name)
        assert controller.recording is None
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cassettes", "outside.json", "sub"]


def test_a_file_outside_is_still_named_by_its_path(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside", _document())
    folder = tmp_path / "cassettes"
    folder.mkdir()
    assert load_cassette(outside, search_dirs=[folder]).path == outside
    assert load_cassette(str(outside)[: -len(".json")], search_dirs=[folder]).path == outside


def test_a_name_too_long_for_the_system_fails_readably(tmp_path: Path) -> None:
    name = "n" * 400  # over every system's limit for one file name
    with pytest.raises(CassetteError, match="not found"):
        load_cassette(name, search_dirs=[tmp_path])
    controller = Controller(search_dirs=[tmp_path], record_mode="new")
    assert controller.use_cassette(name) is None  # missing: it would be recorded
    recorder = controller._recorder
    assert recorder is not None
    recorder.record(_facepp_request(), httpx.Response(200, json=FACEPP_BODY))
    with pytest.raises(CassetteError, match="cannot write the cassette: File name too long"):
        controller.finish()
    assert list(tmp_path.iterdir()) == []


# --- writing ---------------------------------------------------------------------------------


def _facepp_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        facepp.URL,
        data={"api_key": "k" * 32, "api_secret": "s" * 32},
        files={"image_file": ("face.jpg", IMAGE, "image/jpeg")},
    )


def _recorded() -> Recorder:
    recorder = Recorder()
    recorder.record(_facepp_request(), httpx.Response(200, json=FACEPP_BODY))
    return recorder


@pytest.mark.parametrize("overwrite", [True, False])
def test_a_folder_in_the_way_is_named(tmp_path: Path, overwrite: bool) -> None:
    (tmp_path / "blocker").write_text("not a folder", encoding="utf-8")
    target = tmp_path / "blocker" / "case.json"
    with pytest.raises(CassetteError, match=f"{target}: cannot write the cassette: .*blocker"):
        _recorded().write(target, overwrite=overwrite)
    (tmp_path / "taken.json").mkdir()
    with pytest.raises(CassetteError, match=r"taken\.json: cannot write the cassette: a folder"):
        _recorded().write(tmp_path / "taken.json", overwrite=overwrite)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "taken.json"]


@pytest.mark.parametrize("failing", ["replace", "fsync", "chmod"])
def test_a_failed_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, failing, refuse)
    with pytest.raises(CassetteError, match="cannot write the cassette: Permission denied"):
        write_cassette(tmp_path / "case.json", _recorded().to_json())
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="POSIX permissions; root writes anywhere"
)
def test_an_unwritable_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(CassetteError, match="cannot write the cassette: Permission denied"):
            _recorded().write(folder / "case.json")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# --- credentials in headers -----------------------------------------------------------------


def test_a_credential_named_tc_header_is_redacted_and_scanned(tmp_path: Path) -> None:
    request = httpx.Request(
        "POST",
        f"https://{tencent.HOST}/",
        json={"Image": "aGVsbG8=", "Mode": 0},
        headers={
            "X-TC-Action": tencent.ACTION,
            "X-TC-Version": "2020-03-03",
            "X-TC-SecretKey": CANARY,
            "X-TC-Region": "ap-guangzhou",
        },
    )
    summary = redact_request(request)
    assert summary["headers"]["x-tc-secretkey"] == REDACTED
    assert summary["headers"]["x-tc-region"] == "ap-guangzhou"  # not a credential: kept
    assert CANARY in request_secrets(request).values()
    recorder = Recorder()
    recorder.record(request, httpx.Response(200, json={"Response": {"RequestId": "r"}}))
    recorder.write(tmp_path / "tc.json")
    assert CANARY not in (tmp_path / "tc.json").read_text(encoding="utf-8")
