"""The toy's payload rules: its two kinds, how to tell them, and where their schemas are.

:data:`RULES` is the vendor's ``payloads`` concern, a
:class:`~pytest_densemark.validation.PayloadRules`. The toy has no fast check (every payload
takes the validator's schema walk) and one check beyond its schema: points inside the image,
when its size is given. The schema builders, strategies and drawing are imported only when
first asked for, as the kit's own vendors do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_densemark.validation import (
    PayloadRules,
    PointCounts,
    SemanticCheck,
    Violation,
    point_outside,
    violation_at,
)
from toyvendor import facts

if TYPE_CHECKING:
    from pytest_densemark.render import PayloadDrawing
    from pytest_densemark.strategies import VendorStrategies

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


class ToyPayloads:
    """The toy's :class:`~pytest_densemark.validation.PayloadRules`."""

    kinds: tuple[str, ...] = (facts.SUCCESS_KIND, facts.ERROR_KIND)
    #: Asked before Face++, which claims any body with a ``request_id``.
    detect_rank = 5
    shape_hint = 'a toy body ({"points": ...} or {"error": ..., "message": ...})'

    @property
    def schema_dir(self) -> Path:
        """``schemas/`` beside this module."""
        return Path(__file__).resolve().parent / "schemas"

    def detect(self, payload: dict[Any, Any]) -> str | None:
        """``toy-error`` with ``error`` and ``message``; ``toy`` with ``points``."""
        if "error" in payload and "message" in payload:
            return facts.ERROR_KIND
        if "points" in payload:
            return facts.SUCCESS_KIND
        return None

    def fast_check(self, kind: str) -> Callable[[object], bool] | None:
        """None: the schema walk decides."""
        return None

    def ref_shortcuts(self, kind: str) -> Mapping[str, Callable[[object], bool]]:
        """None: the schemas have no ``$defs``."""
        return {}

    def semantic_check(self, kind: str) -> SemanticCheck | None:
        """The image-bounds check, for success bodies."""
        return _inside if kind == facts.SUCCESS_KIND else None

    def build_schema(self, kind: str) -> dict[str, Any]:
        """The schema of ``kind``, from :mod:`toyvendor.schema`."""
        from toyvendor import schema

        return schema.build(kind)

    @property
    def strategies(self) -> VendorStrategies:
        """:data:`toyvendor.strategies.STRATEGIES`."""
        found: VendorStrategies = import_module(f"{__package__}.strategies").STRATEGIES
        return found

    @property
    def drawing(self) -> PayloadDrawing:
        """:data:`toyvendor.drawing.DRAWING`."""
        found: PayloadDrawing = import_module(f"{__package__}.drawing").DRAWING
        return found


#: The toy's payload rules, the ``payloads`` concern of its vendor.
RULES: PayloadRules = ToyPayloads()
