"""Failure reports carry no credential: a junit XML of failing tests is searched for canaries."""

from __future__ import annotations

import pytest
from densemark_support import STRICT_INI

# Canary credentials: built at run time in the inner module (never written in a test's own
# lines, which tracebacks show), so any occurrence in a report came from the kit.
CANARIES = (
    "canary-query-key-5d0c7e21a9",
    "canary-form-key-3b8f60e4d2",
    "canary-form-secret-91c2aa7f0e",
    "AKIDcanaryf41b2c9d8e7a6b5c",
    "canarysignature0f1e2d3c4b5a",
    "canary-image-url-signature-7c6d",
)

INNER = """
import httpx, pytest
from pytest_densemark import facepp, tencent, wire

QUERY_KEY, FORM_KEY, FORM_SECRET, SECRET_ID, SIGNATURE, URL_SIGNATURE = {canaries!r}
URL = facepp.URL + "?api_key=" + QUERY_KEY
FORM = {{"api_key": FORM_KEY, "api_secret": FORM_SECRET, "return_landmark": "mouth",
         "image_url": "https://bucket.example/f.jpg?X-Amz-Signature=" + URL_SIGNATURE}}
AUTH = ("TC3-HMAC-SHA256 Credential=" + SECRET_ID + "/2024-05-01/iai/tc3_request,"
        " SignedHeaders=content-type;host, Signature=" + SIGNATURE)
TC_HEADERS = {{"X-TC-Action": tencent.ACTION, "X-TC-Version": "2018-03-01",
               "X-TC-Timestamp": "1714521600", "Authorization": AUTH}}

@pytest.mark.densemark(cassette="facepp/full-9part")
def test_cassette_mismatch(densemark):
    httpx.post(URL, data=FORM)

def test_injected_timeout(densemark):
    densemark.inject_timeout(vendor="facepp")
    httpx.post(URL, data=FORM)

def test_injected_disconnect_tencent(densemark):
    densemark.inject_disconnect(vendor="tencent")
    httpx.post("https://" + tencent.HOST + "/?SecretId=" + SECRET_ID, json={{}},
               headers=TC_HEADERS)

def test_call_repr_in_an_assertion(densemark):
    httpx.post(URL, data=FORM)
    call = densemark.calls[0]
    assert call is None

def test_parsed_params_repr_in_an_assertion():
    request = httpx.Request("POST", URL, data=FORM)
    params = wire.parse_facepp(request)
    assert params is None

def test_tencent_params_repr_in_an_assertion():
    request = httpx.Request("POST", "https://" + tencent.HOST + "/", json={{}},
                            headers=TC_HEADERS)
    params = wire.parse_tencent(request)
    assert params is None
"""


@pytest.mark.parametrize("tb", ["auto", "long", "short"])
def test_junit_xml_of_a_failing_run_holds_no_credential(pytester: pytest.Pytester, tb: str) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_inner=INNER.format(canaries=CANARIES))
    result = pytester.runpytest("-p", "no:randomly", f"--tb={tb}", "--junitxml=report.xml")
    result.assert_outcomes(failed=6)
    report = (pytester.path / "report.xml").read_text(encoding="utf-8")
    # The failures are there, and say what happened ...
    assert "no interaction answers POST" in report
    assert "injected timeout" in report
    assert "injected dropped connection" in report
    # ... without any credential, in the XML or on the terminal.
    shown = report + "\n".join(result.outlines)
    leaked = [canary for canary in CANARIES if canary in shown]
    assert leaked == [], f"credentials in the report: {leaked}"
