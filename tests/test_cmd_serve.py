"""``densemark serve`` run as a real process: addresses on stdout, real requests, clean stops."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_densemark import facepp, tc3, tencent
from pytest_densemark.cassettes import load_cassette
from pytest_densemark.images import make_image
from pytest_densemark.server import DensemarkServer

#: Upper bound on anything one step of these tests waits for; a broken server fails, not hangs.
TIMEOUT = 10.0

SECRET_ID = "AKIDsyntheticSERVE"
SECRET_KEY = "synthetic-serve-secret"

#: The Face++ image fields these requests use, taken from the vendor facts.
IMAGE_FILE, IMAGE_BASE64 = (
    next(f for f in facepp.IMAGE_FIELDS if f.endswith(suffix)) for suffix in ("_file", "_base64")
)

FACEPP_LABEL = "Face++ URL:"
TENCENT_LABEL = "Tencent endpoint:"


def serve_argv(*args: str) -> list[str]:
    """The command line of ``densemark serve`` with ``args``, run by this interpreter."""
    return [sys.executable, "-m", "pytest_densemark.cli", "serve", *args]


def child_env() -> dict[str, str]:
    """The child's environment: no forced unbuffering (the command must flush by itself)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class Served:
    """A running ``densemark serve`` process and the addresses it printed."""

    process: subprocess.Popen[bytes]
    facepp_url: str
    tencent_endpoint: str
    head: list[str]

    @property
    def port(self) -> int:
        """The TCP port the printed addresses name."""
        return int(self.tencent_endpoint.rsplit(":", 1)[1])

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send ``signum``; the exit code and the rest of stdout and stderr, as text."""
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, out.decode(), err.decode()


def read_addresses(process: subprocess.Popen[bytes]) -> tuple[str, str, list[str]]:
    """Read stdout lines until both addresses appear; fail after :data:`TIMEOUT` seconds.

    Reads raw bytes through a selector so a child that never prints (or never flushes) fails
    the test at the deadline instead of blocking ``readline`` forever.
    """
    assert process.stdout is not None
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + TIMEOUT
    buffer = b""
    facepp_url = tencent_endpoint = None
    try:
        while facepp_url is None or tencent_endpoint is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                pytest.fail(f"densemark serve printed no addresses within {TIMEOUT}s: {buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                pytest.fail(f"densemark serve closed stdout before the addresses: {buffer!r}")
            buffer += chunk
            for line in buffer.decode().splitlines():
                if line.startswith(FACEPP_LABEL):
                    facepp_url = line.removeprefix(FACEPP_LABEL).strip()
                elif line.startswith(TENCENT_LABEL):
                    tencent_endpoint = line.removeprefix(TENCENT_LABEL).strip()
    finally:
        selector.close()
    return facepp_url, tencent_endpoint, buffer.decode().splitlines()


@contextlib.contextmanager
def serve(*args: str) -> Iterator[Served]:
    """Run ``densemark serve --port 0 *args`` until the block ends; always reaps the process.

    stdout is read unbuffered (``bufsize=0``) so nothing the selector saw is hidden in a
    Python-level buffer.
    """
    process = subprocess.Popen(
        serve_argv("--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
        bufsize=0,
    )
    try:
        facepp_url, endpoint, head = read_addresses(process)
        yield Served(process, facepp_url, endpoint, head)
    finally:
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=TIMEOUT)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """POST through urllib straight to loopback (no proxy); status and parsed JSON body."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def facepp_request(url: str, image: bytes) -> tuple[int, Any]:
    """A Face++ thousandlandmark call, urlencoded with ``image_base64``, all parts."""
    fields = {
        facepp.CREDENTIAL_FIELDS[0]: "synthetic-key",
        facepp.CREDENTIAL_FIELDS[1]: "synthetic-secret",
        facepp.RETURN_LANDMARK: facepp.ALL,
        IMAGE_BASE64: base64.b64encode(image).decode(),
    }
    body = urllib.parse.urlencode(fields).encode()
    return post(url, body, {"Content-Type": "application/x-www-form-urlencoded"})


