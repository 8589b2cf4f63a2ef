"""How a Tencent envelope is drawn: each of a face's point lists as one polyline.

:data:`DRAWING` is the :class:`~pytest_densemark.render.PayloadDrawing` of the vendor's payload
rules; it accepts a success envelope (every face, and the image size it states) or one
``DenseFaceShape``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_densemark import tencent
from pytest_densemark.render import Landmarks, Polyline, RenderError, pixels, point_at

__all__ = ["DRAWING", "TencentDrawing"]

# Lists drawn as open curves (the rest are closed loops).
_OPEN = ("Nose", "CentralAxis", "Chin", "LeftEyeBags", "RightEyeBags", "Forehead")


def _polylines(shape: Mapping[str, Any], where: str) -> list[Polyline]:
    lines: list[Polyline] = []
    for name in tencent.POINT_LISTS:
        points = shape.get(name)
        if not isinstance(points, list):
            continue
        found = (point_at(v, "X", "Y", f"{where}.{name}[{i}]") for i, v in enumerate(points))
        pts = [p for p in found if p is not None]
        lines.append((pts, name not in _OPEN))
    return lines


class TencentDrawing:
    """Tencent's :class:`~pytest_densemark.render.PayloadDrawing`."""

    shape_hint = "a Tencent body with 'Response.DenseFaceShapeSet'"

    def landmarks(self, payload: Mapping[str, Any]) -> Landmarks | None:
        """Every face's point lists and the stated image size, for an envelope; one face's
        lists for a ``DenseFaceShape``; ``None`` for anything else."""
        if "Response" in payload and isinstance(payload["Response"], Mapping):
            response = payload["Response"]
            shapes = response.get("DenseFaceShapeSet")
            if not isinstance(shapes, list):
                raise RenderError("Tencent payload has no 'Response.DenseFaceShapeSet' list")
            lines = [
                line
                for index, shape in enumerate(shapes)
                if isinstance(shape, Mapping)
                for line in _polylines(shape, f"Response.DenseFaceShapeSet[{index}]")
            ]
            size = None
            w, h = response.get("ImageWidth"), response.get("ImageHeight")
            if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                size = (pixels(w, "Response.ImageWidth"), pixels(h, "Response.ImageHeight"))
            return lines, [], size
        if tencent.POINT_LISTS[0] in payload:
            return _polylines(payload, "(shape)"), [], None
        return None


#: How the core draws Tencent payloads.
DRAWING = TencentDrawing()
