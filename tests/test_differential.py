"""Differential property test: validate() agrees with jsonschema on the shipped schemas.

Hypothesis builds valid synthetic payloads of every kind and then mutates them at random
places (keys deleted or added, values replaced by arbitrary JSON or by near misses such as
``12 -> 12.0``, ``-13``, ``true``, ``"12"``, and strings with a trailing newline or carried
by a ``str`` subclass or a ``StrEnum``-style member). For each one, the verdict of :func:`validate`
must equal ``Draft202012Validator(schema).is_valid`` (plus, for Tencent, the 888-points-per-face
rule JSON Schema cannot express), and the slow pass must report exactly the JSON paths
jsonschema reports. 500 examples per test, about 2,000 payloads in all.
"""

from __future__ import annotations

import copy
import enum
from typing import Any

from _validator_payloads import facepp_body, tencent_body, tencent_error_body, tencent_shape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from pytest_densemark import facepp, load_schema, tencent, validate
from pytest_densemark._schema_walk import render_path as _render_path
from pytest_densemark.validation import _schema_violations

_SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=5000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=4,
)
KEY_NAMES = st.sampled_from(
    [
        "x",
        "y",
        "X",
        "Y",
        "z",
        "face",
        "landmark",
        "mouse",
        "Error",
        "RequestId",
        "Response",
        "nose_midline_60",
        "left_eye_63",
        "time_used",
        "ImageWidth",
        "Chin",
        "Forehead",
    ]
) | st.text(max_size=6)


def _containers(value: Any) -> list[Any]:
    found: list[Any] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            found.append(node)
            stack.extend(node)
    return found


class _Text(str):
    """A ``str`` subclass, as a client's own string type would be."""

    __slots__ = ()


def _member(text: str) -> str:
    """A ``(str, Enum)`` member (what ``enum.StrEnum`` is from Python 3.11) worth ``text``."""
    member: str = enum.Enum("Member", {"VALUE": text}, type=str).VALUE  # type: ignore[attr-defined]
    return member


def _near_misses(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [int(value), None]
    if isinstance(value, int):
        return [float(value), -value - 1, value + 0.5, True, str(value), None]
    if isinstance(value, str):
        return ["", value + " ", value + "\n", _Text(value), _member(value), 5, None]
    if isinstance(value, dict):
        return [{}, [value], None]
    if isinstance(value, list):
        return [[], {}, value * 2]
    return [0, None]


#: One mutation: where (an index into the payload's containers, taken modulo their number),
#: what to do, and the material it may use (a key name, a JSON value, a choice index).
MUTATIONS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(["delete", "add", "replace", "near"]),
        KEY_NAMES,
        JSON_VALUES,
        st.integers(min_value=0, max_value=10**6),
    ),
    max_size=3,
)


def mutate(base: Any, mutations: list[tuple[int, str, str, Any, int]]) -> Any:
    """``base`` (deep-copied) with ``mutations`` applied."""
    payload = copy.deepcopy(base)
    for where, operation, key_name, value, choice in mutations:
        nodes = _containers(payload)
        node = nodes[where % len(nodes)]
        if isinstance(node, dict):
            keys = list(node)
            if operation == "add" or not keys:
                node[key_name] = copy.deepcopy(value)
                continue
            key = keys[choice % len(keys)]
            if operation == "delete":
                del node[key]
            elif operation == "replace":
                node[key] = copy.deepcopy(value)
            else:
                options = _near_misses(node[key])
                node[key] = options[choice % len(options)]
        else:
            if operation == "add" or not node:
                node.append(copy.deepcopy(node[0]) if node else copy.deepcopy(value))
                continue
            index = choice % len(node)
            if operation == "delete":
                del node[index]
            elif operation == "replace":
                node[index] = copy.deepcopy(value)
            else:
                options = _near_misses(node[index])
                node[index] = options[(choice // 7) % len(options)]
    return payload


def _check(kind: str, payload: Any) -> None:
    validator = Draft202012Validator(load_schema(kind)) if kind not in _CACHE else _CACHE[kind]
    _CACHE[kind] = validator
    expected_paths = {_render_path(error.absolute_path) for error in validator.iter_errors(payload)}
    schema_ok = not expected_paths
    expected = schema_ok and _within_point_total(kind, payload)
    event(f"{kind}: {'valid' if expected else 'invalid'}")
    result = validate(payload, kind)
    assert bool(result) is expected, (schema_ok, [str(v) for v in result.violations])
    slow = _schema_violations(payload, kind)
    assert {v.path for v in slow} == expected_paths


_CACHE: dict[str, Draft202012Validator] = {}


def _within_point_total(kind: str, payload: Any) -> bool:
    """The Tencent rule beyond JSON Schema, on a schema-valid payload."""
    if kind != "tencent":
        return True
    return all(
        sum(len(face[name]) for name in tencent.POINT_LISTS) <= tencent.MAX_POINTS_PER_FACE
        for face in payload["Response"]["DenseFaceShapeSet"]
    )


PART_CHOICES = st.lists(
    st.sampled_from(facepp.ALL_PARTS), min_size=1, max_size=2, unique=True
) | st.sampled_from([list(facepp.ALL_PARTS), list(facepp.LEGACY_PARTS)])


@_SETTINGS
@given(
    parts=PART_CHOICES,
    seed=st.integers(min_value=0, max_value=9),
    face=st.sampled_from(["full", "absent", "null", "empty"]),
    mutations=MUTATIONS,
)
def test_facepp_verdicts_match_jsonschema(
    parts: list[str], seed: int, face: str, mutations: list[Any]
) -> None:
    body: dict[str, Any] = facepp_body(parts, seed=seed)
    if face == "absent":
        del body["face"]
    elif face != "full":
        body["face"] = None if face == "null" else {}
    _check("facepp", mutate(body, mutations))


@_SETTINGS
@given(
    faces=st.integers(min_value=0, max_value=6),
    small=st.integers(min_value=0, max_value=2),
    # mostly small; now and then at the 888-point limit (13 other lists of 0 to 2 points)
    chin=st.sampled_from([0, 1, 2, 3, 0, 1, 2, 3, 862, 863, 888, 889]),
    mutations=MUTATIONS,
)
def test_tencent_verdicts_match_jsonschema(
    faces: int, small: int, chin: int, mutations: list[Any]
) -> None:
    """Up to 6 faces with small lists; the first face's Chin now and then near the limit."""
    counts = dict.fromkeys(tencent.POINT_LISTS, small)
    body = tencent_body(faces, counts=counts)
    if faces:
        body["Response"]["DenseFaceShapeSet"][0] = tencent_shape({**counts, "Chin": chin})
    _check("tencent", mutate(body, mutations))


@_SETTINGS
@given(
    error=st.sampled_from([e for e in facepp.ERRORS.values() if e.json]),
    arg=st.none() | st.text(max_size=8),
    space=st.booleans(),
    time_used=st.integers(min_value=-1, max_value=900),
    code=st.sampled_from([*tencent.ERRORS, "Nope", "internalerror"]),
    mutations=MUTATIONS,
)
def test_error_verdicts_match_jsonschema(
    error: facepp.ApiError,
    arg: str | None,
    space: bool,
    time_used: int,
    code: str,
    mutations: list[Any],
) -> None:
    facepp_error = {
        "time_used": time_used,
        "error_message": error.message(arg or None, space=space),
        "request_id": "1,x",
    }
    _check("facepp-error", mutate(facepp_error, mutations))
    body = tencent_error_body("InternalError")
    body["Response"]["Error"]["Code"] = code
    _check("tencent-error", mutate(body, mutations))
