"""The interception stubs: HTTP/1.1 framing, what is left alone, pooled connections, loading."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import responses
import respx
import urllib3
from aioresponses import aioresponses
from pytest_httpserver import HTTPServer
from pytest_httpx import HTTPXMock

from pytest_densemark import emulate, facepp, make_image, stubs
from pytest_densemark.stubs._http1 import RequestReader, encode_response

IMAGE = make_image("jpeg", 320, 240)
FORM = {"api_key": "k", "api_secret": "s", "return_landmark": "all"}


# -- HTTP/1.1 framing --------------------------------------------------------------------


def test_reader_waits_for_the_whole_body() -> None:
    reader = RequestReader("https", "api-cn.faceplusplus.com", 443)
    head = (
        b"POST /facepp/v1/face/thousandlandmark?x=1 HTTP/1.1\r\n"
        b"Host: h\r\nContent-Length: 6\r\n\r\n"
    )
    assert reader.feed(head + b"abc") is None
    assert reader.pending
    request = reader.feed(b"def")
    assert request is not None
    assert request.content == b"abcdef"
    assert str(request.url) == "https://api-cn.faceplusplus.com/facepp/v1/face/thousandlandmark?x=1"
    assert request.headers["host"] == "h"
    assert not reader.pending


def test_reader_chunked_with_extension_and_trailer() -> None:
    reader = RequestReader("http", "iai.tencentcloudapi.com", None)
    data = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    assert reader.feed(data[:-3]) is None
    request = reader.feed(data[-3:])
    assert request is not None
    assert request.content == b"Wikipedia"
    assert request.url.host == "iai.tencentcloudapi.com"


def test_reader_chunked_in_arbitrary_writes() -> None:
    body = bytes(range(256)) * 40
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks
    )
    data += b"0\r\nX-Trailer: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n"
    for step in (1, 3, 1000):
        reader = RequestReader("https", "api-cn.faceplusplus.com", 443)
        requests_seen = [reader.feed(data[i : i + step]) for i in range(0, len(data), step)]
        found = [r for r in requests_seen if r is not None]
        if len(found) == 1:  # the next request arrived with the end of this one's
            last = reader.feed(b"")
            assert last is not None
            found.append(last)
        first, following = found
        assert first.content == body
        assert following.url.path == "/next"


def test_reader_decodes_chunks_as_they_arrive() -> None:
    # Many small chunks (a generator upload): decoding from the start on every write would
    # take seconds here, being quadratic in the number of chunks.
    reader = RequestReader("https", "api-cn.faceplusplus.com", 443)
    assert reader.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") is None
    started = time.monotonic()
    for _ in range(5000):
        assert reader.feed(b"10\r\n0123456789abcdef\r\n") is None
    request = reader.feed(b"0\r\n\r\n")
    assert time.monotonic() - started < 1.0
    assert request is not None
    assert request.content == b"0123456789abcdef" * 5000


def test_reader_keeps_the_next_request() -> None:
    reader = RequestReader("https", "api-us.faceplusplus.com", 443)
    one = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    two = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
    first = reader.feed(one + two)
    assert first is not None
    assert first.url.path == "/a"
    second = reader.feed(b"")
    assert second is not None
    assert second.url.path == "/b"


def test_reader_asks_for_continue_once_per_waiting_request() -> None:
    reader = RequestReader("https", "api-cn.faceplusplus.com", 443)
    head = b"POST /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    assert reader.feed(head[:10]) is None
    assert not reader.awaits_continue()  # the head is not all there yet
    assert reader.feed(head[10:]) is None
    assert reader.awaits_continue()
    assert not reader.awaits_continue()  # once: the client got its 100 Continue
    assert reader.feed(b"abc") is not None
    assert reader.feed(b"POST /y HTTP/1.1\r\nContent-Length: 3\r\n\r\n") is None
    assert not reader.awaits_continue()  # no Expect header: nobody waits


def test_aiohttp_expect_100_continue_gets_its_interim_answer() -> None:
    async def main() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(facepp.URL, data=FORM, expect100=True) as response,
        ):
            return response.status

    with emulate() as controller:
        # Without the interim answer aiohttp waits for ever before sending the body.
        assert asyncio.run(asyncio.wait_for(main(), 5)) == 400  # no image: vendor's error
    assert len(controller.calls) == 1


def test_reader_absolute_form() -> None:
    reader = RequestReader("http", "proxy.example", 3128)
    request = reader.feed(b"GET http://api-cn.faceplusplus.com/x HTTP/1.1\r\n\r\n")
    assert request is not None
    assert str(request.url) == "http://api-cn.faceplusplus.com/x"


def test_encode_response_writes_its_own_framing() -> None:
    response = httpx.Response(
        403,
        headers=[("Content-Length", "999"), ("Connection", "close"), ("X-A", "1")],
        content=b"{}",
    )
    data = encode_response(response)
    assert data.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"999" not in data
    assert b"Connection" not in data
    assert data.endswith(b"X-A: 1\r\nContent-Length: 2\r\n\r\n{}")
    assert encode_response(httpx.Response(599, content=b"xy"), head_only=True).endswith(
        b"Content-Length: 2\r\n\r\n"
    )


# -- what interception leaves alone ---------------------------------------------------------


@pytest.fixture
def local(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/hello").respond_with_data("from the local server")
    return httpserver.url_for("/hello")


def test_other_hosts_reach_their_server(local: str) -> None:
    async def with_aiohttp() -> str:
        async with aiohttp.ClientSession() as session, session.get(local) as response:
            return await response.text()

    with emulate() as controller:
        assert requests.get(local, timeout=5).text == "from the local server"
        assert urllib3.PoolManager().request("GET", local).data == b"from the local server"
        assert httpx.get(local).text == "from the local server"
        assert asyncio.run(with_aiohttp()) == "from the local server"
    assert controller.calls == []


def test_users_own_mocks_keep_working() -> None:
    async def with_aioresponses() -> str:
        with aioresponses() as mocked:
            mocked.get("https://example.org/a", body="aioresponses")
            async with (
                aiohttp.ClientSession() as session,
                session.get("https://example.org/a") as response,
            ):
                return await response.text()

    with emulate() as controller:
        with responses.RequestsMock() as mocked:
            mocked.add(responses.GET, "https://example.org/a", body="responses")
            mocked.add(responses.POST, facepp.URL, json={"mine": True})
            assert requests.get("https://example.org/a", timeout=5).text == "responses"
            assert requests.post(facepp.URL, data=FORM, timeout=5).json() == {"mine": True}
        with respx.mock() as router:
            router.get("https://example.org/a").respond(text="respx")
            assert httpx.get("https://example.org/a").text == "respx"
        assert asyncio.run(with_aioresponses()) == "aioresponses"
        # ... and once they are gone, the kit answers the vendor again.
        response = requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=5)
        assert "face" in response.json()
    assert len(controller.calls) == 1


def test_pooled_connections_do_not_outlive_their_controller() -> None:
    session = requests.Session()

    def post() -> requests.Response:
        return session.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=5)

    with emulate() as first:
        assert post().status_code == 200
        assert post().status_code == 200
    with emulate() as second:
        assert post().status_code == 200
    assert len(first.calls) == 2
    assert len(second.calls) == 1
    adapter = session.get_adapter(facepp.URL)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    pool = adapter.poolmanager.connection_from_url(facepp.URL)
    pooled = pool.pool.queue if pool.pool is not None else []
    assert all(not conn.is_connected for conn in pooled if conn is not None and conn.sock)
    session.close()


def test_a_connection_handed_back_half_read_is_not_reused() -> None:
    import select

    fields: dict[str, str | tuple[str, bytes, str]] = {
        **FORM,
        "image_file": ("face.jpg", IMAGE, "image/jpeg"),
    }
    with emulate() as controller:
        pool = urllib3.HTTPSConnectionPool(facepp.HOSTS[0], maxsize=1, block=True)
        first = pool.request("POST", facepp.PATH, fields=fields, preload_content=False)
        assert first.read(10) == b'{"time_use'
        connection = first.connection
        assert isinstance(connection, urllib3.connection.HTTPSConnection)
        assert connection.sock is not None
        # The rest of the answer (tens of kB) is still "on the socket": it polls as readable,
        # as a real one would, so the pool opens a new connection instead of reading the next
        # answer after this one's leftovers (http.client's ResponseNotReady).
        assert select.select([connection.sock], [], [], 0)[0]
        first.release_conn()
        second = pool.request("POST", facepp.PATH, fields=fields)
        assert second.status == 200
        assert "face" in json.loads(second.data)
        assert connection.sock is not None
        assert not select.select([connection.sock], [], [], 0)[0]  # read to the end: idle
        pool.close()
    assert len(controller.calls) == 2


def test_vendor_hosts() -> None:
    assert stubs.is_vendor_host("API-CN.faceplusplus.com.")
    assert stubs.is_vendor_host("iai.ap-guangzhou.tencentcloudapi.com")
    assert not stubs.is_vendor_host("127.0.0.1")
    assert not stubs.is_vendor_host("faceplusplus.com.evil.example")


def _fresh_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_loading_the_plugin_imports_no_machinery() -> None:
    out = _fresh_python(
        """
        import sys
        import pytest_densemark.plugin, pytest_densemark
        heavy = ["httpx", "respx", "anyio", "requests", "urllib3", "aiohttp",
                 "pytest_densemark.server", "pytest_densemark.controller",
                 "pytest_densemark.emulator", "pytest_densemark.stubs"]
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_a_library_imported_during_interception_is_patched() -> None:
    out = _fresh_python(
        """
        import asyncio, sys
        from pytest_densemark import emulate, facepp
        assert "aiohttp" not in sys.modules
        with emulate() as controller:
            import aiohttp  # first imported here, while interception is active
            async def main():
                async with aiohttp.ClientSession() as session:
                    async with session.post(facepp.URL, data={"api_key": "k"}) as response:
                        return response.status
            print(asyncio.run(main()), controller.calls[0].vendor)
        """
    )
    assert out.strip() == "400 facepp"


