"""The vendor registry: lookup by name, host and request; registering a vendor; lazy imports;
and the toy vendor of the tests (:mod:`toyvendor`), which the emulator answers for without
knowing it."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from toyvendor import facts as toy_facts
from vendor_contracts import registered_toy

from pytest_densemark import vendors
from pytest_densemark._redaction import REDACTED
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import Emulator
from pytest_densemark.errors import DensemarkError
from pytest_densemark.images import make_faceless_image, make_image
from pytest_densemark.vendors.facepp import facts as facepp
from pytest_densemark.vendors.tencent import facts as tencent
from pytest_densemark.vendors.tencent.request import (
    requested_face_model_version,
    requested_mode,
)

TOY_HOST = toy_facts.HOST


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


#: A valid request body of the toy vendor (:mod:`toyvendor`), for an image with a face.
TOY_BODY = {"api_key": "toy-key", "image_base64": _b64(make_image("PNG", 640, 480))}


def toy_request(body: Mapping[str, Any] = TOY_BODY) -> httpx.Request:
    return httpx.Request("POST", toy_facts.URL, json=body)


@pytest.fixture
def toy() -> Iterator[vendors.Vendor]:
    with registered_toy() as vendor:
        yield vendor


def test_builtins_by_name() -> None:
    assert vendors.names()[:2] == ("facepp", "tencent")
    facepp_vendor = vendors.get("facepp")
    assert (facepp_vendor.name, facepp_vendor.title) == ("facepp", "Face++")
    assert vendors.get("tencent").title == "Tencent Cloud"
    assert [v.name for v in vendors.all_vendors()][:2] == ["facepp", "tencent"]
    assert repr(facepp_vendor) == "<Vendor 'facepp'>"


def test_unknown_vendor_names_the_known_ones() -> None:
    with pytest.raises(vendors.UnknownVendor) as info:
        vendors.get("nobody")
    assert str(info.value) == "unknown vendor 'nobody': expected one of 'facepp', 'tencent'"
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, DensemarkError)


def test_register_and_unregister(toy: vendors.Vendor) -> None:
    assert vendors.get("toy") is toy
    assert vendors.names() == ("facepp", "tencent", "toy")
    assert vendors.all_vendors()[-1] is toy
    assert vendors.vendor_for_host(TOY_HOST) is toy
    vendors.unregister("toy")
    assert "toy" not in vendors.names()
    assert vendors.vendor_for_host(TOY_HOST) is None  # the host cache forgot it
    with pytest.raises(vendors.UnknownVendor):
        vendors.get("toy")
    vendors.unregister("toy")  # a no-op now


def test_a_builtin_comes_back_after_unregister() -> None:
    original = vendors.get("facepp")
    vendors.unregister("facepp")
    assert vendors.get("facepp") is original  # the package's VENDOR, imported again
    assert vendors.vendor_for_host(facepp.HOSTS[0]) is original


def test_register_checks_its_argument() -> None:
    with pytest.raises(TypeError, match="expects a Vendor"):
        vendors.register("toy")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api-cn.faceplusplus.com", "facepp"),
        ("API-US.FacePlusPlus.com.", "facepp"),
        ("iai.tencentcloudapi.com", "tencent"),
        ("iai.ap-guangzhou.tencentcloudapi.com", "tencent"),
        ("cvm.tencentcloudapi.com", None),
        ("127.0.0.1", None),
        ("[::1]", None),
        ("api-cn.faceplusplus.com.evil.example", None),
    ],
)
def test_vendor_for_host(host: str, expected: str | None) -> None:
    found = vendors.vendor_for_host(host)
    assert (None if found is None else found.name) == expected


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (httpx.Request("POST", facepp.URL), "facepp"),
        (httpx.Request("POST", f"https://{tencent.HOST}/"), "tencent"),
        (httpx.Request("POST", "http://127.0.0.1:9" + facepp.PATH), "facepp"),
        (httpx.Request("POST", "http://127.0.0.1:9/", headers={"X-TC-Action": "A"}), "tencent"),
        (httpx.Request("GET", "http://127.0.0.1:9/?Action=AnalyzeDenseLandmarks"), "tencent"),
        (httpx.Request("POST", "http://127.0.0.1:9/", data={"Action": "A"}), "tencent"),
        (httpx.Request("GET", "https://example.com/?Action=DescribeInstances"), None),
        (httpx.Request("POST", "http://127.0.0.1:9/"), None),
    ],
)
def test_vendor_for_request(request_: httpx.Request, expected: str | None) -> None:
    found = vendors.vendor_for_request(request_)
    assert (None if found is None else found.name) == expected


def test_vendor_for_request_asks_a_registered_vendor(toy: vendors.Vendor) -> None:
    assert vendors.vendor_for_request(httpx.Request("GET", f"https://{TOY_HOST}/")) is toy
    loopback = httpx.Request("POST", f"http://127.0.0.1:9{toy_facts.PATH}")
    assert vendors.vendor_for_request(loopback) is toy


def test_concerns_are_checked_and_imported_on_first_use() -> None:
    with pytest.raises(TypeError, match="unknown concern"):
        vendors.Vendor(name="x", title="X", owns_host=bool, claims_request=bool, colour="red")
    lazy = vendors.Vendor(
        name="x",
        title="X",
        owns_host="pytest_densemark.vendors.facepp:_owns_host",
        claims_request="pytest_densemark.vendors.facepp.request:claims_request",
        engine="pytest_densemark.vendors.facepp.engine:ENGINE",
    )
    assert lazy.owns_host(facepp.HOSTS[1])
    assert lazy.claims_request(httpx.Request("POST", "http://127.0.0.1:9" + facepp.PATH))
    # The module as imported now (pytester runs in this process may have imported it anew).
    assert lazy.engine is sys.modules["pytest_densemark.vendors.facepp.engine"].ENGINE
    with pytest.raises(NotImplementedError, match="provides no 'server'"):
        _ = lazy.server


@pytest.mark.parametrize(
    "module",
    [
        "pytest_densemark.vendors",
        "pytest_densemark.vendors.facepp",
        "pytest_densemark.vendors.facepp.facts",
        "pytest_densemark.vendors.tencent",
        "pytest_densemark.vendors.tencent.facts",
        "pytest_densemark.facepp",
        "pytest_densemark.tencent",
    ],
)
def test_facts_import_without_httpx_or_an_engine(module: str) -> None:
    """The validator and the plugin read the facts: importing them must stay cheap."""
    code = (
        f"import sys, {module}\n"
        "from pytest_densemark import vendors\n"
        "assert [v.name for v in vendors.all_vendors()][:2] == ['facepp', 'tencent']\n"
        "loaded = sorted(m for m in sys.modules if m == 'httpx' or m.endswith('.engine')"
        " or m == 'pytest_densemark.emulator')\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_one_rule_reads_tencents_defaulted_parameters() -> None:
    assert requested_mode({}) == tencent.MODES[0] == 0
    assert requested_mode({"Mode": 1}) == 1
    assert requested_mode({"Mode": None}) is None  # sent as null: judged, not defaulted
    assert requested_face_model_version({}) == tencent.FACE_MODEL_VERSIONS[0]
    assert requested_face_model_version({"FaceModelVersion": "2.0"}) == "2.0"


def test_the_emulator_answers_for_a_registered_vendor(toy: vendors.Vendor) -> None:
    """The emulator core names no vendor: a toy one is routed, answered, faulted, queued
    and logged like the builtins."""
    emulator = Emulator()
    answer = emulator.handle(toy_request())
    assert (answer.status_code, len(answer.json()["points"])) == (200, len(toy_facts.POINTS))
    faceless = {**TOY_BODY, "image_base64": _b64(make_faceless_image("PNG", 640, 480))}
    assert emulator.handle(toy_request(faceless)).json()["points"] == []
    emulator.vendor_settings("toy").no_face = "error"
    assert emulator.handle(toy_request(faceless)).json()["error"] == "NO_FACE"
    emulator.inject_error("toy", "BAD_KEY")
    assert emulator.handle(toy_request()).status_code == 401
    expected = ", ".join(toy_facts.ERRORS)
    with pytest.raises(ValueError, match=f"not a documented toy error; expected one of {expected}"):
        emulator.inject_error("toy", "NOPE")
    emulator.queue_response("toy", {"queued": True})
    queued = emulator.handle(toy_request())
    assert queued.json() == {"queued": True}
    assert queued.headers["content-type"] == "application/json"
    calls = emulator.calls_for("toy")
    assert [(c.source, c.action, c.version) for c in calls] == [
        ("emulator", "landmarks", "1"),
        ("emulator", "landmarks", "1"),
        ("emulator", "landmarks", "1"),
        ("fault", "landmarks", "1"),
        ("queue", "landmarks", "1"),
    ]
    assert calls[0].params["api_key"] == REDACTED
    assert calls[0].params["image_base64"]["format"] == "PNG"
    assert emulator.calls_for("facepp") == []


def test_a_vendor_registered_after_the_emulator_is_answered_too() -> None:
    emulator = Emulator()
    with registered_toy():
        answer = emulator.handle(toy_request())
    assert answer.status_code == 200
    assert len(answer.json()["points"]) == len(toy_facts.POINTS)


def test_unknown_vendor_names_in_the_settings_api() -> None:
    controller = Controller()
    with pytest.raises(ValueError, match="vendor must be one of facepp, tencent, got 'toy'"):
        controller.inject_error("toy", "X")
    with pytest.raises(ValueError, match="or None \\(any\\), got 'toy'"):
        controller.inject_timeout(vendor="toy")
