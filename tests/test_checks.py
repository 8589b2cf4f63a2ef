"""Values that go onto the wire: one rule per value, applied by the Python API and cassettes.

The loopback server's own use of these rules (control API, answers on the wire) is tested in
``test_server.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pytest_densemark.cassettes import CassetteError, load_cassette
from pytest_densemark.checks import (
    MAX_DELAY_SECONDS,
    check_delay,
    check_header,
    check_status,
    delay_problem,
    header_problem,
    status_problem,
    upstream_problem,
)
from pytest_densemark.cli import main
from pytest_densemark.emulator import Emulator


def short_id(value: object) -> str:
    """A test id for any value, integers too long for ``repr`` included."""
    try:
        return repr(value)[:30]
    except ValueError:
        return "a-5000-digit-int"


BAD_STATUSES: list[Any] = [99999, -1, 10**20, 10**5000, 0, 100, 101, 199, 600, True, "200", 200.0]
BAD_DELAYS: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    10**5000,
    -1,
    -0.001,
    MAX_DELAY_SECONDS + 1,
    True,
    "1",
    None,
]
BAD_HEADERS: list[tuple[Any, Any]] = [
    ("X-Injected", "a\r\nSet-Cookie: evil=1"),
    ("X-Injected", "a\nb"),
    ("X-Injected", "a\rb"),
    ("X-Injected", "a\0b"),
    ("X-Bad\r\nName", "v"),
    ("X Bad", "v"),
    ("X-Colon:", "v"),
    ("", "v"),
    ("X-Number", 5),
]


@pytest.mark.parametrize("status", [200, 204, 302, 404, 413, 500, 599])
def test_final_statuses_pass(status: int) -> None:
    assert status_problem(status) is None
    assert check_status(status, where="w") == status


@pytest.mark.parametrize("status", BAD_STATUSES, ids=short_id)
def test_impossible_or_interim_statuses_are_refused(status: Any) -> None:
    problem = status_problem(status)
    assert problem is not None
    assert "200-599" in problem
    with pytest.raises(ValueError, match=r"^queue_response: status: expected an HTTP status"):
        check_status(status, where="queue_response: status")


@pytest.mark.parametrize("seconds", [0, 0.0, 0.25, 3, MAX_DELAY_SECONDS])
def test_finite_delays_in_range_pass(seconds: float) -> None:
    assert delay_problem(seconds) is None
    assert check_delay(seconds, where="w") == float(seconds)


@pytest.mark.parametrize("seconds", BAD_DELAYS, ids=short_id)
def test_infinite_negative_or_huge_delays_are_refused(seconds: Any) -> None:
    assert delay_problem(seconds) is not None
    with pytest.raises(ValueError, match=r"^inject_latency: seconds: expected a finite number"):
        check_delay(seconds, where="inject_latency: seconds")


def test_header_rules() -> None:
    assert header_problem("X-Request-Id", "abc; q=1, \t x") is None
    for name, value in BAD_HEADERS:
        assert header_problem(name, value) is not None, (name, value)
    with pytest.raises(ValueError, match=r"queue_response: headers: header 'X-A'.*CR, LF or NUL"):
        check_header("X-A", "1\r\n2", where="queue_response: headers")


# -- the Python API --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), BAD_HEADERS, ids=short_id)
def test_queue_response_refuses_injected_headers(name: Any, value: Any) -> None:
    emulator = Emulator()
    with pytest.raises(ValueError, match="queue_response: headers: header"):
        emulator.queue_response("facepp", {"ok": 1}, headers={name: value})
    assert emulator._queue == []


@pytest.mark.parametrize("status", BAD_STATUSES, ids=short_id)
def test_queue_response_refuses_impossible_statuses(status: Any) -> None:
    with pytest.raises(ValueError, match="queue_response: status: expected an HTTP status"):
        Emulator().queue_response("facepp", {"ok": 1}, status=status)


@pytest.mark.parametrize("seconds", BAD_DELAYS, ids=short_id)
def test_inject_latency_refuses_impossible_delays(seconds: Any) -> None:
    emulator = Emulator()
    with pytest.raises(ValueError, match="inject_latency: seconds: expected a finite number"):
        emulator.inject_latency(seconds)
    assert emulator._faults == []


# -- cassettes -------------------------------------------------------------------------------


def library_copy(tmp_path: Path, change: Any) -> Path:
    """The shipped ``facepp/full-9part`` cassette, changed by ``change``, as a file."""
    data = json.loads(load_cassette("facepp/full-9part").path.read_text())  # type: ignore[union-attr]
    change(data["interactions"][0]["response"])
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["headers"].update({"X-Injected": "a\r\nSet-Cookie: x=1"}), "CR, LF or NUL"),
        (lambda r: r["headers"].update({"X-Nul": "a\u0000b"}), "CR, LF or NUL"),
        (lambda r: r["headers"].update({"Bad\nName": "v"}), "token characters"),
        (lambda r: r.update(status=101), "1xx is interim"),
        (lambda r: r.update(status=99999), "200-599"),
        (lambda r: r.update(status=-1), "200-599"),
    ],
    ids=["crlf-value", "nul-value", "lf-name", "status-101", "status-99999", "status-minus-1"],
)
def test_cassette_with_an_injected_header_or_impossible_status_names_file_and_path(
    tmp_path: Path, change: Any, expected: str
) -> None:
    path = library_copy(tmp_path, change)
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    message = str(caught.value)
    assert str(path) in message
    assert "interactions[0].response." in message
    assert expected in message


# -- credentials are never quoted ------------------------------------------------------------

#: A credential as a hostile or hand-edited file might hold it (synthetic).
CANARY = "canary-signature-5f4e3d2c1b0a"


@pytest.mark.parametrize("name", ["Authorization", "X-TC-Token", "Cookie", "X-Api-Secret"])
def test_a_credential_header_value_is_never_quoted(name: str) -> None:
    value = f"TC3-HMAC-SHA256 Credential=AKID/x, Signature={CANARY}\r\nX-Injected: 1"
    problem = header_problem(name, value)
    assert problem is not None
    assert CANARY not in problem
    assert "'\\r', '\\n'" in problem
    with pytest.raises(ValueError, match="not shown: the header carries a credential") as caught:
        check_header(name, value, where="queue_response: headers")
    assert CANARY not in str(caught.value)
    # Other headers' values are still quoted: they help find the culprit.
    assert "a\\r\\nSet-Cookie" in str(header_problem("X-Injected", "a\r\nSet-Cookie: x=1"))


def test_a_non_ascii_credential_header_value_is_not_quoted() -> None:
    problem = header_problem("Authorization", f"Bearer {CANARY}\u00e9")
    assert problem == (
        "a header value of ASCII characters (not shown: the header carries a credential)"
    )
    assert "\u00e9" in str(header_problem("X-Note", "caf\u00e9"))


@pytest.mark.parametrize(
    "value",
    [f"TC3-HMAC-SHA256 Signature={CANARY}\n", 12345678901234567890, True],
    ids=["line-break", "number", "boolean"],
)
def test_a_cassette_with_a_bad_credential_header_names_it_without_its_value(
    tmp_path: Path, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(load_cassette("tencent/no-face").path.read_text())  # type: ignore[union-attr]
    data["interactions"][0]["request"]["headers"]["authorization"] = value
    path = tmp_path / "leaky.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CassetteError, match=r"request\.headers\.authorization") as caught:
        load_cassette(path)
    secret = str(value) if not isinstance(value, bool) else "true"
    assert secret.strip() not in str(caught.value)
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert "request.headers.authorization: expected" in err
    assert secret.strip() not in err


# -- a recording's upstream ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["http://127.0.0.1:8080", "https://proxy.example/base/", "http://[::1]:9/"]
)
def test_http_base_urls_are_upstreams(value: str) -> None:
    assert upstream_problem(value) is None


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "empty"),
        ("127.0.0.1:8080", "scheme"),
        ("ftp://host/", "'ftp'"),
        ("http://", "no host"),
        ("http://host:99999", "does not parse"),
        ("http://host:0/", "port 0"),
        ("http://host/?key=1", "query"),
        ("http://host/\nX: 1", "whitespace or control"),
        (None, "empty"),
    ],
)
def test_other_upstreams_are_refused_without_quoting_them(value: object, said: str) -> None:
    problem = upstream_problem(value)
    assert problem is not None
    assert said in problem
    assert "host:99999" not in problem


def test_a_controller_refuses_a_bad_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_densemark.controller import Controller

    with pytest.raises(ValueError, match="Controller: upstream: expected an http"):
        Controller(upstream="notaurl")
    monkeypatch.setenv("DENSEMARK_UPSTREAM", "notaurl")
    with pytest.raises(ValueError, match=r"Controller: \$DENSEMARK_UPSTREAM: expected"):
        Controller()
