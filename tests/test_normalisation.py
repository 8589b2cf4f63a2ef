"""The emulator and cassette matching read a request the same way: one rule, equal verdicts."""

from __future__ import annotations

import base64

import pytest
import requests

from pytest_densemark import emulate, facepp, make_image

IMAGE = make_image("jpeg", 320, 240)


def _post(return_landmark: str | None) -> requests.Response:
    data = {"api_key": "k", "api_secret": "s"}
    if return_landmark is not None:
        data["return_landmark"] = return_landmark
    return requests.post(facepp.URL, data=data, files={"image_file": IMAGE}, timeout=5)


@pytest.mark.parametrize(
    "value",
    [
        "all", "ALL", " All ", "all,", "left_eye,all", None, "",
        "left_eye", "LEFT_EYE", "left_eye,right_eye", "right_eye , left_eye", "mouse", "mouth",
        "0", "no_such_part",
    ],
)  # fmt: skip
def test_emulator_and_cassette_agree_on_return_landmark(value: str | None) -> None:
    with emulate() as emulated:
        answer = _post(value)
    every_part = answer.status_code == 200 and set(answer.json()["face"]["landmark"]) == set(
        facepp.ALL_PARTS
    )
    with emulate("facepp/full-9part", allow_unplayed=True) as replay:
        try:
            replayed = _post(value).status_code == 200
        except Exception:
            replayed = False
        replay.failures.clear()  # the mismatch is this test's expected outcome, not a failure
    # The shipped cassette was recorded with return_landmark=all: it answers exactly the
    # requests the emulator answers with every part.
    assert replayed == every_part, (value, answer.status_code, emulated.calls[0].params)


def _send(return_landmark: str, how: str) -> requests.Response:
    fields = {"api_key": "k", "api_secret": "s", "return_landmark": return_landmark}
    if how == "query":
        return requests.post(facepp.URL, params=fields, files={"image_file": IMAGE}, timeout=5)
    fields["image_base64"] = base64.b64encode(IMAGE).decode()
    return requests.post(facepp.URL, data=fields, timeout=5)


@pytest.mark.parametrize("how", ["query", "urlencoded"])
@pytest.mark.parametrize("value", ["ALL", " all ,", "Nose", "mouse,all", "nose,,mouth", ","])
def test_agreement_holds_however_the_fields_travel(value: str, how: str) -> None:
    with emulate() as emulated:
        answer = _send(value, how)
    every_part = answer.status_code == 200 and set(answer.json()["face"]["landmark"]) == set(
        facepp.ALL_PARTS
    )
    with emulate("facepp/full-9part", allow_unplayed=True) as replay:
        try:
            replayed = _send(value, how).status_code == 200
        except Exception:
            replayed = False
        replay.failures.clear()
    assert replayed == every_part, (value, how, answer.status_code, emulated.calls[0].params)
