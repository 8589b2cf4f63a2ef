"""``emulate()``: the kit without pytest's fixtures, and the one set-up every fixture uses.

:func:`emulate` is a context manager, an async context manager and a decorator. While it is
active, vendor requests from every supported HTTP client (httpx, requests, urllib3,
``urllib.request``/``http.client``, aiohttp) are answered in-process by a fresh
:class:`~pytest_densemark.controller.Controller`::

    from pytest_densemark import emulate

    with emulate(cassette="facepp/full-9part") as densemark:
        my_client.detect("face.jpg")          # answered from the cassette
    assert densemark.calls[0].status == 200

It suits unittest, scripts, and Hypothesis tests, which cannot take a function-scoped fixture
(each example gets its own controller)::

    @given(body=facepp_responses())
    def test_parser(body):
        with emulate() as densemark:
            densemark.queue_response(200, json=body)
            ...

:func:`new_controller` checks the settings (cassette, credentials, allow_unplayed, record mode)
and builds the controller; the ``densemark`` and ``densemark_server`` fixtures and
:func:`emulate` all go through it, so they accept and refuse the same things with the same
messages.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_densemark.errors import DensemarkError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from pytest_densemark.cassettes import BeforeRecord
    from pytest_densemark.controller import Controller, RecordMode

__all__ = ["Emulation", "SettingsError", "credential_names", "emulate", "new_controller"]

F = TypeVar("F", bound=Callable[..., Any])

#: The parameter a function decorated with :func:`emulate` receives its controller through.
CONTROLLER_PARAMETER = "densemark"


class SettingsError(DensemarkError, ValueError):
    """A setting of ``emulate()`` or ``@pytest.mark.densemark`` has the wrong type or value.

    ``field`` names the setting and ``problem`` says what was expected; the message reads
    ``<where>(<field>=...) <problem>``, where ``where`` is ``emulate`` unless the caller
    (the pytest plugin) rephrases it with :meth:`message`.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(self.message("emulate"))

    def message(self, where: str) -> str:
        """The message as ``where(field=...) problem``."""
        return f"{where}({self.field}=...) {self.problem}"


def credential_names() -> tuple[str, ...]:
    """The keys ``credentials=`` accepts: the keyword arguments of ``set_credentials``."""
    from pytest_densemark.emulator import Emulator

    parameters = inspect.signature(Emulator.set_credentials).parameters
    return tuple(name for name in parameters if name != "self")


def check_settings(
    *,
    cassette: object = None,
    credentials: object = None,
    allow_unplayed: object = None,
) -> None:
    """Raise :class:`SettingsError` naming the first setting of the wrong type or value."""
    if cassette is not None and not isinstance(cassette, str | os.PathLike):
        raise SettingsError(
            "cassette",
            f"must be a library name or a path (str or os.PathLike), got {cassette!r}",
        )
    if isinstance(cassette, str) and not cassette.strip():
        raise SettingsError("cassette", "must not be empty")
    if allow_unplayed is not None and not isinstance(allow_unplayed, bool):
        raise SettingsError(
            "allow_unplayed", f"must be True or False, got {type(allow_unplayed).__name__}"
        )
    if credentials is not None:
        accepted = credential_names()
        if not isinstance(credentials, Mapping):
            raise SettingsError(
                "credentials",
                f"must be a dict of set_credentials arguments ({', '.join(accepted)}),"
                f" got {type(credentials).__name__}",
            )
        unknown = sorted(str(key) for key in credentials if key not in accepted)
        if unknown:
            raise SettingsError(
                "credentials",
                f"has unknown key(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}",
            )
        for key, value in credentials.items():
            if value is not None and not isinstance(value, str):
                raise SettingsError(
                    "credentials", f"[{key!r}] must be a string, got {type(value).__name__}"
                )


def new_controller(
    *,
    cassette: str | os.PathLike[str] | None = None,
    credentials: Mapping[str, str | None] | None = None,
    allow_unplayed: bool = False,
    record_mode: RecordMode = "none",
    cassette_dirs: Sequence[str | os.PathLike[str]] = (),
    upstream: str | None = None,
    before_record: BeforeRecord | None = None,
) -> Controller:
    """A controller set up as the settings say: credentials, then the cassette (or recording).

    Raises :class:`SettingsError` for a setting of the wrong type and
    :class:`~pytest_densemark.cassettes.CassetteError` for a cassette that cannot be loaded.
    """
    check_settings(cassette=cassette, credentials=credentials, allow_unplayed=allow_unplayed)
    from pytest_densemark.controller import RECORD_MODES, Controller

    if record_mode not in RECORD_MODES:
        raise SettingsError(
            "record_mode", f"must be one of {', '.join(RECORD_MODES)}, got {record_mode!r}"
        )
    controller = Controller(
        search_dirs=cassette_dirs,
        record_mode=record_mode,
        upstream=upstream,
        allow_unplayed=allow_unplayed,
        before_record=before_record,
    )
    if credentials:
        controller.set_credentials(**credentials)
    if cassette is not None:
        controller.use_cassette(cassette)
    return controller


