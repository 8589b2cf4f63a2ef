"""The ``densemark`` fixture's controller and the interception behind it, usable without pytest.

:class:`Controller` has an :class:`~pytest_densemark.emulator.Emulator` and offers its whole
public API under the same names (:data:`CONTROLLER_API`, forwarded, never copied), plus what a
test suite needs around it: cassette folders searched before the shipped library, record mode,
and the end-of-test check for unplayed cassette interactions. :func:`intercept_httpx` routes
vendor traffic from every supported client to a controller while it is active::

    from pytest_densemark.controller import Controller, intercept_httpx

    controller = Controller()
    with intercept_httpx(controller):
        httpx.post("https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark", ...)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
import httpx

from pytest_densemark import __version__, stubs, vendors
from pytest_densemark._redaction import redact_url
from pytest_densemark._resources import data_dir
from pytest_densemark.cassettes import (
    BeforeRecord,
    Cassette,
    CassetteError,
    CassetteMismatch,
    Recorder,
    redact_request,
)
from pytest_densemark.cassettes.store import cassette_stem
from pytest_densemark.checks import upstream_problem
from pytest_densemark.delegation import forward_api
from pytest_densemark.emulator import (
    EMULATOR_API,
    LATENCY_EXTENSION,
    Call,
    EmulatedDisconnect,
    EmulatedTimeout,
    Emulator,
)
from pytest_densemark.request_images import RequestImages

__all__ = [
    "CONTROLLER_API",
    "LATENCY_EXTENSION",
    "RECORD_MODES",
    "UPSTREAM_ENV",
    "Controller",
    "RecordMode",
    "intercept_httpx",
    "release_httpx",
]

RecordMode = Literal["none", "new", "all"]
#: ``none`` never touches the network; ``new`` records missing cassettes; ``all`` re-records.
RECORD_MODES: tuple[RecordMode, ...] = ("none", "new", "all")
#: Environment variable naming the base URL that recording sends vendor requests to.
UPSTREAM_ENV = "DENSEMARK_UPSTREAM"
#: Seconds a recording waits for the upstream before giving up.
_UPSTREAM_TIMEOUT = 60.0
#: Response headers describing the upstream connection, not the vendor's answer.
_TRANSPORT_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection"}
)


#: The settings API a controller offers: the emulator's public API
#: (:data:`~pytest_densemark.emulator.EMULATOR_API`), derived from the class, every name
#: forwarded to :attr:`Controller.emulator` except :meth:`Controller.use_cassette`, which is
#: the controller's own (it may record instead). A delivery that holds a controller (the
#: loopback server) offers these names the same way
#: (:func:`pytest_densemark.delegation.forward_api`).
CONTROLLER_API: tuple[str, ...] = EMULATOR_API

if TYPE_CHECKING:
    # For type checkers the controller offers the emulator's API (it does, by forwarding);
    # at run time it is not an Emulator: it has one.
    _EmulatorAPI = Emulator
else:
    _EmulatorAPI = object


@forward_api(Emulator, to="emulator")
class Controller(_EmulatorAPI):
    """What the ``densemark`` fixture returns: an emulator plus cassette folders and recording.

    The controller has an :class:`~pytest_densemark.emulator.Emulator` (:attr:`emulator`)
    and offers every name of its public API (:data:`CONTROLLER_API`: ``set_faces``,
    ``inject_error``, ``calls``...), forwarded to it; reading or setting one of its attributes
    (``clock``, ``strict``, ``profile``) on the controller reads or sets the emulator's. It is
    not an ``Emulator`` instance.

    ``search_dirs`` are searched, in order, before the shipped cassette library whenever a
    cassette is named. ``record_mode`` is ``"none"`` (default: replay or emulate, never touch
    the network), ``"new"`` (a named cassette that does not exist yet is recorded) or ``"all"``
    (every named cassette is re-recorded). Recording sends each vendor request to ``upstream``
    (a base URL such as ``http://127.0.0.1:8000``; default ``$DENSEMARK_UPSTREAM``, else the
    host the request names, which must then be the vendor's: a request that reached the
    loopback server fails, saying so) and :meth:`finish` writes the redacted cassette.
    ``allow_unplayed``
    stops :meth:`unplayed_problem` from reporting cassette interactions the test never used.
    ``before_record`` is given to the :class:`~pytest_densemark.cassettes.Recorder`: it sees
    each request summary before it is stored and may change it or drop the exchange.
    Extra keyword arguments go to :class:`~pytest_densemark.emulator.Emulator`.
    """

    #: The emulator that answers for this controller.
    emulator: Emulator

    def __init__(
        self,
        *,
        search_dirs: Sequence[str | os.PathLike[str]] = (),
        record_mode: RecordMode = "none",
        upstream: str | None = None,
        allow_unplayed: bool = False,
        before_record: BeforeRecord | None = None,
        **emulator_options: Any,
    ) -> None:
        self.emulator = Emulator(**emulator_options)
        if record_mode not in RECORD_MODES:
            raise ValueError(
                f"record_mode must be one of {', '.join(RECORD_MODES)}, got {record_mode!r}"
            )
        self.search_dirs: tuple[Path, ...] = tuple(
            d if isinstance(d, Path) else Path(d) for d in search_dirs
        )
        self.record_mode: RecordMode = record_mode
        self.upstream = upstream if upstream is not None else os.environ.get(UPSTREAM_ENV)
        if self.upstream:
            problem = upstream_problem(self.upstream)
            if problem is not None:
                where = "upstream" if upstream is not None else f"${UPSTREAM_ENV}"
                raise ValueError(f"Controller: {where}: expected {problem}")
        self.allow_unplayed = allow_unplayed
        self.before_record = before_record
        self._recorder: Recorder | None = None
        self._record_path: Path | None = None
        #: Messages of the requests no cassette interaction answered, in order.
        self.failures: list[str] = []
        self._failures_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Controller seed={self.emulator.seed} calls={len(self.emulator.calls)}>"

    # -- cassettes and recording ---------------------------------------------------------

    def use_cassette(  # type: ignore[override]
        self,
        name_or_path: str | os.PathLike[str],
        *,
        search_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> Cassette | None:
        """Replay a cassette (library name or path); in record mode, maybe record it instead.

        ``search_dirs`` are searched first, then the controller's own folders, then the
        shipped library. With ``record_mode="new"`` a cassette that is not found is recorded
        (to the first search folder, as ``<name>.json``); with ``"all"`` it is always
        re-recorded (a user's cassette in place, a shipped one into the first search folder).
        Returns the loaded cassette, or ``None`` when recording.
        """
        __tracebackhide__ = True  # a CassetteError names the file and what is wrong
        dirs = (*search_dirs, *self.search_dirs)
        if self.record_mode == "none":
            return self.emulator.use_cassette(name_or_path, search_dirs=dirs)
        found = _find_cassette(name_or_path, dirs)
        if found is not None and self.record_mode == "new":
            return self.emulator.use_cassette(name_or_path, search_dirs=dirs)
        self.emulator.eject_cassette()
        self._record_path = _record_target(name_or_path, found, dirs)
        self._recorder = Recorder(
            description=f"recorded by pytest-densemark {__version__}",
            before_record=self.before_record,
        )
        return None

    @property
    def recording(self) -> Path | None:
        """The cassette file being recorded, or ``None`` when not recording."""
        return self._record_path if self._recorder is not None else None

    def finish(self) -> Path | None:
        """End of test: write the recorded cassette, if recording; return its path.

        Nothing is written when no vendor request was made. Raises
        :class:`~pytest_densemark.cassettes.CassetteError` (and writes nothing) when a
        secret sent in the run, or configured with :meth:`set_credentials`, would reach the
        file.
        """
        recorder, path = self._recorder, self._record_path
        self._recorder = None
        if recorder is None or path is None or not recorder.interactions:
            return None
        configured = self.emulator._configured_credentials()
        recorder.write(path, secrets=configured, overwrite=self.record_mode == "all")
        return path

    # -- delivery: what the httpx patch calls ------------------------------------------

    def _answer(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        try:
            return self.respond(request)
        except EmulatedTimeout as fault:
            raise httpx.ReadTimeout(str(fault), request=request) from fault
        except EmulatedDisconnect as fault:
            raise httpx.RemoteProtocolError(str(fault), request=request) from fault

    def respond(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, whatever delivers it: the transport-neutral entry point.

        In record mode the request goes upstream and its answer is recorded; otherwise the
        emulator answers (queued answer, injected fault, cassette or emulation). Injected
        latency is not slept here but left in ``response.extensions[LATENCY_EXTENSION]`` for
        the delivery to apply its own way. Raises
        :class:`~pytest_densemark.emulator.EmulatedTimeout` /
        :class:`~pytest_densemark.emulator.EmulatedDisconnect` for those faults and
        :class:`~pytest_densemark.cassettes.CassetteMismatch` for a request the cassette in
        play has no answer for (also kept in :attr:`failures`, so a client that swallows the
        error still fails its test).
        """
        __tracebackhide__ = True
        if self._recorder is not None:
            from pytest_densemark.stubs import httpx_stub  # respx: only when recording

            forwarded = self._forward_request(request)
            with stubs.forwarding():
                upstream = httpx_stub.send_upstream(forwarded, _UPSTREAM_TIMEOUT)
            return self._recorded(request, upstream)
        try:
            return self.emulator.handle(request)
        except CassetteMismatch as error:
            with self._failures_lock:
                self.failures.append(str(error))
            raise

    def deliver(self, request: httpx.Request) -> httpx.Response:
        """Answer one request from a sync httpx client, sleeping for any injected latency.

        Latency beyond the client's read timeout raises ``httpx.ReadTimeout`` once that
        timeout has passed, as a slow server would.
        """
        __tracebackhide__ = True
        response = self._answer(request)
        if LATENCY_EXTENSION not in response.extensions:  # the common case: no latency
            return response
        wait, late = _latency_wait(request, response)
        if wait:
            time.sleep(wait)
        if late:
            raise late
        return response

    async def adeliver(self, request: httpx.Request) -> httpx.Response:
        """Answer one request from an async client; latency sleeps without blocking the loop.

        Latency beyond the client's read timeout raises ``httpx.ReadTimeout`` once that
        timeout has passed, as a slow server would.
        """
        __tracebackhide__ = True
        if self._recorder is not None:
            from pytest_densemark.stubs import httpx_stub

            forwarded = self._forward_request(request)
            with stubs.forwarding():
                upstream = await httpx_stub.asend_upstream(forwarded, _UPSTREAM_TIMEOUT)
            return self._recorded(request, upstream)
        response = self._answer(request)
        if LATENCY_EXTENSION not in response.extensions:
            return response
        wait, late = _latency_wait(request, response)
        if wait:
            await anyio.sleep(wait)
        if late:
            raise late
        return response

    def _forward_request(self, request: httpx.Request) -> httpx.Request:
        url = request.url
        if self.upstream:
            base = httpx.URL(self.upstream)
            url = url.copy_with(
                scheme=base.scheme,
                host=base.host,
                port=base.port,
                path=base.path.rstrip("/") + url.path,
            )
        elif vendors.vendor_for_host(url.host) is None:
            # A request that reached the loopback server names the server: sent on as it is,
            # it would come back to the server, and be forwarded again.
            message = (
                f"densemark: cannot record {request.method} {redact_url(url)}: it was sent to"
                f" {url.host}, not to a vendor's host, so there is nowhere to forward it; give"
                " the recording an upstream (--densemark-upstream, $DENSEMARK_UPSTREAM or"
                " Controller(upstream=...))"
            )
            with self._failures_lock:
                self.failures.append(message)
            raise CassetteError(message)
        # The original Host header stays: Tencent signs it, and the upstream may route on it.
        return httpx.Request(request.method, url, headers=request.headers, content=request.read())

    def _recorded(self, request: httpx.Request, upstream: httpx.Response) -> httpx.Response:
        headers = [
            (name, value)
            for name, value in upstream.headers.multi_items()
            if name.lower() not in _TRANSPORT_HEADERS
        ]
        response = httpx.Response(
            upstream.status_code, headers=headers, content=upstream.content, request=request
        )
        recorder = self._recorder
        assert recorder is not None
        recorder.record(request, response)
        summary = redact_request(request)
        vendor = vendors.vendor_for_request(request)
        name = action = version = None
        if vendor is not None:
            name = vendor.name
            _, action, version, _ = vendor.engine.read(request, RequestImages())
        call = Call(name, action, version, summary["params"], request, response)
        call.source = "upstream"
        self.emulator._log_call(call)
        return response

    # -- end of test -------------------------------------------------------------------

    def unplayed_problem(self) -> str | None:
        """A readable failure message when cassette interactions were left unplayed."""
        if self.allow_unplayed:
            return None
        left = self.unplayed()
        cassette = self.cassette
        if not left or cassette is None:
            return None
        lines = [
            f"densemark: {len(left)} of {len(cassette.interactions)} interaction(s) of"
            f" {cassette.label} were never played:"
        ]
        for item in left:
            req = item.request
            params = ", ".join(f"{k}={v}" for k, v in req.params.items() if _is_short(v))
            lines.append(f"  #{item.index}: {req.method} {req.url} {params}".rstrip())
        lines.append(
            "Make the requests the cassette expects, or allow this with"
            " @pytest.mark.densemark(allow_unplayed=True) or the ini value"
            " densemark_allow_unplayed = true."
        )
        return "\n".join(lines)


def _latency_wait(
    request: httpx.Request, response: httpx.Response
) -> tuple[float, httpx.ReadTimeout | None]:
    """How long an httpx client waits for ``response``, and the timeout it raises after that.

    The injected latency, or the request's read timeout (``request.extensions["timeout"]``,
    which httpx sets from the client's ``timeout=``) when that is shorter: then the client
    gives up with ``httpx.ReadTimeout``, as it would against a server that slow.
    """
    latency = float(response.extensions.get(LATENCY_EXTENSION) or 0.0)
    timeouts = request.extensions.get("timeout")
    read = timeouts.get("read") if isinstance(timeouts, dict) else None
    if latency and isinstance(read, int | float) and read < latency:
        message = (
            f"densemark: the answer's injected latency ({latency:g} s) exceeds the read"
            f" timeout ({read:g} s)"
        )
        return float(read), httpx.ReadTimeout(message, request=request)
    return latency, None


def _is_short(value: object) -> bool:
    return isinstance(value, str | int | float) and len(str(value)) <= 60


def _find_cassette(
    name_or_path: str | os.PathLike[str], dirs: Sequence[str | os.PathLike[str]]
) -> Path | None:
    # The same lookup as load_cassette, without loading: recording needs "missing" apart
    # from "broken" (a broken cassette must fail, never be silently re-recorded). os.path
    # answers False for a name the system refuses (too long, a NUL) rather than raising.
    raw = os.fspath(name_or_path)
    if os.path.isfile(raw):
        return Path(raw)
    stem = cassette_stem(raw)
    for directory in (*map(Path, dirs), data_dir("cassettes")):
        candidate = directory / f"{stem}.json"
        if os.path.isfile(candidate):
            return candidate
    return None


def _record_target(
    name_or_path: str | os.PathLike[str],
    found: Path | None,
    dirs: Sequence[str | os.PathLike[str]],
) -> Path:
    shipped = data_dir("cassettes").resolve()
    if found is not None and not found.resolve().is_relative_to(shipped):
        return found
    direct = Path(os.fspath(name_or_path))
    if direct.is_absolute():
        return direct if direct.suffix == ".json" else direct.with_suffix(".json")
    if not dirs:
        raise CassetteError(
            f"cannot record cassette {os.fspath(name_or_path)!r}: no cassette folder to write"
            " to (pass search_dirs or set the densemark_cassette_dirs ini value)"
        )
    return Path(dirs[0]) / f"{cassette_stem(os.fspath(name_or_path))}.json"


@contextmanager
def intercept_httpx(controller: Controller, *, keep_patched: bool = False) -> Iterator[Controller]:
    """Answer vendor requests with ``controller`` inside the block (every supported client).

    The name is kept from when httpx was the only client intercepted; it is
    :func:`pytest_densemark.stubs.intercept`, which covers httpx, requests, urllib3,
    ``urllib.request``/``http.client`` and aiohttp. With ``keep_patched=False`` the stubs are
    removed when the block ends; with ``keep_patched=True`` they stay, idle, until
    :func:`release_httpx`.
    Blocks do not nest: a second one while another is active raises ``RuntimeError``.
    """
    try:
        with stubs.intercept(controller):
            yield controller
    finally:
        if not keep_patched:
            stubs.uninstall_all()


def release_httpx() -> None:
    """Remove the stubs interception installed (:func:`pytest_densemark.stubs.uninstall_all`)."""
    stubs.uninstall_all()
