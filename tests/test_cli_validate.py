"""``densemark validate``: exit codes, messages for every bad input, reports, hooks, pre-commit."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _validator_payloads import facepp_body, tencent_body

from pytest_densemark import ValidationResult, _cmd_validate, validate
from pytest_densemark.cli import main

REPO = Path(__file__).resolve().parents[1]
#: PyYAML comes with pre-commit; it ships no type information.
yaml: Any = importlib.import_module("yaml")


def _write(path: Path, payload: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def _broken() -> dict[str, Any]:
    body = facepp_body(["nose"])
    del body["face"]["landmark"]["nose"]["nose_midline_59"]
    return body


def test_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "ok.json", facepp_body())
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: ok (facepp)\n1 valid, 0 invalid, 0 unreadable\n"
    assert err == ""


def test_invalid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bad.json", _broken())
    assert main(["validate", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert f"{path}: facepp: face.landmark.nose: missing key nose_midline_59\n" in out


def test_explicit_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "t.json", tencent_body())
    assert main(["validate", "--kind", "tencent", str(path)]) == 0
    assert main(["validate", "--kind", "facepp", str(path)]) == 1
    assert "facepp: (root): unexpected key Response" in capsys.readouterr().out


def test_not_a_vendor_payload_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "package.json", {"name": "x"})
    assert main(["validate", str(path)]) == 1
    assert f"{path}: unknown: (root): cannot tell what this payload is" in capsys.readouterr().out


def test_directory_is_searched_recursively(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "a" / "good.json", facepp_body(["mouth"]))
    bad = _write(tmp_path / "b" / "deeper" / "bad.json", _broken())
    (tmp_path / "notes.txt").write_text("not json", encoding="utf-8")
    (tmp_path / "dir.json").mkdir()
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert f"{good}: ok (facepp)" in out
    assert f"{bad}: facepp: face.landmark.nose: missing key nose_midline_59" in out
    assert "notes.txt" not in out + err
    assert out.endswith("1 valid, 1 invalid, 0 unreadable\n")


def test_directory_without_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"densemark validate: {tmp_path}: directory holds no *.json file\n"
    )


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, json.dumps(tencent_body()).encode())
    assert main(["validate", "-"]) == 0
    assert capsys.readouterr().out.startswith("<stdin>: ok (tencent)\n")


def test_stdin_garbage(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, b"{nope")
    assert main(["validate", "-"]) == 2
    assert capsys.readouterr().err == (
        "densemark validate: <stdin>: invalid JSON: Expecting property name enclosed in double"
        " quotes at line 1 column 2\n"
    )


BAD_INPUTS = [
    ("empty", b"", "empty file, expected a JSON document"),
    ("blank", b" \n\t\n", "empty file, expected a JSON document"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (contains NUL bytes)"),
    ("latin1", b'{"error_message": "\xe9"}', "not UTF-8 text (byte 0xe9 at offset 19)"),
    ("truncated", b'{"time_used": 1,', "invalid JSON: Expecting property name enclosed"),
    ("trailing", b'{"time_used": 1} {}', "invalid JSON: Extra data at line 1 column 18"),
    ("nan", b"[1, 2", "invalid JSON: Expecting ',' delimiter at line 1 column 6"),
    ("nested", b"[" * 100 + b"]" * 100, "JSON nested deeper than the 64-level limit"),
    ("very-deep", b"[" * 100_000, "JSON nested deeper than the 64-level limit"),
    ("deep-payload", b'{"time_used": 1, "face": ' + b"[" * 70 + b"]" * 70 + b"}", "JSON nested"),
    ("nan-literal", b'{"time_used": NaN}', "invalid JSON: NaN is not a JSON value"),
    ("infinity", b'{"time_used": Infinity}', "invalid JSON: Infinity is not a JSON value"),
    ("minus-infinity", b"[-Infinity]", "invalid JSON: -Infinity is not a JSON value"),
    ("utf-16-bom", '{"time_used": 1}'.encode("utf-16"), "UTF-16 text, expected UTF-8"),
    ("utf-16-be", '{"time_used": 1}'.encode("utf-16-be"), "UTF-16 text, expected UTF-8"),
    ("utf-16-le", '\n[{"time_used": 1}]'.encode("utf-16-le"), "UTF-16 text, expected UTF-8"),
    ("utf-32-le", '{"time_used": 1}'.encode("utf-32-le"), "UTF-32 text, expected UTF-8"),
    ("utf-32-bom", '{"time_used": 1}'.encode("utf-32"), "UTF-32 text, expected UTF-8"),
    (
        "5000-digits",
        b'{"time_used": ' + b"7" * 5000 + b', "request_id": "r"}',
        "unreadable JSON number: an integer with more than",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_unreadable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"densemark validate: {path}: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in out + err
    assert out == "0 valid, 0 invalid, 1 unreadable\n"


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "absent.json"
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"densemark validate: {path}: no such file\n"


def test_huge_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "big.json", facepp_body())
    assert main(["validate", "--max-bytes", "1000", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"densemark validate: {path}: larger than the 1000-byte limit (raise it with --max-bytes)\n"
    )
    assert path.stat().st_size < _cmd_validate.MAX_INPUT_BYTES
    assert main(["validate", str(path)]) == 0


def test_unreadable_input_beats_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "bad.json", _broken())
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    good = _write(tmp_path / "good.json", facepp_body(["nose"]))
    assert main(["validate", str(bad), str(empty), str(good)]) == 2
    out, _ = capsys.readouterr()
    assert f"{good}: ok (facepp)" in out
    assert "1 valid, 1 invalid, 1 unreadable" in out


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "bad.json", _broken())
    good = _write(tmp_path / "good.json", tencent_body())
    missing = tmp_path / "missing.json"
    assert main(["validate", "--format", "json", str(bad), str(good), str(missing)]) == 2
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["summary"] == {"valid": 1, "invalid": 1, "unreadable": 1, "exit_status": 2}
    assert report["results"][0] == {
        "file": str(bad),
        "label": "",
        "kind": "facepp",
        "valid": False,
        "violations": [{"path": "face.landmark.nose", "message": "missing key nose_midline_59"}],
    }
    assert report["results"][1]["valid"] is True
    assert report["errors"] == [{"file": str(missing), "error": "no such file"}]
    assert err == f"densemark validate: {missing}: no such file\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["validate", "--kind", "face", "x.json"],
        ["validate", "--format", "xml", "x.json"],
        ["validate", "--max-bytes", "0", "x.json"],
        ["validate", "--max-bytes", "lots", "x.json"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: densemark validate" in capsys.readouterr().err


# ----------------------------------------------------------------- document hooks


def cassette_hook(document: object, *, kind: str) -> list[tuple[str, ValidationResult]] | None:
    """A stand-in for the cassette hook: validates each interaction's response body."""
    if not (isinstance(document, dict) and "interactions" in document):
        return None
    if not isinstance(document["interactions"], list):
        raise ValueError("interactions must be a list")
    return [
        (f"interactions[{i}].response.body", validate(item["response"]["body"], kind))
        for i, item in enumerate(document["interactions"])
    ]


