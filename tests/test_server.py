"""The loopback server: HTTP framing, limits, robustness, faults, control API, real clients."""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from pytest_densemark import facepp, tc3, tencent
from pytest_densemark.controller import Controller
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face
from pytest_densemark.images import make_faceless_image, make_image
from pytest_densemark.server import CONTROL_CONNECTIONS, CONTROL_ENDPOINTS, DensemarkServer
from pytest_densemark.server_fixture import loopback_no_proxy

# -- helpers ---------------------------------------------------------------------------------


def echo(request: httpx.Request) -> httpx.Response:
    """A stand-in handler: describes the request it got."""
    return httpx.Response(
        200,
        json={
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query.decode(),
            "host": request.headers.get("host"),
            "content_type": request.headers.get("content-type"),
            "body": request.content.decode("latin-1"),
        },
    )


def server_threads(port: int | None = None) -> list[threading.Thread]:
    """This module's server threads (the session's ``densemark_server`` may be running too)."""
    names = ("densemark-server-", "densemark-conn-")
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(names) and (port is None or t.name.endswith(f"-{port}"))
    ]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def echo_server() -> Iterator[DensemarkServer]:
    """A server answering with :func:`echo`, short timeouts so stalling tests are quick."""
    with DensemarkServer(echo, request_timeout=0.5, idle_timeout=2.0) as server:
        yield server


@pytest.fixture
def server() -> Iterator[DensemarkServer]:
    """A server in front of a fresh emulator."""
    with (
        DensemarkServer(Emulator(), request_timeout=2.0, hold_timeout=5.0) as server,
        loopback_no_proxy(server.tencent_endpoint),
    ):
        yield server


def raw(server: DensemarkServer, data: bytes, *, timeout: float = 3.0) -> bytes:
    """Send ``data`` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def jpeg() -> bytes:
    return make_image("JPEG", 320, 240)


FACEPP_FIELDS = {"api_key": "k", "api_secret": "s", "return_landmark": "all"}


# -- lifecycle and addresses -----------------------------------------------------------------


def test_addresses_name_the_bound_port() -> None:
    with DensemarkServer(echo) as server:
        port = server.port
        assert server.url == f"http://127.0.0.1:{port}"
        assert server.facepp_url == f"http://127.0.0.1:{port}{facepp.PATH}"
        assert server.tencent_endpoint == f"127.0.0.1:{port}"
        assert server.running
    assert not server.running
    with pytest.raises(RuntimeError, match="start"):
        _ = server.port


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_refuses_to_listen_beyond_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        DensemarkServer(echo, host=host)


def test_stop_leaves_no_thread_or_socket_behind() -> None:
    fds_before = open_fds()
    server = DensemarkServer(echo, idle_timeout=30.0).start()
    port = server.port
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        with requests.Session() as session:
            assert session.get(server.url + "/x").status_code == 200
            assert wait_until(lambda: server.active_connections == 4)
            server.stop()
    finally:
        for sock in idle:
            sock.close()
    assert server_threads(port) == []
    assert open_fds() == fds_before
    server.stop()  # idempotent


def test_stop_ends_a_connection_whose_socket_it_could_not_shut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stop flag alone ends a waiting connection (a TLS handshake can swap the socket
    after stop() took its list), well before an idle_timeout of 30 s."""
    server = DensemarkServer(echo, idle_timeout=30.0).start()
    port = server.port
    with socket.create_connection(("127.0.0.1", port)) as idle:
        assert wait_until(lambda: server.active_connections == 1)
        monkeypatch.setattr(socket.socket, "shutdown", lambda self, how: None)
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 2.0
        assert server_threads(port) == []
        assert idle.recv(10) == b""  # closed by its thread on the way out


def test_stop_with_clients_midway_ends_every_thread_quietly(
    capfd: pytest.CaptureFixture[str],
) -> None:
    server = DensemarkServer(Emulator(), idle_timeout=30.0, request_timeout=30.0).start()
    port = server.port
    partial = [
        b"",
        b"GET / HTTP/1.1\r\n",
        f"POST {facepp.PATH} HTTP/1.1\r\n".encode() + H + b"Content-Length: 1000\r\n\r\nab",
        b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\na",
    ]
    held = [socket.create_connection(("127.0.0.1", port)) for _ in partial]
    try:
        for sock, data in zip(held, partial, strict=True):
            sock.sendall(data)
        server.inject_timeout()  # one more connection held by an emulated timeout
        held.append(post_raw_facepp(port))
        assert wait_until(lambda: server.active_connections == len(held))
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 2.0
    finally:
        for sock in held:
            sock.close()
    assert server_threads(port) == []
    assert capfd.readouterr().err == ""  # no traceback from any thread


def test_controller_methods_need_an_emulator(echo_server: DensemarkServer) -> None:
    with pytest.raises(TypeError, match="Emulator"):
        echo_server.reset()


# -- HTTP framing ----------------------------------------------------------------------------


def test_requests_multipart_files_reach_the_handler(echo_server: DensemarkServer) -> None:
    with requests.Session() as session:
        response = session.post(
            echo_server.facepp_url, data=FACEPP_FIELDS, files={"image_file": b"\xff\xd8 jpeg"}
        )
        seen = response.json()
        response.close()
    assert seen["method"] == "POST"
    assert seen["path"] == facepp.PATH
    assert seen["host"] == echo_server.tencent_endpoint
    assert seen["content_type"].startswith("multipart/form-data; boundary=")
    assert 'name="image_file"' in seen["body"]


