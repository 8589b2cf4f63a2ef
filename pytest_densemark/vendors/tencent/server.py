"""Tencent on the loopback server: its path, its size limit and refusal, its control endpoint.

Implements :class:`pytest_densemark.server.rules.ServerRules`, registered as the vendor's
``server`` concern.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_densemark import payloads
from pytest_densemark import tencent as _facts

if TYPE_CHECKING:
    from pytest_densemark.server.rules import ServerRules, VendorControl

__all__ = ["RULES", "NoFaceControl", "TencentServerRules"]

#: The error API 3.0 gives a request body over its limit.
_TOO_LARGE_CODE = "RequestSizeLimitExceeded"


class NoFaceControl:
    """``POST /_densemark/tencent-no-face``: what Tencent answers for an image without a face."""

    name = "tencent-no-face"
    summary = '{"answer": "error" | "empty"}: what Tencent answers for an image without a face'
    fields: Mapping[str, Sequence[str]] = {"answer": _facts.NO_FACE_ANSWERS}

    def apply(self, controller: Any, values: Mapping[str, str]) -> None:
        """Set the controller's no-face answer."""
        controller.set_tencent_no_face(values["answer"])


class TencentServerRules:
    """Tencent as the loopback server sees it."""

    #: API 3.0 is posted to ``/`` (the action travels in headers or parameters).
    path = "/"
    max_request_bytes = _facts.MAX_REQUEST_BYTES
    tls_hosts: Sequence[str] = (_facts.HOST,)
    control: Sequence[VendorControl] = (NoFaceControl(),)

    def too_large(self) -> tuple[int, str, bytes]:
        """API 3.0 reports every error, this one included, as HTTP 200 with an envelope."""
        envelope = payloads.tencent_error(_TOO_LARGE_CODE, request_id=str(uuid.uuid4()))
        return 200, _facts.CONTENT_TYPE, json.dumps(envelope).encode()

    def addresses(self, url: str, endpoint: str) -> Sequence[tuple[str, str, str]]:
        """The ``host:port`` form ``HttpProfile(endpoint=...)`` takes."""
        return (("tencent_endpoint", "Tencent endpoint", endpoint),)


#: The rules the server uses for Tencent.
RULES: ServerRules = TencentServerRules()