def facepp_multipart(url: str, image: bytes) -> tuple[int, Any]:
    """The same call as multipart/form-data with ``image_file``, built by hand."""
    boundary = "densemark-synthetic-boundary"
    fields = {
        facepp.CREDENTIAL_FIELDS[0]: "synthetic-key",
        facepp.CREDENTIAL_FIELDS[1]: "synthetic-secret",
        facepp.RETURN_LANDMARK: facepp.ALL,
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{IMAGE_FILE}"; '
        'filename="synthetic.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + image
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return post(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def tencent_request(
    endpoint: str, image: bytes, *, secret_key: str = SECRET_KEY
) -> tuple[int, Any]:
    """A TC3-signed AnalyzeDenseLandmarks call to ``endpoint`` (host:port), as the SDK sends it."""
    body = json.dumps({"Image": base64.b64encode(image).decode()}).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "Host": endpoint,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[-1],
        "X-TC-Timestamp": str(timestamp),
        "Authorization": tc3.authorization_header(
            SECRET_ID, secret_key, host=endpoint, body=body, timestamp=timestamp
        ),
    }
    return post(f"http://{endpoint}/", body, headers)


def port_is_closed(port: int) -> bool:
    """Whether nothing accepts connections on 127.0.0.1:``port`` any more."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2.0):
            return False
    except OSError:
        return True


def run_failing(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``densemark serve`` expecting it to give up at once."""
    return subprocess.run(
        serve_argv(*args), capture_output=True, text=True, timeout=TIMEOUT * 2, env=child_env()
    )


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A non-zero exit, nothing on stdout, one stderr line containing every needle."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stderr.endswith("\n")
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- serving and stopping --------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serves_both_vendors_and_stops_cleanly_on(signum: int) -> None:
    image = make_image("JPEG", 320, 240, seed=signum)
    with serve("--secret-id", SECRET_ID, "--secret-key", SECRET_KEY) as served:
        port = served.port
        assert served.facepp_url == f"http://127.0.0.1:{port}{facepp.PATH}"
        assert served.tencent_endpoint == f"127.0.0.1:{port}"
        assert port != 0

        status, body = facepp_request(served.facepp_url, image)
        assert status == 200, body
        landmark = body["face"]["landmark"]
        assert sorted(landmark) == sorted(facepp.ALL_PARTS)
        assert sum(len(keys) for keys in landmark.values()) == facepp.TOTAL_KEYS

        status, body = facepp_multipart(served.facepp_url, image)
        assert status == 200, body
        assert body["face"]["landmark"] == landmark  # same image, same deterministic face

        status, body = tencent_request(served.tencent_endpoint, image)
        assert status == 200, body
        response = body["Response"]
        assert "Error" not in response, response
        assert len(response["DenseFaceShapeSet"]) == 1

        code, out, err = served.stop(signum)
    assert code == 0, err
    assert "Traceback" not in err
    assert err == ""
    assert out.splitlines()[-1:] == ["densemark: stopped"]
    assert port_is_closed(port)


def test_credentials_given_on_the_command_line_are_enforced() -> None:
    image = make_image("PNG", 200, 200)
    with serve("--secret-id", SECRET_ID, "--secret-key", SECRET_KEY) as served:
        status, body = tencent_request(served.tencent_endpoint, image, secret_key="wrong")
        code, _, err = served.stop(signal.SIGTERM)
    assert status == 200
    error = body["Response"]["Error"]["Code"]
    assert error in tencent.ERRORS
    assert error.startswith("AuthFailure.")
    assert code == 0, err


def test_addresses_are_readable_through_a_pipe_before_any_request() -> None:
    """The banner is flushed at once: the reader gets it while the server idles."""
    with serve() as served:
        assert served.head[0].startswith("densemark: serving on http://127.0.0.1:")
        assert any(line.startswith("Control API:") for line in served.head)
        assert served.process.poll() is None
        code, _, err = served.stop(signal.SIGTERM)
    assert code == 0, err


def test_a_reader_that_went_away_does_not_break_the_stop() -> None:
    """``densemark serve | head -4``: stdout is a closed pipe when the stop is announced."""
    with serve() as served:
        assert served.process.stdout is not None
        served.process.stdout.close()
        status, _ = facepp_request(served.facepp_url, make_image("JPEG", 160, 120))
        assert status == 200
        served.process.send_signal(signal.SIGTERM)
        assert served.process.stderr is not None
        err = served.process.stderr.read().decode()
        code = served.process.wait(timeout=TIMEOUT)
    assert code == 0, err
    assert err == ""


def test_two_servers_on_port_zero_get_different_ports() -> None:
    with serve() as first, serve() as second:
        assert first.port != second.port
        assert first.stop(signal.SIGTERM)[0] == 0
        assert second.stop(signal.SIGINT)[0] == 0


def test_cassette_option_replays_the_cassette() -> None:
    cassette = load_cassette("facepp/full-9part")
    recorded = cassette.interactions[0].response
    with serve("--cassette", "facepp/full-9part") as served:
        status, body = facepp_multipart(served.facepp_url, make_image("JPEG", 640, 480))
        code, _, err = served.stop(signal.SIGTERM)
    assert code == 0, err
    assert status == recorded.status
    assert body == json.loads(recorded.content)


def test_record_through_serve_then_replay(tmp_path: Path) -> None:
    upstream = DensemarkServer().start()
    image = make_image("JPEG", 640, 480, seed=3)
    try:
        with serve(
            "--record", "new", "--cassette", "served", "--cassette-dir", str(tmp_path),
            "--upstream", upstream.url,
        ) as served:  # fmt: skip
            assert any(line.startswith("densemark: recording ") for line in served.head)
            status, recorded = facepp_request(served.facepp_url, image)
            code, out, err = served.stop(signal.SIGTERM)
        assert code == 0, err
        assert status == 200
        assert f"densemark: recorded {tmp_path / 'served.json'}" in out
        assert len(upstream.calls) == 1
    finally:
        upstream.stop()
    written = (tmp_path / "served.json").read_bytes()
    assert b"synthetic-secret" not in written
    with serve("--cassette", str(tmp_path / "served.json")) as replay:
        status, replayed = facepp_request(replay.facepp_url, image)
        replay.stop(signal.SIGTERM)
    assert (status, replayed) == (200, recorded)


def test_record_without_a_cassette_is_one_clear_line() -> None:
    result = run_failing(["--record", "new"])
    assert_one_clean_line(result, "--record needs --cassette")


# -- refusing to start -----------------------------------------------------------------------


def test_unknown_cassette_is_one_clear_line() -> None:
    result = run_failing(["--cassette", "facepp/no-such-cassette"])
    assert_one_clean_line(result, "--cassette", "no-such-cassette", "not found")


@pytest.mark.parametrize("host", ["10.0.0.1", "0.0.0.0", "example.invalid"])
def test_non_loopback_host_is_one_clear_line(host: str) -> None:
    result = run_failing(["--host", host])
    assert_one_clean_line(result, "--host", host, "loopback")


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_failing(["--port", str(port)])
    assert_one_clean_line(result, f"127.0.0.1:{port}", "in use")


@pytest.mark.parametrize("port", ["65536", "-1"])
def test_out_of_range_port_is_one_clear_line(port: str) -> None:
    result = run_failing(["--port", port])
    assert_one_clean_line(result, "--port", port, "0..65535")


def test_the_command_knows_the_control_prefix_without_importing_the_server() -> None:
    from pytest_densemark import _cmd_serve, server

    assert _cmd_serve.CONTROL_PREFIX == server.CONTROL_PREFIX
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import pytest_densemark.cli as c; c.build_parser();"
            " print(sorted(m for m in ('httpx', 'pytest_densemark.server',"
            " 'pytest_densemark.controller') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_standard_output_closed_serves_and_stops_without_a_traceback() -> None:
    """``densemark serve >&-``: nowhere to print the addresses, but it serves and stops."""
    port = free_port()
    process = subprocess.Popen(
        serve_argv("--port", str(port)),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_env(),
        preexec_fn=lambda: os.close(1),
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while port_is_closed(port):
            assert process.poll() is None, process.communicate(timeout=TIMEOUT)[1]
            assert time.monotonic() < deadline, "densemark serve never listened"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)
    assert err == b""
    assert process.returncode == 0


def test_record_into_a_folder_that_cannot_exist_is_refused_before_serving(tmp_path: Path) -> None:
    """Found at the start, not when the session is over and the recording would be lost."""
    (tmp_path / "file").write_text("not a folder")
    result = run_failing(
        ["--record", "all", "--cassette", "c", "--cassette-dir", str(tmp_path / "file" / "sub")]
    )
    assert_one_clean_line(result, "--record: cannot write", f"{tmp_path / 'file'} is not a folder")
    assert result.returncode == 2


def test_record_folder_lost_while_serving_is_one_line(tmp_path: Path) -> None:
    """The folder is replaced by a file during the session: one line, exit 1, no traceback."""
    upstream = DensemarkServer().start()
    folder = tmp_path / "recordings"
    try:
        with serve(
            "--record", "all", "--cassette", "lost", "--cassette-dir", str(folder),
            "--upstream", upstream.url,
        ) as served:  # fmt: skip
            status, _ = facepp_request(served.facepp_url, make_image("JPEG", 160, 120))
            folder.write_text("now a file")
            code, _, err = served.stop(signal.SIGTERM)
    finally:
        upstream.stop()
    assert status == 200
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith(f"densemark serve: not recorded: {folder / 'lost.json'}: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("upstream", ["notaurl", "ftp://host/", "http://host:99999/"])
def test_a_bad_upstream_is_one_clear_line(upstream: str) -> None:
    result = run_failing(["--record", "new", "--cassette", "x", "--upstream", upstream])
    assert_one_clean_line(result, "--upstream", "expected an http(s) base URL")
