"""Tests for pytest_densemark.tc3: TC3-HMAC-SHA256 signing and verification."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencentcloud.common.abstract_client_async import AbstractClient

from pytest_densemark import tencent
from pytest_densemark.tc3 import (
    AuthorizationError,
    authorization_header,
    canonical_request,
    credential_date,
    parse_authorization,
    verify,
)

SECRET_ID = "AKIDsyntheticEXAMPLE"
SECRET_KEY = "synthetic-secret-key"
TIMESTAMP = 1_700_000_000
BODY = json.dumps({"Mode": 1, "Url": "https://example.com/a.jpg"}).encode()


def _headers(host: str = tencent.HOST) -> dict[str, str]:
    return {"Content-Type": tencent.CONTENT_TYPE, "Host": host, "X-TC-Timestamp": str(TIMESTAMP)}


def _sdk_signature(body: bytes, host: str, timestamp: int, secret_key: str) -> str:
    """The official SDK's own signature routine, an independent implementation."""
    headers = {"Content-Type": tencent.CONTENT_TYPE, "Host": host, "X-TC-Timestamp": str(timestamp)}
    signature: str = AbstractClient._get_tc3_signature(
        "POST", "/", "", body, headers, credential_date(timestamp), "iai", secret_key, {}
    )
    return signature


def test_header_matches_the_official_sdk() -> None:
    header = authorization_header(
        SECRET_ID, SECRET_KEY, host=tencent.HOST, body=BODY, timestamp=TIMESTAMP
    )
    auth = parse_authorization(header)
    assert auth.secret_id == SECRET_ID
    assert auth.date == "2023-11-14"
    assert auth.service == tencent.SERVICE
    assert auth.signed_headers == ("content-type", "host")
    assert auth.signature == _sdk_signature(BODY, tencent.HOST, TIMESTAMP, SECRET_KEY)
    assert auth.scope == "2023-11-14/iai/tc3_request"


@settings(max_examples=30, deadline=None)
@given(
    body=st.binary(max_size=200),
    port=st.integers(1, 65535),
    timestamp=st.integers(0, 4_000_000_000),
    key=st.text(min_size=1, max_size=40),
)
def test_sign_and_verify_agree_with_sdk(body: bytes, port: int, timestamp: int, key: str) -> None:
    host = f"127.0.0.1:{port}"
    header = authorization_header(SECRET_ID, key, host=host, body=body, timestamp=timestamp)
    auth = parse_authorization(header)
    assert auth.signature == _sdk_signature(body, host, timestamp, key)
    headers = {"content-type": tencent.CONTENT_TYPE, "host": host}
    kwargs = {"method": "POST", "path": "/", "query": "", "headers": headers}
    assert verify(auth, key, body=body, timestamp=str(timestamp), **kwargs)  # type: ignore[arg-type]
    assert not verify(auth, key + "x", body=body, timestamp=str(timestamp), **kwargs)  # type: ignore[arg-type]
    assert not verify(auth, key, body=body + b"x", timestamp=str(timestamp), **kwargs)  # type: ignore[arg-type]
    assert not verify(auth, key, body=body, timestamp=str(timestamp + 1), **kwargs)  # type: ignore[arg-type]


def _verify(headers: dict[str, str], body: bytes = BODY, key: str = SECRET_KEY) -> bool:
    auth = parse_authorization(
        authorization_header(
            SECRET_ID, SECRET_KEY, host=tencent.HOST, body=BODY, timestamp=TIMESTAMP
        )
    )
    return verify(
        auth,
        key,
        method="POST",
        path="/",
        query="",
        headers=headers,
        body=body,
        timestamp=str(TIMESTAMP),
    )


def test_host_and_content_type_are_signed() -> None:
    assert _verify(_headers())
    assert not _verify(_headers(host="iai.ap-beijing.tencentcloudapi.com"))
    assert not _verify({**_headers(), "Content-Type": "application/json; charset=utf-8"})
    missing_host = {"Content-Type": tencent.CONTENT_TYPE}
    assert not _verify(missing_host)


def test_verify_accepts_lower_cased_values() -> None:
    header = authorization_header(
        SECRET_ID, SECRET_KEY, host="IAI.TencentCloudAPI.com", body=BODY, timestamp=TIMESTAMP
    )
    auth = parse_authorization(header)
    # signed verbatim: the same headers verify
    assert verify(
        auth,
        SECRET_KEY,
        method="POST",
        path="/",
        query="",
        headers={"content-type": tencent.CONTENT_TYPE, "host": "IAI.TencentCloudAPI.com"},
        body=BODY,
        timestamp=str(TIMESTAMP),
    )
    lowered = canonical_request(
        method="POST",
        path="/",
        query="",
        headers={"content-type": tencent.CONTENT_TYPE, "host": "IAI.TencentCloudAPI.com"},
        signed_headers=("content-type", "host"),
        body=BODY,
        lowercase_values=True,
    )
    assert "host:iai.tencentcloudapi.com\n" in lowered


def test_unsigned_payload_signs_the_literal() -> None:
    canonical = canonical_request(
        method="post",
        path="",
        query="a=1",
        headers={"Content-Type": "x", "Host": "h"},
        signed_headers=("content-type", "host"),
        body=b"ignored",
        unsigned_payload=True,
    )
    lines = canonical.split("\n")
    assert lines[:3] == ["POST", "/", "a=1"]
    assert lines[3:5] == ["content-type:x", "host:h"]
    assert lines[-2] == "content-type;host"
    import hashlib

    assert lines[-1] == hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    with pytest.raises(KeyError, match="'host'"):
        canonical_request(
            method="POST",
            path="/",
            query="",
            headers={"Content-Type": "x"},
            signed_headers=("content-type", "host"),
            body=b"",
        )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Bearer abc",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/iai/tc3_request, Signature=" + "a" * 64,
        "TC3-HMAC-SHA256 Credential=AKID/20231114/iai/tc3_request, SignedHeaders=content-type;host,"
        " Signature=" + "a" * 64,
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/iai/tc3_request,"
        " SignedHeaders=content-type;host, Signature=xyz",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/iai/other, SignedHeaders=content-type;host,"
        " Signature=" + "a" * 64,
    ],
)
def test_malformed_authorization(value: str) -> None:
    with pytest.raises(AuthorizationError, match="expected 'TC3-HMAC-SHA256 Credential=") as info:
        parse_authorization(value)
    # The header carries the SecretId and a signature: the message describes it, never quotes.
    assert "AKID" not in str(info.value)
    assert "abc" not in str(info.value)


def test_signed_headers_must_include_content_type_and_host() -> None:
    value = (
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/iai/tc3_request, SignedHeaders=host,"
        " Signature=" + "a" * 64
    )
    with pytest.raises(AuthorizationError, match="must list content-type;host"):
        parse_authorization(value)


def test_extra_signed_headers_are_verified() -> None:
    auth = parse_authorization(
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/iai/tc3_request,"
        " SignedHeaders=content-type;host;x-tc-action, Signature=" + "0" * 64
    )
    assert auth.signed_headers == ("content-type", "host", "x-tc-action")
    assert not verify(
        auth,
        SECRET_KEY,
        method="POST",
        path="/",
        query="",
        headers=_headers(),
        body=BODY,
        timestamp=str(TIMESTAMP),
    )
