"""Face++ through a urllib3 ``PoolManager`` (multipart fields)."""

from __future__ import annotations

import json
from typing import Any

import urllib3

URL = "https://api-us.faceplusplus.com/facepp/v1/face/thousandlandmark"
pool = urllib3.PoolManager(retries=False)


def landmarks(image: bytes, key: str, secret: str) -> Any:
    response = pool.request(
        "POST",
        URL,
        fields={
            "api_key": key,
            "api_secret": secret,
            "return_landmark": "all",
            "image_file": ("face.jpg", image, "image/jpeg"),
        },
        timeout=urllib3.Timeout(connect=3, read=10),
    )
    return json.loads(response.data)
