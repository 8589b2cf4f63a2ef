"""Every supported HTTP client, written as its users write it, answered in-process.

The client modules in ``tests/clients/`` call the vendors' real URLs (hard-coded, https) and
know nothing of the kit. Each runs unmodified under the ``densemark`` fixture and under
``emulate()``: success, every injected fault as that library's own exception, latency, a
cassette, and a record-then-replay round trip against a kit server as the upstream, with
canary credentials that must not reach a written byte.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib
import socket
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import aiohttp
import httpx
import pytest
import requests
import urllib3
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from pytest_densemark import emulate, facepp, make_image, validate
from pytest_densemark.cassettes import CassetteMismatch, load_cassette
from pytest_densemark.controller import Controller
from pytest_densemark.server import DensemarkServer

IMAGE = make_image("jpeg", 320, 240)

#: Client module -> (exception on an injected timeout, exception on a dropped connection).
#: The requests session retries (urllib3 ``Retry(total=3)``), so its read timeouts end as
#: requests' ``ConnectionError`` (retries exhausted), as they would against the vendor.
FACEPP_CLIENTS: dict[str, tuple[type[BaseException], type[BaseException]]] = {
    "facepp_requests_demo": (
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectionError,
    ),
    "facepp_requests_session": (
        requests.exceptions.ConnectionError,
        requests.exceptions.ConnectionError,
    ),
    "facepp_urllib_multipart": (socket.timeout, urllib.error.URLError),
    "facepp_urllib3_pool": (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError),
    "facepp_http_client": (TimeoutError, ConnectionResetError),
    "facepp_aiohttp": (asyncio.TimeoutError, aiohttp.ServerDisconnectedError),
    "facepp_httpx": (httpx.ReadTimeout, httpx.RemoteProtocolError),
    "facepp_python_facepp": (
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectionError,
    ),
}
#: Clients that hand back only the landmark, as their library exposes it.
LANDMARK_ONLY = frozenset({"facepp_python_facepp"})


CLIENTS: dict[str, tuple[type[BaseException], type[BaseException]]] = {
    **FACEPP_CLIENTS,
    "tencent_sdk_app": (TencentCloudSDKException, TencentCloudSDKException),
}
#: python-facepp leaves the image file it opened unclosed when the transport fails (pytest
#: reports it as an unraisable ResourceWarning); its transport is requests, whose faults the
#: requests clients cover.
TRANSPORT_FAULTS = sorted(set(CLIENTS) - {"facepp_python_facepp"})


def _client(name: str) -> ModuleType:
    return importlib.import_module(f"clients.{name}")


@pytest.fixture(params=["fixture", "emulate"])
def kit(request: pytest.FixtureRequest) -> Iterator[Controller]:
    """The test's controller, from the ``densemark`` fixture or from ``emulate()``."""
    if request.param == "fixture":
        yield request.getfixturevalue("densemark")
    else:
        with emulate() as controller:
            yield controller


def _vendor(name: str) -> str:
    return "tencent" if name.startswith("tencent") else "facepp"


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_success_at_the_hard_coded_url(kit: Controller, name: str) -> None:
    body = _client(name).landmarks(IMAGE, "key", "secret")
    if _vendor(name) == "facepp":
        if name not in LANDMARK_ONLY:
            assert validate(body, "facepp").valid
        assert set(body["face"]["landmark"]) == set(facepp.ALL_PARTS)
    else:
        assert len(body["DenseFaceShapeSet"]) == 1
    (call,) = kit.calls
    assert call.vendor == _vendor(name)
    assert call.source == "emulator"
    assert call.request.url.scheme == "https"
    assert call.request.url.host.endswith(("faceplusplus.com", "tencentcloudapi.com"))


@pytest.mark.parametrize("name", TRANSPORT_FAULTS)
def test_injected_timeout_is_the_librarys_own(kit: Controller, name: str) -> None:
    kit.inject_timeout(vendor=_vendor(name), times=None)
    with pytest.raises(CLIENTS[name][0]):
        _client(name).landmarks(IMAGE, "key", "secret")
    assert kit.calls[-1].fault == "timeout"


