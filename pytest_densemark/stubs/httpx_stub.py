"""The stub for httpx: one respx router, installed once, hands vendor requests to the controller.

Every ``httpx.Client`` and ``httpx.AsyncClient`` is covered, including clients created before
interception started. While no controller is active the router is transparent: requests go to
the network, or to any respx router of the user's own, exactly as if it were not there.
Injected timeouts raise ``httpx.ReadTimeout``, dropped connections
``httpx.RemoteProtocolError``; latency sleeps (sync clients) or awaits (async clients), and
latency beyond the client's read timeout raises ``httpx.ReadTimeout`` once that has passed.
"""

from __future__ import annotations

from typing import NoReturn

import httpx
import respx
from respx.mocks import DEFAULT_MOCKER, Mocker
from respx.models import AllMockedAssertionError, PassThrough

from pytest_densemark import stubs

__all__ = ["install", "uninstall"]


class _VendorRouter(respx.MockRouter):
    """One respx router for the whole process; vendor requests go to the active controller.

    Installing it patches httpx's transports once (the costly part of every respx set-up).
    """

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=False)
        self._pass_through = self.route(name="densemark-pass-through").pass_through()
        self.installed = False

    def install(self) -> None:
        """Register with respx's httpcore mocker and patch (no-op when already done)."""
        mocker = Mocker.registry[DEFAULT_MOCKER]
        self.Mocker = mocker
        if self not in mocker.routers:
            mocker.register(self)
        mocker.start()  # patches only if nobody has yet
        self.installed = True

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
            except AllMockedAssertionError:
                continue  # not routed there
            if response is not None:
                return response
        return controller.deliver(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        controller = stubs.active_controller(request.url.host)
        if controller is None:
            self._not_ours(request)
        for router in self._users_routers(request):
            try:
                response: httpx.Response | None = await router.async_handler(request)
            except AllMockedAssertionError:
                continue  # not routed there
            if response is not None:
                return response
        return await controller.adeliver(request)


_ROUTER = _VendorRouter()


def install() -> None:
    """Patch httpx through respx (idempotent)."""
    _ROUTER.install()


def uninstall() -> None:
    """Undo :func:`install`."""
    if _ROUTER.installed:
        _ROUTER.uninstall()
