"""Rendering payloads to PNG, and the densemark render command."""

from __future__ import annotations

import builtins
import io
import json
import os
import random
import stat
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pytest_densemark.cassettes import cassette_document, load_cassette
from pytest_densemark.cli import main
from pytest_densemark.faces import Face
from pytest_densemark.payloads import facepp_success, tencent_error, tencent_success
from pytest_densemark.render import RenderError, render


def test_facepp_face_is_drawn_with_points_outside_the_image() -> None:
    body = facepp_success(Face(-40, 10, 300, 300), request_id="1,x", time_used=1)
    picture = render(body)
    assert picture.size[0] > 300
    colours = picture.getcolors(maxcolors=1 << 16)
    assert colours is not None
    assert len(colours) > 2


def test_cli_renders_tencent_over_an_image(tmp_path: Path) -> None:
    body = tencent_success(
        [Face(50, 80, 100, 100)], image_width=200, image_height=200, request_id="r"
    )
    payload = tmp_path / "body.json"
    payload.write_text(json.dumps(body))
    background = tmp_path / "bg.png"
    Image.new("RGB", (200, 200), "black").save(background)
    out = tmp_path / "out.png"
    assert main(["render", str(payload), "-o", str(out), "--image", str(background)]) == 0
    with Image.open(out) as drawn:
        assert drawn.size == (200, 200)
        assert drawn.getpixel((0, 0)) == (0, 0, 0)


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["render", str(bad), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err
    assert "invalid JSON" in err
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    assert main(["render", str(other), "-o", str(tmp_path / "o.png")]) == 2
    assert "not a landmark payload" in capsys.readouterr().err
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["render", str(deep), "-o", str(tmp_path / "o.png")]) == 2
    assert "deep.json" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_cli_never_leaves_a_half_written_file(tmp_path: Path) -> None:
    payload = tmp_path / "body.json"
    payload.write_text(
        json.dumps(facepp_success(Face(0, 0, 100, 100), request_id="1,x", time_used=1))
    )
    missing_dir = tmp_path / "nowhere" / "out.png"
    assert main(["render", str(payload), "-o", str(missing_dir)]) == 2
    assert not missing_dir.parent.exists()
    out = tmp_path / "out.png"
    assert main(["render", str(payload), "-o", str(out)]) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.png")] == []


def test_missing_pillow_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pil(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(RenderError, match=r"pytest-densemark\[render\]"):
        render(facepp_success(Face(0, 0, 100, 100), request_id="1,x", time_used=1))


# -- cassettes -------------------------------------------------------------------------------

LIBRARY = Path(__file__).resolve().parents[1] / "cassettes"


def drawn_colours(path: Path) -> int:
    with Image.open(path) as drawn:
        colours = drawn.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None
    return len(colours)


@pytest.mark.parametrize(
    ("cassette", "size"),
    [("facepp/full-9part", None), ("tencent/five-faces", (640, 480))],
)
def test_cli_renders_a_shipped_cassette_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cassette: str, size: Any
) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(LIBRARY / f"{cassette}.json"), "-o", str(out)]) == 0
    assert "from interaction #0 of cassette" in capsys.readouterr().out
    body = load_cassette(cassette).interactions[0].response.body
    with Image.open(out) as drawn, Image.open(io.BytesIO(render_png(body))) as direct:
        assert drawn.size == direct.size
        assert drawn.tobytes() == direct.tobytes()
        if size is not None:
            assert drawn.size[0] >= size[0]
            assert drawn.size[1] >= size[1]
    assert drawn_colours(out) > 5