def test_keep_alive_serves_many_requests_on_one_connection(echo_server: DensemarkServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", echo_server.port, timeout=3)
    try:
        for i in range(5):
            conn.request("POST", f"{facepp.PATH}?n={i}", body=b"x" * i)
            response = conn.getresponse()
            assert json.loads(response.read())["query"] == f"n={i}"
            assert response.getheader("Connection") is None
        assert echo_server.active_connections == 1
    finally:
        conn.close()


def test_http10_closes_after_the_answer(echo_server: DensemarkServer) -> None:
    answer = raw(echo_server, b"GET /a HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in answer


def test_chunked_body_is_decoded(echo_server: DensemarkServer) -> None:
    request = (
        b"POST /facepp/v1/face/thousandlandmark HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
    )
    answer = raw(echo_server, request)
    assert answer.startswith(b"HTTP/1.1 200")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["body"] == "hello world"


def test_expect_100_continue(echo_server: DensemarkServer) -> None:
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=3) as sock:
        sock.sendall(
            b"POST /facepp/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        answer = sock.makefile("rb").read()
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["body"] == "abc"


def test_pipelined_requests_are_answered_in_order_head_without_a_body(
    server: DensemarkServer,
) -> None:
    """Requests sent in one write: each answered in turn, a HEAD's answer without its body
    (or the next answer would be read from the middle of it)."""
    form = urllib.parse.urlencode(
        {**FACEPP_FIELDS, "return_landmark": "mouth", "image_base64": base64.b64encode(jpeg())}
    ).encode()
    vendor = (
        f"POST {facepp.PATH} HTTP/1.1\r\n".encode()
        + H
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(form)
        + form
    )
    answer = raw(
        server,
        vendor
        + f"HEAD {facepp.PATH} HTTP/1.1\r\n".encode()
        + H
        + b"\r\n"
        + b"GET /_densemark/calls HTTP/1.1\r\n"
        + H
        + b"Connection: close\r\n\r\n",
    )
    stream = io.BytesIO(answer)
    statuses, bodies = [], []
    for method in ("POST", "HEAD", "GET"):
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += stream.read(1)
        statuses.append(int(head.split(b" ", 2)[1]))
        length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
        bodies.append(stream.read(0 if method == "HEAD" else length))
    assert stream.read() == b""  # nothing after the last answer
    assert statuses == [200, 400, 200]  # the HEAD lacks an image: Face++'s own 400
    assert bodies[1] == b""
    assert list(json.loads(bodies[0])["face"]["landmark"]) == ["mouth"]
    assert [call["method"] for call in json.loads(bodies[2])["calls"]] == ["POST", "HEAD"]


def test_urllib_client(echo_server: DensemarkServer) -> None:
    request = urllib.request.Request(
        echo_server.facepp_url, data=b"api_key=k&api_secret=s", method="POST"
    )
    with urllib.request.urlopen(request, timeout=3) as response:
        seen = json.loads(response.read())
    assert seen["body"] == "api_key=k&api_secret=s"
    assert seen["content_type"] == "application/x-www-form-urlencoded"


# -- limits ----------------------------------------------------------------------------------


def test_facepp_body_over_the_limit_is_refused_from_its_headers() -> None:
    called: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        called.append(request)
        return httpx.Response(200)

    error = facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"]
    with DensemarkServer(handler) as server:
        # Announce a body far over the limit and send none of it: the answer must come at once.
        head = (
            f"POST {facepp.PATH} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {facepp.MAX_REQUEST_BYTES * 50}\r\n\r\n"
        ).encode()
        began = time.monotonic()
        answer = raw(server, head)
        assert time.monotonic() - began < 2.5
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413 ")
    assert b"Content-Type: text/plain" in status
    assert body == error.message().encode()
    assert called == []


def test_requests_client_reads_the_413_after_sending_a_big_file() -> None:
    with DensemarkServer(echo) as server, requests.Session() as session:
        response = session.post(
            server.facepp_url,
            data=FACEPP_FIELDS,
            files={"image_file": b"\xff" * (facepp.MAX_REQUEST_BYTES + 1)},
        )
        assert response.status_code == facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"].status
        assert response.text == facepp.ERRORS["REQUEST_ENTITY_TOO_LARGE"].message()
        response.close()
        # The server is still serving.
        with session.get(server.url + "/ok") as again:
            assert again.status_code == 200


def test_chunked_body_over_the_limit_is_refused() -> None:
    with DensemarkServer(echo) as server:
        chunk = b"%x\r\n" % (1024 * 1024) + b"z" * (1024 * 1024) + b"\r\n"
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
            head = f"POST {facepp.PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            sock.sendall(head.encode())
            with contextlib.suppress(OSError):
                for _ in range(3):
                    sock.sendall(chunk)
            answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_tencent_body_over_the_limit_gets_the_vendor_error_envelope() -> None:
    with DensemarkServer(echo) as server:
        head = (
            f"POST / HTTP/1.1\r\nHost: x\r\nX-TC-Action: {tencent.ACTION}\r\n"
            f"Content-Length: {tencent.MAX_REQUEST_BYTES + 1}\r\n\r\n"
        ).encode()
        answer = raw(server, head)
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200 ")
    assert f"Content-Type: {tencent.CONTENT_TYPE}\r\n".encode() in status + b"\r\n"
    assert json.loads(body)["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"


# -- malformed input and stalling clients ----------------------------------------------------


H = b"Host: 127.0.0.1\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + H + b"no colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + H + b"bad name: v\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
        (b"GET /" + b"a" * (70 * 1024) + b" HTTP/1.1\r\n\r\n", 431),
        (b"GET /" + b"a" * (20 * 1024) + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET ftp://elsewhere/ HTTP/1.1\r\n" + H + b"\r\n", 400),
        (b"GET http:///path HTTP/1.1\r\n" + H + b"\r\n", 400),
        (b"GET http://user@elsewhere/ HTTP/1.1\r\n" + H + b"\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
        # issue 13 item 7: each of these was accepted, hung or gave 500
        (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: " + b"0" * 5000 + b"1\r\n\r\na", 400),
        (
            b"POST / HTTP/1.1\r\n"
            + H
            + b"Transfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n0\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\n"
            + H
            + b"Transfer-Encoding: chunked\r\n\r\n0_2\r\nab\r\n0\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-0\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n 2\r\nab\r\n0\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\n"
            + H
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + b"1" * 40
            + b"\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\n\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\nX-Smuggled: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: 1\rX-B: 2\r\n" + H + b"\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: 1\x00\r\n" + H + b"\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + H + H + b"\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", 400),
        (b"GET / HTTP/1.0\r\nHost: a.test\r\nHost: b.test\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a.test:\u0663\r\n\r\n".encode(), 400),  # an Arabic 3
        (b"GET / HTTP/1.0\r\nHost: a/b\r\n\r\n", 400),
        (b"GET http://a.test:123456/ HTTP/1.1\r\n" + H + b"\r\n", 400),
        (b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400),
        (
            b"POST / HTTP/1.1\r\n"
            + H
            + b"Transfer-Encoding: chunked\r\n\r\n0\r\n"
            + b"X-Trailer: a\r\n" * 6000
            + b"\r\n",
            431,
        ),
    ],
)
def test_malformed_requests_get_an_error_and_the_server_survives(
    echo_server: DensemarkServer, request_bytes: bytes, status: int
) -> None:
    answer = raw(echo_server, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    assert wait_until(lambda: echo_server.active_connections == 0)
    assert raw(echo_server, b"GET /after HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 ")


def test_bare_lf_request_is_refused_at_once() -> None:
    """Not left waiting for a CRLF CRLF that never comes (issue 13 item 7)."""
    with DensemarkServer(echo, request_timeout=30.0) as server:
        began = time.monotonic()
        answer = raw(server, b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", timeout=10)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"bare LF" in answer
        assert time.monotonic() - began < 5.0  # the linger after a refusal, not the 30 s


@pytest.mark.parametrize(
    ("target", "host", "path", "query"),
    [
        (b"http://127.0.0.1:9/facepp/v1/x?a=1", "127.0.0.1:9", "/facepp/v1/x", "a=1"),
        (b"HTTP://iai.tencentcloudapi.com/", "iai.tencentcloudapi.com", "/", ""),
        (b"http://a.test?q=2", "a.test", "/", "q=2"),
        (b"http://[::1]:8/p", "[::1]:8", "/p", ""),
    ],
)
def test_absolute_form_targets_are_accepted(
    echo_server: DensemarkServer, target: bytes, host: str, path: str, query: str
) -> None:
    """RFC 9112 3.2.2: the target's authority replaces the Host header."""
    answer = raw(
        echo_server,
        b"GET " + target + b" HTTP/1.1\r\nHost: ignored.test\r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
    seen = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert (seen["host"], seen["path"], seen["query"]) == (host, path, query)


def test_http10_without_host_is_still_served(echo_server: DensemarkServer) -> None:
    answer = raw(echo_server, b"GET /old HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


def tencent_body_post(server: DensemarkServer, body: bytes) -> requests.Response:
    """A signed AnalyzeDenseLandmarks request with this exact body."""
    now = int(time.time())
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[-1],
        "X-TC-Timestamp": str(now),
        "Authorization": tc3.authorization_header(
            "AKIDsynthetic", "synthetic-key", host=server.tencent_endpoint, body=body, timestamp=now
        ),
    }
    return requests.post(server.tencent_url, data=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "body",
    [
        b'{"Image": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"Image": ' + b"7" * 5000 + b"}",
    ],
    ids=["100k-deep", "5000-digit-int"],
)
def test_deeply_nested_or_huge_json_gets_the_vendor_error_not_500(
    server: DensemarkServer, body: bytes
) -> None:
    with tencent_body_post(server, body) as response:
        assert response.status_code == 200
        assert response.json()["Response"]["Error"]["Code"] == "InvalidParameter"
    status, answer = control(server, "fault", raw_body=body.replace(b"Image", b"type"))
    assert status == 400
    assert "body is not JSON" in answer["error"]


def test_stalled_request_is_cut_off_and_its_thread_ends(echo_server: DensemarkServer) -> None:
    port = echo_server.port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\nabc")  # 7 short
        assert wait_until(lambda: len(server_threads(port)) == 2)  # acceptor + this connection
        began = time.monotonic()
        answer = sock.recv(1000)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
        assert b"request body (3 of 10 bytes) not received within" in answer
        assert b"request_timeout (0.5 s)" in answer
        assert time.monotonic() - began < 2.0
    assert wait_until(lambda: len(server_threads(port)) == 1)  # the acceptor only
    assert echo_server.active_connections == 0


def test_a_head_stalled_midway_gets_408(echo_server: DensemarkServer) -> None:
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n" + H)  # no blank line: the head never ends
        answer = sock.recv(1000)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert b"Connection: close\r\n" in answer
    assert b"request head not received within the server's request_timeout" in answer


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (
            b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 100\r\n\r\nabc",
            b"closed its side after 3 of the 100 body bytes its Content-Length announced",
        ),
        (
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"closed its side in the middle of the chunked request body",
        ),
        (
            b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n",
            b"closed its side in the middle of the request head",
        ),
    ],
    ids=["content-length", "chunked", "head"],
)
def test_a_client_that_half_closes_mid_request_reads_why(
    echo_server: DensemarkServer, sent: bytes, message: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as sock:
        sock.sendall(sent)
        sock.shutdown(socket.SHUT_WR)  # no more bytes will come: answered at once, not later
        began = time.monotonic()
        answer = b""
        while chunk := sock.recv(1000):
            answer += chunk
    assert time.monotonic() - began < 0.4  # not the request_timeout
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert message in answer
    assert wait_until(lambda: echo_server.active_connections == 0)


def test_a_client_that_disconnects_mid_body_frees_its_connection(
    echo_server: DensemarkServer,
) -> None:
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 100\r\n\r\nabc")
        assert wait_until(lambda: echo_server.active_connections == 1)
    assert wait_until(lambda: echo_server.active_connections == 0, timeout=0.4)
    assert raw(echo_server, b"GET /after HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 ")


def test_http10_keep_alive_is_announced_and_kept(echo_server: DensemarkServer) -> None:
    """RFC 9112 9.3: an HTTP/1.0 client keeps a connection only if the answer says so."""
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as sock:
        for target in (b"/first", b"/_densemark/"):
            sock.sendall(b"GET " + target + b" HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            assert head.startswith(b"HTTP/1.1 200 "), head
            assert b"\r\nConnection: keep-alive\r\n" in head
            length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
            while length:
                length -= len(sock.recv(length))
        sock.sendall(b"GET /last HTTP/1.0\r\n\r\n")  # no keep-alive: answered, then closed
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close\r\n" in answer
    keep = raw(echo_server, b"GET /x HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    assert b"keep-alive" not in keep.lower()  # HTTP/1.1 needs no announcement


def test_non_ascii_target_bytes_reach_the_handler_percent_encoded(
    echo_server: DensemarkServer,
) -> None:
    target = "/caf\u00e9?q=\u00fc".encode()  # raw UTF-8, as curl sends it
    answer = raw(
        echo_server, b"GET " + target + b" HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"
    )
    seen = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert (seen["path"], seen["query"]) == ("/caf\u00e9", "q=%C3%BC")


def test_a_slow_client_does_not_hold_up_the_others() -> None:
    """One byte per 50 ms on one connection while another client is served at full speed."""
    request = b"GET /slow HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"
    with DensemarkServer(echo, request_timeout=10.0) as server:
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        answers: list[bytes] = []

        def trickle() -> None:
            for byte in request:
                slow.sendall(bytes([byte]))
                time.sleep(0.05)
            answers.append(slow.recv(65536))

        thread = threading.Thread(target=trickle)
        thread.start()
        try:
            began = time.monotonic()
            with requests.Session() as session:
                for _ in range(20):
                    assert session.get(server.url + "/fast", timeout=5).status_code == 200
            assert time.monotonic() - began < 1.0  # the trickle takes over 2 s
            assert thread.is_alive()
        finally:
            thread.join(10)
            slow.close()
        assert answers[0].startswith(b"HTTP/1.1 200 ")


def test_byte_trickling_client_is_cut_off(echo_server: DensemarkServer) -> None:
    with socket.create_connection(("127.0.0.1", echo_server.port), timeout=5) as sock:
        began = time.monotonic()
        with contextlib.suppress(OSError):
            for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        assert time.monotonic() - began < 3.0  # the head's deadline, not per byte


def test_idle_keep_alive_connection_is_closed() -> None:
    with DensemarkServer(echo, idle_timeout=0.2) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
            assert sock.recv(10) == b""
        assert wait_until(lambda: server.active_connections == 0)


def test_connections_past_the_cap_get_503_but_the_control_api_answers() -> None:
    with DensemarkServer(echo, max_connections=2) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        try:
            assert wait_until(lambda: server.active_connections == 2)
            answer = raw(server, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
            assert answer.startswith(b"HTTP/1.1 503 ")
            answer = raw(server, b"GET /_densemark/ HTTP/1.1\r\n" + H + b"\r\n")
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert b"Connection: close" in answer  # the extra slot is freed at once
            # Idle connections can fill the control slots too, but not for long.
            extra = [
                socket.create_connection(("127.0.0.1", server.port))
                for _ in range(CONTROL_CONNECTIONS)
            ]
            try:
                assert wait_until(lambda: server.active_connections == 2 + CONTROL_CONNECTIONS)
                assert raw(server, b"GET /_densemark/ HTTP/1.1\r\n" + H + b"\r\n").startswith(
                    b"HTTP/1.1 503 "
                )
            finally:
                for sock in extra:
                    sock.close()
        finally:
            for sock in held:
                sock.close()


def post_raw_facepp(port: int) -> socket.socket:
    """A socket that has sent one Face++ request and not read the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b"api_key=k&api_secret=s&return_landmark=all"
    sock.sendall(
        f"POST {facepp.PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def test_control_api_answers_while_delayed_answers_hold_every_slot() -> None:
    """Issue 13 item 4: 503 for /_densemark/reset while latency holds all slots."""
    with DensemarkServer(Emulator(), max_connections=4) as server:
        server.inject_latency(60)
        waiting = [post_raw_facepp(server.port) for _ in range(4)]
        try:
            assert wait_until(lambda: len(server.calls) == 4)
            began = time.monotonic()
            assert control(server, "reset", {}) == (200, {"ok": True})
            assert control(server, "calls") == (200, {"calls": []})
            assert time.monotonic() - began < 2.0
        finally:
            for sock in waiting:
                sock.close()


def test_a_delayed_answer_ends_when_its_client_gives_up() -> None:
    """Impatient clients free their slots at once instead of after the whole delay."""
    with DensemarkServer(Emulator(), max_connections=4) as server:
        server.inject_latency(60)
        port = server.port
        for _round in range(2):  # the second round finds every slot free again
            outcomes: list[str] = []

            def impatient(outcomes: list[str] = outcomes) -> None:
                try:
                    with requests.post(
                        server.facepp_url,
                        data=FACEPP_FIELDS,
                        files={"image_file": b"x"},
                        timeout=0.3,
                    ) as response:
                        outcomes.append(str(response.status_code))
                except requests.exceptions.ReadTimeout:
                    outcomes.append("timeout")

            threads = [threading.Thread(target=impatient) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert outcomes == ["timeout"] * 4
            assert wait_until(lambda: server.active_connections == 0, timeout=3.0)
        assert wait_until(lambda: len(server_threads(port)) == 1)
        server.reset()
        with facepp_post(server, jpeg(), timeout=5) as response:
            assert response.status_code == 200


def test_stop_ends_a_delayed_answer() -> None:
    server = DensemarkServer(Emulator()).start()
    port = server.port
    server.inject_latency(60)
    sock = post_raw_facepp(port)
    try:
        assert wait_until(lambda: len(server.calls) == 1)
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 2.0
    finally:
        sock.close()
    assert server_threads(port) == []


@pytest.mark.parametrize(
    "option",
    [
        {"idle_timeout": math.nan},
        {"request_timeout": math.inf},
        {"hold_timeout": -1},
        {"hold_timeout": 1e300},
        {"max_connections": 0},
    ],
    ids=["idle-nan", "request-inf", "hold-negative", "hold-1e300", "max-0"],
)
def test_server_options_are_checked(option: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"DensemarkServer: {next(iter(option))}: expected"):
        DensemarkServer(echo, **option)


def test_recording_through_the_server_with_its_upstream_down_gives_502(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        upstream = f"http://127.0.0.1:{closed.getsockname()[1]}"
    controller = Controller(search_dirs=[tmp_path], record_mode="new", upstream=upstream)
    controller.use_cassette("down")
    with DensemarkServer(controller) as server:
        form = {**FACEPP_FIELDS, "image_base64": base64.b64encode(jpeg()).decode()}
        with requests.post(server.facepp_url, data=form, timeout=10) as response:
            assert response.status_code == 502
            assert "the upstream this request was forwarded to failed: ConnectError" in (
                response.text
            )
    assert controller.finish() is None  # nothing recorded, nothing written
    assert list(tmp_path.iterdir()) == []


def test_a_failing_handler_gives_500_and_the_server_survives() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/boom":
            raise RuntimeError("kaput")
        return httpx.Response(204)

    with DensemarkServer(broken) as server:
        with requests.get(server.url + "/boom", timeout=3) as response:
            assert response.status_code == 500
            assert "RuntimeError: kaput" in response.text
        with requests.get(server.url + "/fine", timeout=3) as response:
            assert response.status_code == 204


def test_sixteen_clients_of_500_requests_each_all_get_their_own_answers(
    echo_server: DensemarkServer,
) -> None:
    failures: list[str] = []

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", echo_server.port, timeout=10)
        try:
            for i in range(500):
                token = f"client={number}&i={i}"
                conn.request("POST", f"{facepp.PATH}?{token}", body=token.encode())
                response = conn.getresponse()
                seen = json.loads(response.read())
                if response.status != 200 or seen["query"] != token or seen["body"] != token:
                    failures.append(f"client {number} request {i}: {seen}")
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# -- the emulator behind the server ----------------------------------------------------------


def facepp_post(
    server: DensemarkServer, image: bytes, session: requests.Session | None = None, **kwargs: Any
) -> requests.Response:
    sender = session or requests
    return sender.post(
        server.facepp_url,
        data=FACEPP_FIELDS,
        files={"image_file": ("face.jpg", image, "image/jpeg")},
        timeout=kwargs.pop("timeout", 5),
        **kwargs,
    )


def test_facepp_demo_style_request_gets_a_full_landmark(server: DensemarkServer) -> None:
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == 200
        body = response.json()
    landmark = body["face"]["landmark"]
    assert set(landmark) == set(facepp.ALL_PARTS)
    assert sum(len(keys) for keys in landmark.values()) == facepp.TOTAL_KEYS
    [call] = server.calls_for("facepp")
    assert call.action == "thousandlandmark"


def test_registered_faces_come_back_for_each_concurrent_client(server: DensemarkServer) -> None:
    images = [make_image("JPEG", 400 + 8 * n, 300) for n in range(8)]
    for n, image in enumerate(images):
        server.set_faces(image, [Face(left=40 + n, top=50, width=200, height=220)])
    failures: list[str] = []

    def client(n: int) -> None:
        with requests.Session() as session:
            for _ in range(10):
                with facepp_post(server, images[n], session) as response:
                    left = response.json()["face"]["face_rectangle"]["left"]
                if abs(left - (40 + n)) > 1:
                    failures.append(f"client {n}: face_rectangle.left {left}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(server.calls) == 80


def test_injected_error_is_the_vendor_error(server: DensemarkServer) -> None:
    server.inject_error("facepp", "CONCURRENCY_LIMIT_EXCEEDED")
    error = facepp.ERRORS["CONCURRENCY_LIMIT_EXCEEDED"]
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == error.status
        assert response.json()["error_message"] == error.message()
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == 200


def test_injected_latency_delays_the_answer(server: DensemarkServer) -> None:
    server.inject_latency(0.3, vendor="facepp", times=1)
    began = time.monotonic()
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == 200
    assert time.monotonic() - began >= 0.3


def test_injected_timeout_holds_until_the_client_gives_up(server: DensemarkServer) -> None:
    server.inject_timeout(vendor="facepp")
    with pytest.raises(requests.exceptions.ReadTimeout):
        facepp_post(server, jpeg(), timeout=0.3)
    assert wait_until(lambda: server.active_connections == 0)
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == 200


def test_injected_disconnect_drops_the_connection(server: DensemarkServer) -> None:
    server.inject_disconnect(vendor="facepp")
    with pytest.raises(requests.exceptions.ConnectionError):
        facepp_post(server, jpeg())
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == 200


def test_injected_disconnect_is_a_tcp_reset(server: DensemarkServer) -> None:
    """A raw client sees ECONNRESET, not an orderly end of stream (issue 13 item 9)."""
    server.inject_disconnect(vendor="facepp")
    body = b"api_key=k&api_secret=s&return_landmark=all"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            f"POST {facepp.PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        with pytest.raises(ConnectionResetError):
            sock.recv(100)


def test_stop_interrupts_an_emulated_timeout() -> None:
    server = DensemarkServer(Emulator(), hold_timeout=30.0).start()
    port = server.port
    server.inject_timeout()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        body = b"api_key=k&api_secret=s&return_landmark=all"
        sock.sendall(
            f"POST {facepp.PATH} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert wait_until(lambda: len(server.calls) == 1)
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 2.0
    finally:
        sock.close()
    assert server_threads(port) == []


# -- control API -----------------------------------------------------------------------------


def control(
    server: DensemarkServer,
    name: str,
    payload: object = None,
    *,
    raw_body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call the control API as a client in another language would: status and JSON answer."""
    data = raw_body if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{server.url}/_densemark/{name}",
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_control_index_lists_the_endpoints(server: DensemarkServer) -> None:
    status, index = control(server, "")
    assert status == 200
    assert index["facepp_url"] == server.facepp_url
    assert index["tencent_endpoint"] == server.tencent_endpoint
    assert set(index["endpoints"]) == set(CONTROL_ENDPOINTS)


def test_control_fault_calls_and_reset(server: DensemarkServer) -> None:
    assert control(
        server, "fault", {"type": "error", "vendor": "facepp", "error": "INTERNAL_ERROR"}
    ) == (200, {"ok": True})
    with facepp_post(server, jpeg()) as response:
        assert response.status_code == facepp.ERRORS["INTERNAL_ERROR"].status
    status, log = control(server, "calls")
    assert status == 200
    [call] = log["calls"]
    assert call["vendor"] == "facepp"
    assert call["status"] == facepp.ERRORS["INTERNAL_ERROR"].status
    assert "s" not in json.dumps(call["params"].get("api_secret", ""))[1:-1]
    assert control(server, "calls?vendor=tencent")[1] == {"calls": []}
    assert control(server, "reset", {}) == (200, {"ok": True})
    assert control(server, "calls")[1] == {"calls": []}


def test_control_faces_and_queue(server: DensemarkServer) -> None:
    image = jpeg()
    status, _ = control(
        server,
        "faces",
        {
            "image_base64": base64.b64encode(image).decode(),
            "faces": [{"left": 30, "top": 20, "width": 150, "height": 170}],
        },
    )
    assert status == 200
    with facepp_post(server, image) as response:
        assert response.json()["face"]["face_rectangle"]["left"] in (29, 30, 31)
    control(server, "queue", {"vendor": "facepp", "body": {"queued": True}, "status": 202})
    with facepp_post(server, image) as response:
        assert (response.status_code, response.json()) == (202, {"queued": True})


def tencent_post(server: DensemarkServer, image: bytes) -> requests.Response:
    """A signed AnalyzeDenseLandmarks request to the server (secrets not configured)."""
    body = json.dumps({"Image": base64.b64encode(image).decode()}).encode()
    now = int(time.time())
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[-1],
        "X-TC-Timestamp": str(now),
        "Authorization": tc3.authorization_header(
            "AKIDsynthetic", "synthetic-key", host=server.tencent_endpoint, body=body, timestamp=now
        ),
    }
    return requests.post(server.tencent_url, data=body, headers=headers, timeout=5)


def test_tencent_no_face_answer_by_method_and_control_api(server: DensemarkServer) -> None:
    faceless = make_faceless_image("JPEG", 320, 240)

    def answer() -> dict[str, Any]:
        with tencent_post(server, faceless) as response:
            assert response.status_code == 200
            result: dict[str, Any] = response.json()["Response"]
            return result

    assert server.tencent_no_face == "error"
    assert answer()["Error"]["Code"] == tencent.NO_FACE_ERROR
    server.set_tencent_no_face("empty")
    assert server.emulator.tencent_no_face == "empty"
    assert answer()["DenseFaceShapeSet"] == []
    server.reset()
    assert answer()["Error"]["Code"] == tencent.NO_FACE_ERROR
    assert control(server, "tencent-no-face", {"answer": "empty"}) == (
        200,
        {"ok": True, "answer": "empty"},
    )
    empty = answer()
    assert (empty["DenseFaceShapeSet"], empty["FaceModelVersion"]) == ([], "3.0")
    assert control(server, "tencent-no-face", {"answer": "error"})[0] == 200
    assert "Error" in answer()
    control(server, "tencent-no-face", {"answer": "empty"})
    control(server, "reset", {})
    assert server.tencent_no_face == "error"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("tencent-no-face", {}, "missing field 'answer'"),
        ("tencent-no-face", {"answer": "none"}, "field 'answer': expected error or empty"),
        ("tencent-no-face", {"answer": "empty", "x": 1}, "unknown field(s) x"),
        ("fault", {"type": "gremlins"}, "field 'type'"),
        ("fault", {"type": "error", "error": "INTERNAL_ERROR"}, "'vendor'"),
        ("fault", {"type": "latency", "seconds": "slow"}, "field 'seconds'"),
        ("fault", {"type": "timeout", "colour": "red"}, "unknown field(s) colour"),
        ("cassette", {}, "missing field 'name'"),
        ("cassette", {"name": "no-such-cassette"}, "no-such-cassette"),
        ("faces", {"image_sha256": "ab", "faces": [{"left": 1}]}, "faces[0]"),
        ("url", {"url": "http://x/y.jpg", "image_base64": "***"}, "base64"),
        ("reset", [1, 2], "JSON object"),
    ],
)
def test_control_errors_name_the_field(
    server: DensemarkServer, name: str, payload: object, message: str
) -> None:
    status, answer = control(server, name, payload)
    assert status == 400
    assert message in answer["error"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"vendor": "facepp", "body": {}, "headers": {"X-A": "1\r\nSet-Cookie: evil=1"}},
            "field 'headers', header 'X-A': expected a header value without CR, LF or NUL",
        ),
        ({"vendor": "facepp", "body": {}, "headers": {"X-A": "1\u0000"}}, "CR, LF or NUL"),
        ({"vendor": "facepp", "body": {}, "headers": {"X-A\nB": "1"}}, "token characters"),
        ({"vendor": "facepp", "body": {}, "status": 99999}, "field 'status': expected"),
        ({"vendor": "facepp", "body": {}, "status": -1}, "field 'status': expected"),
        ({"vendor": "facepp", "body": {}, "status": 10**20}, "field 'status': expected"),
        ({"vendor": "facepp", "body": {}, "status": 101}, "1xx is interim"),
    ],
    ids=["crlf-value", "nul-value", "lf-name", "99999", "minus-1", "1e20", "101"],
)
def test_control_queue_refuses_injected_headers_and_impossible_statuses(
    server: DensemarkServer, payload: dict[str, Any], message: str
) -> None:
    status, answer = control(server, "queue", payload)
    assert (status, message in answer["error"]) == (400, True), answer
    with facepp_post(server, jpeg()) as response:  # nothing was queued
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "-Infinity", "1e300", "-1", "1e400"])
def test_control_latency_refuses_impossible_delays(server: DensemarkServer, seconds: str) -> None:
    body = b'{"type": "latency", "seconds": ' + seconds.encode() + b"}"
    status, answer = control(server, "fault", raw_body=body)
    assert status == 400
    assert "field 'seconds': expected a finite number of seconds" in answer["error"]
    began = time.monotonic()
    with facepp_post(server, jpeg()) as response:  # no fault was stored
        assert response.status_code == 200
    assert time.monotonic() - began < 2.0


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, headers=[(b"X-A", b"1\r\nSet-Cookie: evil=1")], content=b"x"),
        httpx.Response(200, headers=[(b"X-A", b"\x00")], content=b"x"),
        httpx.Response(99999, content=b"x"),
        httpx.Response(101, content=b"x"),
        httpx.Response(-1, content=b"x"),
    ],
    ids=["crlf", "nul", "99999", "101", "minus-1"],
)
def test_a_handler_cannot_put_an_impossible_answer_on_the_wire(answer: httpx.Response) -> None:
    with DensemarkServer(lambda request: answer) as server:
        data = raw(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 500 "), data[:80]
    assert b"Set-Cookie" not in data.split(b"\r\n\r\n", 1)[0]


def control_raw(server: DensemarkServer, head: bytes, body: bytes = b"") -> tuple[int, Any]:
    """Send a control request head (request line and headers) as given; status and JSON."""
    length = b"Content-Length: %d\r\n" % len(body) if body else b""
    answer = raw(server, head + length + b"Connection: close\r\n\r\n" + body)
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])


