"""The seam between the cassette core and the vendors: the CassetteRules protocol.

Every registered vendor implements it; a recorded request and the live request it came from
get the same match key (one key builder per vendor); and a vendor the kit does not ship (the
toy of :mod:`toyvendor`), registered by a test, is stored, matched, recorded and validated by
the same core.
"""

from __future__ import annotations

import ast
import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from toyvendor import facts as toy_facts
from vendor_contracts import registered_toy

from pytest_densemark import facepp, tencent, vendors
from pytest_densemark._redaction import REDACTED
from pytest_densemark.cassettes import (
    CassetteError,
    CassetteMismatch,
    CassetteRules,
    KeySource,
    Player,
    Recorder,
    cassette_document,
    cassette_from_data,
    load_cassette,
    redact_request,
    request_secrets,
    validate_cassette,
)
from pytest_densemark.cassettes.match import live_key, stored_key
from pytest_densemark.cassettes.rules import ImageKey, stored_image, stored_url
from pytest_densemark.cassettes.summary import digest, image_summary, url_summary
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 200, 160, seed=5)
B64 = base64.b64encode(IMAGE).decode()
CREDENTIALS = {"api_key": "rules-key-0123456789", "api_secret": "rules-secret-0123456789"}
TC_AUTH = (
    "TC3-HMAC-SHA256 Credential=AKIDrules0123456789/2024-05-01/iai/tc3_request,"
    " SignedHeaders=content-type;host, Signature=00ff00ff00ff"
)
IMAGE_URL = "https://user:pass@images.example/face.jpg?X-Amz-Signature=abc123"
CORE = Path(__file__).resolve().parents[1] / "pytest_densemark" / "cassettes"


# --- every vendor implements the protocol --------------------------------------------------


@pytest.mark.parametrize("vendor", list(vendors.all_vendors()), ids=lambda v: v.name)
def test_every_vendor_implements_the_cassette_rules(vendor: vendors.Vendor) -> None:
    rules = vendor.cassette
    assert isinstance(rules, CassetteRules)
    assert isinstance(rules.error_kind, str)
    assert all(isinstance(text, str) for text in rules.plain_text_errors)
    for name in ("recording_action", "redact_header", "redact_params"):
        assert callable(getattr(rules, name))
    for name in ("key_source", "match_key", "check_body"):
        assert (getattr(rules, name).__doc__ or "").strip(), f"{vendor.name}.{name} undocumented"
    # A request naming nothing gets a key all the same, built from an empty source.
    empty = rules.match_key(KeySource({}, {}), with_image=True)
    assert [name for name, _ in empty][-1] == "image"
    assert all(isinstance(name, str) for name, _ in empty)


# --- one key builder: a recorded request and its live request agree ------------------------


def facepp_multipart(return_landmark: str | None = "all") -> httpx.Request:
    data = dict(CREDENTIALS)
    if return_landmark is not None:
        data["return_landmark"] = return_landmark
    return httpx.Request(
        "POST", facepp.URL, data=data, files={"image_file": ("f.jpg", IMAGE, "image/jpeg")}
    )


def facepp_form(**fields: str) -> httpx.Request:
    return httpx.Request("POST", facepp.URL, data={**CREDENTIALS, **fields})


def facepp_query(**fields: str) -> httpx.Request:
    return httpx.Request("POST", facepp.URL, params={**CREDENTIALS, **fields})


def tencent_json(params: dict[str, Any], *, host: str = tencent.HOST) -> httpx.Request:
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[-1],
        "X-TC-Token": "rules-token-0123456789",
        "Authorization": TC_AUTH,
    }
    return httpx.Request("POST", f"https://{host}/", headers=headers, json=params)


def tencent_get(params: dict[str, str]) -> httpx.Request:
    headers = {"X-TC-Action": tencent.ACTION, "X-TC-Version": tencent.VERSIONS[0]}
    headers["Authorization"] = TC_AUTH
    return httpx.Request("GET", f"https://{tencent.HOST}/", headers=headers, params=params)


