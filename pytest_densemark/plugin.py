"""The pytest plugin: the ``densemark`` fixture, its marker, options and ini values.

Everything here only wires pytest to the kit, which works without pytest too
(:func:`pytest_densemark.emulate`). Loading the plugin imports nothing but pytest: the
controller, the stubs and the server are imported by the first test that needs them.

One controller per test: the ``densemark`` fixture reads the marker and the configuration
once and is the only place a test's controller is set up, recorded and checked;
``densemark_server`` (and ``densemark_tls_server``) serve that same controller over loopback
HTTP.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_densemark.server_fixture import densemark_server, densemark_tls_server

if TYPE_CHECKING:
    from pytest_densemark.cassettes import BeforeRecord
    from pytest_densemark.controller import Controller, RecordMode

__all__ = ["densemark", "densemark_before_record", "densemark_server", "densemark_tls_server"]

#: Keyword arguments the ``densemark`` marker accepts.
MARKER_ARGS: tuple[str, ...] = ("cassette", "allow_unplayed", "credentials")
#: Record modes (``pytest_densemark.controller.RECORD_MODES``, repeated so that loading the
#: plugin does not import the controller; a test checks that the two agree).
RECORD_MODES: tuple[str, ...] = ("none", "new", "all")
UPSTREAM_ENV = "DENSEMARK_UPSTREAM"
_CONTROLLER_KEY = pytest.StashKey["Controller"]()
_USED_KEY = pytest.StashKey[bool]()
_SETTINGS_KEY = pytest.StashKey["_Settings"]()
#: The cassettes written in this session, by resolved path, with the test that wrote each.
_WRITTEN_KEY = pytest.StashKey[dict[Path, str]]()
_DEFAULT_CASSETTE_DIR = "cassettes"
#: Seconds ``densemark_server`` holds a connection under ``inject_timeout`` unless the ini value
#: ``densemark_server_hold_timeout`` says otherwise.
DEFAULT_HOLD_TIMEOUT = 60.0
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.\[\]-]+")


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
            "record mode: 'none' (default) answers vendor requests in-process and never sends"
            " them; 'new' records the cassettes that do not exist yet from the real vendor (or"
            " --densemark-upstream); 'all' re-records every cassette a test names."
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
    group.addoption(
        "--densemark-block-network",
        action="store_true",
        default=None,
        help=(
            "fail every connection from the test process to a host other than loopback at"
            " once, naming the host (vendor requests are answered in-process before any"
            " connection is made)."
        ),
    )
    group.addoption(
        "--densemark-allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="with --densemark-block-network: a host name or address still allowed (repeatable)",
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
    parser.addini(
        "densemark_block_network",
        "block every non-loopback connection, as --densemark-block-network does",
        type="bool",
        default=False,
    )
    parser.addini(
        "densemark_server_hold_timeout",
        "seconds densemark_server holds a connection without answering under inject_timeout"
        f" before closing it (default {DEFAULT_HOLD_TIMEOUT:g}); a client without a timeout of"
        " its own waits this long, then sees the connection closed",
        default=f"{DEFAULT_HOLD_TIMEOUT:g}",
    )
    parser.addini(
        "densemark_allow_hosts",
        "hosts still allowed when the network is blocked (one per line)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``densemark`` marker, check the settings, block the network if asked."""
    config.addinivalue_line(
        "markers",
        "densemark(cassette=None, *, allow_unplayed=None, credentials=None): configure the"
        " test's densemark controller (and turn interception on even without the fixture):"
        " load a cassette (library name or path; without one, in record mode, the test's own"
        " <cassette dir>/<module>/<test>.json), allow unplayed interactions, set the"
        " credentials the emulator expects (a dict of set_credentials arguments).",
    )
    settings = _settings(config)
    if settings.block_network:
        from pytest_densemark import network

        blocker = network.block(allow=settings.allow_hosts)
        config.add_cleanup(blocker.close)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the interception stubs, which stay installed (idle) between tests for speed."""
    stubs = sys.modules.get("pytest_densemark.stubs")
    if stubs is not None:
        stubs.uninstall_all()


def _record_mode(config: pytest.Config) -> RecordMode:
    mode = config.getoption("densemark_record") or config.getini("densemark_record")
    if mode not in RECORD_MODES:
        raise pytest.UsageError(
            f"densemark_record = {mode!r} in {config.inipath}: expected one of"
            f" {', '.join(RECORD_MODES)}"
        )
    value: RecordMode = mode
    return value


def _hold_timeout(config: pytest.Config) -> float:
    from pytest_densemark.checks import delay_problem

    raw = str(config.getini("densemark_server_hold_timeout")).strip()
    try:
        seconds: object = float(raw)
    except ValueError:
        seconds = raw
    problem = delay_problem(seconds)
    if problem is not None:
        raise pytest.UsageError(
            f"densemark_server_hold_timeout = {raw!r} in {config.inipath}: expected {problem}"
        )
    assert isinstance(seconds, float)
    return seconds


def _upstream(config: pytest.Config) -> str | None:
    from pytest_densemark.checks import upstream_problem

    option = config.getoption("densemark_upstream")
    value = option or os.environ.get(UPSTREAM_ENV) or None
    if not value:
        return None
    problem = upstream_problem(str(value))
    if problem is not None:
        where = "--densemark-upstream" if option else f"${UPSTREAM_ENV}"
        raise pytest.UsageError(f"{where}: expected {problem}")
    return str(value)


def cassette_dirs(config: pytest.Config) -> list[Path]:
    """The user's cassette folders, searched in order before the shipped library."""
    configured: list[Path] = config.getini("densemark_cassette_dirs")
    if configured:
        return [Path(p) for p in configured]
    return [config.rootpath / _DEFAULT_CASSETTE_DIR]


