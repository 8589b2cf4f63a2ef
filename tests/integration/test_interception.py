"""In-process interception through pytest: the marker without a fixture, both fixtures in one
test, auto-named cassettes, recording through the server, marker type checks and
``--densemark-block-network``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from densemark_support import STRICT_INI

from pytest_densemark.server import DensemarkServer

CLIENT = """
import base64, socket, urllib.request
import pytest, requests
from pytest_densemark import facepp, make_image

IMAGE = make_image("jpeg", 320, 240)
FORM = {"api_key": "dummy-key-8c1", "api_secret": "dummy-secret-41a", "return_landmark": "all"}

def post(url=facepp.URL):
    return requests.post(url, data=FORM, files={"image_file": ("f.jpg", IMAGE)}, timeout=10)
"""


@pytest.fixture
def strict(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(STRICT_INI)
    return pytester


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=CLIENT + source)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_marker_without_a_fixture_intercepts(strict: pytest.Pytester) -> None:
    result = _run(
        strict,
        """
@pytest.mark.densemark("facepp/full-9part")
def test_marked():
    response = post()
    assert response.status_code == 200
    assert response.json()["request_id"]

@pytest.mark.densemark
def test_marked_without_arguments():
    assert post().status_code == 200
""",
    )
    result.assert_outcomes(passed=2)


def test_marker_without_a_fixture_still_checks_unplayed(strict: pytest.Pytester) -> None:
    result = _run(
        strict,
        """
@pytest.mark.densemark("facepp/retry-twice-then-success")
def test_marked():
    post()
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*2 of 3 interaction(s)*were never played*"])


