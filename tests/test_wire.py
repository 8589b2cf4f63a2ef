"""Tests for pytest_densemark.wire: vendor routing and request parsing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pytest_densemark import facepp, tencent
from pytest_densemark.wire import (
    parse_facepp,
    parse_multipart,
    parse_tencent,
    vendor_of,
    vendor_of_request,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (facepp.URL, "facepp"),
        (f"https://{facepp.HOSTS[1]}{facepp.PATH}", "facepp"),
        (f"https://{facepp.HOSTS[0]}/facepp/v3/detect", "facepp"),
        ("http://127.0.0.1:8000/facepp/v1/face/thousandlandmark", "facepp"),
        (f"https://{tencent.HOST}/", "tencent"),
        ("https://iai.ap-guangzhou.tencentcloudapi.com/", "tencent"),
        ("https://example.com/", None),
        ("http://127.0.0.1:8000/", None),
        ("https://cvm.tencentcloudapi.com/", None),
    ],
)
def test_vendor_of(url: str, expected: str | None) -> None:
    assert vendor_of(url) == expected
    assert vendor_of(httpx.URL(url)) == expected


def test_vendor_of_request_uses_tc_action_on_foreign_host() -> None:
    request = httpx.Request(
        "POST", "http://127.0.0.1:9/", headers={"X-TC-Action": tencent.ACTION}, json={}
    )
    assert vendor_of_request(request) == "tencent"
    assert vendor_of_request(httpx.Request("POST", "http://127.0.0.1:9/")) is None


def test_parse_facepp_multipart_fields_and_files() -> None:
    request = httpx.Request(
        "POST",
        facepp.URL,
        data={"api_key": "k", "api_secret": "s", "return_landmark": "all"},
        files={"image_file": ("a.jpg", b"\xff\xd8binary\r\n--x\x00", "image/jpeg")},
    )
    params = parse_facepp(request)
    assert params.error is None
    assert params.fields == {"api_key": "k", "api_secret": "s", "return_landmark": "all"}
    assert params.files == {"image_file": b"\xff\xd8binary\r\n--x\x00"}
    assert params.body_size == len(request.content)
    assert params.path == facepp.PATH


def test_parse_facepp_urlencoded_and_query_string_body_wins() -> None:
    request = httpx.Request(
        "POST",
        facepp.URL + "?api_key=fromquery&start=1",
        data={"api_key": "frombody", "image_base64": "aGk="},
    )
    params = parse_facepp(request)
    assert params.fields == {"api_key": "frombody", "start": "1", "image_base64": "aGk="}
    assert params.get("missing") is None


def test_parse_facepp_query_only() -> None:
    params = parse_facepp(httpx.Request("POST", facepp.URL + "?return_landmark=all&x="))
    assert params.fields == {"return_landmark": "all", "x": ""}
    assert params.body_size == 0


def test_parse_facepp_image_file_without_filename_is_a_file() -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="image_file"\r\n\r\nDATA\r\n'
        b'--B\r\nContent-Disposition: form-data; name="api_key"\r\n\r\nk\r\n--B--\r\n'
    )
    request = httpx.Request(
        "POST",
        facepp.URL,
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )
    params = parse_facepp(request)
    assert params.files == {"image_file": b"DATA"}
    assert params.fields == {"api_key": "k"}


@pytest.mark.parametrize(
    ("body", "boundary", "message"),
    [
        (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n', "B", "closing"),
        (b'--B\r\nContent-Disposition: form-data; name="a"\r\nx\r\n--B--', "B", "blank line"),
        (b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--", "B", "form-data name"),
        (b"--B--", "", "no boundary"),
    ],
)
def test_parse_multipart_errors_say_what_is_wrong(body: bytes, boundary: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_multipart(body, boundary)


def test_parse_facepp_broken_multipart_is_reported() -> None:
    request = httpx.Request(
        "POST",
        facepp.URL,
        content=b"garbage",
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
    )
    params = parse_facepp(request)
    assert params.error is not None
    assert "closing delimiter" in params.error


def test_parse_facepp_reads_a_streamed_request() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"return_landmark=all"

    request = httpx.Request(
        "POST",
        facepp.URL,
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert parse_facepp(request).fields == {"return_landmark": "all"}


def test_parse_tencent_headers_and_body() -> None:
    request = httpx.Request(
        "POST",
        f"https://{tencent.HOST}/",
        headers={
            "X-TC-Action": tencent.ACTION,
            "X-TC-Version": tencent.VERSIONS[1],
            "X-TC-Region": "ap-guangzhou",
            "X-TC-Timestamp": "1700000000",
            "X-TC-Token": "tok",
            "Authorization": "TC3-HMAC-SHA256 x",
            "Content-Type": "application/json",
        },
        content=json.dumps({"Mode": 1, "Url": "https://x/y.jpg"}).encode(),
    )
    params = parse_tencent(request)
    assert params.action == tencent.ACTION
    assert params.version == tencent.VERSIONS[1]
    assert params.region == "ap-guangzhou"
    assert params.timestamp == "1700000000"
    assert params.token == "tok"
    assert params.authorization == "TC3-HMAC-SHA256 x"
    assert params.params == {"Mode": 1, "Url": "https://x/y.jpg"}
    assert params.error is None
    assert params.host == tencent.HOST
    assert params.language is None


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "not JSON"), (b"[1]", "expected an object"), (b"\xff", "not JSON")],
)
def test_parse_tencent_bad_body(content: bytes, message: str) -> None:
    params = parse_tencent(httpx.Request("POST", f"https://{tencent.HOST}/", content=content))
    assert params.params is None
    assert params.error is not None
    assert message in params.error


def test_parse_tencent_empty_body_is_empty_object() -> None:
    params = parse_tencent(httpx.Request("POST", f"https://{tencent.HOST}/"))
    assert params.params == {}
    assert params.action is None


def _multipart_request(value: str) -> httpx.Request:
    return httpx.Request(
        "POST",
        f"http://127.0.0.1:1{facepp.PATH}",
        data={"api_key": value},
        files={"image_file": ("a.jpg", b"\xff\xd8\xffdata")},
    )


def test_parse_facepp_repeated_gives_equal_independent_results() -> None:
    """A request parsed twice (emulator, then a cassette) gives equal, separate dicts."""
    request = _multipart_request("k1")
    first = parse_facepp(request)
    second = parse_facepp(request)
    assert first == second
    first.fields["api_key"] = "changed"
    first.files.clear()
    third = parse_facepp(request)
    assert third.fields["api_key"] == "k1"
    assert third.files == {"image_file": b"\xff\xd8\xffdata"}


def test_parse_facepp_sees_a_request_changed_in_between() -> None:
    """A request whose URL or Content-Type changed since the last parse is parsed again."""
    request = _multipart_request("k1")
    assert parse_facepp(request).fields["api_key"] == "k1"
    request.url = request.url.copy_with(query=b"return_landmark=all")
    assert parse_facepp(request).fields["return_landmark"] == "all"
    request.headers["Content-Type"] = "text/plain"
    assert parse_facepp(request).fields == {"return_landmark": "all"}
    other = _multipart_request("k2")
    assert parse_facepp(other).fields["api_key"] == "k2"


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"Image": "QUJD" * 70_000}),
        json.dumps({"Mode": 1, "Image": "QUJD" * 70_000, "FaceModelVersion": "3.0"}),
        json.dumps({"Url": "https://e.example/x.jpg", "Image": "QUJD" * 70_000}, indent=2),
        '{"Image":"' + "QUJD" * 70_000 + '\\/x"}',  # an escape: parsed whole
        '{"Note":"\\"Image\\":\\"","Image":"' + "QUJD" * 70_000 + '"}',  # the key inside a string
        '{"Image":"' + "QUJD" * 70_000 + '"',  # truncated: json.loads' own error
    ],
)
def test_big_image_bodies_read_as_json_loads_reads_them(body: str) -> None:
    from pytest_densemark.vendors.tencent.request import _json_body

    raw = body.encode()
    try:
        expected = json.loads(raw)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            _json_body(raw)
    else:
        assert _json_body(raw) == expected