def tencent_old_form(params: dict[str, str], *, host: str = tencent.HOST) -> httpx.Request:
    common = {
        "Action": tencent.ACTION,
        "Version": tencent.VERSIONS[0],
        "SecretId": "AKIDrules0123456789",
        "Signature": "c2lnbmF0dXJlMDEyMw==",
        "Timestamp": "1714521600",
        "Nonce": "4711",
        "SignatureMethod": "HmacSHA256",
        "Region": "ap-guangzhou",
    }
    body = urlencode({**common, **params}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return httpx.Request("POST", f"http://{host}/", headers=headers, content=body)


REQUESTS: dict[str, Callable[[], httpx.Request]] = {
    "facepp multipart": facepp_multipart,
    "facepp parts, odd spelling": lambda: facepp_multipart(" Mouth , NOSE ,"),
    "facepp ALL": lambda: facepp_multipart("ALL"),
    "facepp no return_landmark": lambda: facepp_multipart(None),
    "facepp refused value": lambda: facepp_multipart("no_such_part"),
    "facepp base64 form": lambda: facepp_form(image_base64=B64, return_landmark="nose"),
    "facepp image URL in the query": lambda: facepp_query(image_url=IMAGE_URL),
    "facepp face token": lambda: facepp_form(face_token="token-1", user_id="u-1"),
    "facepp loopback": lambda: httpx.Request(
        "POST", f"http://127.0.0.1:1{facepp.PATH}", data={**CREDENTIALS, "image_base64": B64}
    ),
    "tencent image": lambda: tencent_json({"Image": B64}),
    "tencent mode and model": lambda: tencent_json(
        {"Image": B64, "Mode": 1, "FaceModelVersion": "3.0"}
    ),
    "tencent URL, regional host": lambda: tencent_json(
        {"Url": IMAGE_URL}, host="iai.ap-guangzhou.tencentcloudapi.com"
    ),
    "tencent not JSON": lambda: httpx.Request(
        "POST",
        f"https://{tencent.HOST}/",
        headers={"X-TC-Action": tencent.ACTION, "Authorization": TC_AUTH},
        content=b"{not json",
    ),
    "tencent GET": lambda: tencent_get({"Url": IMAGE_URL, "Mode": "1"}),
    "tencent old signature": lambda: tencent_old_form({"Image": B64, "Mode": "1"}),
    "tencent old signature, loopback": lambda: tencent_old_form(
        {"Url": IMAGE_URL}, host="127.0.0.1:8080"
    ),
}


@pytest.mark.parametrize("with_image", [False, True], ids=["synthetic", "recorded"])
@pytest.mark.parametrize("make", REQUESTS.values(), ids=REQUESTS.keys())
def test_recorded_and_live_requests_get_the_same_key(
    make: Callable[[], httpx.Request], with_image: bool
) -> None:
    recorder = Recorder()
    recorder.record(make(), httpx.Response(200, json={"ok": True}))
    data = recorder.to_json()
    cassette = cassette_from_data(data)
    (interaction,) = cassette.interactions
    stored = stored_key(interaction.request, cassette, with_image=with_image)
    assert stored == live_key(make(), with_image=with_image)
    player = Player(cassette if with_image else cassette_from_data(data | {"source": "synthetic"}))
    assert player.respond(make()).json() == {"ok": True}


def test_a_live_request_that_names_no_action_does_not_take_the_cassettes() -> None:
    # A recorded request without X-TC-Action asks for the cassette's action; a live one asks
    # for none, and the emulator would refuse it: it must not be answered from a cassette.
    recorded = tencent_json({"Image": B64})
    cassette = cassette_from_data(
        cassette_document(
            vendor="tencent",
            action=tencent.ACTION,
            version=tencent.VERSIONS[-1],
            description="",
            source="synthetic",
            interactions=[
                {
                    "request": redact_request(recorded)
                    | {"headers": {"x-tc-version": tencent.VERSIONS[-1]}},
                    "response": {"status": 200, "headers": {}, "body": {"Response": {}}},
                }
            ],
        )
    )
    assert Player(cassette).respond(tencent_json({"Image": B64})).status_code == 200
    bare = tencent_json({"Image": B64})
    del bare.headers["X-TC-Action"]
    with pytest.raises(CassetteMismatch, match="X-TC-Action: cassette has 'AnalyzeDenseLandmarks'"):
        Player(cassette).respond(bare)


def test_old_signature_recordings_name_the_action_and_version_sent() -> None:
    recorder = Recorder()
    recorder.record(tencent_old_form({"Mode": "1"}), httpx.Response(200, json={}))
    assert (recorder.action, recorder.version) == (tencent.ACTION, tencent.VERSIONS[0])
    recorder.record(tencent_json({}), httpx.Response(200, json={}))  # the first one decides
    assert recorder.version == tencent.VERSIONS[0]


# --- key values say how a mismatch shows them ----------------------------------------------


def test_image_keys_describe_themselves() -> None:
    summary = image_summary(IMAGE)
    assert stored_image(summary) == ImageKey("digest", summary["digest"])
    assert stored_image("raw").describe() == "value raw"
    url = stored_url("image_url", url_summary(IMAGE_URL))
    assert url == stored_url("image_url", IMAGE_URL)  # cassettes written before summaries
    assert url.describe() == f"image_url with sha256 {digest(IMAGE_URL)[:12]}..."


def test_part_sets_show_as_parts() -> None:
    cassette = cassette_from_data(
        _document_for(facepp_multipart("all"), vendor="facepp", source="synthetic")
    )
    with pytest.raises(CassetteMismatch) as info:
        Player(cassette).respond(facepp_multipart("nose,mouth"))
    assert "return_landmark: cassette has all parts, request has {mouth, nose}" in str(info.value)


def _document_for(request: httpx.Request, *, vendor: str, source: str) -> dict[str, Any]:
    return {
        "densemark_cassette": 1,
        "vendor": vendor,
        "action": "x",
        "version": None,
        "description": "",
        "source": source,
        "kit_version": "0",
        "interactions": [
            {
                "request": redact_request(request),
                "response": {"status": 200, "headers": {}, "body": {"ok": True}},
            }
        ],
    }


# --- the core's own redaction rules, the same for every vendor -----------------------------


def test_requests_for_no_vendor_keep_only_a_body_summary() -> None:
    request = httpx.Request(
        "POST",
        "https://user:pw@example.com/x?token=t0ken",
        headers={"Authorization": "Bearer abc", "Content-Type": "text/plain", "X-Other": "1"},
        content=b"body",
    )
    summary = redact_request(request)
    assert summary["headers"] == {"authorization": REDACTED, "content-type": "text/plain"}
    assert summary["params"] == {"$body": image_summary(b"body")}
    assert summary["url"] == "https://example.com/x"
    secrets = request_secrets(request)
    assert secrets["Authorization"] == "Bearer abc"
    assert set(secrets.values()) >= {"pw", "t0ken"}


def test_vendor_headers_are_the_vendors_rule() -> None:
    summary = redact_request(tencent_json({"Image": B64}))
    headers = summary["headers"]
    assert headers["x-tc-token"] == REDACTED
    assert headers["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={REDACTED}/")
    # Face++ keeps no header but the content type, whatever a client adds.
    request = facepp_form(image_base64=B64)
    request.headers["X-TC-Region"] = "ap-guangzhou"
    assert list(redact_request(request)["headers"]) == ["content-type"]


# --- a vendor the kit does not ship ---------------------------------------------------------


@pytest.fixture
def toy() -> Iterator[vendors.Vendor]:
    """The toy vendor of the tests (:mod:`toyvendor`), registered for one test."""
    with registered_toy() as vendor:
        yield vendor


def toy_request(image: bytes, key: str = "toy-secret-0123456789") -> httpx.Request:
    body = {"api_key": key, "image_base64": base64.b64encode(image).decode()}
    # A header the toy's API ignores: the core still keeps its secret out of a cassette.
    headers = {"Authorization": "Bearer tk-0123456789abcdef"}
    return httpx.Request("POST", toy_facts.URL, headers=headers, json=body)


@pytest.mark.usefixtures("toy")
def test_a_new_vendor_needs_no_change_to_the_core(tmp_path: Path) -> None:
    first, second, third = (make_image("PNG", 200, 160, seed=seed) for seed in (1, 2, 3))
    emulator = Emulator()
    emulator.set_credentials(api_key="toy-secret-0123456789")
    recorder = Recorder(description="toy")
    for request in (toy_request(first), toy_request(second, key="toy-wrong-key-9876543210")):
        recorder.record(request, emulator.handle(request))
    path = tmp_path / "toy.json"
    assert recorder.write(path)
    text = path.read_text(encoding="utf-8")
    assert "toy-secret" not in text
    assert "toy-wrong-key" not in text
    assert "tk-0123456789abcdef" not in text
    cassette = load_cassette(path)
    assert (cassette.vendor, cassette.action, cassette.version) == ("toy", "landmarks", "1")
    assert validate_cassette(cassette) == []
    player = Player(cassette)
    assert player.respond(toy_request(second, key="other")).json()["error"] == "BAD_KEY"
    assert len(player.respond(toy_request(first)).json()["points"]) == len(toy_facts.POINTS)
    with pytest.raises(CassetteMismatch, match="image: cassette has digest"):
        player.respond(toy_request(third))
    # Its vendor is in the format's list while it is registered.
    with pytest.raises(CassetteError, match="vendor: expected one of facepp, tencent, toy"):
        cassette_from_data(json.loads(text) | {"vendor": "nobody"})


def test_an_unregistered_vendor_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.json"
    document = _document_for(facepp_multipart(), vendor="toy", source="synthetic")
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    assert str(info.value).startswith(f"{path}: vendor: expected one of facepp, tencent, got")


def test_plain_text_answers_are_valid_only_when_documented() -> None:
    document = _document_for(facepp_multipart(), vendor="facepp", source="synthetic")
    error = next(e for e in facepp.ERRORS.values() if not e.json)
    document["interactions"][0]["response"]["body"] = error.message()
    assert validate_cassette(document) == []
    document["interactions"][0]["response"]["body"] = "made up"
    ((where, message),) = validate_cassette(document)
    assert where == "interactions[0].response.body"
    assert message.startswith("expected JSON or a documented plain-text error")
    document["vendor"] = "tencent"
    document["interactions"][0]["response"]["body"] = error.message()
    assert len(validate_cassette(document)) == 1


def test_the_recorded_form_is_what_a_key_source_reads() -> None:
    # key_source summarises with the redaction's own code: same values, fewer fields.
    request = facepp_form(image_base64=B64, return_landmark="nose", user_id="u")
    stored = redact_request(request)["params"]
    source = vendors.get("facepp").cassette.key_source(request, None, with_image=True)
    assert dict(source.params) == {k: v for k, v in stored.items() if k != "user_id"}
    query = dict(parse_qsl(redact_request(tencent_get({"Mode": "1"}))["url"].partition("?")[2]))
    assert query == {}


# --- the core holds no vendor rule --------------------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_cassette_core_names_no_vendor(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    docstrings = _docstrings(tree)
    assert ast.get_docstring(tree), f"{path.name} has no opening docstring"
    assert len(text.splitlines()) <= 600, f"{path.name} is over 600 lines"
    named = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in docstrings
        and isinstance(node.value, str)
        and any(name in node.value.lower() for name in ("facepp", "tencent", "x-tc-"))
    ]
    assert named == [], f"{path.name} names a vendor: {named}"
    vendor_modules = {"facepp", "tencent", "wire", "tc3", "payloads"}
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            imported += [
                m
                for m in modules
                if (m.split(".")[1:2] and m.split(".")[1] in vendor_modules)
                or m.startswith("pytest_densemark.vendors.")
            ]
    assert imported == [], f"{path.name} imports a vendor module: {imported}"