def test_urllib3_imported_during_interception_is_patched() -> None:
    # urllib3.connection finishes importing inside urllib3.connectionpool's import: each is
    # patched once it is whole.
    out = _fresh_python(
        """
        import sys
        from pytest_densemark import emulate, facepp, network
        assert "urllib3" not in sys.modules
        with network.block(), emulate() as controller:
            import urllib3
            forwarding = urllib3.ProxyManager(
                "https://192.0.2.1:3128", use_forwarding_for_https=True
            )
            answer = forwarding.request("POST", facepp.URL, fields={"api_key": "k"})
            direct = urllib3.PoolManager().request("POST", facepp.URL, fields={"api_key": "k"})
            print(answer.status, direct.status, len(controller.calls))
        """
    )
    assert out.strip() == "400 400 2"


def test_a_configured_proxy_does_not_let_vendor_requests_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A proxy that does not exist: reaching it would fail the request.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")

    async def with_aiohttp() -> int:
        async with (
            aiohttp.ClientSession(trust_env=True) as session,
            session.post(facepp.URL, data=FORM) as response,
        ):
            return response.status

    with emulate() as controller:
        files = {"image_file": IMAGE}
        assert requests.post(facepp.URL, data=FORM, files=files, timeout=5).status_code == 200
        assert asyncio.run(with_aiohttp()) == 400  # no image sent: the vendor's own error
    assert [call.vendor for call in controller.calls] == ["facepp", "facepp"]


