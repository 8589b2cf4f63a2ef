"""Hypothesis strategies for Face++ thousandlandmark answers: success bodies, every documented
error, and near-miss bodies that break exactly one rule.

Built on the shared face placement and pose of :mod:`pytest_densemark.strategies` (which also
exports these strategies under their historic names). :data:`STRATEGIES` is what the shared
strategies ask of Face++ (a :class:`~pytest_densemark.strategies.VendorStrategies`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, cast

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_densemark import facepp
from pytest_densemark.faces import Face, _facepp_extent
from pytest_densemark.payloads import (
    NO_FACE_FORMS,
    NoFace,
    VendorResponse,
    facepp_error_response,
    facepp_request_id,
    facepp_success,
)
from pytest_densemark.strategies import (
    Draw,
    InvalidResponse,
    _check_strategy,
    _draw_whole_image_face,
    _Geometry,
    _geometry,
    _ints,
    _render_path,
    _weighted,
    image_sizes,
)

__all__ = [
    "STRATEGIES",
    "FaceppStrategies",
    "facepp_error_responses",
    "facepp_invalid_responses",
    "facepp_responses",
]


class FaceppStrategies:
    """Face++'s :class:`~pytest_densemark.strategies.VendorStrategies`."""

    image_sides = (facepp.IMAGE_LIMITS.min_side, facepp.IMAGE_LIMITS.max_side)

    def smallest_face(self, image: tuple[int, int]) -> int:
        """The smallest face the service detects in an image of this size."""
        return facepp.IMAGE_LIMITS.min_face_size(*image)

    def face_extent(self, face: Face) -> Sequence[tuple[int, int]]:
        """The corners of the box around the face's landmarks."""
        return _facepp_extent(face)

    def success_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`facepp_responses` with the status and ``Content-Type`` of a success."""
        return facepp_responses().map(_answer)

    def error_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`facepp_error_responses`."""
        return facepp_error_responses()


def _answer(body: dict[str, Any]) -> VendorResponse:
    return VendorResponse(200, body, {"Content-Type": facepp.CONTENT_TYPE})


#: What the shared strategies ask of Face++.
STRATEGIES = FaceppStrategies()


# --------------------------------------------------------------------------- success bodies


def _facepp_parts(draw: Draw, return_landmark: str | None, legacy: bool | None) -> tuple[str, ...]:
    """The parts the service sends for the request (``None``: any request is drawn too)."""
    if return_landmark is None:
        value = _weighted(draw, [(3, facepp.ALL), (1, "")])
        if not value:
            chosen = draw(st.lists(st.sampled_from(facepp.ALL_PARTS), min_size=1, unique=True))
            value = ",".join(chosen)
    else:
        value = return_landmark
    parts = facepp.parts_requested(value)
    old = draw(st.booleans()) if legacy is None else legacy
    if old:
        # The format before 2019-08-19 had no eyelid parts.
        legacy_parts = tuple(p for p in parts if p in facepp.LEGACY_PARTS)
        if legacy_parts:
            return legacy_parts
        if legacy:
            raise InvalidArgument(
                f"return_landmark={value!r} asks only for eyelid parts, which the legacy"
                " (pre-2019-08-19) format never sent; use legacy=False"
            )
    return parts


def _check_return_landmark(return_landmark: object, legacy: object) -> None:
    if return_landmark is not None:
        if not isinstance(return_landmark, str):
            raise InvalidArgument(
                f"return_landmark={return_landmark!r} must be a str such as 'all' or"
                " 'left_eye,mouth', or None"
            )
        try:
            facepp.parts_requested(return_landmark)
        except facepp.ReturnLandmarkError as exc:
            raise InvalidArgument(f"return_landmark={return_landmark!r}: {exc.note}") from None
    if legacy not in (True, False, None):
        raise InvalidArgument(f"legacy={legacy!r} must be True, False or None")


def _serialise_facepp(
    face: dict[str, Any], rng: random.Random, *, shuffle: bool, x_first: bool
) -> None:
    """Reorder parts and keys, and the point fields, in place."""
    landmark = face["landmark"]
    if x_first:
        for part in landmark.values():
            for key, value in part.items():
                if isinstance(value, dict):
                    part[key] = {"x": value["x"], "y": value["y"]}
    if shuffle:
        names = list(landmark)
        rng.shuffle(names)
        reordered = {}
        for name in names:
            items = list(landmark[name].items())
            rng.shuffle(items)
            reordered[name] = dict(items)
        face["landmark"] = reordered


