"""``densemark_server``'s settings: the timeout hold, and one-line set-up failures."""

from __future__ import annotations

import re

import pytest
from densemark_support import STRICT_INI

HOLD_TEST = """
import time

import http.client

def test_no_client_timeout(densemark_server):
    densemark_server.inject_timeout()
    host, port = densemark_server.tencent_endpoint.split(":")
    connection = http.client.HTTPConnection(host, int(port))  # no timeout of its own
    started = time.monotonic()
    connection.request("POST", "/facepp/v1/face/thousandlandmark", body=b"api_key=k")
    try:
        connection.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError) as exc:
        print("CLIENT SAW", type(exc).__name__)
    else:
        raise AssertionError("expected no answer")
    print(f"HELD {time.monotonic() - started:.2f}")
"""


def test_hold_timeout_ini_bounds_how_long_a_timeout_holds(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI + "densemark_server_hold_timeout = 0.4\n")
    pytester.makepyfile(test_hold=HOLD_TEST)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = result.stdout.str()
    held = float(re.search(r"HELD (\d+\.\d+)", output).group(1))  # type: ignore[union-attr]
    assert 0.3 <= held < 5.0, output  # the 60 s default would have held a minute
    assert "CLIENT SAW" in output


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "1e9"])
def test_a_bad_hold_timeout_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(STRICT_INI + f"densemark_server_hold_timeout = {value}\n")
    pytester.makepyfile(test_x="def test_x(densemark_server):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*densemark_server_hold_timeout = '{value}'*expected*"])


def test_hold_timeout_is_listed_with_its_default(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*densemark_server_hold_timeout (string):*", "*(default 60)*"])


def _failure_lines(pytester: pytest.Pytester, fixture: str) -> list[str]:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(
        test_missing=f"""
import pytest

@pytest.mark.densemark(cassette="facepp/no-such-cassette")
def test_missing({fixture}):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "ERROR at setup" in line)
    end = next(i for i, line in enumerate(lines) if "short test summary" in line)
    return [line for line in lines[start + 1 : end] if line.strip()]


def test_a_missing_cassette_is_one_line_under_both_fixtures(pytester: pytest.Pytester) -> None:
    in_process = _failure_lines(pytester, "densemark")
    served = _failure_lines(pytester, "densemark_server")
    assert in_process == served
    assert len(in_process) == 1, in_process
    assert "facepp/no-such-cassette" in in_process[0]
    assert "Traceback" not in "\n".join(served)