def test_an_injected_timeout_through_a_proxy_is_a_read_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Through a tunnel the proxy has been reached: a slow vendor is a read timeout, as it
    # would be, not urllib3's "Unable to connect to proxy" (a ProxyError).
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    files = {"image_file": IMAGE}
    with emulate() as controller:
        controller.inject_timeout(times=2)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(facepp.URL, data=FORM, files=files, timeout=5)
        proxied = urllib3.ProxyManager("http://127.0.0.1:9")
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            proxied.request("POST", facepp.URL, fields=FORM, retries=False)
        assert requests.post(facepp.URL, data=FORM, files=files, timeout=5).status_code == 200
    assert [call.fault for call in controller.calls] == ["timeout", "timeout", None]


def test_aiohttp_pooled_connections_do_not_outlive_their_controller() -> None:
    from pytest_densemark import network

    async def main() -> tuple[int, str, int]:
        async with aiohttp.ClientSession() as session:

            async def post() -> int:
                async with session.post(facepp.URL, data=FORM) as response:
                    return response.status

            with emulate() as first:
                status = await post()  # its connection stays pooled (keep-alive)
            # After the test: a new connection is attempted (here refused by the block),
            # not the pooled one answered by, or dropped on behalf of, a dead controller.
            with network.block(), pytest.raises(network.NetworkBlocked) as refused:
                await post()
            with emulate() as second:
                again = await post()
            assert (len(first.calls), len(second.calls)) == (1, 1)
            return status, refused.value.host, again

    assert asyncio.run(main()) == (400, facepp.HOSTS[0], 400)