def test_document_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_cmd_validate, "DOCUMENT_HOOKS", (f"{__name__}:cassette_hook",))
    cassette = _write(
        tmp_path / "c.json",
        {
            "interactions": [
                {"response": {"body": facepp_body(["nose"])}},
                {"response": {"body": _broken()}},
            ]
        },
    )
    plain = _write(tmp_path / "p.json", facepp_body(["mouth"]))
    assert main(["validate", str(cassette), str(plain)]) == 1
    out, _ = capsys.readouterr()
    assert f"{cassette} (interactions[0].response.body): ok (facepp)" in out
    assert (
        f"{cassette} (interactions[1].response.body): facepp: face.landmark.nose:"
        " missing key nose_midline_59"
    ) in out
    assert f"{plain}: ok (facepp)" in out

    _write(cassette, {"interactions": 3})
    assert main(["validate", str(cassette)]) == 2
    assert capsys.readouterr().err == (
        f"densemark validate: {cassette}: interactions must be a list\n"
    )


# ----------------------------------------------------------------- real processes


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_densemark.cli", "validate", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


def test_process_never_shows_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "image.json"
    binary.write_bytes(bytes(range(256)))
    done = _run([str(binary)])
    assert done.returncode == 2
    assert (
        done.stderr.decode()
        == f"densemark validate: {binary}: binary file (contains NUL bytes), expected JSON text\n"
    )
    done = _run(["-"], stdin=b"[" * 50_000)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    done = _run(["-"], stdin=json.dumps(facepp_body()).encode())
    assert done.returncode == 0, done.stderr


