"""Redaction: the summary of a live request a cassette stores, and the secrets it carried.

The stored request has no credentials, no query string, no user information, and no image
bytes. What is kept of the headers and parameters is the vendor's rule (its
:class:`~pytest_densemark.cassettes.rules.CassetteRules`); what is left to this module is
the same for every vendor: ``Content-Type`` without its multipart boundary, any other
``Authorization`` header reduced to a placeholder, and the credentials a URL carries
collected so the writer can scan for them.
"""

from __future__ import annotations

from typing import Any

import httpx

from pytest_densemark._redaction import REDACTED, url_credentials
from pytest_densemark.cassettes.rules import rules_for
from pytest_densemark.cassettes.summary import image_summary

__all__ = ["redact", "redact_request", "request_secrets"]


def _url_of(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def redact(request: httpx.Request) -> tuple[dict[str, Any], dict[str, str]]:
    """``(summary, secrets)``: what :func:`redact_request` and :func:`request_secrets` give."""
    _, rules = rules_for(request)
    secrets: dict[str, str] = {}
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower == "content-type":
            headers[lower] = value.split(";", 1)[0].strip() if "boundary=" in value else value
            continue
        stored = rules.redact_header(lower, value, secrets) if rules is not None else None
        if stored is not None:
            headers[lower] = stored
        elif lower == "authorization":
            secrets["Authorization"] = value
            headers[lower] = REDACTED
    params: dict[str, Any]
    if rules is not None:
        params = rules.redact_params(request, secrets)
    else:
        body = request.read()
        params = {"$body": image_summary(body)} if body else {}
    # The stored URL has no user information and no query string; what they carried is
    # scanned for (a Tencent GET request signs in the query, say).
    url = request.url
    known = set(secrets.values())
    for where, value in url_credentials(str(url)).items():
        if value not in known:
            secrets[f"URL {where}"] = value
    summary = {
        "method": request.method.upper(),
        "url": _url_of(url),
        "headers": dict(sorted(headers.items())),
        "params": params,
    }
    return summary, {k: v for k, v in secrets.items() if v}


def redact_request(request: httpx.Request) -> dict[str, Any]:
    """The redacted JSON summary of ``request`` as a cassette stores it.

    Drops ``api_key``/``api_secret`` (query string, urlencoded and multipart bodies), every
    header except ``Content-Type`` and ``X-TC-*``, the query string itself, the SecretId and
    signature inside ``Authorization``, and ``X-TC-Token``'s value; images (``image_file``,
    ``image_base64``, Tencent's ``Image``) become ``{"digest", "size", "format"}``.
    """
    return redact(request)[0]


def request_secrets(request: httpx.Request) -> dict[str, str]:
    """The secret values ``request`` carries, by name (``api_key``, ``SecretId``, ...).

    :class:`~pytest_densemark.cassettes.Recorder` collects these so the final scan looks for
    the values actually sent.
    """
    return redact(request)[1]
