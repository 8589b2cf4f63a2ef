"""Rendering payloads to PNG, and the densemark render command."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pytest_densemark.cli import main
from pytest_densemark.faces import Face
from pytest_densemark.payloads import facepp_success, tencent_success
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
        [Face(20, 40, 100, 100)], image_width=200, image_height=200, request_id="r"
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
    assert "not valid JSON" in err
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
