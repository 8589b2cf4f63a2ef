"""How a Face++ body is drawn: each part's numbered runs as polylines, pupils as circles.

:data:`DRAWING` is the :class:`~pytest_densemark.render.PayloadDrawing` of the vendor's payload
rules; it accepts a success body or its ``face`` object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_densemark import facepp
from pytest_densemark.render import Circle, Landmarks, Polyline, RenderError, pixels, point_at

__all__ = ["DRAWING", "FaceppDrawing"]

# A contour point's key: the contour's name, then its index (ASCII digits, a sane length).
_RUN_INDEX = re.compile(r"(.*?)([0-9]{1,9})")
# Runs drawn as closed loops (the rest are open curves).
_CLOSED_SUFFIXES = ("eye_", "eyelid_", "eyebrow_", "lip_")


def _polylines(face: Mapping[str, Any]) -> tuple[list[Polyline], list[Circle]]:
    landmark = face.get("landmark")
    if not isinstance(landmark, Mapping):
        raise RenderError("Face++ face has no 'landmark' object")
    lines: list[Polyline] = []
    circles: list[Circle] = []
    for part_name, part in landmark.items():
        if not isinstance(part, Mapping):
            continue
        runs: dict[str, dict[int, tuple[int, int]]] = {}
        for key, value in part.items():
            p = point_at(value, "x", "y", f"face.landmark.{part_name}.{key}")
            match = _RUN_INDEX.fullmatch(key)
            if p is None:
                continue
            if match:
                runs.setdefault(match.group(1), {})[int(match.group(2))] = p
            else:
                lines.append(([p], False))
        for prefix, points in runs.items():
            ordered = [points[i] for i in sorted(points)]
            lines.append((ordered, prefix.endswith(_CLOSED_SUFFIXES)))
        known = facepp.PARTS.get(str(part_name))
        for radius_key in known.radii if known else ():
            centre_key = radius_key.replace("radius", "center")
            where = f"face.landmark.{part_name}"
            centre = point_at(part.get(centre_key), "x", "y", f"{where}.{centre_key}")
            radius = part.get(radius_key)
            if centre is not None and isinstance(radius, int):
                size = pixels(radius, f"{where}.{radius_key}")
                if size < 0:
                    raise RenderError(f"{where}.{radius_key} is {size}, a radius cannot be < 0")
                circles.append((centre[0], centre[1], size))
    return lines, circles


class FaceppDrawing:
    """Face++'s :class:`~pytest_densemark.render.PayloadDrawing`."""

    shape_hint = "a Face++ body with 'face.landmark'"

    def landmarks(self, payload: Mapping[str, Any]) -> Landmarks | None:
        """The body's (or face object's) polylines and pupils; ``None`` without a
        ``landmark``. The body does not state the image's size."""
        face = payload.get("face", payload)
        if not isinstance(face, Mapping) or "landmark" not in face:
            return None
        lines, circles = _polylines(face)
        return lines, circles, None


#: How the core draws Face++ payloads.
DRAWING = FaceppDrawing()
