"""``render`` draws the image's border when a face runs outside the image."""

from __future__ import annotations

import io
from typing import Any

import pytest

from pytest_densemark import payloads
from pytest_densemark.cassettes import load_cassette
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image
from pytest_densemark.render import _BORDER, landmark_polylines, render

pytest.importorskip("PIL")

MARGIN = 20


def _extent(payload: dict[str, Any]) -> tuple[int, int, int, int]:
    lines, circles, _ = landmark_polylines(payload)
    points = [p for pts, _ in lines for p in pts] + [(x, y) for x, y, _ in circles]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_facepp_face_off_the_top_left_shows_the_image_edges() -> None:
    cassette = load_cassette("facepp/face-partly-outside")
    body = cassette.interactions[0].response.body
    left, top, _, _ = _extent(body)
    # The scenario: the face runs off the top-left corner.
    assert left < 0
    assert top < 0
    picture = render(body, dots=False)
    x0, y0 = MARGIN - left, MARGIN - top  # where the image's origin lands on the canvas
    width, height = picture.size
    assert picture.getpixel((x0, height - 1)) == _BORDER  # the image's left edge
    assert picture.getpixel((width - 1, y0)) == _BORDER  # and its top edge
    assert picture.getpixel((x0 - 1, height - 1)) == (255, 255, 255)


def test_facepp_face_inside_draws_no_edge() -> None:
    face = Face(left=200, top=150, width=200, height=220)
    body = payloads.facepp_success(face, request_id="synthetic", time_used=1)
    picture = render(body, dots=False)
    assert _BORDER not in {picture.getpixel((x, 0)) for x in range(picture.size[0])}


def test_background_image_grows_to_show_points_outside_it() -> None:
    from PIL import Image

    face = Face(left=500, top=300, width=260, height=260)  # runs off the right and bottom
    body = payloads.tencent_success([face], image_width=640, image_height=480, request_id="s")
    background = make_image("PNG", 640, 480)
    picture = render(body, image=background, dots=False)
    _, _, right, bottom = _extent(body)
    assert picture.size == (right + MARGIN, bottom + MARGIN)
    assert picture.getpixel((5, 479)) == _BORDER  # the image's bottom edge
    assert picture.getpixel((639, 5)) == _BORDER  # its right edge
    inside = Image.open(io.BytesIO(background)).convert("RGB").getpixel((5, 5))
    assert picture.getpixel((5, 5)) == inside  # the image itself is still there


def test_background_image_is_kept_as_it_is_when_every_point_is_inside() -> None:
    face = Face(left=200, top=150, width=200, height=220)
    body = payloads.tencent_success([face], image_width=640, image_height=480, request_id="s")
    assert render(body, image=make_image("PNG", 640, 480)).size == (640, 480)
