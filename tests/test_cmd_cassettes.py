"""``densemark cassettes list`` and ``densemark validate`` on cassette files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_densemark import __version__
from pytest_densemark.cassettes import list_cassettes, load_cassette
from pytest_densemark.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_list_prints_every_cassette_with_its_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cassettes", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "VENDOR", "SOURCE", "DESCRIPTION"]
    shipped = list_cassettes()
    assert len(lines) == len(shipped) + 1
    for line, cassette in zip(lines[1:], shipped, strict=True):
        assert line.split()[:3] == [cassette.name, cassette.vendor, cassette.source]
        assert line.endswith(cassette.description)


def test_list_json_and_vendor_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cassettes", "list", "--json", "--vendor", "tencent"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    assert {row["vendor"] for row in rows} == {"tencent"}
    first = load_cassette(rows[0]["name"])
    assert rows[0] == {
        "name": first.name,
        "vendor": "tencent",
        "source": "synthetic",
        "description": first.description,
    }


def test_list_includes_user_directories_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "cassettes" / "facepp" / "no-face.json", tmp_path / "mine.json")
    assert main(["cassettes", "list", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("mine ")


def test_list_reports_a_broken_cassette_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.json").write_text("{oops", encoding="utf-8")
    assert main(["cassettes", "list", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "broken.json: not valid JSON" in err
    assert main(["cassettes", "list", "--dir", str(tmp_path / "missing")]) == 1
    assert "no such directory" in capsys.readouterr().err


def test_cassettes_without_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cassettes"]) == 2
    assert "list" in capsys.readouterr().err


def test_validate_checks_every_body_of_a_cassette(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "cassettes" / "facepp" / "retry-twice-then-success.json"
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    for index in range(3):
        assert f"(interactions[{index}].response.body): ok" in out
    assert "3 valid, 0 invalid" in out


def test_validate_reports_an_invalid_body_by_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads((ROOT / "cassettes" / "facepp" / "full-9part.json").read_text("utf-8"))
    del data["interactions"][0]["response"]["body"]["face"]["landmark"]["nose"]["left_nostril"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "(interactions[0].response.body): facepp: face.landmark.nose" in out
    assert "left_nostril" in out


def test_validate_reports_a_wrong_version_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"densemark_cassette": 0}', encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"densemark validate: {path}: cassette format version 0 is not supported;"
        f" this kit ({__version__}) reads version 1: rebuild or re-record it"
    )


def test_list_escapes_control_characters_in_names_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name holding a terminal escape is shown escaped, in the table and on stderr."""
    shutil.copy(ROOT / "cassettes" / "facepp" / "no-face.json", tmp_path / "a\x1b[2Jb.json")
    (tmp_path / "c\nd.json").write_text("{oops", encoding="utf-8")
    assert main(["cassettes", "list", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("a\\x1b[2Jb ")
    assert "\x1b" not in out + err
    assert err.count("\n") == 1
    assert "c\\nd.json: not valid JSON" in err


def test_list_with_standard_output_closed_is_no_traceback() -> None:
    """``densemark cassettes list >&-``: nothing to print to, and no traceback either."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest_densemark.cli", "cassettes", "list"],
        capture_output=False,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(1),
        check=False,
        timeout=60,
    )
    assert done.stderr == b""
    assert done.returncode == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_list_reports_a_named_pipe_instead_of_waiting_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``*.json`` named pipe in a cassette folder would block the listing for ever."""
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "folder.json").mkdir()  # a folder named like a cassette: not one, skipped
    shutil.copy(
        ROOT / "cassettes" / "facepp" / "no-face.json", tmp_path / "folder.json" / "in.json"
    )
    assert main(["cassettes", "list", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("folder.json/in ")
    assert err == (
        f"densemark cassettes list: {tmp_path / 'pipe.json'}: cannot read cassette:"
        " not a regular file\n"
    )
