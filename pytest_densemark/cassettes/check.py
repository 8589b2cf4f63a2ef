"""Checking a cassette's stored answers against its vendor's schemas (``densemark validate``).

Each response body is checked as the vendor says (its
:meth:`~pytest_densemark.cassettes.rules.CassetteRules.check_body`): its success or error
payload by status and envelope, or another answer for another path (Face++'s Detect). A
plain-text body is valid only when the vendor documents it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_densemark import vendors
from pytest_densemark.cassettes.format import Cassette, CassetteError, cassette_from_data
from pytest_densemark.cassettes.rules import CassetteRules
from pytest_densemark.cassettes.store import read_cassette
from pytest_densemark.validation import ValidationResult, Violation, validate

__all__ = ["cassette_results", "validate_cassette", "validation_hook"]


def _as_cassette(path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any]) -> Cassette:
    if isinstance(path_or_data, Cassette):
        return path_or_data
    if isinstance(path_or_data, Mapping):
        return cassette_from_data(dict(path_or_data))
    path = Path(path_or_data)
    return read_cassette(path, path.stem)


def cassette_results(
    path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any], *, kind: str = "auto"
) -> list[tuple[str, ValidationResult]]:
    """Validate every response body of a cassette: ``(label, result)`` per interaction.

    ``label`` is ``interactions[i].response.body``. With ``kind="auto"`` each body is checked
    as its vendor's success or error payload, from the cassette's vendor, the HTTP status
    (Face++) and the envelope (Tencent); another ``kind`` is applied to every body. A Face++
    plain-text body is valid only when it is a documented plain-text error (the 413).
    """
    cassette = _as_cassette(path_or_data)
    rules: CassetteRules = vendors.get(cassette.vendor).cassette
    results: list[tuple[str, ValidationResult]] = []
    for interaction in cassette.interactions:
        label = f"interactions[{interaction.index}].response.body"
        response = interaction.response
        body = response.body
        if not response.is_json:
            problems = (
                []
                if body in rules.plain_text_errors
                else [
                    Violation(
                        "", f"expected JSON or a documented plain-text error, got {body!r:.80}"
                    )
                ]
            )
            results.append((label, ValidationResult(rules.error_kind, problems)))
        elif kind == "auto":
            path = urlsplit(interaction.request.url).path
            results.append((label, rules.check_body(path, response.status, body)))
        else:
            results.append((label, validate(body, kind)))
    return results


def validate_cassette(
    path_or_data: str | os.PathLike[str] | Cassette | Mapping[str, Any],
) -> list[tuple[str, str]]:
    """Check every response body of a cassette against its vendor's schema.

    Takes a file path, a loaded :class:`Cassette` or a parsed document. Returns a list of
    ``(json_path, message)`` pairs, empty when every body is valid; a JSON path looks like
    ``interactions[2].response.body.face.landmark.nose``. A Face++ plain-text body (the 413
    front-end error) must be exactly a documented plain-text error. Raises
    :class:`CassetteError` when the input is not a readable cassette at all.
    """
    problems: list[tuple[str, str]] = []
    for label, result in cassette_results(path_or_data):
        for violation in result.violations:
            sub = violation.path
            joined = f"{label}{sub}" if sub.startswith("[") else f"{label}.{sub}"
            problems.append((joined if sub else label, violation.message))
    return problems


def validation_hook(
    document: object, *, kind: str = "auto"
) -> list[tuple[str, ValidationResult]] | None:
    """``densemark validate``'s hook: the results for a cassette document, else ``None``.

    A document carrying the ``densemark_cassette`` key is a cassette: a malformed one raises
    :class:`CassetteError` (reported as unreadable input).
    """
    if not isinstance(document, Mapping) or "densemark_cassette" not in document:
        return None
    try:
        cassette = cassette_from_data(dict(document))
    except CassetteError as exc:  # the command names the file itself
        raise CassetteError(str(exc).removeprefix("<memory>: ")) from None
    return cassette_results(cassette, kind=kind)
