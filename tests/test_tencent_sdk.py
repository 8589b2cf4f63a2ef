"""The official Tencent SDK's async client against the emulator, over respx.

``tencentcloud.iai.<version>.iai_client_async.IaiClient`` sends with httpx, so respx hands its
requests to :meth:`Emulator.handle`; the emulator verifies the SDK's real TC3-HMAC-SHA256
signatures (secrets configured) and the SDK parses the answers as it would the vendor's.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import pytest
import respx
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from pytest_densemark import tencent
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face
from pytest_densemark.images import make_faceless_image, make_image

SECRET_ID = "AKIDsyntheticEXAMPLE"
SECRET_KEY = "synthetic-secret-key"
MODULES = {"2020-03-03": "v20200303", "2018-03-01": "v20180301"}


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator that checks signatures, wired to every Tencent IAI host through respx."""
    emulator = Emulator()
    emulator.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with respx.mock(assert_all_called=False) as router:
        router.route(host__regex=tencent.HOST_PATTERN.pattern).mock(side_effect=emulator.handle)
        yield emulator


def _modules(version: str) -> tuple[ModuleType, ModuleType]:
    package = f"tencentcloud.iai.{MODULES[version]}"
    return (
        importlib.import_module(f"{package}.iai_client_async"),
        importlib.import_module(f"{package}.models"),
    )


@pytest.fixture(params=tencent.VERSIONS)
async def sdk(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, ModuleType, str]]:
    """(client, models module, API version) for each version's async client."""
    version: str = request.param
    client_module, models = _modules(version)
    client = client_module.IaiClient(Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou")
    try:
        yield client, models, version
    finally:
        await client.close()


def _request(models: ModuleType, **fields: Any) -> Any:
    req = models.AnalyzeDenseLandmarksRequest()
    for name, value in fields.items():
        setattr(req, name, value)
    return req


@pytest.mark.anyio
async def test_sdk_parses_888_point_faces(
    emulator: Emulator, sdk: tuple[Any, ModuleType, str]
) -> None:
    client, models, version = sdk
    faces = [Face(40, 60, 200, 200, seed=1), Face(400, 80, 240, 240, smile=0.5, seed=2)]
    image = make_image("JPEG", 800, 500, faces=faces)
    response = await client.AnalyzeDenseLandmarks(
        _request(models, Image=base64.b64encode(image).decode(), Mode=0)
    )
    assert (response.ImageWidth, response.ImageHeight) == (800, 500)
    assert response.FaceModelVersion == tencent.FACE_MODEL_VERSIONS[0]
    assert isinstance(response.RequestId, str)
    assert len(response.DenseFaceShapeSet) == 2
    largest = response.DenseFaceShapeSet[0]
    assert isinstance(largest, models.DenseFaceShape)
    assert largest.Width >= response.DenseFaceShapeSet[1].Width
    for shape in response.DenseFaceShapeSet:
        points = [p for name in tencent.POINT_LISTS for p in getattr(shape, name)]
        assert len(points) == tencent.KIT_PROFILE.total == tencent.MAX_POINTS_PER_FACE
        assert all(isinstance(p.X, int) and isinstance(p.Y, int) for p in points)
    (call,) = emulator.calls
    assert call.version == version
    assert call.response is not None
    assert call.response.headers["content-type"] == tencent.CONTENT_TYPE


@pytest.mark.anyio
async def test_sdk_mode_1_and_url(emulator: Emulator, sdk: tuple[Any, ModuleType, str]) -> None:
    client, models, _ = sdk
    faces = [Face(40, 60, 150, 150), Face(300, 60, 220, 220)]
    emulator.register_url("https://example.com/two.png", make_image("PNG", 600, 400, faces=faces))
    response = await client.AnalyzeDenseLandmarks(
        _request(models, Url="https://example.com/two.png", Mode=1, FaceModelVersion="3.0")
    )
    (shape,) = response.DenseFaceShapeSet
    assert shape.Width == 220


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Url": "https://example.com/missing.jpg"}, "FailedOperation.ImageDownloadError"),
        ({"Image": ""}, "InvalidParameterValue.ImageEmpty"),
        ({"Image": "aGVsbG8="}, "FailedOperation.ImageDecodeFailed"),
        ({"Image": "<faceless>"}, "InvalidParameterValue.NoFaceInPhoto"),
        (
            {"Image": "<jpeg>", "FaceModelVersion": "2.0"},
            "InvalidParameterValue.FaceModelVersionIllegal",
        ),
    ],
)
async def test_sdk_raises_vendor_errors(
    emulator: Emulator, sdk: tuple[Any, ModuleType, str], fields: dict[str, str], code: str
) -> None:
    client, models, _ = sdk
    images = {
        "<faceless>": make_faceless_image("JPEG", 300, 300),
        "<jpeg>": make_image("JPEG", 300, 300),
    }
    fields = {
        k: base64.b64encode(images[v]).decode() if v in images else v for k, v in fields.items()
    }
    with pytest.raises(TencentCloudSDKException) as raised:
        await client.AnalyzeDenseLandmarks(_request(models, **fields))
    assert raised.value.code == code
    # The SDK sends X-TC-Language: zh-CN unless told otherwise: the message is Chinese.
    assert raised.value.message == tencent.ERRORS[code].message_zh
    assert raised.value.requestId == emulator.calls[-1].json()["Response"]["RequestId"]


