"""The JSON Schemas of toy bodies, generated from the facts.

``toy``
    A success body: ``request_id`` and at most five ``{"x": int, "y": int}`` points.
``toy-error``
    An error body: ``request_id``, ``error`` (a documented error's name) and ``message``.

``python -m pytest_densemark.schemas`` writes them to ``schemas/`` beside this module while
the toy is registered, as it does the kit's own; a test checks the files are its output.
"""

from __future__ import annotations

from pytest_densemark.schemas import INT, STRING, Schema, closed_object, header
from toyvendor import facts

__all__ = ["build"]


def _success() -> Schema:
    point = closed_object({"x": INT, "y": INT}, title="point")
    points: Schema = {"type": "array", "maxItems": len(facts.POINTS), "items": point}
    schema = header(facts.SUCCESS_KIND, "Toy landmark body", "A toy /v1/landmarks success.")
    return schema | closed_object({"request_id": STRING, "points": points})


def _error() -> Schema:
    names: Schema = {"enum": list(facts.ERRORS)}
    schema = header(facts.ERROR_KIND, "Toy error body", "A toy /v1/landmarks error.")
    return schema | closed_object({"request_id": STRING, "error": names, "message": STRING})


def build(kind: str) -> Schema:
    """The schema of ``kind`` (``toy`` or ``toy-error``)."""
    builders = {facts.SUCCESS_KIND: _success, facts.ERROR_KIND: _error}
    return builders[kind]()
