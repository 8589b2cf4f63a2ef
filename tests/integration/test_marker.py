"""``@pytest.mark.densemark``: each argument, precedence, and strict-marker runs."""

from __future__ import annotations

import pytest
from densemark_support import PRELUDE, STRICT_INI, Runner, write_facepp_cassette


@pytest.fixture
def run(pytester: pytest.Pytester) -> Runner:
    """Run PRELUDE + ``source`` with --strict-markers, strict = true and -W error."""
    pytester.makeini(STRICT_INI)
    write_facepp_cassette(pytester.path / "cassettes" / "one.json", description="one")

    def _run(source: str, *args: str) -> pytest.RunResult:
        pytester.makepyfile(test_inner=PRELUDE + source)
        return pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "--strict-markers", "-W", "error", *args
        )

    return _run


def test_marker_is_registered(run: Runner, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.densemark(cassette=None, *allow_unplayed*"])


def test_cassette_keyword_and_positional(run: Runner) -> None:
    result = run(
        """
@pytest.mark.densemark(cassette="one")
def test_keyword(densemark):
    assert densemark.cassette.description == "one"
    assert landmark_keys(call_facepp().json()) == facepp.TOTAL_KEYS

@pytest.mark.densemark("one")
def test_positional(densemark):
    assert densemark.cassette.name == "one"
    call_facepp()
"""
    )
    result.assert_outcomes(passed=2)


def test_missing_cassette_fails_setup_readably(run: Runner) -> None:
    result = run(
        """
@pytest.mark.densemark(cassette="onee")
def test_typo(densemark):
    pass
"""
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cassette 'onee' not found*did you mean one?*"])


def test_allow_unplayed_marker(run: Runner) -> None:
    result = run(
        """
@pytest.mark.densemark(cassette="one", allow_unplayed=True)
def test_allowed(densemark):
    pass

@pytest.mark.densemark(cassette="one", allow_unplayed=False)
def test_refused(densemark):
    pass
"""
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_inner.py::test_refused - Failed: densemark: 1 of 1*"])


def test_credentials_marker(run: Runner) -> None:
    result = run(
        """
@pytest.mark.densemark(credentials={"api_key": "good", "api_secret": "good"})
def test_wrong_key(densemark):
    assert call_facepp(key="bad", secret="good").status_code == 401
    assert call_facepp(key="good", secret="good").status_code == 200

@pytest.mark.densemark(credentials="not a dict")
def test_bad_value(densemark):
    pass
"""
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*credentials=...) must be a dict*"])


def test_unknown_argument_is_an_error(run: Runner) -> None:
    result = run(
        """
@pytest.mark.densemark(casette="one")
def test_typo(densemark):
    pass
"""
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown argument(s) casette; expected cassette, *"])


def test_closest_marker_wins(run: Runner) -> None:
    result = run(
        """
pytestmark = pytest.mark.densemark(cassette="one", allow_unplayed=True)

class TestGroup:
    def test_module_settings_apply(self, densemark):
        assert densemark.cassette.name == "one"

    @pytest.mark.densemark(allow_unplayed=False)
    def test_function_overrides(self, densemark):
        assert densemark.cassette.name == "one"
"""
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_function_overrides*"])


def test_a_cassette_name_leaving_the_folder_fails_setup_readably(
    run: Runner, pytester: pytest.Pytester
) -> None:
    write_facepp_cassette(pytester.path / "outside.json", description="outside")
    result = run(
        """
@pytest.mark.densemark(cassette="../outside")
def test_escape(densemark):
    pass
"""
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cassette name '../outside': expected a name without '..'*"])
    assert "pytest_densemark/" not in result.stdout.str()  # no frame of the kit


def test_use_cassette_failing_in_a_test_shows_no_frame_of_the_kit(run: Runner) -> None:
    result = run(
        """
def test_inline(densemark):
    densemark.use_cassette("../one")
"""
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CassetteError: cassette name '../one': expected a name*"])
    assert "pytest_densemark/" not in result.stdout.str()