def test_head_on_the_control_api_is_get_without_the_body(server: DensemarkServer) -> None:
    """A body after a HEAD answer would be read as the next answer on the same connection."""
    answer = raw(
        server,
        b"HEAD /_densemark/ HTTP/1.1\r\n" + H + b"\r\n"
        b"GET /_densemark/unplayed HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    )
    head, rest = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert int(head.split(b"Content-Length: ", 1)[1]) > 0  # GET's length, as RFC 9110 allows
    assert rest.startswith(b"HTTP/1.1 200 ")  # the next answer follows at once
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1]) == {"unplayed": 0, "interactions": []}


@pytest.mark.parametrize(
    "host",
    [
        b"evil.example",
        b"evil.example:{port}",
        b"127.0.0.1.nip.io:{port}",
        b"localhost.:{port}",
        b"127.0.0.1:1",
        b"0.0.0.0:{port}",
    ],
)
def test_control_api_refuses_a_foreign_host(server: DensemarkServer, host: bytes) -> None:
    """A page reached through a rebound DNS name cannot read or change the control API."""
    host = host.replace(b"{port}", str(server.port).encode())
    server.inject_error("facepp", "INTERNAL_ERROR")
    status, answer = control_raw(
        server, b"GET /_densemark/calls HTTP/1.1\r\nHost: " + host + b"\r\n"
    )
    assert status == 403
    assert "loopback" in answer["error"]
    status, _ = control_raw(
        server,
        b"POST /_densemark/reset HTTP/1.1\r\nHost: " + host + b"\r\n"
        b"Content-Type: application/json\r\n",
        b"{}",
    )
    assert status == 403
    status, _ = control_raw(  # an absolute-form target's authority counts as the Host
        server,
        b"GET http://" + host + b"/_densemark/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    )
    assert status == 403
    assert len(server.emulator._faults) == 1  # the reset did not happen


@pytest.mark.parametrize(
    "host", [b"127.0.0.1", b"127.0.0.1:{port}", b"localhost:{port}", b"LocalHost", b"[::1]:{port}"]
)
def test_control_api_accepts_loopback_hosts(server: DensemarkServer, host: bytes) -> None:
    host = host.replace(b"{port}", str(server.port).encode())
    status, answer = control_raw(server, b"GET /_densemark/ HTTP/1.1\r\nHost: " + host + b"\r\n")
    assert (status, answer["facepp_url"]) == (200, server.facepp_url)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"],
)
def test_control_api_refuses_state_changes_without_json_content_type(
    server: DensemarkServer, content_type: str | None
) -> None:
    """What a cross-site page can send without a preflight is refused (415), and nothing changes."""
    server.inject_error("facepp", "INTERNAL_ERROR")
    header = b"" if content_type is None else f"Content-Type: {content_type}\r\n".encode()
    for body in (b"{}", b""):
        status, answer = control_raw(
            server, b"POST /_densemark/reset HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header, body
        )
        assert status == 415
        assert "application/json" in answer["error"]
    assert len(server.emulator._faults) == 1
    status, _ = control_raw(
        server,
        b"POST /_densemark/reset HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: Application/JSON; charset=utf-8\r\n",
        b"{}",
    )
    assert status == 200
    assert server.emulator._faults == []


