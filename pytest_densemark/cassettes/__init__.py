"""Cassettes: recorded (or synthetic) vendor exchanges, stored as readable JSON, replayed.

One file holds one scenario::

    {"densemark_cassette": 1, "vendor": "facepp", "action": "thousandlandmark",
     "version": null, "description": "...", "source": "synthetic", "kit_version": "0.2.0",
     "interactions": [{"request": {"method", "url", "headers", "params"},
                       "response": {"status", "headers", "body"}}]}

The request side is stored redacted: no ``api_key``/``api_secret``, no signature, no
``X-TC-Token``, no SecretId, and images as ``{"digest", "size", "format"}``, never bytes. A
JSON response body is stored as JSON; a plain-text body as a string.

:func:`load_cassette` reads a file once per process (it is cached on path, size and
modification time), :class:`Player` answers requests from a cassette, and
:class:`Recorder` / :func:`write_cassette` write new ones atomically after checking that no
secret value used in the run survived redaction.

The package has one module per concept, each importing only those above it in this list:
:mod:`~pytest_densemark.cassettes.format` (the file format, its constants and errors),
:mod:`~pytest_densemark.cassettes.summary` (what is kept of images, URLs and unknown values),
:mod:`~pytest_densemark.cassettes.rules` (the :class:`CassetteRules` each vendor implements),
:mod:`~pytest_densemark.cassettes.store` (lookup and cache),
:mod:`~pytest_densemark.cassettes.redact`, :mod:`~pytest_densemark.cassettes.match`,
:mod:`~pytest_densemark.cassettes.write`, :mod:`~pytest_densemark.cassettes.record` and
:mod:`~pytest_densemark.cassettes.check` (validation of the stored answers). Every rule that
depends on the vendor is asked of the vendor's :class:`CassetteRules`.
"""

from __future__ import annotations

from pytest_densemark._redaction import REDACTED
from pytest_densemark.cassettes.check import cassette_results, validate_cassette, validation_hook
from pytest_densemark.cassettes.format import (
    FORMAT_VERSION,
    MAX_DEPTH,
    SOURCES,
    Cassette,
    CassetteError,
    CassetteMismatch,
    CassetteWarning,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    Source,
    cassette_document,
    cassette_from_data,
)
from pytest_densemark.cassettes.match import Player
from pytest_densemark.cassettes.record import BeforeRecord, Recorder
from pytest_densemark.cassettes.redact import redact_request, request_secrets
from pytest_densemark.cassettes.rules import CassetteRules, KeySource
from pytest_densemark.cassettes.store import list_cassettes, load_cassette
from pytest_densemark.cassettes.summary import image_summary
from pytest_densemark.cassettes.write import MIN_SCANNED_LENGTH, dump_cassette, write_cassette

__all__ = [
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MIN_SCANNED_LENGTH",
    "REDACTED",
    "SOURCES",
    "BeforeRecord",
    "Cassette",
    "CassetteError",
    "CassetteMismatch",
    "CassetteRules",
    "CassetteWarning",
    "Interaction",
    "KeySource",
    "Player",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "Source",
    "cassette_document",
    "cassette_from_data",
    "cassette_results",
    "dump_cassette",
    "image_summary",
    "list_cassettes",
    "load_cassette",
    "redact_request",
    "request_secrets",
    "validate_cassette",
    "validation_hook",
    "write_cassette",
]
