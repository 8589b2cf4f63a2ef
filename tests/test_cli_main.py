"""``densemark`` itself: whatever the subcommand, an interrupt or a bug is one line, never a
traceback."""

from __future__ import annotations

import argparse

import pytest

from pytest_densemark import _cmd_cassettes, cli
from pytest_densemark.cli import main


def test_interrupt_while_the_commands_load_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the subcommands' modules are imported (the first tenth of a second)."""

    def interrupted() -> argparse.ArgumentParser:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["cassettes", "list"]) == 130
    assert capsys.readouterr().err == "densemark: interrupted\n"


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom\nline two")])
def test_every_subcommand_is_guarded(
    error: BaseException,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A subcommand without its own guard (here ``cassettes list``) still ends in one line."""

    def failing(args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr(_cmd_cassettes, "run_list", failing)
    status = main(["cassettes", "list"])
    err = capsys.readouterr().err
    if isinstance(error, KeyboardInterrupt):
        assert (status, err) == (130, "densemark cassettes: interrupted\n")
    else:
        assert status == 2
        assert err == (
            "densemark cassettes: internal error (RuntimeError: boom\\nline two);"
            " please report it\n"
        )
