"""Whole HTTP answers as the engines build them (:func:`pytest_densemark.answers.response`).

An emulated answer must be the same object a client gets from
``httpx.Response(status, headers=..., content=..., request=...)``: body already read, stream
consumed and closed, ``Content-Length`` set, and readable again by every httpx API.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_densemark import answers
from pytest_densemark.answers import response
from pytest_densemark.emulator import Emulator

REQUEST = httpx.Request("POST", "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark")
HEADERS = [(b"Content-Type", b"application/json")]


def state(answer: httpx.Response) -> tuple[object, ...]:
    """Everything a client can observe of a read answer."""
    return (
        answer.status_code,
        answer.headers.raw,
        answer.content,
        answer.text,
        answer.is_stream_consumed,
        answer.is_closed,
        answer.num_bytes_downloaded,
        list(answer.iter_bytes()),
        list(answer.iter_bytes(chunk_size=3)),
        answer.request is REQUEST,
    )


@pytest.mark.parametrize("body", [b'{"a":1}', b"", '{"name":"\u00e9"}'.encode()])
def test_response_is_what_httpx_content_gives(body: bytes) -> None:
    expected = httpx.Response(200, headers=HEADERS, content=body, request=REQUEST)
    assert state(response(200, HEADERS, body, REQUEST)) == state(expected)


def test_response_keeps_a_given_content_length() -> None:
    headers = [*HEADERS, (b"Content-Length", b"2")]
    answer = response(200, headers, b"{}", REQUEST)
    assert answer.headers.get_list("content-length") == ["2"]


def test_an_httpx_whose_internals_differ_falls_back_to_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fast path is chosen only when it leaves exactly read()'s state; when setting the
    # attributes does not (another httpx), read() itself is used.
    def broken(answer: httpx.Response, content: bytes) -> None:
        answer._content = content  # no stream bookkeeping: not read()'s state

    assert answers._choose_mark_read() is answers._set_read  # this httpx
    monkeypatch.setattr(answers, "_set_read", broken)
    assert answers._choose_mark_read() is answers._read


def test_async_clients_read_the_answer_too() -> None:
    import asyncio

    async def read() -> bytes:
        answer = response(200, HEADERS, b'{"a":1}', REQUEST)
        return await answer.aread()

    assert asyncio.run(read()) == b'{"a":1}'


def test_ids_replay_from_the_seed_though_the_generator_starts_late() -> None:
    # The emulator seeds its generator on first use, and again after a reset: the ids drawn
    # still follow the seed alone.
    def first_ids(emulator: Emulator) -> list[str]:
        return [answers.uuid4_from(emulator._context.rng) for _ in range(3)]

    used = Emulator(seed=7)
    first_ids(used)
    used.reset()
    assert first_ids(Emulator(seed=7)) == first_ids(used)
    assert first_ids(Emulator(seed=8)) != first_ids(Emulator(seed=7))


# -- Template: a body encoded once, its per-request values filled in ------------------------

_JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    body=st.dictionaries(st.text(max_size=6), _JSON, max_size=4),
    values=st.lists(_JSON, min_size=1, max_size=3),
)
def test_template_renders_what_json_dumps_of_the_filled_body_gives(
    body: dict[str, object], values: list[object]
) -> None:
    names = [f"v{i}" for i in range(len(values))]
    with_slots = {**body, "slots": [answers.slot(name) for name in names]}
    filled = {**body, "slots": values}
    template = answers.Template(with_slots, names)
    expected = json.dumps(filled, separators=(",", ":")).encode("utf-8")
    assert template.render(dict(zip(names, values, strict=True))) == expected


def test_template_joins_raw_pieces_in_place_as_given() -> None:
    template = answers.Template(
        {"a": 1, "raw": answers.slot("raw"), "id": answers.slot("id")}, ["raw", "id"]
    )
    pieces: list[bytes | memoryview] = [b"{", memoryview(b'"x":[1,2]'), b"}"]
    assert (
        template.render({"id": "r-1"}, {"raw": pieces}) == b'{"a":1,"raw":{"x":[1,2]},"id":"r-1"}'
    )


def test_template_refuses_a_slot_not_found_exactly_once() -> None:
    with pytest.raises(AssertionError, match="'twice' not found exactly once"):
        answers.Template({"a": answers.slot("twice"), "b": answers.slot("twice")}, ["twice"])
    with pytest.raises(AssertionError, match="'gone' not found exactly once"):
        answers.Template({"a": 1}, ["gone"])