def test_http_client_response_reads_as_a_socket_would() -> None:
    import http.client
    import select
    import urllib.parse

    body = urllib.parse.urlencode(FORM).encode()  # no image: the vendor's own 400 answer
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with emulate() as controller:
        connection = http.client.HTTPSConnection(facepp.HOSTS[0], timeout=5)
        connection.request("POST", facepp.PATH, body, headers)
        response = connection.getresponse()
        # A client polling the response before reading finds the answer there at once.
        readable, _, _ = select.select([response.fileno()], [], [], 1.0)
        assert readable == [response.fileno()]
        peeked = response.peek(1)
        head = response.read1(1)
        buffer = bytearray(4)
        assert response.readinto(buffer) == 4
        answer = json.loads(head + bytes(buffer) + response.read())
        assert (response.status, peeked[:1], head) == (400, b"{", b"{")
        assert answer["error_message"].startswith("MISSING_ARGUMENTS")
        connection.close()
    assert len(controller.calls) == 1


def test_plain_http_vendor_urls_through_a_forwarding_proxy_are_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import urllib.error
    import urllib.request

    # A forwarding proxy that does not exist: the connection goes to the proxy's host and the
    # vendor's shows only in the request line; reaching the proxy would fail the request.
    proxy = "http://127.0.0.1:9"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("http_proxy", proxy)
    url = facepp.URL.replace("https://", "http://")
    data = b"api_key=k&api_secret=s"
    with emulate() as controller:
        assert requests.post(url, data=FORM, timeout=5).status_code == 400
        assert urllib3.ProxyManager(proxy).request("POST", url, fields=FORM).status == 400
        # An opener of its own: urlopen() would keep this proxy for the whole process.
        opener = urllib.request.build_opener()
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(urllib.request.Request(url, data), timeout=5)
        assert refused.value.code == 400  # the vendor's own error: no image
        refused.value.close()
    assert [str(call.request.url) for call in controller.calls] == [url] * 3


def test_https_vendor_urls_through_a_forwarding_proxy_are_answered() -> None:
    from pytest_densemark import network

    # urllib3 connects to a forwarding proxy (TLS to it) before it writes the request line
    # that names the vendor: nothing may reach the proxy (a documentation address, blocked).
    proxied = urllib3.ProxyManager("https://192.0.2.1:3128", use_forwarding_for_https=True)
    fields: dict[str, str | tuple[str, bytes, str]] = {
        **FORM,
        "image_file": ("face.jpg", IMAGE, "image/jpeg"),
    }
    with network.block(), emulate() as controller:
        assert proxied.request("POST", facepp.URL, fields=fields).status == 200
        controller.inject_timeout()
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            proxied.request("POST", facepp.URL, fields=FORM, retries=False)
        # Another host on the same pool of proxy connections goes to the proxy, as it would.
        with pytest.raises(network.NetworkBlocked, match=r"192\.0\.2\.1:3128"):
            proxied.request("GET", "https://example.org/", retries=False)
        assert proxied.request("POST", facepp.URL, fields=fields).status == 200
    assert [str(call.request.url) for call in controller.calls] == [facepp.URL] * 3


def test_a_connection_subclass_with_its_own_connect_is_answered() -> None:
    import http.client
    import socket
    import ssl

    class Pinned(http.client.HTTPSConnection):
        """As SDK forks pin certificates: a connect() that never calls the base one."""

        def connect(self) -> None:
            sock = socket.create_connection((self.host, self.port), self.timeout)
            self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)

    with emulate() as controller:
        connection = Pinned(facepp.HOSTS[0], timeout=5)
        connection.request("POST", facepp.PATH, b"api_key=k", {"Content-Length": "9"})
        response = connection.getresponse()
        assert response.status == 400  # the vendor's own error: no image
        response.read()
        connection.close()
    assert str(controller.calls[0].request.url) == facepp.URL


