"""The ``densemark_server`` fixture: real clients (requests, the Tencent SDK) and pytest runs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from densemark_support import STRICT_INI
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models

from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image
from pytest_densemark.server import DensemarkServer

SECRET_ID = "AKIDdensemarkServerTest01"
SECRET_KEY = "server-test-secret-key"
IMAGE = make_image("JPEG", 800, 600, seed=5)


def sdk_client(server: DensemarkServer, secret_key: str = SECRET_KEY) -> Any:
    """The official synchronous SDK client pointed at the loopback server."""
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=server.tencent_endpoint)
    )
    return iai_client.IaiClient(credential.Credential(SECRET_ID, secret_key), "ap-beijing", profile)


def sdk_request() -> Any:
    request = models.AnalyzeDenseLandmarksRequest()
    request.Image = base64.b64encode(IMAGE).decode()
    return request


def test_fixture_addresses(densemark_server: DensemarkServer) -> None:
    port = densemark_server.port
    assert densemark_server.url == f"http://127.0.0.1:{port}"
    assert densemark_server.facepp_url == f"http://127.0.0.1:{port}{facepp.PATH}"
    assert densemark_server.tencent_endpoint == f"127.0.0.1:{port}"


def test_tencent_sync_sdk_with_verified_signatures(densemark_server: DensemarkServer) -> None:
    densemark_server.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    faces = [
        Face(left=60, top=80, width=220, height=260),
        Face(left=420, top=90, width=200, height=240),
    ]
    densemark_server.set_faces(IMAGE, faces)
    response = sdk_client(densemark_server).AnalyzeDenseLandmarks(sdk_request())
    assert (response.ImageWidth, response.ImageHeight) == (800, 600)
    assert [shape.X for shape in response.DenseFaceShapeSet] == [60, 420]
    for shape in response.DenseFaceShapeSet:
        points = sum(len(getattr(shape, name)) for name in tencent.POINT_LISTS)
        assert points <= tencent.MAX_POINTS_PER_FACE
    [call] = densemark_server.calls_for("tencent")
    assert call.action == tencent.ACTION
    assert call.status == 200


def test_tencent_sync_sdk_with_a_wrong_key_gets_signature_failure(
    densemark_server: DensemarkServer,
) -> None:
    densemark_server.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with pytest.raises(TencentCloudSDKException) as raised:
        sdk_client(densemark_server, secret_key="not-the-key").AnalyzeDenseLandmarks(sdk_request())
    assert raised.value.get_code() == "AuthFailure.SignatureFailure"


def test_tencent_sync_sdk_sees_an_injected_rate_limit(densemark_server: DensemarkServer) -> None:
    densemark_server.inject_error("tencent", "RequestLimitExceeded")
    with pytest.raises(TencentCloudSDKException) as raised:
        sdk_client(densemark_server).AnalyzeDenseLandmarks(sdk_request())
    assert raised.value.get_code() == "RequestLimitExceeded"


INNER_TESTS = """
import json, os
import pytest
import requests
from pytest_densemark import facepp
from pytest_densemark.images import make_image

FIELDS = {"api_key": "k", "api_secret": "s", "return_landmark": "all"}
IMAGE = make_image("JPEG", 320, 240)


def post(server):
    return requests.post(
        server.facepp_url, data=FIELDS, files={"image_file": IMAGE}, timeout=5
    )


def note_port(server):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(os.environ["PORTS_DIR"], worker), "a") as out:
        out.write(f"{server.port}\\n")


def test_error_injected(densemark_server):
    note_port(densemark_server)
    densemark_server.inject_error("facepp", "INTERNAL_ERROR", times=None)
    with post(densemark_server) as response:
        assert response.status_code == 500


def test_reset_before_each_test(densemark_server):
    note_port(densemark_server)
    assert densemark_server.calls == []
    with post(densemark_server) as response:
        assert response.status_code == 200
        assert len(response.json()["face"]["landmark"]) == len(facepp.ALL_PARTS)


@pytest.mark.densemark(cassette="facepp/legacy-7part")
def test_marker_cassette(densemark_server):
    note_port(densemark_server)
    with post(densemark_server) as response:
        assert set(response.json()["face"]["landmark"]) == set(facepp.LEGACY_PARTS)


@pytest.mark.densemark(credentials={"api_key": "other"})
def test_marker_credentials(densemark_server):
    note_port(densemark_server)
    with post(densemark_server) as response:
        assert response.status_code == facepp.ERRORS["AUTHENTICATION_ERROR"].status


@pytest.mark.densemark(cassette="facepp/retry-twice-then-success")
def test_unplayed_interactions_fail(densemark_server):
    note_port(densemark_server)
    with post(densemark_server) as response:
        assert response.status_code == 403
"""


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, set[str]]]:
    ports = pytester.mkdir("ports")
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_inner=INNER_TESTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTS_DIR", str(ports))
        # When this suite itself runs under xdist, the inner run must not look like a worker.
        for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
            patch.delenv(name, raising=False)
        result = pytester.runpytest_subprocess(*args)
    seen = {path.name: set(path.read_text().split()) for path in Path(ports).iterdir()}
    return result, seen


def test_one_server_per_session_reset_between_tests(pytester: pytest.Pytester) -> None:
    result, ports = _run(pytester, "-p", "no:randomly")
    # Unplayed interactions fail the test itself, as they do under ``densemark``.
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_unplayed_interactions_fail*", "*were never played*"])
    assert list(ports) == ["main"]
    assert len(ports["main"]) == 1


def test_one_server_per_xdist_worker(pytester: pytest.Pytester) -> None:
    result, ports = _run(pytester, "-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    assert sorted(ports) == ["gw0", "gw1"]
    assert all(len(seen) == 1 for seen in ports.values())
    assert ports["gw0"] != ports["gw1"]


def test_control_api_through_the_fixture(densemark_server: DensemarkServer) -> None:
    fault = {"type": "error", "vendor": "facepp", "error": "CONCURRENCY_LIMIT_EXCEEDED"}
    with requests.post(
        f"{densemark_server.url}/_densemark/fault",
        data=json.dumps(fault),
        headers={"Content-Type": "application/json"},  # the control API takes JSON only
        timeout=5,
    ) as answer:
        assert answer.json() == {"ok": True}
    with requests.post(
        densemark_server.facepp_url,
        data={"api_key": "k", "api_secret": "s", "return_landmark": "all"},
        files={"image_file": IMAGE},
        timeout=5,
    ) as response:
        assert response.json()["error_message"] == facepp.error_body_message(
            "CONCURRENCY_LIMIT_EXCEEDED"
        )
