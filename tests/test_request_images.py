"""Each image in a request is decoded and hashed once, for the call log and the answer alike
(and a big base64 image the process has seen before is not decoded again)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_densemark import facepp, images, tc3, tencent
from pytest_densemark import request_images as images_module
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face, tencent_face
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 640, 480, seed=21)
IMAGE_B64 = base64.b64encode(IMAGE).decode()
DIGEST = hashlib.sha256(IMAGE).hexdigest()
KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the emulator decodes base64, sniffs an image and hashes a JPEG."""
    counted: Counter[str] = Counter()
    decode, sha256 = images_module._decode_base64, hashlib.sha256

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return real(*args, **kwargs)

        return wrapper

    def counting_sha256(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], bytes) and args[0].startswith(b"\xff\xd8\xff"):
            counted["hash"] += 1
        return sha256(*args, **kwargs)

    monkeypatch.setattr(images_module, "_decode_base64", counting("decode", decode))
    monkeypatch.setattr(images_module, "sniff", counting("sniff", images.sniff))
    monkeypatch.setattr(hashlib, "sha256", counting_sha256)
    return counted


def tencent_request(params: dict[str, Any]) -> httpx.Request:
    """An AnalyzeDenseLandmarks request with a well-formed (unchecked) signature."""
    body = json.dumps(params).encode()
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[1],
        "X-TC-Timestamp": "1700000000",
        "Authorization": tc3.authorization_header(
            "AKIDsynthetic", "synthetic-key", host=tencent.HOST, body=body, timestamp=1700000000
        ),
    }
    return httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=body)


def facepp_request(fields: dict[str, str], image: bytes | None = None) -> httpx.Request:
    """A multipart thousandlandmark request."""
    data = {**KEYS, "return_landmark": "all", **fields}
    files = {"image_file": ("face.jpg", image, "image/jpeg")} if image is not None else None
    return httpx.Request("POST", facepp.URL, data=data, files=files)


def test_a_tencent_image_is_decoded_and_hashed_once_per_request(counts: Counter[str]) -> None:
    emulator = Emulator()
    for _ in range(3):
        response = emulator.handle(tencent_request({"Image": IMAGE_B64}))
        assert "DenseFaceShapeSet" in response.json()["Response"]
    assert counts == {"decode": 3, "sniff": 3, "hash": 3}
    assert [call.params["Image"]["digest"] for call in emulator.calls] == [DIGEST] * 3


def test_a_facepp_base64_image_is_decoded_and_hashed_once_per_request(
    counts: Counter[str],
) -> None:
    emulator = Emulator()
    for _ in range(2):
        response = emulator.handle(facepp_request({"image_base64": IMAGE_B64}))
        assert "face" in response.json()
    assert counts == {"decode": 2, "sniff": 2, "hash": 2}
    assert emulator.calls[0].params["image_base64"]["width"] == 640


def test_a_facepp_image_file_is_hashed_once_per_request(counts: Counter[str]) -> None:
    emulator = Emulator()
    for _ in range(2):
        assert "face" in emulator.handle(facepp_request({}, IMAGE)).json()
    assert counts == {"sniff": 2, "hash": 2}


@pytest.mark.parametrize("vendor", ["facepp", "tencent"])
def test_undecodable_base64_is_tried_once_per_request(counts: Counter[str], vendor: str) -> None:
    emulator = Emulator()
    if vendor == "tencent":
        response = emulator.handle(tencent_request({"Image": "not base64!"}))
        assert response.json()["Response"]["Error"]["Code"] == "FailedOperation.ImageDecodeFailed"
        logged = emulator.calls[0].params["Image"]
    else:
        response = emulator.handle(facepp_request({"image_base64": "not base64!"}))
        assert "IMAGE_ERROR_UNSUPPORTED_FORMAT" in response.json()["error_message"]
        logged = emulator.calls[0].params["image_base64"]
    assert logged == {"format": None, "size": 11, "base64": "undecodable"}
    assert counts == {"decode": 1}


def test_an_image_seen_for_the_first_time_is_hashed_once(counts: Counter[str]) -> None:
    """Reading a new image's marker reuses the request's sniff (and its sha256)."""
    face = Face(100, 100, 200, 200, seed=22)
    marked = make_image("JPEG", 646, 486, faces=[face])  # a size no other test uses
    counts.clear()
    response = Emulator().handle(tencent_request({"Image": base64.b64encode(marked).decode()}))
    assert response.json()["Response"]["DenseFaceShapeSet"] == [tencent_face(face)]
    assert counts == {"decode": 1, "sniff": 1, "hash": 1}


def big_jpeg(seed: int) -> bytes:
    """A synthetic 400 KiB JPEG: a real header padded with bytes that differ by ``seed``."""
    header = make_image("JPEG", 800, 600, seed=40)
    return header + bytes([seed]) * (400 * 1024 - len(header))


def test_a_big_image_sent_again_is_not_decoded_again(counts: Counter[str]) -> None:
    """Big base64 texts already decoded in the process are not decoded again."""
    first, second = big_jpeg(1), big_jpeg(2)
    texts = [base64.b64encode(image).decode() for image in (first, second)]
    emulator = Emulator()
    for text in (texts[0], texts[0], texts[1], texts[0], texts[1]):
        response = emulator.handle(tencent_request({"Image": text}))
        assert "DenseFaceShapeSet" in response.json()["Response"]
    assert counts == {"decode": 2, "sniff": 2, "hash": 2}
    digests = [call.params["Image"]["digest"] for call in emulator.calls]
    expected = [hashlib.sha256(image).hexdigest() for image in (first, second)]
    assert digests == [expected[0], expected[0], expected[1], expected[0], expected[1]]
    assert all(call.params["Image"]["size"] == 400 * 1024 for call in emulator.calls)


def test_big_texts_differing_between_the_samples_are_told_apart(counts: Counter[str]) -> None:
    """The sampled lookup key is confirmed by comparing whole texts: no wrong image, ever."""
    text = base64.b64encode(big_jpeg(3)).decode()
    step = (len(text) - images_module._SAMPLE) // (images_module._SAMPLES - 1)
    place = step // 2 + images_module._SAMPLE  # between the first two samples
    other = text[:place] + ("A" if text[place] != "A" else "B") + text[place + 1 :]
    assert images_module._sampled_key(text) == images_module._sampled_key(other)
    emulator = Emulator()
    for sent in (text, other, text, other):
        assert "DenseFaceShapeSet" in emulator.handle(tencent_request({"Image": sent})).text
    digests = [call.params["Image"]["digest"] for call in emulator.calls]
    expected = [hashlib.sha256(base64.b64decode(t)).hexdigest() for t in (text, other)]
    assert expected[0] != expected[1]
    assert digests == expected * 2
    assert counts["decode"] == 4  # one entry per key: the two texts take turns


def test_the_decoded_image_cache_is_bounded_by_bytes() -> None:
    texts = {name: name * 1024 for name in "ABCD"}
    cache = images_module._DecodedImages(max_bytes=2 * (1024 + 100) + 50)
    cache.put(texts["A"], b"a" * 100, None)
    cache.put(texts["B"], b"b" * 100, None)
    assert cache.get(texts["A"]) == (b"a" * 100, None)  # now the most recently used
    cache.put(texts["C"], b"c" * 100, None)  # over the bound: "B" goes
    assert cache.get(texts["B"]) is None
    assert cache.get(texts["A"]) is not None
    assert cache.get(texts["C"]) is not None
    cache.put(texts["D"], b"d" * 2000, None)  # bigger than the whole cache: not kept
    assert cache.get(texts["D"]) is None
    assert cache.get(texts["C"]) is not None
