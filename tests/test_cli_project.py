"""The command line looks in the project's own cassette folders, found as pytest finds them.

Each test builds a project folder with its own pytest configuration and runs ``densemark``
from inside it (or from a folder below it), as a user does from their checkout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_densemark._project import ProjectConfigError, find_project
from pytest_densemark.cassettes import list_cassettes
from pytest_densemark.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "cassettes" / "facepp" / "no-face.json"

#: The same setting, ``densemark_cassette_dirs = tests/cassettes``, in every format pytest reads.
CONFIGS = {
    "pytest.ini": "[pytest]\ndensemark_cassette_dirs =\n    tests/cassettes\n",
    ".pytest.ini": "[pytest]\ndensemark_cassette_dirs = tests/cassettes\n",
    "pytest.toml": '[pytest]\ndensemark_cassette_dirs = ["tests/cassettes"]\n',
    "pyproject.toml": (
        '[project]\nname = "mine"\n\n[tool.pytest.ini_options]\n'
        'densemark_cassette_dirs = ["tests/cassettes"]\n'
    ),
    "tox.ini": "[tox]\nenvlist = py\n\n[pytest]\ndensemark_cassette_dirs = tests/cassettes\n",
    "setup.cfg": (
        "[metadata]\nname = mine\n\n[tool:pytest]\ndensemark_cassette_dirs = tests/cassettes\n"
    ),
}


def _project(tmp_path: Path, config_name: str) -> Path:
    """A project whose configuration names ``tests/cassettes``, holding ``mine/scenario``."""
    (tmp_path / config_name).write_text(CONFIGS[config_name], encoding="utf-8")
    folder = tmp_path / "tests" / "cassettes" / "mine"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE, folder / "scenario.json")
    (tmp_path / "src").mkdir()
    return tmp_path


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
def test_list_reads_the_project_configuration(
    tmp_path: Path,
    config_name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _project(tmp_path, config_name)
    monkeypatch.chdir(project / "src")  # found from below, as pytest finds it
    assert main(["cassettes", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "mine/scenario"
    assert len(rows) == len(list_cassettes()) + 1
    found = find_project()
    assert found.config_file == project / config_name
    assert found.cassette_dirs == (project / "tests" / "cassettes",)


def test_without_the_value_the_project_root_cassettes_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-ra"\n')
    (tmp_path / "cassettes").mkdir()
    shutil.copy(SAMPLE, tmp_path / "cassettes" / "own.json")
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")
    assert main(["cassettes", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("own ")


def test_the_closest_configuration_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ndensemark_cassette_dirs = outer\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "tox.ini").write_text("[pytest]\ndensemark_cassette_dirs = a\n    b\n")
    (inner / "setup.cfg").write_text("[metadata]\nname = x\n")  # no pytest section: skipped
    monkeypatch.chdir(inner)
    assert find_project().cassette_dirs == (inner / "a", inner / "b")
    assert find_project(tmp_path).cassette_dirs == (tmp_path / "outer",)


def test_a_pyproject_without_pytest_settings_does_not_stop_the_search(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ndensemark_cassette_dirs = found\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "sub"\n')
    assert find_project(sub).cassette_dirs == (tmp_path / "found",)


@pytest.mark.parametrize(
    "content",
    [b"[tool.pytest.ini_options\n", b"\xff\xfe[\x00t\x00o\x00o\x00l\x00]\x00"],
    ids=["malformed", "utf-16"],
)
def test_a_broken_configuration_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectConfigError, match=r"pyproject\.toml"):
        find_project()
    assert main(["cassettes", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pyproject.toml: cannot read pytest configuration" in err


def test_render_by_name_with_a_broken_configuration_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "no such file": the name could not be looked up because the configuration is bad."""
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "facepp/full-9part", "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "densemark render: facepp/full-9part: not a file, and no cassette name can be looked up:"
    )
    assert err.endswith(
        "pyproject.toml: cannot read pytest configuration: 'utf-8' codec can't"
        " decode byte 0xff in position 0: invalid start byte\n"
    )
    assert not (tmp_path / "out.png").exists()


def test_one_broken_cassette_does_not_hide_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, "pytest.ini")
    (project / "tests" / "cassettes" / "broken.json").write_text("{oops", encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["cassettes", "list"]) == 1
    captured = capsys.readouterr()
    names = [line.split()[0] for line in captured.out.splitlines()[1:]]
    assert names == ["mine/scenario", *(c.name for c in list_cassettes())]
    assert captured.err.count("\n") == 1
    assert "broken.json: not valid JSON" in captured.err


def test_render_finds_a_project_cassette_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("PIL")
    project = _project(tmp_path, "pyproject.toml")
    shutil.copy(
        ROOT / "cassettes" / "facepp" / "full-9part.json",
        project / "tests" / "cassettes" / "mine" / "full.json",
    )
    monkeypatch.chdir(project / "src")
    out = tmp_path / "out.png"
    assert main(["render", "mine/full", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "cassette 'mine/full'" in capsys.readouterr().out
