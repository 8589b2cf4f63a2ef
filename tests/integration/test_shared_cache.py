"""The process-wide answer cache seen from a test suite: each test starts warm, none sees the
faces, credentials or faults another test set, under ``densemark`` and ``densemark_server``."""

from __future__ import annotations

import pytest
from densemark_support import PRELUDE, STRICT_INI, Runner


@pytest.fixture
def run(pytester: pytest.Pytester) -> Runner:
    """Run an inner test module (PRELUDE + ``source``) under strict settings, in process."""
    pytester.makeini(STRICT_INI)

    def _run(source: str, *args: str) -> pytest.RunResult:
        pytester.makepyfile(test_inner=PRELUDE + source)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)

    return _run


def test_the_next_test_starts_warm_and_sees_nothing_of_the_last(run: Runner) -> None:
    result = run(
        """
FACE = Face(100, 120, 220, 220, seed=7)
SEEN = {}

def test_1_sets_faces_credentials_and_faults(densemark):
    SEEN["facepp"] = call_facepp().json()["face"]
    SEEN["tencent"] = call_tencent().json()["Response"]["DenseFaceShapeSet"]
    densemark.set_faces(IMAGE, [FACE])
    densemark.set_credentials(api_key="only-this-key")
    densemark.inject_error("tencent", "RequestLimitExceeded", times=None)
    assert call_facepp(key="only-this-key").json()["face"] != SEEN["facepp"]
    assert call_facepp().status_code == 401
    assert call_tencent().json()["Response"]["Error"]["Code"] == "RequestLimitExceeded"

def test_2_starts_warm_and_sees_none_of_it(densemark):
    assert call_facepp().json()["face"] == SEEN["facepp"]
    assert call_tencent().json()["Response"]["DenseFaceShapeSet"] == SEEN["tencent"]
    assert densemark.answer_cache_info()[:2] == (2, 0)

def post(server, key="k"):
    return httpx.post(
        server.facepp_url,
        data={"api_key": key, "api_secret": "s", "return_landmark": "all"},
        files={"image_file": ("face.jpg", IMAGE, "image/jpeg")},
    )

def test_3_server_sets_faces_and_credentials(densemark_server):
    assert post(densemark_server).json()["face"] == SEEN["facepp"]
    densemark_server.set_faces(IMAGE, [FACE])
    densemark_server.set_credentials(api_key="only-this-key")
    assert post(densemark_server, key="only-this-key").json()["face"] != SEEN["facepp"]
    assert post(densemark_server).status_code == 401

def test_4_server_after_its_reset(densemark_server):
    assert post(densemark_server).json()["face"] == SEEN["facepp"]
    assert densemark_server.emulator.answer_cache_info()[:2] == (1, 0)
"""
    )
    result.assert_outcomes(passed=4)
