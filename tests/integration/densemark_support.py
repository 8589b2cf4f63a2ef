"""Helpers for the pytester-driven plugin tests: synthetic cassettes and a served emulator."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import hypothesis
import pytest
import requests
import respx
import urllib3

import pytest_densemark.emulation
import pytest_densemark.network
import pytest_densemark.stubs.aiohttp_stub
import pytest_densemark.stubs.http_client_stub
import pytest_densemark.stubs.httpx_stub
from pytest_densemark import __version__, facepp
from pytest_densemark.cassettes import write_cassette
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face
from pytest_densemark.payloads import facepp_error, facepp_success

# Imported here, before any inner run: pytester's in-process runs drop the modules they
# imported, so plugins the inner runs load (Hypothesis' above all) would be re-imported and
# their assertions rewritten again for every run; and the kit's interception state must be
# one module the inner runs share, not a fresh copy each.
_PRELOADED = (anyio, hypothesis, requests, respx, urllib3, pytest_densemark)

#: The inner test runs use the same strictness as this project.
STRICT_INI = """
[pytest]
strict = true
filterwarnings = error
"""


def facepp_success_body(seed: int = 0) -> dict[str, Any]:
    """A synthetic full 9-part Face++ success body."""
    rng = random.Random(seed)
    return facepp_success(
        Face.for_image(640, 480, seed),
        request_id=f"1575000000,00000000-0000-4000-8000-{seed:012d}",
        time_used=rng.randrange(60, 400),
    )


def facepp_interaction(
    body: dict[str, Any], *, status: int = 200, return_landmark: str = "all"
) -> dict[str, Any]:
    """One synthetic cassette interaction answering a thousandlandmark request."""
    return {
        "request": {
            "method": "POST",
            "url": facepp.URL,
            "headers": {"content-type": "multipart/form-data"},
            "params": {"return_landmark": return_landmark},
        },
        "response": {
            "status": status,
            "headers": {"content-type": facepp.CONTENT_TYPE},
            "body": body,
        },
    }


def write_facepp_cassette(
    path: Path, interactions: Sequence[dict[str, Any]] | None = None, *, description: str = ""
) -> Path:
    """Write a synthetic Face++ cassette (one full success by default) to ``path``."""
    if interactions is None:
        interactions = [facepp_interaction(facepp_success_body())]
    write_cassette(
        path,
        {
            "densemark_cassette": 1,
            "vendor": "facepp",
            "action": facepp.ACTION,
            "version": None,
            "description": description or "synthetic test cassette",
            "source": "synthetic",
            "kit_version": __version__,
            "interactions": list(interactions),
        },
    )
    return path


def facepp_error_interaction(name: str, arg: str | None = None) -> dict[str, Any]:
    """A synthetic cassette interaction answering with a documented Face++ error."""
    body = facepp_error(name, arg, request_id="1575000000,x", time_used=5)
    return facepp_interaction(body, status=facepp.ERRORS[name].status)


@dataclass
class ServedEmulator:
    """An :class:`Emulator` answering real HTTP on 127.0.0.1 (a stand-in for the vendor)."""

    emulator: Emulator
    url: str
    #: Every raw request the server received: (method, path, headers, body).
    received: list[tuple[str, str, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = dict(self.headers.items())
        self.server.received.append(("POST", self.path, headers, body))
        # The kit forwards with the vendor's Host header kept: answer as that host would.
        host = self.headers.get("Host", "localhost")
        request = httpx.Request("POST", f"https://{host}{self.path}", headers=headers, content=body)
        response = self.server.emulator.handle(request)
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class _Server(ThreadingHTTPServer):
    emulator: Emulator
    received: list[tuple[str, str, dict[str, str], bytes]]


@contextmanager
def serve_emulator() -> Iterator[ServedEmulator]:
    """An emulator served over HTTP on 127.0.0.1 while in the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.emulator = Emulator(seed=7)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield ServedEmulator(server.emulator, f"http://{host!s}:{port}", server.received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# What every inner test module starts with: a Face++ and a Tencent call made the way an
# application would make them, with httpx.
PRELUDE = """
import base64, json, time
import httpx, pytest
from pytest_densemark import facepp, tencent
from pytest_densemark.faces import Face
from pytest_densemark.images import make_image

IMAGE = make_image("JPEG", 640, 480)

def call_facepp(client=None, host="api-cn.faceplusplus.com", key="k", secret="s", **extra):
    client = client or httpx.Client()
    return client.post(
        f"https://{host}{facepp.PATH}",
        data={"api_key": key, "api_secret": secret, "return_landmark": "all", **extra},
        files={"image_file": ("face.jpg", IMAGE, "image/jpeg")},
    )

def call_tencent(host="iai.tencentcloudapi.com", image=IMAGE):
    return httpx.post(
        f"https://{host}/",
        json={"Image": base64.b64encode(image).decode(), "Mode": 0},
        headers={
            "X-TC-Action": "AnalyzeDenseLandmarks",
            "X-TC-Version": "2020-03-03",
            "X-TC-Timestamp": str(int(time.time())),
            "Authorization": (
                "TC3-HMAC-SHA256 Credential=AKIDexample/2024-01-01/iai/tc3_request,"
                " SignedHeaders=content-type;host, Signature=" + "0" * 64
            ),
        },
    )

def landmark_keys(body):
    return sum(len(part) for part in body["face"]["landmark"].values())
"""


#: Runs an inner test module (PRELUDE + source) in process and returns the result.
Runner = Callable[..., pytest.RunResult]
