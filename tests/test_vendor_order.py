"""Face++ answers list parts and keys in an order that varies per answer, like the vendor's
hash order, reproducibly from a seed; Tencent and Face++ identifiers follow the vendor."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_densemark import facepp, payloads
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image
from pytest_densemark.validation import validate

KEYS = {"api_key": "synthetic-key", "api_secret": "synthetic-secret"}
JPEG = make_image("JPEG", 640, 480, seed=3)


def post(emulator: Emulator, return_landmark: str = "all") -> httpx.Response:
    data = {**KEYS, "return_landmark": return_landmark}
    files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
    return emulator.handle(httpx.Request("POST", facepp.URL, data=data, files=files))


def order(body: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """The part order, each part's key order and each point's coordinate order."""
    landmark = body["face"]["landmark"]
    return [
        (
            part,
            list(keys),
            sorted({"".join(v) for v in keys.values() if isinstance(v, dict)}),
        )
        for part, keys in landmark.items()
    ]


subsets = st.lists(st.sampled_from(facepp.ALL_PARTS), min_size=1, unique=True).map(",".join)


@settings(max_examples=25, deadline=None)
@given(return_landmark=st.one_of(st.just("all"), subsets))
def test_two_answers_differ_in_order_but_validate_and_carry_the_same_points(
    return_landmark: str,
) -> None:
    emulator = Emulator()
    # Four answers, not two: with one small part, two draws give the same order now and then
    # (a few keys have few orders); four in the same order would be a fixed order.
    bodies = [post(emulator, return_landmark).json() for _ in range(4)]
    assert len({repr(order(body)) for body in bodies}) > 1
    first = bodies[0]
    for body in bodies:
        assert body["face"] == first["face"]  # dict equality ignores order
        assert validate(body, "facepp", image_size=(640, 480)), validate(body, "facepp")


def test_keys_are_not_in_numeric_order_and_radius_moves() -> None:
    emulator = Emulator(seed=11)
    places = set()
    for _ in range(5):
        eye = post(emulator, "left_eye").json()["face"]["landmark"]["left_eye"]
        keys = list(eye)
        assert keys != sorted(
            keys, key=lambda k: int(k.rsplit("_", 1)[-1]) if k[-1].isdigit() else 99
        )
        places.add(keys.index("left_eye_pupil_radius"))
    assert len(places) > 1


def test_points_always_come_y_first() -> None:
    # Vendor reference, "Parts and keys": part and key order vary, but points are serialised
    # y before x in every real answer; a client reading a point's values in order (y, x) works
    # against the service and must not fail against the kit.
    emulator = Emulator(seed=2)
    spellings = set()
    for _ in range(16):
        content = post(emulator).content
        spellings.update(re.findall(rb'\{"([xy])":-?\d+,"([xy])":-?\d+\}', content))
        assert b'{"x":' not in content
    assert spellings == {(b"y", b"x")}
    # facepp_reordered (the order of a logged answer) spells points the same way, even for
    # a body whose points came x first.
    body = payloads.facepp_success(Emulator().faces_in(JPEG)[0], request_id="1,a", time_used=1)
    landmark = body["face"]["landmark"]
    for part in landmark.values():
        for key, point in part.items():
            if isinstance(point, dict):
                part[key] = {"x": point["x"], "y": point["y"]}
    again = payloads.facepp_reordered(body, 7)
    assert all(
        list(point) == ["y", "x"]
        for part in again["face"]["landmark"].values()
        for point in part.values()
        if isinstance(point, dict)
    )


def test_a_seed_replays_ids_and_orders_and_the_call_log_records_it() -> None:
    emulator = Emulator()
    bodies = [post(emulator).content for _ in range(3)]
    calls = emulator.calls
    assert {call.seed for call in calls} == {emulator.seed}
    replay = Emulator(seed=calls[0].seed)
    assert [post(replay).content for _ in range(3)] == bodies
    # One answer's order alone, from its order_seed.
    body = json.loads(bodies[1])
    order_seed = calls[1].order_seed
    assert order_seed is not None
    again = payloads.facepp_reordered(json.loads(bodies[0]), order_seed)
    assert json.dumps(again["face"]) == json.dumps(body["face"])


def test_set_seed_and_reset_restart_the_same_sequence() -> None:
    emulator = Emulator()
    emulator.set_seed(42)
    first = post(emulator).content
    emulator.reset()
    assert emulator.seed == 42
    assert post(emulator).content == first
    emulator.set_seed(None)
    assert post(emulator).content != first


def test_unseeded_emulators_and_resets_give_new_ids() -> None:
    a, b = Emulator(), Emulator()
    ids = {post(a).json()["request_id"], post(b).json()["request_id"]}
    a.reset()
    ids.add(post(a).json()["request_id"])
    assert len(ids) == 3


def test_facepp_request_id_seconds_are_the_answer_time() -> None:
    emulator = Emulator(clock=lambda: 1_714_521_600.7)
    request_id = post(emulator).json()["request_id"]
    assert re.fullmatch(r"1714521600,[0-9a-f-]{36}", request_id)


def test_no_face_answers_carry_no_order_seed() -> None:
    emulator = Emulator()
    emulator.set_faces(JPEG, [])
    assert "face" not in post(emulator).json()
    assert emulator.calls[0].order_seed is None


def tencent_error_id(emulator: Emulator) -> str:
    emulator.inject_error("tencent", "InternalError")
    request = httpx.Request(
        "POST", "https://iai.tencentcloudapi.com/", headers={"X-TC-Action": "AnalyzeDenseLandmarks"}
    )
    request_id: str = emulator.handle(request).json()["Response"]["RequestId"]
    return request_id


def test_tencent_request_ids_are_unique_across_emulators_and_resets() -> None:
    a, b = Emulator(), Emulator()
    ids = [tencent_error_id(a), tencent_error_id(b)]
    a.reset()
    ids.append(tencent_error_id(a))
    assert len(set(ids)) == 3
    for request_id in ids:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", request_id
        )


def test_tencent_request_ids_repeat_only_when_a_seed_is_asked_for() -> None:
    seeded = Emulator(seed=9)
    first = tencent_error_id(seeded)
    seeded.reset()
    assert tencent_error_id(seeded) == first
    assert tencent_error_id(Emulator(seed=9)) == first


def test_the_emulators_repr_shows_the_seed_to_replay_with() -> None:
    emulator = Emulator(seed=1234)
    post(emulator)
    assert repr(emulator) == "<Emulator seed=1234 calls=1>"


def test_the_server_varies_the_order_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    from pytest_densemark.server import DensemarkServer

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with DensemarkServer() as server:
        files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
        data = {**KEYS, "return_landmark": "all"}
        bodies = [
            requests.post(server.facepp_url, data=data, files=files, timeout=10).json()
            for _ in range(2)
        ]
    assert order(bodies[0]) != order(bodies[1])
    assert bodies[0]["face"] == bodies[1]["face"]
