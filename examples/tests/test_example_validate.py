"""Check what the example client received with ``densemark validate``, as the README shows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from landmark_client import FaceppClient

from pytest_densemark import assert_valid
from pytest_densemark.controller import Controller
from pytest_densemark.images import make_image


def densemark_command() -> list[str]:
    """The installed ``densemark`` script, or the module when scripts are not on PATH."""
    script = shutil.which("densemark")
    return [script] if script else [sys.executable, "-m", "pytest_densemark.cli"]


def test_saved_answer_passes_densemark_validate(densemark: Controller, tmp_path: Path) -> None:
    with FaceppClient("key", "secret") as client:
        face = client.landmarks(make_image("JPEG", 640, 480))
    assert face is not None
    assert_valid(face.raw, "facepp")
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps(face.raw))
    result = subprocess.run(
        [*densemark_command(), "validate", str(saved)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("broken", ["float", "missing"])
def test_densemark_validate_rejects_a_damaged_answer(
    densemark: Controller, tmp_path: Path, broken: str
) -> None:
    with FaceppClient("key", "secret") as client:
        face = client.landmarks(make_image("JPEG", 640, 480))
    assert face is not None
    part, keys = next(iter(face.raw["face"]["landmark"].items()))
    key = next(k for k, v in keys.items() if isinstance(v, dict))
    if broken == "float":
        keys[key]["x"] += 0.5
    else:
        del keys[key]
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps(face.raw))
    result = subprocess.run(
        [*densemark_command(), "validate", str(saved)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"face.landmark.{part}" in result.stdout + result.stderr