@st.composite
def _facepp_bodies(
    draw: Draw,
    parts: st.SearchStrategy[Sequence[str]] | None,
    image_size: st.SearchStrategy[tuple[int, int]],
    geometry: _Geometry,
    no_face: st.SearchStrategy[str] | None,
    return_landmark: str | None = facepp.ALL,
    legacy: bool | None = False,
) -> dict[str, Any]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    time_used = draw(st.integers(0, 3000))
    request_id = facepp_request_id(rng)
    if no_face is not None and draw(st.booleans()):
        form = draw(no_face)
        if form not in NO_FACE_FORMS:
            raise InvalidArgument(f"no_face drew {form!r}; expected one of {NO_FACE_FORMS}")
        return facepp_success(
            None, request_id=request_id, time_used=time_used, no_face=cast("NoFace", form)
        )
    if parts is not None:
        chosen = tuple(draw(parts))
    else:
        chosen = _facepp_parts(draw, return_landmark, legacy)
    if not chosen or any(p not in facepp.PARTS for p in chosen):
        raise InvalidArgument(
            f"parts drew {chosen!r}; expected a non-empty subset of {facepp.ALL_PARTS}"
        )
    face = _draw_whole_image_face(draw, geometry, draw(image_size), STRATEGIES)
    shuffle = _weighted(draw, [(1, False), (2, True)])
    x_first = _weighted(draw, [(4, False), (1, True)])
    body = facepp_success(face, parts=chosen, request_id=request_id, time_used=time_used)
    _serialise_facepp(body["face"], rng, shuffle=shuffle, x_first=x_first)
    if shuffle and draw(st.booleans()):
        body = {"face": body.pop("face"), **body}
    return body


