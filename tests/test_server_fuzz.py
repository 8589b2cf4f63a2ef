"""Bounded fuzzing of the loopback server: raw requests in, the server still answering after.

Each example is sent on a fresh connection whose write side is then closed, so the server
never waits out a timeout for bytes that will not come; whatever comes back must be an HTTP/1.1
answer (or nothing), never the server's own failure, and a normal request must still be served.
All requests are synthetic.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_densemark import facepp, tencent
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image
from pytest_densemark.server import CONTROL_ENDPOINTS, CONTROL_PREFIX, DensemarkServer

FUZZ_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays reproducible and bounded
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

IMAGE = make_image("JPEG", 320, 240)  # synthetic

CONTROL_NAMES = sorted({key.split(" ", 1)[1][len(CONTROL_PREFIX) :] for key in CONTROL_ENDPOINTS})
CONTROL_FIELDS = [
    "type", "vendor", "error", "times", "arg", "seconds", "body", "status", "headers", "name",
    "api_key", "secret_key", "image_sha256", "image_base64", "faces", "url", "answer",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.sampled_from(["facepp", "tencent", "latency", "error", "timeout", "INTERNAL_ERROR"])
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
control_bodies = st.dictionaries(st.sampled_from(CONTROL_FIELDS), json_values, max_size=5)

targets = st.one_of(
    st.sampled_from(["/", facepp.PATH, "/facepp/", "*", "/x?y=1"]),
    st.sampled_from(CONTROL_NAMES).map(lambda name: CONTROL_PREFIX + name),
    st.sampled_from(["http://127.0.0.1/", "http://a.test" + facepp.PATH, "http://", "h://x/"]),
    st.binary(min_size=1, max_size=30)
    .filter(lambda b: b" " not in b)
    .map(lambda b: b.decode("latin-1")),
)
header_names = st.sampled_from(
    ["Host", "Content-Length", "Transfer-Encoding", "Content-Type", "Connection", "Expect",
     "X-TC-Action", "X-TC-Version", "Authorization", "X A", "", "Host\r\nX"]
)  # fmt: skip
header_values = st.one_of(
    st.sampled_from(
        ["127.0.0.1", "evil.test", "chunked", "gzip, chunked", "application/json", "close",
         "100-continue", "0", "5", "-1", "1, 2", "9" * 30, "9" * 5000, tencent.ACTION,
         "keep-alive"]
    ),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
)  # fmt: skip
chunk_sizes = st.one_of(
    st.sampled_from(["0", "1", "a", "0x2", "+2", "0_2", "-0", " 2", "2;ext=1", "F" * 20, ""]),
    st.text("0123456789abcdefABCDEF", max_size=4),
)


MUTATIONS = [
    "bare-lf",
    "bare-cr",
    "no-host",
    "two-hosts",
    "http10",
    "absolute-form",
    "huge-length",
    "wrong-length",
    "two-lengths",
    "length-and-chunked",
    "odd-header",
    "odd-target",
    "odd-method",
    "odd-version",
]


@st.composite
def http_requests(draw: st.DrawFn) -> bytes:
    """A well-formed request to a vendor or the control API, then bent in zero to three ways."""
    kind = draw(st.sampled_from(["facepp", "tencent", "control"]))
    headers: list[tuple[str, str]] = [("Host", "127.0.0.1")]
    if kind == "facepp":
        target = facepp.PATH
        fields = draw(st.dictionaries(st.sampled_from(["api_key", "return_landmark"]), st.text()))
        body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    elif kind == "tencent":
        target = "/"
        headers += [("X-TC-Action", tencent.ACTION), ("X-TC-Version", tencent.VERSIONS[-1])]
        headers.append(("Content-Type", tencent.CONTENT_TYPE))
        body = draw(
            st.sampled_from([b'{"Image": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"{}"])
            | json_values.map(lambda v: json.dumps({"Image": v}).encode())
        )
    else:
        target = CONTROL_PREFIX + draw(st.sampled_from(CONTROL_NAMES))
        headers.append(("Content-Type", "application/json"))
        body = json.dumps(draw(control_bodies)).encode()
    method, version, eol = "POST", "HTTP/1.1", b"\r\n"
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), max_size=3, unique=True))
    chunked = draw(st.booleans()) and "http10" not in mutations
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        sizes = draw(st.lists(chunk_sizes, max_size=2))
        pieces = [size.encode() + eol + body[:4] + eol for size in sizes]
        if not sizes:
            pieces = [b"%x" % len(body) + eol + body + eol] if body else []
        payload = b"".join(pieces) + b"0" + eol + eol
    else:
        headers.append(("Content-Length", str(len(body))))
        payload = body
    if "bare-lf" in mutations:
        eol = b"\n"
    if "bare-cr" in mutations:
        eol = b"\r"
    if "no-host" in mutations:
        headers = headers[1:]
    if "two-hosts" in mutations:
        headers.append(("Host", draw(st.sampled_from(["127.0.0.1", "b.test"]))))
    if "http10" in mutations:
        version = "HTTP/1.0"
    if "absolute-form" in mutations:
        target = draw(st.sampled_from(["http://127.0.0.1", "http://evil.test", "http://"])) + target
    if "huge-length" in mutations:
        headers.append(("Content-Length", draw(st.sampled_from(["9" * 5000, "0" * 5000 + "1"]))))
    if "wrong-length" in mutations:
        headers = [h for h in headers if h[0] != "Content-Length"]
        headers.append(("Content-Length", draw(header_values)))
    if "two-lengths" in mutations:
        headers.append(("Content-Length", "0"))
    if "length-and-chunked" in mutations:
        headers.append(("Transfer-Encoding", "chunked"))
    if "odd-header" in mutations:
        headers.insert(
            draw(st.integers(0, len(headers))), (draw(header_names), draw(header_values))
        )
    if "odd-target" in mutations:
        target = draw(targets)
    if "odd-method" in mutations:
        method = draw(st.sampled_from(["GET", "PUT", "HEAD", "G(T", ""]))
    if "odd-version" in mutations:
        version = draw(st.sampled_from(["HTTP/2.0", "HTTP/1.1 x", "http/1.1", ""]))
    line = f"{method} {target} {version}".encode("latin-1")
    head = eol.join([line, *(f"{n}: {v}".encode("latin-1") for n, v in headers)])
    return head + eol + eol + payload


@st.composite
def control_requests(draw: st.DrawFn) -> bytes:
    """A well-formed control API call with any JSON body: never a 500."""
    name = draw(st.sampled_from(CONTROL_NAMES))
    body = json.dumps(draw(control_bodies | json_values)).encode()
    return (
        f"POST {CONTROL_PREFIX}{name} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


raw_requests = st.one_of(http_requests(), control_requests(), st.binary(max_size=300))


def exchange(server: DensemarkServer, data: bytes) -> bytes:
    """Send ``data``, close the write side, and read everything until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server refused early and closed: still read what it said
            pass
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def still_serves(server: DensemarkServer) -> None:
    server.reset()
    with requests.get(server.url + CONTROL_PREFIX, timeout=5) as response:
        assert response.status_code == 200
    with requests.post(
        server.facepp_url,
        data={"api_key": "k", "api_secret": "s", "return_landmark": "all"},
        files={"image_file": IMAGE},
        timeout=5,
    ) as response:
        assert response.status_code == 200
        assert response.json()["face"]["landmark"]


