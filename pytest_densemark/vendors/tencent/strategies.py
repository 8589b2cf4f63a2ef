"""Hypothesis strategies for Tencent AnalyzeDenseLandmarks answers: success envelopes with 0 to
5 faces, every documented error code, and near-miss envelopes that break exactly one rule.

Built on the shared face placement and pose of :mod:`pytest_densemark.strategies` (which also
exports these strategies under their historic names). :data:`STRATEGIES` is what the shared
strategies ask of Tencent (a :class:`~pytest_densemark.strategies.VendorStrategies`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import tencent
from pytest_densemark.answers import VendorResponse
from pytest_densemark.faces import Face, _tencent_extent, _tencent_face
from pytest_densemark.strategies import (
    Draw,
    InvalidResponse,
    _check_strategy,
    _draw_face,
    _Geometry,
    _geometry,
    _ints,
    _onto_border,
    _render_path,
    _weighted,
    image_sizes,
)
from pytest_densemark.vendors.tencent.payloads import (
    _tencent_envelope,
    tencent_error_response,
    tencent_request_id,
)

__all__ = [
    "STRATEGIES",
    "TencentStrategies",
    "tencent_error_responses",
    "tencent_invalid_responses",
    "tencent_responses",
]


def _tencent_tiny(image: tuple[int, int]) -> int:
    # Tencent publishes no minimum face size; the kit draws faces 1/12 of the short side.
    return max(24, min(image) // 12)


class TencentStrategies:
    """Tencent's :class:`~pytest_densemark.strategies.VendorStrategies`."""

    image_sides = (tencent.IMAGE_LIMITS.min_short_side, tencent.IMAGE_LIMITS.max_long_side_other)

    def smallest_face(self, image: tuple[int, int]) -> int:
        """The smallest face drawn: 1/12 of the short side (the vendor publishes none)."""
        return _tencent_tiny(image)

    def face_extent(self, face: Face) -> Sequence[tuple[int, int]]:
        """The corners of the box around the face's landmarks (the kit's point profile)."""
        return _tencent_extent(face, profile=tencent.KIT_PROFILE)

    def success_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`tencent_responses` with the status and ``Content-Type`` of a success."""
        return tencent_responses().map(_answer)

    def error_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`tencent_error_responses`."""
        return tencent_error_responses()


def _answer(body: dict[str, Any]) -> VendorResponse:
    return VendorResponse(200, body, {"Content-Type": tencent.CONTENT_TYPE})


#: What the shared strategies ask of Tencent.
STRATEGIES = TencentStrategies()


def _check_profile(profile: object) -> None:
    if not isinstance(profile, tencent.PointProfile):
        raise InvalidArgument(f"profile={profile!r} must be a tencent.PointProfile")


def _check_drawn_version(version: str) -> None:
    if version not in tencent.VERSIONS:
        raise InvalidArgument(f"version drew {version!r}; expected one of {tencent.VERSIONS}")


# --------------------------------------------------------------------------- success bodies


@st.composite
def _tencent_bodies(
    draw: Draw,
    version: st.SearchStrategy[str],
    mode: st.SearchStrategy[int],
    min_faces: int,
    max_faces: int,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
    profile: tencent.PointProfile,
) -> dict[str, Any]:
    _check_drawn_version(draw(version))
    drawn_mode = draw(mode)
    if drawn_mode not in tencent.MODES:
        raise InvalidArgument(f"mode drew {drawn_mode!r}; expected one of {tencent.MODES}")
    high = min(max_faces, 1) if drawn_mode == 1 else max_faces
    if high < min_faces:
        high = min_faces
    # Counts in shrink order: one face first, then none, then more.
    # Weighted so that 0, 1 and the most faces all come up often.
    weights = {1: 4, 0: 2, high: 3}
    order = [(weights.get(n, 1), n) for n in (1, 0, 2, 3, 4, 5) if min_faces <= n <= high]
    count = _weighted(draw, order)
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    image = draw(image_size)
    chosen: list[Face] = []
    cell_w = image[0] // max(count, 1)
    tiny = _tencent_tiny((cell_w, image[1]))
    # With no face, one is still drawn (and dropped) so that "no face" is not a shorter
    # example than one face: shrinking then ends on one face, not none.
    for index in range(max(count, 1)):
        face, placement = _draw_face(draw, geometry, image, (index * cell_w, cell_w), tiny)
        if count == 0:
            break
        if placement == "border":
            face = _onto_border(draw, face, partial(_tencent_extent, profile=profile), image)
        chosen.append(face)
    # Points serialised "Y" first now and then; built that way rather than rebuilt.
    y_first = _weighted(draw, [(3, False), (1, True)])
    shapes = [_tencent_face(face, profile, y_first=y_first) for face in chosen]
    body = _tencent_envelope(image[0], image[1], shapes, tencent_request_id(rng))
    if _weighted(draw, [(2, False), (1, True)]):
        items = list(body["Response"].items())
        rng.shuffle(items)
        response = dict(items)
        for i, shape in enumerate(shapes):
            fields = list(shape.items())
            rng.shuffle(fields)
            shapes[i] = dict(fields)
        response["DenseFaceShapeSet"] = shapes
        body["Response"] = response
    return body


