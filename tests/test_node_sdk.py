"""The official Node.js SDK (npm ``tencentcloud-sdk-nodejs``) against the loopback server,
pointed at it as the README says: ``endpoint: "127.0.0.1:PORT"``, ``protocol: "http://"``.

The SDK is installed once into a cache folder (``DENSEMARK_NODE_SDK_DIR``, default
``~/.cache/pytest-densemark/node-sdk``); the tests are skipped, saying why, only when node or
npm is missing or npm cannot install it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from pytest_densemark import tc3, tencent
from pytest_densemark.images import make_image
from pytest_densemark.server import CONTROL_PREFIX, DensemarkServer

SECRET_ID = "AKIDsyntheticNodeEXAMPLE"
SECRET_KEY = "synthetic-node-secret-key"
SCRIPT = Path(__file__).parent / "node" / "analyze.js"
PACKAGE = "tencentcloud-sdk-nodejs@4"


def _sdk_dir() -> Path:
    default = Path.home() / ".cache" / "pytest-densemark" / "node-sdk"
    return Path(os.environ.get("DENSEMARK_NODE_SDK_DIR", default))


def _skip(reason: str) -> NoReturn:
    """Skip, except in CI, which installs node and the SDK itself (.ci/run): there, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the Node.js SDK tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """The folder holding node_modules/tencentcloud-sdk-nodejs (installed on first use)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _skip("node or npm is not installed: the Node.js SDK cannot be run")
    root = _sdk_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _skip(f"cannot create the Node.js SDK folder {root}: {exc.strerror or exc}")
    marker = root / "node_modules" / "tencentcloud-sdk-nodejs" / "package.json"
    with open(root / ".lock", "w") as lock:  # xdist workers install one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            command = ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(root), PACKAGE]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                _skip(f"npm install {PACKAGE} took over 300 s")
            if done.returncode != 0 or not marker.is_file():
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                _skip(f"npm could not install {PACKAGE}: {' / '.join(tail)}")
    return root


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DensemarkServer]:
    """A loopback server that checks signatures, with no proxy in the way."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with DensemarkServer() as server:
        server.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
        yield server


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic JPEG with one face."""
    path = tmp_path_factory.mktemp("node") / "face.jpg"
    path.write_bytes(make_image("JPEG", 320, 240, seed=8))
    return path


def run_node(
    sdk: Path, endpoint: str, version: str, image: Path, *, secret_key: str = SECRET_KEY
) -> dict[str, Any]:
    command = ["node", str(SCRIPT), str(sdk), endpoint, version, SECRET_ID, secret_key, str(image)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_node_sdk_passes_the_signature_check(
    node_sdk: Path, server: DensemarkServer, image_file: Path, version: str
) -> None:
    answer = run_node(node_sdk, server.tencent_endpoint, version, image_file)
    assert answer == {"ok": True, "width": 320, "faces": 1, "requestId": answer["requestId"]}
    (call,) = server.calls
    assert call.version == version
    # A wrong secret still fails.
    wrong = run_node(node_sdk, server.tencent_endpoint, version, image_file, secret_key="nope")
    assert (wrong["ok"], wrong["code"]) == (False, "AuthFailure.SignatureFailure")


@pytest.mark.parametrize("version", tencent.VERSIONS)
def test_errors_injected_through_the_control_api_reach_the_node_sdk(
    node_sdk: Path, server: DensemarkServer, image_file: Path, version: str
) -> None:
    fault = {"type": "error", "vendor": "tencent", "error": "FailedOperation.UnKnowError"}
    response = httpx.post(f"{server.url}{CONTROL_PREFIX}fault", json=fault)
    assert response.status_code == 200, response.text
    answer = run_node(node_sdk, server.tencent_endpoint, version, image_file)
    assert (answer["ok"], answer["code"]) == (False, "FailedOperation.UnKnowError")
    assert answer["requestId"] == server.calls[-1].json()["Response"]["RequestId"]


# -- exactly what a loopback address forces, and nothing else -------------------------------


def signed(host: str, *, signed_host: str, service: str) -> tuple[dict[str, str], bytes]:
    body = b'{"Image":"x"}'
    timestamp = 1_700_000_000
    canonical = tc3.canonical_request(
        method="POST",
        path="/",
        query="",
        headers={"content-type": tencent.CONTENT_TYPE, "host": signed_host},
        signed_headers=tc3.DEFAULT_SIGNED_HEADERS,
        body=body,
    )
    signature = tc3.sign(SECRET_KEY, timestamp=timestamp, canonical=canonical, service=service)
    date = tc3.credential_date(timestamp)
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[1],
        "X-TC-Timestamp": str(timestamp),
        "Authorization": f"{tc3.ALGORITHM} Credential={SECRET_ID}/{date}/{service}/tc3_request,"
        f" SignedHeaders=content-type;host, Signature={signature}",
    }
    return headers, body


@pytest.mark.parametrize(
    ("host", "signed_host", "service", "accepted"),
    [
        ("127.0.0.1:8123", "127.0.0.1:8123", "iai", True),  # Python SDK, curl
        ("127.0.0.1:8123", "127.0.0.1", "127", True),  # Node SDK on loopback
        ("127.0.0.1:8123", "127.0.0.1", "iai", True),
        ("localhost:8123", "localhost", "localhost:8123", True),
        ("127.0.0.1:8123", "127.0.0.2", "127", False),  # another host
        ("127.0.0.1:8123", "127.0.0.1", "cvm", False),  # another service
        ("iai.tencentcloudapi.com", "iai.tencentcloudapi.com", "iai", True),
        ("iai.tencentcloudapi.com:8443", "iai.tencentcloudapi.com", "iai", False),
        ("iai.tencentcloudapi.com", "iai.tencentcloudapi.com", "iai2", False),
    ],
)
def test_only_loopback_quirks_are_accepted(
    host: str, signed_host: str, service: str, accepted: bool
) -> None:
    from pytest_densemark.emulator import Emulator

    emulator = Emulator(clock=lambda: 1_700_000_000)
    emulator.set_credentials(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    headers, body = signed(host, signed_host=signed_host, service=service)
    url = f"http://{host}/"
    response = emulator.handle(httpx.Request("POST", url, headers=headers, content=body))
    code = response.json()["Response"].get("Error", {}).get("Code")
    # The body's image is junk: past the signature the answer is an image error.
    assert (code != "AuthFailure.SignatureFailure") is accepted, code
