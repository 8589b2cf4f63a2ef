"""Face++ with an ``httpx.Client`` (the kit's first-supported library, for comparison)."""

from __future__ import annotations

from typing import Any

import httpx

URL = "https://api-us.faceplusplus.com/facepp/v1/face/thousandlandmark"


def landmarks(image: bytes, key: str, secret: str) -> Any:
    with httpx.Client(timeout=10) as client:
        response = client.post(
            URL,
            data={"api_key": key, "api_secret": secret, "return_landmark": "all"},
            files={"image_file": ("face.jpg", image, "image/jpeg")},
        )
    return response.json()