def end_problems(controller: Controller) -> str | None:
    """What should fail a test that passed: unanswered requests, then unplayed interactions."""
    failures = controller.failures
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return f"densemark: a vendor request got no answer{more}:\n{failures[0]}"
    return controller.unplayed_problem()


class Emulation:
    """What :func:`emulate` returns: a context manager and a decorator; see :func:`emulate`."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = settings
        self._active: list[tuple[Controller, AbstractContextManager[Controller]]] = []

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> Controller:
        from pytest_densemark import stubs

        controller = new_controller(**self._settings)
        interception = stubs.intercept(controller)
        interception.__enter__()
        self._active.append((controller, interception))
        return controller

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        controller, interception = self._active.pop()
        interception.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return
        controller.finish()
        problem = end_problems(controller)
        if problem:
            raise AssertionError(problem)

    async def __aenter__(self) -> Controller:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    # -- decorator ---------------------------------------------------------------------
    def __call__(self, func: F) -> F:
        """Run each call of ``func`` inside its own emulation (a fresh controller each).

        A parameter named ``densemark`` receives the controller; it is hidden from the
        decorated function's signature, so pytest and Hypothesis do not try to fill it.
        """
        signature = inspect.signature(func)
        wants = CONTROLLER_PARAMETER in signature.parameters
        visible = signature.replace(
            parameters=[p for n, p in signature.parameters.items() if n != CONTROLLER_PARAMETER]
        )
        settings = self._settings

        def call_args(
            controller: Controller, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            if not wants:
                return args, kwargs
            # The caller (pytest, Hypothesis) sees the visible signature; put the controller
            # where the function declares it, however the other arguments were passed.
            given = visible.bind(*args, **kwargs).arguments
            given[CONTROLLER_PARAMETER] = controller
            ordered = {name: given[name] for name in signature.parameters if name in given}
            full = inspect.BoundArguments(signature, ordered)
            return full.args, full.kwargs

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with Emulation(settings) as controller:
                    args, kwargs = call_args(controller, args, kwargs)
                    return await func(*args, **kwargs)

            wrapper: Callable[..., Any] = run_async
        else:

            @functools.wraps(func)
            def run(*args: Any, **kwargs: Any) -> Any:
                with Emulation(settings) as controller:
                    args, kwargs = call_args(controller, args, kwargs)
                    return func(*args, **kwargs)

            wrapper = run
        wrapper.__signature__ = visible  # type: ignore[attr-defined]
        del wrapper.__wrapped__  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]


def emulate(
    cassette: str | os.PathLike[str] | None = None,
    *,
    credentials: Mapping[str, str | None] | None = None,
    allow_unplayed: bool = False,
    record_mode: RecordMode = "none",
    cassette_dirs: Sequence[str | os.PathLike[str]] = (),
    upstream: str | None = None,
    before_record: BeforeRecord | None = None,
) -> Emulation:
    """Answer vendor requests from every supported HTTP client in-process while active.

    Use it as ``with emulate(...) as densemark:`` (also ``async with``), or as a decorator
    ``@emulate(...)`` (each call of the function gets a fresh controller, passed as its
    ``densemark`` argument when it has one). The controller is a
    :class:`~pytest_densemark.controller.Controller`: the same object the ``densemark``
    fixture returns, with the same methods.

    - ``cassette``: a library name (``"facepp/full-9part"``) or a path to replay; with
      ``record_mode="new"`` a missing one is recorded, with ``"all"`` it is re-recorded.
    - ``credentials``: a dict of ``set_credentials`` arguments (``api_key``, ``api_secret``,
      ``secret_id``, ``secret_key``, ``token``) the emulator then insists on.
    - ``allow_unplayed``: do not fail when cassette interactions are left unplayed.
    - ``cassette_dirs``: folders searched before the shipped library; the first receives
      recordings. ``upstream``: the base URL recording sends requests to instead of the
      vendor (default ``$DENSEMARK_UPSTREAM``, else the vendor's host).
    - ``before_record``: called with each request summary about to be recorded; it returns
      the summary to write (narrowed or widened) or ``None`` to leave the exchange out (see
      :class:`~pytest_densemark.cassettes.Recorder`).

    Settings of the wrong type raise :class:`SettingsError` at once. When the block ends
    without an exception, a recording is written, and ``AssertionError`` is raised if a
    request found no cassette interaction (even if the client swallowed the error) or if
    interactions were left unplayed. Blocks do not nest, nor run inside the ``densemark``
    fixture (``RuntimeError``).
    """
    path_dirs = tuple(Path(d) for d in cassette_dirs)
    settings: dict[str, Any] = {
        "cassette": cassette,
        "credentials": credentials,
        "allow_unplayed": allow_unplayed,
        "record_mode": record_mode,
        "cassette_dirs": path_dirs,
        "upstream": upstream,
        "before_record": before_record,
    }
    check_settings(cassette=cassette, credentials=credentials, allow_unplayed=allow_unplayed)
    return Emulation(settings)
