"""The stub for httpx: vendor requests from every httpx client reach the active controller.

Every ``httpx.Client`` and ``httpx.AsyncClient`` is covered, including clients created before
interception started, at two layers, both installed once:

* **httpx's own transports** (``HTTPTransport.handle_request`` and
  ``AsyncHTTPTransport.handle_async_request``): a vendor request is answered there, before
  httpx turns it into an httpcore request. This is the common path and the cheap one.
* **one respx router** at httpcore's connection pools (respx's default mocker): it answers
  what the first layer lets through, which is a vendor request for which a respx router of
  the user's own has a route (respx asks the user's router first there), and code that calls
  httpcore directly.

A client given a transport of its own (``httpx.MockTransport``, an ASGI or WSGI app) never
reaches either layer, and pytest-httpx, which patches the same transport methods per test,
sits above the first layer. While no controller is active both layers are transparent:
requests go to the network, or to any respx router of the user's own, exactly as if the kit
were not there. Injected timeouts raise ``httpx.ReadTimeout``, dropped connections
``httpx.RemoteProtocolError``; latency sleeps (sync clients) or awaits (async clients), and
latency beyond the client's read timeout raises ``httpx.ReadTimeout`` once that has passed.

A recording's own requests upstream (:func:`send_upstream`, :func:`asend_upstream`) go out
through httpcore, below both pytest-httpx and respx's ``using="httpx"`` mock, and past any
respx router at httpcore's pools, so no mock of the user's answers them.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

import anyio.to_thread
import httpcore
import httpx
import respx
from respx.mocks import DEFAULT_MOCKER, Mocker
from respx.models import AllMockedAssertionError, PassThrough

from pytest_densemark import stubs

__all__ = ["asend_upstream", "install", "send_upstream", "uninstall"]


#: What the kit's router patches of respx's httpcore targets: the connection pools (and so
#: the proxies, which are pools), where httpx and code calling httpcore hand requests in.
#: Not the connections below them, which a proxy pool gives its own proxy-form requests that
#: respx cannot read (``httpx.InvalidURL`` for every request through an HTTP proxy).
_POOLS = ".connection_pool."


class _VendorRouter(respx.MockRouter):
    """One respx router for the whole process; vendor requests go to the active controller.

    Installing it patches httpcore's connection pools once (the costly part of every respx
    set-up). It answers what the transport patch lets through (see the module's docstring).
    """

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=False)
        self._pass_through = self.route(name="densemark-pass-through").pass_through()
        self.installed = False
        self._patches: list[Any] = []  # respx's patches as this router last made them

    def install(self) -> None:
        """Register with respx's httpcore mocker and patch (no-op when already done)."""
        mocker = Mocker.registry[DEFAULT_MOCKER]
        self.Mocker = mocker
        self.put_first()
        if not mocker._patches or mocker._patches != self._patches:
            # Not patched, or patched by a respx router of the user's, connections included
            # (respx's own default): patch the pools only, for the user's routers too, which
            # lose only calls made straight to an httpcore connection.
            mocker.stop(force=True)
            targets = mocker.targets
            mocker.targets = [target for target in targets if _POOLS in target]
            try:
                mocker.start()
            finally:
                mocker.targets = targets
            self._patches = list(mocker._patches)
        self.installed = True

    def put_first(self) -> None:
        """Make this router the first respx asks, even when the user's registered earlier
        (a session-scoped respx mock): a lax router of theirs would otherwise auto-mock
        vendor requests and a recording's own requests upstream before this one sees them."""
        routers = Mocker.registry[DEFAULT_MOCKER].routers
        if not routers or routers[0] is not self:
            if self in routers:
                routers.remove(self)
            routers.insert(0, self)

    def uninstall(self) -> None:
        """Unregister, and unpatch httpx unless another respx router still needs it."""
        mocker = self.Mocker
        if mocker is not None and mocker.unregister(self):
            mocker.stop()
        self.installed = False

    def _not_ours(self, request: httpx.Request) -> NoReturn:
        mocker = self.Mocker
        if mocker is not None and len(mocker.routers) > 1 and not stubs.is_forwarding():
            # Another respx router (the user's own) may want this request: let respx ask it.
            # Not a recording's own request upstream: no mock of the user's may answer that.
            raise AllMockedAssertionError(f"densemark: {request!r} is not for densemark")
        # Raised directly rather than resolved, so respx keeps no call log for traffic that
        # is not ours (the router lives as long as the process).
        raise PassThrough(
            f"densemark: {request!r} passes through", request=request, origin=self._pass_through
        )

    def _users_routers(self, request: httpx.Request) -> list[respx.Router]:
        """The user's own respx routers with a route for ``request``: they go first.

        Ours was registered first, so respx asks it first; but a route the user wrote for
        the vendor's URL must win, as the user's ``responses`` and ``aioresponses`` mocks do
        (they sit above the kit's stubs). A router that merely auto-mocks what it does not
        route (``assert_all_mocked=False``) does not take vendor requests from the kit.
        """
        mocker = self.Mocker
        routers = mocker.routers if mocker is not None else []
        return [
            router
            for router in routers
            if router is not self
            and any(
                route.pattern is None or route.pattern.match(request) for route in router.routes
            )
        ]

    def handler(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        controller = stubs.active_controller(request.url.host)
        if controller is None:
            self._not_ours(request)
        for router in self._users_routers(request):
            try:
                response: httpx.Response | None = router.handler(request)
            except (AllMockedAssertionError, PassThrough):
                continue  # not routed there, or routed on: to the kit, as the vendor's stand-in
            if response is not None:
                return response
        _PATCH.install()  # answered here: the transports may be free for the kit again
        return controller.deliver(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        controller = stubs.active_controller(request.url.host)
        if controller is None:
            self._not_ours(request)
        for router in self._users_routers(request):
            try:
                response: httpx.Response | None = await router.async_handler(request)
            except (AllMockedAssertionError, PassThrough):
                continue  # not routed there, or routed on: to the kit, as the vendor's stand-in
            if response is not None:
                return response
        _PATCH.install()
        return await controller.adeliver(request)


_ROUTER = _VendorRouter()


def _handed_over(answer: httpx.Response) -> httpx.Response:
    """The answer as a transport returns it: unread, so the client reads and closes it (and
    sets ``elapsed``) as it does a server's; the call log keeps ``answer`` itself."""
    return httpx.Response(
        answer.status_code,
        headers=answer.headers.raw,
        stream=httpx.ByteStream(answer.content),
        extensions=answer.extensions,
    )


def _is_httpx_own(method: object) -> bool:
    """Whether a transport method is the one httpx defines (not a patch of anyone's)."""
    module = getattr(method, "__module__", None) or ""
    return module == "httpx" or module.startswith("httpx.")


class _TransportPatch:
    """The transport methods as found when the stub was installed, and the patched ones."""

    def __init__(self) -> None:
        self.sync: Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response] | None = None
        self.async_: (
            Callable[[httpx.AsyncHTTPTransport, httpx.Request], Coroutine[Any, Any, httpx.Response]]
            | None
        ) = None

    def install(self) -> None:
        """Patch each transport class whose method is httpx's own (no-op otherwise).

        A method someone else has patched (pytest-httpx, for a test set up before the kit's
        first one) is left alone, so their mock stays above the kit; the respx router answers
        vendor requests meanwhile and installs this patch again once their patch is gone.
        """
        if _is_httpx_own(httpx.HTTPTransport.handle_request):
            self.sync = httpx.HTTPTransport.handle_request
            httpx.HTTPTransport.handle_request = _handle_request  # type: ignore[method-assign]
        if _is_httpx_own(httpx.AsyncHTTPTransport.handle_async_request):
            self.async_ = httpx.AsyncHTTPTransport.handle_async_request
            httpx.AsyncHTTPTransport.handle_async_request = _handle_async_request  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Put back what was found, unless someone has patched over the kit since (then what
        was found is kept, to be put back by a later call once their patch is gone)."""
        if self.sync is not None and httpx.HTTPTransport.handle_request is _handle_request:
            httpx.HTTPTransport.handle_request = self.sync  # type: ignore[method-assign,assignment]
            self.sync = None
        if (
            self.async_ is not None
            and httpx.AsyncHTTPTransport.handle_async_request is _handle_async_request
        ):
            httpx.AsyncHTTPTransport.handle_async_request = self.async_  # type: ignore[method-assign,assignment]
            self.async_ = None


_PATCH = _TransportPatch()


def _handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
    __tracebackhide__ = True
    controller = stubs.active_controller(request.url.host)
    if controller is not None:
        request.read()  # read first: a respx route of the user's may match on the body
        if _ROUTER._users_routers(request):
            controller = None  # theirs answers, at the connection pool
    if controller is None:
        assert _PATCH.sync is not None
        return _PATCH.sync(self, request)
    return _handed_over(controller.deliver(request))


async def _handle_async_request(
    self: httpx.AsyncHTTPTransport, request: httpx.Request
) -> httpx.Response:
    __tracebackhide__ = True
    controller = stubs.active_controller(request.url.host)
    if controller is not None:
        await request.aread()
        if _ROUTER._users_routers(request):
            controller = None
    if controller is None:
        assert _PATCH.async_ is not None
        return await _PATCH.async_(self, request)
    return _handed_over(await controller.adeliver(request))


def install() -> None:
    """Patch httpx's transports and, through respx, its connection pools (idempotent)."""
    _ROUTER.install()
    _PATCH.install()


def uninstall() -> None:
    """Undo :func:`install`."""
    _PATCH.uninstall()
    if _ROUTER.installed:
        _ROUTER.uninstall()


# -- a recording's own requests upstream: below every mock ---------------------------------
#
# Sent through httpcore, not an httpx client: pytest-httpx (patching httpx's transports) and
# respx with ``using="httpx"`` (patching the clients) would otherwise take them, and answer
# with the user's mocks, or fail, instead of the upstream. At httpcore's connection pools
# respx asks the kit's router first, which lets them through.


def _upstream_pool(url: httpx.URL) -> httpcore.ConnectionPool:
    """A pool set up as an httpx client's default one: certificates as httpx verifies them
    (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), the environment's proxy for ``url``."""
    context = httpx.create_ssl_context()
    proxy = _proxy_for(url)
    if proxy is None:
        return httpcore.ConnectionPool(ssl_context=context)
    return httpcore.HTTPProxy(proxy_url=proxy, ssl_context=context)


def _proxy_for(url: httpx.URL) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``...), as an
    httpx client would use it, or ``None``."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return None
    if not proxy.startswith(("http://", "https://")):
        raise httpx.ProxyError(
            f"densemark: a recording reaches its upstream through http(s) proxies only, and"
            f" the environment names a {proxy.partition(':')[0]} proxy for {url.scheme}",
        )
    return proxy


def _core_request(request: httpx.Request, timeout: float) -> httpcore.Request:
    url = request.url
    return httpcore.Request(
        request.method,
        httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        headers=request.headers.raw,
        content=request.content,
        extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)},
    )


