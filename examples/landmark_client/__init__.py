"""landmark_client: a small downstream library calling the two dense-landmark APIs over httpx.

This is the kind of code pytest-densemark exists to test. It does not import the kit: it is
an ordinary application library, written against the vendors' public documentation.

- :class:`FaceppClient` posts an image to Face++ ``thousandlandmark`` (multipart, the vendor
  demo's shape) and retries ``CONCURRENCY_LIMIT_EXCEEDED`` with exponential back-off.
- :class:`TencentClient` signs an ``AnalyzeDenseLandmarks`` call with TC3-HMAC-SHA256 and
  retries ``RequestLimitExceeded`` (and its sub-codes).
- Both parse the answer into ordered polylines: each numbered run of points
  (``face_hairline_0..``, ``upper_lip_0..``) becomes one list in index order, whatever order
  the keys arrived in; Tencent's point lists are already ordered and are kept as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

__all__ = [
    "FaceLandmarks",
    "FaceppClient",
    "FaceppError",
    "LandmarkError",
    "RateLimited",
    "TencentClient",
    "TencentError",
    "TencentFace",
    "parse_facepp",
    "parse_tencent",
]

Point = tuple[int, int]
Polyline = list[Point]

FACEPP_URL = "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark"
TENCENT_ENDPOINT = "iai.tencentcloudapi.com"
TENCENT_VERSION = "2020-03-03"

_NUMBERED = re.compile(r"^(?P<run>.+?)_(?P<index>\d+)$")


class LandmarkError(Exception):
    """A landmark API answered with an error."""


class FaceppError(LandmarkError):
    """Face++ answered with an error: ``status`` and the vendor's ``error_message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Face++ HTTP {status}: {message}")
        self.status = status
        self.message = message


class TencentError(LandmarkError):
    """Tencent answered with an error envelope: ``code``, ``message`` and ``request_id``."""

    def __init__(self, code: str, message: str, request_id: str) -> None:
        super().__init__(f"Tencent {code}: {message} (RequestId {request_id})")
        self.code = code
        self.message = message
        self.request_id = request_id


class RateLimited(LandmarkError):
    """Still rate-limited after every attempt."""

    def __init__(self, attempts: int, last: LandmarkError) -> None:
        super().__init__(f"rate-limited on all {attempts} attempts; last answer: {last}")
        self.attempts = attempts
        self.last = last


@dataclass
class FaceLandmarks:
    """One Face++ face: its box, ordered polylines per part, pupil radii, the raw body."""

    box: tuple[int, int, int, int]  # left, top, width, height
    parts: dict[str, dict[str, Polyline]]
    radii: dict[str, int]
    raw: dict[str, Any] = field(repr=False)

    @property
    def point_count(self) -> int:
        """Every point over every part."""
        return sum(len(line) for runs in self.parts.values() for line in runs.values())


@dataclass
class TencentFace:
    """One Tencent face: its box and its point lists, in the vendor's order."""

    box: tuple[int, int, int, int]  # X, Y, Width, Height
    polylines: dict[str, Polyline]

    @property
    def point_count(self) -> int:
        """Every point over every list."""
        return sum(len(line) for line in self.polylines.values())


def parse_facepp(body: Mapping[str, Any]) -> FaceLandmarks | None:
    """The face in a Face++ success body, or ``None`` when none was found.

    The docs only say ``face`` "is empty" without a face, so absent, ``null`` and ``{}`` all
    mean no face. Keys ending in ``_<n>`` are grouped into one polyline per run, sorted by
    ``n``; other point keys (pupil centres, nostrils) are one-point polylines; integer values
    are radii.
    """
    face = body.get("face")
    if not face:
        return None
    rect = face["face_rectangle"]
    parts: dict[str, dict[str, Polyline]] = {}
    radii: dict[str, int] = {}
    for part, keys in face["landmark"].items():
        runs: dict[str, list[tuple[int, Point]]] = {}
        for key, value in keys.items():
            if isinstance(value, int):
                radii[key] = value
                continue
            match = _NUMBERED.match(key)
            run, index = (match["run"], int(match["index"])) if match else (key, 0)
            runs.setdefault(run, []).append((index, (value["x"], value["y"])))
        parts[part] = {run: [p for _, p in sorted(points)] for run, points in runs.items()}
    box = (rect["left"], rect["top"], rect["width"], rect["height"])
    return FaceLandmarks(box, parts, radii, dict(body))


