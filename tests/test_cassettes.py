"""Cassette format, loader, redaction, matching and the secret-checked atomic writer."""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_densemark import __version__, facepp, tencent
from pytest_densemark.cassettes import (
    FORMAT_VERSION,
    REDACTED,
    Cassette,
    CassetteError,
    CassetteMismatch,
    Player,
    Recorder,
    cassette_document,
    cassette_from_data,
    dump_cassette,
    list_cassettes,
    load_cassette,
    redact_request,
    request_secrets,
    validate_cassette,
    validation_hook,
    write_cassette,
)
from pytest_densemark.images import make_image, sniff

CANARY_KEY = "canary-key-7f3a9c1e5b2d4f60"
CANARY_SECRET = "canary-secret-Zq8+/=x&y 91"
CANARY_ID = "AKIDcanary0123456789abcdefghij"
CANARY_TOKEN = "canary-token-000111222333"
IMAGE = make_image("JPEG", 240, 240, seed=1)
OTHER_IMAGE = make_image("JPEG", 240, 240, seed=2)
FACEPP_URL = facepp.URL
TC_AUTH = (
    f"TC3-HMAC-SHA256 Credential={CANARY_ID}/2024-05-01/iai/tc3_request,"
    " SignedHeaders=content-type;host, Signature=0123456789abcdef0123456789abcdef"
)


def facepp_request(
    *,
    url: str = FACEPP_URL,
    return_landmark: str = "all",
    image: bytes = IMAGE,
    how: str = "multipart",
) -> httpx.Request:
    """A Face++ request carrying the canary credentials, sent the way ``how`` says."""
    fields = {"api_key": CANARY_KEY, "api_secret": CANARY_SECRET}
    fields["return_landmark"] = return_landmark
    if how == "multipart":
        return httpx.Request("POST", url, data=fields, files={"image_file": ("f.jpg", image)})
    fields["image_base64"] = base64.b64encode(image).decode()
    if how == "urlencoded":
        return httpx.Request("POST", url, data=fields)
    return httpx.Request("POST", url, params=fields)


def tencent_request(
    *,
    host: str = tencent.HOST,
    version: str = "2020-03-03",
    image: bytes = IMAGE,
    **params: Any,
) -> httpx.Request:
    """A Tencent request with canary SecretId, signature and token."""
    body = {"Image": base64.b64encode(image).decode(), **params}
    return httpx.Request(
        "POST",
        f"https://{host}/",
        json=body,
        headers={
            "X-TC-Action": tencent.ACTION,
            "X-TC-Version": version,
            "X-TC-Timestamp": "1714521600",
            "X-TC-Token": CANARY_TOKEN,
            "Authorization": TC_AUTH,
            "Cookie": f"session={CANARY_SECRET}",
        },
    )


def document(
    interactions: list[tuple[httpx.Request, int, Any]],
    *,
    vendor: str = "facepp",
    source: str = "synthetic",
) -> dict[str, Any]:
    """A cassette document answering each request with (status, body)."""
    return {
        "densemark_cassette": FORMAT_VERSION,
        "vendor": vendor,
        "action": "thousandlandmark" if vendor == "facepp" else tencent.ACTION,
        "version": None if vendor == "facepp" else "2020-03-03",
        "description": "test cassette",
        "source": source,
        "kit_version": __version__,
        "interactions": [
            {
                "request": redact_request(request),
                "response": {
                    "status": status,
                    "headers": {"Content-Type": "application/json"},
                    "body": body,
                },
            }
            for request, status, body in interactions
        ],
    }


def all_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# --- redaction --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["multipart", "urlencoded", "query"])
def test_facepp_redaction_drops_credentials_and_image_bytes(how: str) -> None:
    request = facepp_request(how=how)
    summary = redact_request(request)
    text = all_text(summary)
    assert CANARY_KEY not in text
    assert "canary-secret" not in text
    assert "api_key" not in summary["params"]
    assert "?" not in summary["url"]
    assert summary["url"] == FACEPP_URL
    image_field = "image_file" if how == "multipart" else "image_base64"
    info = sniff(IMAGE)
    assert info is not None
    assert summary["params"][image_field] == {
        "digest": info.digest,
        "size": len(IMAGE),
        "format": "JPEG",
    }
    assert summary["params"]["return_landmark"] == "all"
    assert base64.b64encode(IMAGE).decode()[:40] not in text
    assert request_secrets(request) == {"api_key": CANARY_KEY, "api_secret": CANARY_SECRET}


