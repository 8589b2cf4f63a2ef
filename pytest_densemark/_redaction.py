"""One place that decides what a credential looks like, for every message, repr and cassette.

Kit messages (:class:`~pytest_densemark.cassettes.CassetteMismatch`, the emulated timeouts),
the reprs of objects that can hold a request's parameters, and the cassette writer all call
these helpers, so a credential is hidden the same way wherever the kit prints or stores a
request.

What counts as a credential:

- a query, form or JSON parameter, or a header, whose name says so: ``api_key``,
  ``api_secret``, ``SecretId``, ``Signature``, ``X-TC-Token``, ``Authorization``, ``Cookie``,
  and any name containing ``key``, ``secret``, ``token``, ``sign``, ``password``,
  ``credential``, ``auth``, ``session`` or ``cookie`` (which covers presigned-URL parameters
  such as ``X-Amz-Signature``, ``X-Amz-Security-Token``, COS ``q-signature`` and
  ``x-cos-security-token``), plus COS's ``q-ak``; Face++'s ``face_token`` (an identifier the
  vendor hands out) and TC3's ``SignedHeaders`` (a list of header names) are not;
- the user name and password of a URL (``https://user:pass@host/...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "is_credential_name",
    "redact_fields",
    "redact_headers",
    "redact_report",
    "redact_text",
    "redact_url",
    "url_credentials",
]

#: What replaces a credential's value.
REDACTED = "<redacted>"

_CREDENTIAL_PART = re.compile(
    r"key|secret|token|sign|password|passwd|credential|auth|session|cookie", re.IGNORECASE
)
_CREDENTIAL_NAMES = frozenset({"q-ak", "q_ak", "ak", "sk", "sig", "pwd"})
# Names that match the pattern but are the vendors' identifiers, not credentials.
_NOT_CREDENTIALS = frozenset({"face_token", "signedheaders", "x-amz-signedheaders"})


def is_credential_name(name: str) -> bool:
    """Whether a parameter or header called ``name`` may carry a credential."""
    lower = name.lower()
    if lower in _NOT_CREDENTIALS:
        return False
    return lower in _CREDENTIAL_NAMES or _CREDENTIAL_PART.search(name) is not None


def _split(url: object) -> SplitResult | None:
    try:
        return urlsplit(str(url))
    except ValueError:
        return None


def url_credentials(url: object) -> dict[str, str]:
    """The credentials a URL carries, by where they sit (``password``, ``query X-Amz-...``).

    The user name and password of the authority, and the value of every query parameter
    :func:`is_credential_name` accepts. Empty values are left out.
    """
    parts = _split(url)
    if parts is None:
        return {}
    found: dict[str, str] = {}
    try:
        username, password = parts.username, parts.password
    except ValueError:
        username = password = None
    if username:
        found["user name"] = username
    if password:
        found["password"] = password
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if value and is_credential_name(name):
            found[f"query {name}"] = value
    return found


def redact_url(url: object) -> str:
    """``url`` as text, with its user information and credential query values redacted.

    ``https://u:p@host/p?api_key=K&x=1`` becomes
    ``https://<redacted>@host/p?api_key=<redacted>&x=1``; other query parameters stay, so a
    message still says which request it is about. Text that cannot be split as a URL (a bad
    IPv6 literal) is shown as ``<unparseable URL>``.
    """
    parts = _split(url)
    if parts is None:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_credential_name(name) for name, _ in pairs):
            query = urlencode(
                [(n, REDACTED if is_credential_name(n) else v) for n, v in pairs], safe="<>"
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_value(name: str, value: Any) -> Any:
    if is_credential_name(name):
        return REDACTED
    if isinstance(value, str) and ("://" in value or "@" in value):
        return redact_url(value)
    if isinstance(value, Mapping):
        return redact_fields(value)
    return value


def redact_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``fields`` (form or JSON parameters) safe to print.

    Values of credential-named fields become ``<redacted>``, URLs lose their credentials
    (:func:`redact_url`), nested objects are redacted the same way and bytes are shown as
    their length only.
    """
    shown: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, bytes | bytearray):
            shown[name] = REDACTED if is_credential_name(name) else f"<{len(value)} bytes>"
        else:
            shown[name] = _redact_value(str(name), value)
    return shown


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` safe to print: credential-named headers' values redacted."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {
        name: REDACTED
        if is_credential_name(name)
        else redact_url(value)
        if "://" in value
        else value
        for name, value in items
    }


# --- free text (failure reports) ----------------------------------------------------------

_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"<>]+@")
# name=value, as in a query string, a form body or an Authorization header.
_BARE_PAIR = re.compile(r"(?P<name>[A-Za-z_][\w.-]*)=(?P<value>[^\s,;&'\"<>()\[\]{}]+)")
# name='value' (a keyword in a repr) and 'name': 'value' (a dict's repr).
_QUOTED_PAIR = re.compile(
    r"""(?P<q1>['"]?)(?P<name>[A-Za-z_][\w.-]*)(?P=q1)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<q2>['"])(?P<value>(?:\\.|(?!(?P=q2)).)*)(?P=q2)"""
)
# ('name', 'value'): a header list's item.
_TUPLE_PAIR = re.compile(
    r"""\(\s*(?P<q1>['"])(?P<name>[\w.-]+)(?P=q1)\s*,\s*"""
    r"""(?P<q2>['"])(?P<value>(?:\\.|(?!(?P=q2)).)*)(?P=q2)\s*\)"""
)
# A repr shortened by pytest (``'Authorization'...ryf41b``): the cut may split a credential.
_CUT = re.compile(r"\.\.\.")


def _pair(match: re.Match[str]) -> str:
    if not is_credential_name(match["name"]):
        return match[0]
    start, end = match.span("value")
    whole = match[0]
    offset = match.start()
    return whole[: start - offset] + REDACTED + whole[end - offset :]


def redact_text(text: str) -> str:
    """``text`` with every credential it visibly carries replaced by ``<redacted>``.

    For free text the kit did not write itself, such as the lines of a failure report: URL
    user information, ``name=value`` pairs (query strings, form bodies, ``Authorization``
    parts such as ``Credential=`` and ``Signature=``), ``name='value'`` keywords,
    ``'name': 'value'`` dictionary items and ``('name', 'value')`` pairs, wherever the name
    is a credential's (:func:`is_credential_name`).
    """
    if not text:
        return text
    text = _USERINFO.sub(rf"\g<head>{REDACTED}@", text)
    text = _TUPLE_PAIR.sub(_pair, text)
    text = _QUOTED_PAIR.sub(_pair, text)
    return _BARE_PAIR.sub(_pair, text)


def _shortened_credential(text: str) -> bool:
    """Whether a shortened repr names a credential: what was cut may have split its value."""
    if _CUT.search(text) is None:
        return False
    return any(is_credential_name(word) for word in re.findall(r"[A-Za-z_][\w-]*", text))


def redact_report(report: Any) -> None:
    """Redact credentials in a pytest test report's failure representation, in place.

    Frames' argument values (shown by ``--tb=long`` and for the last frame of ``--tb=auto``),
    message lines (not source lines), locals (``--showlocals``) and the crash message go through
    :func:`redact_text`; an argument whose repr pytest shortened (``...``) around a
    credential's name is replaced whole, since the cut may have split the value. Captured
    output is the test's own and is left alone.
    """
    longrepr = getattr(report, "longrepr", None)
    if longrepr is None or isinstance(longrepr, str | tuple):
        return
    chain = getattr(longrepr, "chain", None)
    tracebacks = (
        [item[0] for item in chain] if chain else [getattr(longrepr, "reprtraceback", None)]
    )
    crashes = [item[1] for item in chain] if chain else [getattr(longrepr, "reprcrash", None)]
    for crash in crashes:
        if crash is not None and isinstance(getattr(crash, "message", None), str):
            crash.message = redact_text(crash.message)
    for traceback in tracebacks:
        for entry in getattr(traceback, "reprentries", None) or ():
            if isinstance(getattr(entry, "lines", None), list):
                # Source lines are code (``auth=auth`` is no credential); "E" lines are the
                # exception's message and the assertion's explanation.
                entry.lines = [
                    redact_text(line) if line.startswith("E") else line for line in entry.lines
                ]
            funcargs = getattr(entry, "reprfuncargs", None)
            if funcargs is not None and isinstance(getattr(funcargs, "args", None), list):
                funcargs.args = [(name, _redact_arg(value)) for name, value in funcargs.args]
            local_vars = getattr(entry, "reprlocals", None)
            if local_vars is not None and isinstance(getattr(local_vars, "lines", None), list):
                local_vars.lines = [redact_text(line) for line in local_vars.lines]


def _redact_arg(value: object) -> object:
    if not isinstance(value, str):
        return value
    shown = redact_text(value)
    if _shortened_credential(shown):
        return f"{REDACTED} (a shortened repr that may hold a credential)"
    return shown