@pytest.mark.parametrize("name", TRANSPORT_FAULTS)
def test_injected_disconnect_is_the_librarys_own(kit: Controller, name: str) -> None:
    kit.inject_disconnect(vendor=_vendor(name), times=None)
    with pytest.raises(CLIENTS[name][1]):
        _client(name).landmarks(IMAGE, "key", "secret")
    assert kit.calls[-1].fault == "disconnect"


@pytest.mark.parametrize("name", sorted(FACEPP_CLIENTS))
def test_injected_vendor_error(kit: Controller, name: str) -> None:
    kit.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=None)
    body = _client(name).landmarks(IMAGE, "key", "secret")
    assert body["error_message"] == "CONCURRENCY_LIMIT_EXCEEDED"


def test_requests_retries_run_for_real(kit: Controller) -> None:
    kit.inject_error("facepp", "INTERNAL_ERROR", times=2)
    body = _client("facepp_requests_session").landmarks(IMAGE, "key", "secret")
    assert "face" in body
    assert [call.status for call in kit.calls] == [500, 500, 200]


def test_retries_exhausted_on_timeouts(kit: Controller) -> None:
    kit.inject_timeout(times=None)
    with pytest.raises(requests.exceptions.ConnectionError, match="Max retries exceeded"):
        _client("facepp_requests_session").landmarks(IMAGE, "key", "secret")
    assert len(kit.calls) == 4  # the first try and three retries


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_latency_is_waited_for(kit: Controller, name: str) -> None:
    kit.inject_latency(0.15)
    started = time.perf_counter()
    _client(name).landmarks(IMAGE, "key", "secret")
    assert time.perf_counter() - started >= 0.15


def test_latency_beyond_the_socket_timeout_times_out(kit: Controller) -> None:
    kit.inject_latency(5.0)
    connection = http.client.HTTPSConnection("api-cn.faceplusplus.com", timeout=0.1)
    started = time.perf_counter()
    connection.request("POST", facepp.PATH, b"api_key=k&api_secret=s")
    with pytest.raises(TimeoutError):
        connection.getresponse()
    assert time.perf_counter() - started < 2.0


def _post(library: str, timeout: float = 10.0) -> object:
    """POST a form to Face++ with ``library``, whose read timeout is ``timeout`` seconds."""
    form = {"api_key": "k", "api_secret": "s", "return_landmark": "mouth"}
    if library == "httpx":
        return httpx.Client(timeout=timeout).post(facepp.URL, data=form)
    if library == "httpx-async":

        async def post() -> httpx.Response:
            async with httpx.AsyncClient(timeout=timeout) as client:
                return await client.post(facepp.URL, data=form)

        return asyncio.run(post())
    if library == "aiohttp":

        async def apost() -> str:
            limit = aiohttp.ClientTimeout(sock_read=timeout)
            async with (
                aiohttp.ClientSession(timeout=limit) as session,
                session.post(facepp.URL, data=form) as response,
            ):
                return await response.text()

        return asyncio.run(apost())
    if library == "requests":
        return requests.post(facepp.URL, data=form, timeout=(5, timeout))
    assert library == "urllib3"
    limit = urllib3.Timeout(connect=5, read=timeout)
    return urllib3.PoolManager().request("POST", facepp.URL, fields=form, timeout=limit)


#: Library -> what it raises when the answer is slower than its read timeout (every library
#: :func:`_post` knows).
READ_TIMEOUTS: dict[str, type[BaseException]] = {
    "httpx": httpx.ReadTimeout,
    "httpx-async": httpx.ReadTimeout,
    "aiohttp": asyncio.TimeoutError,
    "requests": requests.exceptions.ReadTimeout,
    "urllib3": urllib3.exceptions.ReadTimeoutError,  # a POST: not retried on a read error
}


@pytest.mark.parametrize("library", sorted(READ_TIMEOUTS))
def test_latency_beyond_the_clients_read_timeout_times_out(kit: Controller, library: str) -> None:
    kit.inject_latency(5.0)
    started = time.perf_counter()
    with pytest.raises(READ_TIMEOUTS[library]):
        _post(library, 0.1)
    assert time.perf_counter() - started < 2.0  # the client's timeout, not the latency
    assert kit.calls[0].latency == 5.0


