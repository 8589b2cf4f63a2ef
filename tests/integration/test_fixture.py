"""The ``densemark`` fixture, one controller method at a time, run as a user runs pytest."""

from __future__ import annotations

import pytest
from densemark_support import PRELUDE, STRICT_INI, Runner, write_facepp_cassette
from pytest_httpserver import HTTPServer


@pytest.fixture
def run(pytester: pytest.Pytester) -> Runner:
    """Run an inner test module (PRELUDE + ``source``) under strict settings, in process."""
    pytester.makeini(STRICT_INI)

    def _run(source: str, *args: str) -> pytest.RunResult:
        pytester.makepyfile(test_inner=PRELUDE + source)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)

    return _run


def test_answers_facepp_and_tencent_on_every_host(run: Runner) -> None:
    result = run(
        """
@pytest.mark.parametrize("host", facepp.HOSTS)
def test_facepp(densemark, host):
    response = call_facepp(host=host)
    assert response.status_code == 200
    assert landmark_keys(response.json()) == facepp.TOTAL_KEYS

@pytest.mark.parametrize("host", ["iai.tencentcloudapi.com", "iai.ap-shanghai.tencentcloudapi.com"])
def test_tencent(densemark, host):
    body = call_tencent(host=host).json()["Response"]
    shape = body["DenseFaceShapeSet"][0]
    assert sum(len(shape[name]) for name in tencent.POINT_LISTS) == tencent.MAX_POINTS_PER_FACE
"""
    )
    result.assert_outcomes(passed=4)


def test_clients_made_before_the_fixture_and_async_clients(run: Runner) -> None:
    result = run(
        """
EARLY = httpx.Client()

def test_module_level_client(densemark):
    assert call_facepp(client=EARLY).status_code == 200
    assert len(densemark.calls) == 1

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_async_client(densemark):
    async with httpx.AsyncClient() as client:
        response = await client.post(
            facepp.URL, data={"api_key": "k", "api_secret": "s", "return_landmark": "mouth"},
            files={"image_file": ("f.jpg", IMAGE)},
        )
    assert list(response.json()["face"]["landmark"]) == ["mouth"]
"""
    )
    result.assert_outcomes(passed=2)


def test_other_hosts_pass_through(run: Runner, httpserver: HTTPServer) -> None:
    # A loopback server, even under a /facepp/ path, is not the vendor: left alone.
    httpserver.expect_request(f"/facepp{'/v1/face/thousandlandmark'}").respond_with_data("real")
    url = httpserver.url_for("/facepp/v1/face/thousandlandmark")
    result = run(
        f"""
def test_pass_through(densemark):
    assert httpx.post({url!r}).text == "real"
    assert densemark.calls == []
"""
    )
    result.assert_outcomes(passed=1)


def test_outside_the_fixture_requests_are_untouched(run: Runner, httpserver: HTTPServer) -> None:
    # After a densemark test httpx stays patched (to save set-up time) but must be inert:
    # a user's own respx routes and plain network traffic behave as if densemark were absent.
    httpserver.expect_request("/facepp/v1/face/thousandlandmark").respond_with_data("real")
    url = httpserver.url_for("/facepp/v1/face/thousandlandmark")
    result = run(
        f"""
def test_1_with_densemark(densemark):
    assert call_facepp().status_code == 200

def test_2_users_respx_route_answers(respx_mock):
    respx_mock.post(facepp.URL).respond(418)
    assert call_facepp().status_code == 418

def test_3_users_respx_still_asserts_unmocked_hosts(respx_mock):
    import respx
    with pytest.raises(respx.models.AllMockedAssertionError):
        httpx.get("https://api.example.com/")

def test_4_network(densemark):
    pass

def test_5_network_after():
    assert httpx.post({url!r}).text == "real"

def test_6_both_together(densemark, respx_mock):
    respx_mock.get("https://api.example.com/").respond(201)
    assert httpx.get("https://api.example.com/").status_code == 201
    assert call_facepp().status_code == 200
    assert len(densemark.calls) == 1
"""
    )
    result.assert_outcomes(passed=6)


def test_use_cassette_by_path_and_name(run: Runner, pytester: pytest.Pytester) -> None:
    write_facepp_cassette(pytester.path / "cassettes" / "mine" / "one.json", description="mine")
    result = run(
        """
def test_by_name(densemark):
    cassette = densemark.use_cassette("mine/one")
    assert cassette.description == "mine"
    assert landmark_keys(call_facepp().json()) == facepp.TOTAL_KEYS
    assert densemark.calls[0].source == "cassette"
    assert densemark.unplayed() == []

def test_by_path(densemark, pytestconfig):
    path = pytestconfig.rootpath / "cassettes" / "mine" / "one.json"
    assert densemark.use_cassette(path).name == "mine/one"
    call_facepp()

def test_missing(densemark):
    from pytest_densemark.cassettes import CassetteError
    with pytest.raises(CassetteError, match="not found"):
        densemark.use_cassette("mine/none")
"""
    )
    result.assert_outcomes(passed=3)