def test_both_fixtures_share_one_controller(strict: pytest.Pytester) -> None:
    result = _run(
        strict,
        """
@pytest.mark.densemark("facepp/retry-twice-then-success")
def test_both(densemark, densemark_server):
    assert densemark_server.app is densemark
    first = post()                             # in-process, to the vendor's URL
    second = post(densemark_server.facepp_url) # over the loopback server
    third = post()
    assert [first.status_code, second.status_code, third.status_code] == [403, 403, 200]
    assert densemark.unplayed() == []
    assert [c.source for c in densemark.calls] == ["cassette"] * 3

def test_fault_through_either_reaches_both(densemark, densemark_server):
    densemark_server.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED", times=2)
    assert post().status_code == 403
    assert post(densemark_server.facepp_url).status_code == 403
    assert post().status_code == 200
    assert len(densemark_server.calls) == 3
""",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('allow_unplayed="false"', "*(allow_unplayed=...) must be True or False, got str"),
        ("cassette=3", "*(cassette=...) must be a library name or a path*got 3"),
        (
            'credentials={"apikey": "x"}',
            "*(credentials=...) has unknown key(s) apikey; accepted: api_key, api_secret,"
            " secret_id, secret_key, token",
        ),
        ('"a", "b"', "*takes at most one positional argument (the cassette), got 2*"),
        ('record="new"', "*unknown argument(s) record; expected cassette, allow_unplayed,*"),
    ],
)
def test_marker_arguments_are_type_checked(
    strict: pytest.Pytester, marker: str, message: str
) -> None:
    result = _run(
        strict,
        f"""
@pytest.mark.densemark({marker})
def test_bad(densemark):
    pass

@pytest.mark.densemark({marker})
def test_bad_server(densemark_server):
    pass
""",
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([f"test_inner.py::test_bad: @pytest.mark.densemark{message}"])
    result.stdout.fnmatch_lines(
        [f"test_inner.py::test_bad_server: @pytest.mark.densemark{message}"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


@pytest.fixture
def upstream() -> Iterator[DensemarkServer]:
    with DensemarkServer() as server:
        yield server


def test_auto_named_cassette_records_then_replays(
    strict: pytest.Pytester, upstream: DensemarkServer
) -> None:
    source = """
@pytest.mark.densemark
def test_auto(densemark):
    assert post().status_code == 200
    return None

class TestGrouped:
    @pytest.mark.densemark
    @pytest.mark.parametrize("n", [1])
    def test_param(self, densemark, n):
        assert post().status_code == 200
"""
    recorded = _run(
        strict, source, "--densemark-record=new", f"--densemark-upstream={upstream.url}"
    )
    recorded.assert_outcomes(passed=2)
    folder = strict.path / "cassettes" / "test_inner"
    assert sorted(p.name for p in folder.iterdir()) == [
        "TestGrouped.test_param[1].json",
        "test_auto.json",
    ]
    assert json.loads((folder / "test_auto.json").read_text())["source"] == "recorded"
    upstream_calls = len(upstream.calls)
    replay = _run(
        strict,
        source.replace("return None", "assert densemark.calls[0].source == 'cassette'"),
    )
    replay.assert_outcomes(passed=2)
    assert len(upstream.calls) == upstream_calls  # replayed, not sent


def test_record_through_the_server(strict: pytest.Pytester, upstream: DensemarkServer) -> None:
    result = _run(
        strict,
        """
@pytest.mark.densemark("through-server")
def test_over_http(densemark_server):
    assert post(densemark_server.facepp_url).status_code == 200
""",
        "--densemark-record=new",
        f"--densemark-upstream={upstream.url}",
    )
    result.assert_outcomes(passed=1)
    written = json.loads((strict.path / "cassettes" / "through-server.json").read_text())
    assert written["source"] == "recorded"
    assert written["interactions"][0]["response"]["status"] == 200
    assert len(upstream.calls) == 1


def test_unanswerable_request_fails_even_when_swallowed(strict: pytest.Pytester) -> None:
    result = _run(
        strict,
        """
@pytest.mark.densemark("facepp/full-9part")
def test_swallowed(densemark):
    try:
        requests.post(facepp.URL, data={"return_landmark": "0"}, timeout=5)
    except Exception:
        pass  # a careless client
    post()
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*a vendor request got no answer*", "*return_landmark*"])
    result.stdout.no_fnmatch_line("*Name or service not known*")


BLOCKING = """
def test_vendor_is_still_answered(densemark):
    assert post().status_code == 200

def test_names_are_refused():
    with pytest.raises(Exception) as caught:
        socket.create_connection(("example.org", 80), timeout=1)
    assert "network access to example.org:80 is blocked" in str(caught.value)
    assert "--densemark-allow-host=example.org" in str(caught.value)

def test_addresses_are_refused():
    with pytest.raises(Exception, match="network access to 192.0.2.7:80 is blocked"):
        urllib.request.urlopen("http://192.0.2.7/", timeout=1)

def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(server.getsockname(), timeout=1):
        pass
"""


def test_block_network_option(strict: pytest.Pytester) -> None:
    result = _run(strict, BLOCKING, "--densemark-block-network")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["densemark: *other non-loopback connections are blocked*"])


def test_block_network_ini_and_allowed_host(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        STRICT_INI + "densemark_block_network = true\ndensemark_allow_hosts =\n    192.0.2.9\n"
    )
    result = _run(
        pytester,
        BLOCKING
        + """
def test_allowed_host_is_not_refused():
    sock = socket.socket()
    sock.settimeout(0.01)
    try:
        sock.connect(("192.0.2.9", 9))
    except OSError:
        pass  # allowed: the attempt reached the operating system
    finally:
        sock.close()
""",
    )
    result.assert_outcomes(passed=5)


def test_network_is_not_blocked_by_default(strict: pytest.Pytester) -> None:
    result = _run(
        strict,
        """
def test_attempt_reaches_the_system():
    sock = socket.socket()
    sock.settimeout(0.01)
    try:
        sock.connect(("192.0.2.7", 9))
    except OSError:
        pass
    finally:
        sock.close()
""",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*other hosts are reachable (--densemark-block-network*"])


def test_cassette_file_path_stays_unwritten_on_failure(
    strict: pytest.Pytester, tmp_path: Path
) -> None:
    # A recording whose test fails in setup writes nothing.
    result = _run(
        strict,
        """
@pytest.mark.densemark("x", allow_unplayed="no")
def test_bad(densemark):
    post()
""",
        "--densemark-record=new",
        "--densemark-upstream=http://127.0.0.1:9",
    )
    result.assert_outcomes(errors=1)
    assert not (strict.path / "cassettes").exists()


def test_before_record_fixture_override(strict: pytest.Pytester, upstream: DensemarkServer) -> None:
    strict.makeconftest(
        """
import pytest

SEEN = []

@pytest.fixture
def densemark_before_record():
    def hook(summary, request):
        SEEN.append(request.url.host)
        summary["params"]["return_landmark"] = "hooked"
        return summary
    return hook
"""
    )
    result = _run(
        strict,
        """
@pytest.mark.densemark("hooked")
def test_recorded(densemark):
    assert post().status_code == 200
""",
        "--densemark-record=new",
        f"--densemark-upstream={upstream.url}",
    )
    result.assert_outcomes(passed=1)
    written = json.loads((strict.path / "cassettes" / "hooked.json").read_text())
    assert written["interactions"][0]["request"]["params"]["return_landmark"] == "hooked"
