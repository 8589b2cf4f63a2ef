"""The pytest plugin: the ``densemark`` fixture, its marker, options and ini values.

Everything here only wires pytest to :mod:`pytest_densemark.controller`, which works without
pytest too. The fixture patches httpx (every client, sync and async) so that requests to a
Face++ or Tencent IAI host are answered by the emulator, or by a cassette when one is loaded;
requests to any other host pass through untouched.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_densemark.cassettes import CassetteError
from pytest_densemark.controller import (
    RECORD_MODES,
    UPSTREAM_ENV,
    Controller,
    RecordMode,
    intercept_httpx,
    release_httpx,
)
from pytest_densemark.server_fixture import densemark_server, densemark_tls_server

__all__ = ["densemark", "densemark_server", "densemark_tls_server"]

#: Keyword arguments the ``densemark`` marker accepts.
MARKER_ARGS: tuple[str, ...] = ("cassette", "allow_unplayed", "credentials")
_CONTROLLER_KEY = pytest.StashKey["Controller"]()
_SETTINGS_KEY = pytest.StashKey["_Settings"]()
_DEFAULT_CASSETTE_DIR = "cassettes"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``densemark`` option group and ini values."""
    group = parser.getgroup("densemark", "dense-landmark API test kit (pytest-densemark)")
    group.addoption(
        "--densemark-record",
        action="store",
        choices=RECORD_MODES,
        default=None,
        metavar="MODE",
        help=(
            "record mode: 'none' (default) never touches the network; 'new' records the"
            " cassettes that do not exist yet from the real vendor (or --densemark-upstream);"
            " 'all' re-records every cassette a test names."
        ),
    )
    group.addoption(
        "--densemark-upstream",
        action="store",
        default=None,
        metavar="URL",
        help=(
            "base URL that recording sends vendor requests to instead of the vendor's host"
            f" (also ${UPSTREAM_ENV}); the original Host header is kept."
        ),
    )
    parser.addini(
        "densemark_record",
        "default record mode (none, new or all) when --densemark-record is not given",
        default="none",
    )
    parser.addini(
        "densemark_cassette_dirs",
        "folders searched for cassettes before the shipped library, relative to the ini file;"
        f" the first also receives recordings (default: {_DEFAULT_CASSETTE_DIR}/ at rootdir)",
        type="paths",
        default=[],
    )
    parser.addini(
        "densemark_allow_unplayed",
        "do not fail a test that leaves cassette interactions unplayed",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``densemark`` marker and check the record mode."""
    config.addinivalue_line(
        "markers",
        "densemark(cassette=None, *, allow_unplayed=None, credentials=None): configure the"
        " densemark fixture: load a cassette (library name or path), allow unplayed"
        " interactions, set the credentials the emulator expects (a dict of"
        " set_credentials arguments).",
    )
    _settings(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Unpatch httpx, which the fixture leaves patched (idle) between tests for speed."""
    release_httpx()


def _record_mode(config: pytest.Config) -> RecordMode:
    mode = config.getoption("densemark_record") or config.getini("densemark_record")
    if mode not in RECORD_MODES:
        raise pytest.UsageError(
            f"densemark_record = {mode!r} in {config.inipath}: expected one of"
            f" {', '.join(RECORD_MODES)}"
        )
    value: RecordMode = mode
    return value


def _upstream(config: pytest.Config) -> str | None:
    value = config.getoption("densemark_upstream") or os.environ.get(UPSTREAM_ENV) or None
    return str(value) if value else None


def cassette_dirs(config: pytest.Config) -> list[Path]:
    """The user's cassette folders, searched in order before the shipped library."""
    configured: list[Path] = config.getini("densemark_cassette_dirs")
    if configured:
        return [Path(p) for p in configured]
    return [config.rootpath / _DEFAULT_CASSETTE_DIR]


def pytest_report_header(config: pytest.Config) -> str:
    """State the record mode and where cassettes come from."""
    settings = _settings(config)
    mode = settings.record_mode
    dirs = ", ".join(str(d) for d in settings.cassette_dirs)
    if mode == "none":
        what = "replay only, the network is never touched"
    else:
        target = settings.upstream or "the real vendor hosts"
        what = f"recording {'missing' if mode == 'new' else 'every'} cassette from {target}"
    return f"densemark: record={mode} ({what}); cassette dirs: {dirs}, then the shipped library"


def _marker_settings(item: pytest.Item | Any) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if not isinstance(item, pytest.Item):
        return settings
    # Closest marker last so it wins (function over class over module).
    for marker in reversed(list(item.iter_markers("densemark"))):
        if len(marker.args) > 1:
            pytest.fail(
                f"{item.nodeid}: @pytest.mark.densemark takes at most one positional"
                f" argument (the cassette), got {marker.args!r}",
                pytrace=False,
            )
        unknown = sorted(set(marker.kwargs) - set(MARKER_ARGS))
        if unknown:
            pytest.fail(
                f"{item.nodeid}: @pytest.mark.densemark got unknown argument(s)"
                f" {', '.join(unknown)}; expected {', '.join(MARKER_ARGS)}",
                pytrace=False,
            )
        if marker.args:
            settings["cassette"] = marker.args[0]
        settings.update(marker.kwargs)
    return settings


@dataclass(frozen=True)
class _Settings:
    """The session's densemark configuration, read once."""

    record_mode: RecordMode
    upstream: str | None
    cassette_dirs: tuple[Path, ...]
    allow_unplayed: bool


def _settings(config: pytest.Config) -> _Settings:
    settings = config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        settings = _Settings(
            record_mode=_record_mode(config),
            upstream=_upstream(config),
            cassette_dirs=tuple(cassette_dirs(config)),
            allow_unplayed=bool(config.getini("densemark_allow_unplayed")),
        )
        config.stash[_SETTINGS_KEY] = settings
    return settings


@pytest.fixture
def densemark(request: pytest.FixtureRequest) -> Generator[Controller, None, None]:
    """Answer every httpx request to Face++ and Tencent IAI hosts from the emulator.

    While the fixture is active, any ``httpx.Client`` or ``httpx.AsyncClient`` (whoever
    created it, whenever) that calls ``api-cn``/``api-us.faceplusplus.com`` or
    ``iai[.<region>].tencentcloudapi.com`` gets an emulated answer, or a cassette's when one
    is loaded; requests to other hosts go to the network as usual.

    Returns a :class:`~pytest_densemark.controller.Controller` (the emulator):
    ``use_cassette``, ``queue_response``, ``inject_error``, ``inject_latency``,
    ``inject_timeout``, ``inject_disconnect``, ``set_credentials``, ``set_faces``,
    ``set_tencent_no_face``, ``register_url``, ``calls``, ``calls_for``, ``reset`` and
    ``unplayed``. Configure it with
    ``@pytest.mark.densemark(cassette=..., allow_unplayed=..., credentials=...)``. A test
    that leaves cassette interactions unplayed fails, unless ``allow_unplayed`` (marker) or
    ``densemark_allow_unplayed`` (ini) says otherwise. Injected timeouts raise
    ``httpx.ReadTimeout`` and dropped connections ``httpx.RemoteProtocolError`` in the client.

    With ``--densemark-record=new`` a cassette the marker names is recorded when it does not
    exist yet (``all``: always re-recorded): requests go to the real vendor, or to
    ``--densemark-upstream``, and the redacted cassette is written at teardown (a new one to
    the first ``densemark_cassette_dirs`` folder, one of yours in place).
    """
    settings = _settings(request.config)
    node = request.node
    marker = _marker_settings(node)
    allow = marker.get("allow_unplayed")
    controller = Controller(
        search_dirs=settings.cassette_dirs,
        record_mode=settings.record_mode,
        upstream=settings.upstream,
        allow_unplayed=settings.allow_unplayed if allow is None else bool(allow),
    )
    credentials = marker.get("credentials")
    if credentials is not None:
        if not isinstance(credentials, Mapping):
            pytest.fail(
                f"{node.nodeid}: @pytest.mark.densemark(credentials=...) must be a dict of"
                f" set_credentials arguments, got {credentials!r}",
                pytrace=False,
            )
        controller.set_credentials(**credentials)
    cassette = marker.get("cassette")
    if cassette is not None:
        problem = None
        try:
            controller.use_cassette(cassette)
        except CassetteError as error:
            problem = f"{node.nodeid}: {error}"
        if problem:
            pytest.fail(problem, pytrace=False)
    node.stash[_CONTROLLER_KEY] = controller
    try:
        with intercept_httpx(controller, keep_patched=True):
            yield controller
    finally:
        del node.stash[_CONTROLLER_KEY]
    problem = None
    try:
        controller.finish()
    except CassetteError as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a passing test that left cassette interactions unplayed."""
    result = yield
    controller = item.stash.get(_CONTROLLER_KEY, None)
    if controller is not None:
        problem = controller.unplayed_problem()
        if problem:
            pytest.fail(problem, pytrace=False)
    return result
