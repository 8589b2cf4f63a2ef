"""Recording: :class:`Recorder` collects live exchanges and writes them as a cassette.

Each request is redacted as it is recorded and the secrets it carried are remembered, so
writing refuses a file in which any of them survived (see
:func:`~pytest_densemark.cassettes.write_cassette`).
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from pytest_densemark import vendors
from pytest_densemark.cassettes.format import CassetteError, CassetteWarning, cassette_document
from pytest_densemark.cassettes.redact import redact
from pytest_densemark.cassettes.rules import rules_for
from pytest_densemark.cassettes.write import normalise_secrets, write_cassette

__all__ = ["BeforeRecord", "Recorder"]

# Response headers that describe the stored body's transport, not the vendor's answer.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "set-cookie"}
)

#: The before-record hook: called with the redacted request summary about to be stored and
#: the live request; returns the summary to store (changed or not), or ``None`` to leave the
#: interaction out.
BeforeRecord = Callable[[dict[str, Any], httpx.Request], dict[str, Any] | None]


class Recorder:
    """Collects live exchanges and writes them as a ``source: recorded`` cassette.

    Call :meth:`record` with each request and its (read) response; the request is redacted at
    once and the secret values it carried are remembered, so :meth:`write` refuses to write a
    file in which any of them (or any extra secret you pass) survived.

    ``before_record``, like vcrpy's ``before_record_request``, widens or narrows what is
    stored. It is called for every exchange with two arguments, the request summary about to
    be stored (a fresh dict ``{"method", "url", "headers", "params"}``, already redacted as
    :func:`redact_request` says) and the live :class:`httpx.Request`, and returns the summary
    to store (the same dict changed in place, or a new one), or ``None`` to leave the
    exchange out of the cassette. What it returns still goes through the secret scan of
    :func:`write_cassette`: putting a credential back makes the write fail. For example, to
    keep a non-secret field that is stored as a digest by default::

        def keep_user_id(summary, request):
            summary["params"]["user_id"] = parse_facepp(request).fields["user_id"]
            return summary

        Recorder(before_record=keep_user_id)
    """

    def __init__(self, *, description: str = "", before_record: BeforeRecord | None = None) -> None:
        if before_record is not None and not callable(before_record):
            raise TypeError(
                f"before_record must be a callable (summary, request) -> summary or None,"
                f" got {type(before_record).__name__}"
            )
        self.description = description
        self.before_record = before_record
        self.interactions: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = {}
        self.vendor: str | None = None
        self.action: str | None = None
        self.version: str | None = None
        self._lock = threading.Lock()

    def record(self, request: httpx.Request, response: httpx.Response) -> None:
        """Add one exchange (the response body must have been read).

        The request is summarised by :func:`redact_request`, then given to ``before_record``
        when one was set; an exchange it drops (``None``) is not stored, though the secrets
        its request carried are still scanned for when writing.
        """
        redacted, secrets = redact(request)
        summary: dict[str, Any] | None = redacted
        if self.before_record is not None:
            summary = self.before_record(redacted, request)
            if summary is not None and not isinstance(summary, dict):
                raise TypeError(
                    f"before_record must return the request summary (a dict) or None,"
                    f" got {type(summary).__name__}"
                )
        vendor, rules = rules_for(request)
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS
        }
        kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body: Any
        if kind.endswith("json"):
            try:
                body = json.loads(response.content)
            except (UnicodeDecodeError, json.JSONDecodeError):
                body = response.text
        else:
            body = response.text if response.content else None
        with self._lock:
            self.secrets.update(
                {f"{k} (interaction {len(self.interactions)})": v for k, v in secrets.items()}
            )
            if summary is None:
                return
            if self.vendor is None and rules is not None:
                self.vendor = vendor
                self.action, self.version = rules.recording_action(request)
            self.interactions.append(
                {
                    "request": summary,
                    "response": {"status": response.status_code, "headers": headers, "body": body},
                }
            )

    def to_json(self) -> dict[str, Any]:
        """The cassette document recorded so far."""
        if not self.interactions or self.vendor is None:
            titles = " or ".join(vendor.title for vendor in vendors.all_vendors())
            raise CassetteError(f"nothing to write: no {titles} exchange was recorded")
        return cassette_document(
            vendor=self.vendor,
            action=self.action,
            version=self.version,
            description=self.description,
            source="recorded",
            interactions=list(self.interactions),
        )

    def write(
        self,
        path: str | os.PathLike[str],
        *,
        secrets: Mapping[str, str] | Iterable[str] = (),
        overwrite: bool = True,
    ) -> bool:
        """Write the recording with :func:`write_cassette`, scanning for every secret seen.

        With ``overwrite=False``, when the file appeared since recording began (another
        pytest-xdist worker recorded the same cassette first), the recording is not written,
        a :class:`CassetteWarning` naming the file says so, and ``False`` is returned.
        """
        extra = normalise_secrets(secrets)
        written = write_cassette(
            path, self.to_json(), secrets={**self.secrets, **extra}, overwrite=overwrite
        )
        if not written:
            warnings.warn(
                CassetteWarning(
                    f"{os.fspath(path)}: this recording was not written: the cassette was"
                    " created meanwhile (by another pytest-xdist worker recording it too?);"
                    " the existing file was kept"
                ),
                stacklevel=2,
            )
        return written
