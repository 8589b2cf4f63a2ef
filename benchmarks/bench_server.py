"""Throughput of the loopback server against pytest-httpserver, measured in one run.

Every server answers the same POST (a small multipart Face++ request, the vendor demo's
shape) with a full 975-key Face++ success body. The load generator is a separate process
(this script run again with ``--client-port``), so the clients never share an interpreter
lock with the server under test: eight client threads there each hold one keep-alive
``http.client`` connection and make ``--requests`` requests; the figure is total requests per
second. Every row is driven the same way. Rows:

- ``pytest-httpserver (threaded)``: werkzeug serving the body from a canned handler
  (``expect_request(...).respond_with_data``), ``threaded=True`` so keep-alive works;
- ``pytest-httpserver (default)``: the same with its default ``threaded=False`` (HTTP/1.0,
  one connection at a time, closed after each answer; ``http.client`` reconnects);
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

The baseline is whichever of the two pytest-httpserver rows is faster in this run (the
output names it), so no configuration of the reference is picked to flatter the ratios.

Run: ``python benchmarks/bench_server.py [--requests 2000] [--clients 8] [--rounds 3]``.
Each row is the best of ``--rounds`` runs (rounds interleave the rows); the ratio column is
against the baseline row. Servers bind 127.0.0.1 only; the load generator is stopped after
``--row-timeout`` seconds and its sockets time out after 30 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

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
    vary_marker: bytes | None = None,
) -> float:
    """Requests per second of ``clients`` keep-alive connections making ``requests`` each.

    Runs in the load-generator process (see :func:`client_main`). With ``vary_marker``, each
    request's body is ``body`` with the marker replaced by a text unique to the request.
    """
    errors: list[str] = []
    start_gate = threading.Barrier(clients + 1, timeout=60)
    head, _, tail = body.partition(vary_marker) if vary_marker else (body, b"", b"")

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": content_type}
        try:
            start_gate.wait()
            for n in range(requests):
                sent = body
                if vary_marker:
                    sent = head + f"densemark-bench-{index:03d}-{n:09d}".encode() + tail
                conn.request("POST", facepp.PATH, body=sent, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200 or len(data) < 10_000:
                    errors.append(f"status {response.status}, {len(data)} bytes")
                    return
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"bench_server client: a client failed: {errors[0]}")
    return clients * requests / elapsed


def client_main(args: argparse.Namespace) -> None:
    """The load generator: drive the server at ``--port`` and print the rate as JSON."""
    body = Path(args.body_file).read_bytes()
    marker = args.vary_marker.encode() if args.vary_marker else None
    rate = drive(args.port, body, args.content_type, args.clients, args.requests, marker)
    print(json.dumps({"requests_per_second": rate}), flush=True)


def measure(
    port: int, body_file: Path, content_type: str, args: argparse.Namespace, vary: str | None
) -> float:
    """Run the load generator in its own process against ``port``; its requests per second."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--client-port",
        str(port),
        "--body-file",
        str(body_file),
        "--content-type",
        content_type,
        "--clients",
        str(args.clients),
        "--requests",
        str(args.requests),
    ]
    if vary:
        command += ["--vary-marker", vary]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.row_timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(
            f"bench_server: the load generator took over {args.row_timeout} s; stopped"
        ) from None
    if done.returncode != 0:
        raise SystemExit(f"bench_server: the load generator failed: {done.stderr.strip()}")
    return float(json.loads(done.stdout)["requests_per_second"])


def main() -> None:
    """Measure every row and print the table (or, with ``--client-port``, be the client)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only", default="", help="run the baselines and only the rows whose name holds this"
    )
    parser.add_argument(
        "--row-timeout", type=float, default=180.0, help="seconds one row may take at most"
    )
    # The load generator's own options (the script runs itself as the client process).
    parser.add_argument("--client-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--body-file", help=argparse.SUPPRESS)
    parser.add_argument("--content-type", help=argparse.SUPPRESS)
    parser.add_argument("--vary-marker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_port is not None:
        args.port = args.client_port
        client_main(args)
        return

    from pytest_httpserver import HTTPServer

    # werkzeug logs every request to stderr; silence it so the baseline is not slowed by that.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from pytest_densemark.emulator import Emulator

    response_body = full_body()
    request_body, content_type = request_bytes()
    # A new image per request: the same request with a unique trailer after the JPEG.
    marker = "<densemark-bench-trailer>"
    varied_body = request_bytes(marker.encode())[0]

    def httpserver_row(threaded: bool) -> Callable[[Path], float]:
        def run(body_file: Path) -> float:
            server = HTTPServer(threaded=threaded)
            server.expect_request(facepp.PATH, method="POST").respond_with_data(
                response_body, content_type="application/json"
            )
            server.start()
            try:
                return measure(server.port, body_file, content_type, args, None)
            finally:
                server.clear()
                server.stop()

        return run

    def canned(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=response_body, headers={"Content-Type": "application/json"}
        )

    def densemark_row(
        make_app: Callable[[], Emulator | Handler], vary: str | None = None
    ) -> Callable[[Path], float]:
        def run(body_file: Path) -> float:
            with DensemarkServer(make_app()) as server:
                return measure(server.port, body_file, content_type, args, vary)

        return run

    def queued() -> Emulator:
        emulator = Emulator()
        emulator.queue_response("facepp", response_body, times=args.clients * args.requests)
        return emulator

    def cassette() -> Emulator:
        emulator = Emulator()
        emulator.use_cassette("facepp/full-9part")  # repeats its one interaction
        return emulator

    baselines = {
        "pytest-httpserver (threaded)": httpserver_row(True),
        "pytest-httpserver (default)": httpserver_row(False),
    }
    measured = {
        "DensemarkServer, canned handler": densemark_row(lambda: canned),
        "DensemarkServer + Emulator, queued": densemark_row(queued),
        "DensemarkServer + Emulator, cassette": densemark_row(cassette),
        "DensemarkServer + Emulator, same image each request": densemark_row(Emulator),
        "DensemarkServer + Emulator, new image each request": densemark_row(Emulator, marker),
    }
    rows = {**baselines, **{k: v for k, v in measured.items() if args.only in k}}
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="densemark-bench-") as tmp:
        plain_file = Path(tmp, "request.bin")
        plain_file.write_bytes(request_body)
        varied_file = Path(tmp, "request-varied.bin")
        varied_file.write_bytes(varied_body)
        for _ in range(args.rounds):  # interleave rounds so drift hits every row alike
            for name, run in rows.items():
                body_file = varied_file if name.endswith("new image each request") else plain_file
                results[name] = max(results.get(name, 0.0), run(body_file))
    baseline_name = max(baselines, key=lambda name: results[name])
    baseline = results[baseline_name]
    print(
        f"{args.clients} keep-alive clients (one load-generator process) x {args.requests}"
        f" requests, {len(response_body)}-byte body ({facepp.TOTAL_KEYS} keys),"
        f" best of {args.rounds}"
    )
    print(f"baseline: {baseline_name}, the faster pytest-httpserver configuration in this run")
    print(f"{'server':<52} {'req/s':>10} {'ratio':>7}")
    for name in rows:
        mark = "  <- baseline" if name == baseline_name else ""
        print(f"{name:<52} {results[name]:>10.0f} {results[name] / baseline:>6.2f}x{mark}")


if __name__ == "__main__":
    main()
