"""``benchmarks/report.py`` writes each block's command output between its markers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "benchmarks" / "report.py"


def test_blocks_are_replaced_by_their_commands_output(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(
        "intro\n"
        "<!-- bench: python -c \"print('| a | 1.00x |')\" -->\nold table\n<!-- /bench -->\n"
        "middle\n"
        '<!-- bench: python -c "import sys; sys.exit(3)" -->\nkept\n<!-- /bench -->\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(REPORT), "--page", str(page)], capture_output=True, text=True
    )
    assert done.returncode == 1  # the failing command
    text = page.read_text(encoding="utf-8")
    assert "```text\n| a | 1.00x |\n```\n<!-- /bench -->" in text
    assert "old table" not in text
    assert "kept\n<!-- /bench -->" in text  # a failed command leaves its block alone
    assert "FAILED" in done.stderr
