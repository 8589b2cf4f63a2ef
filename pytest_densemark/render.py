"""Draw a payload's landmarks so a person can look at them.

Needs Pillow, the optional ``render`` extra (``pip install 'pytest-densemark[render]'``);
without it :func:`render` raises :class:`RenderError` saying so. Accepts a Face++ success body
(or its ``face`` object) and a Tencent success envelope (or one ``DenseFaceShape``). Contours
are drawn as polylines in the order the vendor numbers them, so a wrongly ordered contour shows
up as a zigzag.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_densemark import facepp, tencent
from pytest_densemark.errors import DensemarkError

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["MAX_COORDINATE", "RenderError", "landmark_polylines", "render"]

Polyline = tuple[list[tuple[int, int]], bool]  # points, closed

#: Coordinates, radii and image sizes beyond this many pixels (either sign) are refused: no
#: vendor image comes near it, and the drawing library works in 32-bit integers.
MAX_COORDINATE = 1_000_000

# A contour point's key: the contour's name, then its index (ASCII digits, a sane length).
_RUN_INDEX = re.compile(r"(.*?)([0-9]{1,9})")
# Runs drawn as closed loops (the rest are open curves).
_CLOSED_SUFFIXES = ("eye_", "eyelid_", "eyebrow_", "lip_")
_TENCENT_OPEN = ("Nose", "CentralAxis", "Chin", "LeftEyeBags", "RightEyeBags", "Forehead")
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


def _pixels(value: int | float, where: str) -> int:
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


def _point(value: Any, x: str, y: str, where: str) -> tuple[int, int] | None:
    if isinstance(value, Mapping):
        px, py = value.get(x), value.get(y)
        if isinstance(px, (int, float)) and isinstance(py, (int, float)):
            return (_pixels(px, f"{where}.{x}"), _pixels(py, f"{where}.{y}"))
    return None


def _facepp_polylines(face: Mapping[str, Any]) -> tuple[list[Polyline], list[tuple[int, int, int]]]:
    landmark = face.get("landmark")
    if not isinstance(landmark, Mapping):
        raise RenderError("Face++ face has no 'landmark' object")
    lines: list[Polyline] = []
    circles: list[tuple[int, int, int]] = []
    for part_name, part in landmark.items():
        if not isinstance(part, Mapping):
            continue
        runs: dict[str, dict[int, tuple[int, int]]] = {}
        for key, value in part.items():
            p = _point(value, "x", "y", f"face.landmark.{part_name}.{key}")
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
            centre = _point(part.get(centre_key), "x", "y", f"{where}.{centre_key}")
            radius = part.get(radius_key)
            if centre is not None and isinstance(radius, int):
                pixels = _pixels(radius, f"{where}.{radius_key}")
                if pixels < 0:
                    raise RenderError(f"{where}.{radius_key} is {pixels}, a radius cannot be < 0")
                circles.append((centre[0], centre[1], pixels))
    return lines, circles


def _tencent_polylines(shape: Mapping[str, Any], where: str) -> list[Polyline]:
    lines: list[Polyline] = []
    for name in tencent.POINT_LISTS:
        points = shape.get(name)
        if not isinstance(points, list):
            continue
        found = (_point(v, "X", "Y", f"{where}.{name}[{i}]") for i, v in enumerate(points))
        pts = [p for p in found if p is not None]
        lines.append((pts, name not in _TENCENT_OPEN))
    return lines


def landmark_polylines(
    payload: Mapping[str, Any],
) -> tuple[list[Polyline], list[tuple[int, int, int]], tuple[int, int] | None]:
    """The polylines ``(points, closed)``, circles ``(x, y, r)`` and image size (if the payload
    states one) to draw for a Face++ or Tencent payload. Raises :class:`RenderError` when the
    payload is neither."""
    if "Response" in payload and isinstance(payload["Response"], Mapping):
        response = payload["Response"]
        shapes = response.get("DenseFaceShapeSet")
        if not isinstance(shapes, list):
            raise RenderError("Tencent payload has no 'Response.DenseFaceShapeSet' list")
        lines = [
            line
            for index, shape in enumerate(shapes)
            if isinstance(shape, Mapping)
            for line in _tencent_polylines(shape, f"Response.DenseFaceShapeSet[{index}]")
        ]
        size = None
        w, h = response.get("ImageWidth"), response.get("ImageHeight")
        if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
            size = (_pixels(w, "Response.ImageWidth"), _pixels(h, "Response.ImageHeight"))
        return lines, [], size
    if tencent.POINT_LISTS[0] in payload:
        return _tencent_polylines(payload, "(shape)"), [], None
    face = payload.get("face", payload)
    if not isinstance(face, Mapping) or "landmark" not in face:
        raise RenderError(
            "not a landmark payload: expected a Face++ body with 'face.landmark' or a Tencent"
            " body with 'Response.DenseFaceShapeSet'"
        )
    lines, circles = _facepp_polylines(face)
    return lines, circles, None


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
    left edges (a Face++ answer does not state the image's size). The canvas is at most 8192
    pixels a side. Each contour is a polyline in its own colour with a dot on every point
    (``dots=False``: lines only); pupil radii are circles.

    Raises :class:`RenderError` when Pillow is missing, the payload is not a landmark payload
    or holds no point, a coordinate, radius or image size is NaN, infinite or beyond
    :data:`MAX_COORDINATE` pixels (the message names it), or ``image`` cannot be read.
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
        try:
            background = pil_image.open(io.BytesIO(data)).convert("RGB")
        except Exception as exc:
            raise RenderError(f"cannot read the background image: {exc}") from None
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
        canvas = pil_image.new("RGB", (min(width, 8192), min(height, 8192)), "white")
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