def test_many_threads_and_tasks_share_one_controller() -> None:
    from concurrent.futures import ThreadPoolExecutor

    session = requests.Session()

    def post(_: int) -> int:
        files = {"image_file": IMAGE}
        return session.post(facepp.URL, data=FORM, files=files, timeout=5).status_code

    async def gather() -> list[int]:
        connector = aiohttp.TCPConnector(limit=1, ssl=False)  # 20 requests over one connection
        async with aiohttp.ClientSession(connector=connector) as client:

            async def one() -> int:
                async with client.post(facepp.URL, data=FORM) as response:
                    await response.read()
                    return response.status

            return list(await asyncio.gather(*(one() for _ in range(20))))

    with emulate() as controller:
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(post, range(8))) == [200] * 8
        assert asyncio.run(gather()) == [400] * 20  # no image: the vendor's own error
    assert len(controller.calls) == 28
    statuses = sorted(call.response.status_code for call in controller.calls if call.response)
    assert statuses == [200] * 8 + [400] * 20
    session.close()


def test_the_socket_default_timeout_applies_to_latency() -> None:
    import socket
    import urllib.request

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(0.05)
    try:
        with emulate() as controller:
            controller.inject_latency(2.0)
            started = time.monotonic()
            # No timeout given: urllib and http.client use the socket default, as on a socket.
            with pytest.raises(TimeoutError):
                urllib.request.urlopen(urllib.request.Request(facepp.URL, b"api_key=k"))
            assert time.monotonic() - started < 1.0
    finally:
        socket.setdefaulttimeout(previous)


def test_a_connection_kept_across_tests_reconnects_to_the_new_controller() -> None:
    import http.client

    # A module-level connection, as some SDKs keep one: opened under one test's controller,
    # used again under the next one's.
    connection = http.client.HTTPSConnection(facepp.HOSTS[0], timeout=5)

    def post() -> int:
        connection.request("POST", facepp.PATH, b"api_key=k", {"Content-Length": "9"})
        response = connection.getresponse()
        response.read()
        return response.status

    with emulate() as first:
        assert [post(), post()] == [400, 400]  # one keep-alive connection
    with emulate() as second:
        assert post() == 400
    assert (len(first.calls), len(second.calls)) == (2, 1)
    connection.close()


def test_stubs_stay_while_interception_is_active() -> None:
    with emulate() as controller:
        # What a pytest run inside this one (pytester, in-process) does when it ends.
        stubs.uninstall_all()
        response = requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=5)
        assert response.status_code == 200
    assert len(controller.calls) == 1


def test_a_pytest_run_inside_a_test_leaves_its_interception_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="def test_inner():\n    pass\n")
    with emulate() as controller:
        pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=1)
        response = requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=5)
        assert response.status_code == 200
    assert len(controller.calls) == 1


def test_aiohttp_recording_keeps_the_event_loop_running(tmp_path: Path) -> None:
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"time_used": 1, "request_id": "synthetic-1", "faces": []})

    async def main() -> tuple[int, float]:
        # The upstream is served on the client's own event loop: recording must not block it.
        app = web.Application()
        app.router.add_post(facepp.PATH, answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        started = time.monotonic()
        try:
            with emulate(
                cassette="same-loop",
                record_mode="new",
                cassette_dirs=[tmp_path],
                upstream=f"http://127.0.0.1:{port}",
            ):
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(facepp.URL, data=FORM) as response,
                ):
                    await response.read()
                    return response.status, time.monotonic() - started
        finally:
            await runner.cleanup()

    status, took = asyncio.run(asyncio.wait_for(main(), 20))
    assert status == 200
    assert took < 10  # the recording's upstream timeout is 60 s: not waited out
    assert json.loads((tmp_path / "same-loop.json").read_text())["interactions"]


