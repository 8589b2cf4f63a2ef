"""Rebuild the shipped cassette library (``cassettes/``) from the face model and the emulator.

Every cassette is synthetic and reproducible: images, faces, request ids, timing, timestamps
and the Face++ key order come from fixed seeds and constants, so building twice gives
byte-identical files. Bodies keep the emulator's key order: Face++ landmarks in a hash-like
order that differs between answers, as the vendor's do (a client must never rely on it).
Run from the repository root::

    python scripts/build_cassettes.py            # rewrite cassettes/
    python scripts/build_cassettes.py --check    # exit 1 if cassettes/ is out of date
    python scripts/build_cassettes.py --out DIR  # build somewhere else

Naming: ``<vendor>/<scenario>.json``; errors are ``<vendor>/error-<NAME or Code>.json``;
Tencent scenarios use API version 2020-03-03 unless the name ends in ``-2018-03-01``.
"""

from __future__ import annotations

import argparse
import base64
import filecmp
import json
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pytest_densemark import facepp, payloads, tc3, tencent
from pytest_densemark.cassettes import cassette_document, redact_request, write_cassette
from pytest_densemark.emulator import Emulator
from pytest_densemark.faces import Face
from pytest_densemark.images import make_faceless_image, make_image

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "cassettes"

# Made-up credentials: the requests are signed and checked like real ones, and the writer
# refuses to write a cassette in which any of these values survived redaction.
API_KEY = "densemark-synthetic-api-key-0001"
API_SECRET = "densemark-synthetic-api-secret-0001"
SECRET_ID = "AKIDdensemarkSyntheticSecretId0001"
SECRET_KEY = "densemarkSyntheticSecretKey0001"
SECRETS = {
    "api_key": API_KEY,
    "api_secret": API_SECRET,
    "SecretId": SECRET_ID,
    "SecretKey": SECRET_KEY,
}
#: Keys whose value is a radius, not a point.
RADII = facepp.TOTAL_KEYS - facepp.TOTAL_POINTS
#: Fixed request time (2024-05-01T00:00:00Z) so signatures and headers never change.
TIMESTAMP = 1_714_521_600
REGION = "ap-guangzhou"
DEFAULT_VERSION = tencent.VERSIONS[-1]

IMAGE_SIZE = (640, 480)
#: The one ordinary face most scenarios use: frontal, fully inside a 640x480 image.
FACE = Face(left=230, top=120, width=180, height=220, seed=1)
#: As many faces as Tencent returns, side by side, of different sizes and people.
FIVE_FACES = tuple(
    Face(left=20 + 125 * i, top=150 + 10 * (i % 2), width=100 + 4 * i, height=120 + 5 * i, seed=i)
    for i in range(tencent.MAX_FACES)
)
#: A face whose box runs off the image's left and top edges.
OUTSIDE_FACE = Face(left=-60, top=-40, width=260, height=300, seed=3)


@dataclass
class Step:
    """One exchange: the request to send and how to prime the emulator before sending it.

    ``request`` may be a function of the answers so far (a face_token from Detect, say).
    """

    request: httpx.Request | Callable[[list[httpx.Response]], httpx.Request]
    prime: Callable[[Emulator], None] = lambda emulator: None


@dataclass
class Scenario:
    """One cassette: where it goes, what it says, and its exchanges."""

    name: str
    vendor: str
    description: str
    steps: list[Step] = field(default_factory=list)
    version: str | None = None


def facepp_request(image: bytes, return_landmark: str = facepp.ALL) -> httpx.Request:
    """A Face++ request as the vendor's own demo sends it: multipart with an image file."""
    fields = {"api_key": API_KEY, "api_secret": API_SECRET, "return_landmark": return_landmark}
    return httpx.Request(
        "POST", facepp.URL, data=fields, files={"image_file": ("image.jpg", image, "image/jpeg")}
    )


