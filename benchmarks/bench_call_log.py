"""Memory held by the call log: RSS growth of one Emulator over many big Tencent requests.

Sends ``--requests`` AnalyzeDenseLandmarks requests whose ``Image`` is 4 MiB of base64 (a
synthetic 3 MiB JPEG: a real header padded with random bytes) straight to
``Emulator.handle`` and prints the process's resident memory before and after, with the
raw bytes the call log still holds. The call log keeps every call's parameters but raw
bodies only up to ``call_log_raw_bytes`` (32 MiB by default; ``--raw-mib`` sets it, a big
value shows what keeping every body costs). Linux only (reads ``/proc/self/statm``). Run:
``python benchmarks/bench_call_log.py [--requests 60] [--raw-mib 32]``.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import sys

import httpx

from pytest_densemark import tc3, tencent
from pytest_densemark.emulator import Emulator
from pytest_densemark.images import make_image


def rss_mib() -> float:
    """This process's resident set size in MiB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    """Send the requests and print the memory figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests (60)")
    parser.add_argument("--raw-mib", type=int, default=32, help="call_log_raw_bytes in MiB (32)")
    args = parser.parse_args(argv)
    header = make_image("JPEG", 1920, 1080)
    image = header + os.urandom(3 * 2**20 - len(header))  # synthetic
    text = base64.b64encode(image).decode()
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": tencent.VERSIONS[1],
        "X-TC-Timestamp": "1700000000",
        "Authorization": tc3.authorization_header(
            "AKIDbench", "bench-secret", host=tencent.HOST, body=b"{}", timestamp=1700000000
        ),
    }
    emulator = Emulator(call_log_raw_bytes=args.raw_mib * 2**20)

    def send() -> None:
        body = json.dumps({"Image": text}).encode()
        request = httpx.Request("POST", f"https://{tencent.HOST}/", headers=headers, content=body)
        response = emulator.handle(request)
        assert "DenseFaceShapeSet" in response.json()["Response"], response.text[:200]

    send()  # warm: imports and caches
    gc.collect()
    before = rss_mib()
    for _ in range(args.requests):
        send()
    gc.collect()
    after = rss_mib()
    kept = sum(len(call.request.content) for call in emulator.calls) / 2**20
    print(
        f"{len(emulator.calls)} calls of {emulator.calls[0].body_size / 2**20:.1f} MiB each:"
        f" RSS {before:.0f} MiB before, {after:.0f} MiB after (+{after - before:.0f} MiB);"
        f" raw bodies kept {kept:.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
