"""Tests for pytest_densemark.images: header sniffing, synthetic images, face markers."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_densemark.images import (
    FORMATS,
    embedded_faces,
    make_faceless_image,
    make_image,
    sniff,
)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("width", "height"), [(1, 1), (7, 9), (100, 100), (333, 121), (30, 2100)])
def test_make_image_is_valid_and_sniffed(fmt: str, width: int, height: int) -> None:
    data = make_image(fmt, width, height)
    info = sniff(data)
    assert info is not None
    assert (info.format, info.width, info.height) == (fmt, width, height)
    assert info.size == len(data)
    assert info.digest == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # a full decode: the synthetic image is a real image
        assert image.size == (width, height)
        assert image.format == fmt


@settings(max_examples=25, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    seed=st.integers(0, 1000),
)
def test_sniff_agrees_with_pillow(fmt: str, width: int, height: int, seed: int) -> None:
    data = make_image(fmt, width, height, seed=seed)
    info = sniff(data)
    assert info is not None
    with Image.open(io.BytesIO(data)) as image:
        assert (info.width, info.height) == image.size


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP", "GIF"])
def test_sniff_reads_images_written_by_pillow(fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (123, 45), (10, 200, 30)).save(buffer, format=fmt)
    info = sniff(buffer.getvalue())
    assert info is not None
    assert (info.format, info.width, info.height) == (fmt, 123, 45)
    assert embedded_faces(buffer.getvalue()) is None


def test_sniff_progressive_jpeg_from_pillow() -> None:
    buffer = io.BytesIO()
    Image.new("L", (64, 80)).save(buffer, format="JPEG", progressive=True)
    info = sniff(buffer.getvalue())
    assert info is not None
    assert (info.width, info.height) == (64, 80)


def test_sniff_top_down_and_core_header_bmp() -> None:
    data = bytearray(make_image("BMP", 20, 10))
    struct.pack_into("<i", data, 22, -10)  # top-down rows
    info = sniff(bytes(data))
    assert info is not None
    assert info.height == 10
    core = b"BM" + struct.pack("<IHHI", 26, 0, 0, 26) + struct.pack("<IHHHH", 12, 5, 6, 1, 24)
    info = sniff(core)
    assert info is not None
    assert (info.width, info.height) == (5, 6)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"\xff\xd8\xff",  # JPEG start, nothing else
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # truncated before a frame header
        b"\xff\xd8\xff\xda\x00\x08abcdef",  # scan before frame
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # truncated IHDR
        b"BM" + b"\x00" * 12 + struct.pack("<I", 8) + b"\x00" * 8,  # unknown DIB header
        b"GIF89a\x01",
        make_image("PNG", 4, 4)[:16] + b"\x00" * 8,  # zero width and height
    ],
)
def test_sniff_rejects_non_images(data: bytes) -> None:
    assert sniff(data) is None


def test_info_sides() -> None:
    info = sniff(make_image("PNG", 30, 70))
    assert info is not None
    assert (info.long_side, info.short_side) == (70, 30)


def test_seed_changes_digest_and_same_seed_is_reproducible() -> None:
    for fmt in FORMATS:
        a = make_image(fmt, 40, 40, seed=1)
        assert a == make_image(fmt, 40, 40, seed=1)
        assert a != make_image(fmt, 40, 40, seed=2)


def test_make_image_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="format 'TIFF' unknown"):
        make_image("TIFF", 10, 10)
    with pytest.raises(ValueError, match=">= 1"):
        make_image("PNG", 0, 10)
    with pytest.raises(ValueError, match="65535"):
        make_image("GIF", 70000, 1)
    assert sniff(make_image("jpg", 3, 3)) is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_faces_marker_round_trips(fmt: str) -> None:
    from pytest_densemark.faces import Face

    faces = (Face(10, 20, 150, 180, roll=5.0, seed=3), Face(200, 30, 100, 120, smile=0.5))
    data = make_image(fmt, 400, 300, faces=faces)
    assert embedded_faces(data) == faces
    assert embedded_faces(make_faceless_image(fmt, 400, 300)) == ()
    assert embedded_faces(make_image(fmt, 400, 300)) is None
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def test_long_marker_in_gif_spans_sub_blocks() -> None:
    from pytest_densemark.faces import Face

    faces = tuple(Face(i, i, 100, 100, seed=i) for i in range(20))
    assert embedded_faces(make_image("GIF", 50, 50, faces=faces)) == faces


def test_unreadable_marker_is_an_error() -> None:
    data = make_image("BMP", 4, 4) + b'densemark-faces:[{"nope": 1}]'
    with pytest.raises(ValueError, match="marker unreadable"):
        embedded_faces(data)
    assert embedded_faces(b"not an image") is None
