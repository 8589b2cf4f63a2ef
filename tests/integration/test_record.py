"""Record mode: record from an upstream served on 127.0.0.1, then replay; secrets never land."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from densemark_support import STRICT_INI, ServedEmulator, serve_emulator, write_facepp_cassette

from pytest_densemark.images import make_image

# Canary secrets: if any of these bytes reach a written file, redaction failed.
CANARY_KEY = "canary-api-key-7f3e9a"
CANARY_SECRET = "canary-api-secret-51bd02"
CANARY_SECRET_ID = "AKIDcanary4c1e0b7d"
CANARY_TOKEN = "canary-session-token-9a8b"
CANARIES = (CANARY_KEY, CANARY_SECRET, CANARY_SECRET_ID, CANARY_TOKEN)
#: The image the inner tests send; its bytes must not be stored either.
IMAGE = make_image("JPEG", 640, 480, seed=5)

RECORDING_TESTS = f"""
import base64, time
import httpx, pytest
from pytest_densemark import facepp, tencent
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 640, 480, seed=5)

@pytest.mark.densemark(cassette="rec/facepp-multipart")
def test_facepp_multipart(densemark):
    response = httpx.post(
        facepp.URL + "?api_key={CANARY_KEY}",
        data={{"api_secret": "{CANARY_SECRET}", "return_landmark": "all", "start": "1"}},
        files={{"image_file": ("face.jpg", IMAGE, "image/jpeg")}},
    )
    assert response.status_code == 200, response.text
    assert sum(len(p) for p in response.json()["face"]["landmark"].values()) == facepp.TOTAL_KEYS
    assert [c.source for c in densemark.calls] == [SOURCE]

@pytest.mark.densemark(cassette="rec/facepp-urlencoded")
def test_facepp_urlencoded(densemark):
    response = httpx.post(facepp.URL, data={{
        "api_key": "{CANARY_KEY}", "api_secret": "{CANARY_SECRET}",
        "return_landmark": "mouth,nose", "image_base64": base64.b64encode(IMAGE).decode(),
    }})
    assert sorted(response.json()["face"]["landmark"]) == ["mouth", "nose"]

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
@pytest.mark.densemark(cassette="rec/tencent")
async def test_tencent_async(densemark):
    async with httpx.AsyncClient() as client:
        response = await client.post(
            "https://iai.ap-guangzhou.tencentcloudapi.com/",
            json={{"Image": base64.b64encode(IMAGE).decode()}},
            headers={{
                "X-TC-Action": "AnalyzeDenseLandmarks", "X-TC-Version": "2020-03-03",
                "X-TC-Timestamp": str(int(time.time())), "X-TC-Token": "{CANARY_TOKEN}",
                "Authorization": "TC3-HMAC-SHA256 Credential={CANARY_SECRET_ID}/2024-01-01/"
                "iai/tc3_request, SignedHeaders=content-type;host, Signature=" + "ab" * 32,
            }},
        )
    shapes = response.json()["Response"]["DenseFaceShapeSet"]
    assert sum(len(shapes[0][n]) for n in tencent.POINT_LISTS) == tencent.MAX_POINTS_PER_FACE
