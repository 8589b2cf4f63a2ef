"""The built wheel carries the schemas and cassettes and finds them from site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("pytest_densemark-*.whl")
    return built


def test_wheel_carries_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped_schemas = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert shipped_schemas, "schemas/ is empty"
    for name in shipped_schemas:
        assert f"pytest_densemark/schemas/{name}" in names
    for path in (ROOT / "cassettes").rglob("*.json"):
        rel = path.relative_to(ROOT).as_posix()
        assert f"pytest_densemark/{rel}" in names
    assert "pytest_densemark/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "densemark = pytest_densemark.plugin" in text
    assert "densemark = pytest_densemark.cli:main" in text


def test_installed_wheel_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import pytest_densemark, pytest_densemark._resources as r;"
        "print(pytest_densemark.__file__);"
        "print(r.data_dir('schemas'));"
        "print(r.data_dir('cassettes'))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    module, schemas, cassettes = result.stdout.split()
    for located in (module, schemas, cassettes):
        assert Path(located).is_relative_to(target), located
    assert any(Path(schemas).glob("*.json"))


def test_checkout_finds_its_data() -> None:
    from pytest_densemark._resources import data_dir

    assert data_dir("schemas") in (ROOT / "schemas", ROOT / "pytest_densemark" / "schemas")
    assert data_dir("cassettes").is_dir()
