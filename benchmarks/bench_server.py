"""Throughput of the loopback server against pytest-httpserver, measured in one run.

Every server answers the same POST (a small multipart Face++ request, the vendor demo's
shape) with a full 975-key Face++ success body. Eight client threads each hold one
keep-alive ``http.client`` connection and make ``--requests`` requests; the figure is total
requests per second. Rows:

- ``pytest-httpserver (threaded)``: the baseline, werkzeug serving the body from a canned
  handler (``expect_request(...).respond_with_data``), threaded so keep-alive works;
- ``pytest-httpserver (default)``: the same with its default ``threaded=False``;
- ``DensemarkServer, canned handler``: this server, same body from a canned callable;
- ``DensemarkServer + Emulator, queued``: the emulator answering from ``queue_response``;
- ``DensemarkServer + Emulator, cassette``: the emulator replaying ``facepp/full-9part``
  (a 975-key body, pre-serialised when the cassette loads);
- ``DensemarkServer + Emulator, same image each request``: the emulator answering from the
  image itself, the same image every time (what a client's test suite does): request
  parsing, image checks and the face lookup each time, the landmarks pre-encoded once and
  only the request id and ``time_used`` filled in per answer;
- ``DensemarkServer + Emulator, new image each request``: for reference, every request
  carries a different image (the same JPEG with a unique trailer, so a new sha256 and a new
  face), so every answer runs the face model and the JSON encoding (the emulator's cost,
  not the server's).

Run: ``python benchmarks/bench_server.py [--requests 2000] [--clients 8] [--rounds 3]``.
Each row is the best of ``--rounds`` runs; the ratio column is against the baseline row.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from pytest_densemark import facepp
from pytest_densemark.server import DensemarkServer, Handler


def full_body() -> bytes:
    """A full 975-key Face++ success body (from the emulator's face model when available)."""
    from pytest_densemark.faces import Face
    from pytest_densemark.payloads import facepp_success

    face = Face.for_image(640, 480, seed=1)
    body = facepp_success(face, request_id=f"1700000000,{uuid.UUID(int=1)}", time_used=120)
    keys = sum(len(part) for part in body["face"]["landmark"].values())
    assert keys == facepp.TOTAL_KEYS, keys
    return json.dumps(body).encode()


def request_bytes(trailer: bytes = b"") -> tuple[bytes, str]:
    """A multipart thousandlandmark request carrying a small JPEG, and its content type.

    ``trailer`` is appended to the image (after the JPEG's end marker): a different image.
    """
    from pytest_densemark.images import make_image

    boundary = "densemarkbenchboundary"
    image = make_image("JPEG", 320, 240)
    fields = {"api_key": "bench-key", "api_secret": "bench-secret", "return_landmark": "all"}
    chunks = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        chunks.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image_file"; '
        f'filename="face.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + image
        + trailer
        + b"\r\n"
    )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def drive(
    port: int,
    body: bytes,
    content_type: str,
    clients: int,
    requests: int,
    vary: Callable[[int, int], bytes] | None = None,
) -> float:
    """Requests per second of ``clients`` keep-alive connections making ``requests`` each.

    ``vary(client, n)``, when given, makes each request's body instead of ``body``.
    """
    errors: list[str] = []
    start_gate = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": content_type}
        try:
            start_gate.wait()
            for n in range(requests):
                sent = body if vary is None else vary(index, n)
                conn.request("POST", facepp.PATH, body=sent, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200 or len(data) < 10_000:
                    errors.append(f"status {response.status}, {len(data)} bytes")
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"bench_server: a client failed: {errors[0]}")
    return clients * requests / elapsed


def main() -> None:
    """Measure every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from pytest_httpserver import HTTPServer

    # werkzeug logs every request to stderr; silence it so the baseline is not slowed by that.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from pytest_densemark.emulator import Emulator

    response_body = full_body()
    request_body, content_type = request_bytes()
    rows: list[tuple[str, Callable[[], Any]]] = []

    def httpserver_row(threaded: bool) -> Callable[[], float]:
        def run() -> float:
            server = HTTPServer(threaded=threaded)
            server.expect_request(facepp.PATH, method="POST").respond_with_data(
                response_body, content_type="application/json"
            )
            server.start()
            try:
                return drive(server.port, request_body, content_type, args.clients, args.requests)
            finally:
                server.clear()
                server.stop()

        return run

    def canned(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=response_body, headers={"Content-Type": "application/json"}
        )

    # A new image per request: the same request with a unique trailer after the JPEG.
    head, tail = request_bytes(b"<trailer>")[0].split(b"<trailer>")

    def new_image(client: int, n: int) -> bytes:
        return head + f"densemark-bench-{client:03d}-{n:09d}".encode() + tail

    def densemark_row(
        make_app: Callable[[], Emulator | Handler],
        vary: Callable[[int, int], bytes] | None = None,
    ) -> Callable[[], float]:
        def run() -> float:
            with DensemarkServer(make_app()) as server:
                return drive(
                    server.port, request_body, content_type, args.clients, args.requests, vary
                )

        return run

    def queued() -> Emulator:
        emulator = Emulator()
        emulator.queue_response("facepp", response_body, times=args.clients * args.requests)
        return emulator

    def cassette() -> Emulator:
        emulator = Emulator()
        emulator.use_cassette("facepp/full-9part")  # repeats its one interaction
        return emulator

    rows = [
        ("pytest-httpserver (threaded)", httpserver_row(True)),
        ("pytest-httpserver (default)", httpserver_row(False)),
        ("DensemarkServer, canned handler", densemark_row(lambda: canned)),
        ("DensemarkServer + Emulator, queued", densemark_row(queued)),
        ("DensemarkServer + Emulator, cassette", densemark_row(cassette)),
        ("DensemarkServer + Emulator, same image each request", densemark_row(Emulator)),
        ("DensemarkServer + Emulator, new image each request", densemark_row(Emulator, new_image)),
    ]
    results: dict[str, float] = {}
    for _ in range(args.rounds):  # interleave rounds so drift hits every row alike
        for name, run in rows:
            results[name] = max(results.get(name, 0.0), run())
    baseline = results[rows[0][0]]
    print(
        f"{args.clients} keep-alive clients x {args.requests} requests, "
        f"{len(response_body)}-byte body ({facepp.TOTAL_KEYS} keys), best of {args.rounds}"
    )
    print(f"{'server':<52} {'req/s':>10} {'ratio':>7}")
    for name, _ in rows:
        print(f"{name:<52} {results[name]:>10.0f} {results[name] / baseline:>6.2f}x")


if __name__ == "__main__":
    main()
