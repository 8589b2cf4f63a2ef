"""Every request form the official Tencent SDKs send: TC3 over GET, the older HmacSHA1 and
HmacSHA256 signatures (form POST and GET), in-process and over the loopback server, both API
versions; error messages in the language asked for; the SDK's retry flags."""

from __future__ import annotations

import base64
import importlib
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from pytest_densemark import tc3, tencent
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image
from pytest_densemark.server import DensemarkServer

SECRET_ID = "AKIDsyntheticEXAMPLE"
SECRET_KEY = "synthetic-secret-key"
NOW = 1_700_000_000
JPEG = make_image("JPEG", 320, 240, seed=5)
IMAGE = base64.b64encode(JPEG).decode()
MODULES = {"2020-03-03": "v20200303", "2018-03-01": "v20180301"}


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"] == tencent.CONTENT_TYPE
    body = response.json()["Response"]
    return str(body["Error"]["Code"]) if "Error" in body else "OK"


def emulator() -> Emulator:
    emulator = Emulator(clock=lambda: NOW)
    emulator.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    return emulator


def tc3_get(
    params: dict[str, Any], *, version: str = tencent.VERSIONS[1], secret_key: str = SECRET_KEY
) -> httpx.Request:
    """TC3-HMAC-SHA256 over GET, as the SDK's HttpProfile(reqMethod="GET") sends it."""
    query = urlencode(params)
    content_type = "application/x-www-form-urlencoded"
    authorization = tc3.authorization_header(
        SECRET_ID,
        secret_key,
        host=tencent.HOST,
        body=b"",
        timestamp=NOW,
        content_type=content_type,
        method="GET",
        query=query,
    )
    headers = {
        "Content-Type": content_type,
        "Host": tencent.HOST,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(NOW),
        "Authorization": authorization,
    }
    return httpx.Request("GET", f"https://{tencent.HOST}/?{query}", headers=headers)


def old_signed(
    params: dict[str, Any],
    *,
    method: str = "POST",
    signature_method: str = "HmacSHA256",
    version: str = tencent.VERSIONS[1],
    secret_key: str = SECRET_KEY,
    timestamp: int = NOW,
    drop: str | None = None,
) -> httpx.Request:
    """The older signatures: the common parameters travel with the action's."""
    fields: dict[str, Any] = {
        **params,
        "Action": tencent.ACTION,
        "Version": version,
        "Timestamp": timestamp,
        "Nonce": random.Random(1).randint(1, 2**31),
        "SecretId": SECRET_ID,
        "Region": "ap-guangzhou",
        "SignatureMethod": signature_method,
    }
    string = tc3.old_string_to_sign(method, tencent.HOST, "/", fields)
    fields["Signature"] = tc3.old_sign(secret_key, string, signature_method)
    if drop:
        del fields[drop]
    encoded = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": tencent.HOST}
    if method == "GET":
        return httpx.Request("GET", f"https://{tencent.HOST}/?{encoded}", headers=headers)
    return httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=encoded)


# -- in-process -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_tc3_over_get_is_verified(version: str) -> None:
    em = emulator()
    assert code_of(em.handle(tc3_get({"Image": IMAGE, "Mode": 1}, version=version))) == "OK"
    (call,) = em.calls
    assert call.params["Mode"] == 1
    wrong = tc3_get({"Image": IMAGE}, version=version, secret_key="another-secret")
    assert code_of(em.handle(wrong)) == "AuthFailure.SignatureFailure"


def test_tc3_get_integer_parameters_must_be_integers() -> None:
    assert code_of(emulator().handle(tc3_get({"Image": IMAGE, "Mode": "x"}))) == "InvalidParameter"


@pytest.mark.parametrize("signature_method", tencent.OLD_SIGNATURE_METHODS)
@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_old_signatures_are_verified(signature_method: str, method: str, version: str) -> None:
    em = emulator()
    ok = old_signed({"Image": IMAGE}, method=method, signature_method=signature_method)
    assert code_of(em.handle(ok)) == "OK"
    assert em.calls[0].version == tencent.VERSIONS[1]
    request = old_signed(
        {"Image": IMAGE}, method=method, signature_method=signature_method, version=version
    )
    assert code_of(em.handle(request)) == "OK"
    bad = old_signed(
        {"Image": IMAGE}, method=method, signature_method=signature_method, secret_key="nope"
    )
    assert code_of(em.handle(bad)) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"timestamp": NOW - 301}, "AuthFailure.SignatureExpire"),
        ({"drop": "Nonce"}, "MissingParameter"),
        ({"drop": "Signature"}, "MissingParameter"),
        ({"drop": "Version"}, "MissingParameter"),
        ({"signature_method": "HmacMD5"}, "InvalidParameterValue"),
    ],
)
def test_old_signature_failures_use_the_tc3_codes(kwargs: dict[str, Any], code: str) -> None:
    if kwargs.get("signature_method") == "HmacMD5":
        request = old_signed({"Image": IMAGE})
        body = request.content.decode().replace(
            "SignatureMethod=HmacSHA256", "SignatureMethod=HmacMD5"
        )
        request = httpx.Request("POST", request.url, headers=request.headers, content=body)
    else:
        request = old_signed({"Image": IMAGE}, **kwargs)
    assert code_of(emulator().handle(request)) == code


