"""In-process interception: vendor requests from every supported HTTP client reach one controller.

One stub per HTTP library, each translating that library's request into an ``httpx.Request``
for the active controller and its answer (or injected fault) back into what the library
expects:

========================  ================================================================
``httpx_stub``            httpx (sync and async clients), at its transports, with a respx
                          router at httpcore's connection pools behind them
``http_client_stub``      ``http.client``, and what is built on it: ``urllib.request``,
                          urllib3 (``PoolManager``, connection pools) and requests
``aiohttp_stub``          aiohttp's ``ClientSession`` (its TCP connector)
========================  ================================================================

Only connections to the vendors' own hosts are taken (``api-cn``/``api-us.faceplusplus.com``,
``iai[.<region>].tencentcloudapi.com``); every other host, loopback servers included, is left
to the library. A stub is installed the first time interception starts after its library has
been imported (a library imported later, while interception is active, is patched as it is
imported), and stays installed, idle, until :func:`uninstall_all`; so no library is imported
on the kit's account and a test without the fixture pays nothing.

:func:`intercept` is the one entry point: the ``densemark`` fixture and
:func:`pytest_densemark.emulate` use it.
"""

from __future__ import annotations

import contextvars
import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

from pytest_densemark.vendors import vendor_for_host

if TYPE_CHECKING:
    from pytest_densemark.controller import Controller

__all__ = [
    "active_controller",
    "forwarding",
    "intercept",
    "is_forwarding",
    "is_vendor_host",
    "uninstall_all",
]

_lock = threading.Lock()
_active: Controller | None = None
# Set while a controller itself sends a request upstream (recording), so that neither the
# stubs nor a network block stop it.
_FORWARDING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "densemark_forwarding", default=False
)


def is_forwarding() -> bool:
    """Whether this thread or task is sending a controller's request upstream (recording)."""
    return _FORWARDING.get()


@contextmanager
def forwarding() -> Iterator[None]:
    """Mark the controller's own upstream requests, so interception lets them through."""
    token = _FORWARDING.set(True)
    try:
        yield
    finally:
        _FORWARDING.reset(token)


def is_vendor_host(host: str) -> bool:
    """Whether ``host`` is one of a registered vendor's API hosts (case, brackets and a
    trailing dot ignored): :func:`pytest_densemark.vendors.vendor_for_host`."""
    return vendor_for_host(host) is not None


def active_controller(host: str) -> Controller | None:
    """The controller that answers a connection to ``host`` now, or ``None`` to let it be."""
    controller = _active
    if controller is None or not is_vendor_host(host) or _FORWARDING.get():
        return None
    return controller


class _Stub:
    """One library's stub: the module that must be imported first, and how to (un)install."""

    def __init__(self, module: str, stub: str, part: str = "") -> None:
        self.module = module
        self.stub = stub
        self.part = part
        # The library module the stub was installed for: a library imported anew (pytester's
        # in-process runs drop and re-import modules) is a new module, patched again.
        self.installed_for: ModuleType | None = None

    def _call(self, action: str) -> bool | None:
        stub = importlib.import_module(f"pytest_densemark.stubs.{self.stub}")
        function: Callable[[], bool | None] = getattr(stub, action + self.part)
        return function()

    def install(self) -> None:
        library = sys.modules.get(self.module)
        if library is None or library is self.installed_for:
            return
        # False: the library is still being imported (another of its modules finished first);
        # it is installed once its own import ends.
        if self._call("install") is not False:
            self.installed_for = library

    def uninstall(self) -> None:
        if self.module in sys.modules:
            self._call("uninstall")
        self.installed_for = None


_STUBS: Sequence[_Stub] = (
    _Stub("httpx", "httpx_stub"),
    _Stub("http.client", "http_client_stub"),
    _Stub("urllib3.connection", "http_client_stub", "_urllib3"),
    _Stub("urllib3.connectionpool", "http_client_stub", "_urllib3_pool"),
    _Stub("aiohttp.connector", "aiohttp_stub"),
)


def _install_imported() -> None:
    """Install the stub of every supported library imported so far."""
    for stub in _STUBS:
        stub.install()


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Installs a library's stub as soon as the library is imported during interception."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if _active is None or not any(stub.module == fullname for stub in _STUBS):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _InstallAfterExec(spec.loader)
        return spec


class _InstallAfterExec(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        if _active is not None:
            _install_imported()


_FINDER = _PatchOnImport()


@contextmanager
def intercept(controller: Controller) -> Iterator[Controller]:
    """Answer every supported client's vendor requests with ``controller`` inside the block.

    Blocks do not nest: a second one while another is active raises ``RuntimeError``. The
    stubs stay installed (idle) afterwards; :func:`uninstall_all` removes them.
    """
    global _active
    with _lock:
        if _active is not None:
            raise RuntimeError(
                "densemark interception is already active (the densemark fixture or another"
                " emulate() block); blocks do not nest"
            )
        _active = controller
    try:
        import http.client  # noqa: F401  (always there: the stdlib's stub is the base of most)

        _install_imported()
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
        yield controller
    finally:
        with _lock:
            _active = None


def uninstall_all() -> None:
    """Remove every installed stub (the libraries behave as if the kit was never there).

    Does nothing while interception is active: a pytest run inside a test (pytester's
    in-process runs) ends with this call, and the outer test's requests must stay answered.
    """
    if _active is not None:
        return
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for stub in _STUBS:
        stub.uninstall()