def parse_tencent(body: Mapping[str, Any]) -> list[TencentFace]:
    """The faces in a Tencent success body (``{"Response": {...}}``)."""
    faces = []
    for shape in body["Response"]["DenseFaceShapeSet"]:
        lines = {
            name: [(p["X"], p["Y"]) for p in value]
            for name, value in shape.items()
            if isinstance(value, list)
        }
        faces.append(TencentFace((shape["X"], shape["Y"], shape["Width"], shape["Height"]), lines))
    return faces


class _Retrying:
    def __init__(self, max_attempts: int, backoff: float, sleep: Callable[[float], None]) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.sleep = sleep

    def pause(self, attempt: int) -> None:
        self.sleep(self.backoff * 2 ** (attempt - 1))


class FaceppClient(_Retrying):
    """Face++ dense landmarks. ``url`` defaults to the vendor's; ``http`` to a new client."""

    RETRYABLE = ("CONCURRENCY_LIMIT_EXCEEDED",)

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        url: str = FACEPP_URL,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(max_attempts, backoff, sleep)
        self.api_key = api_key
        self.api_secret = api_secret
        self.url = url
        self.http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def __enter__(self) -> FaceppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def landmarks(self, image: bytes, *, parts: str = "all") -> FaceLandmarks | None:
        """The largest face's landmarks (``parts``: ``"all"`` or a comma list), or ``None``."""
        data = {"api_key": self.api_key, "api_secret": self.api_secret, "return_landmark": parts}
        last: FaceppError | None = None
        for attempt in range(1, self.max_attempts + 1):
            response = self.http.post(
                self.url, data=data, files={"image_file": ("image.jpg", image, "image/jpeg")}
            )
            if response.status_code == 200:
                return parse_facepp(response.json())
            last = FaceppError(response.status_code, _facepp_message(response))
            if last.message.split(":", 1)[0] not in self.RETRYABLE:
                raise last
            if attempt < self.max_attempts:
                self.pause(attempt)
        assert last is not None
        raise RateLimited(self.max_attempts, last)


def _facepp_message(response: httpx.Response) -> str:
    # Errors are JSON, except the front end's plain-text 413.
    try:
        return str(response.json()["error_message"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip()


class TencentClient(_Retrying):
    """Tencent IAI dense landmarks, signed with TC3-HMAC-SHA256.

    ``endpoint`` is a host (or ``host:port``); ``scheme`` is ``https`` for the real service.
    """

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        endpoint: str = TENCENT_ENDPOINT,
        scheme: str = "https",
        region: str | None = None,
        version: str = TENCENT_VERSION,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(max_attempts, backoff, sleep)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.endpoint = endpoint
        self.scheme = scheme
        self.region = region
        self.version = version
        self.clock = clock
        self.http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def __enter__(self) -> TencentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def analyze(self, image: bytes, *, largest_only: bool = False) -> list[TencentFace]:
        """Every face's landmarks (``largest_only``: Mode 1)."""
        params = {
            "Image": base64.b64encode(image).decode(),
            "Mode": 1 if largest_only else 0,
            "FaceModelVersion": "3.0",
        }
        last: TencentError | None = None
        for attempt in range(1, self.max_attempts + 1):
            body = self._call("AnalyzeDenseLandmarks", params)
            error = body["Response"].get("Error")
            if error is None:
                return parse_tencent(body)
            last = TencentError(error["Code"], error["Message"], body["Response"]["RequestId"])
            if not last.code.startswith("RequestLimitExceeded"):
                raise last
            if attempt < self.max_attempts:
                self.pause(attempt)
        assert last is not None
        raise RateLimited(self.max_attempts, last)

    def _call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        payload = json.dumps(params).encode()
        timestamp = int(self.clock())
        headers = {
            "Content-Type": "application/json",
            "Host": self.endpoint,
            "X-TC-Action": action,
            "X-TC-Version": self.version,
            "X-TC-Timestamp": str(timestamp),
            "Authorization": self._authorization(payload, timestamp),
        }
        if self.region:
            headers["X-TC-Region"] = self.region
        response = self.http.post(
            f"{self.scheme}://{self.endpoint}/", content=payload, headers=headers
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def _authorization(self, payload: bytes, timestamp: int) -> str:
        date = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
        signed_headers = "content-type;host"
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                f"content-type:application/json\nhost:{self.endpoint}\n",
                signed_headers,
                hashlib.sha256(payload).hexdigest(),
            ]
        )
        scope = f"{date}/iai/tc3_request"
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        key = f"TC3{self.secret_key}".encode()
        for part in (date, "iai", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (
            f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )
