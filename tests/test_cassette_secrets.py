"""Issue-13 attacks on cassettes: credentials in URLs and unknown fields, the before-record
hook, the secret scan's two promises, hostile files, file modes and lost xdist recordings."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, tencent
from pytest_densemark.cassettes import (
    MAX_DEPTH,
    MIN_SCANNED_LENGTH,
    CassetteError,
    CassetteMismatch,
    CassetteWarning,
    Player,
    Recorder,
    cassette_from_data,
    load_cassette,
    redact_request,
    request_secrets,
    write_cassette,
)
from pytest_densemark.controller import Controller
from pytest_densemark.wire import parse_facepp

# Synthetic credentials, long enough to be real-looking (canaries: none may reach a file).
PRESIGNED = {
    "X-Amz-Signature": "canary-amz-signature-0a1b2c3d4e5f",
    "X-Amz-Security-Token": "canary-amz-token-6f7e8d9c0b1a",
    "q-ak": "canary-cos-ak-1234abcd",
    "q-signature": "canary-cos-signature-98ef",
    "x-cos-security-token": "canary-cos-token-5566aa",
    "token": "canary-plain-token-77bb",
}
USERINFO = ("canary-user-9911", "canary-pass-8822")
IMAGE_URL = (
    f"https://{USERINFO[0]}:{USERINFO[1]}@bucket.example.com/faces/one.jpg?"
    + "&".join(f"{k}={v}" for k, v in PRESIGNED.items())
    + "&X-Amz-Expires=300"
)
USER_TOKEN = "canary-user-token-3c4d5e6f"
CANARIES = (*PRESIGNED.values(), *USERINFO, USER_TOKEN)
FACEPP_BODY = {"time_used": 5, "request_id": "1,synthetic", "face": {}}


def url_request(url: str = IMAGE_URL, **extra: str) -> httpx.Request:
    """A Face++ request naming its image by URL, with synthetic credentials."""
    fields = {"api_key": "k" * 32, "api_secret": "s" * 32, "return_landmark": "all"}
    return httpx.Request("POST", facepp.URL, data={**fields, "image_url": url, **extra})


def tencent_url_request(url: str = IMAGE_URL, **extra: Any) -> httpx.Request:
    """A Tencent request naming its image by URL."""
    return httpx.Request(
        "POST",
        f"https://{tencent.HOST}/",
        json={"Url": url, "Mode": 0, **extra},
        headers={"X-TC-Action": tencent.ACTION, "X-TC-Version": "2018-03-01"},
    )


def record_one(request: httpx.Request, body: Any = None, **recorder_options: Any) -> Recorder:
    """A Recorder holding ``request`` answered with ``body`` (a Face++ success by default)."""
    recorder = Recorder(**recorder_options)
    recorder.record(request, httpx.Response(200, json=FACEPP_BODY if body is None else body))
    return recorder


# --- item 1: URLs and unknown fields ----------------------------------------------------------


def test_image_url_is_stored_without_userinfo_and_query() -> None:
    summary = redact_request(url_request())
    stored = summary["params"]["image_url"]
    assert stored == {
        "url": "https://bucket.example.com/faces/one.jpg",
        "digest": hashlib.sha256(IMAGE_URL.encode()).hexdigest(),
    }
    text = json.dumps(summary)
    assert [c for c in CANARIES if c in text] == []
    secrets = request_secrets(url_request())
    for value in (*PRESIGNED.values(), *USERINFO):
        assert value in secrets.values()


def test_tencent_url_is_stored_without_userinfo_and_query() -> None:
    summary = redact_request(tencent_url_request(Extra=USER_TOKEN))
    assert summary["params"]["Url"]["url"] == "https://bucket.example.com/faces/one.jpg"
    assert summary["params"]["Mode"] == 0
    assert summary["params"]["Extra"] == {"digest": hashlib.sha256(USER_TOKEN.encode()).hexdigest()}
    assert [c for c in CANARIES if c in json.dumps(summary)] == []


def test_unknown_form_fields_are_stored_as_digests() -> None:
    summary = redact_request(url_request(user_token=USER_TOKEN, start="1"))
    assert summary["params"]["user_token"] == {
        "digest": hashlib.sha256(USER_TOKEN.encode()).hexdigest()
    }
    assert summary["params"]["start"] == {"digest": hashlib.sha256(b"1").hexdigest()}
    assert summary["params"]["return_landmark"] == "all"
    assert USER_TOKEN not in json.dumps(summary)
    # A credential-named unknown field is scanned for too.
    assert request_secrets(url_request(user_token=USER_TOKEN))["user_token"] == USER_TOKEN


def test_recorded_url_replays_the_same_url_and_refuses_another(tmp_path: Path) -> None:
    target = tmp_path / "url.json"
    assert record_one(url_request()).write(target)
    raw = target.read_text(encoding="utf-8")
    assert [c for c in CANARIES if c in raw] == []
    player = Player(load_cassette(target))
    assert player.respond(url_request()).json() == FACEPP_BODY
    resigned = IMAGE_URL.replace(PRESIGNED["X-Amz-Signature"], "canary-other-signature-00")
    with pytest.raises(CassetteMismatch) as info:
        player.respond(url_request(resigned))
    message = str(info.value)
    assert "image: cassette has image_url with sha256" in message
    assert "canary-other-signature-00" not in message


def test_tencent_recorded_url_matches_by_digest(tmp_path: Path) -> None:
    target = tmp_path / "tc.json"
    body = {"Response": {"RequestId": "r"}}
    assert record_one(tencent_url_request(), body).write(target)
    player = Player(load_cassette(target))
    assert player.respond(tencent_url_request()).json() == body
    with pytest.raises(CassetteMismatch):
        player.respond(tencent_url_request(IMAGE_URL + "&x=2"))


def test_cassettes_holding_a_plain_url_still_match() -> None:
    document = json.loads(json.dumps(record_one(url_request()).to_json()))
    document["interactions"][0]["request"]["params"]["image_url"] = "https://h.example/a.jpg"
    player = Player(cassette_from_data(document))
    assert player.respond(url_request("https://h.example/a.jpg")).is_success
    with pytest.raises(CassetteMismatch):
        player.respond(url_request("https://h.example/b.jpg"))


# --- item 1: the before-record hook ------------------------------------------------------------


def test_before_record_can_narrow_what_is_stored(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def drop_url_path(summary: dict[str, Any], request: httpx.Request) -> dict[str, Any]:
        seen.append(request)
        summary["params"]["image_url"]["url"] = "<dropped>"
        return summary

    recorder = record_one(url_request(), before_record=drop_url_path)
    assert len(seen) == 1
    target = tmp_path / "narrow.json"
    recorder.write(target)
    assert "bucket.example.com" not in target.read_text(encoding="utf-8")
    assert Player(load_cassette(target)).respond(url_request()).is_success


def test_before_record_can_widen_what_is_stored(tmp_path: Path) -> None:
    def keep_start(summary: dict[str, Any], request: httpx.Request) -> dict[str, Any]:
        summary["params"]["start"] = parse_facepp(request).fields["start"]
        return summary

    target = tmp_path / "wide.json"
    record_one(url_request(start="17"), before_record=keep_start).write(target)
    params = load_cassette(target).interactions[0].request.params
    assert params["start"] == "17"


def test_before_record_returning_none_skips_the_exchange() -> None:
    recorder = Recorder(before_record=lambda summary, request: None)
    recorder.record(url_request(), httpx.Response(200, json=FACEPP_BODY))
    assert recorder.interactions == []
    # The secrets it carried are still scanned for.
    assert PRESIGNED["q-ak"] in recorder.secrets.values()
    with pytest.raises(CassetteError, match="nothing to write"):
        recorder.to_json()


def test_before_record_putting_a_credential_back_is_refused(tmp_path: Path) -> None:
    def keep_full_url(summary: dict[str, Any], request: httpx.Request) -> dict[str, Any]:
        summary["params"]["image_url"] = parse_facepp(request).fields["image_url"]
        return summary

    recorder = record_one(url_request(), before_record=keep_full_url)
    with pytest.raises(CassetteError, match=r"refusing to write.*image_url"):
        recorder.write(tmp_path / "leak.json")
    assert not (tmp_path / "leak.json").exists()


def test_before_record_is_checked() -> None:
    with pytest.raises(TypeError, match="before_record must be a callable"):
        Recorder(before_record="nope")  # type: ignore[arg-type]
    recorder = Recorder(before_record=lambda summary, request: "text")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="must return the request summary"):
        recorder.record(url_request(), httpx.Response(200, json=FACEPP_BODY))


def test_controller_gives_before_record_to_its_recorder(tmp_path: Path) -> None:
    def hook(summary: dict[str, Any], request: httpx.Request) -> None:
        return None

    controller = Controller(search_dirs=[tmp_path], record_mode="new", before_record=hook)
    assert controller.use_cassette("new-one") is None
    assert controller._recorder is not None
    assert controller._recorder.before_record is hook


# --- issue 10 item 3: the scan's two promises ----------------------------------------------------


@pytest.mark.parametrize("dummy", ["k", "test", "key", "secret"])
def test_a_short_dummy_credential_occurring_elsewhere_is_not_a_leak(
    tmp_path: Path, dummy: str
) -> None:
    request = httpx.Request(
        "POST", facepp.URL, data={"api_key": dummy, "api_secret": dummy, "return_landmark": "all"}
    )
    body = {"time_used": 1, "request_id": "1,test", "face": {"key": "a test secret"}}
    recorder = record_one(request, body, description=f"a {dummy} recording: {dummy}")
    target = tmp_path / "dummy.json"
    assert recorder.write(target, secrets={"SecretKey": dummy})
    assert load_cassette(target).description == f"a {dummy} recording: {dummy}"


def test_a_short_credential_standing_whole_is_refused(tmp_path: Path) -> None:
    request = httpx.Request("POST", facepp.URL, data={"api_key": "k", "return_landmark": "all"})
    echo = {"time_used": 1, "request_id": "1,x", "echo": "k"}
    with pytest.raises(CassetteError, match=r"api_key .* appears at \$\.interactions\[0\]"):
        record_one(request, echo).write(tmp_path / "echo.json")
    assert not (tmp_path / "echo.json").exists()


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        (lambda d, s: d["request"]["headers"].update({"x-tc-echo": s}), "request.headers"),
        (lambda d, s: d["response"]["headers"].update({"X-Echo": s}), "response.headers"),
        (lambda d, s: d["request"].update(url=f"https://h.example/?t={s}"), "request.url"),
        (lambda d, s: d["request"]["params"].update(extra={"deep": [s]}), "request.params"),
        (lambda d, s: d["response"]["body"].update(msg=f"bad key {s}!"), "response.body.msg"),
    ],
)
def test_a_long_credential_is_refused_wherever_it_lands(
    tmp_path: Path, place: Any, expected: str
) -> None:
    secret = "long-secret-value-4e5f6a7b"
    document = record_one(url_request()).to_json()
    place(document["interactions"][0], secret)
    with pytest.raises(CassetteError, match=f"appears at .*{expected}"):
        write_cassette(tmp_path / "long.json", document, secrets={"api_secret": secret})


def test_a_short_credential_in_a_url_query_is_refused(tmp_path: Path) -> None:
    document = record_one(url_request()).to_json()
    document["interactions"][0]["request"]["url"] = "https://h.example/p?sig=abc&x=1"
    with pytest.raises(CassetteError, match=r"request\.url \(query sig\)"):
        write_cassette(tmp_path / "q.json", document, secrets={"sig": "abc"})


def test_the_length_threshold_is_below_real_credentials() -> None:
    # Face++ keys and secrets are 32 characters, Tencent SecretIds 36 and SecretKeys 32.
    assert MIN_SCANNED_LENGTH <= 32


# --- item 11: hostile files ----------------------------------------------------------------------


def test_a_100k_deep_file_names_the_file_and_path(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    nested = "[" * 100_000 + "]" * 100_000
    path.write_text(
        '{"densemark_cassette": 1, "interactions": [{"response": {"body": ' + nested + "}}]}"
    )
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert str(path) in message
    assert "$.interactions[0].response.body[0][0]" in message
    assert f"at most {MAX_DEPTH} levels" in message


def test_moderately_deep_params_are_refused_by_path() -> None:
    document = record_one(url_request()).to_json()
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 5):
        deep = {"a": deep}
    document["interactions"][0]["request"]["params"]["odd"] = deep
    with pytest.raises(CassetteError, match=r"interactions\[0\]\.request\.params\.odd\.a"):
        cassette_from_data(document)


def test_a_big_integer_names_the_file_and_path(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    document = record_one(url_request()).to_json()
    text = json.dumps(document).replace('"status": 200', '"status": ' + "9" * 5000)
    path.write_text(text)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert str(path) in message
    assert "$.interactions[0].response.status" in message
    assert "5000 digits" in message


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_the_format_version_is_the_integer_1(version: Any) -> None:
    document = record_one(url_request()).to_json()
    document["densemark_cassette"] = version
    with pytest.raises(CassetteError, match=r"format version .* is not supported"):
        cassette_from_data(document)


@pytest.mark.parametrize("status", [100, 101, 199])
def test_interim_statuses_are_refused(status: int) -> None:
    document = record_one(url_request()).to_json()
    document["interactions"][0]["response"]["status"] = status
    with pytest.raises(CassetteError, match=r"response\.status: expected an HTTP status"):
        cassette_from_data(document)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_are_written_with_the_umask_mode(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        target = tmp_path / "mode.json"
        record_one(url_request()).write(target)
        with open(tmp_path / "plain", "w", encoding="utf-8"):
            pass
    finally:
        os.umask(previous)
    expected = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    assert stat.S_IMODE(target.stat().st_mode) == expected == 0o666 & ~umask


def test_a_recording_lost_to_another_worker_warns(tmp_path: Path) -> None:
    target = tmp_path / "raced.json"
    target.write_text("{}", encoding="utf-8")  # another worker's file appeared meanwhile
    with pytest.warns(CassetteWarning, match=f"{target}: this recording was not written"):
        assert record_one(url_request()).write(target, overwrite=False) is False
    assert target.read_text(encoding="utf-8") == "{}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert record_one(url_request()).write(tmp_path / "fresh.json", overwrite=False)


def test_controller_warns_when_its_new_recording_lost_the_race(tmp_path: Path) -> None:
    controller = Controller(search_dirs=[tmp_path], record_mode="new")
    assert controller.use_cassette("raced") is None  # missing: recording
    recorder = controller._recorder
    assert recorder is not None
    recorder.record(url_request(), httpx.Response(200, json=FACEPP_BODY))
    (tmp_path / "raced.json").write_text("{}", encoding="utf-8")  # another worker won
    with pytest.warns(CassetteWarning, match="raced.json: this recording was not written"):
        controller.finish()
    assert (tmp_path / "raced.json").read_text(encoding="utf-8") == "{}"