def facepp_responses(
    *,
    return_landmark: str | None = facepp.ALL,
    legacy: bool | None = False,
    parts: st.SearchStrategy[Sequence[str]] | None = None,
    image_size: st.SearchStrategy[tuple[int, int]] | None = None,
    no_face: st.SearchStrategy[str] | None = None,
    roll: st.SearchStrategy[float] | None = None,
    yaw: st.SearchStrategy[float] | None = None,
    pitch: st.SearchStrategy[float] | None = None,
    mouth_open: st.SearchStrategy[float] | None = None,
    smile: st.SearchStrategy[float] | None = None,
    eye_open: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Face++ thousandlandmark success bodies (dicts, ready for ``json.dumps``).

    The bodies answer the request your client sends: ``return_landmark`` is its value
    (default ``"all"``: the 9 parts the service sends today; ``"left_eye,mouth"``: those
    parts; ``None``: draw the request too, ``all`` or any subset). ``legacy=True`` gives the
    format before 2019-08-19 (no eyelid parts: 7 parts for ``all``), ``None`` either format.
    ``parts``, when given, draws the part set directly and overrides both.
    ``no_face``, when given (e.g. ``st.sampled_from(pytest_densemark.payloads.NO_FACE_FORMS)``),
    makes about half the bodies say "no face" in the drawn form. The vendor only says ``face``
    "is empty", so all three readings are kept: ``"absent"`` (no ``face`` key), ``"null"``
    (``"face": null``) and ``"empty"`` (``"face": {}``). ``image_size``
    and the geometry arguments are as for :func:`faces`. Part and key order are shuffled in
    most bodies and points are sometimes serialised ``x`` before ``y`` (the vendor sends ``y``
    first). Shrinks toward one frontal face with all 9 parts in numeric order.
    """
    _check_strategy("parts", parts)
    _check_strategy("image_size", image_size)
    _check_strategy("no_face", no_face)
    _check_return_landmark(return_landmark, legacy)
    geometry = _geometry(roll, yaw, pitch, mouth_open, smile, eye_open)
    size = image_size if image_size is not None else image_sizes("facepp")
    return _facepp_bodies(parts, size, geometry, no_face, return_landmark, legacy)


# --------------------------------------------------------------------------- errors


@st.composite
def _facepp_errors(
    draw: Draw, names: st.SearchStrategy[str], space: st.SearchStrategy[bool | None]
) -> VendorResponse:
    name = draw(names)
    if name not in facepp.ERRORS:
        raise InvalidArgument(f"names drew {name!r}; expected one of {', '.join(facepp.ERRORS)}")
    error = facepp.ERRORS[name]
    arg = draw(st.sampled_from(error.args)) if error.args else None
    rng = random.Random(draw(_ints(0, 2**32 - 1)))
    return facepp_error_response(
        name,
        arg,
        request_id=facepp_request_id(rng),
        time_used=draw(st.integers(0, 3000)),
        space=draw(space),
    )


def facepp_error_responses(
    *,
    names: st.SearchStrategy[str] | None = None,
    space: st.SearchStrategy[bool | None] | None = None,
) -> st.SearchStrategy[VendorResponse]:
    """Every documented Face++ error as a :class:`~pytest_densemark.payloads.VendorResponse`:
    the right HTTP status, ``Content-Type`` and body (JSON, or plain text for the 413).

    ``names`` draws error names (default: all of :data:`pytest_densemark.facepp.ERRORS`).
    ``space`` draws the spacing after the colon in messages that carry an argument: ``None``
    as documented, ``True``/``False`` to force it (default: all three), because clients compare
    these strings exactly.
    """
    _check_strategy("names", names)
    _check_strategy("space", space)
    return _facepp_errors(
        names if names is not None else st.sampled_from(tuple(facepp.ERRORS)),
        space if space is not None else st.sampled_from((None, True, False)),
    )


# --------------------------------------------------------------------------- invalid bodies


_FACEPP_RULES = (
    "missing-key",
    "extra-key",
    "float-coordinate",
    "string-coordinate",
    "string-radius",
    "negative-radius",
    "too-many-faces",
    "misspelt-part",
    "missing-field",
)


@st.composite
def _facepp_invalid(draw: Draw, rules: st.SearchStrategy[str]) -> InvalidResponse:
    rule = draw(rules)
    if rule not in _FACEPP_RULES:
        raise InvalidArgument(f"rules drew {rule!r}; expected one of {_FACEPP_RULES}")
    parts = facepp.ALL_PARTS
    if rule in ("string-radius", "negative-radius"):
        eyes = [p for p in parts if facepp.PARTS[p].radii]
        parts = (draw(st.sampled_from(eyes)),)
    body = draw(
        facepp_responses(
            parts=st.just(parts), roll=st.just(0.0), yaw=st.just(0.0), pitch=st.just(0.0)
        )
    )
    face = body["face"]
    landmark = face["landmark"]
    part_name = draw(st.sampled_from(tuple(landmark)))
    part = landmark[part_name]
    spec = facepp.PARTS[part_name]
    where: list[str | int] = ["face", "landmark", part_name]
    if rule == "missing-key":
        key = draw(st.sampled_from(spec.keys))
        del part[key]
    elif rule == "extra-key":
        prefix, count = spec.runs[-1]
        part[f"{prefix}{count}"] = {"y": 0, "x": 0}
    elif rule in ("float-coordinate", "string-coordinate"):
        key = draw(st.sampled_from(spec.point_keys))
        axis = draw(st.sampled_from(("x", "y")))
        value = part[key][axis]
        part[key][axis] = value + 0.5 if rule == "float-coordinate" else str(value)
        where += [key, axis]
    elif rule in ("string-radius", "negative-radius"):
        key = spec.radii[0]
        part[key] = str(part[key]) if rule == "string-radius" else -1 - part[key]
        where.append(key)
    elif rule == "too-many-faces":
        # The service analyses only the largest face: "face" is never a list.
        body["face"] = [face, face]
        where = ["face"]
    elif rule == "misspelt-part":
        # The vendor's Chinese doc spells "mouth" as "mouse"; the service never does.
        wrong = next(iter(facepp.DOC_MISSPELLINGS))
        landmark[wrong] = landmark.pop(facepp.DOC_MISSPELLINGS[wrong])
        where = ["face", "landmark"]
    else:  # missing-field
        del body[draw(st.sampled_from(("time_used", "request_id")))]
        where = []
    return InvalidResponse("facepp", rule, _render_path(where), body)


def facepp_invalid_responses(
    *, rules: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InvalidResponse]:
    """Near-miss Face++ success bodies that break exactly one rule, for testing a client's own
    validation. Each is an :class:`InvalidResponse` naming the rule and where it is broken.

    Rules: ``missing-key``, ``extra-key`` (one index past the end), ``float-coordinate``,
    ``string-coordinate``, ``string-radius``, ``negative-radius``, ``too-many-faces`` (``face``
    as a list), ``misspelt-part`` (the doc's ``mouse``), ``missing-field`` (``time_used`` or
    ``request_id``). ``rules`` draws which (default: all).
    """
    _check_strategy("rules", rules)
    return _facepp_invalid(rules if rules is not None else st.sampled_from(_FACEPP_RULES))
