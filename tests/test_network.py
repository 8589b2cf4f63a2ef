"""``pytest_densemark.network.block``: names and addresses refused at once, loopback allowed."""

from __future__ import annotations

import contextlib
import socket
import urllib.request

import pytest
import requests

from pytest_densemark import emulate, facepp, make_image
from pytest_densemark.network import NetworkBlocked, block
from pytest_densemark.stubs import forwarding


def test_names_are_refused_when_looked_up() -> None:
    with block(), pytest.raises(NetworkBlocked) as caught:
        socket.getaddrinfo("example.org", 443)
    message = str(caught.value)
    assert "network access to example.org:443 is blocked" in message
    assert "--densemark-allow-host=example.org" in message
    assert "densemark_allow_hosts" in message
    assert caught.value.host == "example.org"


def test_addresses_are_refused_when_connected_to() -> None:
    with block(), socket.socket() as sock, pytest.raises(NetworkBlocked, match=r"192\.0\.2\.1:80"):
        sock.connect(("192.0.2.1", 80))
    with block(), socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex(("192.0.2.1", 80))


def test_clients_see_the_block_not_a_wrapped_error() -> None:
    with block():
        with pytest.raises(NetworkBlocked):
            requests.get("http://192.0.2.1/", timeout=1)
        with pytest.raises(NetworkBlocked):
            urllib.request.urlopen("http://example.org/", timeout=1)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.1", "localhost", "::1", "::ffff:127.0.0.1", None, ""]
)
def test_loopback_and_local_lookups_are_allowed(host: str | None) -> None:
    with (
        block(),
        contextlib.suppress(socket.gaierror),
    ):  # e.g. no IPv6 on this machine: the lookup ran, it was not refused
        socket.getaddrinfo(host, 80)


def test_allowed_hosts_and_forwarding(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[object]:
        looked_up.append(host)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with block(allow=["Example.org."]):
        socket.getaddrinfo("example.org", 80)
        with pytest.raises(NetworkBlocked):
            socket.getaddrinfo("example.net", 80)
    with block(), forwarding():
        socket.getaddrinfo("example.net", 80)  # a recording's own upstream request
    assert looked_up == ["example.org", "example.net"]


def test_blocks_stack_and_close_restores() -> None:
    original = socket.getaddrinfo
    outer = block()
    inner = block(allow=["example.org"])
    inner.close()
    inner.close()  # idempotent
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.org", 80)
    outer.close()
    assert socket.getaddrinfo is original


def test_vendor_requests_are_answered_before_any_connection() -> None:
    image = make_image("jpeg", 320, 240)
    with block(), emulate():
        response = requests.post(
            facepp.URL,
            data={"api_key": "k", "api_secret": "s", "return_landmark": "all"},
            files={"image_file": image},
            timeout=5,
        )
    assert response.status_code == 200


def test_old_style_lookups_are_refused_too() -> None:
    with block():
        with pytest.raises(NetworkBlocked, match=r"access to example\.org is blocked"):
            socket.gethostbyname("example.org")
        with pytest.raises(NetworkBlocked):
            socket.gethostbyname_ex("example.org")
        assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"


def test_datagrams_beyond_loopback_are_refused() -> None:
    # A UDP packet (a DNS query, say) leaves the machine as a connection does.
    with block(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlocked, match=r"192\.0\.2\.1:53"):
            sock.sendto(b"x", ("192.0.2.1", 53))
        with pytest.raises(NetworkBlocked):
            sock.sendto(b"x", 0, ("192.0.2.1", 53))
        with pytest.raises(NetworkBlocked):
            sock.sendmsg([b"x"], [], 0, ("192.0.2.1", 53))
        # Loopback datagrams still go.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
            receiver.bind(("127.0.0.1", 0))
            assert sock.sendto(b"x", receiver.getsockname()) == 1
            assert receiver.recv(1) == b"x"


def test_ipv6_addresses_are_named_with_their_port_apart() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    with (
        block(),
        socket.socket(socket.AF_INET6) as sock,
        pytest.raises(NetworkBlocked) as caught,
    ):
        sock.connect(("2001:db8::1", 443))
    message = str(caught.value)
    assert "network access to [2001:db8::1]:443 is blocked" in message
    assert "--densemark-allow-host=2001:db8::1 " in message


def test_the_unspecified_address_is_this_machine() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, block(), socket.socket() as sock:
        # Connecting to 0.0.0.0 reaches a server on this machine: nothing leaves it.
        assert sock.connect_ex(("0.0.0.0", server.getsockname()[1])) == 0


def test_an_allowed_name_may_be_connected_to_at_the_address_it_resolved_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> object:
        # allowed.example resolves to a documentation address (RFC 5737); nothing listens.
        return real_getaddrinfo("192.0.2.9" if host == "allowed.example" else host, port)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with block(allow=["allowed.example"]):
        # The attempt reaches the operating system (NetworkBlocked is no OSError).
        with contextlib.suppress(OSError):
            socket.create_connection(("allowed.example", 9), timeout=0.01).close()
        # Other names' addresses stay refused.
        with socket.socket() as sock, pytest.raises(NetworkBlocked):
            sock.connect(("192.0.2.10", 9))


def test_ipv4_mapped_addresses_are_judged_as_ipv4() -> None:
    try:
        server = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    except (OSError, ValueError):
        pytest.skip("no dual-stack IPv6 on this machine")
    port = server.getsockname()[1]
    with server, block(), socket.socket(socket.AF_INET6) as sock:
        with pytest.raises(NetworkBlocked, match=r"\[::ffff:192\.0\.2\.1\]:80"):
            sock.connect(("::ffff:192.0.2.1", 80))
        with socket.socket(socket.AF_INET6) as local:
            local.settimeout(1)
            local.connect(("::ffff:127.0.0.1", port))  # loopback, as dual-stack sockets see it


def test_a_platform_without_sendmsg_is_blocked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    class WindowsSocket:
        """socket.socket as Windows has it: no sendmsg."""

        def connect(self, address: object) -> None:
            raise AssertionError("not reached")

        connect_ex = connect
        sendto = connect

    monkeypatch.setattr(socket, "socket", WindowsSocket)
    original = WindowsSocket.sendto
    blocker = block()
    assert WindowsSocket.sendto is not original  # guarded
    assert not hasattr(WindowsSocket, "sendmsg")
    blocker.close()
    assert WindowsSocket.sendto is original
    assert not hasattr(WindowsSocket, "sendmsg")
