"""The cassette rules a vendor implements (:class:`CassetteRules`), and what they exchange.

Everything a cassette does that depends on the vendor (which request parameters are kept,
which are credentials, how a signature header is redacted, what makes two requests the same
request, which action a recording names, how a stored answer is validated) is asked of the
vendor's :class:`CassetteRules`, reached as ``vendors.get(name).cassette`` or, for a request,
through :func:`rules_for`. The core modules of this package (redaction, matching, recording,
validation) hold no vendor rule of their own.

A match key is built by one function per vendor, :meth:`CassetteRules.match_key`, from a
:class:`KeySource`: a recorded request is one already, and a live request is turned into one
by :meth:`CassetteRules.key_source`, which summarises its parameters with the same code the
vendor's redaction stores them with. So a recorded request and the live request it came from
get the same key, and the two sides cannot drift apart.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from pytest_densemark import vendors
from pytest_densemark.cassettes.summary import digest

if TYPE_CHECKING:
    import httpx

    from pytest_densemark.validation import ValidationResult

__all__ = [
    "CassetteRules",
    "Described",
    "ImageKey",
    "Key",
    "KeySource",
    "rules_for",
    "stored_image",
    "stored_url",
]

#: A match key: ``(name, value)`` pairs, compared whole; the names are shown in mismatches.
Key = tuple[tuple[str, Any], ...]


class KeySource(NamedTuple):
    """One request as a match key reads it: in the form a cassette stores it.

    ``headers`` have lower-case names; ``params`` are the vendor's parameters as stored
    (images and image URLs as summaries, see :mod:`~pytest_densemark.cassettes.summary`).
    ``action`` and ``version`` are what a request that names none is taken to ask for: the
    cassette's own for a recorded request, ``None`` for a live one (which says what it asks).
    """

    headers: Mapping[str, str]
    params: Mapping[str, Any]
    action: str | None = None
    version: str | None = None


@runtime_checkable
class Described(Protocol):
    """A match-key value that says how a mismatch message shows it."""

    def describe(self) -> str:
        """The value in a mismatch message (``all parts``, ``digest 3f2a...``)."""


class ImageKey(NamedTuple):
    """How a match key names the image a request carries.

    ``by`` is what identifies it: ``"digest"`` (of the image bytes), ``"value"`` (a stored
    value that is no summary), the name of a URL parameter (``url`` true: ``value`` is the
    digest of the whole URL) or of an identifier parameter (a face token).
    """

    by: str
    value: Any
    url: bool = False

    def describe(self) -> str:
        """``image_url with sha256 3f2a...`` for a URL, else ``digest 3f2a...``."""
        if self.url:
            return f"{self.by} with sha256 {str(self.value)[:12]}..."
        return f"{self.by} {self.value}"


def stored_image(value: Any) -> ImageKey:
    """The key of an image parameter as stored: its summary's digest, else the value."""
    if isinstance(value, Mapping):
        return ImageKey("digest", value.get("digest"))
    return ImageKey("value", value)


def stored_url(name: str, value: Any) -> ImageKey:
    """The key of the image URL parameter ``name`` as stored: the digest of the whole URL."""
    if isinstance(value, Mapping):
        return ImageKey(name, value.get("digest"), url=True)
    # Cassettes written before URLs were summarised hold the URL itself.
    return ImageKey(name, digest(value) if isinstance(value, str) else value, url=True)


@runtime_checkable
class CassetteRules(Protocol):
    """A vendor's cassette rules: what the core asks of ``vendors.get(name).cassette``.

    Implementations live in the vendor's package (``vendors/<name>/cassette.py``) and are
    registered as the ``cassette`` concern of its :class:`~pytest_densemark.vendors.Vendor`.
    """

    #: The payload kind a plain-text body is reported as (``"facepp-error"``).
    error_kind: str
    #: The plain-text bodies the vendor documents as answers (Face++'s 413 front-end error);
    #: any other non-JSON body in a cassette is invalid.
    plain_text_errors: Collection[str]

    def recording_action(self, request: httpx.Request) -> tuple[str, str | None]:
        """The ``action`` and ``version`` a cassette recorded from ``request`` is stored with."""

    def redact_header(self, name: str, value: str, secrets: dict[str, str]) -> str | None:
        """The stored value of the request header ``name`` (lower case), or ``None``.

        ``None`` means the vendor has no rule for the header: the core drops it (an
        ``Authorization`` header is then stored redacted). Each secret the value carries is
        added to ``secrets`` by a label (``"SecretId"``) so the writer can scan for it.
        """

    def redact_params(self, request: httpx.Request, secrets: dict[str, str]) -> dict[str, Any]:
        """The request's parameters as a cassette stores them, secrets moved to ``secrets``.

        Credentials are left out, images and image URLs summarised, parameters that do not
        change the answer stored as digests (see :mod:`~pytest_densemark.cassettes.summary`).
        """

    def key_source(
        self, request: httpx.Request, parsed: object | None, *, with_image: bool
    ) -> KeySource:
        """A live request as :meth:`match_key` reads it, summarised as the redaction stores it.

        ``parsed`` is the request's parameters when the caller has already read them (the
        emulator's ``FaceppParams`` / ``TencentParams``), so the body is not read twice; any
        other value (``None``) is ignored. Images are summarised only ``with_image``.
        """

    def match_key(self, source: KeySource, *, with_image: bool) -> Key:
        """The vendor's part of a request's match key (the core adds method, vendor and path).

        The only key builder of the vendor: a recorded request and a live one go through it
        alike. Values that change the answer are normalised as the vendor's emulator reads
        them; the image (its digest, its URL's digest or its identifier) is part of the key
        only ``with_image``. Values may implement :class:`Described` for mismatch messages.
        """

    def check_body(self, path: str, status: int, body: Any) -> ValidationResult:
        """Validate a stored JSON answer to a request for ``path`` that got ``status``."""


@functools.lru_cache(maxsize=64)
def _rules_of(vendor: vendors.Vendor) -> tuple[str, CassetteRules]:
    # Once per vendor object (every matched request asks): a re-registered vendor is another.
    rules: CassetteRules = vendor.cassette
    return vendor.name, rules


def rules_for(request: httpx.Request) -> tuple[str | None, CassetteRules | None]:
    """The name and cassette rules of the vendor ``request`` is for (``None`` for none)."""
    vendor = vendors.vendor_for_request(request)
    if vendor is None:
        return None, None
    return _rules_of(vendor)
