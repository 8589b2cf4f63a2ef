"""Checks on values that end up on the wire: response headers, statuses and delays.

One place for the rules, shared by every way a value can come in (the Python API, the
loopback server's control API, a cassette file), so no entry point can forget one. Each check
returns ``None`` for a good value or a short description of what was expected; the callers
turn that into their own error (``ValueError``, a ``400`` answer, a ``CassetteError`` naming
the file and JSON path). Nothing here imports from the rest of the package but the rule for
what a credential looks like (:mod:`pytest_densemark._redaction`): the value of a header
such as ``Authorization`` is never quoted in a description.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_densemark._redaction import is_credential_name

__all__ = [
    "MAX_DELAY_SECONDS",
    "check_delay",
    "check_header",
    "check_status",
    "delay_problem",
    "header_problem",
    "status_problem",
    "upstream_problem",
]

#: Longest injected delay accepted, in seconds: long enough for any client timeout a test sets,
#: short enough that a typo (``1e300``) cannot hold a connection for ever.
MAX_DELAY_SECONDS = 3600.0

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_LINE_BREAKERS = ("\r", "\n", "\0")


def _show(value: object) -> str:
    """A short repr, safe for integers too long for ``repr`` (over 4300 digits)."""
    try:
        text = repr(value)
    except ValueError:
        return f"an integer of {value.bit_length() if isinstance(value, int) else '?'} bits"
    return text if len(text) <= 80 else text[:77] + "..."


def header_problem(name: object, value: object) -> str | None:
    """What is wrong with a response header, or ``None`` when it can go onto the wire.

    The name must be a non-empty HTTP token (RFC 9110 5.1); neither name nor value may hold
    CR, LF or NUL, which would end the header early and let the rest be read as another
    header or as the body (header injection). The value must be ASCII: a header given as text
    goes onto the wire as ASCII (httpx refuses anything else when it builds the answer). The
    value of a header whose name says it carries a credential (``Authorization``,
    ``X-TC-Token``, ``Cookie``...) is not quoted.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        return "a header name and value as strings"
    if not name or not _TOKEN_CHARS.issuperset(name):
        return f"a header name made of token characters (RFC 9110), got {_show(name)}"
    if any(char in value for char in _LINE_BREAKERS):
        if is_credential_name(name):
            found = ", ".join(repr(c) for c in _LINE_BREAKERS if c in value)
            return (
                f"a header value without CR, LF or NUL, got one holding {found}"
                " (not shown: the header carries a credential)"
            )
        return f"a header value without CR, LF or NUL, got {_show(value)}"
    if not value.isascii():
        if is_credential_name(name):
            return "a header value of ASCII characters (not shown: the header carries a credential)"
        return f"a header value of ASCII characters, got {_show(value)}"
    return None


def check_header(name: object, value: object, *, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` and the header if :func:`header_problem` finds one."""
    problem = header_problem(name, value)
    if problem is not None:
        raise ValueError(f"{where}: header {_show(name)}: expected {problem}")


def status_problem(status: object) -> str | None:
    """What is wrong with a final HTTP status, or ``None`` for ``200``-``599``.

    ``1xx`` statuses are interim answers (RFC 9110 15.2): a client reading one as the answer
    waits for another that never comes, so none is accepted as a final answer.
    """
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        return f"an HTTP status 200-599 (1xx is interim, never a final answer), got {_show(status)}"
    return None


def check_status(status: object, *, where: str) -> int:
    """``status`` if :func:`status_problem` finds nothing; else ``ValueError`` naming ``where``."""
    problem = status_problem(status)
    if problem is not None:
        raise ValueError(f"{where}: expected {problem}")
    assert isinstance(status, int)
    return status


def delay_problem(seconds: object, *, maximum: float = MAX_DELAY_SECONDS) -> str | None:
    """What is wrong with a delay in seconds, or ``None`` for a finite number ``0``-``maximum``."""
    # The comparison also refuses NaN and infinities, and never converts a huge int to float.
    if (
        not isinstance(seconds, (int, float))
        or isinstance(seconds, bool)
        or not 0 <= seconds <= maximum
    ):
        return f"a finite number of seconds from 0 to {maximum:g}, got {_show(seconds)}"
    return None


def check_delay(seconds: object, *, where: str, maximum: float = MAX_DELAY_SECONDS) -> float:
    """``seconds`` as a float when :func:`delay_problem` finds nothing; else ``ValueError``."""
    problem = delay_problem(seconds, maximum=maximum)
    if problem is not None:
        raise ValueError(f"{where}: expected {problem}")
    assert isinstance(seconds, (int, float))
    return float(seconds)


_UPSTREAM_EXAMPLE = "an http(s) base URL such as http://127.0.0.1:8080"


def upstream_problem(value: object) -> str | None:
    """What is wrong with a recording's upstream, the base URL vendor requests are forwarded
    to, or ``None`` when it is one. The value itself is never quoted: it may carry a password.
    """
    if not isinstance(value, str) or not value.strip():
        return f"{_UPSTREAM_EXAMPLE}, got an empty value"
    if any(char in value for char in (*_LINE_BREAKERS, " ", "\t")):
        return f"{_UPSTREAM_EXAMPLE}, got one holding whitespace or control characters"
    try:
        parts = urlsplit(value)
        if parts.port == 0:  # reading it raises for a port that is no number, or out of range
            return f"{_UPSTREAM_EXAMPLE}, got port 0"
    except ValueError:
        return f"{_UPSTREAM_EXAMPLE}, got one whose host or port does not parse"
    if parts.scheme not in ("http", "https"):
        scheme = f"scheme {parts.scheme!r}" if parts.scheme.isalnum() else "no scheme"
        return f"{_UPSTREAM_EXAMPLE}, got {scheme}"
    if not parts.hostname:
        return f"{_UPSTREAM_EXAMPLE}, got no host"
    if parts.query or parts.fragment:
        return f"{_UPSTREAM_EXAMPLE}, got a query or fragment (only the path is kept)"
    return None