def test_multipart_boundary_is_not_stored() -> None:
    summary = redact_request(facepp_request())
    assert summary["headers"] == {"content-type": "multipart/form-data"}


def test_tencent_redaction_keeps_shape_but_no_secret() -> None:
    request = tencent_request(Mode=1)
    summary = redact_request(request)
    text = all_text(summary)
    for secret in (CANARY_ID, CANARY_TOKEN, "0123456789abcdef0123", "canary-secret"):
        assert secret not in text
    headers = summary["headers"]
    assert headers["authorization"] == (
        f"TC3-HMAC-SHA256 Credential={REDACTED}/2024-05-01/iai/tc3_request,"
        f" SignedHeaders=content-type;host, Signature={REDACTED}"
    )
    assert headers["x-tc-token"] == REDACTED
    assert headers["x-tc-action"] == tencent.ACTION
    assert "cookie" not in headers
    assert summary["params"]["Mode"] == 1
    assert summary["params"]["Image"]["format"] == "JPEG"
    assert request_secrets(request) == {
        "SecretId": CANARY_ID,
        "Signature": "0123456789abcdef0123456789abcdef",
        "X-TC-Token": CANARY_TOKEN,
    }


def test_unknown_authorization_scheme_is_redacted_whole() -> None:
    request = httpx.Request(
        "POST", f"https://{tencent.HOST}/", json={}, headers={"Authorization": "Bearer xyz123"}
    )
    assert redact_request(request)["headers"]["authorization"] == REDACTED
    assert request_secrets(request) == {"Authorization": "Bearer xyz123"}


# --- loading ----------------------------------------------------------------------------------


def write_doc(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_by_name_and_path(tmp_path: Path) -> None:
    doc = document([(facepp_request(), 200, {"time_used": 1})])
    path = write_doc(tmp_path / "mine" / "one.json", doc)
    by_name = load_cassette("mine/one", search_dirs=[tmp_path])
    assert by_name.name == "mine/one"
    assert by_name.vendor == "facepp"
    assert by_name.source == "synthetic"
    assert by_name.path is not None
    assert by_name.path.resolve() == path.resolve()
    assert load_cassette("mine/one.json", search_dirs=[tmp_path]) is by_name
    assert load_cassette(path, search_dirs=[tmp_path]).name == "mine/one"
    outside = load_cassette(path)
    assert outside.name == "one"
    assert outside.interactions[0].response.body == {"time_used": 1}


def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = write_doc(tmp_path / "c.json", document([(facepp_request(), 200, {"a": 1})]))
    first = load_cassette(path)
    assert load_cassette(path) is first
    doc = document([(facepp_request(), 200, {"a": 2})])
    doc["description"] = "changed, and longer so the size differs"
    write_doc(path, doc)
    os.utime(path, ns=(1, 1))
    second = load_cassette(path)
    assert second is not first
    assert second.interactions[0].response.body == {"a": 2}


def test_response_body_is_a_fresh_copy(tmp_path: Path) -> None:
    cassette = cassette_from_data(document([(facepp_request(), 200, {"a": [1]})]))
    body = cassette.interactions[0].response.body
    body["a"].append(2)
    assert cassette.interactions[0].response.body == {"a": [1]}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "top level: expected a JSON object"),
        ('{"vendor": "facepp"}', "not a densemark cassette"),
        ('{"densemark_cassette": 99}', "format version 99 is not supported"),
    ],
)
def test_corrupt_or_wrong_version_names_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CassetteError, match=expected) as info:
        load_cassette(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(vendor="other"), "vendor: expected one of facepp, tencent"),
        (lambda d: d.update(source="made-up"), "source: expected one of synthetic, recorded"),
        (lambda d: d.update(interactions=[]), "interactions: expected a non-empty list"),
        (
            lambda d: d["interactions"][0]["response"].update(status="200"),
            r"interactions\[0\]\.response\.status: expected an HTTP status",
        ),
        (
            lambda d: d["interactions"][0]["request"]["headers"].update(x=1),
            r"interactions\[0\]\.request\.headers\.x: expected a string",
        ),
        (lambda d: d.pop("description"), "description: expected a string"),
    ],
)
def test_malformed_fields_are_named(tmp_path: Path, change: Any, expected: str) -> None:
    doc = document([(facepp_request(), 200, {})])
    change(doc)
    path = write_doc(tmp_path / "bad.json", doc)
    with pytest.raises(CassetteError, match=expected):
        load_cassette(path)


