"""Throwaway TLS for the loopback server: a test CA and a certificate it signs.

https-only clients (``tccli``, SDKs pinned to https, code that hard-codes the vendor's
``https://`` URL) can then reach :class:`~pytest_densemark.server.DensemarkServer` started with
``tls=True``: trust :attr:`ServerTLS.ca_bundle` (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``,
``verify=...``) and the certificate is valid for ``127.0.0.1``, ``::1``, ``localhost`` and
the vendors' host names. The CA is made for this process only and its key never leaves
memory; the bundle holds the CA certificate alone. Needs ``trustme``
(``pip install pytest-densemark[tls]``).
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import weakref
from pathlib import Path
from typing import Any

from pytest_densemark import vendors

__all__ = ["CERTIFICATE_NAMES", "ServerTLS", "certificate_names"]

_LOOPBACK_NAMES: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")


def certificate_names() -> tuple[str, ...]:
    """What a server certificate is valid for: the loopback addresses, then every registered
    vendor's host names (its ``ServerRules.tls_hosts``)."""
    hosts: list[str] = []
    for vendor in vendors.all_vendors():
        try:
            hosts += vendor.server.tls_hosts
        except NotImplementedError:  # a vendor the server does not serve
            continue
    return (*_LOOPBACK_NAMES, *hosts)


#: What the server certificate is valid for, with the kit's own vendors.
CERTIFICATE_NAMES: tuple[str, ...] = certificate_names()


def _trustme() -> Any:
    try:
        import trustme
    except ImportError:  # pragma: no cover - trustme is in the test extra
        raise RuntimeError(
            "TLS for the densemark server needs the trustme package: pip install"
            " 'pytest-densemark[tls]' (or pip install trustme)"
        ) from None
    return trustme


class ServerTLS:
    """A fresh CA, a server certificate it signs, and the server-side SSL context.

    :attr:`ca_bundle` is a PEM file holding the CA certificate, removed when this object is
    garbage-collected or :meth:`cleanup` is called.
    """

    def __init__(self, names: tuple[str, ...] | None = None) -> None:
        """``names``: what the certificate is valid for (default: :func:`certificate_names`)."""
        if names is None:
            names = certificate_names()
        trustme = _trustme()
        self._ca = trustme.CA(organization_name="pytest-densemark test CA (synthetic)")
        self._cert = self._ca.issue_cert(*names)
        self.names = names
        self._dir = Path(tempfile.mkdtemp(prefix="densemark-tls-"))
        self.ca_bundle = self._dir / "densemark-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._dir, True)

    def server_context(self) -> ssl.SSLContext:
        """An SSL context serving the certificate (TLS 1.2 and later)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts the CA (for clients written in Python)."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def cleanup(self) -> None:
        """Remove the CA bundle file now."""
        self._finalizer()