def tencent_request(
    image: bytes, *, mode: int = tencent.MODES[0], version: str = DEFAULT_VERSION
) -> httpx.Request:
    """A signed AnalyzeDenseLandmarks request as the official SDK sends it."""
    body = json.dumps(
        {"Image": base64.b64encode(image).decode("ascii"), "Mode": mode},
        separators=(",", ":"),
    ).encode("utf-8")
    authorization = tc3.authorization_header(
        SECRET_ID, SECRET_KEY, host=tencent.HOST, body=body, timestamp=TIMESTAMP
    )
    headers = {
        "Content-Type": tencent.CONTENT_TYPE,
        "Host": tencent.HOST,
        "X-TC-Action": tencent.ACTION,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(TIMESTAMP),
        "X-TC-Region": REGION,
        "Authorization": authorization,
    }
    return httpx.Request("POST", f"https://{tencent.HOST}/", content=body, headers=headers)


def _image(faces: Sequence[Face], seed: int) -> bytes:
    width, height = IMAGE_SIZE
    if not faces:
        return make_faceless_image("JPEG", width, height, seed=seed)
    return make_image("JPEG", width, height, faces=faces, seed=seed)


# --- the scenarios --------------------------------------------------------------------------


def facepp_scenarios() -> Iterator[Scenario]:
    """Every Face++ cassette of the library."""
    one = _image([FACE], 1)
    yield Scenario(
        "facepp/full-9part",
        "facepp",
        f"One frontal face, return_landmark=all: all {len(facepp.ALL_PARTS)} parts"
        f" ({facepp.TOTAL_POINTS} points and {RADII} pupil radii).",
        [Step(facepp_request(one))],
    )

    def legacy(emulator: Emulator) -> None:
        body = payloads.facepp_success(
            FACE,
            parts=facepp.LEGACY_PARTS,
            request_id=f"{TIMESTAMP},00000000-0000-4000-8000-000000000007",
            time_used=211,
        )
        body = payloads.facepp_reordered(body, seed=7)
        emulator.queue_response("facepp", body, headers={"Content-Type": facepp.CONTENT_TYPE})

    yield Scenario(
        "facepp/legacy-7part",
        "facepp",
        "The format before 2019-08-19: return_landmark=all answered with"
        f" {len(facepp.LEGACY_PARTS)} parts (no eyelids).",
        [Step(facepp_request(one), legacy)],
    )
    partial = ("left_eye", "right_eye", "mouth")
    yield Scenario(
        "facepp/partial-parts",
        "facepp",
        f"return_landmark={','.join(partial)}: only those {len(partial)} parts come back.",
        [Step(facepp_request(one, ",".join(partial)))],
    )
    yield Scenario(
        "facepp/no-face",
        "facepp",
        "An image without a face: HTTP 200 and no 'face' in the body.",
        [Step(facepp_request(_image([], 2)))],
    )
    yield Scenario(
        "facepp/face-partly-outside",
        "facepp",
        "A face whose box runs off the image's top-left corner: coordinates below 0.",
        [Step(facepp_request(_image([OUTSIDE_FACE], 3)))],
    )
    size = facepp.IMAGE_LIMITS.min_face_size(*IMAGE_SIZE)
    small = Face(left=270, top=190, width=size, height=size, seed=4)
    yield Scenario(
        "facepp/min-size-face",
        "facepp",
        f"The smallest face the service finds in a {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} image"
        f" ({size}x{size} px).",
        [Step(facepp_request(_image([small], 4)))],
    )

    def landmark_by_token(answers: list[httpx.Response]) -> httpx.Request:
        token = answers[-1].json()["faces"][0]["face_token"]
        fields = {
            "api_key": API_KEY,
            "api_secret": API_SECRET,
            "return_landmark": facepp.ALL,
            "face_token": token,
        }
        return httpx.Request("POST", facepp.URL, data=fields)

    detect = httpx.Request(
        "POST",
        facepp.DETECT_URL,
        data={"api_key": API_KEY, "api_secret": API_SECRET},
        files={"image_file": ("image.jpg", one, "image/jpeg")},
    )
    yield Scenario(
        "facepp/detect-then-landmark",
        "facepp",
        "POST /facepp/v3/detect issues a face_token (minimal answer: face_token and"
        " face_rectangle per face), then thousandlandmark is called with that face_token"
        " and answers for the same face.",
        [Step(detect), Step(landmark_by_token)],
    )
    retry = facepp.ERRORS["CONCURRENCY_LIMIT_EXCEEDED"]

    def fail_twice(emulator: Emulator) -> None:
        emulator.inject_error("facepp", retry.name, times=2)

    yield Scenario(
        "facepp/retry-twice-then-success",
        "facepp",
        f"The same request fails twice with HTTP {retry.status} {retry.name}, then succeeds"
        f" with all {len(facepp.ALL_PARTS)} parts: for testing retry logic.",
        [
            Step(facepp_request(one), fail_twice),
            Step(facepp_request(one)),
            Step(facepp_request(one)),
        ],
    )
    for error in facepp.ERRORS.values():
        message = error.message()
        kind = "plain text" if not error.json else "JSON"
        yield Scenario(
            f"facepp/error-{error.name}",
            "facepp",
            f"HTTP {error.status} {kind} {message!r}: {error.description}",
            [Step(facepp_request(one), _inject("facepp", error.name))],
        )
    # Every reason of AUTHORIZATION_ERROR (the first one is error-AUTHORIZATION_ERROR above).
    authorization = facepp.ERRORS["AUTHORIZATION_ERROR"]
    for reason in authorization.args[1:]:
        slug = reason.lower().replace(" ", "-")
        yield Scenario(
            f"facepp/error-{authorization.name}-{slug}",
            "facepp",
            f"HTTP {authorization.status} JSON {authorization.message(reason)!r}:"
            f" {authorization.description}",
            [Step(facepp_request(one), _inject("facepp", authorization.name, reason))],
        )