def test_unknown_name_suggests_close_ones(tmp_path: Path) -> None:
    write_doc(tmp_path / "facepp" / "mine.json", document([(facepp_request(), 200, {})]))
    with pytest.raises(CassetteError, match=r"not found .*did you mean facepp/mine"):
        load_cassette("facepp/mien", search_dirs=[tmp_path])


def test_list_puts_user_dirs_before_the_library(tmp_path: Path) -> None:
    write_doc(tmp_path / "zz.json", document([(facepp_request(), 200, {})]))
    listed = list_cassettes([tmp_path])
    assert listed[0].name == "zz"
    assert [c.name for c in listed[1:]] == [c.name for c in list_cassettes()]


def test_dump_is_readable_deterministic_and_round_trips() -> None:
    doc = document([(facepp_request(), 200, {"face": {"landmark": {"nose": {"a": 1}}}})])
    text = dump_cassette(doc)
    assert text == dump_cassette(json.loads(text))
    assert text.endswith("}\n")
    assert '"densemark_cassette": 1,\n' in text
    assert '"nose": {"a": 1}' in text  # small leaf objects stay on one line
    assert cassette_from_data(json.loads(text)).to_json() == doc


def test_cassette_document_is_the_file_layout() -> None:
    doc = document([(facepp_request(), 200, {"time_used": 3, "request_id": "r"})])
    built = cassette_document(
        vendor="facepp",
        action="thousandlandmark",
        version=None,
        description="test cassette",
        source="synthetic",
        interactions=doc["interactions"],
    )
    assert list(built) == list(doc)  # keys in the order the files have them
    assert built == doc
    assert cassette_from_data(built).to_json() == doc


# --- matching ---------------------------------------------------------------------------------


def test_same_request_replays_in_order_then_repeats_the_last() -> None:
    request = facepp_request()
    cassette = cassette_from_data(
        document([(request, 403, {"n": 1}), (request, 403, {"n": 2}), (request, 200, {"n": 3})])
    )
    player = Player(cassette)
    answers = [player.respond(facepp_request()) for _ in range(4)]
    assert [(r.status_code, r.json()["n"]) for r in answers] == [
        (403, 1),
        (403, 2),
        (200, 3),
        (200, 3),
    ]
    assert player.unplayed() == []
    assert answers[0].headers["content-type"] == "application/json"


def test_without_repeats_an_exhausted_request_is_a_mismatch() -> None:
    cassette = cassette_from_data(document([(facepp_request(), 200, {})]))
    player = Player(cassette, allow_repeats=False)
    player.respond(facepp_request())
    with pytest.raises(CassetteMismatch, match="already played"):
        player.respond(facepp_request())
    player.reset()
    assert len(player.unplayed()) == 1


def test_unplayed_lists_what_is_left() -> None:
    cassette = cassette_from_data(
        document([(facepp_request(), 200, {}), (facepp_request(return_landmark="nose"), 200, {})])
    )
    player = Player(cassette)
    player.respond(facepp_request())
    assert [i.index for i in player.unplayed()] == [1]


@pytest.mark.parametrize(
    "request_",
    [
        facepp_request(url=FACEPP_URL.replace("api-cn", "api-us")),
        facepp_request(how="urlencoded"),
        facepp_request(how="query"),
        facepp_request(return_landmark=",".join(reversed(facepp.ALL_PARTS))),
        facepp_request(return_landmark="nose,all"),
        facepp_request(image=OTHER_IMAGE),
    ],
    ids=["other-host", "urlencoded", "query", "explicit-parts", "all-anywhere", "other-image"],
)
def test_facepp_matching_ignores_what_does_not_change_the_answer(
    request_: httpx.Request,
) -> None:
    cassette = cassette_from_data(document([(facepp_request(), 200, {"ok": True})]))
    assert Player(cassette).respond(request_).json() == {"ok": True}


def test_facepp_part_sets_must_agree() -> None:
    recorded = facepp_request(return_landmark="nose,mouth")
    cassette = cassette_from_data(document([(recorded, 200, {"ok": True})]))
    assert Player(cassette).respond(facepp_request(return_landmark=" mouth , nose")).is_success
    with pytest.raises(CassetteMismatch) as info:
        Player(cassette).respond(facepp_request(return_landmark="nose"))
    message = str(info.value)
    assert "cassette '<memory>'" in message
    assert "nearest is interaction #0" in message
    assert "return_landmark: cassette has {mouth, nose}, request has {nose}" in message


