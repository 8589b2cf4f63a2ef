"""What the server asks of a vendor (ServerRules): the two real vendors' rules, and a toy
vendor registered here that gets its own limit, refusal, addresses, certificate name and
control endpoint without a line of the server changing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, tencent, vendors
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import CONTROL_ENDPOINTS, DensemarkServer
from pytest_densemark.server.rules import Address, ServerRules, VendorControl, rules_for
from pytest_densemark.tls import CERTIFICATE_NAMES, certificate_names


class ToyControl:
    name = "toy-mode"
    summary = '{"mode": "calm" | "wild"}: how the toy answers'
    fields: Mapping[str, Sequence[str]] = {"mode": ("calm", "wild")}

    def apply(self, controller: Any, values: Mapping[str, str]) -> None:
        controller.toy_mode = values["mode"]


class ToyRules:
    path = "/toy/v1/answer"
    max_request_bytes = 64
    tls_hosts: Sequence[str] = ("api.toy.example",)
    control: Sequence[VendorControl] = (ToyControl(),)

    def too_large(self) -> tuple[int, str, bytes]:
        return 400, "application/toy", b"toy: too big"

    def addresses(self, url: str, endpoint: str) -> Sequence[tuple[str, str, str]]:
        return (("toy_url", "Toy URL", url + self.path),)


RULES: ServerRules = ToyRules()  # mypy checks the toy against the protocol


@pytest.fixture
def toy() -> Iterator[vendors.Vendor]:
    vendor = vendors.register(
        vendors.Vendor(
            name="toy",
            title="Toy",
            owns_host=lambda host: host == "api.toy.example",
            claims_request=lambda request: request.url.path.startswith("/toy/"),
            server=RULES,
        )
    )
    try:
        yield vendor
    finally:
        vendors.unregister("toy")


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
        assert server.url_for("toy") == server.url + "/toy/v1/answer"
        index = httpx.get(server.url + "/_densemark/", timeout=10).json()
        assert index["toy_url"] == server.url + "/toy/v1/answer"
        assert list(index)[:3] == ["facepp_url", "tencent_endpoint", "toy_url"]
        assert index["endpoints"]["POST /_densemark/toy-mode"] == ToyControl.summary


def test_a_toy_vendors_limit_and_refusal(toy: vendors.Vendor) -> None:
    with DensemarkServer(echo) as server:
        url = server.url_for("toy")
        small = httpx.post(url, content=b"x" * 64, timeout=10)
        assert (small.status_code, small.content) == (200, b"x" * 64)
        big = httpx.post(url, content=b"x" * 65, timeout=10)
        assert big.status_code == 400
        assert big.headers["content-type"] == "application/toy"
        assert big.content == b"toy: too big"
        chunked = httpx.post(url, content=iter([b"x" * 40, b"x" * 40]), timeout=10)
        assert (chunked.status_code, chunked.content) == (400, b"toy: too big")
        # Face++ keeps its own limit beside it.
        assert httpx.post(server.facepp_url, content=b"x" * 65, timeout=10).status_code == 200


def test_a_toy_vendors_control_endpoint(toy: vendors.Vendor) -> None:
    emulator = Emulator()
    with DensemarkServer(emulator) as server:
        answer = control(server, "toy-mode", {"mode": "wild"})
        assert (answer.status_code, answer.json()) == (200, {"ok": True, "mode": "wild"})
        assert emulator.toy_mode == "wild"  # type: ignore[attr-defined]
        wrong = control(server, "toy-mode", {"mode": "sleepy"})
        assert wrong.status_code == 400
        assert wrong.json()["error"] == (
            "POST /_densemark/toy-mode: field 'mode': expected calm or wild, got 'sleepy'"
        )
        extra = control(server, "toy-mode", {"mode": "calm", "volume": 3})
        assert "unknown field(s) volume; expected mode" in extra.json()["error"]
        missing = control(server, "fault", {"type": "error", "error": "X"})
        assert "missing field 'vendor' (facepp or tencent or toy)" in missing.json()["error"]
    vendors.unregister("toy")
    assert "POST /_densemark/toy-mode" not in CONTROL_ENDPOINTS


def test_a_toy_vendors_host_is_in_the_certificate(toy: vendors.Vendor) -> None:
    names = certificate_names()
    assert names[:3] == ("127.0.0.1", "::1", "localhost")
    assert names[-1] == "api.toy.example"
    assert "iai.tencentcloudapi.com" in names


def test_a_vendor_registered_while_the_server_runs_gets_its_limit() -> None:
    with DensemarkServer(echo) as server:
        url = server.url + ToyRules.path
        assert httpx.post(url, content=b"x" * 65, timeout=10).status_code == 200
        vendors.register(
            vendors.Vendor(
                name="toy",
                title="Toy",
                owns_host=lambda host: False,
                claims_request=lambda request: request.url.path.startswith("/toy/"),
                server=RULES,
            )
        )
        try:
            assert httpx.post(url, content=b"x" * 65, timeout=10).status_code == 400
        finally:
            vendors.unregister("toy")
        assert httpx.post(url, content=b"x" * 65, timeout=10).status_code == 200


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
