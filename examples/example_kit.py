"""What the example tests share: the ``Kit`` the ``kit`` fixture (``conftest.py``) returns.

A plain module beside ``conftest.py`` rather than inside it, so the tests can import the type
wherever the project is copied (pytest puts this folder on ``sys.path``, as it does for the
``conftest.py`` here); conftest modules themselves are not meant to be imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from landmark_client import FaceppClient, TencentClient

__all__ = ["API_KEY", "API_SECRET", "SECRET_ID", "SECRET_KEY", "Kit"]

#: Synthetic credentials: the kit accepts any until a test sets its own.
API_KEY, API_SECRET = "example-api-key", "example-api-secret"
SECRET_ID, SECRET_KEY = "AKIDexampleSecretId0001", "example-secret-key"


@dataclass
class Kit:
    """The controller (``densemark`` or ``densemark_server``) and two clients wired to it."""

    controller: Any
    facepp: FaceppClient
    tencent: TencentClient
    delivery: str
    #: Back-off pauses the clients asked for (they never really sleep in tests).
    pauses: list[float]