def pytest_report_header(config: pytest.Config) -> str:
    """State the record mode, where cassettes come from and whether the network is blocked."""
    settings = _settings(config)
    mode = settings.record_mode
    dirs = ", ".join(str(d) for d in settings.cassette_dirs)
    if mode == "none":
        what = "replay only: vendor requests are answered in-process, never sent"
    else:
        target = settings.upstream or "the real vendor hosts"
        what = f"recording {'missing' if mode == 'new' else 'every'} cassette from {target}"
    if settings.block_network:
        network = "other non-loopback connections are blocked"
    else:
        network = "other hosts are reachable (--densemark-block-network blocks them)"
    return (
        f"densemark: record={mode} ({what}; {network}); cassette dirs: {dirs},"
        " then the shipped library"
    )


@dataclass(frozen=True)
class _Settings:
    """The session's densemark configuration, read once."""

    record_mode: RecordMode
    upstream: str | None
    cassette_dirs: tuple[Path, ...]
    allow_unplayed: bool
    block_network: bool
    allow_hosts: tuple[str, ...]
    server_hold_timeout: float


def _settings(config: pytest.Config) -> _Settings:
    settings = config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        block = config.getoption("densemark_block_network")
        settings = _Settings(
            record_mode=_record_mode(config),
            upstream=_upstream(config),
            cassette_dirs=tuple(cassette_dirs(config)),
            allow_unplayed=bool(config.getini("densemark_allow_unplayed")),
            block_network=bool(block or config.getini("densemark_block_network")),
            allow_hosts=(
                *config.getoption("densemark_allow_host"),
                *config.getini("densemark_allow_hosts"),
            ),
            server_hold_timeout=_hold_timeout(config),
        )
        config.stash[_SETTINGS_KEY] = settings
    return settings


