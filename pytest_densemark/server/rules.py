"""What the loopback server asks of a vendor: the :class:`ServerRules` protocol, and the lookup.

The server itself knows no vendor. Each vendor package implements :class:`ServerRules`
(``vendors/<name>/server.py``) and registers it as its ``server`` concern; the server reaches
it through the registry (:func:`rules_for`), for the size limit and refusal of a request, the
addresses it prints and indexes, the names its TLS certificate covers and any control
endpoint of the vendor's own.

Vendor modules implement these protocols structurally (their values are plain tuples), so a
vendor package never imports the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from pytest_densemark import vendors

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Address",
    "Refusal",
    "ServerRules",
    "VendorControl",
    "addresses",
    "all_rules",
    "rules_for",
    "smallest_limit",
]


class Refusal(NamedTuple):
    """An answer the server makes by itself (a request over the vendor's size limit)."""

    status: int
    content_type: str
    body: bytes


class Address(NamedTuple):
    """One address of a vendor on a running server."""

    #: Key in the control API's index (``GET /_densemark/``), e.g. ``"facepp_url"``.
    key: str
    #: Label in ``densemark serve``'s output, e.g. ``"Face++ URL"``.
    label: str
    #: The address itself: a URL, or ``host:port`` for SDKs that take an endpoint.
    value: str


class VendorControl(Protocol):
    """A control endpoint of the vendor's own: ``POST /_densemark/<name>``.

    Its fields are strings, each required, each with its allowed values (empty: any string).
    The server checks them (naming the field and what was expected on a ``400``), calls
    :meth:`apply` with the controller and the checked values, and answers
    ``{"ok": true, **values}``.
    """

    @property
    def name(self) -> str:
        """The path under ``/_densemark/``, e.g. ``"tencent-no-face"``."""

    @property
    def summary(self) -> str:
        """What the endpoint takes and does, for the control API's index."""

    @property
    def fields(self) -> Mapping[str, Sequence[str]]:
        """Each field and its allowed values, in order."""

    def apply(self, controller: Any, values: Mapping[str, str]) -> None:
        """Tell ``controller`` (the attached app) what the checked ``values`` say."""


class ServerRules(Protocol):
    """The loopback server's view of one vendor (the ``server`` concern of a ``Vendor``)."""

    @property
    def path(self) -> str:
        """Where the vendor's API is posted on the server (Face++'s API path, Tencent ``/``).

        The vendor served at ``/`` also sets the limit for a request no vendor claims
        from its head (an old-style signature carries its ``Action`` in the body).
        """

    @property
    def max_request_bytes(self) -> int:
        """Largest request body the vendor's front end takes; a bigger one is refused."""

    def too_large(self) -> tuple[int, str, bytes]:
        """The vendor's answer to a body over :attr:`max_request_bytes`: status, type, body."""

    def addresses(self, url: str, endpoint: str) -> Sequence[tuple[str, str, str]]:
        """The vendor's :class:`Address` entries on a server at ``url`` (``host:port``
        ``endpoint``), as ``(key, label, value)``."""

    @property
    def tls_hosts(self) -> Sequence[str]:
        """The vendor's host names a TLS server's certificate is valid for."""

    @property
    def control(self) -> Sequence[VendorControl]:
        """The vendor's own control endpoints (usually none)."""


def all_rules() -> Iterator[ServerRules]:
    """Every registered vendor's server rules, in registry order (a vendor without any, one
    the server does not serve, is left out)."""
    for vendor in vendors.all_vendors():
        try:
            rules: ServerRules = vendor.server
        except NotImplementedError:
            continue
        yield rules


def smallest_limit() -> int:
    """The smallest :attr:`ServerRules.max_request_bytes` of all vendors: no vendor refuses a
    body this size or smaller, so the server need not ask which vendor it is for."""
    return min((rules.max_request_bytes for rules in all_rules()), default=0)


def rules_for(request: httpx.Request | None) -> ServerRules | None:
    """The rules of the vendor ``request`` is for (``None``: a request whose URL could not be
    built): the claiming vendor's, else the vendor served at ``/``, else ``None``."""
    vendor = None if request is None else vendors.vendor_for_request(request)
    if vendor is not None:
        try:
            rules: ServerRules = vendor.server
        except NotImplementedError:  # a vendor the server does not serve
            return None
        return rules
    return next((rules for rules in all_rules() if rules.path == "/"), None)


def addresses(url: str, endpoint: str) -> list[Address]:
    """Every vendor's addresses on a server at ``url`` / ``endpoint``, in registry order."""
    return [Address(*entry) for rules in all_rules() for entry in rules.addresses(url, endpoint)]
