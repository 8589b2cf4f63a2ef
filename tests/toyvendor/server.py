"""The toy on the loopback server: its path, its size limit and refusal, its control endpoint.

Implements :class:`pytest_densemark.server.rules.ServerRules` as :data:`RULES`, registered as
the vendor's ``server`` concern; the server reaches it through the registry, as it reaches
the kit's own vendors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from toyvendor import facts
from toyvendor.payloads import toy_error

if TYPE_CHECKING:
    from pytest_densemark.server.rules import ServerRules, VendorControl

__all__ = ["RULES", "NoFaceControl", "ToyServerRules"]


class NoFaceControl:
    """``POST /_densemark/toy-no-face``: what the toy answers for an image without a face."""

    name = "toy-no-face"
    summary = '{"answer": "empty" | "error"}: what the toy answers for an image without a face'
    fields: Mapping[str, Sequence[str]] = {"answer": facts.NO_FACE_ANSWERS}

    def apply(self, controller: Any, values: Mapping[str, str]) -> None:
        """Set the toy's ``no_face`` setting on the controller's emulator."""
        controller.vendor_settings(facts.NAME).no_face = values["answer"]


class ToyServerRules:
    """The toy as the loopback server sees it."""

    path = facts.PATH
    max_request_bytes = facts.MAX_REQUEST_BYTES
    tls_hosts: Sequence[str] = (facts.HOST,)
    control: Sequence[VendorControl] = (NoFaceControl(),)

    def too_large(self) -> tuple[int, str, bytes]:
        """The documented ``TOO_LARGE`` error, as the API itself answers it."""
        body = toy_error("TOO_LARGE", request_id=str(uuid.uuid4()))
        return facts.ERRORS["TOO_LARGE"].status, facts.CONTENT_TYPE, json.dumps(body).encode()

    def addresses(self, url: str, endpoint: str) -> Sequence[tuple[str, str, str]]:
        """The full landmark URL on the server."""
        return (("toy_url", f"{facts.TITLE} URL", url + self.path),)


#: The rules the server uses for the toy.
RULES: ServerRules = ToyServerRules()
