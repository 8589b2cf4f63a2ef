"""The vendors the kit emulates: the :class:`Vendor` interface the core calls, and the registry.

Every vendor-specific rule lives in one package per vendor (``vendors/facepp/``,
``vendors/tencent/``); the core (the emulator, cassettes, the server, validation) reaches a
vendor only through the :class:`Vendor` object registered here, and never compares a vendor's
name. Adding a vendor is one package that builds a :class:`Vendor` plus one :func:`register`
call (or one entry in :data:`_BUILTIN` for the kit's own).

The interface is composition: a :class:`Vendor` names its identity and routing, and carries one
object per concern of the core. Each concern's protocol is defined by the core module that
consumes it, so the arrows point one way: core -> protocol, vendor package -> facts and core
helpers, and the registry imports a vendor package only when it is first asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any

from pytest_densemark.errors import DensemarkError

if TYPE_CHECKING:  # each concern's protocol lives beside the core that calls it
    import httpx

    from pytest_densemark.emulator import Engine
    from pytest_densemark.server.rules import ServerRules

__all__ = [
    "UnknownVendor",
    "Vendor",
    "all_vendors",
    "get",
    "names",
    "register",
    "unregister",
    "vendor_for_host",
    "vendor_for_request",
]


class UnknownVendor(DensemarkError, KeyError):
    """A vendor name that no registered vendor has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Vendor:
    """One emulated vendor, as the core sees it.

    Identity is plain attributes; routing (:attr:`owns_host`, :attr:`claims_request`) and every
    other concern are given either as the object or as ``"module:attribute"``, imported the
    first time the core asks for it: the validator must not import the emulator's engine, nor
    the plugin any vendor at all, and a vendor package's ``__init__`` must not import httpx.
    Concerns are typed by the protocol in the core module that calls them (see each property).
    """

    #: The concerns a vendor may provide, each consumed by one part of the core.
    CONCERNS: tuple[str, ...] = ("engine", "cassette", "server", "payloads")

    def __init__(
        self,
        *,
        name: str,
        title: str,
        owns_host: Callable[[str], bool] | str,
        claims_request: Callable[[httpx.Request], bool] | str,
        **concerns: object,
    ) -> None:
        unknown = sorted(set(concerns) - set(self.CONCERNS))
        if unknown:
            raise TypeError(f"Vendor() got unknown concern(s) {unknown}: expected {self.CONCERNS}")
        #: Short name used in markers, cassettes, ``Call.vendor`` and options (``"facepp"``).
        self.name = name
        #: Name for people (``"Face++"``), used in messages.
        self.title = title
        self._concerns: dict[str, object] = {
            **concerns,
            "owns_host": owns_host,
            "claims_request": claims_request,
        }

    def provides(self, name: str) -> bool:
        """Whether the vendor provides the core concern ``name`` (without importing it)."""
        return name in self._concerns

    def concern(self, name: str) -> Any:
        """The vendor's object for the core concern ``name``, imported on first use."""
        try:
            value = self._concerns[name]
        except KeyError:
            raise NotImplementedError(f"vendor {self.name!r} provides no {name!r}") from None
        if isinstance(value, str):
            module, _, attribute = value.partition(":")
            value = getattr(import_module(module), attribute)
            self._concerns[name] = value
        return value

    # Each concern is resolved once, then kept as a plain attribute (cached_property): the
    # emulator reads ``engine`` on every request.

    @cached_property
    def owns_host(self) -> Callable[[str], bool]:
        """Whether a host name (lower case, no brackets, no trailing dot) is one of the vendor's
        API hosts: only these are answered in-process and guarded by the network block."""
        owns: Callable[[str], bool] = self.concern("owns_host")
        return owns

    @cached_property
    def claims_request(self) -> Callable[[httpx.Request], bool]:
        """Whether a request to a host the vendor does not own (a loopback server) is for it,
        from its path, headers or parameters."""
        claims: Callable[[httpx.Request], bool] = self.concern("claims_request")
        return claims

    @cached_property
    def engine(self) -> Engine:
        """Emulation rules: read, answer, errors (:class:`pytest_densemark.emulator.Engine`)."""
        engine: Engine = self.concern("engine")
        return engine

    @cached_property
    def cassette(self) -> Any:
        """Cassette rules: match key, redaction, action, stored answers' checks
        (:class:`pytest_densemark.cassettes.rules.CassetteRules`)."""
        return self.concern("cassette")

    @cached_property
    def server(self) -> ServerRules:
        """Loopback server rules: path, size limit and refusal, addresses, TLS host names,
        control endpoints (:class:`pytest_densemark.server.rules.ServerRules`)."""
        rules: ServerRules = self.concern("server")
        return rules

    @cached_property
    def payloads(self) -> Any:
        """Payload rules: kinds, detection, fast and extra checks, schema builders, and the
        vendor's strategies and drawing (:class:`pytest_densemark.validation.PayloadRules`)."""
        return self.concern("payloads")

    def __repr__(self) -> str:
        return f"<Vendor {self.name!r}>"