def _marker_settings(node: pytest.Item) -> dict[str, Any] | None:
    """The ``densemark`` markers' arguments, closest last so it wins, or ``None`` when the
    test has no marker; checked for type."""
    markers = list(node.iter_markers("densemark"))
    if not markers:
        return None
    settings: dict[str, Any] = {}
    # Closest marker last so it wins (function over class over module).
    for marker in reversed(markers):
        if len(marker.args) > 1:
            raise _MarkerError(
                "takes at most one positional argument (the cassette),"
                f" got {len(marker.args)}: {marker.args!r}"
            )
        unknown = sorted(set(marker.kwargs) - set(MARKER_ARGS))
        if unknown:
            raise _MarkerError(
                f"got unknown argument(s) {', '.join(unknown)}; expected {', '.join(MARKER_ARGS)}"
            )
        if marker.args:
            settings["cassette"] = marker.args[0]
        settings.update(marker.kwargs)
    return settings


class _MarkerError(Exception):
    pass


def _auto_cassette(node: pytest.Item) -> str:
    """``<module>/<test>``: the cassette a marker without a name records to and replays."""
    module = Path(str(node.path)).stem if getattr(node, "path", None) else "tests"
    parts = [p.name for p in node.listchain() if isinstance(p, pytest.Class)]
    name = ".".join([*parts, node.name])
    return f"{module}/{_UNSAFE_NAME.sub('-', name)}"


@pytest.fixture
def densemark_before_record() -> BeforeRecord | None:
    """The hook recording calls with each request summary before writing it; none by default.

    Override this fixture (in a ``conftest.py``, for a folder or the whole suite) to return a
    callable ``(summary, request) -> summary | None``: return the summary to write, narrowed
    or widened, or ``None`` to leave the exchange out of the cassette (as vcrpy's
    ``before_record_request``). The secret scan still runs on what it returns.
    """
    return None


def _new_test_controller(request: pytest.FixtureRequest) -> Controller:
    """The test's controller, set up from the marker and the configuration (or a failure)."""
    from pytest_densemark.cassettes import CassetteError
    from pytest_densemark.emulation import SettingsError, new_controller

    node = request.node
    node.stash[_USED_KEY] = True
    settings = _settings(request.config)
    try:
        marked = _marker_settings(node)
        marker = marked or {}
        cassette = marker.get("cassette")
        if cassette is None and marked is not None:
            own = settings.cassette_dirs[0] / f"{_auto_cassette(node)}.json"
            if settings.record_mode != "none" or own.is_file():
                cassette = own
        allow = marker.get("allow_unplayed")
        return new_controller(
            cassette=cassette,
            credentials=marker.get("credentials"),
            allow_unplayed=settings.allow_unplayed if allow is None else allow,
            record_mode=settings.record_mode,
            cassette_dirs=settings.cassette_dirs,
            upstream=settings.upstream,
            # Asked for only when recording: one fixture less in every replaying test.
            before_record=(
                None
                if settings.record_mode == "none"
                else request.getfixturevalue("densemark_before_record")
            ),
        )
    except _MarkerError as error:
        problem = f"{node.nodeid}: @pytest.mark.densemark {error}"
    except SettingsError as error:
        problem = f"{node.nodeid}: {error.message('@pytest.mark.densemark')}"
    except CassetteError as error:
        problem = f"{node.nodeid}: {error}"
    pytest.fail(problem, pytrace=False)