def render_png(body: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    render(body).save(buffer, format="PNG")
    return buffer.getvalue()


def test_cli_renders_a_cassette_by_library_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "five.png"
    assert main(["render", "tencent/five-faces", "-o", str(out)]) == 0
    assert "cassette 'tencent/five-faces'" in capsys.readouterr().out
    assert out.is_file()


def test_cli_skips_error_interactions_and_honours_interaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two failures, then the success: the success is drawn unless told otherwise.
    path = LIBRARY / "tencent" / "retry-twice-then-success.json"
    out = tmp_path / "out.png"
    assert main(["render", str(path), "-o", str(out)]) == 0
    assert "interaction #2 " in capsys.readouterr().out
    assert main(["render", str(path), "-o", str(out), "--interaction", "2"]) == 0
    assert main(["render", str(path), "-o", str(tmp_path / "e.png"), "--interaction", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "retry-twice-then-success.json" in err
    assert "interaction #0 (HTTP 200) holds no landmarks" in err
    assert main(["render", str(path), "-o", str(tmp_path / "e.png"), "--interaction", "3"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert not (tmp_path / "e.png").exists()


def two_face_cassette(tmp_path: Path) -> Path:
    """A synthetic Tencent cassette: an error, then one face, then two faces."""
    one = [Face(60, 100, 100, 100)]
    two = [Face(60, 100, 100, 100), Face(220, 100, 120, 120)]
    bodies = [
        tencent_error("InternalError", request_id="r0"),
        tencent_success(one, image_width=400, image_height=300, request_id="r1"),
        tencent_success(two, image_width=400, image_height=300, request_id="r2"),
    ]
    interactions = [
        {
            "request": {"method": "POST", "url": "https://iai.tencentcloudapi.com/", "params": {}},
            "response": {"status": 200, "headers": {}, "body": body},
        }
        for body in bodies
    ]
    document = cassette_document(
        vendor="tencent",
        action="AnalyzeDenseLandmarks",
        version="2020-03-03",
        description="synthetic",
        source="synthetic",
        interactions=interactions,
    )
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(document))
    return path


def test_cli_draws_the_chosen_interaction(tmp_path: Path) -> None:
    path = two_face_cassette(tmp_path)
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    assert main(["render", str(path), "-o", str(first)]) == 0
    assert main(["render", str(path), "-o", str(second), "--interaction", "2"]) == 0
    with Image.open(first) as a, Image.open(second) as b:
        # Same canvas (the stated image size), different drawings: the second has two faces.
        assert a.size == b.size == (400, 300)
        right = (180, 0, 400, 300)
        assert a.crop(right).tobytes() != b.crop(right).tobytes()
        assert a.crop(right).convert("L").getextrema()[0] >= 170


@pytest.mark.parametrize(
    "cassette", ["tencent/no-face", "facepp/no-face", "tencent/error-InternalError"]
)
def test_cli_cassette_without_landmarks_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cassette: str
) -> None:
    path = LIBRARY / f"{cassette}.json"
    out = tmp_path / "o.png"
    assert main(["render", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(path) in err
    assert "no interaction" in err
    assert "landmarks" in err
    assert not out.exists()


def test_cli_cassette_problems_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"densemark_cassette": 1, "vendor": "nobody"}))
    assert main(["render", str(broken), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "broken.json" in err
    assert "vendor" in err
    payload = tmp_path / "body.json"
    payload.write_text(
        json.dumps(facepp_success(Face(0, 0, 100, 100), request_id="1,x", time_used=1))
    )
    assert main(["render", str(payload), "-o", str(tmp_path / "o.png"), "--interaction", "0"]) == 2
    assert "--interaction applies to a cassette" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


# -- hostile input ----------------------------------------------------------------------------


def _facepp_text() -> str:
    body = facepp_success(Face(10, 10, 300, 300), request_id="1,x", time_used=1)
    return json.dumps(body)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "invalid JSON: NaN is not a JSON value"),
        ("-Infinity", "invalid JSON: -Infinity is not a JSON value"),
        ("1e999", "face.landmark.nose.nose_left_0.y is inf, expected a finite number of pixels"),
        ("1" + "0" * 30, "face.landmark.nose.nose_left_0.y is 1e+30, beyond the 1,000,000-pixel"),
        ("-1" + "0" * 400, "face.landmark.nose.nose_left_0.y is an integer of about 401 digits"),
    ],
)
def test_cli_refuses_nan_and_huge_coordinates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    text = _facepp_text()
    prefix = '"nose_left_0": {"y": '
    assert text.count(prefix) == 1
    payload = tmp_path / "odd.json"
    payload.write_text(text.replace(prefix, prefix + value + ', "was": '))
    out = tmp_path / "o.png"
    assert main(["render", str(payload), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"densemark render: {payload}: {message}")
    assert captured.err.count("\n") == 1
    assert captured.out == ""
    assert not out.exists()


def test_render_names_a_non_finite_or_negative_value() -> None:
    body = facepp_success(Face(10, 10, 300, 300), request_id="1,x", time_used=1)
    body["face"]["landmark"]["nose"]["nose_left_0"]["y"] = float("nan")
    with pytest.raises(RenderError, match=r"^face\.landmark\.nose\.nose_left_0\.y is nan"):
        render(body)
    body = facepp_success(Face(10, 10, 300, 300), request_id="1,x", time_used=1)
    body["face"]["landmark"]["left_eye"]["left_eye_pupil_radius"] = -3
    with pytest.raises(RenderError, match="left_eye_pupil_radius is -3, a radius cannot be < 0"):
        render(body)
    body = tencent_success(
        [Face(20, 40, 100, 100)], image_width=10**12, image_height=200, request_id="r"
    )
    with pytest.raises(RenderError, match=r"^Response\.ImageWidth is 1e\+12, beyond"):
        render(body)


def test_keys_with_overlong_indices_are_drawn_as_points() -> None:
    body = facepp_success(Face(10, 10, 300, 300), request_id="1,x", time_used=1)
    body["face"]["landmark"]["nose"]["nose_" + "9" * 5000] = {"x": 5, "y": 5}
    body["face"]["landmark"]["nose"]["nose_7\n"] = {"x": 6, "y": 6}
    assert render(body).size[0] > 300


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_cli_reads_a_bounded_amount(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.png"
    assert main(["render", "/dev/zero", "-o", str(out), "--max-bytes", "4096"]) == 2
    assert capsys.readouterr().err == (
        "densemark render: /dev/zero: larger than the 4096-byte limit (raise it with --max-bytes)\n"
    )
    payload = tmp_path / "body.json"
    payload.write_text(_facepp_text())
    size = payload.stat().st_size
    assert main(["render", str(payload), "-o", str(out), "--max-bytes", str(size - 1)]) == 2
    assert f"larger than the {size - 1}-byte limit" in capsys.readouterr().err
    background = tmp_path / "bg.png"
    noise = random.Random(7).randbytes(400 * 400 * 3)  # does not compress: a big PNG
    Image.frombytes("RGB", (400, 400), noise).save(background)
    assert background.stat().st_size > size
    assert (
        main(
            [
                "render",
                str(payload),
                "-o",
                str(out),
                "--image",
                str(background),
                "--max-bytes",
                str(size),
            ]
        )
        == 2
    )
    assert "bg.png: background image: larger than" in capsys.readouterr().err
    assert main(["render", str(payload), "-o", str(out), "--max-bytes", str(size)]) == 0
    assert out.is_file()


def test_cli_name_too_long(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "a" * 5000
    assert main(["render", name, "-o", str(tmp_path / "o.png")]) == 2
    assert capsys.readouterr().err == f"densemark render: {name}: cannot read: File name too long\n"


@pytest.mark.parametrize("closed", ["pipe", "descriptor"])
def test_process_closed_stdout(tmp_path: Path, closed: str) -> None:
    """The picture is written and the status is 0 when nobody reads the report line."""
    payload = tmp_path / "body.json"
    payload.write_text(_facepp_text())
    out = tmp_path / "o.png"
    command = [sys.executable, "-m", "pytest_densemark.cli", "render", str(payload), "-o", str(out)]
    if closed == "pipe":  # the reader has gone before the line is written
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
            assert process.stdout is not None
            assert process.stderr is not None
            process.stdout.close()
            error = process.stderr.read()
            status = process.wait(timeout=60)
    else:  # started with descriptor 1 closed: sh -c '... >&-'
        done = subprocess.run(
            ["sh", "-c", '"$@" >&-', "sh", *command], capture_output=True, check=False, timeout=60
        )
        error, status = done.stderr, done.returncode
    assert error == b""
    assert status == 0
    assert out.is_file()


# ----------------------------------------------------------------- where the PNG goes


#: A cassette whose first interaction holds a full Face++ face.
CASSETTE = Path(__file__).resolve().parents[1] / "cassettes" / "facepp" / "full-9part.json"


@pytest.mark.skipif(os.name != "posix", reason="named pipes and symbolic links")
def test_output_to_a_named_pipe_is_written_through_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/stdout``: a device or pipe gets the PNG; a regular file never takes its place."""
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    try:
        assert main(["render", str(CASSETTE), "-o", str(pipe)]) == 0
    finally:
        reader.join(timeout=10)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert received[0].startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.png"]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links and file modes")
def test_output_keeps_links_and_permissions(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.png"
        assert main(["render", str(CASSETTE), "-o", str(fresh)]) == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # as open() would, not 0o600
        shared = tmp_path / "shared.png"
        shared.write_bytes(b"old")
        shared.chmod(0o664)
        link = tmp_path / "link.png"
        link.symlink_to(shared.name)
        assert main(["render", str(CASSETTE), "-o", str(link)]) == 0
    finally:
        os.umask(old_umask)
    assert link.is_symlink()
    assert shared.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664


def test_output_that_is_a_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out.png"
    folder.mkdir()
    assert main(["render", str(CASSETTE), "-o", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"densemark render: {folder}: is a directory, expected the name of the PNG file to write\n"
    )
    assert main(["render", str(CASSETTE), "-o", ""]) == 2
    assert ".: is a directory" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_background_that_is_not_an_image_names_the_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8 not really a JPEG")
    out = tmp_path / "out.png"
    assert main(["render", str(CASSETTE), "-o", str(out), "--image", str(junk)]) == 2
    assert capsys.readouterr().err == (
        f"densemark render: {junk}: cannot read the background image: not an image Pillow can"
        " decode (PNG, JPEG, ...)\n"
    )
    assert not out.exists()


def test_background_too_large_is_refused_before_decoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small file declaring a huge image (all one colour compresses well): refused from its
    header, with no Pillow warning and without decoding 100 million pixels."""
    big = tmp_path / "big.png"
    Image.new("1", (10_000, 9_000)).save(big)
    assert big.stat().st_size < 1_000_000
    out = tmp_path / "out.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["render", str(CASSETTE), "-o", str(out), "--image", str(big)]) == 2
    assert capsys.readouterr().err == (
        f"densemark render: {big}: the background image is 10000x9000 pixels; at most 8192 a"
        " side can be drawn over\n"
    )
