"""An app script on the official Tencent Cloud Python SDK, at its default endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any

from tencentcloud.common import credential
from tencentcloud.iai.v20200303 import iai_client, models


def landmarks(image: bytes, key: str, secret: str) -> Any:
    client = iai_client.IaiClient(credential.Credential(key, secret), "ap-guangzhou")
    request = models.AnalyzeDenseLandmarksRequest()
    request.Image = base64.b64encode(image).decode()
    return json.loads(client.AnalyzeDenseLandmarks(request).to_json_string())
