"""The server's controller names: derived from the emulator's API, forwarded to whatever is
attached, and every list of them in docstrings and docs kept equal to the derived one."""

from __future__ import annotations

import inspect
import pydoc
import re
from pathlib import Path

import httpx
import pytest

from pytest_densemark import server_fixture
from pytest_densemark.controller import Controller
from pytest_densemark.delegation import forward_api, public_api
from pytest_densemark.emulator import Emulator
from pytest_densemark.server import DensemarkServer

DOCS = Path(__file__).resolve().parents[1] / "docs"


def names_in(text: str) -> list[str]:
    """Identifiers quoted in ``text`` as ``name`` (reST) or `name` (Markdown)."""
    return re.findall(r"`{1,2}([a-z_][a-z0-9_]*)`{1,2}", text)


def test_the_api_is_derived_from_the_emulator_class() -> None:
    api = public_api(Emulator)
    assert api == DensemarkServer.FORWARDED_API
    # Everything the server offered by hand before, among others.
    assert {"use_cassette", "inject_error", "calls", "calls_for", "reset", "unplayed"} <= set(api)
    assert not [name for name in api if name.startswith("_")]
    # The server's own use_cassette (it adds its cassette_dirs) is not replaced.
    assert "use_cassette" not in DensemarkServer.FORWARDED
    assert set(DensemarkServer.FORWARDED) == set(api) - {"use_cassette"}


def test_every_name_is_on_the_class_with_the_emulators_signature_and_doc() -> None:
    for name in DensemarkServer.FORWARDED_API:
        assert name in dir(DensemarkServer), name
        ours = inspect.getattr_static(DensemarkServer, name)
        theirs = inspect.getattr_static(Emulator, name, None)
        if theirs is None:  # an instance attribute the Emulator class annotates (``seed``)
            assert isinstance(ours, property), name
            assert ours.fset is not None, name
        elif isinstance(theirs, property):
            assert isinstance(ours, property), name
            assert ours.__doc__ == theirs.__doc__, name
        elif name in DensemarkServer.FORWARDED:
            assert ours.__wrapped__ is theirs, name
            assert inspect.signature(ours) == inspect.signature(theirs), name
            assert ours.__doc__ == theirs.__doc__, name


def test_help_shows_the_forwarded_signature_and_doc() -> None:
    text = pydoc.plain(pydoc.render_doc(DensemarkServer))
    assert "inject_error(self, vendor: 'str', name_or_code: 'str'" in text
    assert (Emulator.reset.__doc__ or "").splitlines()[0].strip() in text


def test_the_class_docstring_lists_exactly_the_api() -> None:
    doc = DensemarkServer.__doc__ or ""
    listing = doc[doc.index("API, under the same names:") :]
    assert names_in(listing) == list(DensemarkServer.FORWARDED_API)


def test_the_docs_list_exactly_the_api() -> None:
    text = (DOCS / "server.md").read_text(encoding="utf-8")
    match = re.search(r"without being rewritten: (.*?)\.\n", text, re.DOTALL)
    assert match is not None
    assert names_in(match.group(1)) == list(DensemarkServer.FORWARDED_API)


def test_the_fixture_docstring_names_only_real_names() -> None:
    doc = server_fixture.densemark_server.__doc__ or ""
    start = doc.index("under the same names")
    listed = doc[start : doc.index("``/_densemark/``", start)]
    names = names_in(listed)
    assert names
    assert set(names) <= set(DensemarkServer.FORWARDED_API)


def test_calls_go_to_whatever_is_attached() -> None:
    first, second = Emulator(seed=1), Emulator(seed=2)
    with DensemarkServer(first) as server:
        server.inject_error("facepp", "INTERNAL_ERROR")
        assert len(first._faults) == 1
        server.attach(second)
        server.inject_latency(0.1)
        assert len(second._faults) == 1
        assert server.emulator is second
        assert server.seed == 2
        server.detach(second)
        assert server.controller is first
        server.reset()
        assert first._faults == []
        assert len(second._faults) == 1


def test_a_controller_is_forwarded_to_and_answers_through_respond() -> None:
    controller = Controller(seed=5)
    with DensemarkServer() as server:
        server.attach(controller)
        assert server.controller is controller
        assert server.emulator is controller.emulator
        server.queue_response("facepp", {"ok": 1})
        response = httpx.post(server.facepp_url, data={"api_key": "k"}, timeout=10)
        assert response.json() == {"ok": 1}
        assert [call.source for call in server.calls] == ["queue"]
        assert server.calls_for("facepp") == controller.calls_for("facepp")
        # The controller's own attributes (beyond the emulator's API) are the controller's.
        assert server.controller.record_mode == "none"


def test_properties_and_attributes_read_and_write_through() -> None:
    emulator = Emulator()
    server = DensemarkServer(emulator)
    server.set_tencent_no_face("empty")
    assert server.tencent_no_face == "empty"
    server.strict = True
    assert emulator.strict is True
    assert "strict" not in vars(server)
    server.request_timeout = 3.0  # the server's own attribute stays the server's
    assert server.request_timeout == 3.0
    assert not hasattr(emulator, "request_timeout")
    with pytest.raises(AttributeError, match="'DensemarkServer' object has no attribute 'nope'"):
        _ = server.nope  # type: ignore[attr-defined]


def test_a_plain_handler_has_no_controller() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    server = DensemarkServer(handler)
    for name in ("reset", "calls", "inject_error"):
        with pytest.raises(TypeError, match="Emulator"):
            getattr(server, name)()
    with pytest.raises(TypeError, match="Emulator"):
        _ = server.seed


def test_forward_api_on_a_class_of_its_own() -> None:
    class Source:
        def ping(self, value: int) -> int:
            """Ping."""
            return value + 1

        @property
        def level(self) -> int:
            """The level."""
            return 3

        LIMIT = 5  # a constant: not API

    @forward_api(Source, to="inner")
    class Holder:
        """Holds a Source."""

        def __init__(self) -> None:
            self.inner = Source()

    holder = Holder()
    assert Holder.FORWARDED == ("ping", "level")  # type: ignore[attr-defined]
    assert holder.ping(1) == 2  # type: ignore[attr-defined]
    assert holder.level == 3  # type: ignore[attr-defined]
    assert "``ping``, ``level``." in (Holder.__doc__ or "")
