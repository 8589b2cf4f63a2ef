"""The example parsers against every shape the vendors may send (Hypothesis strategies)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from landmark_client import parse_facepp, parse_tencent

import pytest_densemark
from pytest_densemark import strategies
from pytest_densemark.payloads import NO_FACE_FORMS


@given(strategies.facepp_responses(no_face=st.sampled_from(NO_FACE_FORMS)))
def test_facepp_parser_keeps_every_point_in_index_order(body: dict[str, Any]) -> None:
    assert pytest_densemark.validate(body, "facepp")
    face = parse_facepp(body)
    if not body.get("face"):
        assert face is None
        return
    assert face is not None
    landmark = body["face"]["landmark"]
    assert set(face.parts) == set(landmark)
    expected = sum(isinstance(v, dict) for keys in landmark.values() for v in keys.values())
    assert face.point_count == expected
    for part, runs in face.parts.items():
        for run, line in runs.items():
            key = f"{run}_0" if f"{run}_0" in landmark[part] else run
            first = landmark[part][key]
            assert line[0] == (first["x"], first["y"])


@given(strategies.tencent_responses())
def test_tencent_parser_keeps_every_face_and_list(body: dict[str, Any]) -> None:
    assert pytest_densemark.validate(body, "tencent")
    faces = parse_tencent(body)
    shapes = body["Response"]["DenseFaceShapeSet"]
    assert len(faces) == len(shapes)
    for face, shape in zip(faces, shapes, strict=True):
        assert face.box == (shape["X"], shape["Y"], shape["Width"], shape["Height"])
        assert face.point_count == sum(len(v) for v in shape.values() if isinstance(v, list))
