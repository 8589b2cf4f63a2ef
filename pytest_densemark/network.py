"""Blocking the network: every connection the process makes beyond loopback fails at once.

``--densemark-block-network`` (or the ini value ``densemark_block_network``) turns it on for a
pytest run; :func:`block` is the same for any code. It works at the socket level, so it covers
every library, intercepted by the kit or not: a host name is refused when it is looked up
(``socket.getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``), an address when it is
connected to (``socket.socket.connect`` and ``connect_ex``) or sent a datagram
(``sendto``/``sendmsg``: a UDP packet, a DNS query say, leaves the machine as surely as a
connection). Loopback (``localhost``, ``127.0.0.0/8``, ``::1``; also ``0.0.0.0`` and ``::``,
which reach this machine), Unix sockets, the hosts allowed by name or address, and a
recording's own requests upstream stay allowed. Vendor requests never get this far: they are
answered in-process before any connection is made. Only what goes through Python's
``socket`` module is seen: C libraries with sockets or a resolver of their own (pycurl, grpc,
aiodns) and subprocesses are not.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

from pytest_densemark.errors import DensemarkError

__all__ = ["NetworkBlocked", "block"]

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlocked(DensemarkError, RuntimeError):
    """A connection to a host that is neither loopback nor allowed, while the network is blocked.

    Not an ``OSError``, so HTTP clients do not turn it into a retry or a generic connection
    error: the test fails with this message, naming the host and how to allow it.
    """

    def __init__(self, host: str, port: object = None) -> None:
        shown = f"[{host}]" if ":" in host else host  # an IPv6 address: its port set apart
        where = host if port in (None, 0, "") else f"{shown}:{port}"
        super().__init__(
            f"densemark: network access to {where} is blocked (--densemark-block-network:"
            " only loopback is allowed); allow it with --densemark-allow-host="
            f"{host} or the ini value densemark_allow_hosts"
        )
        self.host = host


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1, as dual-stack sockets see IPv4
    # Connecting to the unspecified address reaches this machine (as servers bound to it).
    return address.is_loopback or address.is_unspecified


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class _Blocker:
    """One active block; :meth:`close` restores what was there before it."""

    def __init__(self, allow: Iterable[str]) -> None:
        names = {h.strip("[]").rstrip(".").lower() for h in allow if h.strip()}
        with contextlib.suppress(OSError):  # a machine without a host name
            names.add(socket.gethostname().lower())
        self.allowed = frozenset(names)
        # The addresses the allowed names were looked up as: connecting to them is allowed too
        # (an allowed name would otherwise pass its lookup only to be refused at connect).
        self.resolved: set[str] = set()
        self._saved: dict[tuple[Any, str], Callable[..., Any]] | None = None

    def permits(self, host: object) -> bool:
        """Whether connecting to (or looking up) ``host`` is allowed."""
        if host in (None, "", b""):
            return True
        text = host.decode() if isinstance(host, bytes) else str(host)
        name = text.strip("[]").rstrip(".").lower()
        if _is_loopback(text) or name in self.allowed or name in self.resolved:
            return True
        from pytest_densemark.stubs import is_forwarding

        return is_forwarding()

    def install(self) -> None:
        saved: dict[tuple[Any, str], Callable[..., Any]] = {
            (socket, "getaddrinfo"): socket.getaddrinfo,
            (socket, "gethostbyname"): socket.gethostbyname,
            (socket, "gethostbyname_ex"): socket.gethostbyname_ex,
            (socket.socket, "connect"): socket.socket.connect,
            (socket.socket, "connect_ex"): socket.socket.connect_ex,
            (socket.socket, "sendto"): socket.socket.sendto,
        }
        if hasattr(socket.socket, "sendmsg"):  # not on Windows
            saved[socket.socket, "sendmsg"] = socket.socket.sendmsg
        self._saved = saved
        permits = self.permits

        def refuse_name(host: Any, port: Any = None) -> None:
            # Addresses are judged when connected to; names here, where the name is known.
            if not (host is None or _is_address(str(host)) or permits(host)):
                raise NetworkBlocked(str(host), port)

        saved_getaddrinfo = saved[socket, "getaddrinfo"]
        saved_gethostbyname = saved[socket, "gethostbyname"]
        saved_gethostbyname_ex = saved[socket, "gethostbyname_ex"]

        def learn(host: Any, addresses: Iterable[str]) -> None:
            text = host.decode() if isinstance(host, bytes) else str(host)
            if text.rstrip(".").lower() in self.allowed:
                self.resolved.update(a.split("%", 1)[0].lower() for a in addresses)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            refuse_name(host, port)
            found = saved_getaddrinfo(host, port, *args, **kwargs)
            learn(host, (str(info[4][0]) for info in found))
            return found

        def gethostbyname(host: str) -> str:
            refuse_name(host)
            address: str = saved_gethostbyname(host)
            learn(host, [address])
            return address

        def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
            refuse_name(host)
            found: tuple[str, list[str], list[str]] = saved_gethostbyname_ex(host)
            learn(host, found[2])
            return found

        def refuse_address(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not permits(address[0]):
                raise NetworkBlocked(str(address[0]), address[1])

        def guard(original: Callable[..., Any]) -> Callable[..., Any]:
            def connect(sock: socket.socket, address: Any) -> Any:
                try:
                    refuse_address(sock, address)
                except NetworkBlocked:
                    # The caller only closes on OSError: a blocked socket would leak.
                    sock.close()
                    raise
                return original(sock, address)

            connect.__doc__ = original.__doc__
            return connect

        saved_sendto = saved[socket.socket, "sendto"]
        saved_sendmsg = saved.get((socket.socket, "sendmsg"))

        def sendto(sock: socket.socket, data: Any, *args: Any) -> int:
            # sendto(data, address) or sendto(data, flags, address)
            refuse_address(sock, args[-1])
            return saved_sendto(sock, data, *args)  # type: ignore[no-any-return]

        def sendmsg(sock: socket.socket, buffers: Any, *args: Any) -> int:
            # sendmsg(buffers[, ancdata[, flags[, address]]]): only a datagram names a peer.
            if len(args) > 2 and args[2] is not None:
                refuse_address(sock, args[2])
            assert saved_sendmsg is not None
            return saved_sendmsg(sock, buffers, *args)  # type: ignore[no-any-return]

        socket.getaddrinfo = getaddrinfo
        socket.gethostbyname = gethostbyname
        socket.gethostbyname_ex = gethostbyname_ex
        socket.socket.connect = guard(saved[socket.socket, "connect"])  # type: ignore[method-assign]
        socket.socket.connect_ex = guard(saved[socket.socket, "connect_ex"])  # type: ignore[method-assign]
        socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
        if saved_sendmsg is not None:
            socket.socket.sendmsg = sendmsg  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        """Unblock: put back the functions the block replaced (idempotent)."""
        if self._saved is None:
            return
        for (owner, name), function in self._saved.items():
            setattr(owner, name, function)
        self._saved = None

    def __enter__(self) -> _Blocker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def block(*, allow: Iterable[str] = ()) -> _Blocker:
    """Block every non-loopback connection until the returned object's ``close()``.

    Also a context manager (``with block(allow=["example.org"]):``). ``allow`` names hosts
    (names or addresses) that stay reachable. A refused connection raises
    :class:`NetworkBlocked`. Blocks stack: closing one restores the state before it.
    """
    blocker = _Blocker(allow)
    blocker.install()
    return blocker