"""


@pytest.fixture
def served_emulator() -> Iterator[ServedEmulator]:
    """An emulator served over HTTP on 127.0.0.1 for the length of one test."""
    with serve_emulator() as served:
        yield served


def _inner(pytester: pytest.Pytester, source: str) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_inner=source)


def _written_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_no_secrets(folder: Path) -> None:
    forbidden = [c.encode() for c in CANARIES]
    forbidden += [IMAGE[100:164], base64.b64encode(IMAGE)[100:164]]
    files = _written_bytes(folder)
    assert files, f"nothing written under {folder}"
    for path, data in files.items():
        for needle in forbidden:
            assert needle not in data, f"{path} holds {needle[:20]!r}"


def test_record_new_then_replay(pytester: pytest.Pytester, served_emulator: ServedEmulator) -> None:
    _inner(pytester, RECORDING_TESTS.replace("[SOURCE]", '["upstream"]'))
    result = pytester.runpytest_inprocess(
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}"
    )
    result.assert_outcomes(passed=3)
    # Every request reached the upstream, with the vendor's Host header kept.
    hosts = [headers["Host"] for _, _, headers, _ in served_emulator.received]
    assert hosts == [
        "api-cn.faceplusplus.com",
        "api-cn.faceplusplus.com",
        "iai.ap-guangzhou.tencentcloudapi.com",
    ]
    folder = pytester.path / "cassettes"
    _assert_no_secrets(folder)
    names = sorted(p.relative_to(folder).as_posix() for p in _written_bytes(folder))
    assert names == ["rec/facepp-multipart.json", "rec/facepp-urlencoded.json", "rec/tencent.json"]
    for path in _written_bytes(folder):
        document = json.loads(path.read_text())
        assert document["source"] == "recorded"
        assert len(document["interactions"]) == 1

    # Replay: no --densemark-record, the upstream gets nothing more.
    before = len(served_emulator.received)
    _inner(pytester, RECORDING_TESTS.replace("[SOURCE]", '["cassette"]'))
    replay = pytester.runpytest_inprocess(f"--densemark-upstream={served_emulator.url}")
    replay.assert_outcomes(passed=3)
    assert len(served_emulator.received) == before


def test_new_keeps_existing_cassettes(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    path = write_facepp_cassette(pytester.path / "cassettes" / "mine.json", description="kept")
    before = path.read_bytes()
    _inner(
        pytester,
        """
import httpx, pytest
from pytest_densemark import facepp

@pytest.mark.densemark(cassette="mine")
def test_replays(densemark):
    httpx.post(facepp.URL, data={"api_key": "key-0123456789", "api_secret": "secret-0123456789",
                  "return_landmark": "all"})
    assert densemark.recording is None
    assert densemark.calls[0].source == "cassette"
""",
    )
    result = pytester.runpytest_inprocess(
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}"
    )
    result.assert_outcomes(passed=1)
    assert served_emulator.received == []
    assert path.read_bytes() == before


def test_all_rerecords(pytester: pytest.Pytester, served_emulator: ServedEmulator) -> None:
    path = write_facepp_cassette(pytester.path / "cassettes" / "mine.json", description="old")
    _inner(
        pytester,
        """
import httpx, pytest
from pytest_densemark import facepp
from pytest_densemark.images import make_image

@pytest.mark.densemark(cassette="mine")
def test_records(densemark):
    assert densemark.recording is not None
    httpx.post(facepp.URL, data={"api_key": "key-0123456789", "api_secret": "secret-0123456789",
                  "return_landmark": "all"},
               files={"image_file": ("f.jpg", make_image("JPEG", 320, 240))})
""",
    )
    result = pytester.runpytest_inprocess(
        "--densemark-record=all", f"--densemark-upstream={served_emulator.url}"
    )
    result.assert_outcomes(passed=1)
    document = json.loads(path.read_text())
    assert document["source"] == "recorded"
    assert document["interactions"][0]["request"]["params"]["image_file"]["format"] == "JPEG"
    assert len(served_emulator.received) == 1


def test_none_never_touches_the_network(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    _inner(
        pytester,
        """
import pytest

@pytest.mark.densemark(cassette="not-recorded-yet")
def test_missing(densemark):
    pass
""",
    )
    result = pytester.runpytest_inprocess(f"--densemark-upstream={served_emulator.url}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cassette 'not-recorded-yet' not found*"])
    assert not (pytester.path / "cassettes").exists()


def test_refuses_to_write_a_surviving_secret(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    # The upstream echoes the key back in its body: the scan must catch it.
    served_emulator.emulator.queue_response(
        "facepp", {"time_used": 1, "request_id": "1,x", "echo": CANARY_KEY}
    )
    _inner(
        pytester,
        f"""
import httpx, pytest
from pytest_densemark import facepp

@pytest.mark.densemark(cassette="leaky")
def test_leaks(densemark):
    httpx.post(facepp.URL, data={{"api_key": "{CANARY_KEY}", "api_secret": "secret-0123456789",
                                 "return_landmark": "all"}})
