"""Image headers and small synthetic test images (standard library only).

:func:`sniff` reads a JPEG, PNG, BMP or GIF header to learn the format and pixel size without
decoding the image, which is all the vendors' limits need. :func:`make_image` writes small,
valid, synthetic images in each format; given ``faces`` it embeds a marker (a PNG ``tEXt``
chunk, a JPEG ``COM`` segment, a GIF comment extension, bytes after a BMP's pixel data) that
the emulator reads back with :func:`embedded_faces`, so a test says what an image holds.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pytest_densemark.faces import Face

__all__ = [
    "FORMATS",
    "ImageFormat",
    "ImageInfo",
    "embedded_faces",
    "make_faceless_image",
    "make_image",
    "sniff",
]

ImageFormat = Literal["JPEG", "PNG", "BMP", "GIF"]
#: The formats :func:`sniff` recognises and :func:`make_image` writes.
FORMATS: tuple[ImageFormat, ...] = ("JPEG", "PNG", "BMP", "GIF")

#: The marker's key (PNG tEXt keyword) and prefix (elsewhere) before the faces' JSON.
MARKER_KEY = b"densemark-faces"
_MARKER_PREFIX = MARKER_KEY + b":"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) are not frames.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers standing alone (no length field): TEM, RST0..7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), 0xD8, 0xD9})


@dataclass(frozen=True)
class ImageInfo:
    """What a header says: format, pixel size, file size in bytes and sha256 hex digest."""

    format: ImageFormat
    width: int
    height: int
    size: int
    digest: str

    @property
    def long_side(self) -> int:
        """The longer of width and height."""
        return max(self.width, self.height)

    @property
    def short_side(self) -> int:
        """The shorter of width and height."""
        return min(self.width, self.height)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    n = len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:
            return None
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            continue
        if pos + 2 > n:
            return None
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if pos + 7 > n:
                return None
            height, width = struct.unpack_from(">HH", data, pos + 3)
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            return None
        pos += length
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 26:
        return None
    (header_size,) = struct.unpack_from("<I", data, 14)
    if header_size == 12:  # BITMAPCOREHEADER: unsigned 16-bit sizes
        width, height = struct.unpack_from("<HH", data, 18)
        return width, height
    if header_size < 40:
        return None
    # Signed: a negative height means the rows are stored top-down.
    width, height = struct.unpack_from("<ii", data, 18)
    return abs(width), abs(height)


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 10:
        return None
    width, height = struct.unpack_from("<HH", data, 6)
    return width, height


def sniff(data: bytes) -> ImageInfo | None:
    """The format, pixel size, byte size and sha256 of an image, read from its header.

    Recognises JPEG (the first SOF frame header), PNG (IHDR), BMP (any DIB header) and GIF
    (the logical screen). Returns ``None`` for anything else, including a truncated header or
    a zero width or height: the vendors cannot decode those either.
    """
    if data.startswith(b"\xff\xd8\xff"):
        fmt: ImageFormat = "JPEG"
        size = _jpeg_size(data)
    elif data.startswith(_PNG_SIGNATURE):
        fmt, size = "PNG", _png_size(data)
    elif data.startswith(b"BM"):
        fmt, size = "BMP", _bmp_size(data)
    elif data.startswith((b"GIF87a", b"GIF89a")):
        fmt, size = "GIF", _gif_size(data)
    else:
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return ImageInfo(fmt, size[0], size[1], len(data), hashlib.sha256(data).hexdigest())


# --- writing -------------------------------------------------------------------------------


def _faces_json(faces: Sequence[Face]) -> bytes:
    from dataclasses import asdict

    return json.dumps([asdict(face) for face in faces], separators=(",", ":")).encode("ascii")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _shade(seed: int, row: int) -> int:
    # A soft vertical gradient offset by the seed: different seeds give different bytes.
    return (seed * 37 + row // 4) % 200 + 28


def _png(width: int, height: int, seed: int, marker: bytes | None) -> bytes:
    compressor = zlib.compressobj(9)
    parts = []
    for y in range(height):
        parts.append(compressor.compress(b"\x00" + bytes([_shade(seed, y)]) * width))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    out = [_PNG_SIGNATURE, _png_chunk(b"IHDR", ihdr)]
    if marker is not None:
        out.append(_png_chunk(b"tEXt", MARKER_KEY + b"\x00" + marker))
    out += [_png_chunk(b"IDAT", b"".join(parts)), _png_chunk(b"IEND", b"")]
    return b"".join(out)


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError(f"JPEG segment 0x{marker:02X} payload too long ({len(payload)} bytes)")
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(width: int, height: int, seed: int, marker: bytes | None) -> bytes:
    """A baseline greyscale JPEG of uniform grey.

    Both Huffman tables hold a single one-bit code, so each 8x8 block is two zero bits
    ("DC difference 0", "end of block"): the scan is a run of zero bytes.
    """
    if width > 0xFFFF or height > 0xFFFF:
        raise ValueError(f"JPEG sides are at most 65535 px, got {width}x{height}")
    quant = bytes([0x00]) + bytes([1] * 64)
    dc_table = bytes([0x00]) + bytes([1] + [0] * 15) + bytes([0])  # class 0 id 0: symbol 0
    ac_table = bytes([0x10]) + bytes([1] + [0] * 15) + bytes([0])  # class 1 id 0: EOB
    sof = struct.pack(">BHHB", 8, height, width, 1) + bytes([1, 0x11, 0])
    sos = bytes([1, 1, 0x00, 0, 63, 0])
    blocks = -(-width // 8) * -(-height // 8)
    bits = blocks * 2
    scan = bytearray(bits // 8)
    if bits % 8:
        scan.append((1 << (8 - bits % 8)) - 1)  # pad the last byte with one bits
        if scan[-1] == 0xFF:  # pragma: no cover - two or more pad bits never make 0xFF
            scan.append(0)
    comment = f"synthetic test image, seed {seed}".encode("ascii")
    out = [
        b"\xff\xd8",
        _jpeg_segment(0xFE, comment),
    ]
    if marker is not None:
        out.append(_jpeg_segment(0xFE, _MARKER_PREFIX + marker))
    out += [
        _jpeg_segment(0xDB, quant),
        _jpeg_segment(0xC0, sof),
        _jpeg_segment(0xC4, dc_table),
        _jpeg_segment(0xC4, ac_table),
        _jpeg_segment(0xDA, sos),
        bytes(scan),
        b"\xff\xd9",
    ]
    return b"".join(out)


def _bmp(width: int, height: int, seed: int, marker: bytes | None) -> bytes:
    """An 8-bit palette BMP (greyscale palette), rows padded to 4 bytes."""
    stride = (width + 3) & ~3
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    pixel_offset = 14 + 40 + len(palette)
    pixels = b"".join(
        bytes([_shade(seed, height - 1 - y)]) * width + b"\x00" * (stride - width)
        for y in range(height)
    )
    file_size = pixel_offset + len(pixels)
    header = b"BM" + struct.pack("<IHHI", file_size, 0, 0, pixel_offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
    trailer = b"" if marker is None else _MARKER_PREFIX + marker
    return header + info + palette + pixels + trailer


def _gif(width: int, height: int, seed: int, marker: bytes | None) -> bytes:
    """A GIF89a of one colour.

    The LZW stream is "clear, 0, 0" repeated with 3-bit codes (a clear before the table
    grows keeps the code size fixed), so eight groups make nine identical bytes.
    """
    if width > 0xFFFF or height > 0xFFFF:
        raise ValueError(f"GIF sides are at most 65535 px, got {width}x{height}")
    grey = _shade(seed, 0)
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # global table of 2 colours
    table = bytes([grey, grey, grey, 255, 255, 255])
    codes: list[int] = []
    pixels = width * height
    groups, odd = divmod(pixels, 2)
    whole_units, rest = divmod(groups, 8)
    for _ in range(rest):
        codes += [4, 0, 0]
    if odd:
        codes += [4, 0]
    codes.append(5)  # end of information
    unit = _pack_codes([4, 0, 0] * 8)
    stream = bytearray(unit * whole_units + _pack_codes(codes))
    blocks = bytearray()
    for start in range(0, len(stream), 255):
        chunk = stream[start : start + 255]
        blocks += bytes([len(chunk)]) + chunk
    blocks += b"\x00"
    out = [b"GIF89a", screen, table]
    if marker is not None:
        payload = _MARKER_PREFIX + marker
        sub = b"".join(
            bytes([len(payload[i : i + 255])]) + payload[i : i + 255]
            for i in range(0, len(payload), 255)
        )
        out.append(b"\x21\xfe" + sub + b"\x00")
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    out += [descriptor, b"\x02", bytes(blocks), b"\x3b"]
    return b"".join(out)


def _pack_codes(codes: Sequence[int], bits: int = 3) -> bytes:
    """Pack LZW codes least-significant bit first, as GIF does."""
    acc = 0
    count = 0
    out = bytearray()
    for code in codes:
        acc |= code << count
        count += bits
        while count >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            count -= 8
    if count:
        out.append(acc & 0xFF)
    return bytes(out)


_WRITERS = {"PNG": _png, "JPEG": _jpeg, "BMP": _bmp, "GIF": _gif}


def make_image(
    format: str,
    width: int,
    height: int,
    *,
    faces: Sequence[Face] = (),
    seed: int = 0,
) -> bytes:
    """A small valid synthetic image (flat grey, no real face) in ``format``.

    ``format`` is ``"JPEG"`` (or ``"JPG"``), ``"PNG"``, ``"BMP"`` or ``"GIF"``, in any case.
    With ``faces`` the image carries a marker listing them and the emulator answers as if the
    image held exactly those faces; without, the emulator gives it one deterministic face
    seeded from its digest (use :func:`make_faceless_image` for an image with no face).
    ``seed`` changes the pixels, so different seeds give different digests.
    """
    return _make(format, width, height, faces=faces if faces else None, seed=seed)


def make_faceless_image(format: str, width: int, height: int, *, seed: int = 0) -> bytes:
    """A synthetic image whose marker says it holds no face (the vendor finds none)."""
    return _make(format, width, height, faces=(), seed=seed)


def _make(
    format: str, width: int, height: int, *, faces: Sequence[Face] | None, seed: int
) -> bytes:
    name = format.upper()
    if name == "JPG":
        name = "JPEG"
    writer = _WRITERS.get(name)
    if writer is None:
        raise ValueError(f"make_image: format {format!r} unknown, expected one of {FORMATS}")
    if width < 1 or height < 1:
        raise ValueError(f"make_image: width and height must be >= 1, got {width}x{height}")
    marker = None if faces is None else _faces_json(faces)
    return writer(width, height, seed, marker)


# --- reading the marker --------------------------------------------------------------------


def _marker_png(data: bytes) -> bytes | None:
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        payload = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt" and payload.startswith(MARKER_KEY + b"\x00"):
            return payload[len(MARKER_KEY) + 1 :]
        if kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


def _marker_jpeg(data: bytes) -> bytes | None:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        payload = data[pos + 4 : pos + 2 + length]
        if marker == 0xFE and payload.startswith(_MARKER_PREFIX):
            return payload[len(_MARKER_PREFIX) :]
        if marker == 0xDA:
            return None
        pos += 2 + length
    return None


def _marker_gif(data: bytes) -> bytes | None:
    pos = 13
    if data[10] & 0x80:
        pos += 3 * (2 ** ((data[10] & 0x07) + 1))
    while pos + 2 <= len(data) and data[pos] == 0x21:
        label = data[pos + 1]
        pos += 2
        payload = bytearray()
        while pos < len(data) and data[pos]:
            payload += data[pos + 1 : pos + 1 + data[pos]]
            pos += 1 + data[pos]
        pos += 1
        if label == 0xFE and payload.startswith(_MARKER_PREFIX):
            return bytes(payload[len(_MARKER_PREFIX) :])
    return None


def _marker_bmp(data: bytes) -> bytes | None:
    (file_size,) = struct.unpack_from("<I", data, 2)
    tail = data[file_size:]
    return tail[len(_MARKER_PREFIX) :] if tail.startswith(_MARKER_PREFIX) else None


_MARKER_READERS = {"PNG": _marker_png, "JPEG": _marker_jpeg, "BMP": _marker_bmp, "GIF": _marker_gif}


def embedded_faces(data: bytes, info: ImageInfo | None = None) -> tuple[Face, ...] | None:
    """The faces a :func:`make_image` marker lists, or ``None`` for an unmarked image.

    An image marked with no faces gives ``()``. A marker that does not parse raises
    ``ValueError`` naming the problem. ``info`` is ``sniff(data)`` when the caller already
    has it (the image is not read and hashed again).
    """
    info = info or sniff(data)
    if info is None:
        return None
    raw = _MARKER_READERS[info.format](data)
    if raw is None:
        return None
    from pytest_densemark.faces import Face

    try:
        items: Any = json.loads(raw.decode("ascii"))
        return tuple(Face(**item) for item in items)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"image {info.digest[:12]}: densemark faces marker unreadable: {exc}"
        ) from exc
