"""Draw a payload's landmarks so a person can look at them.

Needs Pillow, the optional ``render`` extra (``pip install 'pytest-densemark[render]'``);
without it :func:`render` raises :class:`RenderError` saying so. Accepts a Face++ success body
(or its ``face`` object) and a Tencent success envelope (or one ``DenseFaceShape``). Contours
are drawn as polylines in the order the vendor numbers them, so a wrongly ordered contour shows
up as a zigzag.

Which points form which contour is the vendor's business: each vendor's payload rules carry a
:class:`PayloadDrawing` (``vendors/<name>/drawing.py`` for the kit's own) that turns its
payloads into :data:`Landmarks`; this module asks them in turn and draws the result.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pytest_densemark.errors import DensemarkError
from pytest_densemark.validation import or_list, payload_rules

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "MAX_COORDINATE",
    "Circle",
    "Landmarks",
    "PayloadDrawing",
    "Polyline",
    "RenderError",
    "landmark_polylines",
    "render",
]

#: A contour: its points and whether it is a closed loop.
Polyline = tuple[list[tuple[int, int]], bool]
#: A circle ``(x, y, r)`` (a pupil).
Circle = tuple[int, int, int]
#: What to draw for a payload: polylines, circles and the image size when the payload
#: states it.
Landmarks = tuple[list[Polyline], list[Circle], tuple[int, int] | None]

#: Coordinates, radii and image sizes beyond this many pixels (either sign) are refused: no
#: vendor image comes near it, and the drawing library works in 32-bit integers.
MAX_COORDINATE = 1_000_000

_COLOURS = (
    (230, 57, 70),
    (42, 157, 143),
    (69, 123, 157),
    (244, 162, 97),
    (131, 56, 236),
    (38, 70, 83),
    (233, 196, 106),
    (255, 0, 110),
    (58, 134, 255),
)


class RenderError(DensemarkError):
    """The payload cannot be drawn, or Pillow is missing; the message says which and why."""


class _BackgroundImageError(RenderError):
    """The background image cannot be used (the command line names the image file)."""


#: The longest side of a canvas or a background image, in pixels.
_MAX_SIDE = 8192


def _open_background(pil_image: Any, data: bytes) -> Any:
    """The background image as RGB; :class:`_BackgroundImageError` when it cannot be read or
    is larger than :data:`_MAX_SIDE` a side (checked from its header, before decoding)."""
    try:
        with warnings.catch_warnings():  # a large image is refused below, without a warning
            warnings.simplefilter("ignore", pil_image.DecompressionBombWarning)
            opened = pil_image.open(io.BytesIO(data))
    except pil_image.UnidentifiedImageError:
        raise _BackgroundImageError(
            "cannot read the background image: not an image Pillow can decode (PNG, JPEG, ...)"
        ) from None
    except Exception as exc:
        raise _BackgroundImageError(f"cannot read the background image: {exc}") from None
    width, height = opened.size
    if max(width, height) > _MAX_SIDE:
        raise _BackgroundImageError(
            f"the background image is {width}x{height} pixels; at most {_MAX_SIDE} a side"
            " can be drawn over"
        )
    try:
        return opened.convert("RGB")
    except Exception as exc:  # a truncated or corrupt file is found when decoding
        raise _BackgroundImageError(f"cannot read the background image: {exc}") from None


def pixels(value: int | float, where: str) -> int:
    """``value`` rounded to a pixel; :class:`RenderError` naming ``where`` when it is NaN,
    infinite or beyond :data:`MAX_COORDINATE`."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RenderError(f"{where} is {value}, expected a finite number of pixels")
    if not -MAX_COORDINATE <= value <= MAX_COORDINATE:
        if isinstance(value, float) or value.bit_length() < 1000:
            shown = f"{value:.3g}"
        else:  # too big for a float
            shown = f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
        raise RenderError(
            f"{where} is {shown}, beyond the {MAX_COORDINATE:,}-pixel range this can draw"
        )
    return round(value)


def point_at(value: Any, x: str, y: str, where: str) -> tuple[int, int] | None:
    """The pixel of a point ``{x: ..., y: ...}`` at JSON path ``where``, or ``None`` when
    ``value`` is no point; :class:`RenderError` as for :func:`pixels`."""
    if isinstance(value, Mapping):
        px, py = value.get(x), value.get(y)
        if isinstance(px, (int, float)) and isinstance(py, (int, float)):
            return (pixels(px, f"{where}.{x}"), pixels(py, f"{where}.{y}"))
    return None


class PayloadDrawing(Protocol):
    """How the core draws a vendor's payloads: the ``drawing`` of its payload rules
    (:attr:`pytest_densemark.validation.PayloadRules.drawing`)."""

    @property
    def shape_hint(self) -> str:
        """What a drawable payload of the vendor looks like, for the message when a payload
        is nobody's (``a Face++ body with 'face.landmark'``)."""

    def landmarks(self, payload: Mapping[str, Any]) -> Landmarks | None:
        """What to draw for ``payload``, or ``None`` when it is not this vendor's; raises
        :class:`RenderError` for a payload of the vendor that cannot be drawn."""