@pytest.mark.anyio
async def test_sdk_injected_error_then_success(
    emulator: Emulator, sdk: tuple[Any, ModuleType, str]
) -> None:
    client, models, _ = sdk
    emulator.inject_error("tencent", "RequestLimitExceeded", times=1)
    image = base64.b64encode(make_image("PNG", 300, 300)).decode()
    with pytest.raises(TencentCloudSDKException) as raised:
        await client.AnalyzeDenseLandmarks(_request(models, Image=image))
    assert raised.value.code == "RequestLimitExceeded"
    response = await client.AnalyzeDenseLandmarks(_request(models, Image=image))
    assert len(response.DenseFaceShapeSet) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("secret_id", "secret_key", "code"),
    [
        ("AKIDsomeoneelse", SECRET_KEY, "AuthFailure.SecretIdNotFound"),
        (SECRET_ID, "not-the-key", "AuthFailure.SignatureFailure"),
    ],
)
async def test_sdk_signature_is_verified(
    emulator: Emulator, secret_id: str, secret_key: str, code: str
) -> None:
    client_module, models = _modules(tencent.VERSIONS[1])
    client = client_module.IaiClient(Credential(secret_id, secret_key), "ap-guangzhou")
    image = base64.b64encode(make_image("PNG", 300, 300)).decode()
    try:
        with pytest.raises(TencentCloudSDKException) as raised:
            await client.AnalyzeDenseLandmarks(_request(models, Image=image))
    finally:
        await client.close()
    assert raised.value.code == code


@pytest.mark.anyio
async def test_sdk_signature_expires(emulator: Emulator) -> None:
    import time

    emulator.clock = lambda: time.time() + tencent.MAX_CLOCK_SKEW_SECONDS + 60
    client_module, models = _modules(tencent.VERSIONS[0])
    client = client_module.IaiClient(Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou")
    try:
        with pytest.raises(TencentCloudSDKException) as raised:
            await client.AnalyzeDenseLandmarks(_request(models, Image="aGk="))
    finally:
        await client.close()
    assert raised.value.code == "AuthFailure.SignatureExpire"


@pytest.mark.anyio
async def test_sdk_reads_the_empty_no_face_answer(
    emulator: Emulator, sdk: tuple[Any, ModuleType, str]
) -> None:
    # The doc's other no-face answer: the SDK returns a model with an empty list, no exception.
    client, models, _ = sdk
    emulator.set_tencent_no_face("empty")
    image = base64.b64encode(make_faceless_image("JPEG", 300, 300)).decode()
    response = await client.AnalyzeDenseLandmarks(_request(models, Image=image))
    assert response.DenseFaceShapeSet == []
    assert (response.ImageWidth, response.ImageHeight) == (300, 300)
    assert response.RequestId == emulator.calls[-1].json()["Response"]["RequestId"]