def test_old_signature_unknown_secret_id_and_tampered_parameter() -> None:
    em = emulator()
    em.set_credentials(secret_id="AKIDsomebodyElse")
    assert code_of(em.handle(old_signed({"Image": IMAGE}))) == "AuthFailure.SecretIdNotFound"
    request = old_signed({"Image": IMAGE, "Mode": 0})
    tampered = request.content.decode().replace("Mode=0", "Mode=1")
    request = httpx.Request("POST", request.url, headers=request.headers, content=tampered)
    assert code_of(emulator().handle(request)) == "AuthFailure.SignatureFailure"


# -- language and the SDK's retry flags -----------------------------------------------------


def test_error_messages_follow_x_tc_language() -> None:
    em = emulator()
    messages = {}
    for language in (*tencent.LANGUAGES, None):
        request = tc3_get({"Image": IMAGE}, secret_key="wrong")
        if language is not None:
            request.headers["X-TC-Language"] = language
        response = em.handle(request)
        messages[language] = response.json()["Response"]["Error"]["Message"]
    error = tencent.ERRORS["AuthFailure.SignatureFailure"]
    assert messages["zh-CN"] == error.message_zh
    assert messages["en-US"] == messages[None] == error.message
    # Injected errors too, and the old signatures' Language parameter.
    em.inject_error("tencent", "RequestLimitExceeded")
    request = tc3_get({"Image": IMAGE})
    request.headers["X-TC-Language"] = "zh-CN"
    assert em.handle(request).json()["Response"]["Error"]["Message"] == "请求的次数超过了频率限制。"


def test_every_code_has_a_chinese_message_and_unknow_error_is_in_both_versions() -> None:
    assert all(error.message_zh for error in tencent.ERRORS.values())
    assert tencent.ERRORS["FailedOperation.UnKnowError"].versions == tencent.VERSIONS


def test_retryable_flags_match_the_sdk_retryer() -> None:
    from tencentcloud.common.retry import StandardRetryer

    retryer = StandardRetryer(max_attempts=2)
    for code, error in tencent.ERRORS.items():
        exc = TencentCloudSDKException(code, "message", "request-id")
        assert error.retryable == bool(retryer.should_retry(None, exc)), code


# -- the official Python SDK over the loopback server ---------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DensemarkServer]:
    """A loopback server whose emulator checks the SDK's real signatures."""
    with DensemarkServer() as server:
        server.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
        no_proxy = f"127.0.0.1,127.0.0.1:{server.port},localhost"
        monkeypatch.setenv("NO_PROXY", no_proxy)
        monkeypatch.setenv("no_proxy", no_proxy)
        yield server


def sdk_client(
    server: DensemarkServer, version: str, *, method: str, sign: str, key: str = SECRET_KEY
) -> tuple[Any, Any]:
    package = f"tencentcloud.iai.{MODULES[version]}"
    client_module = importlib.import_module(f"{package}.iai_client")
    models = importlib.import_module(f"{package}.models")
    http = HttpProfile(protocol="http", endpoint=server.tencent_endpoint, reqMethod=method)
    profile = ClientProfile(signMethod=sign, httpProfile=http)
    client = client_module.IaiClient(Credential(SECRET_ID, key), "ap-guangzhou", profile)
    return client, models


FORMS = [
    ("GET", "TC3-HMAC-SHA256"),
    ("POST", "HmacSHA1"),
    ("GET", "HmacSHA1"),
    ("POST", "HmacSHA256"),
    ("GET", "HmacSHA256"),
]


@pytest.mark.parametrize(("method", "sign"), FORMS)
@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_python_sdk_forms_over_the_server(
    server: DensemarkServer, version: str, method: str, sign: str
) -> None:
    client, models = sdk_client(server, version, method=method, sign=sign)
    request = models.AnalyzeDenseLandmarksRequest()
    request.Image = IMAGE
    request.Mode = 1
    answer = client.AnalyzeDenseLandmarks(request)
    assert answer.ImageWidth == 320
    assert len(answer.DenseFaceShapeSet) == 1
    (call,) = server.calls
    assert (call.version, call.params["Mode"]) == (version, 1)

    wrong, _ = sdk_client(server, version, method=method, sign=sign, key="wrong-secret")
    with pytest.raises(TencentCloudSDKException) as info:
        wrong.AnalyzeDenseLandmarks(request)
    assert info.value.get_code() == "AuthFailure.SignatureFailure"
    # The SDK asks for zh-CN by default: the message comes in Chinese.
    assert info.value.get_message() == tencent.ERRORS["AuthFailure.SignatureFailure"].message_zh