def _drawings() -> tuple[list[PayloadDrawing], str]:
    """Every vendor's drawing, in the order vendors recognise payloads, and what they expect."""
    every = payload_rules()
    ranked = sorted(every, key=lambda rules: rules.detect_rank)  # stable: registry order
    expected = or_list([rules.drawing.shape_hint for rules in every])
    return [rules.drawing for rules in ranked], expected


def landmark_polylines(payload: Mapping[str, Any]) -> Landmarks:
    """The polylines ``(points, closed)``, circles ``(x, y, r)`` and image size (if the payload
    states one) to draw for a Face++ or Tencent payload. Raises :class:`RenderError` when the
    payload is neither."""
    drawings, expected = _drawings()
    for drawing in drawings:
        found = drawing.landmarks(payload)
        if found is not None:
            return found
    raise RenderError(f"not a landmark payload: expected {expected}")


def _import_pillow() -> Any:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise RenderError("drawing needs Pillow: pip install 'pytest-densemark[render]'") from None
    return Image, ImageDraw


def render(
    payload: Mapping[str, Any],
    *,
    image: bytes | str | Path | None = None,
    margin: int = 20,
    dots: bool = True,
) -> Image.Image:
    """Draw the payload's landmarks and return a Pillow image.

    Over ``image`` (bytes or a path) when given. Otherwise on a white canvas covering every
    point plus ``margin`` pixels and, when the payload states its image size (Tencent), that
    image too, outlined in grey; points outside the image, at negative coordinates too, stay
    visible. When points fall outside the image, the image's border is drawn in grey so the
    overflow shows: all of it when the size is known (Tencent's ``ImageWidth`` and
    ``ImageHeight``, or ``image``, which is then placed on a larger canvas), else the top and
    left edges (a Face++ answer does not state the image's size). The canvas, and ``image``,
    are at most 8192 pixels a side. Each contour is a polyline in its own colour with a dot on
    every point (``dots=False``: lines only); pupil radii are circles.

    Raises :class:`RenderError` when Pillow is missing, the payload is not a landmark payload
    or holds no point, a coordinate, radius or image size is NaN, infinite or beyond
    :data:`MAX_COORDINATE` pixels (the message names it), or ``image`` cannot be read or is
    larger than 8192 pixels a side.
    """
    pil_image, pil_draw = _import_pillow()
    lines, circles, size = landmark_polylines(payload)
    all_points = [p for pts, _ in lines for p in pts] + [(x, y) for x, y, _ in circles]
    if not all_points:
        raise RenderError("the payload holds no landmark points to draw")
    xs = [p[0] for p in all_points]
    ys = [p[1] for p in all_points]
    background = None
    if image is not None:
        data = image if isinstance(image, bytes) else Path(image).read_bytes()
        background = _open_background(pil_image, data)
        size = background.size
    inside = size is not None and (
        min(xs) >= 0 and min(ys) >= 0 and max(xs) < size[0] and max(ys) < size[1]
    )
    if background is not None and inside:
        canvas, offset = background, (0, 0)
    else:
        # A canvas covering every point and the image, whose border is drawn so that points
        # outside it (a face partly outside the image) show as outside.
        left = min(0, min(xs) - margin)
        top = min(0, min(ys) - margin)
        width = max(size[0] if size else 0, max(xs) + margin) - left
        height = max(size[1] if size else 0, max(ys) + margin) - top
        canvas = pil_image.new("RGB", (min(width, _MAX_SIDE), min(height, _MAX_SIDE)), "white")
        offset = (-left, -top)
        if background is not None:
            canvas.paste(background, offset)
        _draw_border(pil_draw.Draw(canvas), offset, size, canvas.size)
    draw = pil_draw.Draw(canvas)
    scale = max(1, round(max(canvas.size) / 600))
    for index, (points, closed) in enumerate(lines):
        colour = _COLOURS[index % len(_COLOURS)]
        shifted = [(x + offset[0], y + offset[1]) for x, y in points]
        if len(shifted) > 1:
            draw.line(_closed(shifted) if closed else shifted, fill=colour, width=scale)
        if dots or len(shifted) == 1:
            r = scale if len(shifted) > 1 else 2 * scale
            for x, y in shifted:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    for x, y, r in circles:
        cx, cy = x + offset[0], y + offset[1]
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(0, 0, 0), width=scale)
    result: Image.Image = canvas
    return result


_BORDER = (180, 180, 180)


def _draw_border(
    frame: Any, offset: tuple[int, int], size: tuple[int, int] | None, canvas: tuple[int, int]
) -> None:
    """Outline the image: its whole border when its size is known, else (Face++ answers do
    not state it) its top and left edges, where the image's origin is."""
    x0, y0 = offset
    if size is not None:
        frame.rectangle((x0, y0, x0 + size[0] - 1, y0 + size[1] - 1), outline=_BORDER)
        return
    if x0 > 0:
        frame.line((x0, y0, x0, canvas[1]), fill=_BORDER)
    if y0 > 0:
        frame.line((x0, y0, canvas[0], y0), fill=_BORDER)


def _closed(points: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    pts = list(points)
    return [*pts, pts[0]]