def test_recorded_cassettes_match_the_image_digest() -> None:
    cassette = cassette_from_data(
        document([(facepp_request(), 200, {"ok": True})], source="recorded")
    )
    assert Player(cassette).respond(facepp_request(how="urlencoded")).is_success
    with pytest.raises(CassetteMismatch, match="image: cassette has digest"):
        Player(cassette).respond(facepp_request(image=OTHER_IMAGE))


def test_tencent_matching() -> None:
    cassette = cassette_from_data(
        document([(tencent_request(), 200, {"Response": {}})], vendor="tencent")
    )
    player = Player(cassette)
    # Regional host, explicit default Mode and model version, new credentials: same answer.
    same = tencent_request(host="iai.ap-guangzhou.tencentcloudapi.com", Mode=0)
    assert player.respond(same).status_code == 200
    assert Player(cassette).respond(tencent_request(FaceModelVersion="3.0")).status_code == 200
    for other, diff in [
        (tencent_request(Mode=1), "Mode: cassette has 0, request has 1"),
        (tencent_request(version="2018-03-01"), "X-TC-Version: cassette has '2020-03-03'"),
        (tencent_request(FaceModelVersion="2.0"), "FaceModelVersion"),
        (facepp_request(), "host family: cassette has 'tencent', request has 'facepp'"),
    ]:
        with pytest.raises(CassetteMismatch, match=diff):
            Player(cassette).respond(other)


def test_player_is_thread_safe() -> None:
    request = facepp_request()
    cassette = cassette_from_data(document([(request, 200, {"n": n}) for n in range(40)]))
    player = Player(cassette, allow_repeats=False)
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            n = player.respond(facepp_request()).json()["n"]
            with lock:
                seen.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(40))


# --- writing ----------------------------------------------------------------------------------


def test_write_refuses_a_surviving_secret(tmp_path: Path) -> None:
    doc = document([(facepp_request(), 200, {"echo": f"key was {CANARY_KEY}"})])
    target = tmp_path / "out.json"
    with pytest.raises(CassetteError) as info:
        write_cassette(target, doc, secrets={"api_key": CANARY_KEY})
    message = str(info.value)
    assert str(target) in message
    assert "api_key" in message
    assert "interactions[0].response.body.echo" in message
    assert CANARY_KEY not in message  # the error masks the value
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s,
        lambda s: __import__("urllib.parse").parse.quote_plus(s),
        lambda s: __import__("urllib.parse").parse.quote(s, safe=""),
        lambda s: base64.b64encode(s.encode()).decode(),
    ],
    ids=["plain", "quote-plus", "quote", "base64"],
)
def test_write_finds_encoded_secrets(tmp_path: Path, encode: Any) -> None:
    doc = document([(facepp_request(), 200, {"x": f"..{encode(CANARY_SECRET)}.."})])
    with pytest.raises(CassetteError, match="refusing to write"):
        write_cassette(tmp_path / "o.json", doc, secrets=[CANARY_SECRET])


def test_write_then_load(tmp_path: Path) -> None:
    doc = document([(facepp_request(), 200, {"ok": True})])
    target = tmp_path / "deep" / "dir" / "c.json"
    assert write_cassette(target, doc, secrets=[CANARY_KEY, CANARY_SECRET])
    assert target.read_text(encoding="utf-8") == dump_cassette(doc)
    assert load_cassette(target).interactions[0].response.body == {"ok": True}
    assert not write_cassette(target, doc, overwrite=False)


def test_write_checks_the_structure(tmp_path: Path) -> None:
    doc = document([(facepp_request(), 200, {})])
    doc["densemark_cassette"] = 2
    with pytest.raises(CassetteError, match="format version 2"):
        write_cassette(tmp_path / "c.json", doc)
    assert not (tmp_path / "c.json").exists()


def test_concurrent_writers_leave_one_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.json"
    big = {"landmark": {f"k{i}": {"x": i, "y": i} for i in range(2000)}}
    errors: list[BaseException] = []
    created: list[bool] = []

    def worker(n: int) -> None:
        doc = document([(facepp_request(), 200, big)])
        doc["description"] = f"writer {n}"
        try:
            for _ in range(5):
                write_cassette(target, doc)
                # A reader never sees a half-written file.
                assert load_cassette(target).vendor == "facepp"
            created.append(write_cassette(tmp_path / "once.json", doc, overwrite=False))
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert load_cassette(target).description.startswith("writer ")
    assert created.count(True) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["once.json", "shared.json"]


