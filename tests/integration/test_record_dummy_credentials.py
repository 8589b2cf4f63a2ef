"""Record mode with the dummy credentials tests use: no false refusal, and a presigned image
URL's credentials never reach the file."""

from __future__ import annotations

import pytest
from densemark_support import STRICT_INI, serve_emulator

URL_SIGNATURE = "canary-presigned-signature-4a5b6c7d"

INNER = f"""
import httpx, pytest
from pytest_densemark import facepp

@pytest.mark.densemark(cassette="dummy")
def test_dummy_credentials(densemark):
    densemark.set_credentials(api_key="k", api_secret="test")
    response = httpx.post(facepp.URL, data={{
        "api_key": "k", "api_secret": "test", "return_landmark": "all",
        "image_url": "https://bucket.example/face.jpg?X-Amz-Signature={URL_SIGNATURE}",
    }})
    assert response.status_code in (200, 400), response.text
"""


def test_recording_with_dummy_credentials_is_not_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_inner=INNER)
    with serve_emulator() as served:
        served.emulator.set_credentials(api_key="k", api_secret="test")
        recorded = pytester.runpytest_inprocess(
            "-p", "no:randomly", "--densemark-record=new", f"--densemark-upstream={served.url}"
        )
    recorded.assert_outcomes(passed=1)
    written = (pytester.path / "cassettes" / "dummy.json").read_text(encoding="utf-8")
    # Both dummies occur as letters elsewhere: "recorded by pytest-densemark ...".
    assert "pytest-densemark" in written
    assert '"api_key"' not in written
    assert URL_SIGNATURE not in written
    assert "https://bucket.example/face.jpg" in written
    # And the recording replays, without the network.
    replayed = pytester.runpytest_inprocess("-p", "no:randomly")
    replayed.assert_outcomes(passed=1)