def test_control_cassette_must_lie_in_the_cassette_folders(tmp_path: Path) -> None:
    library = json.loads(
        (Path(__file__).parent.parent / "cassettes" / "facepp" / "full-9part.json").read_text()
    )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "ok.json").write_text(json.dumps(library))
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(library))
    (mine / "link.json").symlink_to(outside)
    with DensemarkServer(Emulator(), cassette_dirs=[mine]) as server:
        for name in (str(outside), "../outside", str(mine / "link.json"), "link", __file__):
            status, answer = control(server, "cassette", {"name": name})
            assert status == 400, name
            assert "outside the cassette folders" in answer["error"], name
            assert server.cassette is None
        for name in ("ok", str(mine / "ok.json"), "facepp/full-9part"):
            status, answer = control(server, "cassette", {"name": name})
            assert (status, answer["vendor"]) == (200, "facepp"), name


def test_control_unknown_endpoint_is_404(server: DensemarkServer) -> None:
    status, answer = control(server, "nope", {})
    assert status == 404
    assert "endpoints" in answer


# -- other clients ---------------------------------------------------------------------------


def test_curl_multipart_request(server: DensemarkServer, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is not installed")
        pytest.skip("curl is not installed")
    image_path = tmp_path / "face.jpg"
    image_path.write_bytes(jpeg())
    result = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--noproxy",
            "127.0.0.1",
            "--max-time",
            "10",
            "-F",
            "api_key=k",
            "-F",
            "api_secret=s",
            "-F",
            "return_landmark=all",
            "-F",
            f"image_file=@{image_path}",
            server.facepp_url,
        ],
        capture_output=True,
        check=True,
        timeout=20,
    )
    landmark = json.loads(result.stdout)["face"]["landmark"]
    assert sum(len(keys) for keys in landmark.values()) == facepp.TOTAL_KEYS


