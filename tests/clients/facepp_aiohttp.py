"""Face++ from an asyncio app: ``aiohttp.ClientSession`` with ``FormData``."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

URL = "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark"


async def alandmarks(image: bytes, key: str, secret: str) -> Any:
    form = aiohttp.FormData()
    form.add_field("api_key", key)
    form.add_field("api_secret", secret)
    form.add_field("return_landmark", "all")
    form.add_field("image_file", image, filename="face.jpg", content_type="image/jpeg")
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(URL, data=form) as response,
    ):
        return await response.json(content_type=None)


def landmarks(image: bytes, key: str, secret: str) -> Any:
    return asyncio.run(alandmarks(image, key, secret))