def _inject(vendor: str, name: str, arg: str | None = None) -> Callable[[Emulator], None]:
    def prime(emulator: Emulator) -> None:
        emulator.inject_error(vendor, name, times=1, arg=arg)

    return prime


def _empty_no_face(emulator: Emulator) -> None:
    emulator.set_tencent_no_face("empty")


def tencent_scenarios() -> Iterator[Scenario]:
    """Every Tencent cassette of the library."""
    one = _image([FACE], 11)
    five = _image(FIVE_FACES, 12)
    mode_all, mode_largest = tencent.MODES
    for version in tencent.VERSIONS:
        suffix = "" if version == DEFAULT_VERSION else f"-{version}"
        tag = f" (API {version})"
        yield Scenario(
            f"tencent/one-face{suffix}",
            "tencent",
            f"One frontal face, Mode {mode_all}: one DenseFaceShape{tag}.",
            [Step(tencent_request(one, version=version))],
            version,
        )
        yield Scenario(
            f"tencent/five-faces{suffix}",
            "tencent",
            f"{len(FIVE_FACES)} faces, Mode {mode_all} (all faces): {len(FIVE_FACES)}"
            f" DenseFaceShapes{tag}.",
            [Step(tencent_request(five, version=version))],
            version,
        )
        yield Scenario(
            f"tencent/largest-face{suffix}",
            "tencent",
            f"{len(FIVE_FACES)} faces, Mode {mode_largest}: only the largest face comes back{tag}.",
            [Step(tencent_request(five, mode=mode_largest, version=version))],
            version,
        )
        yield Scenario(
            f"tencent/no-face{suffix}",
            "tencent",
            "An image without a face, answered as in the action doc's own output example:"
            " a success with an empty DenseFaceShapeSet (synthetic; the other documented"
            f" answer is tencent/error-{tencent.NO_FACE_ERROR}){tag}.",
            [Step(tencent_request(_image([], 13), version=version), _empty_no_face)],
            version,
        )
        code = "RequestLimitExceeded"

        def fail_twice(emulator: Emulator, code: str = code) -> None:
            emulator.inject_error("tencent", code, times=2)

        request = tencent_request(one, version=version)
        yield Scenario(
            f"tencent/retry-twice-then-success{suffix}",
            "tencent",
            f"The same request fails twice with {code}, then succeeds with one face{tag}:"
            " for testing retry logic.",
            [Step(request, fail_twice), Step(request), Step(request)],
            version,
        )
    for error in tencent.ERRORS.values():
        version = DEFAULT_VERSION if DEFAULT_VERSION in error.versions else error.versions[-1]
        scope = "action-specific" if error.scope == "action" else "common API 3.0"
        yield Scenario(
            f"tencent/error-{error.code}",
            "tencent",
            f"HTTP 200 error envelope, {scope} code {error.code}: {error.message}",
            [Step(tencent_request(one, version=version), _inject("tencent", error.code))],
            version,
        )


