"""Locate the data that ships with the kit: ``schemas/`` and ``cassettes/``.

In a wheel both folders sit inside the package; in an editable checkout they stay at the
repository's top level. Both are found through :mod:`importlib.resources` first.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

__all__ = ["data_dir"]

DataName = Literal["schemas", "cassettes"]


def data_dir(name: DataName) -> Path:
    """The directory holding the shipped ``schemas`` or ``cassettes``."""
    packaged = files("pytest_densemark").joinpath(name)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"pytest-densemark's {name}/ directory is missing: looked in {packaged} and {checkout};"
        " reinstall the package"
    )
