"""How a toy body is drawn: each point as a dot.

:data:`DRAWING` is the :class:`~pytest_densemark.render.PayloadDrawing` of the toy's payload
rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_densemark.render import Landmarks, PayloadDrawing, Polyline, point_at

__all__ = ["DRAWING", "ToyDrawing"]


class ToyDrawing:
    """The toy's :class:`~pytest_densemark.render.PayloadDrawing`."""

    shape_hint = "a toy body with 'points'"

    def landmarks(self, payload: Mapping[str, Any]) -> Landmarks | None:
        """One single-point polyline per point; ``None`` without ``points``. The body does
        not state the image's size."""
        points = payload.get("points")
        if not isinstance(points, list):
            return None
        found = (point_at(value, "x", "y", f"points[{i}]") for i, value in enumerate(points))
        lines: list[Polyline] = [([point], False) for point in found if point is not None]
        return lines, [], None


#: How the core draws toy payloads.
DRAWING: PayloadDrawing = ToyDrawing()
