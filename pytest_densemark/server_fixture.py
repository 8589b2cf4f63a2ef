"""The ``densemark_server`` fixture: the test's controller served on loopback HTTP.

One :class:`~pytest_densemark.server.DensemarkServer` runs per test session (per xdist
worker). Each test hands it its own controller, the one the ``densemark`` fixture sets up
from the marker and the ini values, so both deliveries share faults, cassettes and the call
log.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_densemark.controller import Controller
    from pytest_densemark.server import DensemarkServer

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


_SERVER_KEYS = {
    False: pytest.StashKey["DensemarkServer"](),
    True: pytest.StashKey["DensemarkServer"](),
}


def _session_server(config: pytest.Config, *, tls: bool = False) -> DensemarkServer:
    """The session's server (one plain, one TLS), started on first use, stopped at the end."""
    key = _SERVER_KEYS[tls]
    existing = config.stash.get(key, None)
    if existing is not None:
        return existing
    from pytest_densemark.plugin import _settings
    from pytest_densemark.server import DensemarkServer

    hold = _settings(config).server_hold_timeout
    with ExitStack() as stack:
        server = stack.enter_context(DensemarkServer(tls=tls, hold_timeout=hold))
        stack.enter_context(loopback_no_proxy(server.tencent_endpoint))
        config.add_cleanup(stack.pop_all().close)
    config.stash[key] = server
    return server


def _serve(
    request: pytest.FixtureRequest, controller: Controller, *, tls: bool
) -> Generator[DensemarkServer, None, None]:
    server = _session_server(request.config, tls=tls)
    server.attach(controller)
    try:
        yield server
    finally:
        server.detach(controller)


@pytest.fixture
def densemark_server(
    request: pytest.FixtureRequest, densemark: Controller
) -> Generator[DensemarkServer, None, None]:
    """The test's controller served as real HTTP on ``127.0.0.1``, for any client or language.

    Programs in other languages, curl, and clients pointed at an explicit endpoint reach it
    over a socket. It serves the ``densemark`` fixture's controller (so vendor URLs called
    in-process are answered too, by the same controller): faults, cassettes and the call log
    are shared by both deliveries. One server runs per session (per xdist worker). Returns a
    :class:`~pytest_densemark.server.DensemarkServer`:

    - ``url`` (``http://127.0.0.1:PORT``), ``facepp_url`` (the full thousandlandmark URL),
      ``tencent_endpoint`` (``"127.0.0.1:PORT"`` for ``HttpProfile(protocol="http",
      endpoint=...)``);
    - the controller's methods under the same names: ``use_cassette``, ``queue_response``,
      ``inject_error``, ``inject_latency``, ``inject_timeout``, ``inject_disconnect``,
      ``set_credentials``, ``set_faces``, ``set_tencent_no_face``, ``register_url``,
      ``calls``, ``calls_for``, ``unplayed`` and ``reset``; and the ``/_densemark/`` control
      API for clients in other languages.

    It is the ``densemark`` fixture's controller, set up once from
    ``@pytest.mark.densemark(...)``, the ini values and ``--densemark-record``, so marker
    errors, missing cassettes, recording and the end-of-test checks are the ones
    ``densemark`` has. One difference comes from the URL: a request that reaches the server
    names the server, not the vendor, so recording it needs an upstream
    (``--densemark-upstream`` or ``$DENSEMARK_UPSTREAM``; without one the request fails,
    saying so), where an in-process request goes to the vendor's own host. The cassette is
    written at teardown. A test that leaves cassette interactions unplayed, or whose request
    no interaction answered, fails. ``NO_PROXY`` names the server for the whole session, so
    proxy variables do not divert loopback requests.

    ``inject_timeout`` holds the connection without answering until the client gives up or
    ``densemark_server_hold_timeout`` seconds pass (ini value, default 60), then closes it: a
    client with a read timeout sees that timeout; a client without one waits the whole hold
    and then sees the connection closed with no answer (``requests`` raises
    ``ConnectionError``, ``http.client`` ``RemoteDisconnected``).
    """
    yield from _serve(request, densemark, tls=False)


@pytest.fixture
def densemark_tls_server(
    request: pytest.FixtureRequest, densemark: Controller
) -> Generator[DensemarkServer, None, None]:
    """``densemark_server`` over HTTPS, for https-only clients (``tccli``, SDKs pinned to
    https, code that keeps the vendor's ``https://`` URL).

    Its own session server with a throwaway CA (needs ``trustme``): ``url`` and
    ``facepp_url`` are ``https://``, and ``ca_bundle`` is the CA file a client must trust
    (``verify=server.ca_bundle``, ``HttpProfile(protocol="https",
    certification=server.ca_bundle)``). Everything else is as for ``densemark_server``,
    the test's controller included.
    """
    yield from _serve(request, densemark, tls=True)
