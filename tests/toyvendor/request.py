"""Reading a toy request: its JSON body, and whether a request to a loopback host is the toy's.

Built on the kit's vendor-neutral request helpers (:mod:`pytest_densemark.parsing`), as the
kit's own vendors' request modules are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from pytest_densemark.parsing import is_loopback, request_body
from toyvendor import facts

__all__ = ["ToyParams", "claims_request", "parse_toy"]


def claims_request(request: httpx.Request) -> bool:
    """Whether a request to a host the toy does not own is the toy's: on a loopback host (the
    kit's server), one posted to the toy's path."""
    return is_loopback(request.url.host) and request.url.path == facts.PATH


@dataclass(frozen=True)
class ToyParams:
    """A toy request as the API reads it: its path, its JSON fields (``{}`` when the body is
    not a JSON object, ``error`` then saying why) and the body's size in bytes."""

    path: str
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    body_size: int = 0


def parse_toy(request: httpx.Request) -> ToyParams:
    """The parameters of ``request`` (never raises: a broken body is reported in ``error``)."""
    body = request_body(request)
    try:
        fields = json.loads(body) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ToyParams(request.url.path, error=f"body is not JSON: {exc}", body_size=len(body))
    if not isinstance(fields, dict):
        return ToyParams(request.url.path, error="body is not a JSON object", body_size=len(body))
    return ToyParams(request.url.path, fields, body_size=len(body))
