"""An httpcore network backend that resolves, vets, then connects to the vetted IP itself.

Because the address that was checked is the address that is dialled, DNS rebinding (a name that
answers a public IP to the check and 127.0.0.1 to the connect) can't slip through. The original host
name still goes into the ``Host`` header and TLS SNI/certificate checks (httpcore passes it to
``start_tls``), since only the TCP connect is redirected. Every connection goes through here, so
redirects are covered as well.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import anyio
import httpcore

from agentkit_tools._netpolicy import AddressPolicy, FetchBlocked, FetchError, IPAddress

__all__ = ["Resolver", "VettedBackend", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
"""Resolve ``(host, port)`` to IP addresses; inject one in tests."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Resolve with the system resolver (``getaddrinfo``) in a worker thread."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


class VettedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses ``policy`` allows, and only to the ones it checked."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def vetted_addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        """The addresses of ``host`` after the policy check (raises :class:`FetchBlocked`)."""
        literal = _ip_literal(host)
        addresses = [literal] if literal else await self._resolve(host, port)
        if not addresses:
            raise FetchError(f"Host {host!r} did not resolve to any address. Check the URL.")
        self.policy.check(host, addresses)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Dial the first reachable vetted address of ``host``."""
        error: Exception | None = None
        for address in await self.vetted_addresses(host, port):
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never used by web fetches."""
        raise FetchBlocked("Unix-socket connections are not allowed.")

    async def sleep(self, seconds: float) -> None:
        """Delegate to the inner backend."""
        await self.inner.sleep(seconds)

    async def _resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        try:
            return await self.resolver(host, port)
        except OSError as exc:
            raise FetchError(f"Could not resolve host {host!r}: {exc}. Check the URL.") from None


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
