"""The control API under ``/_densemark/``: JSON in, JSON out, for clients outside Python.

:data:`CONTROL_ENDPOINTS` lists the endpoints (the kit's own, then each vendor's from its
:class:`~pytest_densemark.server.rules.ServerRules`); :func:`guard` refuses requests a web page
could make; :func:`answer` checks every field (an error names the field and what was
expected) and calls the server's controller names. HTTP itself is the server's job.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from pytest_densemark import vendors
from pytest_densemark._resources import data_dir
from pytest_densemark.checks import delay_problem, header_problem, status_problem
from pytest_densemark.faces import Face
from pytest_densemark.server.framing import HttpError, is_loopback
from pytest_densemark.server.rules import VendorControl, all_rules

if TYPE_CHECKING:
    from pytest_densemark.emulator import Call
    from pytest_densemark.server.lifecycle import DensemarkServer

__all__ = [
    "CONTROL_CONNECTIONS",
    "CONTROL_ENDPOINTS",
    "CONTROL_IDLE_SECONDS",
    "CONTROL_PREFIX",
    "MAX_CONTROL_BYTES",
    "answer",
    "guard",
    "too_large",
]

#: Path prefix reserved for the control API.
CONTROL_PREFIX = "/_densemark/"
#: Largest control-API body, in bytes (it may carry an image, base64-encoded).
MAX_CONTROL_BYTES = 16 * 1024 * 1024
#: Connections admitted past ``max_connections`` for the control API alone, so that
#: ``/_densemark/reset`` and friends answer even while vendor clients fill every slot.
CONTROL_CONNECTIONS = 8
#: How long such a control-only connection may wait for its request, in seconds.
CONTROL_IDLE_SECONDS = 2.0

#: The kit's own endpoints: ``"METHOD path"`` -> what it does.
_KIT_ENDPOINTS: dict[str, str] = {
    "GET /_densemark/": "this index: URLs of both vendors and the endpoints below",
    "POST /_densemark/reset": (
        "forget calls, queued responses, faults, cassette, credentials, faces, URLs; Tencent"
        " answers a faceless image with the error again"
    ),
    "GET /_densemark/calls": "the call log (?vendor=facepp|tencent to filter)",
    "POST /_densemark/cassette": '{"name": NAME_OR_PATH}: answer from a cassette',
    "GET /_densemark/unplayed": "cassette interactions not played yet",
    "POST /_densemark/fault": (
        '{"type": "error", "vendor": V, "error": NAME_OR_CODE, "times": 1, "arg": null} | '
        '{"type": "latency", "seconds": S, "vendor": null, "times": null} | '
        '{"type": "timeout" | "disconnect", "vendor": null, "times": 1}'
    ),
    "POST /_densemark/queue": (
        '{"vendor": V, "body": JSON_OR_STRING, "status": 200, "headers": {}, "times": 1}'
    ),
    "POST /_densemark/credentials": (
        '{"api_key", "api_secret", "secret_id", "secret_key", "token"} (any subset)'
    ),
    "POST /_densemark/faces": (
        '{"image_sha256": HEX | "image_base64": B64, "faces": [{"left", "top", "width", '
        '"height", ...Face fields}]}'
    ),
    "POST /_densemark/url": '{"url": URL, "image_base64": B64}: what image_url/Url downloads',
}


def _vendor_controls() -> dict[str, VendorControl]:
    """Every registered vendor's own control endpoints, by name."""
    return {control.name: control for rules in all_rules() for control in rules.control}


class _Endpoints(Mapping[str, str]):
    """The control API's endpoints as of now: the kit's, then each registered vendor's."""

    def _table(self) -> dict[str, str]:
        extra = {f"POST {CONTROL_PREFIX}{c.name}": c.summary for c in _vendor_controls().values()}
        return {**_KIT_ENDPOINTS, **extra}

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return repr(self._table())


#: The control API: ``"METHOD path"`` -> what it does (JSON in, JSON out), vendors' included.
CONTROL_ENDPOINTS: Mapping[str, str] = _Endpoints()


class _ControlError(Exception):
    """A control request with a missing or wrong field."""


def too_large() -> HttpError:
    """The refusal of a control body over :data:`MAX_CONTROL_BYTES`."""
    return HttpError(413, f"control request body over {MAX_CONTROL_BYTES} bytes")


def guard(method: str, host: str | None, headers: Sequence[tuple[bytes, bytes]], port: int) -> None:
    """Refuse control requests a web page could make (``HttpError`` 403 or 415).

    A page on another site can make a browser send a "simple" request (``text/plain``,
    form-encoded or no ``Content-Type``) without asking first; requiring JSON makes the
    browser ask (a CORS preflight) and this server never says yes. A page reached
    through a rebound DNS name sends that name as ``Host``, which is refused: the ``Host``
    must be a loopback address, with the server's ``port`` if any.
    """
    if not _loopback_host(host, port):
        raise _refusal(
            403,
            f"Host {host!r:.80} is not this server's loopback address: expected"
            f" 127.0.0.1, localhost or [::1], optionally with :{port}",
        )
    if method in ("GET", "HEAD"):
        return
    types = [v for n, v in headers if n.lower() == b"content-type"]
    media = types[0].split(b";", 1)[0].strip().lower() if len(types) == 1 else b""
    if media != b"application/json":
        got = types[0].decode("latin-1")[:80] if len(types) == 1 else f"{len(types)} given"
        raise _refusal(
            415,
            f"{method} control requests need Content-Type: application/json (got {got!r})",
        )


