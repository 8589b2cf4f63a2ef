"""Shared test helpers: where the real vendor payloads (the yardstick) live."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: Real Face++ payloads kept beside the project, never copied into it.
CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"


def conformance_dir() -> Path:
    """The conformance folder; fails (not skips) in CI when it is missing."""
    if not CONFORMANCE.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"conformance data missing at {CONFORMANCE}")
        pytest.skip(f"conformance data not found at {CONFORMANCE}")
    return CONFORMANCE


def load_json(path: Path) -> Any:
    """Parse one JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def real_facepp_9part() -> list[dict[str, Any]]:
    """The 20 real 9-part Face++ landmark sets, wrapped as full success bodies."""
    folder = conformance_dir() / "facepp" / "reconstructed-9part"
    bodies = []
    for path in sorted(folder.glob("face-*.json")):
        data = load_json(path)
        bodies.append(
            {
                "time_used": 100,
                "request_id": "1575000000,00000000-0000-4000-8000-000000000000",
                "face": {
                    "face_rectangle": {"top": 0, "left": 0, "width": 1, "height": 1},
                    "landmark": data["face"]["landmark"],
                },
            }
        )
    assert len(bodies) == 20, folder
    return bodies


@pytest.fixture(scope="session")
def real_facepp_7part() -> list[dict[str, Any]]:
    """The two real 2019 7-part Face++ responses, byte-for-byte as recorded."""
    folder = conformance_dir() / "facepp"
    bodies = [load_json(p) for p in sorted(folder.glob("recorded-2019-7part-*.json"))]
    assert len(bodies) == 2, folder
    return bodies