def test_users_own_respx_route_for_the_vendor_wins() -> None:
    async def async_post() -> object:
        async with httpx.AsyncClient() as client:
            return (await client.post(facepp.URL, data=FORM)).json()

    with emulate() as controller:
        with respx.mock() as router:
            router.post(facepp.URL).respond(json={"mine": True})
            assert httpx.post(facepp.URL, data=FORM).json() == {"mine": True}
            assert asyncio.run(async_post()) == {"mine": True}
        assert controller.calls == []
        for strict in (True, False):
            with respx.mock(assert_all_called=False, assert_all_mocked=strict) as router:
                router.get("https://example.org/").respond(text="elsewhere")
                # The user's router does not route the vendor (nor auto-mocks it): the kit
                # answers.
                assert httpx.post(facepp.URL, data=FORM).status_code == 400
    assert len(controller.calls) == 2


@pytest.mark.parametrize("strict", [True, False])
def test_recording_is_not_answered_by_the_users_respx_router(strict: bool, tmp_path: Path) -> None:
    from pytest_densemark.server import DensemarkServer

    files = {"image_file": IMAGE}
    with DensemarkServer() as upstream:
        target = tmp_path / "recorded.json"
        with (
            emulate(target, record_mode="new", upstream=upstream.url),
            respx.mock(assert_all_mocked=strict, assert_all_called=False),
        ):
            response = requests.post(facepp.URL, data=FORM, files=files, timeout=10)
        assert response.status_code == 200
        assert len(upstream.calls) == 1  # the recording's request reached its upstream
    assert "face" in json.loads(target.read_text())["interactions"][0]["response"]["body"]


# -- httpx: answered at its transports, the respx router behind them ------------------------


def test_httpx_answers_come_from_the_transport_unread_as_a_servers_would() -> None:
    with emulate() as controller, httpx.Client() as client:
        with client.stream("POST", facepp.URL, data=FORM, files={"image_file": IMAGE}) as answer:
            assert not answer.is_stream_consumed  # read by the client, as a server's answer
            body = b"".join(answer.iter_bytes(chunk_size=1000))
        assert answer.elapsed.total_seconds() >= 0
        assert json.loads(body)["face"]["landmark"]
        logged = controller.calls[-1].response
        assert logged is not None
        assert logged.content == body  # the call log keeps its own answer object


def test_async_httpx_answers_come_from_the_transport() -> None:
    async def post() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(facepp.URL, data=FORM, files={"image_file": IMAGE})

    with emulate() as controller:
        answer = asyncio.run(post())
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() >= 0
    assert controller.calls[-1].status == 200