def test_cassette_mismatch_is_readable(run: Runner, pytester: pytest.Pytester) -> None:
    write_facepp_cassette(pytester.path / "cassettes" / "one.json")
    result = run(
        """
def test_wrong_parts(densemark):
    densemark.use_cassette("one")
    call_facepp(return_landmark="mouth")
"""
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CassetteMismatch*return_landmark*"])


def test_queue_response(run: Runner) -> None:
    result = run(
        """
def test_queue(densemark):
    densemark.queue_response("facepp", {"time_used": 1, "request_id": "x"}, times=2)
    densemark.queue_response(None, "busy", status=503)
    assert call_facepp().json() == {"time_used": 1, "request_id": "x"}
    assert call_facepp().json()["request_id"] == "x"
    third = call_tencent()
    assert (third.status_code, third.text) == (503, "busy")
    assert call_facepp().json()["face"]
"""
    )
    result.assert_outcomes(passed=1)


def test_inject_error_times_then_normal(run: Runner) -> None:
    result = run(
        """
def test_facepp_error(densemark):
    densemark.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=2)
    for _ in range(2):
        response = call_facepp()
        assert response.status_code == 403
        assert response.json()["error_message"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert call_facepp().status_code == 200
    assert [c.fault for c in densemark.calls] == ["error:CONCURRENCY_LIMIT_EXCEEDED"] * 2 + [None]

def test_tencent_error(densemark):
    densemark.inject_error("tencent", "FailedOperation.ImageDecodeFailed")
    first = call_tencent()
    assert first.status_code == 200
    assert first.json()["Response"]["Error"]["Code"] == "FailedOperation.ImageDecodeFailed"
    assert "DenseFaceShapeSet" in call_tencent().json()["Response"]

def test_unknown_error_is_refused(densemark):
    with pytest.raises(ValueError, match="not a documented facepp error"):
        densemark.inject_error("facepp", "NO_SUCH_ERROR")
"""
    )
    result.assert_outcomes(passed=3)


def test_inject_latency_sync_and_async(run: Runner) -> None:
    result = run(
        """
import anyio

def test_sync(densemark):
    densemark.inject_latency(0.2, times=1)
    start = time.perf_counter()
    call_facepp()
    assert time.perf_counter() - start >= 0.2
    call_facepp()
    assert [call.latency for call in densemark.calls] == [0.2, 0.0]

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_async_does_not_block_the_loop(densemark):
    densemark.inject_latency(0.3, vendor="facepp")
    ticks = []

    async def ticker():
        for _ in range(5):
            ticks.append(time.perf_counter())
            await anyio.sleep(0.02)

    async with httpx.AsyncClient() as client, anyio.create_task_group() as group:
        group.start_soon(ticker)
        start = time.perf_counter()
        await client.post(facepp.URL, data={"api_key": "k", "api_secret": "s",
                          "return_landmark": "all", "image_url": "https://x/y.jpg"})
        elapsed = time.perf_counter() - start
    assert elapsed >= 0.3
    # The loop kept running while the answer waited: the ticker finished first.
    assert len(ticks) == 5 and ticks[-1] - start < elapsed
"""
    )
    result.assert_outcomes(passed=2)


def test_inject_timeout_and_disconnect(run: Runner) -> None:
    result = run(
        """
def test_timeout(densemark):
    densemark.inject_timeout(vendor="facepp", times=1)
    with pytest.raises(httpx.ReadTimeout):
        call_facepp()
    assert call_facepp().status_code == 200
    assert densemark.calls[0].fault == "timeout"

def test_disconnect(densemark):
    densemark.inject_disconnect(vendor="tencent", times=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            call_tencent()
    assert call_facepp().status_code == 200  # other vendor unaffected
    assert call_tencent().status_code == 200

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_async_faults(densemark):
    densemark.inject_timeout()
    densemark.inject_disconnect()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(facepp.URL)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(facepp.URL)
"""
    )
    result.assert_outcomes(passed=3)


def test_set_credentials(run: Runner) -> None:
    result = run(
        """
def test_facepp_keys(densemark):
    densemark.set_credentials(api_key="right", api_secret="also-right")
    wrong = call_facepp(key="wrong", secret="also-right")
    assert wrong.status_code == 401
    assert wrong.json()["error_message"] == "AUTHENTICATION_ERROR"
    assert call_facepp(key="right", secret="also-right").status_code == 200

def test_tencent_signature(densemark):
    densemark.set_credentials(secret_id="AKIDexample", secret_key="the-key")
    error = call_tencent().json()["Response"]["Error"]
    assert error["Code"] == "AuthFailure.SignatureFailure"
"""
    )
    result.assert_outcomes(passed=2)


def test_set_faces_and_register_url(run: Runner) -> None:
    result = run(
        """
def test_no_face(densemark):
    densemark.set_faces(IMAGE, [])
    assert "face" not in call_facepp().json() or not call_facepp().json()["face"]

def test_two_faces_for_tencent(densemark):
    faces = [
        Face(left=50, top=60, width=200, height=240),
        Face(left=380, top=80, width=180, height=220),
    ]
    densemark.set_faces(IMAGE, faces)
    shapes = call_tencent().json()["Response"]["DenseFaceShapeSet"]
    assert [shape["X"] for shape in shapes] == [50, 380]

def test_url(densemark):
    densemark.register_url("https://example.com/me.jpg", IMAGE)
    ok = httpx.post(facepp.URL, data={"api_key": "k", "api_secret": "s",
                    "return_landmark": "all", "image_url": "https://example.com/me.jpg"})
    assert ok.status_code == 200 and ok.json()["face"]
    missing = httpx.post(facepp.URL, data={"api_key": "k", "api_secret": "s",
                         "return_landmark": "all", "image_url": "https://example.com/no.jpg"})
    assert missing.json()["error_message"].startswith("INVALID_IMAGE_URL")
"""
    )
    result.assert_outcomes(passed=3)


def test_tencent_no_face_answer(run: Runner) -> None:
    result = run(
        """
from pytest_densemark.images import make_faceless_image

FACELESS = make_faceless_image("JPEG", 320, 240)

def test_default_is_the_error(densemark):
    assert densemark.tencent_no_face == "error"
    error = call_tencent(image=FACELESS).json()["Response"]["Error"]
    assert error["Code"] == tencent.NO_FACE_ERROR

def test_empty_set(densemark):
    densemark.set_tencent_no_face("empty")
    body = call_tencent(image=FACELESS).json()["Response"]
    assert body["DenseFaceShapeSet"] == []
    assert (body["ImageWidth"], body["ImageHeight"]) == (320, 240)
    assert len(call_tencent().json()["Response"]["DenseFaceShapeSet"]) == 1
    densemark.reset()
    assert "Error" in call_tencent(image=FACELESS).json()["Response"]

def test_each_test_starts_with_the_error(densemark):
    assert densemark.tencent_no_face == "error"

def test_bad_value(densemark):
    with pytest.raises(ValueError, match="error, empty"):
        densemark.set_tencent_no_face("nothing")
"""
    )
    result.assert_outcomes(passed=4)


def test_calls_calls_for_and_reset(run: Runner) -> None:
    result = run(
        """
def test_calls(densemark):
    call_facepp(start="1")
    call_tencent()
    call_facepp()
    assert [c.vendor for c in densemark.calls] == ["facepp", "tencent", "facepp"]
    first = densemark.calls_for("facepp")[0]
    assert first.action == "thousandlandmark"
    assert first.params["start"] == "1" and first.params["api_key"] == "<redacted>"
    assert first.request.url.host == "api-cn.faceplusplus.com"
    tencent_call = densemark.calls_for("tencent")[0]
    assert (tencent_call.action, tencent_call.version) == ("AnalyzeDenseLandmarks", "2020-03-03")
    assert tencent_call.params["Mode"] == 0
    densemark.inject_error("facepp", "INTERNAL_ERROR", times=None)
    densemark.reset()
    assert densemark.calls == []
    assert call_facepp().status_code == 200
"""
    )
    result.assert_outcomes(passed=1)


def test_unplayed_fails_the_test_readably(run: Runner, pytester: pytest.Pytester) -> None:
    write_facepp_cassette(pytester.path / "cassettes" / "one.json")
    result = run(
        """
def test_forgets_to_call(densemark):
    densemark.use_cassette("one")
    assert len(densemark.unplayed()) == 1

def test_calls(densemark):
    densemark.use_cassette("one")
    call_facepp()
    assert densemark.unplayed() == []
"""
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*densemark: 1 of 1 interaction(s) of cassette 'one'*were never played:",
            "*#0: POST https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark*",
            "*allow_unplayed=True*densemark_allow_unplayed*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
