"""Generate the JSON Schemas (draft 2020-12) of every vendor's payloads from the vendor facts.

The files in ``schemas/`` are this module's output, committed so that users (and tools outside
Python) can read them; a test checks they equal what this module generates. Regenerate them
after changing a vendor's facts (:mod:`pytest_densemark.facepp`,
:mod:`pytest_densemark.tencent`) with::

    python -m pytest_densemark.schemas

One schema per payload *kind*, built by the vendor that owns the kind (its
:meth:`~pytest_densemark.validation.PayloadRules.build_schema`, for the kit's own vendors in
``vendors/<name>/schema.py``); this module holds the pieces they share and the command that
writes them: ``facepp`` and ``facepp-error`` (a thousandlandmark success and JSON error body),
``tencent`` and ``tencent-error`` (an AnalyzeDenseLandmarks success envelope and the API 3.0
error envelope).

What JSON Schema cannot say (at most 888 points per Tencent face, per-list counts under a
profile, image bounds) is checked by :mod:`pytest_densemark.validation` through each vendor's
rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_densemark.validation import file_name, kinds, payload_rules

if TYPE_CHECKING:
    from pytest_densemark.validation import KINDS
    from pytest_densemark.vendors.facepp.schema import facepp_error_pattern

__all__ = [
    "DIALECT",
    "INT",
    "KINDS",
    "NON_NEGATIVE_INT",
    "STRING",
    "Schema",
    "build_schema",
    "build_schemas",
    "closed_object",
    "facepp_error_pattern",
    "file_name",
    "header",
    "main",
    "render",
]

#: The JSON Schema dialect of every shipped schema.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: A JSON Schema, as a dict ready for ``json.dumps``.
Schema = dict[str, Any]

#: Any integer; an integer >= 0; any string.
INT: Schema = {"type": "integer"}
NON_NEGATIVE_INT: Schema = {"type": "integer", "minimum": 0}
STRING: Schema = {"type": "string"}

# Names that lived here before each vendor built its own schemas: name -> its module now.
_MOVED = {"facepp_error_pattern": "pytest_densemark.vendors.facepp.schema"}


if not TYPE_CHECKING:  # mypy sees the imports above

    def __getattr__(name: str) -> Any:
        """:data:`KINDS` from the registry, and the names that moved to a vendor package."""
        if name == "KINDS":
            return kinds()
        module = _MOVED.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(import_module(module), name)


def closed_object(properties: dict[str, Schema], *, title: str | None = None) -> Schema:
    """An object with exactly ``properties``, all required (``title`` first when given)."""
    schema: Schema = {}
    if title is not None:
        schema["title"] = title
    schema.update(
        {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
    )
    return schema


def header(kind: str, title: str, description: str) -> Schema:
    """The opening keys of the schema of ``kind``: dialect, id, title and description."""
    return {
        "$schema": DIALECT,
        "$id": f"urn:pytest-densemark:schema:{kind}",
        "title": title,
        "description": description,
    }


def build_schema(kind: str) -> Schema:
    """Generate the schema for ``kind`` (one of :data:`KINDS`) from the vendor facts."""
    file_name(kind)  # validates kind
    return next(rules for rules in payload_rules() if kind in rules.kinds).build_schema(kind)


def build_schemas() -> dict[str, Schema]:
    """Generate every schema, by kind."""
    return {kind: build_schema(kind) for kind in kinds()}


def _folders() -> dict[str, Path]:
    """Where each kind's schema file is shipped: its vendor's schema folder."""
    return {kind: rules.schema_dir for rules in payload_rules() for kind in rules.kinds}


def render(schema: Schema) -> str:
    """The exact text written to disk for ``schema`` (stable, diff-friendly)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check``, compare) the shipped schema files; return an exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_densemark.schemas",
        description="Generate the JSON Schemas in schemas/ from the vendor facts.",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="directory to write to (default: shipped schemas/)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report files that differ; exit 1 if any"
    )
    args = parser.parse_args(argv)
    folders = _folders()
    stale = []
    for kind, schema in build_schemas().items():
        path = (args.out if args.out is not None else folders[kind]) / file_name(kind)
        text = render(schema)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if args.check:
            print(f"{path}: out of date; run python -m pytest_densemark.schemas", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
