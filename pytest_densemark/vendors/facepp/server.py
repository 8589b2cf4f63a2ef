"""Face++ on the loopback server: its path, its size limit and the front end's refusal.

Implements :class:`pytest_densemark.server.rules.ServerRules`, registered as the vendor's
``server`` concern.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pytest_densemark import facepp as _facts

if TYPE_CHECKING:
    from pytest_densemark.server.rules import ServerRules, VendorControl

__all__ = ["RULES", "FaceppServerRules"]


class FaceppServerRules:
    """Face++ as the loopback server sees it."""

    #: thousandlandmark is posted to the vendor's own path, on the server's address.
    path = _facts.PATH
    max_request_bytes = _facts.MAX_REQUEST_BYTES
    tls_hosts: Sequence[str] = _facts.HOSTS
    control: Sequence[VendorControl] = ()

    def too_large(self) -> tuple[int, str, bytes]:
        """``413`` in plain text: the vendor's front end answers before the API sees it."""
        error = _facts.ERRORS["REQUEST_ENTITY_TOO_LARGE"]
        return error.status, error.content_type, error.message().encode()

    def addresses(self, url: str, endpoint: str) -> Sequence[tuple[str, str, str]]:
        """The full thousandlandmark URL on the server."""
        return (("facepp_url", "Face++ URL", url + self.path),)


#: The rules the server uses for Face++.
RULES: ServerRules = FaceppServerRules()