def _as_httpx_error(error: Exception, request: httpx.Request) -> Exception:
    """httpcore's exception as the httpx one of the same name, as an httpx client raises
    it (``httpx.ConnectError`` for an upstream that is down); any other one as it is."""
    mapped = getattr(httpx, type(error).__name__, None)
    if type(error).__module__.startswith("httpcore") and (
        isinstance(mapped, type) and issubclass(mapped, httpx.TransportError)
    ):
        return mapped(str(error), request=request)
    return error


def _prepare_upstream() -> None:
    """Where respx patches httpcore (a router of the user's), make the kit's router the
    first it asks: it lets a recording's requests through (they are marked forwarding)."""
    if Mocker.registry[DEFAULT_MOCKER]._patches:
        _ROUTER.install()  # registered until uninstall(), like every installed stub


def send_upstream(request: httpx.Request, timeout: float) -> httpx.Response:
    """Send a recording's request to its upstream, below every httpx mock (call it inside
    :func:`pytest_densemark.stubs.forwarding`); the answer is read, its body decoded."""
    _prepare_upstream()
    try:
        with _upstream_pool(request.url) as pool:
            answer = pool.handle_request(_core_request(request, timeout))
            try:
                content = answer.read()
            finally:
                answer.close()
    except Exception as error:
        raise _as_httpx_error(error, request) from error
    return httpx.Response(answer.status, headers=answer.headers, content=content, request=request)


async def asend_upstream(request: httpx.Request, timeout: float) -> httpx.Response:
    """:func:`send_upstream` for async callers, from one of anyio's worker threads: the event
    loop keeps running (the upstream may be served on it), and the thread carries the
    caller's context, so a network block lets the request through, its name lookup included
    (asyncio looks names up in an executor thread that would not know it is forwarding)."""
    return await anyio.to_thread.run_sync(send_upstream, request, timeout)
