"""``emulate()``: context manager, decorator, settings checks, end-of-block checks, Hypothesis."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import unittest
from typing import Any

import aiohttp
import pytest
import requests
from hypothesis import given, settings

from pytest_densemark import Controller, emulate, facepp, make_image
from pytest_densemark.emulation import SettingsError, credential_names
from pytest_densemark.server import DensemarkServer
from pytest_densemark.strategies import facepp_responses

IMAGE = make_image("jpeg", 320, 240)
FORM = {"api_key": "k", "api_secret": "s", "return_landmark": "all"}


def post() -> requests.Response:
    return requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=5)


def swallow_errors_of_a_careless_client() -> None:
    with contextlib.suppress(Exception):
        requests.post(facepp.URL, data={"return_landmark": "0"}, timeout=5)


def test_context_manager_yields_a_controller() -> None:
    with emulate() as densemark:
        assert isinstance(densemark, Controller)
        assert post().status_code == 200
    assert densemark.calls[0].source == "emulator"


def test_blocks_do_not_nest() -> None:
    with emulate(), pytest.raises(RuntimeError, match="do not nest"), emulate():
        pass  # pragma: no cover


def test_not_inside_the_fixture(densemark: Controller) -> None:
    with pytest.raises(RuntimeError, match="already active"), emulate():
        pass  # pragma: no cover


def test_outside_the_block_nothing_is_answered(httpserver: Any) -> None:
    # The same stub, idle: a loopback request after the block reaches its real server.
    with emulate():
        pass
    httpserver.expect_request("/").respond_with_data("real")
    assert requests.get(httpserver.url_for("/"), timeout=5).text == "real"


def test_cassette_and_credentials() -> None:
    with emulate("facepp/legacy-7part") as densemark:
        assert set(post().json()["face"]["landmark"]) == set(facepp.LEGACY_PARTS)
    with emulate(credentials={"api_key": "right"}):
        assert post().status_code == facepp.ERRORS["AUTHENTICATION_ERROR"].status
    assert densemark.cassette is not None


def test_unplayed_interactions_fail_the_block() -> None:
    with (
        pytest.raises(AssertionError, match=r"2 of 3 interaction\(s\).*never played"),
        emulate("facepp/retry-twice-then-success"),
    ):
        post()
    with emulate("facepp/retry-twice-then-success", allow_unplayed=True):
        post()


def test_a_swallowed_mismatch_still_fails() -> None:
    block = emulate("facepp/full-9part", allow_unplayed=True)
    with pytest.raises(AssertionError, match="a vendor request got no answer"), block:
        swallow_errors_of_a_careless_client()


def test_an_error_inside_the_block_is_not_masked() -> None:
    with pytest.raises(KeyError), emulate("facepp/retry-twice-then-success"):
        raise KeyError("mine")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"allow_unplayed": "false"}, r"emulate\(allow_unplayed=...\) must be True or False"),
        ({"cassette": 5}, r"emulate\(cassette=...\) must be a library name or a path"),
        ({"credentials": ["k"]}, r"emulate\(credentials=...\) must be a dict"),
        ({"credentials": {"key": "k"}}, r"unknown key\(s\) key; accepted: api_key"),
        ({"credentials": {"api_key": 1}}, r"\['api_key'\] must be a string, got int"),
    ],
)
def test_settings_are_checked_at_once(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        emulate(**kwargs)


def test_credential_names_follow_set_credentials() -> None:
    assert credential_names() == ("api_key", "api_secret", "secret_id", "secret_key", "token")


@emulate("facepp/full-9part")
def _decorated(densemark: Controller, n: int) -> tuple[Controller, int]:
    assert post().status_code == 200
    return densemark, n


def test_decorator_gives_each_call_a_fresh_controller() -> None:
    # The decorator hides ``densemark`` from callers; a type checker still sees it.
    first, one = _decorated(n=1)  # type: ignore[call-arg]
    second, two = _decorated(n=2)  # type: ignore[call-arg]
    assert first is not second
    assert (one, two) == (1, 2)
    assert list(inspect.signature(_decorated).parameters) == ["n"]


@emulate()
async def _decorated_async() -> int:
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData(FORM)
        form.add_field("image_file", IMAGE, filename="f.jpg")
        async with session.post(facepp.URL, data=form) as response:
            return response.status


def test_decorator_on_a_coroutine_function() -> None:
    assert asyncio.run(_decorated_async()) == 200


def test_async_context_manager() -> None:
    async def main() -> int:
        async with emulate() as densemark:
            densemark.inject_error("facepp", "INTERNAL_ERROR")
            async with (
                aiohttp.ClientSession() as session,
                session.post(facepp.URL, data=FORM) as response,
            ):
                return response.status

    assert asyncio.run(main()) == 500


@settings(max_examples=15, deadline=None)
@given(body=facepp_responses())
def test_hypothesis_with_emulate(body: dict[str, Any]) -> None:
    # A fresh controller for each example, default health checks.
    with emulate() as densemark:
        densemark.queue_response("facepp", body)
        assert post().json() == body
        assert len(densemark.calls) == 1


@settings(max_examples=10, deadline=None)
@given(body=facepp_responses())
@emulate()
def test_hypothesis_with_the_decorator(densemark: Controller, body: dict[str, Any]) -> None:
    densemark.queue_response("facepp", body)
    assert post().json() == body
    assert len(densemark.calls) == 1


class UnittestStyle(unittest.TestCase):
    """``emulate()`` in a unittest suite."""

    @emulate("tencent/five-faces")
    def test_decorated(self, densemark: Controller) -> None:
        from tencentcloud.common import credential
        from tencentcloud.iai.v20200303 import iai_client, models

        client = iai_client.IaiClient(credential.Credential("id", "key"), "ap-shanghai")
        request = models.AnalyzeDenseLandmarksRequest()
        request.Url = "https://example.org/five.jpg"
        answer = client.AnalyzeDenseLandmarks(request)
        assert len(answer.DenseFaceShapeSet) == 5
        assert densemark.calls[0].source == "cassette"


def test_before_record_is_passed_on(tmp_path: Any) -> None:
    with DensemarkServer() as upstream:
        with emulate(
            tmp_path / "skipped.json",
            record_mode="new",
            upstream=upstream.url,
            before_record=lambda summary, request: None,
        ) as densemark:
            post()
        assert densemark.calls[0].source == "upstream"
    assert not (tmp_path / "skipped.json").exists()
