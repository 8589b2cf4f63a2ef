"""Face++ response bodies built from the face model: successes, errors, Detect, and the
landmark's varying key order. Synthetic data.

Success and error bodies come out as plain dicts, ready for ``json.dumps``. For errors the
HTTP side matters as much as the body (the 413 answer is plain text), so
:func:`facepp_error_response` returns a :class:`~pytest_densemark.answers.VendorResponse`
carrying status, headers and body together. ``pytest_densemark.payloads`` re-exports these
under their older path.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, TypeVar

from pytest_densemark.answers import VendorResponse, uuid4_from
from pytest_densemark.faces import Face, facepp_face
from pytest_densemark.vendors.facepp import facts as facepp

__all__ = [
    "NO_FACE_FORMS",
    "LandmarkFragments",
    "NoFace",
    "facepp_detect",
    "facepp_detect_problems",
    "facepp_error",
    "facepp_error_response",
    "facepp_landmark_fragments",
    "facepp_reordered",
    "facepp_request_id",
    "facepp_success",
    "join_landmark",
]

#: How a Face++ body may say "no face": key absent, ``null`` or ``{}`` (all seen by clients).
NO_FACE_FORMS: tuple[str, ...] = ("absent", "null", "empty")
NoFace = Literal["absent", "null", "empty"]

# Plausible request times: December 2019 to the end of 2030, unix seconds.
_EPOCH_RANGE = (1_575_000_000, 1_924_000_000)


def facepp_request_id(rng: random.Random, *, seconds: int | None = None) -> str:
    """A Face++ ``request_id``: ``"<unix seconds>,<uuid4>"``, the uuid drawn from ``rng``.

    ``seconds`` is the answer's time (the vendor writes the time it answered); without it a
    plausible time between December 2019 and 2030 is drawn too.
    """
    if seconds is None:
        seconds = rng.randrange(*_EPOCH_RANGE)
    return f"{seconds},{uuid4_from(rng)}"


_T = TypeVar("_T")

#: One landmark part, pre-encoded: the part name as JSON, then each key's ``"key":value``
#: fragment, points written ``y`` first as the vendor writes them.
_PartFragments = tuple[bytes, tuple[bytes, ...]]

#: Key orders kept per part; each answer takes one per part.
_KEY_ORDERS = 4
_COMMA = memoryview(b",")


class LandmarkFragments:
    """A ``landmark`` object encoded once, for :func:`join_landmark` to put in any order.

    ``parts`` holds each part's name and ``"key":value`` fragments.
    A part's keys joined in one of :data:`_KEY_ORDERS` fixed shuffles are kept once made, with
    where each key starts, so that any rotation of it is two slices (at most
    ``2 * _KEY_ORDERS`` byte strings per part, the size of the part each): an answer costs one
    join of the parts, not of every key.
    """

    __slots__ = ("_joined", "parts")

    def __init__(self, parts: tuple[_PartFragments, ...]) -> None:
        self.parts = parts
        self._joined: dict[tuple[int, int], tuple[bytes, tuple[int, ...]]] = {}

    def joined(self, part: int, order: int, turn: int) -> tuple[memoryview, ...] | tuple[bytes]:
        """Part ``part``'s keys, comma-joined in shuffle ``order`` rotated by ``turn``, as the
        pieces to join (views into the kept bytes: nothing is copied until the final join)."""
        key = (part, order)
        found = self._joined.get(key)
        if found is None:
            items = self.parts[part][1]
            arranged = _base_orders(len(items))[order](items) if len(items) > 1 else items
            starts = [0]
            for item in arranged[:-1]:
                starts.append(starts[-1] + len(item) + 1)
            # A racing thread may build the same value: equal either way.
            found = self._joined.setdefault(key, (b",".join(arranged), tuple(starts)))
        text, offsets = found
        cut = offsets[turn % len(offsets)]
        if not cut:
            return (text,)
        view = memoryview(text)
        return (view[cut:], _COMMA, view[: cut - 1])


def _point_json(value: Any) -> bytes:
    """A landmark value as JSON: a point ``y`` first (the vendor's spelling), else as is."""
    if type(value) is dict and len(value) == 2:
        # The common case, formatted directly (json.dumps per point made a cold answer slow).
        x, y = value.get("x"), value.get("y")
        if type(x) is int and type(y) is int:
            return b'{"y":%d,"x":%d}' % (y, x)
    if isinstance(value, Mapping) and set(value) == {"x", "y"}:
        value = {"y": value["y"], "x": value["x"]}
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _key_json(key: str) -> bytes:
    """``"key":`` as JSON; vendor key names (identifiers) without a call to json.dumps."""
    if key.isascii() and key.isidentifier():
        return b'"%s":' % key.encode("ascii")
    return json.dumps(key).encode("utf-8") + b":"


def _canonical(names: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(order)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def facepp_landmark_fragments(landmark: Mapping[str, Mapping[str, Any]]) -> LandmarkFragments:
    """Encode a ``landmark`` object once, as fragments :func:`join_landmark` can put in any
    order: per part, its name and each key's ``"key":value`` (points ``y`` first).

    Parts and keys are first put in the vendor's numbering order, so the same landmark gives
    the same fragments whatever order it arrived in (and a seed gives the same order).
    """
    out = []
    for part in _canonical(landmark, facepp.ALL_PARTS):
        keys = landmark[part]
        spec = facepp.PARTS.get(part)
        names = _canonical(keys, spec.keys if spec is not None else ())
        encoded = [_key_json(k) for k in names]
        items = tuple(e + _point_json(keys[k]) for e, k in zip(encoded, names, strict=True))
        out.append((json.dumps(part).encode("utf-8"), items))
    return LandmarkFragments(tuple(out))


#: How many fixed part orders :func:`join_landmark` keeps per part count; each answer takes
#: one, rotated and maybe reversed.
_BASE_ORDERS = 16


@functools.lru_cache(maxsize=64)
def _base_orders(size: int) -> tuple[Callable[[Sequence[Any]], tuple[Any, ...]], ...]:
    """Fixed shuffles of ``size`` items, as getters (the same in every process, so a seed
    replays an order)."""
    rng = random.Random(size)
    orders = []
    for _ in range(_BASE_ORDERS):
        order = list(range(size))
        rng.shuffle(order)
        orders.append(itemgetter(*order))
    return tuple(orders)


def _arranged(items: Sequence[_T], bits: int) -> tuple[_T, ...]:
    """``items`` in one of their orders: a base shuffle (4 bits), rotated (16 bits), maybe
    reversed (1 bit); 21 bits of ``bits`` are used."""
    size = len(items)
    if size < 2:
        return tuple(items)
    shuffled = _base_orders(size)[bits & 15](items)
    turn = (bits >> 4 & 0xFFFF) % size
    shuffled = shuffled[turn:] + shuffled[:turn]
    return shuffled[::-1] if bits >> 20 & 1 else shuffled


def join_landmark(fragments: LandmarkFragments, seed: int) -> bytes:
    """The ``landmark`` JSON in the order ``seed`` gives, as the vendor's hash order varies.

    Real answers list parts and the keys inside each part in an order that changes from one
    response to the next (a pupil radius sits mid-part), and always write a point's ``y``
    before its ``x`` (the project's vendor reference, "Parts and keys"); this draws part
    order and key order per part, points ``y`` first. The part order is a fixed shuffle
    rotated and maybe reversed per answer, each part's keys one of :data:`_KEY_ORDERS` fixed
    shuffles (joined once, then reused) rotated, all read from a digest of ``seed`` (any
    integer; the emulator draws one per answer): cheap enough for every answer, and never the
    numeric order.
    """
    return b"".join(landmark_pieces(fragments, seed))


def landmark_pieces(fragments: LandmarkFragments, seed: int) -> list[bytes | memoryview]:
    """:func:`join_landmark` before the join: the pieces to join, for a caller that joins
    them into a larger body at once (one copy of the landmark, not two)."""
    parts = fragments.parts
    # 256 bits, whatever the seed's size: enough for 9 parts (1 + 21 + 13 per part).
    bits = int.from_bytes(hashlib.blake2b(b"%d" % seed, digest_size=32).digest(), "big")
    # The lowest bit once chose the point spelling; skipped, so a seed still gives the part
    # and key orders it always gave.
    bits >>= 1
    part_order = _arranged(range(len(parts)), bits)
    bits >>= 21
    pieces: list[bytes | memoryview] = [b"{"]
    for index in part_order:
        order, turn = bits & (_KEY_ORDERS - 1), bits >> 3 & 0x3FF
        bits >>= 13
        pieces += (parts[index][0], b":{", *fragments.joined(index, order, turn), b"},")
    if len(pieces) > 1:
        pieces[-1] = b"}"
    pieces.append(b"}")
    return pieces


def facepp_reordered(body: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """A copy of a Face++ success ``body`` whose landmark is in the order ``seed`` draws.

    The order is the one the emulator gives an answer whose call log records this
    ``order_seed`` (see :class:`pytest_densemark.emulator.Call`), so a failure seen with one
    order can be replayed. Bodies without landmarks come back unchanged (copied).
    """
    out = dict(body)
    face = out.get("face")
    if isinstance(face, Mapping) and isinstance(face.get("landmark"), Mapping):
        landmark = json.loads(join_landmark(facepp_landmark_fragments(face["landmark"]), seed))
        out["face"] = {**face, "landmark": landmark}
    return out


def facepp_success(
    face: Face | None,
    *,
    parts: Iterable[str] = facepp.ALL_PARTS,
    request_id: str,
    time_used: int,
    no_face: NoFace = "absent",
) -> dict[str, Any]:
    """A thousandlandmark success body for ``face`` (synthetic).

    ``parts`` picks the landmark parts returned (as ``return_landmark`` would). With
    ``face=None`` the body says no face was found; ``no_face`` picks how: ``"absent"`` (no
    ``face`` key, the default), ``"null"`` or ``"empty"`` (``{}``), all seen in the wild.
    """
    body: dict[str, Any] = {"time_used": time_used, "request_id": request_id}
    if face is not None:
        body["face"] = facepp_face(face, parts)
    elif no_face == "null":
        body["face"] = None
    elif no_face == "empty":
        body["face"] = {}
    elif no_face != "absent":
        raise ValueError(f"facepp_success: no_face must be one of {NO_FACE_FORMS}, got {no_face!r}")
    return body


def facepp_detect(
    faces: Sequence[tuple[str, Face]],
    *,
    image_id: str,
    request_id: str,
    time_used: int,
) -> dict[str, Any]:
    """A minimal Face++ Detect success body (synthetic): each face's ``face_token`` and
    ``face_rectangle``, largest face first as given, plus ``face_num`` and ``image_id``."""
    listed = [
        {"face_token": token, "face_rectangle": facepp_face(face, ())["face_rectangle"]}
        for token, face in faces
    ]
    return {
        "request_id": request_id,
        "time_used": time_used,
        "faces": listed,
        "image_id": image_id,
        "face_num": len(listed),
    }


def facepp_detect_problems(body: object) -> list[str]:
    """What is wrong with a Detect success body as :func:`facepp_detect` shapes it (empty
    when it is well formed)."""
    if not isinstance(body, Mapping):
        return [f"expected a JSON object, got {type(body).__name__}"]
    problems = [f"missing field {name!r}" for name in facepp.DETECT_FIELDS if name not in body]
    faces = body.get("faces")
    if not isinstance(faces, list):
        return [*problems, "faces: expected a list"]
    if body.get("face_num") != len(faces):
        problems.append(f"face_num: expected {len(faces)} (the faces listed)")
    for index, face in enumerate(faces):
        if not isinstance(face, Mapping) or set(face) != set(facepp.DETECT_FACE_FIELDS):
            problems.append(f"faces[{index}]: expected exactly {facepp.DETECT_FACE_FIELDS}")
            continue
        rectangle = face["face_rectangle"]
        if not isinstance(rectangle, Mapping) or set(rectangle) != set(
            facepp.FACE_RECTANGLE_FIELDS
        ):
            problems.append(f"faces[{index}].face_rectangle: expected top, left, width, height")
    return problems


def _facepp_api_error(name: str) -> facepp.ApiError:
    try:
        return facepp.ERRORS[name]
    except KeyError:
        raise ValueError(
            f"unknown Face++ error {name!r}; expected one of {', '.join(facepp.ERRORS)}"
        ) from None


def facepp_error(
    name: str,
    arg: str | None = None,
    *,
    request_id: str,
    time_used: int,
    space: bool | None = None,
) -> dict[str, Any]:
    """A thousandlandmark JSON error body for the documented error ``name``.

    ``arg`` fills the error's parameter (a key, reason or face token); ``space`` overrides
    the spacing after the colon (default: as the vendor documents it, see
    :meth:`pytest_densemark.facepp.ApiError.message`). The 413 answer is plain text, not
    JSON: asking for it raises ``ValueError``; use :func:`facepp_error_response` instead.
    """
    error = _facepp_api_error(name)
    if not error.json:
        raise ValueError(
            f"Face++ error {name!r} is plain text ({error.status}), not a JSON body;"
            " use facepp_error_response()"
        )
    return {
        "time_used": time_used,
        "error_message": error.message(arg, space=space),
        "request_id": request_id,
    }


def facepp_error_response(
    name: str,
    arg: str | None = None,
    *,
    request_id: str,
    time_used: int,
    space: bool | None = None,
) -> VendorResponse:
    """The whole Face++ error answer: the documented status, content type and body.

    The 413 ``Request Entity Too Large`` is plain text; every other error a JSON body (see
    :func:`facepp_error`).
    """
    error = _facepp_api_error(name)
    headers = {"Content-Type": error.content_type}
    if not error.json:
        return VendorResponse(error.status, error.message(arg, space=space), headers)
    body = facepp_error(name, arg, request_id=request_id, time_used=time_used, space=space)
    return VendorResponse(error.status, body, headers)
