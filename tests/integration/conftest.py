"""Re-exports for modules importing ``tests.integration.conftest`` (helpers: densemark_support)."""

from __future__ import annotations

from densemark_support import STRICT_INI

__all__ = ["STRICT_INI"]
