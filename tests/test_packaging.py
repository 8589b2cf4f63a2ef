"""The built wheel carries the schemas and cassettes and finds them from site-packages.

The data folders go under ``pytest_densemark/_data/``: ``pytest_densemark/cassettes`` is the
code package, and the data must not land inside it.
"""

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
        assert f"pytest_densemark/_data/schemas/{name}" in names
    for path in (ROOT / "cassettes").rglob("*.json"):
        rel = path.relative_to(ROOT).as_posix()
        assert f"pytest_densemark/_data/{rel}" in names
    # The cassettes code package is whole, and holds no data.
    package = sorted(p.name for p in (ROOT / "pytest_densemark" / "cassettes").glob("*.py"))
    for name in package:
        assert f"pytest_densemark/cassettes/{name}" in names
    assert not [
        n for n in names if n.startswith("pytest_densemark/cassettes/") and n.endswith(".json")
    ]
    assert not [n for n in names if n.startswith("pytest_densemark/schemas/")]
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
        "print(r.data_dir('cassettes'));"
        "from pytest_densemark.cassettes import load_cassette, validate_cassette;"
        "c = load_cassette('facepp/full-9part');"
        "print(c.path);"
        "assert validate_cassette(c) == [], c"
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
    module, schemas, cassettes, loaded = result.stdout.split()
    for located in (module, schemas, cassettes, loaded):
        assert Path(located).is_relative_to(target), located
    assert any(Path(schemas).glob("*.json"))
    assert Path(loaded) == Path(cassettes) / "facepp" / "full-9part.json"


def test_checkout_finds_its_data() -> None:
    from pytest_densemark._resources import data_dir

    assert data_dir("schemas") in (ROOT / "schemas", ROOT / "pytest_densemark" / "schemas")
    assert data_dir("cassettes").is_dir()
