"""Face++ thousandlandmark the way the vendor's Python demo calls it: ``requests.post``."""

from __future__ import annotations

from typing import Any

import requests

URL = "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark"


def landmarks(image: bytes, key: str, secret: str) -> Any:
    data = {"api_key": key, "api_secret": secret, "return_landmark": "all"}
    files = {"image_file": ("face.jpg", image, "image/jpeg")}
    response = requests.post(URL, data=data, files=files, timeout=10)
    return response.json()
