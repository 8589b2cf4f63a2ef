"""TLS for the loopback server: DensemarkServer(tls=True), densemark serve --tls, and the
clear refusal a TLS handshake gets from a plain server."""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import requests

pytest.importorskip("trustme")

from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models

from pytest_densemark import facepp
from pytest_densemark.images import make_image
from pytest_densemark.server import CONTROL_CONNECTIONS, DensemarkServer
from pytest_densemark.tls import CERTIFICATE_NAMES

SECRET_ID = "AKIDsyntheticTLS"
SECRET_KEY = "synthetic-tls-secret"
JPEG = make_image("JPEG", 320, 240, seed=2)
FIELDS = {"api_key": "k", "api_secret": "s", "return_landmark": "left_eye"}


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DensemarkServer]:
    """One HTTPS server for the module, its emulator checking Tencent signatures."""
    with DensemarkServer(tls=True) as server:
        server.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
        yield server


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests never go to a proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_requests_over_https_with_the_ca_bundle(tls_server: DensemarkServer) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
    response = requests.post(
        tls_server.facepp_url, data=FIELDS, files=files, verify=tls_server.ca_bundle, timeout=10
    )
    assert response.status_code == 200
    assert set(response.json()["face"]["landmark"]) == {"left_eye"}


def test_the_certificate_is_refused_without_the_bundle(tls_server: DensemarkServer) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/_densemark/", timeout=10, verify=True)


@pytest.mark.parametrize("name", ["localhost", *facepp.HOSTS])
def test_certificate_names(tls_server: DensemarkServer, name: str) -> None:
    assert name in CERTIFICATE_NAMES
    context = ssl.create_default_context(cafile=tls_server.ca_bundle)
    with (
        socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_tencent_python_sdk_over_https(tls_server: DensemarkServer) -> None:
    http = HttpProfile(
        protocol="https", endpoint=tls_server.tencent_endpoint, certification=tls_server.ca_bundle
    )
    client = iai_client.IaiClient(
        Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", ClientProfile(httpProfile=http)
    )
    request = models.AnalyzeDenseLandmarksRequest()
    request.Image = base64.b64encode(JPEG).decode()
    answer = client.AnalyzeDenseLandmarks(request)
    assert answer.ImageWidth == 320


def test_plain_http_on_the_tls_port_is_refused_clearly() -> None:
    with DensemarkServer(tls=True, request_timeout=2.0) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET /_densemark/ HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = raw.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 400")
        assert "plain HTTP arrived on a TLS port" in answer
        # The server keeps serving TLS clients.
        assert server.tls is not None
        response = httpx.get(server.url + "/_densemark/", verify=server.tls.client_context())
        assert response.status_code == 200


def test_plain_server_refuses_a_tls_handshake_at_once() -> None:
    with DensemarkServer() as server:
        context = ssl.create_default_context()
        started = time.monotonic()
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="localhost")
        assert time.monotonic() - started < 2
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"\x16\x03\x01\x00\x05hello")
            answer = raw.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 400")
        assert "TLS handshake arrived on a plain-HTTP port" in answer


def test_plain_server_has_no_ca_bundle() -> None:
    with pytest.raises(RuntimeError, match="tls=True"):
        _ = DensemarkServer().ca_bundle