# --- building -------------------------------------------------------------------------------


def _response(response: httpx.Response) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "")
    body: Any
    if content_type.split(";")[0].strip().endswith("json"):
        body = json.loads(response.content)  # in the order answered
    else:
        body = response.text
    return {"status": response.status_code, "headers": {"Content-Type": content_type}, "body": body}


def build_scenario(scenario: Scenario) -> dict[str, Any]:
    """The cassette document of one scenario, answered by a fresh emulator."""
    # Seeded per scenario (request ids, time_used) and a clock frozen at the requests' time.
    emulator = Emulator(clock=lambda: TIMESTAMP, seed=zlib.crc32(scenario.name.encode()))
    emulator.set_credentials(
        api_key=API_KEY, api_secret=API_SECRET, secret_id=SECRET_ID, secret_key=SECRET_KEY
    )
    interactions = []
    answers: list[httpx.Response] = []
    for step in scenario.steps:
        step.prime(emulator)
        request = step.request if isinstance(step.request, httpx.Request) else step.request(answers)
        response = emulator.handle(request)
        answers.append(response)
        interactions.append({"request": redact_request(request), "response": _response(response)})
    return cassette_document(
        vendor=scenario.vendor,
        action=facepp.ACTION if scenario.vendor == "facepp" else tencent.ACTION,
        version=scenario.version,
        description=scenario.description,
        source="synthetic",
        interactions=interactions,
    )


def scenarios() -> list[Scenario]:
    """Every scenario of the library, Face++ first."""
    return [*facepp_scenarios(), *tencent_scenarios()]


def build(out: Path) -> list[Path]:
    """Write every cassette under ``out``; remove stale ``*.json`` there; return the paths."""
    written = []
    for scenario in scenarios():
        path = out / f"{scenario.name}.json"
        write_cassette(path, build_scenario(scenario), secrets=SECRETS)
        written.append(path)
    keep = {p.resolve() for p in written}
    for vendor in ("facepp", "tencent"):
        for stale in (out / vendor).glob("*.json"):
            if stale.resolve() not in keep:
                stale.unlink()
    return written


def check(out: Path) -> list[str]:
    """Names of the files in ``out`` that differ from a fresh build (empty when current)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        build(fresh)
        names = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*.json")}
        names |= (
            {p.relative_to(out).as_posix() for p in out.rglob("*.json")} if out.is_dir() else set()
        )
        return sorted(
            name
            for name in names
            if not (fresh / name).is_file()
            or not (out / name).is_file()
            or not filecmp.cmp(fresh / name, out / name, shallow=False)
        )


def markdown_table() -> str:
    """The library as a Markdown table (name, API version, interactions, description)."""
    rows = ["| cassette | API version | interactions | description |", "|---|---|---|---|"]
    for scenario in scenarios():
        description = scenario.description.replace("|", "\\|")
        version = scenario.version or "-"
        rows.append(f"| `{scenario.name}` | {version} | {len(scenario.steps)} | {description} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Build (or with ``--check`` verify) the library; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=LIBRARY, help="target directory")
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    parser.add_argument(
        "--table", action="store_true", help="print the library as a Markdown table and exit"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table())
        return 0
    if args.check:
        stale = check(args.out)
        for name in stale:
            print(f"{args.out / name}: out of date; run python scripts/build_cassettes.py")
        return 1 if stale else 0
    paths = build(args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} cassettes to {args.out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