""",
    )
    result = pytester.runpytest_inprocess(
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}"
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*leaky.json: refusing to write: the secret api_key*"])
    folder = pytester.path / "cassettes"
    assert not folder.exists() or _written_bytes(folder) == {}


def test_xdist_workers_record_safely_with_async_tests_and_warnings_as_errors(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    _inner(
        pytester,
        """
import httpx, pytest
from pytest_densemark import facepp

@pytest.mark.parametrize("n", range(8))
@pytest.mark.densemark(cassette="shared")
def test_same_cassette(densemark, n):
    response = httpx.post(facepp.URL, data={"api_key": "key-0123456789",
                          "api_secret": "secret-0123456789",
                          "return_landmark": "all", "image_url": "https://x/y.jpg"})
    assert response.status_code in (200, 400)

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
@pytest.mark.parametrize("n", range(4))
async def test_async_emulated(densemark, n):
    densemark.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED")
    async with httpx.AsyncClient() as client:
        response = await client.post(facepp.URL)
    assert response.json()["error_message"] == "CONCURRENCY_LIMIT_EXCEEDED"
""",
    )
    # One subprocess run covers xdist, -W error, --strict-markers and async tests at once.
    # The worker that loses the race to write shared.json warns (CassetteWarning): expected.
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "-W", "error",
        "-W", "ignore::pytest_densemark.cassettes.CassetteWarning", "--strict-markers",
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}",
    )  # fmt: skip
    result.assert_outcomes(passed=12)
    folder = pytester.path / "cassettes"
    assert sorted(p.name for p in folder.iterdir()) == ["shared.json"]  # no temporary files
    assert json.loads((folder / "shared.json").read_text())["source"] == "recorded"


def test_an_unwritable_cassette_fails_teardown_readably(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    (pytester.path / "cassettes").write_text("a file where the folder should be")
    _inner(
        pytester,
        """
import httpx, pytest
from pytest_densemark import facepp
from pytest_densemark.images import make_image

@pytest.mark.densemark(cassette="mine")
def test_records(densemark):
    httpx.post(facepp.URL, data={"api_key": "key-0123456789", "api_secret": "secret-0123456789"},
               files={"image_file": ("f.jpg", make_image("JPEG", 320, 240))})
""",
    )
    result = pytester.runpytest_inprocess(
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}"
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*cassettes/mine.json: cannot write the cassette: *"])
    assert "pytest_densemark/" not in result.stdout.str()  # no frame of the kit
    assert (pytester.path / "cassettes").is_file()


TWO_TESTS_ONE_CASSETTE = """
import httpx, pytest
from pytest_densemark import facepp
from pytest_densemark.images import make_image

@pytest.mark.parametrize("parts", ["mouth", "nose"])
@pytest.mark.densemark(cassette="shared")
def test_records(densemark, parts):
    httpx.post(facepp.URL, data={"api_key": "key-0123456789", "api_secret": "secret-0123456789",
                  "return_landmark": parts},
               files={"image_file": ("f.jpg", make_image("JPEG", 320, 240))})
"""


def test_two_tests_recording_one_cassette(
    pytester: pytest.Pytester, served_emulator: ServedEmulator
) -> None:
    """Under new the second replays the first's file; under all it replaces it, with a
    warning naming both tests."""
    _inner(pytester, TWO_TESTS_ONE_CASSETTE)
    path = pytester.path / "cassettes" / "shared.json"
    result = pytester.runpytest_inprocess(
        "--densemark-record=new", f"--densemark-upstream={served_emulator.url}"
    )
    # The second test's request (nose) is not the recorded one (mouth): it fails, saying so.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*return_landmark: cassette has {mouth}, request has {nose}*"])
    assert len(served_emulator.received) == 1

    result = pytester.runpytest_inprocess(
        "--densemark-record=all",
        f"--densemark-upstream={served_emulator.url}",
        "-W",
        "default::pytest_densemark.cassettes.CassetteWarning",  # reported, not an error
    )
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*CassetteWarning: *shared.json: recorded again by"
            " test_inner.py::test_records[[]nose[]], replacing what"
            " test_inner.py::test_records[[]mouth[]] recorded earlier in this run*"
        ]
    )
    params = json.loads(path.read_text())["interactions"][0]["request"]["params"]
    assert params["return_landmark"] == "nose"