def answer(server: DensemarkServer, method: str, target: str, body: bytes) -> tuple[int, Any]:
    """The status and JSON payload answering one control request to ``server``."""
    path, _, query = target.partition("?")
    name = path[len(CONTROL_PREFIX) :].strip("/") if path != CONTROL_PREFIX[:-1] else ""
    key = f"{method} {CONTROL_PREFIX}{name}"
    endpoints = dict(CONTROL_ENDPOINTS)
    if key not in endpoints:
        return 404, {"error": f"{method} {path}: no such control endpoint", "endpoints": endpoints}
    if name == "":
        addresses = {address.key: address.value for address in server.vendor_addresses()}
        return 200, {**addresses, "endpoints": endpoints}
    try:
        args = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        return 400, {"error": f"{key}: body is not JSON ({exc})"}
    if not isinstance(args, dict):
        return 400, {"error": f"{key}: body must be a JSON object"}
    try:
        return 200, _action(server, name, args, query)
    except _ControlError as exc:
        return 400, {"error": f"{key}: {exc}"}
    except Exception as exc:
        return 400, {"error": f"{key}: {type(exc).__name__}: {exc}"}


def _action(server: DensemarkServer, name: str, args: Mapping[str, Any], query: str) -> Any:
    # Every field is checked here so a caller in another language gets an error naming
    # the field and what was expected, rather than a Python traceback.
    if name == "reset":
        _unknown(args, ())
        server.reset()
        return {"ok": True}
    if name == "calls":
        vendor = dict(parse_qsl(query)).get("vendor")
        calls = server.calls if vendor is None else server.calls_for(vendor)
        return {"calls": [_call_summary(call) for call in calls]}
    if name == "cassette":
        _unknown(args, ("name",))
        cassette_name = _field(args, "name", str)
        _check_cassette_name(server, cassette_name)
        cassette = server.use_cassette(cassette_name)
        return {
            "name": cassette.name,
            "vendor": cassette.vendor,
            "interactions": len(cassette.interactions),
        }
    if name == "unplayed":
        left = server.unplayed()
        return {"unplayed": len(left), "interactions": [repr(i) for i in left]}
    if name == "fault":
        return _fault(server, args)
    if name == "queue":
        return _queue(server, args)
    if name == "credentials":
        fields = ("api_key", "api_secret", "secret_id", "secret_key", "token")
        _unknown(args, fields)
        server.set_credentials(**{f: _field(args, f, str, None) for f in fields})
        return {"ok": True}
    if name == "faces":
        _unknown(args, ("image_sha256", "image_base64", "faces"))
        image: bytes | str
        if "image_base64" in args:
            image = _b64(_field(args, "image_base64", str), "image_base64")
        else:
            image = _field(args, "image_sha256", str)
        faces = [_face(item, index) for index, item in enumerate(_field(args, "faces", list))]
        server.set_faces(image, faces)
        return {"ok": True, "faces": len(faces)}
    if name == "url":
        _unknown(args, ("url", "image_base64"))
        server.register_url(
            _field(args, "url", str), _b64(_field(args, "image_base64", str), "image_base64")
        )
        return {"ok": True}
    control = _vendor_controls().get(name)
    if control is None:  # pragma: no cover - answer() checked the name
        raise _ControlError(f"no such control endpoint {name!r}")
    return _vendor_action(server, control, args)


def _vendor_action(server: DensemarkServer, control: VendorControl, args: Mapping[str, Any]) -> Any:
    """A vendor's own endpoint: required string fields, each within its allowed values."""
    _unknown(args, tuple(control.fields))
    values: dict[str, str] = {}
    for field, allowed in control.fields.items():
        value = _field(args, field, str)
        if allowed and value not in allowed:
            raise _ControlError(f"field {field!r}: expected {' or '.join(allowed)}, got {value!r}")
        values[field] = value
    control.apply(server.controller, values)
    return {"ok": True, **values}


def _queue(server: DensemarkServer, args: Mapping[str, Any]) -> Any:
    _unknown(args, ("vendor", "body", "status", "headers", "times"))
    body = _field(args, "body", (dict, list, str))
    status = _field(args, "status", int, 200)
    if (problem := status_problem(status)) is not None:
        raise _ControlError(f"field 'status': expected {problem}")
    headers = _field(args, "headers", dict, None)
    for name, value in (headers or {}).items():
        if (problem := header_problem(name, value)) is not None:
            raise _ControlError(f"field 'headers', header {name!r:.80}: expected {problem}")
    server.queue_response(
        _field(args, "vendor", str),
        body if isinstance(body, (dict, str)) else json.dumps(body),
        status=status,
        headers=headers,
        times=_field(args, "times", int, 1),
    )
    return {"ok": True}