def _hook_language() -> str:
    version: str = importlib.import_module("pre_commit.constants").VERSION
    major, minor = (int(n) for n in version.split(".")[:2])
    return "unsupported" if (major, minor) >= (4, 4) else "system"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hook_equivalent_run(tmp_path: Path) -> None:
    """Run the shipped hook definition through pre-commit in a scratch repository.

    ``pre-commit try-repo`` would build the hook's environment from the package index; this
    run keeps the manifest's id, entry and file types and uses the installed ``densemark``.
    """
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = {key: hook[key] for key in ("id", "name", "entry", "types")}
    local["language"] = _hook_language()
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _write(repo / "payloads" / "good.json", facepp_body(["nose"]))
    (repo / "notes.txt").write_text("ignored", encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    git("init", "-q")
    git("add", ".")
    done = pre_commit()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout

    _write(repo / "payloads" / "bad.json", _broken())
    git("add", ".")
    done = pre_commit()
    assert done.returncode == 1
    assert "payloads/bad.json: facepp: face.landmark.nose: missing key nose_midline_59" in (
        done.stdout
    )


# ----------------------------------------------------------------- hostile input


def test_keys_with_newlines_and_escapes_are_escaped_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = facepp_body(["nose"])
    body["x\nfake.json: ok (facepp)\x1b[2J"] = 1
    path = _write(tmp_path / "odd.json", body)
    assert main(["validate", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert out == (
        f'{path}: facepp: (root): unexpected key "x\\nfake.json: ok (facepp)\\u001b[2J"\n'
        "0 valid, 1 invalid, 0 unreadable\n"
    )


def test_valid_payloads_never_reach_the_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid payload is as shallow as the closed schemas: no depth walk, no hook."""
    monkeypatch.setattr(_cmd_validate, "DOCUMENT_HOOKS", (f"{__name__}:cassette_hook",))
    walked: list[object] = []
    real = _cmd_validate.too_deep

    def spy(document: object) -> bool:
        walked.append(document)
        return real(document)

    monkeypatch.setattr(_cmd_validate, "too_deep", spy)
    good = _write(tmp_path / "good.json", facepp_body(["nose"]))
    claimed = _write(tmp_path / "c.json", {"interactions": []})
    assert main(["validate", str(good), str(claimed)]) == 0
    assert walked == [{"interactions": []}]
    assert capsys.readouterr().out == f"{good}: ok (facepp)\n1 valid, 0 invalid, 0 unreadable\n"


def test_name_too_long(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "a" * 5000
    assert main(["validate", name]) == 2
    assert (
        capsys.readouterr().err == f"densemark validate: {name}: cannot read: File name too long\n"
    )


def _run_env(
    args: list[str], *, cwd: Path | None = None, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """Run ``densemark validate`` with a strict UTF-8 standard output, as most terminals have."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_densemark.cli", "validate", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "0"},
    )


def test_process_lone_surrogate_key_is_escaped_and_later_inputs_run(tmp_path: Path) -> None:
    odd = tmp_path / "a.json"
    odd.write_bytes(b'{"time_used": 1, "request_id": "r", "\\ud800": 1}')
    good = _write(tmp_path / "b.json", facepp_body(["nose"]))
    done = _run_env([str(odd), str(good)])
    assert done.stderr == b""
    assert done.returncode == 1
    assert done.stdout.decode() == (
        f'{odd}: facepp: (root): unexpected key "\\ud800"\n'
        f"{good}: ok (facepp)\n"
        "1 valid, 1 invalid, 0 unreadable\n"
    )


@pytest.mark.skipif(sys.platform == "darwin", reason="the file system insists on UTF-8 names")
def test_process_non_utf8_file_name(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.json"
    with open(raw, "wb") as handle:
        handle.write(json.dumps(facepp_body(["nose"])).encode())
    done = _run_env([str(tmp_path)])
    assert done.stderr == b""
    assert done.returncode == 0
    assert (
        done.stdout.decode()
        == f"{tmp_path}/caf\\xe9.json: ok (facepp)\n1 valid, 0 invalid, 0 unreadable\n"
    )
    done = _run_env([os.fsdecode(raw) + ".missing"])
    assert done.returncode == 2
    assert (
        done.stderr.decode()
        == f"densemark validate: {tmp_path}/caf\\xe9.json.missing: no such file\n"
    )


def test_process_closed_stdout(tmp_path: Path) -> None:
    """``densemark validate ... | head -1``: no traceback, and the exit status is the verdict."""
    body = facepp_body(["nose"])
    body.update({f"extra_{i}": i for i in range(30_000)})  # about 1.5 MB of report
    bad = _write(tmp_path / "bad.json", body)
    with subprocess.Popen(
        [sys.executable, "-m", "pytest_densemark.cli", "validate", str(bad)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        error = process.stderr.read()
        status = process.wait(timeout=60)
    assert first == f"{bad}: facepp: (root): unexpected key extra_0\n".encode()
    assert error == b""
    assert status == 1


def test_validating_imports_no_http_machinery(tmp_path: Path) -> None:
    """The command and the validator import neither httpx/respx/anyio nor the cassettes.

    Run in a fresh interpreter with the package's ``__init__`` bypassed, so that only what
    ``_cmd_validate`` and ``validation`` import is seen.
    """
    good = _write(tmp_path / "good.json", facepp_body(["nose"]))
    bad = _write(tmp_path / "bad.json", _broken())
    script = f"""
import importlib.util, sys
root = {str(REPO / "pytest_densemark")!r}
spec = importlib.util.spec_from_file_location(
    "pytest_densemark", root + "/__init__.py", submodule_search_locations=[root]
)
sys.modules["pytest_densemark"] = importlib.util.module_from_spec(spec)  # not executed
from pytest_densemark import _cmd_validate
status = _cmd_validate.run([{str(good)!r}, {str(bad)!r}])
heavy = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("httpx", "respx", "anyio", "hypothesis", "jsonschema")
    or name in ("pytest_densemark.cassettes", "pytest_densemark.emulator")
)
print(status, heavy)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "1 []"


def test_closed_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["validate", "-"]) == 2
    assert capsys.readouterr().err == "densemark validate: <stdin>: standard input is closed\n"


def test_an_unforeseen_failure_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(document: object, kind: str) -> ValidationResult:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(_cmd_validate, "validate", broken)
    path = _write(tmp_path / "good.json", facepp_body(["nose"]))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == (
        "densemark validate: internal error (RuntimeError: boom\\nsecond line); please report it\n"
    )


def test_stdin_is_read_up_to_the_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(facepp_body(["nose"])).encode()
    _stdin(monkeypatch, text)
    assert main(["validate", "--max-bytes", str(len(text)), "-"]) == 0
    _stdin(monkeypatch, text + b" " * 200_000)  # more than one read's worth
    assert main(["validate", "--max-bytes", str(len(text) + 150_000), "-"]) == 2
    assert capsys.readouterr().err == (
        f"densemark validate: <stdin>: larger than the {len(text) + 150_000}-byte limit"
        " (raise it with --max-bytes)\n"
    )
