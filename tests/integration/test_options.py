"""Command-line options, the ``densemark_record`` ini value and the report header."""

from __future__ import annotations

import pytest
from densemark_support import STRICT_INI

HEADER_TEST = """
def test_nothing():
    pass
"""


@pytest.fixture
def strict(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder with the project's strict settings."""
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_inner=HEADER_TEST)
    return pytester


def test_help_lists_the_group(strict: pytest.Pytester) -> None:
    result = strict.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "dense-landmark API test kit (pytest-densemark):",
            "*--densemark-record=MODE*",
            "*--densemark-upstream=URL*",
        ]
    )
    result.stdout.fnmatch_lines(["*densemark_cassette_dirs*", "*densemark_allow_unplayed*"])


def test_header_default_mode(strict: pytest.Pytester) -> None:
    result = strict.runpytest_inprocess()
    result.stdout.fnmatch_lines(
        [
            "densemark: record=none (replay only: vendor requests are answered in-process,"
            " never sent; other hosts are reachable (--densemark-block-network blocks them));"
            f" cassette dirs: {strict.path / 'cassettes'}, then the shipped library"
        ]
    )


@pytest.mark.parametrize("mode", ["new", "all"])
def test_header_record_modes(strict: pytest.Pytester, mode: str) -> None:
    result = strict.runpytest_inprocess(
        f"--densemark-record={mode}", "--densemark-upstream=http://127.0.0.1:9"
    )
    what = "missing" if mode == "new" else "every"
    result.stdout.fnmatch_lines(
        [f"densemark: record={mode} (recording {what} cassette from http://127.0.0.1:9;*"]
    )
    result.assert_outcomes(passed=1)


def test_upstream_from_environment(
    strict: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DENSEMARK_UPSTREAM", "http://127.0.0.1:8")
    result = strict.runpytest_inprocess("--densemark-record=new")
    result.stdout.fnmatch_lines(["*recording missing cassette from http://127.0.0.1:8;*"])
    # The option wins over the environment.
    result = strict.runpytest_inprocess(
        "--densemark-record=new", "--densemark-upstream=http://127.0.0.1:7"
    )
    result.stdout.fnmatch_lines(["*from http://127.0.0.1:7;*"])


def test_real_vendor_without_upstream(
    strict: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DENSEMARK_UPSTREAM", raising=False)
    result = strict.runpytest_inprocess("--densemark-record=all")
    result.stdout.fnmatch_lines(["*recording every cassette from the real vendor hosts;*"])


def test_bad_record_mode_is_a_usage_error(strict: pytest.Pytester) -> None:
    result = strict.runpytest_inprocess("--densemark-record=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--densemark-record: invalid choice: 'sometimes'*"])


def test_record_mode_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI + "densemark_record = new\n")
    pytester.makepyfile(test_inner=HEADER_TEST)
    result = pytester.runpytest_inprocess()
    result.stdout.fnmatch_lines(["densemark: record=new*"])
    # The command line wins over the ini file.
    result = pytester.runpytest_inprocess("--densemark-record=none")
    result.stdout.fnmatch_lines(["densemark: record=none*"])


def test_bad_record_mode_in_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI + "densemark_record = always\n")
    pytester.makepyfile(test_inner=HEADER_TEST)
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*densemark_record = 'always' in *tox.ini*expected one of none*"])


def test_a_bad_upstream_is_a_usage_error_that_does_not_quote_it(
    strict: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = strict.runpytest_inprocess("--densemark-upstream=ftp://user:s3cret@host/")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--densemark-upstream: expected an http(s) base URL*'ftp'*"])
    assert "s3cret" not in result.stderr.str()
    monkeypatch.setenv("DENSEMARK_UPSTREAM", "127.0.0.1:8080")
    result = strict.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*$DENSEMARK_UPSTREAM: expected an http(s) base URL*"])
    monkeypatch.setenv("DENSEMARK_UPSTREAM", "http://127.0.0.1:8080/base")
    assert strict.runpytest_inprocess().ret == pytest.ExitCode.OK
