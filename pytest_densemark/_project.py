"""The project's pytest configuration, read without starting pytest: its cassette folders.

The command line (``densemark cassettes list``, ``densemark render NAME``) looks where the
``densemark`` fixture looks: the ``densemark_cassette_dirs`` ini value of the project it is
run from, else ``cassettes/`` in the project's root. The configuration file is found as
pytest finds it (https://docs.pytest.org/en/stable/reference/customize.html): from the current
directory upwards, the first folder holding ``pytest.toml``, ``.pytest.toml``, ``pytest.ini``,
``.pytest.ini``, a ``pyproject.toml`` with ``[tool.pytest]`` or ``[tool.pytest.ini_options]``,
a ``tox.ini`` with ``[pytest]`` or a ``setup.cfg`` with ``[tool:pytest]`` wins; without one, a
``pyproject.toml`` found on the way marks the root, else the current directory is the root.
"""

from __future__ import annotations

import configparser
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_densemark.errors import DensemarkError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest itself depends on tomli before 3.11
    import tomli as tomllib

__all__ = ["CASSETTE_DIRS_INI", "Project", "ProjectConfigError", "find_project"]

#: The ini value naming the project's cassette folders (the plugin registers it).
CASSETTE_DIRS_INI = "densemark_cassette_dirs"
_DEFAULT_CASSETTE_DIR = "cassettes"


class ProjectConfigError(DensemarkError):
    """A pytest configuration file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Project:
    """Where a project's pytest configuration is and which cassette folders it names."""

    #: The project's root: the configuration file's folder (pytest's ``rootdir``).
    root: Path
    #: The configuration file, or ``None`` when the project has none.
    config_file: Path | None
    #: The folders the fixture searches before the shipped library, in order.
    cassette_dirs: tuple[Path, ...]


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectConfigError(f"{path}: cannot read pytest configuration: {exc}") from exc
    return data


def _ini(path: Path, section: str) -> dict[str, Any] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError) as exc:
        raise ProjectConfigError(f"{path}: cannot read pytest configuration: {exc}") from exc
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def _load(path: Path) -> dict[str, Any] | None:
    """The pytest section of ``path``, ``None`` when the file holds no pytest configuration."""
    name = path.name
    if name in ("pytest.toml", ".pytest.toml"):
        table = _toml(path).get("pytest")
        return table if isinstance(table, dict) else {}
    if name in ("pytest.ini", ".pytest.ini"):
        return _ini(path, "pytest") or {}  # pytest.ini counts even without a [pytest] section
    if name == "pyproject.toml":
        tool = _toml(path).get("tool", {})
        pytest_table = tool.get("pytest") if isinstance(tool, dict) else None
        if not isinstance(pytest_table, dict):
            return None
        options = pytest_table.get("ini_options")
        return options if isinstance(options, dict) else pytest_table
    if name == "tox.ini":
        return _ini(path, "pytest")
    return _ini(path, "tool:pytest")  # setup.cfg


_CONFIG_NAMES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)


def _dirs(value: Any, base: Path, config_file: Path) -> tuple[Path, ...]:
    """The ini value's folders, relative to the configuration file's folder."""
    if isinstance(value, str):
        items = [line.strip() for line in value.splitlines()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ProjectConfigError(
            f"{config_file}: {CASSETTE_DIRS_INI} must be a list of folders, got {value!r:.80}"
        )
    return tuple(base / item for item in items if item)


def find_project(start: Path | None = None) -> Project:
    """The project ``start`` (default: the current directory) belongs to, as pytest sees it.

    Raises :class:`ProjectConfigError` naming the file when a configuration file cannot be
    parsed or its ``densemark_cassette_dirs`` is not a list of folders.
    """
    here = (start or Path.cwd()).absolute()
    first_pyproject: Path | None = None
    for base in (here, *here.parents):
        for name in _CONFIG_NAMES:
            path = base / name
            if not path.is_file():
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = path
            section = _load(path)
            if section is None:
                continue
            value = section.get(CASSETTE_DIRS_INI)
            if value is None:
                dirs: tuple[Path, ...] = (base / _DEFAULT_CASSETTE_DIR,)
            else:
                dirs = _dirs(value, base, path) or (base / _DEFAULT_CASSETTE_DIR,)
            return Project(base, path, dirs)
    root = first_pyproject.parent if first_pyproject is not None else here
    return Project(root, None, (root / _DEFAULT_CASSETTE_DIR,))


def cassette_search_dirs(first: list[Path], start: Path | None = None) -> list[Path]:
    """``first``, then the project's existing cassette folders: what a name is looked up in.

    Folders are kept once each (by resolved path), and the shipped library is left out (every
    lookup ends there anyway), so a checkout of the kit does not list its library twice.
    """
    from pytest_densemark._resources import data_dir

    try:
        shipped: Path | None = data_dir("cassettes").resolve()
    except FileNotFoundError:
        shipped = None
    seen: set[Path] = set() if shipped is None else {shipped}
    dirs: list[Path] = []
    project_dirs = [d for d in find_project(start).cassette_dirs if d.is_dir()]
    for directory in [*first, *project_dirs]:
        resolved = directory.resolve()
        if resolved not in seen:
            seen.add(resolved)
            dirs.append(directory)
    return dirs
