"""Face++ over a bare ``http.client.HTTPSConnection`` with a form-encoded body."""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any
from urllib.parse import urlencode

HOST = "api-cn.faceplusplus.com"
PATH = "/facepp/v1/face/thousandlandmark"


def landmarks(image: bytes, key: str, secret: str) -> Any:
    body = urlencode(
        {
            "api_key": key,
            "api_secret": secret,
            "image_base64": base64.b64encode(image).decode(),
            "return_landmark": "all",
        }
    )
    connection = http.client.HTTPSConnection(HOST, timeout=10)
    try:
        connection.request(
            "POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()