@pytest.mark.parametrize("library", sorted(READ_TIMEOUTS))
def test_a_request_the_cassette_cannot_answer_raises_cassette_mismatch(
    kit: Controller, library: str
) -> None:
    kit.use_cassette("facepp/full-9part")  # return_landmark=all; the request asks for "mouth"
    with pytest.raises(CassetteMismatch, match="facepp/full-9part"):
        _post(library)
    assert len(kit.failures) == 1
    kit.failures.clear()  # seen: the test would fail on it otherwise
    kit.eject_cassette()
    assert "MISSING_ARGUMENTS" in str(_post_text(library))  # the same client code, answered


def _post_text(library: str) -> object:
    """:func:`_post`'s answer, whatever the library returns it as."""
    answer = _post(library)
    if isinstance(answer, httpx.Response | requests.Response):
        return answer.text
    if isinstance(answer, urllib3.BaseHTTPResponse):
        return answer.data
    return answer


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_cassette(kit: Controller, name: str) -> None:
    cassette = "facepp/full-9part" if _vendor(name) == "facepp" else "tencent/one-face"
    loaded = kit.use_cassette(cassette)
    assert loaded is not None
    body = _client(name).landmarks(IMAGE, "key", "secret")
    expected = loaded.interactions[0].response.body
    if _vendor(name) == "tencent":
        expected = expected["Response"]
    elif name in LANDMARK_ONLY:
        expected = {"face": {"landmark": expected["face"]["landmark"]}}
    assert body == expected
    assert kit.calls[0].source == "cassette"
    assert kit.unplayed() == []


CANARY_KEY = "AKIDcanary7f3e9c41d2b8a6"
CANARY_SECRET = "canary-secret-5b0f8d7e3a"


@pytest.fixture
def upstream() -> Iterator[DensemarkServer]:
    """A kit server standing in for the vendor, insisting on the canary credentials."""
    with DensemarkServer() as server:
        server.set_credentials(
            api_key=CANARY_KEY,
            api_secret=CANARY_SECRET,
            secret_id=CANARY_KEY,
            secret_key=CANARY_SECRET,
        )
        yield server


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_record_then_replay(name: str, upstream: DensemarkServer, tmp_path: Path) -> None:
    target = tmp_path / "recorded.json"
    canaries = {"api_key": CANARY_KEY, "api_secret": CANARY_SECRET}
    with emulate(
        target, record_mode="new", upstream=upstream.url, credentials=canaries
    ) as recording:
        recorded = _client(name).landmarks(IMAGE, CANARY_KEY, CANARY_SECRET)
    assert recording.calls[0].source == "upstream"
    assert "error_message" not in recorded
    assert "Error" not in recorded
    written = target.read_bytes()
    assert CANARY_KEY.encode() not in written
    assert CANARY_SECRET.encode() not in written
    assert len(load_cassette(target).interactions) == 1
    with emulate(target) as replay:
        replayed = _client(name).landmarks(IMAGE, "other-key", "other-secret")
    assert replay.calls[0].source == "cassette"
    assert replayed == recorded


#: Every request form the official sync SDK sends: (reqMethod, signMethod).
TENCENT_FORMS = [
    (method, sign)
    for sign in ("TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256")
    for method in ("GET", "POST")
]


@pytest.mark.parametrize(("method", "sign"), TENCENT_FORMS)
def test_tencent_sync_sdk_every_form_at_its_default_endpoint(method: str, sign: str) -> None:
    import base64

    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.iai.v20200303 import iai_client, models

    secret_id, secret_key = "AKIDsynthetic0001", "synthetic-secret-key"  # synthetic

    def call(key: str) -> object:
        profile = ClientProfile(signMethod=sign, httpProfile=HttpProfile(reqMethod=method))
        client = iai_client.IaiClient(Credential(secret_id, key), "ap-guangzhou", profile)
        request = models.AnalyzeDenseLandmarksRequest()
        request.Image = base64.b64encode(IMAGE).decode()
        return client.AnalyzeDenseLandmarks(request)

    with emulate(credentials={"secret_id": secret_id, "secret_key": secret_key}) as controller:
        answer = call(secret_key)
        with pytest.raises(TencentCloudSDKException) as refused:
            call("wrong-secret-key")
    assert len(answer.DenseFaceShapeSet) == 1  # type: ignore[attr-defined]
    assert refused.value.get_code() == "AuthFailure.SignatureFailure"
    first = controller.calls[0].request
    assert (first.method, first.url.host) == (method, "iai.tencentcloudapi.com")
