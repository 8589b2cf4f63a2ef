"""Unit tests for the plugin's library side: Controller and the httpx patch, without pytester."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
import respx.mocks

from pytest_densemark import facepp, stubs
from pytest_densemark.cassettes import CassetteError
from pytest_densemark.controller import (
    CONTROLLER_API,
    Controller,
    _record_target,
    intercept_httpx,
    release_httpx,
)
from pytest_densemark.emulator import EMULATOR_API, Emulator


def test_controller_offers_the_emulators_api() -> None:
    controller = Controller()
    assert isinstance(controller.emulator, Emulator)
    assert not isinstance(controller, Emulator)  # it has an emulator: composition
    for name in (
        "use_cassette", "queue_response", "inject_error", "inject_latency", "inject_timeout",
        "inject_disconnect", "set_credentials", "set_faces", "register_url", "calls",
        "calls_for", "reset", "unplayed",
    ):  # fmt: skip
        assert name in CONTROLLER_API, name
        assert getattr(Controller, name).__doc__, name


def test_controller_api_is_the_emulators_public_api() -> None:
    """The forwarded names are derived from the Emulator class, never listed by hand."""
    public = {
        name
        for name in dir(Emulator)
        if not name.startswith("_")
        and (callable(getattr(Emulator, name)) or isinstance(getattr(Emulator, name), property))
    }
    assert public | {"seed"} == set(CONTROLLER_API) == set(EMULATOR_API)
    controller = Controller()
    for name in CONTROLLER_API:
        assert hasattr(controller, name), name
        if name != "use_cassette":  # the controller's own (it may record instead)
            assert (
                getattr(Controller, name).__doc__ == getattr(Emulator, name, None).__doc__
                or name == "seed"
            ), name


def test_controller_forwards_reads_and_writes_to_its_emulator() -> None:
    controller = Controller(seed=7)
    assert controller.seed == controller.emulator.seed == 7
    controller.clock = lambda: 1234.0
    assert controller.emulator.clock() == 1234.0
    controller.set_tencent_no_face("empty")
    assert controller.emulator.tencent_no_face == "empty"
    controller.strict = True
    assert controller.emulator.strict is True
    assert repr(controller).startswith("<Controller seed=7 ")


@pytest.mark.parametrize(
    ("host", "vendor"),
    [
        ("api-cn.faceplusplus.com", "facepp"),
        ("api-us.faceplusplus.com", "facepp"),
        ("iai.tencentcloudapi.com", "tencent"),
        ("iai.ap-singapore.tencentcloudapi.com", "tencent"),
        ("127.0.0.1", None),
        ("api.faceplusplus.com.evil.example", None),
        ("cvm.tencentcloudapi.com", None),
    ],
)
def test_only_vendor_hosts_are_intercepted(host: str, vendor: str | None) -> None:
    assert stubs.is_vendor_host(host) is (vendor is not None)


def test_bad_record_mode() -> None:
    with pytest.raises(ValueError, match="record_mode must be one of none, new, all"):
        Controller(record_mode="sometimes")  # type: ignore[arg-type]


def test_intercept_does_not_nest_and_unpatches() -> None:
    outer = intercept_httpx(Controller())
    with outer, pytest.raises(RuntimeError, match="do not nest"), intercept_httpx(Controller()):
        pass  # pragma: no cover
    assert not respx.mocks.HTTPCoreMocker._patches


def test_library_use_without_pytest_fixture() -> None:
    controller = Controller()
    controller.inject_error("facepp", "INTERNAL_ERROR")
    with intercept_httpx(controller):
        response = httpx.post(facepp.URL, data={"api_key": "a", "api_secret": "b"})
    assert response.status_code == facepp.ERRORS["INTERNAL_ERROR"].status
    assert controller.calls[0].fault == "error:INTERNAL_ERROR"


def test_keep_patched_then_release() -> None:
    with intercept_httpx(Controller(), keep_patched=True):
        pass
    assert respx.mocks.HTTPCoreMocker._patches
    release_httpx()
    assert not respx.mocks.HTTPCoreMocker._patches


def test_record_target(tmp_path: Path) -> None:
    assert _record_target("facepp/x", None, [tmp_path]) == tmp_path / "facepp/x.json"
    assert _record_target("x.json", None, [tmp_path, tmp_path / "b"]) == tmp_path / "x.json"
    existing = tmp_path / "mine.json"
    assert _record_target("mine", existing, [tmp_path]) == existing
    absolute = tmp_path / "elsewhere" / "y"
    assert _record_target(absolute, None, [tmp_path]) == absolute.with_suffix(".json")
    with pytest.raises(CassetteError, match="no cassette folder to write"):
        _record_target("x", None, [])


def test_recording_a_shipped_cassette_goes_to_the_user_folder(tmp_path: Path) -> None:
    controller = Controller(search_dirs=[tmp_path], record_mode="all")
    assert controller.use_cassette("facepp/full-9part") is None
    assert controller.recording == tmp_path / "facepp/full-9part.json"
    assert controller.finish() is None  # nothing was requested: nothing written
    assert not (tmp_path / "facepp").exists()


def test_new_mode_replays_existing_and_none_mode_loads(tmp_path: Path) -> None:
    controller = Controller(search_dirs=[tmp_path], record_mode="new")
    cassette = controller.use_cassette("facepp/full-9part")
    assert cassette is not None
    assert cassette.name == "facepp/full-9part"
    assert controller.recording is None


def test_unplayed_problem_message() -> None:
    controller = Controller()
    controller.use_cassette("facepp/retry-twice-then-success")
    problem = controller.unplayed_problem()
    assert problem is not None
    assert problem.startswith("densemark: 3 of 3 interaction(s) of cassette ")
    assert "#0: POST https://api-cn.faceplusplus.com" in problem
    controller.allow_unplayed = True
    assert controller.unplayed_problem() is None


def _docstring(path: Path, function: str) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    raise AssertionError(f"{function} not found in {path}")


@pytest.mark.parametrize(
    ("module", "function", "start", "end"),
    [
        ("plugin.py", "densemark", "CONTROLLER_API", "densemark_server"),
        ("server_fixture.py", "densemark_server", "under the same names", "control"),
    ],
)
def test_method_lists_in_fixture_docs_name_the_controller_api(
    module: str, function: str, start: str, end: str
) -> None:
    """The fixtures' docs list the controller's methods by hand: each name must be real."""
    doc = _docstring(Path(stubs.__file__).parent.parent / module, function)
    listed = doc[doc.index(start) : doc.index(end, doc.index(start) + len(start))]
    names = re.findall(r"``([a-z_]+)``", listed)
    assert len(names) >= 10
    assert set(names) <= set(CONTROLLER_API)


def test_recording_a_request_that_names_no_vendor_host_needs_an_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the loopback server a request names the server: sent on as it is, it would come
    back to the server and be forwarded again, so it fails, saying what to do."""
    monkeypatch.delenv("DENSEMARK_UPSTREAM", raising=False)
    controller = Controller(record_mode="new", search_dirs=[tmp_path])
    assert controller.use_cassette("loopback") is None
    request = httpx.Request("POST", "http://127.0.0.1:9" + facepp.PATH, data={"api_key": "k"})
    with pytest.raises(CassetteError, match="--densemark-upstream"):
        controller.respond(request)
    assert len(controller.failures) == 1
    assert "127.0.0.1" in controller.failures[0]
    assert controller.finish() is None  # nothing was recorded
