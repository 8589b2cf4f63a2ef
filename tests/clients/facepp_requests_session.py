"""A batch tool's Face++ client: one ``requests.Session`` with a mounted retrying adapter."""

from __future__ import annotations

import base64
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

URL = "https://api-us.faceplusplus.com/facepp/v1/face/thousandlandmark"

session = requests.Session()
session.mount(
    "https://",
    HTTPAdapter(
        max_retries=Retry(
            total=3, status_forcelist=(500, 502, 503), allowed_methods=None, backoff_factor=0
        )
    ),
)


def landmarks(image: bytes, key: str, secret: str) -> Any:
    response = session.post(
        URL,
        data={
            "api_key": key,
            "api_secret": secret,
            "image_base64": base64.b64encode(image).decode(),
            "return_landmark": "all",
        },
        timeout=(3, 10),
    )
    return response.json()