def test_serve_command_prints_the_addresses_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_densemark.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        endpoint = lines[2].split()[-1]
        with requests.post(
            lines[1].split()[-1], data=FACEPP_FIELDS, files={"image_file": jpeg()}, timeout=5
        ) as response:
            assert response.status_code == 200
        assert lines[1].split()[-1] == f"http://{endpoint}{facepp.PATH}"
        process.terminate()
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert err == ""


def test_serve_command_lets_the_control_api_load_from_its_cassette_dirs(tmp_path: Path) -> None:
    library = Path(__file__).parent.parent / "cassettes" / "facepp" / "full-9part.json"
    (tmp_path / "mine.json").write_text(library.read_text())
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_densemark.cli", "serve", "--cassette-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]
        with requests.post(
            f"{url}/_densemark/cassette", json={"name": "mine"}, timeout=5
        ) as answer:
            assert (answer.status_code, answer.json()["name"]) == (200, "mine")
        with requests.post(
            f"{url}/_densemark/cassette",
            json={"name": str(library.parent.parent.parent / "README.md")},
            timeout=5,
        ) as answer:
            assert answer.status_code == 400
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_serve_command_rejects_a_public_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_densemark.cli", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "loopback" in result.stderr


def test_handler_sees_the_headers_httpx_would_add() -> None:
    """The request handed to the handler carries what ``httpx.Request(content=...)`` adds."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok")

    with DensemarkServer(record, request_timeout=1.0) as server:
        raw(server, b"POST /a?x=1 HTTP/1.0\r\nX-Name: caf\xe9\r\n\r\n")
        raw(
            server,
            b"POST /b HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        )
        raw(server, b"POST /c HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n")
        endpoint = server.tencent_endpoint
    no_host, chunked, empty = seen
    expected = httpx.Request("POST", f"http://{endpoint}/a?x=1", content=b"")
    assert no_host.headers.raw[: len(expected.headers.raw)] == expected.headers.raw
    assert no_host.headers.raw[-1] == (b"X-Name", b"caf\xe9")  # kept as sent
    assert str(no_host.url) == f"http://{endpoint}/a?x=1"
    assert chunked.content == b"abc"
    assert chunked.headers["content-length"] == "3"  # as httpx adds for content=
    assert chunked.url.host == "h.test"
    assert empty.content == b""
    assert empty.headers["content-length"] == "0"


def test_request_urls_are_cached_per_host_and_target() -> None:
    """Repeated targets reuse one parsed URL; another Host gives another URL."""
    urls: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, content=b"ok")

    with DensemarkServer(record, request_timeout=1.0) as server:
        for host in (b"a.test", b"a.test", b"b.test:81"):
            raw(server, b"GET /p?q=1 HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
    assert urls == ["http://a.test/p?q=1", "http://a.test/p?q=1", "http://b.test:81/p?q=1"]