def test_action_parameters_mean_tencent_only_on_loopback() -> None:
    from pytest_densemark.wire import vendor_of_request

    form = {"Action": "SendMessage", "Version": "2012-11-05"}
    elsewhere = httpx.Request("POST", "https://sqs.us-east-1.amazonaws.com/", data=form)
    assert vendor_of_request(elsewhere) is None
    local = httpx.Request("POST", "http://127.0.0.1:8080/", data=form)
    assert vendor_of_request(local) == "tencent"
    assert vendor_of_request(httpx.Request("GET", "http://localhost:8080/?Action=X")) == "tencent"


# -- the official SDK's async client in-process (httpx, through respx) ---------------------


@pytest.mark.parametrize(("method", "sign"), FORMS)
@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_async_sdk_forms_in_process(version: str, method: str, sign: str) -> None:
    import asyncio

    import respx

    em = Emulator()
    em.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    package = f"tencentcloud.iai.{MODULES[version]}"
    client_module = importlib.import_module(f"{package}.iai_client_async")
    models = importlib.import_module(f"{package}.models")
    profile = ClientProfile(signMethod=sign, httpProfile=HttpProfile(reqMethod=method))

    async def call(key: str) -> Any:
        client = client_module.IaiClient(Credential(SECRET_ID, key), "ap-guangzhou", profile)
        request = models.AnalyzeDenseLandmarksRequest()
        request.Image = IMAGE
        try:
            return await client.AnalyzeDenseLandmarks(request)
        finally:
            await client.close()

    with respx.mock(assert_all_called=False) as router:
        router.route(host__regex=tencent.HOST_PATTERN.pattern).mock(side_effect=em.handle)
        answer = asyncio.run(call(SECRET_KEY))
        assert answer.ImageHeight == 240
        with pytest.raises(TencentCloudSDKException) as info:
            asyncio.run(call("wrong-secret"))
    assert info.value.get_code() == "AuthFailure.SignatureFailure"
    assert em.calls[0].version == version


def test_size_limits_per_request_form() -> None:
    em = emulator()
    big = "A" * (tencent.MAX_GET_REQUEST_BYTES + 1)
    assert code_of(em.handle(tc3_get({"Image": big}))) == "RequestSizeLimitExceeded"
    large = "A" * (tencent.MAX_OLD_SIGNATURE_POST_BYTES + 1)
    assert code_of(em.handle(old_signed({"Image": large}))) == "RequestSizeLimitExceeded"
    # Under the limit the request goes on to the signature and image checks.
    assert code_of(em.handle(tc3_get({"Image": "A" * 1000}))) == "FailedOperation.ImageDecodeFailed"


@pytest.mark.parametrize("signature_method", tencent.OLD_SIGNATURE_METHODS)
def test_old_sign_matches_the_sdks_own_signer(signature_method: str) -> None:
    from tencentcloud.common.sign import Sign

    string = tc3.old_string_to_sign(
        "POST", "iai.tencentcloudapi.com", "/", {"Nonce": 7, "Action": "X", "Image_0": "a"}
    )
    assert string == "POSTiai.tencentcloudapi.com/?Action=X&Image.0=a&Nonce=7"
    expected = Sign.sign(SECRET_KEY, string, signature_method)
    assert tc3.old_sign(SECRET_KEY, string, signature_method) == expected
    with pytest.raises(ValueError, match="SignatureMethod 'HmacMD5'"):
        tc3.old_sign(SECRET_KEY, string, "HmacMD5")


def test_accepted_scopes_widen_only_on_loopback() -> None:
    assert tc3.accepted_scopes("iai.tencentcloudapi.com") == (
        ("iai.tencentcloudapi.com",),
        ("iai",),
    )
    assert tc3.accepted_scopes("127.0.0.1:9000") == (
        ("127.0.0.1:9000", "127.0.0.1"),
        ("iai", "127"),
    )
    assert tc3.accepted_scopes("[::1]:9000") == (("[::1]:9000", "[::1]"), ("iai", "[::1]:9000"))
    assert tc3.accepted_scopes("10.0.0.1:9000") == (("10.0.0.1:9000",), ("iai",))
