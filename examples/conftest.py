"""Fixtures for the example suite: one client pair per delivery, same tests for both.

``kit`` runs each test twice: once with the ``densemark`` fixture (httpx patched in-process,
the clients call the real vendor hosts) and once with ``densemark_server`` (the clients are
pointed at the loopback server). The controller methods have the same names on both, so the
test body does not change.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from example_kit import API_KEY, API_SECRET, SECRET_ID, SECRET_KEY, Kit
from landmark_client import FaceppClient, TencentClient


@pytest.fixture(params=["in-process", "loopback"])
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    """Clients for both vendors, answered in-process (httpx patch) or by the loopback server."""
    pauses: list[float] = []
    if request.param == "in-process":
        controller = request.getfixturevalue("densemark")
        facepp = FaceppClient(API_KEY, API_SECRET, sleep=pauses.append)
        tencent = TencentClient(SECRET_ID, SECRET_KEY, sleep=pauses.append)
    else:
        controller = request.getfixturevalue("densemark_server")
        facepp = FaceppClient(API_KEY, API_SECRET, url=controller.facepp_url, sleep=pauses.append)
        tencent = TencentClient(
            SECRET_ID,
            SECRET_KEY,
            endpoint=controller.tencent_endpoint,
            scheme="http",
            sleep=pauses.append,
        )
    with facepp, tencent:
        yield Kit(controller, facepp, tencent, request.param, pauses)