def _check_counts(min_faces: int, max_faces: int) -> None:
    for name, value in (("min_faces", min_faces), ("max_faces", max_faces)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgument(f"{name}={value!r} must be an int")
    if not 0 <= min_faces <= max_faces <= tencent.MAX_FACES:
        raise InvalidArgument(
            f"need 0 <= min_faces <= max_faces <= {tencent.MAX_FACES},"
            f" got min_faces={min_faces}, max_faces={max_faces}"
        )


def tencent_responses(
    *,
    version: st.SearchStrategy[str] | None = None,
    min_faces: int = 0,
    max_faces: int = tencent.MAX_FACES,
    mode: st.SearchStrategy[int] | None = None,
    image_size: st.SearchStrategy[tuple[int, int]] | None = None,
    profile: tencent.PointProfile = tencent.KIT_PROFILE,
    roll: st.SearchStrategy[float] | None = None,
    yaw: st.SearchStrategy[float] | None = None,
    pitch: st.SearchStrategy[float] | None = None,
    mouth_open: st.SearchStrategy[float] | None = None,
    smile: st.SearchStrategy[float] | None = None,
    eye_open: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Tencent AnalyzeDenseLandmarks success envelopes ``{"Response": {...}}``.

    Between ``min_faces`` and ``max_faces`` faces (at most 5, the vendor's limit; 0, 1 and 5
    all come up often), side by side, each placed and posed as in :func:`faces`. ``mode``
    draws the request's ``Mode`` (1 = largest face only, so at most one face); ``version``
    draws the API version (both versions answer with the same body, so it only validates the
    choice). ``profile`` sets the points per list (default: the kit's assumed 888-point
    split). Key order is sometimes shuffled and points sometimes serialised ``Y`` first.
    Shrinks toward one frontal face.
    """
    _check_counts(min_faces, max_faces)
    for name, value in (("version", version), ("mode", mode), ("image_size", image_size)):
        _check_strategy(name, value)
    _check_profile(profile)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    return _tencent_bodies(
        version if version is not None else st.sampled_from(tencent.VERSIONS),
        mode if mode is not None else st.sampled_from(tencent.MODES),
        min_faces,
        max_faces,
        image_size if image_size is not None else image_sizes("tencent"),
        geometry,
        profile,
    )


# --------------------------------------------------------------------------- errors


@st.composite
def _tencent_errors(
    draw: Draw,
    codes: st.SearchStrategy[str],
    version: st.SearchStrategy[str],
    language: st.SearchStrategy[str | None],
) -> VendorResponse:
    _check_drawn_version(draw(version))
    code = draw(codes)
    error = tencent.ERRORS.get(code)
    if error is None:
        raise InvalidArgument(f"codes drew {code!r}; expected a documented code")
    drawn_language = draw(language)
    if drawn_language is not None and drawn_language not in tencent.LANGUAGES:
        raise InvalidArgument(
            f"language drew {drawn_language!r}; expected one of {tencent.LANGUAGES} or None"
        )
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    return tencent_error_response(
        code, request_id=tencent_request_id(rng), message=error.message_in(drawn_language)
    )


def tencent_error_responses(
    *,
    codes: st.SearchStrategy[str] | None = None,
    version: st.SearchStrategy[str] | None = None,
    language: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[VendorResponse]:
    """Every documented Tencent error code (the action's and API 3.0's common ones) as a
    :class:`~pytest_densemark.payloads.VendorResponse`: HTTP 200, ``Content-Type`` exactly
    ``application/json`` and the ``{"Response": {"Error": ..., "RequestId": ...}}`` envelope.

    ``version`` draws the API version (default: both). ``codes`` draws codes (default: all of
    :data:`pytest_densemark.tencent.ERRORS` that the drawn ``version`` documents). The body is
    the same for both versions, so ``version`` only narrows the default codes and checks the
    choice. ``language`` draws the ``X-TC-Language`` the client sent, which sets the message's
    language: ``"zh-CN"`` (the SDKs' default), ``"en-US"`` or ``None`` (no header: English);
    default all three.
    """
    _check_strategy("codes", codes)
    _check_strategy("version", version)
    _check_strategy("language", language)
    languages = language if language is not None else st.sampled_from((None, *tencent.LANGUAGES))
    if codes is None:
        drawn_version = version if version is not None else st.sampled_from(tencent.VERSIONS)
        return drawn_version.flatmap(
            lambda v: _tencent_errors(
                st.sampled_from(tuple(c for c, e in tencent.ERRORS.items() if v in e.versions)),
                st.just(v),
                languages,
            )
        )
    return _tencent_errors(
        codes, version if version is not None else st.sampled_from(tencent.VERSIONS), languages
    )


# --------------------------------------------------------------------------- invalid bodies


_TENCENT_RULES = (
    "missing-key",
    "extra-key",
    "null-field",
    "float-coordinate",
    "string-coordinate",
    "too-many-faces",
    "too-many-points",
    "wrong-model-version",
)


@st.composite
def _tencent_invalid(
    draw: Draw, rules: st.SearchStrategy[str], profile: tencent.PointProfile
) -> InvalidResponse:
    rule = draw(rules)
    if rule not in _TENCENT_RULES:
        raise InvalidArgument(f"rules drew {rule!r}; expected one of {_TENCENT_RULES}")
    if rule == "too-many-faces":
        body = draw(
            tencent_responses(min_faces=tencent.MAX_FACES, mode=st.just(0), profile=profile)
        )
        shapes = body["Response"]["DenseFaceShapeSet"]
        shapes.append(shapes[0])
        return InvalidResponse(
            "tencent", rule, _render_path(["Response", "DenseFaceShapeSet"]), body
        )
    body = draw(tencent_responses(min_faces=1, max_faces=2, profile=profile))
    response = body["Response"]
    if rule == "wrong-model-version":
        response["FaceModelVersion"] = "2.0"
        return InvalidResponse(
            "tencent", rule, _render_path(["Response", "FaceModelVersion"]), body
        )
    shapes = response["DenseFaceShapeSet"]
    index = draw(st.integers(0, len(shapes) - 1))
    shape = shapes[index]
    where: list[str | int] = ["Response", "DenseFaceShapeSet", index]
    name = draw(st.sampled_from(tencent.POINT_LISTS))
    if rule == "missing-key":
        del shape[draw(st.sampled_from((*tencent.FACE_BOX_FIELDS, *tencent.POINT_LISTS)))]
    elif rule == "extra-key":
        # The official SDK warns about unknown fields; a stray one is a real-world near miss.
        shape["FaceShapeConfidence"] = 99
    elif rule == "null-field":
        shape[name] = None
        where.append(name)
    elif rule in ("float-coordinate", "string-coordinate"):
        points = shape[name]
        if not points:
            points.append({"X": 0, "Y": 0})
        number = draw(st.integers(0, len(points) - 1))
        axis = draw(st.sampled_from(("X", "Y")))
        value = points[number][axis]
        points[number][axis] = value + 0.5 if rule == "float-coordinate" else str(value)
        where += [name, number, axis]
    else:  # too-many-points
        total = sum(len(shape[n]) for n in tencent.POINT_LISTS)
        extra = tencent.MAX_POINTS_PER_FACE + 1 - total
        shape[name] = shape[name] + [{"X": 0, "Y": 0}] * extra
    return InvalidResponse("tencent", rule, _render_path(where), body)


def tencent_invalid_responses(
    *,
    rules: st.SearchStrategy[str] | None = None,
    profile: tencent.PointProfile = tencent.KIT_PROFILE,
) -> st.SearchStrategy[InvalidResponse]:
    """Near-miss Tencent success envelopes that break exactly one rule, as
    :class:`InvalidResponse`.

    Rules: ``missing-key`` (a box field or point list), ``extra-key`` (an unknown field in a
    DenseFaceShape), ``null-field`` (a point list as ``null``), ``float-coordinate``,
    ``string-coordinate``, ``too-many-faces`` (6), ``too-many-points`` (889 in one face),
    ``wrong-model-version``. ``rules`` draws which (default: all).
    """
    _check_strategy("rules", rules)
    _check_profile(profile)
    return _tencent_invalid(
        rules if rules is not None else st.sampled_from(_TENCENT_RULES), profile
    )
