"""The ``densemark_cassette_dirs`` and ``densemark_allow_unplayed`` ini values."""

from __future__ import annotations

import pytest
from densemark_support import PRELUDE, STRICT_INI, write_facepp_cassette

USES_ONE = """
@pytest.mark.densemark(cassette="one")
def test_one(densemark):
    print("DESCRIPTION", densemark.cassette.description)
"""


def test_default_dir_is_cassettes_at_rootdir(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI)
    write_facepp_cassette(pytester.path / "cassettes" / "one.json", description="rootdir")
    sub = pytester.mkpydir("pkg")
    (sub / "test_inner.py").write_text(PRELUDE + USES_ONE.replace("print", "call_facepp();print"))
    result = pytester.runpytest_inprocess("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*DESCRIPTION rootdir*"])


def test_configured_dirs_are_searched_in_order(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI + "densemark_cassette_dirs =\n    first\n    second\n")
    write_facepp_cassette(pytester.path / "first" / "one.json", description="from first")
    write_facepp_cassette(pytester.path / "second" / "one.json", description="from second")
    write_facepp_cassette(pytester.path / "second" / "two.json", description="only second")
    write_facepp_cassette(pytester.path / "cassettes" / "one.json", description="default dir")
    pytester.makepyfile(
        test_inner=PRELUDE
        + """
@pytest.mark.densemark(cassette="one")
def test_first_wins(densemark):
    call_facepp()
    assert densemark.cassette.description == "from first"

@pytest.mark.densemark(cassette="two")
def test_second_searched(densemark):
    call_facepp()
    assert densemark.cassette.description == "only second"
"""
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*cassette dirs: {pytester.path / 'first'}, *second*"])


def test_user_dirs_shadow_the_shipped_library(pytester: pytest.Pytester) -> None:
    from pytest_densemark.cassettes import list_cassettes

    shipped = list_cassettes()
    if not shipped:
        pytest.skip("no shipped cassettes in this checkout yet")
    name = shipped[0].name
    pytester.makeini(STRICT_INI)
    write_facepp_cassette(pytester.path / "cassettes" / f"{name}.json", description="shadow")
    pytester.makepyfile(
        test_inner=PRELUDE
        + f"""
@pytest.mark.densemark(cassette={name!r}, allow_unplayed=True)
def test_shadowed(densemark):
    assert densemark.cassette.description == "shadow"
"""
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize(("value", "outcome"), [("true", "passed"), ("false", "failed")])
def test_allow_unplayed_ini(pytester: pytest.Pytester, value: str, outcome: str) -> None:
    pytester.makeini(STRICT_INI + f"densemark_allow_unplayed = {value}\n")
    write_facepp_cassette(pytester.path / "cassettes" / "one.json")
    pytester.makepyfile(
        test_inner=PRELUDE
        + """
@pytest.mark.densemark(cassette="one")
def test_unused(densemark):
    pass

@pytest.mark.densemark(cassette="one", allow_unplayed=False)
def test_marker_beats_ini(densemark):
    pass
"""
    )
    result = pytester.runpytest_inprocess()
    counts = {"passed": 0, "failed": 1}
    counts[outcome] += 1
    result.assert_outcomes(**counts)
