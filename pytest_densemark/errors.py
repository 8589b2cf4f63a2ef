"""The kit's exceptions share one base, :class:`DensemarkError`, so ``except DensemarkError``
catches every error the kit raises on purpose (each also keeps the built-in base it had:
``ValueError``, ``RuntimeError``...). This module imports nothing, so every other one can
import it. The classes themselves live beside the code that raises them."""

from __future__ import annotations

__all__ = ["DensemarkError"]


class DensemarkError(Exception):
    """Base of every exception pytest-densemark raises on purpose."""