def test_densemark_serve_tls_prints_the_ca_bundle() -> None:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with subprocess.Popen(
        [sys.executable, "-m", "pytest_densemark.cli", "serve", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline().decode() for _ in range(5)]
            printed = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
            bundle = printed["CA bundle"].strip()
            url = printed["Face++ URL"].strip()
            assert url.startswith("https://127.0.0.1:")
            files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
            response = requests.post(url, data=FIELDS, files=files, verify=bundle, timeout=10)
            assert response.status_code == 200
            assert json.loads(response.content)["face"]["landmark"]
            # The official Tencent SDK over https, trusting the printed bundle.
            endpoint = printed["Tencent endpoint"].strip()
            http = HttpProfile(protocol="https", endpoint=endpoint, certification=bundle)
            client = iai_client.IaiClient(
                Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", ClientProfile(httpProfile=http)
            )
            request = models.AnalyzeDenseLandmarksRequest()
            request.Image = base64.b64encode(JPEG).decode()
            assert client.AnalyzeDenseLandmarks(request).ImageWidth == 320
        finally:
            process.terminate()
            process.wait(10)
    assert process.returncode == 0


@pytest.mark.densemark(credentials={"api_key": "k", "api_secret": "s"})
def test_the_tls_fixture(densemark_tls_server: DensemarkServer) -> None:
    assert densemark_tls_server.facepp_url.startswith("https://127.0.0.1:")
    files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
    good = requests.post(
        densemark_tls_server.facepp_url,
        data=FIELDS,
        files=files,
        verify=densemark_tls_server.ca_bundle,
        timeout=10,
    )
    assert good.status_code == 200
    bad = requests.post(
        densemark_tls_server.facepp_url,
        data={**FIELDS, "api_key": "other"},
        files=files,
        verify=densemark_tls_server.ca_bundle,
        timeout=10,
    )
    assert bad.json()["error_message"] == "AUTHENTICATION_ERROR"
    assert len(densemark_tls_server.calls) == 2


def _tls_over_raw_socket(
    server: DensemarkServer, raw: socket.socket
) -> tuple[ssl.SSLObject, ssl.MemoryBIO]:
    """A TLS session driven through memory buffers, so the raw socket's reads stay visible;
    and the buffer holding what it has to send."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    assert server.tls is not None
    tls = server.tls.client_context().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
    raw.sendall(outgoing.read())
    return tls, outgoing


def _read_until_closed(raw: socket.socket) -> None:
    while raw.recv(65536):
        pass


def test_injected_disconnect_over_tls_is_a_tcp_reset() -> None:
    """Over TLS too the connection is aborted (RST, no close_notify): the raw socket under
    the TLS session fails with ECONNRESET once the server's last records are read."""
    with DensemarkServer(tls=True) as server:
        server.inject_disconnect(vendor="facepp")
        body = b"api_key=k&api_secret=s&return_landmark=all"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            tls, outgoing = _tls_over_raw_socket(server, raw)
            tls.write(
                f"POST {facepp.PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            raw.sendall(outgoing.read())
            with pytest.raises(ConnectionResetError):
                _read_until_closed(raw)  # session tickets sent after the handshake, then RST
        assert [call.fault for call in server.calls] == ["disconnect"]


def test_injected_disconnect_over_tls_is_a_connection_error_for_requests(
    tls_server: DensemarkServer,
) -> None:
    tls_server.inject_disconnect(vendor="facepp")
    files = {"image_file": ("face.jpg", JPEG, "image/jpeg")}
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            tls_server.facepp_url, data=FIELDS, files=files, verify=tls_server.ca_bundle, timeout=10
        )


def test_control_only_slots_over_tls_are_given_back() -> None:
    """Each control-only connection frees its slot when it ends, over TLS as over plain HTTP
    (the slot was kept for the socket the handshake replaced, so after CONTROL_CONNECTIONS of
    them the control API answered no one while vendor clients filled every slot)."""
    with DensemarkServer(tls=True, max_connections=1) as server:
        context = ssl.create_default_context(cafile=server.ca_bundle)
        held = context.wrap_socket(
            socket.create_connection(("127.0.0.1", server.port), timeout=10),
            server_hostname="127.0.0.1",
        )
        try:
            deadline = time.monotonic() + 5
            while server.active_connections < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            for _ in range(CONTROL_CONNECTIONS + 2):
                with context.wrap_socket(
                    socket.create_connection(("127.0.0.1", server.port), timeout=10),
                    server_hostname="127.0.0.1",
                ) as sock:
                    sock.sendall(b"GET /_densemark/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    assert sock.recv(100).startswith(b"HTTP/1.1 200 ")
                deadline = time.monotonic() + 5
                while server.active_connections > 1 and time.monotonic() < deadline:
                    time.sleep(0.01)
        finally:
            held.close()
