"""The official Tencent async SDK client (httpx inside) against the ``densemark`` fixture."""

from __future__ import annotations

import base64
import functools
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client_async, models

from pytest_densemark import tencent
from pytest_densemark.cassettes import list_cassettes
from pytest_densemark.controller import Controller
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image

SECRET_ID = "AKIDdensemarkSdkTest0001"
SECRET_KEY = "sdk-test-secret-key"
IMAGE = make_image("JPEG", 800, 600, seed=3)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The SDK's async client runs on asyncio."""
    return "asyncio"


@functools.cache
def _client(endpoint: str = tencent.HOST, secret_key: str = SECRET_KEY) -> Any:
    # One client per configuration: building one loads the TLS trust store (slow), and the
    # patch answers every client anyway, whenever it was made.
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint))
    return iai_client_async.IaiClient(
        credential.Credential(SECRET_ID, secret_key), "ap-shanghai", profile
    )


def _request() -> Any:
    request = models.AnalyzeDenseLandmarksRequest()
    request.Image = base64.b64encode(IMAGE).decode()
    return request


@pytest.mark.parametrize("endpoint", [tencent.HOST, "iai.ap-shanghai.tencentcloudapi.com"])
async def test_parses_888_point_faces(densemark: Controller, endpoint: str) -> None:
    densemark.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    faces = [
        Face(left=60, top=80, width=220, height=260),
        Face(left=420, top=90, width=200, height=240),
    ]
    densemark.set_faces(IMAGE, faces)
    response = await _client(endpoint).AnalyzeDenseLandmarks(_request())
    assert (response.ImageWidth, response.ImageHeight) == (800, 600)
    assert len(response.DenseFaceShapeSet) == 2
    for shape in response.DenseFaceShapeSet:
        points = sum(len(getattr(shape, name)) for name in tencent.POINT_LISTS)
        assert points == tencent.MAX_POINTS_PER_FACE
        assert all(isinstance(p.X, int) for p in shape.Chin)
    call = densemark.calls_for("tencent")[0]
    assert (call.action, call.version) == (tencent.ACTION, "2020-03-03")
    assert call.request.url.host == endpoint


async def test_wrong_secret_key_fails_like_the_vendor(densemark: Controller) -> None:
    densemark.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with pytest.raises(TencentCloudSDKException) as raised:
        await _client(secret_key="not-the-key").AnalyzeDenseLandmarks(_request())
    assert raised.value.code == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("code", list(tencent.ERRORS))
async def test_each_error_raises_the_sdk_exception(densemark: Controller, code: str) -> None:
    densemark.inject_error("tencent", code)
    with pytest.raises(TencentCloudSDKException) as raised:
        await _client().AnalyzeDenseLandmarks(_request())
    assert raised.value.code == code
    assert raised.value.requestId
    # times=1: the next call is answered normally.
    answer = await _client().AnalyzeDenseLandmarks(_request())
    assert answer.DenseFaceShapeSet


_ERROR_CASSETTES = [
    c.name
    for c in list_cassettes()
    if c.vendor == "tencent" and c.version == "2020-03-03" and "/error-" in f"/{c.name}"
]


@pytest.mark.parametrize("name", _ERROR_CASSETTES)
async def test_each_shipped_error_cassette_raises(densemark: Controller, name: str) -> None:
    cassette = densemark.use_cassette(name)
    assert cassette is not None
    code = name.rsplit("error-", 1)[1]
    with pytest.raises(TencentCloudSDKException) as raised:
        await _client().AnalyzeDenseLandmarks(_request())
    assert raised.value.code == code
    assert densemark.unplayed() == []


def test_the_shipped_library_has_error_cassettes() -> None:
    assert len(_ERROR_CASSETTES) >= len(tencent.ERRORS) // 2