def _teapot_over(
    below: Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response],
) -> Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]:
    """A transport patch as pytest-httpx makes one: 418 for the Face++ host, else ``below``."""

    def teapot(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if request.url.host == facepp.HOSTS[0]:
            return httpx.Response(418)
        return below(self, request)

    return teapot


def test_a_patch_made_over_the_transport_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # What pytest-httpx does per test: patch HTTPTransport.handle_request over the kit's.
    with emulate() as controller:
        teapot = _teapot_over(httpx.HTTPTransport.handle_request)
        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", teapot)
        assert httpx.post(facepp.URL, data=FORM).status_code == 418
        monkeypatch.undo()
        assert httpx.post(facepp.URL, data=FORM).status_code == 400  # no image: the kit
    assert [call.status for call in controller.calls] == [400]


def test_a_client_with_its_own_transport_is_left_to_it() -> None:
    mine = httpx.MockTransport(lambda request: httpx.Response(201, text="mine"))
    with emulate() as controller, httpx.Client(transport=mine) as client:
        assert client.post(facepp.URL, data=FORM).text == "mine"
    assert controller.calls == []


def test_code_calling_httpcore_directly_is_answered() -> None:
    import httpcore

    with emulate() as controller, httpcore.ConnectionPool() as pool:
        answer = pool.request(
            "POST",
            facepp.URL,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            content=b"api_key=k&api_secret=s&return_landmark=all",
        )
    assert answer.status == 400  # no image: the emulator's Face++ error
    assert b"MISSING_ARGUMENTS" in answer.content
    assert controller.calls[-1].source == "emulator"


def test_uninstalling_leaves_a_patch_made_over_the_kit_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_densemark.stubs import httpx_stub

    with emulate():
        pass  # installs the stub (it stays, idle)
    assert httpx.HTTPTransport.handle_request is httpx_stub._handle_request

    def over(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        raise AssertionError("not called")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", over)
    httpx_stub._PATCH.uninstall()
    assert httpx.HTTPTransport.handle_request is over  # someone else's patch is kept
    monkeypatch.undo()
    httpx_stub._PATCH.uninstall()
    assert httpx.HTTPTransport.handle_request is not httpx_stub._handle_request
    httpx_stub.install()  # back as the rest of the session expects it
    assert httpx.HTTPTransport.handle_request is httpx_stub._handle_request


def test_a_patch_made_before_the_kits_first_install_stays_above_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pytest-httpx set up before the kit's first test: the kit must not patch over it.
    from pytest_densemark.stubs import httpx_stub

    httpx_stub._PATCH.uninstall()
    teapot = _teapot_over(httpx.HTTPTransport.handle_request)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", teapot)
    with emulate() as controller:
        httpx_stub.install()
        assert httpx.HTTPTransport.handle_request is teapot
        assert httpx.post(facepp.URL, data=FORM).status_code == 418
        monkeypatch.undo()
        # Answered by the router at the connection pool, which puts the transport patch back.
        assert httpx.post(facepp.URL, data=FORM).status_code == 400
        assert httpx.HTTPTransport.handle_request is httpx_stub._handle_request
        assert httpx.post(facepp.URL, data=FORM).status_code == 400
    assert [call.status for call in controller.calls] == [400, 400]


def test_a_users_respx_route_passing_the_vendor_through_reaches_the_kit() -> None:
    # pass_through() means "as if respx were not there": with the kit active that is the kit,
    # never the network (as a `responses` passthrough reaches the kit's urllib3 stub).
    async def async_post() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.post(facepp.URL, data=FORM)).status_code

    with emulate() as controller, respx.mock() as router:
        route = router.post(facepp.URL).pass_through()
        assert httpx.post(facepp.URL, data=FORM).status_code == 400  # no image: the kit
        assert asyncio.run(async_post()) == 400
        assert route.call_count == 2
    assert [call.status for call in controller.calls] == [400, 400]


def test_a_users_respx_route_on_a_streamed_async_body_wins() -> None:
    # The transport reads the body before asking the user's routes: one matching on content
    # must see it, for an async generator body too (unread until awaited).
    body = b"api_key=k&api_secret=s"

    async def post() -> httpx.Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield body

        async with httpx.AsyncClient() as client:
            return await client.post(
                facepp.URL,
                content=chunks(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )

    with emulate() as controller, respx.mock() as router:
        router.post(facepp.URL, content=body).respond(json={"mine": True})
        assert asyncio.run(post()).json() == {"mine": True}
    assert controller.calls == []


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host != facepp.HOSTS[0])
def test_recording_goes_upstream_past_pytest_httpx(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    # pytest-httpx mocks every host but the vendor's: the app's vendor requests reach the
    # kit, and the recording's own requests upstream must not be taken by pytest-httpx (it
    # has no answer for them, and its teardown would fail on them as unexpected).
    from pytest_densemark.server import DensemarkServer

    async def async_post() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(facepp.URL, data=FORM, files={"image_file": IMAGE})

    target = tmp_path / "recorded.json"
    with DensemarkServer() as upstream:
        with emulate(target, record_mode="new", upstream=upstream.url) as controller:
            answer = httpx.post(facepp.URL, data=FORM, files={"image_file": IMAGE})
            assert asyncio.run(async_post()).status_code == 200
        assert len(upstream.calls) == 2
    assert answer.status_code == 200
    assert "face" in answer.json()
    assert [call.source for call in controller.calls] == ["upstream", "upstream"]
    assert len(json.loads(target.read_text())["interactions"]) == 2
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("strict", [True, False])
def test_recording_is_not_answered_by_the_users_respx_mock_of_httpx_clients(
    strict: bool, tmp_path: Path
) -> None:
    # respx's using="httpx" patches the clients, above every transport: the recording's
    # request upstream is sent without an httpx client, so respx neither refuses it (strict)
    # nor auto-mocks it with an empty 200 that would be written to the cassette (lax).
    from pytest_densemark.server import DensemarkServer

    target = tmp_path / "recorded.json"
    with DensemarkServer() as upstream:
        with (
            emulate(target, record_mode="new", upstream=upstream.url),
            respx.mock(using="httpx", assert_all_mocked=strict, assert_all_called=False),
        ):
            response = requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE}, timeout=10)
        assert len(upstream.calls) == 1
    assert response.status_code == 200
    assert "face" in response.json()
    assert "face" in json.loads(target.read_text())["interactions"][0]["response"]["body"]