#: The kit's own vendors: name -> the module whose ``VENDOR`` attribute builds it. Imported
#: only when first needed, so loading the plugin or the validator imports no vendor engine.
_BUILTIN: dict[str, str] = {
    "facepp": "pytest_densemark.vendors.facepp",
    "tencent": "pytest_densemark.vendors.tencent",
}

_registry: dict[str, Vendor] = {}
_lock = threading.Lock()
#: Every vendor in order once the builtins are loaded (``None``: look again): routing walks it
#: for each request a vendor's host does not name, so it is not rebuilt per request.
_ordered: tuple[Vendor, ...] | None = None


def _changed() -> None:
    global _ordered
    _ordered = None
    _for_host_cache.clear()


def register(vendor: Vendor) -> Vendor:
    """Add ``vendor`` to the registry (replacing a vendor of the same name) and return it."""
    if not isinstance(vendor, Vendor):
        raise TypeError(f"register() expects a Vendor, got {type(vendor).__name__}")
    with _lock:
        _registry[vendor.name] = vendor
    _changed()
    return vendor


def unregister(name: str) -> None:
    """Remove the vendor called ``name`` (a no-op if there is none); builtins come back on use."""
    with _lock:
        _registry.pop(name, None)
    _changed()


def _load_builtins() -> None:
    for name, module in _BUILTIN.items():
        if name not in _registry:
            vendor = import_module(module).VENDOR
            with _lock:
                _registry.setdefault(name, vendor)


def names() -> tuple[str, ...]:
    """Every vendor's name: the builtins in their order, then registered ones."""
    with _lock:
        extra = tuple(name for name in _registry if name not in _BUILTIN)
    return (*_BUILTIN, *extra)


def get(name: str) -> Vendor:
    """The vendor called ``name``; :class:`UnknownVendor` names the known ones otherwise."""
    vendor = _registry.get(name)
    if vendor is not None:
        return vendor
    module = _BUILTIN.get(name)
    if module is None:
        known = ", ".join(repr(n) for n in names())
        raise UnknownVendor(f"unknown vendor {name!r}: expected one of {known}")
    vendor = import_module(module).VENDOR
    with _lock:
        return _registry.setdefault(name, vendor)


def all_vendors() -> tuple[Vendor, ...]:
    """Every vendor, builtins first (importing them if needed)."""
    global _ordered
    ordered = _ordered
    if ordered is None:
        _load_builtins()
        ordered = tuple(get(name) for name in names())
        _ordered = ordered
    return ordered


_for_host_cache: dict[str, Vendor | None] = {}


def vendor_for_host(host: str) -> Vendor | None:
    """The vendor whose API host ``host`` is (case, brackets and a trailing dot ignored)."""
    try:
        return _for_host_cache[host]
    except KeyError:
        pass
    name = host.strip("[]").rstrip(".").lower()
    found = next((v for v in all_vendors() if v.owns_host(name)), None)
    if len(_for_host_cache) < 1024:
        _for_host_cache[host] = found
    return found


def vendor_for_request(request: httpx.Request) -> Vendor | None:
    """The vendor a request is for: by its host, else by whichever vendor claims it."""
    vendor = vendor_for_host(request.url.host)
    if vendor is not None:
        return vendor
    return next((v for v in all_vendors() if v.claims_request(request)), None)