def fake_facepp_service(request: httpx.Request) -> httpx.Response:
    """Answers like Face++ would, for the record round trip."""
    return httpx.Response(
        200,
        json={"time_used": 5, "request_id": "1,abc", "face": {}},
        headers={"Set-Cookie": f"s={CANARY_SECRET}"},
    )


def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    recorder = Recorder(description="recorded against a fake")
    with httpx.Client(transport=httpx.MockTransport(fake_facepp_service)) as client:
        request = facepp_request()
        response = client.send(request)
        recorder.record(request, response)
    target = tmp_path / "rec.json"
    assert recorder.write(target, secrets={"SecretKey": "never-sent-value"})
    raw = target.read_bytes()
    for secret in (CANARY_KEY, b"canary-secret", base64.b64encode(IMAGE)[:40]):
        assert (secret.encode() if isinstance(secret, str) else secret) not in raw
    cassette = load_cassette(target)
    assert cassette.source == "recorded"
    assert cassette.vendor == "facepp"
    assert cassette.kit_version == __version__
    assert "set-cookie" not in {k.lower() for k in cassette.interactions[0].response.headers}
    player = Player(cassette)
    assert player.respond(facepp_request(how="query")).json()["time_used"] == 5
    with pytest.raises(CassetteMismatch):
        player.respond(facepp_request(image=OTHER_IMAGE))


def test_recorder_refuses_a_response_echoing_a_secret(tmp_path: Path) -> None:
    recorder = Recorder()
    request = tencent_request()
    echo = httpx.Response(200, json={"Response": {"RequestId": "r", "Echo": CANARY_TOKEN}})
    recorder.record(request, echo)
    with pytest.raises(CassetteError, match=r"X-TC-Token \(interaction 0\)"):
        recorder.write(tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()


def test_recorder_with_nothing_recorded(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="nothing to write"):
        Recorder().write(tmp_path / "x.json")


def test_cassette_label_names_the_file(tmp_path: Path) -> None:
    path = write_doc(tmp_path / "lab.json", document([(facepp_request(), 200, {})]))
    cassette: Cassette = load_cassette(path)
    assert cassette.label == f"cassette 'lab' ({path})"


# --- validation -------------------------------------------------------------------------------


def test_validate_cassette_names_the_json_path() -> None:
    good = {"time_used": 5, "request_id": "1575000000,00000000-0000-4000-8000-000000000000"}
    doc = document([(facepp_request(), 200, good), (facepp_request(), 200, {"face": 3})])
    problems = validate_cassette(doc)
    assert problems
    assert all(path.startswith("interactions[1].response.body") for path, _ in problems)


def test_plain_text_bodies_must_be_documented() -> None:
    doc = document([(facepp_request(), 413, None)])
    doc["interactions"][0]["response"]["body"] = facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"].message()
    assert validate_cassette(doc) == []
    doc["interactions"][0]["response"]["body"] = "Bad Gateway"
    ((path, message),) = validate_cassette(doc)
    assert path == "interactions[0].response.body"
    assert "'Bad Gateway'" in message


def test_validation_hook_only_takes_cassettes() -> None:
    assert validation_hook({"time_used": 1}) is None
    assert validation_hook([1]) is None
    with pytest.raises(CassetteError, match=r"^cassette format version 3"):
        validation_hook({"densemark_cassette": 3})
    doc = document([(facepp_request(), 500, {"error_message": "INTERNAL_ERROR"})])
    ((label, result),) = validation_hook(doc) or []
    assert label == "interactions[0].response.body"
    assert result.kind == "facepp-error"


def test_player_uses_parameters_the_caller_already_parsed() -> None:
    """``parsed=`` answers as re-reading the request would, and is what the key is built from."""
    from pytest_densemark.wire import parse_facepp

    request = httpx.Request(
        "POST",
        facepp.URL,
        data={"api_key": "k", "api_secret": "s", "return_landmark": "all"},
        files={"image_file": ("face.jpg", make_image("JPEG", 640, 480), "image/jpeg")},
    )
    by_reading = Player(load_cassette("facepp/full-9part")).respond(request)
    parsed = parse_facepp(request)
    given = Player(load_cassette("facepp/full-9part")).respond(request, parsed=parsed)
    assert given.status_code == by_reading.status_code == 200
    assert given.json()["face"] == by_reading.json()["face"]
    # The key comes from ``parsed``: parameters naming other parts no longer match.
    parsed.fields["return_landmark"] = "mouth"
    with pytest.raises(CassetteMismatch, match="return_landmark"):
        Player(load_cassette("facepp/full-9part")).respond(request, parsed=parsed)