def test_a_respx_router_started_before_the_kits_first_test_is_asked_after_it(
    tmp_path: Path,
) -> None:
    # A session-scoped respx mock is registered before the kit's router: the kit's must still
    # be asked first, or the user's auto-mocking router answers vendor requests made through
    # httpcore and, worse, the recording's own requests upstream (an empty 200, recorded).
    import httpcore

    from pytest_densemark.server import DensemarkServer

    stubs.uninstall_all()  # as before the kit's first test
    target = tmp_path / "recorded.json"
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as mine:
        mine.get("https://example.org/").respond(text="mine")
        with emulate() as controller, httpcore.ConnectionPool() as pool:
            answer = pool.request("POST", facepp.URL, content=b"api_key=k&api_secret=s")
            assert httpx.get("https://example.org/").text == "mine"
        assert answer.status == 400  # the kit's Face++ error, not respx's empty 200
        assert [call.status for call in controller.calls] == [400]
        with DensemarkServer() as upstream:
            with emulate(target, record_mode="new", upstream=upstream.url):
                response = requests.post(facepp.URL, data=FORM, files={"image_file": IMAGE})
            assert len(upstream.calls) == 1
    assert response.status_code == 200
    assert "face" in json.loads(target.read_text())["interactions"][0]["response"]["body"]


def test_an_async_recording_looks_its_upstream_up_through_a_network_block(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # asyncio looks names up in an executor thread, which does not know the lookup is a
    # recording's own (forwarding): under a network block it was refused. The upstream's
    # name is made to resolve to loopback here, so nothing leaves the machine.
    import socket

    from pytest_densemark.network import block
    from pytest_densemark.server import DensemarkServer

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: object, port: object, *args: Any, **kwargs: Any) -> Any:
        if host in ("upstream.densemark.test", b"upstream.densemark.test"):
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)  # type: ignore[arg-type]

    async def post() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(facepp.URL, data=FORM, files={"image_file": IMAGE})

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    target = tmp_path / "recorded.json"
    with DensemarkServer() as upstream:
        name = f"http://upstream.densemark.test:{httpx.URL(upstream.url).port}"
        with block(), emulate(target, record_mode="new", upstream=name) as controller:
            answer = asyncio.run(post())
            assert httpx.post(facepp.URL, data=FORM, files={"image_file": IMAGE}).status_code == 200
            with pytest.raises(Exception, match="blocked"):  # the block is still on
                socket.getaddrinfo("upstream.densemark.test", 80)
        assert len(upstream.calls) == 2
    assert answer.status_code == 200
    assert [call.source for call in controller.calls] == ["upstream", "upstream"]


def test_httpx_through_an_http_proxy_works_around_the_kit() -> None:
    # respx cannot read the proxy-form requests a proxy pool hands its connections: were the
    # kit's router patched in there too, every httpx request through an HTTP proxy would fail
    # with httpx.InvalidURL once the kit had been active, vendor or not.
    import socket
    import threading

    import httpcore

    seen: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                line = connection.recv(65536).split(b"\r\n", 1)[0]
                seen.append(line)
                if line.startswith(b"CONNECT"):
                    connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                else:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nproxy")

    threading.Thread(target=serve, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.getsockname()[1]}"

    def through_the_proxy() -> None:
        with httpx.Client(proxy=proxy) as client:
            assert client.get("http://internal.example/x").text == "proxy"
            with pytest.raises(httpx.ProxyError, match="403"):
                client.get("https://internal.example/x")

    try:
        with emulate() as controller:
            through_the_proxy()
            with httpcore.HTTPProxy(proxy_url=proxy) as pool:  # a vendor request: the kit's
                answer = pool.request("POST", facepp.URL, content=b"api_key=k&api_secret=s")
            assert answer.status == 400
        through_the_proxy()  # the kit idle
    finally:
        server.close()
    assert [call.status for call in controller.calls] == [400]
    assert (
        seen
        == [b"GET http://internal.example/x HTTP/1.1", b"CONNECT internal.example:443 HTTP/1.1"] * 2
    )
