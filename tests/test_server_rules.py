"""What the server asks of a vendor (ServerRules): the two real vendors' rules, and the toy
vendor of the tests (:mod:`toyvendor`), registered here, which gets its own limit, refusal,
addresses, certificate name and control endpoint without a line of the server changing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from toyvendor import facts as toy_facts
from toyvendor import server as toy_server
from vendor_contracts import registered_toy

from pytest_densemark import facepp, tencent, vendors
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import CONTROL_ENDPOINTS, DensemarkServer
from pytest_densemark.server.rules import Address, ServerRules, rules_for
from pytest_densemark.tls import CERTIFICATE_NAMES, certificate_names

#: The toy vendor's server rules (:mod:`toyvendor.server`); mypy checks them against the protocol.
RULES: ServerRules = toy_server.RULES
#: Its size limit, and a body just over it.
LIMIT = RULES.max_request_bytes
OVER = b"x" * (LIMIT + 1)
#: What it answers to that body: the documented ``TOO_LARGE`` error.
TOO_LARGE = toy_facts.ERRORS["TOO_LARGE"]


@pytest.fixture
def toy() -> Iterator[vendors.Vendor]:
    """The toy vendor of the tests (:mod:`toyvendor`), registered for one test."""
    with registered_toy() as vendor:
        yield vendor


def echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=request.content)


def control(server: DensemarkServer, name: str, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/_densemark/{name}", json=body, timeout=10)


# -- the real vendors --------------------------------------------------------------------


def test_the_real_vendors_rules_come_from_their_facts() -> None:
    face = vendors.get("facepp").server
    cloud = vendors.get("tencent").server
    assert (face.path, face.max_request_bytes) == (facepp.PATH, facepp.MAX_REQUEST_BYTES)
    assert (cloud.path, cloud.max_request_bytes) == ("/", tencent.MAX_REQUEST_BYTES)
    status, content_type, body = face.too_large()
    assert (status, body) == (413, b"Request Entity Too Large")
    status, content_type, body = cloud.too_large()
    assert (status, content_type) == (200, tencent.CONTENT_TYPE)
    assert json.loads(body)["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"


def test_a_request_no_vendor_claims_gets_the_limit_of_the_vendor_served_at_the_root() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/elsewhere")
    assert rules_for(request) is vendors.get("tencent").server
    assert rules_for(None) is vendors.get("tencent").server
    on_facepp = httpx.Request("POST", f"http://127.0.0.1:1{facepp.PATH}")
    assert rules_for(on_facepp) is vendors.get("facepp").server


def test_the_builtin_control_endpoints_are_unchanged() -> None:
    assert [key.split(" ", 1)[1].removeprefix("/_densemark/") for key in CONTROL_ENDPOINTS] == [
        "",
        "reset",
        "calls",
        "cassette",
        "unplayed",
        "fault",
        "queue",
        "credentials",
        "faces",
        "url",
        "tencent-no-face",
    ]


def test_addresses_of_the_real_vendors() -> None:
    with DensemarkServer(echo) as server:
        assert server.vendor_addresses() == [
            Address("facepp_url", "Face++ URL", server.facepp_url),
            Address("tencent_endpoint", "Tencent endpoint", server.tencent_endpoint),
        ]
        assert server.url_for("facepp") == server.facepp_url
        assert server.url_for("tencent") == server.tencent_url == server.url + "/"
        with pytest.raises(vendors.UnknownVendor):
            server.url_for("nobody")


# -- a toy vendor ------------------------------------------------------------------------


def test_a_toy_vendor_has_its_address_and_endpoint_in_the_index(toy: vendors.Vendor) -> None:
    with DensemarkServer(Emulator()) as server:
        assert server.url_for("toy") == server.url + toy_facts.PATH
        index = httpx.get(server.url + "/_densemark/", timeout=10).json()
        assert index["toy_url"] == server.url + toy_facts.PATH
        assert list(index)[:3] == ["facepp_url", "tencent_endpoint", "toy_url"]
        summary = toy_server.NoFaceControl.summary
        assert index["endpoints"]["POST /_densemark/toy-no-face"] == summary


def _refused(answer: httpx.Response) -> bool:
    return (
        answer.status_code == TOO_LARGE.status
        and answer.headers["content-type"] == toy_facts.CONTENT_TYPE
        and answer.json()["error"] == TOO_LARGE.name
    )


def test_a_toy_vendors_limit_and_refusal(toy: vendors.Vendor) -> None:
    with DensemarkServer(echo) as server:
        url = server.url_for("toy")
        small = httpx.post(url, content=b"x" * LIMIT, timeout=10)
        assert (small.status_code, len(small.content)) == (200, LIMIT)
        big = httpx.post(url, content=OVER, timeout=10)
        assert _refused(big), big.text
        half = b"x" * (LIMIT // 2 + 1)
        chunked = httpx.post(url, content=iter([half, half]), timeout=10)
        assert _refused(chunked), chunked.text
        # Face++ keeps its own limit beside it.
        assert httpx.post(server.facepp_url, content=OVER, timeout=10).status_code == 200


def test_a_toy_vendors_control_endpoint(toy: vendors.Vendor) -> None:
    emulator = Emulator()
    with DensemarkServer(emulator) as server:
        answer = control(server, "toy-no-face", {"answer": "error"})
        assert (answer.status_code, answer.json()) == (200, {"ok": True, "answer": "error"})
        assert emulator.vendor_settings("toy").no_face == "error"
        wrong = control(server, "toy-no-face", {"answer": "sleepy"})
        assert wrong.status_code == 400
        assert wrong.json()["error"] == (
            "POST /_densemark/toy-no-face: field 'answer': expected empty or error, got 'sleepy'"
        )
        extra = control(server, "toy-no-face", {"answer": "empty", "volume": 3})
        assert "unknown field(s) volume; expected answer" in extra.json()["error"]
        missing = control(server, "fault", {"type": "error", "error": "X"})
        assert "missing field 'vendor' (facepp or tencent or toy)" in missing.json()["error"]
    vendors.unregister("toy")
    assert "POST /_densemark/toy-no-face" not in CONTROL_ENDPOINTS


def test_a_toy_vendors_host_is_in_the_certificate(toy: vendors.Vendor) -> None:
    names = certificate_names()
    assert names[:3] == ("127.0.0.1", "::1", "localhost")
    assert names[-1] == toy_facts.HOST
    assert "iai.tencentcloudapi.com" in names


def test_a_vendor_registered_while_the_server_runs_gets_its_limit() -> None:
    with DensemarkServer(echo) as server:
        url = server.url + toy_facts.PATH
        assert httpx.post(url, content=OVER, timeout=10).status_code == 200
        with registered_toy():
            assert _refused(httpx.post(url, content=OVER, timeout=10))
        assert httpx.post(url, content=OVER, timeout=10).status_code == 200


def test_a_vendor_without_server_rules_is_not_served() -> None:
    vendors.register(
        vendors.Vendor(
            name="quiet",
            title="Quiet",
            owns_host=lambda host: False,
            claims_request=lambda request: request.url.path.startswith("/quiet/"),
        )
    )
    try:
        with DensemarkServer(echo) as server:
            assert [a.key for a in server.vendor_addresses()] == ["facepp_url", "tencent_endpoint"]
            answer = httpx.post(server.url + "/quiet/x", content=b"x" * 100, timeout=10)
            assert answer.status_code == 200
        assert certificate_names() == CERTIFICATE_NAMES
    finally:
        vendors.unregister("quiet")
