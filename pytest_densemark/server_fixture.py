"""The ``densemark_server`` fixture: the emulator served on loopback for non-httpx clients.

One :class:`~pytest_densemark.server.DensemarkServer` runs per test session (per xdist
worker); each test gets it reset. The ``@pytest.mark.densemark(...)`` marker and the
``densemark_*`` ini values configure it exactly as they configure the ``densemark`` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from contextlib import ExitStack, contextmanager

import pytest

from pytest_densemark.controller import Controller
from pytest_densemark.server import DensemarkServer

# plugin.py imports this module to expose the fixtures, so the plugin's helpers are imported
# when a fixture runs, not at import time (that would be a cycle).

__all__ = ["densemark_server", "densemark_tls_server", "loopback_no_proxy"]

_NO_PROXY_VARS = ("NO_PROXY", "no_proxy")


@contextmanager
def loopback_no_proxy(endpoint: str) -> Iterator[None]:
    """Add ``127.0.0.1`` and ``endpoint`` to ``NO_PROXY``/``no_proxy`` while in the block.

    ``requests`` (and so the Tencent SDK) sends loopback requests to an HTTP proxy when a
    proxy variable is set, unless ``NO_PROXY`` names the host; the Tencent SDK checks the
    ``host:port`` form, ``requests`` the bare host, so both are added.
    """
    saved = {name: os.environ.get(name) for name in _NO_PROXY_VARS}
    host = endpoint.rsplit(":", 1)[0]
    for name in _NO_PROXY_VARS:
        entries = [e for e in (saved[name] or "").split(",") if e.strip()]
        for extra in (host, endpoint):
            if extra not in entries:
                entries.append(extra)
        os.environ[name] = ",".join(entries)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_SERVER_KEY = pytest.StashKey[tuple[DensemarkServer, Controller]]()
_TLS_SERVER_KEY = pytest.StashKey[tuple[DensemarkServer, Controller]]()


def _session_server(
    config: pytest.Config, *, tls: bool = False
) -> tuple[DensemarkServer, Controller]:
    """The session's server, started on first use and stopped when pytest unconfigures."""
    key = _TLS_SERVER_KEY if tls else _SERVER_KEY
    existing = config.stash.get(key, None)
    if existing is not None:
        return existing
    from pytest_densemark.plugin import cassette_dirs

    controller = Controller(search_dirs=cassette_dirs(config))
    with ExitStack() as stack:
        server = stack.enter_context(DensemarkServer(controller, tls=tls))
        stack.enter_context(loopback_no_proxy(server.tencent_endpoint))
        config.add_cleanup(stack.pop_all().close)
    config.stash[key] = (server, controller)
    return server, controller


@pytest.fixture
def densemark_server(request: pytest.FixtureRequest) -> Generator[DensemarkServer, None, None]:
    """The emulator served as real HTTP on ``127.0.0.1``, for clients httpx mocking misses.

    ``requests``, ``urllib``, the Tencent SDK's synchronous client, curl and programs in other
    languages reach it over a socket. One server runs per session (per xdist worker) and is
    reset before each test. Returns a :class:`~pytest_densemark.server.DensemarkServer`:

    - ``url`` (``http://127.0.0.1:PORT``), ``facepp_url`` (the full thousandlandmark URL),
      ``tencent_endpoint`` (``"127.0.0.1:PORT"`` for ``HttpProfile(protocol="http",
      endpoint=...)``);
    - the ``densemark`` fixture's controller methods under the same names: ``use_cassette``,
      ``queue_response``, ``inject_error``, ``inject_latency``, ``inject_timeout``,
      ``inject_disconnect``, ``set_credentials``, ``set_faces``, ``set_tencent_no_face``,
      ``register_url``, ``calls``, ``calls_for``, ``unplayed`` and ``reset``.

    ``@pytest.mark.densemark(cassette=..., credentials=..., allow_unplayed=...)`` and the
    ``densemark_cassette_dirs``/``densemark_allow_unplayed`` ini values apply as they do to
    ``densemark``; a test that leaves cassette interactions unplayed fails at teardown.
    ``NO_PROXY`` names the server for the whole session, so proxy variables do not divert
    loopback requests.
    """
    yield from _serve(request, tls=False)


@pytest.fixture
def densemark_tls_server(
    request: pytest.FixtureRequest,
) -> Generator[DensemarkServer, None, None]:
    """``densemark_server`` over HTTPS, for https-only clients (``tccli``, SDKs pinned to
    https, code that keeps the vendor's ``https://`` URL).

    Its own session server with a throwaway CA (needs ``trustme``): ``url`` and
    ``facepp_url`` are ``https://``, and ``ca_bundle`` is the CA file a client must trust
    (``verify=server.ca_bundle``, ``HttpProfile(protocol="https",
    certification=server.ca_bundle)``). Everything else is as for ``densemark_server``.
    """
    yield from _serve(request, tls=True)


def _serve(request: pytest.FixtureRequest, *, tls: bool) -> Generator[DensemarkServer, None, None]:
    from pytest_densemark.plugin import _marker_settings

    server, controller = _session_server(request.config, tls=tls)
    server.reset()
    settings = _marker_settings(request.node) if isinstance(request.node, pytest.Item) else {}
    allow = settings.get("allow_unplayed")
    if allow is None:
        allow = bool(request.config.getini("densemark_allow_unplayed"))
    controller.allow_unplayed = bool(allow)
    credentials = settings.get("credentials")
    if credentials is not None:
        if not isinstance(credentials, Mapping):
            raise pytest.UsageError(
                f"{request.node.nodeid}: @pytest.mark.densemark(credentials=...) must be a dict"
                f" of set_credentials arguments, got {credentials!r}"
            )
        server.set_credentials(**credentials)
    cassette = settings.get("cassette")
    if cassette is not None:
        server.use_cassette(cassette)
    yield server
    problem = controller.unplayed_problem()
    server.reset()
    if problem:
        pytest.fail(problem, pytrace=False)