def _fault(server: DensemarkServer, args: Mapping[str, Any]) -> Any:
    kind = _field(args, "type", str)
    vendor = _field(args, "vendor", str, None)
    if kind == "error":
        _unknown(args, ("type", "vendor", "error", "times", "arg"))
        if vendor is None:
            raise _ControlError(f"missing field 'vendor' ({' or '.join(vendors.names())})")
        server.inject_error(
            vendor,
            _field(args, "error", str),
            times=_field(args, "times", int, 1),
            arg=_field(args, "arg", str, None),
        )
    elif kind == "latency":
        _unknown(args, ("type", "vendor", "seconds", "times"))
        seconds = _field(args, "seconds", (int, float))
        if (problem := delay_problem(seconds)) is not None:
            raise _ControlError(f"field 'seconds': expected {problem}")
        server.inject_latency(float(seconds), vendor=vendor, times=_field(args, "times", int, None))
    elif kind in ("timeout", "disconnect"):
        _unknown(args, ("type", "vendor", "times"))
        inject = server.inject_timeout if kind == "timeout" else server.inject_disconnect
        inject(vendor=vendor, times=_field(args, "times", int, 1))
    else:
        raise _ControlError(
            f"field 'type': expected error, latency, timeout or disconnect, got {kind!r}"
        )
    return {"ok": True}


def _cassette_folders(server: DensemarkServer) -> list[Path]:
    """Where cassettes are looked up by name, in order: ours, the controller's, the library."""
    folders = [*server.cassette_dirs, *getattr(server.app, "search_dirs", ())]
    with contextlib.suppress(FileNotFoundError):
        folders.append(data_dir("cassettes"))
    return [Path(folder) for folder in folders]


def _check_cassette_name(server: DensemarkServer, name: str) -> None:
    """Refuse a control-API cassette that is a file outside the cassette folders.

    Whoever reaches the control API may name a cassette, but not make the server read an
    arbitrary file: the file :func:`~pytest_densemark.cassettes.load_cassette` would pick
    (a path as given, else NAME.json in each folder) must lie, symbolic links resolved,
    inside the server's ``cassette_dirs``, the controller's folders or the shipped library.
    """
    folders = _cassette_folders(server)
    stem = name.removesuffix(".json")
    for candidate in (Path(name), *(folder / f"{stem}.json" for folder in folders)):
        try:
            if not candidate.is_file():
                continue
            resolved = candidate.resolve()
        except (OSError, ValueError):
            continue
        if any(resolved.is_relative_to(folder.resolve()) for folder in folders):
            return
        raise _ControlError(
            f"field 'name': {name!r:.120} is a file outside the cassette folders and the"
            " shipped library; name a cassette in them (folders: "
            + ", ".join(str(folder) for folder in folders)
            + ")"
        )


def _field(
    args: Mapping[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...
) -> Any:
    if name not in args or args[name] is None:
        if default is ...:
            raise _ControlError(f"missing field {name!r}")
        return default
    value = args[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        expected = " or ".join(k.__name__ for k in _as_tuple(kind))
        raise _ControlError(f"field {name!r}: expected {expected}, got {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _unknown(args: Mapping[str, Any], allowed: Iterable[str]) -> None:
    extra = sorted(set(args) - set(allowed))
    if extra:
        raise _ControlError(f"unknown field(s) {', '.join(extra)}; expected {', '.join(allowed)}")


def _loopback_host(host: str | None, port: int) -> bool:
    """Whether a Host value names this server: a loopback address, with our port if any.

    ``None`` (an HTTP/1.0 request without Host, which no browser sends) passes; names other
    than ``localhost`` never do, as a DNS name could be rebound to 127.0.0.1 by its owner.
    """
    if host is None:
        return True
    name, port_text = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0 or (host[end + 1 :] and not host[end + 1 :].startswith(":")):
            return False
        name, port_text = host[1:end], host[end + 2 :]
    elif ":" in host:
        name, _, port_text = host.rpartition(":")
        if ":" in name:  # an IPv6 address without brackets is not a valid Host
            return False
    if port_text and port_text != str(port):
        return False
    return is_loopback(name.lower())


def _refusal(status: int, message: str) -> HttpError:
    body = json.dumps({"error": message}).encode()
    return HttpError(status, message, body=body, content_type="application/json")


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise _ControlError(f"field {name!r}: not valid base64") from None


def _face(item: object, index: int) -> Face:
    if not isinstance(item, dict):
        raise _ControlError(f"faces[{index}]: expected an object with left, top, width, height")
    try:
        return Face(**item)
    except TypeError as exc:
        raise _ControlError(f"faces[{index}]: {exc}") from None


def _call_summary(call: Call) -> dict[str, Any]:
    response = call.response
    return {
        "vendor": call.vendor,
        "action": call.action,
        "version": call.version,
        "params": call.params,
        "method": call.request.method,
        "path": call.request.url.path,
        "status": None if response is None else response.status_code,
        "fault": call.fault,
    }
