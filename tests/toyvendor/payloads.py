"""Toy response bodies: the five points of a face, a success body and the error bodies.

Built from a :class:`~pytest_densemark.faces.Face` (its box and roll) and the facts; used by
the engine, the strategies and the tests alike, so an answer the emulator sends and one a
strategy draws are made by the same code.
"""

from __future__ import annotations

import math
import random
from typing import Any

from pytest_densemark.answers import VendorResponse, uuid4_from
from pytest_densemark.faces import Face
from toyvendor import facts

__all__ = [
    "face_extent",
    "toy_error",
    "toy_error_response",
    "toy_points",
    "toy_request_id",
    "toy_success",
    "toy_success_response",
]


def toy_points(face: Face) -> list[dict[str, int]]:
    """The face's landmarks (:data:`~toyvendor.facts.POINTS`), turned by its roll about the
    box centre and rounded to whole pixels."""
    cx, cy = face.left + face.width / 2, face.top + face.height / 2
    turn = math.radians(face.roll)
    cos, sin = math.cos(turn), math.sin(turn)
    points = []
    for _, fx, fy in facts.POINTS:
        dx, dy = (fx - 0.5) * face.width, (fy - 0.5) * face.height
        points.append({"x": round(cx + dx * cos - dy * sin), "y": round(cy + dx * sin + dy * cos)})
    return points


def face_extent(face: Face) -> list[tuple[int, int]]:
    """The corners of the box around the face's points."""
    points = toy_points(face)
    xs, ys = [p["x"] for p in points], [p["y"] for p in points]
    return [(min(xs), min(ys)), (max(xs), max(ys))]


def toy_request_id(rng: random.Random) -> str:
    """A request id drawn from ``rng`` (reproducible from an emulator's seed)."""
    return uuid4_from(rng)


def toy_success(face: Face | None, *, request_id: str) -> dict[str, Any]:
    """A success body: the face's points, or none when no face was found."""
    return {"request_id": request_id, "points": [] if face is None else toy_points(face)}


def toy_success_response(face: Face | None, *, request_id: str) -> VendorResponse:
    """The whole success answer: 200, the vendor's content type and :func:`toy_success`."""
    body = toy_success(face, request_id=request_id)
    return VendorResponse(200, body, {"Content-Type": facts.CONTENT_TYPE})


def toy_error(name: str, *, request_id: str) -> dict[str, Any]:
    """The error body of the documented error ``name`` (``KeyError`` for any other)."""
    error = facts.ERRORS[name]
    return {"request_id": request_id, "error": error.name, "message": error.message}


def toy_error_response(name: str, *, request_id: str) -> VendorResponse:
    """The whole error answer: the error's status, the content type and :func:`toy_error`."""
    body = toy_error(name, request_id=request_id)
    return VendorResponse(facts.ERRORS[name].status, body, {"Content-Type": facts.CONTENT_TYPE})
