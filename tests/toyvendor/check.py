"""The toy's payload rules: its two kinds, how to tell them, and where their schemas are.

:data:`RULES` is the vendor's ``payloads`` concern, a
:class:`~pytest_densemark.validation.PackagedPayloads`. The toy has no fast check (every payload
takes the validator's schema walk) and one check beyond its schema: points inside the image,
when its size is given. The schema builders, strategies and drawing are imported only when
first asked for, as the kit's own vendors do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_densemark.validation import (
    PackagedPayloads,
    PayloadRules,
    PointCounts,
    Violation,
    point_outside,
    violation_at,
)
from toyvendor import facts

if TYPE_CHECKING:
    pass

__all__ = ["RULES", "ToyPayloads"]


def _inside(
    payload: object,
    fast_ok: bool,
    image_size: tuple[int, int] | None,
    profile: PointCounts | None,
    check_bounds: bool,
) -> Iterable[Violation]:
    """Every point inside the image, when its size is given (a toy body does not state it)."""
    points = payload.get("points") if isinstance(payload, dict) else None
    if image_size is None or not isinstance(points, list):
        return
    for index, point in enumerate(points):
        problem = point_outside(point, "x", "y", *image_size)
        if problem:
            yield violation_at(["points", index], problem)


def _detect(payload: dict[Any, Any]) -> str | None:
    """``toy-error`` with ``error`` and ``message``; ``toy`` with ``points``."""
    if "error" in payload and "message" in payload:
        return facts.ERROR_KIND
    if "points" in payload:
        return facts.SUCCESS_KIND
    return None


class ToyPayloads(PackagedPayloads):
    """The toy's payload rules: no fast check (the schema walk decides), the image-bounds
    check for success bodies, and its schemas beside this module."""

    def __init__(self) -> None:
        super().__init__(
            package=__package__ or "toyvendor",
            success=facts.SUCCESS_KIND,
            error=facts.ERROR_KIND,
            detect=_detect,
            # Asked before Face++, which claims any body with a ``request_id``.
            detect_rank=5,
            shape_hint='a toy body ({"points": ...} or {"error": ..., "message": ...})',
            success_extras=_inside,
            schema_dir=Path(__file__).resolve().parent / "schemas",
        )


#: The toy's payload rules, the ``payloads`` concern of its vendor.
RULES: PayloadRules = ToyPayloads()
