"""Synthetic payloads for the validator's tests, built from the vendor facts.

The coordinates are arbitrary (a deterministic scatter inside the image), not a face: these
payloads exercise structure only. Realistic faces come from ``pytest_densemark.faces``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_densemark import facepp, tencent

REQUEST_ID = "1575000000,00000000-0000-4000-8000-000000000000"
WIDTH, HEIGHT = 640, 480


def _scatter(index: int, seed: int) -> tuple[int, int]:
    return (index * 37 + seed * 11) % WIDTH, (index * 53 + seed * 7) % HEIGHT


def facepp_landmark(parts: Iterable[str] = facepp.ALL_PARTS, *, seed: int = 0) -> dict[str, Any]:
    """A synthetic ``landmark`` object holding exactly the keys of ``parts``."""
    landmark: dict[str, Any] = {}
    index = 0
    for name in parts:
        part = facepp.PARTS[name]
        values: dict[str, Any] = {}
        for key in part.point_keys:
            x, y = _scatter(index, seed)
            values[key] = {"y": y, "x": x}  # the vendor serialises y first
            index += 1
        for key in part.radii:
            values[key] = 9
        landmark[name] = values
    return landmark


def facepp_body(parts: Iterable[str] = facepp.ALL_PARTS, *, seed: int = 0) -> dict[str, Any]:
    """A synthetic Face++ success body with the given parts."""
    return {
        "time_used": 120,
        "request_id": REQUEST_ID,
        "face": {
            "face_rectangle": {"top": 100, "left": 120, "width": 300, "height": 300},
            "landmark": facepp_landmark(parts, seed=seed),
        },
    }


def facepp_error_body(name: str = "AUTHENTICATION_ERROR", arg: str | None = None) -> dict[str, Any]:
    """A Face++ JSON error body for a catalogued error."""
    return {
        "time_used": 3,
        "error_message": facepp.error_body_message(name, arg),
        "request_id": REQUEST_ID,
    }


def tencent_shape(counts: dict[str, int] | None = None, *, seed: int = 0) -> dict[str, Any]:
    """A synthetic DenseFaceShape; ``counts`` defaults to the kit's 888-point profile."""
    counts = dict(tencent.KIT_PROFILE.counts if counts is None else counts)
    shape: dict[str, Any] = {"X": 120, "Y": 80, "Width": 300, "Height": 320}
    index = 0
    for name in tencent.POINT_LISTS:
        points = []
        for _ in range(counts[name]):
            x, y = _scatter(index, seed)
            points.append({"X": x, "Y": y})
            index += 1
        shape[name] = points
    return shape


def tencent_body(faces: int = 1, *, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """A synthetic Tencent success envelope with ``faces`` faces."""
    return {
        "Response": {
            "ImageWidth": WIDTH,
            "ImageHeight": HEIGHT,
            "DenseFaceShapeSet": [tencent_shape(counts, seed=i) for i in range(faces)],
            "FaceModelVersion": tencent.FACE_MODEL_VERSIONS[0],
            "RequestId": "6c2a8d5e-3f1b-4c7a-9e0d-1a2b3c4d5e6f",
        }
    }


def tencent_error_body(code: str = "InternalError") -> dict[str, Any]:
    """A Tencent error envelope for a catalogued code."""
    return {
        "Response": {
            "Error": {"Code": code, "Message": tencent.ERRORS[code].message},
            "RequestId": "6c2a8d5e-3f1b-4c7a-9e0d-1a2b3c4d5e6f",
        }
    }