def check_answer(answer: bytes) -> None:
    """Nothing, or HTTP/1.1 answers; the server's own failure (a 500 saying ``densemark
    server:``) is a bug. Its deliberate refusals say ``densemark server:`` too, with another
    status: a TLS handshake on the plain port (400), too many connections (503)."""
    if not answer:
        return
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    status = int(answer[9:12])
    assert 100 <= status <= 599
    assert not (status == 500 and b"densemark server:" in answer), answer[:300]


def test_a_tls_handshake_on_the_plain_port_is_refused_with_a_400() -> None:
    # The fuzzer's one-byte b"\x16" (a TLS record's first byte): a refusal, not a failure.
    with DensemarkServer(Emulator(), request_timeout=1.0, idle_timeout=1.0) as server:
        answer = exchange(server, b"\x16")
        check_answer(answer)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"TLS handshake arrived on a plain-HTTP port" in answer
        still_serves(server)


def test_fuzzed_requests_never_break_the_server() -> None:
    with DensemarkServer(
        Emulator(), request_timeout=1.0, idle_timeout=1.0, hold_timeout=1.0
    ) as server:

        @FUZZ_SETTINGS
        @given(data=raw_requests)
        def check(data: bytes) -> None:
            check_answer(exchange(server, data))
            still_serves(server)

        check()


def test_fuzzed_control_calls_answer_200_400_or_404() -> None:
    with DensemarkServer(Emulator(), request_timeout=1.0, idle_timeout=1.0) as server:

        @FUZZ_SETTINGS
        @given(data=control_requests())
        def check(data: bytes) -> None:
            answer = exchange(server, data)
            status = int(answer[9:12])
            assert status in (200, 400, 404), answer[:300]
            payload: Any = json.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert isinstance(payload, dict)
            server.reset()

        check()
        still_serves(server)
