"""Hypothesis strategies for toy answers: success bodies and every documented error.

Built on the kit's shared strategies (:func:`pytest_densemark.strategies.faces` and
:func:`~pytest_densemark.strategies.image_sizes`, which read the toy's limits through
:data:`STRATEGIES` once it is registered). :data:`STRATEGIES` is what those shared
strategies ask of the toy (a :class:`~pytest_densemark.strategies.VendorStrategies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from pytest_densemark.answers import VendorResponse
from pytest_densemark.faces import Face
from pytest_densemark.strategies import VendorStrategies, faces, image_sizes
from toyvendor import facts
from toyvendor.payloads import face_extent, toy_error_response, toy_success

__all__ = ["STRATEGIES", "ToyStrategies", "toy_error_responses", "toy_responses"]

_REQUEST_IDS = st.uuids(version=4).map(str)


def toy_responses() -> st.SearchStrategy[dict[str, Any]]:
    """Success bodies: the points of a face placed anywhere in an image the toy accepts, or
    no points at all now and then. Shrinks toward one ordinary face in a 640x480 image."""
    face = faces(image_size=image_sizes(facts.NAME))
    found: st.SearchStrategy[Face | None] = st.one_of(face, st.none())
    return st.builds(lambda f, rid: toy_success(f, request_id=rid), found, _REQUEST_IDS)


def toy_error_responses() -> st.SearchStrategy[VendorResponse]:
    """Every documented error answer: its status, content type and body."""
    names = st.sampled_from(list(facts.ERRORS))
    return st.builds(lambda n, rid: toy_error_response(n, request_id=rid), names, _REQUEST_IDS)


class ToyStrategies:
    """The toy's :class:`~pytest_densemark.strategies.VendorStrategies`."""

    image_sides = (facts.MIN_SIDE, facts.MAX_SIDE)

    def smallest_face(self, image: tuple[int, int]) -> int:
        """The smallest face the toy finds, whatever the image."""
        return facts.MIN_FACE

    def face_extent(self, face: Face) -> Sequence[tuple[int, int]]:
        """The corners of the box around the face's points."""
        return face_extent(face)

    def success_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`toy_responses` with the status and ``Content-Type`` of a success."""
        headers = {"Content-Type": facts.CONTENT_TYPE}
        return toy_responses().map(lambda body: VendorResponse(200, body, headers))

    def error_answers(self) -> st.SearchStrategy[VendorResponse]:
        """:func:`toy_error_responses`."""
        return toy_error_responses()


#: What the shared strategies ask of the toy.
STRATEGIES: VendorStrategies = ToyStrategies()