def _finish(controller: Controller, node: pytest.Item) -> None:
    """End of test: write the recording; a refused one fails the test's teardown.

    A cassette another test of this session already wrote (two tests recording one cassette
    under ``all``) is replaced with a :class:`~pytest_densemark.cassettes.CassetteWarning`
    naming both tests: the first test's exchanges are gone from the file.
    """
    from pytest_densemark.cassettes import CassetteError, CassetteWarning

    try:
        written = controller.finish()
    except CassetteError as error:
        problem = str(error)
    else:
        if written is not None:
            seen = node.config.stash.setdefault(_WRITTEN_KEY, {})
            key = Path(os.path.abspath(written))
            earlier = seen.get(key)
            seen[key] = node.nodeid
            if earlier is not None and earlier != node.nodeid:
                warnings.warn(
                    CassetteWarning(
                        f"{written}: recorded again by {node.nodeid}, replacing what"
                        f" {earlier} recorded earlier in this run; give each test its own"
                        " cassette name"
                    ),
                    stacklevel=2,
                )
        return
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def densemark(request: pytest.FixtureRequest) -> Generator[Controller, None, None]:
    """Answer every vendor request in-process, from whichever HTTP client sends it.

    While the fixture is active, requests to ``api-cn``/``api-us.faceplusplus.com`` and
    ``iai[.<region>].tencentcloudapi.com`` from httpx (sync and async), requests, urllib3,
    ``urllib.request``/``http.client`` and aiohttp get the emulator's answer, or a
    cassette's when one is loaded; the URL stays as the application wrote it (https
    included: nothing reaches a socket, so no certificate is needed). Requests to other
    hosts, loopback servers and your own respx/responses/aioresponses mocks are left alone.

    Returns a :class:`~pytest_densemark.controller.Controller`, which offers the emulator's
    whole API under the same names (:data:`~pytest_densemark.controller.CONTROLLER_API`),
    among them ``use_cassette``, ``queue_response``, ``inject_error``, ``inject_latency``,
    ``inject_timeout``, ``inject_disconnect``, ``set_credentials``, ``set_faces``,
    ``set_tencent_no_face``, ``register_url``, ``calls``, ``calls_for``, ``reset`` and
    ``unplayed``. ``densemark_server`` serves this same controller over loopback HTTP.
    Configure it with ``@pytest.mark.densemark(cassette=..., allow_unplayed=...,
    credentials=...)``. A test fails when a request found no cassette interaction (even if
    the client swallowed the error) or interactions were left unplayed (unless
    ``allow_unplayed`` or the ini value ``densemark_allow_unplayed`` says otherwise).

    Injected faults surface as each library's own errors: a timeout as httpx
    ``ReadTimeout``, requests ``ReadTimeout``, urllib ``socket.timeout``, aiohttp
    ``asyncio.TimeoutError``; a dropped connection as httpx ``RemoteProtocolError``,
    requests ``ConnectionError``, urllib ``URLError``, aiohttp ``ServerDisconnectedError``.

    With ``--densemark-record=new`` a cassette the marker names (or, for a marker without a
    name, ``<first cassette dir>/<test module>/<test name>.json``) is recorded when it does
    not exist yet (``all``: always re-recorded): requests go to the real vendor, or to
    ``--densemark-upstream``, and the redacted cassette is written at teardown.
    """
    from pytest_densemark import stubs

    # The one place a test's controller is set up, checked and finished: densemark_server
    # and densemark_tls_server serve this same controller.
    controller = _new_test_controller(request)
    node = request.node
    node.stash[_CONTROLLER_KEY] = controller
    try:
        with stubs.intercept(controller):
            yield controller
    finally:
        del node.stash[_CONTROLLER_KEY]
    _finish(controller, node)


#: The fixtures that give a test its controller.
_FIXTURES = ("densemark", "densemark_server", "densemark_tls_server")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give a marked test that asks for none of the fixtures the ``densemark`` one (as vcr does).

    Done once at collection rather than by an autouse fixture, so tests without the marker
    pay nothing for it.
    """
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        names = item.fixturenames
        if item.get_closest_marker("densemark") is not None and not any(
            name in names for name in _FIXTURES
        ):
            # A new list: parametrized items of one function share the old one.
            item.fixturenames = [*names, "densemark"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a passing test that sent an unanswerable request or left interactions unplayed."""
    result = yield
    controller = item.stash.get(_CONTROLLER_KEY, None)
    if controller is not None:
        from pytest_densemark.emulation import end_problems

        problem = end_problems(controller)
        if problem:
            pytest.fail(problem, pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Failure reports (terminal, junit XML) of kit tests never show a request's credential.

    Only tests that used the kit (either fixture, or the marker) are touched: a failure
    elsewhere in the suite is reported exactly as pytest reports it.
    """
    report = yield
    if report.failed and item.stash.get(_USED_KEY, False):
        from pytest_densemark._redaction import redact_report

        redact_report(report)
    return report
