"""The one redaction helper behind every kit message and repr: no credential is ever printed."""

from __future__ import annotations

import base64

import httpx
import pytest

from pytest_densemark import facepp, tencent, wire
from pytest_densemark._redaction import (
    REDACTED,
    is_credential_name,
    redact_fields,
    redact_headers,
    redact_text,
    redact_url,
    url_credentials,
)
from pytest_densemark.cassettes import CassetteMismatch, Player, load_cassette
from pytest_densemark.emulator import EmulatedDisconnect, EmulatedTimeout, Emulator
from pytest_densemark.images import make_image

# Synthetic canary credentials.
KEY = "canary-key-1a2b3c4d5e"
SECRET = "canary-secret-6f7a8b9c"
SECRET_ID = "AKIDcanary0d1e2f3a4b5c"
SIGNATURE = "canarysig5d6e7f8091a2"
TOKEN = "canary-token-3b4c5d6e"
CANARIES = (KEY, SECRET, SECRET_ID, SIGNATURE, TOKEN)
QUERY_URL = f"{facepp.URL}?api_key={KEY}&return_landmark=all"
TC_AUTH = (
    f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2024-05-01/iai/tc3_request,"
    f" SignedHeaders=content-type;host, Signature={SIGNATURE}"
)


def leaked(text: str) -> list[str]:
    """The canaries found in ``text``."""
    return [c for c in CANARIES if c in text]


@pytest.mark.parametrize(
    "name",
    ["api_key", "api_secret", "SecretId", "Signature", "X-TC-Token", "Authorization", "Cookie",
     "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Credential", "q-ak", "q-signature",
     "x-cos-security-token", "user_token", "password", "session_id"],
)  # fmt: skip
def test_credential_names(name: str) -> None:
    assert is_credential_name(name)


@pytest.mark.parametrize(
    "name",
    ["return_landmark", "image_url", "Url", "Mode", "face_token", "Content-Type", "X-TC-Action",
     "X-Amz-Expires", "start"],
)  # fmt: skip
def test_not_credential_names(name: str) -> None:
    assert not is_credential_name(name)


def test_redact_url_keeps_what_identifies_the_request() -> None:
    url = f"https://user:{SECRET}@h.example:8443/p/a.jpg?api_key={KEY}&x=1&Signature={SIGNATURE}"
    shown = redact_url(url)
    assert shown == (
        f"https://{REDACTED}@h.example:8443/p/a.jpg?api_key={REDACTED}&x=1&Signature={REDACTED}"
    )
    assert redact_url(httpx.URL(facepp.URL)) == facepp.URL
    assert url_credentials(url) == {
        "user name": "user",
        "password": SECRET,
        "query api_key": KEY,
        "query Signature": SIGNATURE,
    }


def test_redact_fields_and_headers() -> None:
    fields = {"api_key": KEY, "image_url": f"https://h/x?token={TOKEN}", "nested": {"pwd": SECRET}}
    assert leaked(repr(redact_fields(fields))) == []
    assert redact_fields({"image_file": b"\xff\xd8"}) == {"image_file": "<2 bytes>"}
    headers = redact_headers({"Authorization": TC_AUTH, "X-TC-Token": TOKEN, "X-TC-Action": "A"})
    assert headers == {"Authorization": REDACTED, "X-TC-Token": REDACTED, "X-TC-Action": "A"}


@pytest.mark.parametrize(
    "text",
    [
        f"<Request('POST', '{QUERY_URL}')>",
        f"{{'api_key': '{KEY}', \"api_secret\": \"{SECRET}\", 'x': 1}}",
        f"FaceppParams(token='{TOKEN}')",
        TC_AUTH,
        f"[('Authorization', 'Bearer {TOKEN}'), ('X-TC-Token', '{TOKEN}')]",
        f"https://u:{SECRET}@h.example/",
    ],
)
def test_redact_text(text: str) -> None:
    shown = redact_text(text)
    assert leaked(shown) == []
    assert REDACTED in shown


def test_redact_text_leaves_other_text_alone() -> None:
    text = "assert ['api_key', 'api_secret'] == sorted(fields); Mode=1, return_landmark='all'"
    assert redact_text(text) == text


def test_parsed_params_reprs_hold_no_credential() -> None:
    image = make_image("JPEG", 64, 64, seed=1)
    request = httpx.Request(
        "POST",
        QUERY_URL,
        data={"api_secret": SECRET, "image_url": f"https://h/x.jpg?token={TOKEN}"},
        files={"image_file": ("f.jpg", image)},
    )
    parsed = wire.parse_facepp(request)
    assert parsed.fields["api_key"] == KEY  # the values are there for the emulator ...
    assert leaked(repr(parsed)) == []  # ... but never printed
    assert f"<{len(image)} bytes>" in repr(parsed)
    tc_request = httpx.Request(
        "POST",
        f"https://{tencent.HOST}/?SecretId={SECRET_ID}",
        json={"Image": base64.b64encode(image).decode(), "Token": TOKEN},
        headers={"Authorization": TC_AUTH, "X-TC-Token": TOKEN, "X-TC-Action": tencent.ACTION},
    )
    assert leaked(repr(wire.parse_tencent(tc_request))) == []


def test_call_repr_and_messages_hold_no_credential() -> None:
    emulator = Emulator()
    emulator.inject_timeout(vendor="facepp")
    request = httpx.Request("POST", QUERY_URL, data={"api_secret": SECRET})
    with pytest.raises(EmulatedTimeout) as timeout:
        emulator.handle(request)
    assert "injected timeout for POST" in str(timeout.value)
    assert leaked(str(timeout.value)) == []
    call = emulator.calls[0]
    assert leaked(repr(call)) == []
    assert "source='fault'" in repr(call)
    with pytest.raises(ValueError, match="got no response") as no_response:
        call.json()
    assert leaked(str(no_response.value)) == []
    emulator.inject_disconnect(vendor="tencent")
    tc_request = httpx.Request(
        "POST",
        f"https://{tencent.HOST}/?SecretId={SECRET_ID}",
        json={},
        headers={"Authorization": TC_AUTH, "X-TC-Action": tencent.ACTION},
    )
    with pytest.raises(EmulatedDisconnect) as disconnect:
        emulator.handle(tc_request)
    assert leaked(str(disconnect.value)) == []


def test_cassette_mismatch_message_holds_no_credential() -> None:
    player = Player(load_cassette("facepp/full-9part"))
    request = httpx.Request(
        "POST", f"{facepp.URL}?api_key={KEY}", data={"return_landmark": "mouth"}
    )
    with pytest.raises(CassetteMismatch) as info:
        player.respond(request)
    message = str(info.value)
    assert f"{facepp.URL}?api_key={REDACTED}" in message
    assert leaked(message) == []


def test_configured_credentials_are_not_shown() -> None:
    emulator = Emulator()
    emulator.set_credentials(api_key=KEY, api_secret=SECRET)
    shown = repr(emulator._context.credentials)
    assert leaked(shown) == []
    assert "api_key=<redacted>" in shown
