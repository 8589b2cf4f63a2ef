"""Locate the data that ships with the kit: ``schemas/`` and ``cassettes/``.

In a wheel both folders sit inside the package, under ``pytest_densemark/_data/`` (so they
cannot collide with a code package of the same name, such as
:mod:`pytest_densemark.cassettes`); in a checkout or an unpacked sdist they stay at the
repository's top level. The packaged copy is found through :mod:`importlib.resources` first.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

__all__ = ["DATA_PACKAGE_DIR", "data_dir"]

DataName = Literal["schemas", "cassettes"]

#: Where a wheel puts the data folders, relative to the package (see pyproject.toml).
DATA_PACKAGE_DIR = "_data"


def data_dir(name: DataName) -> Path:
    """The directory holding the shipped ``schemas`` or ``cassettes``."""
    packaged = files("pytest_densemark").joinpath(DATA_PACKAGE_DIR).joinpath(name)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"pytest-densemark's {name}/ directory is missing: looked in {packaged} and {checkout};"
        " reinstall the package"
    )
