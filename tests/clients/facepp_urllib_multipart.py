"""A Face++ SDK fork on ``urllib.request`` with a hand-built multipart body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

URL = "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark"


def _multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for name, content in files.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{name}.jpg"'.encode(),
            b"Content-Type: application/octet-stream",
            b"",
            content,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def landmarks(image: bytes, key: str, secret: str) -> Any:
    body, content_type = _multipart(
        {"api_key": key, "api_secret": secret, "return_landmark": "all"}, {"image_file": image}
    )
    request = urllib.request.Request(URL, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # Face++ errors are 4xx/5xx with a JSON body
        return json.loads(error.read())
