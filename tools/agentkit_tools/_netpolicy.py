"""Which IP addresses an outgoing request may reach (SSRF protection).

Blocked by default: loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT),
documentation and benchmarking ranges, and cloud metadata endpoints, including the same addresses
hidden inside IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo, NAT64 ``64:ff9b::/96``).
An allowlist of host names and networks opens specific ones up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from agentkit_tools._errors import ToolPackError

__all__ = ["AddressPolicy", "FetchBlocked", "FetchError", "IPAddress", "IPNetwork", "blocked_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES: Final[frozenset[IPAddress]] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    }
)
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


class FetchError(ToolPackError):
    """A URL could not be fetched."""


class FetchBlocked(FetchError):
    """A request was refused before connecting, because of where it would go."""


@dataclass(frozen=True)
class AddressPolicy:
    """Blocks non-public addresses unless a host or network is allowlisted."""

    allow_hosts: frozenset[str] = frozenset()
    """Host names (``"intranet.example"`` or ``"*.corp.example"``) whose addresses are not checked."""
    allow_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)
    """Networks (e.g. ``10.0.0.0/8``, ``127.0.0.1/32``) that may be reached although not public."""

    @classmethod
    def build(cls, allow_hosts: Iterable[str] = (), allow_networks: Iterable[str] = ()) -> AddressPolicy:
        """A policy from host names and CIDR strings; bad CIDRs raise ``ValueError``."""
        hosts = frozenset(h.strip().lower().rstrip(".") for h in allow_hosts)
        networks = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in allow_networks)
        return cls(hosts, networks)

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` is allowlisted by name."""
        name = host.lower().rstrip(".")
        return any(name == h or (h.startswith("*.") and name.endswith(h[1:])) for h in self.allow_hosts)

    def check(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Raise :class:`FetchBlocked` unless every address of ``host`` may be reached."""
        if self.host_allowed(host):
            return
        for address in addresses:
            reason = blocked_reason(address)
            if reason and not any(address in net for net in self.allow_networks):
                raise FetchBlocked(
                    f"Refused to connect to {host!r}: it resolves to {address} ({reason}). Requests to "
                    "loopback, private, link-local and cloud-metadata addresses are blocked by default; "
                    "the operator can allow this host or network with allow_hosts/allow_networks."
                )


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not public, or ``None`` if it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        reason = _reason(address.ipv4_mapped)
        return f"{reason}, embedded as {address.ipv4_mapped}" if reason else None
    for candidate in _embedded(address):
        reason = _reason(candidate)
        if reason:
            return reason if candidate == address else f"{reason}, embedded as {candidate}"
    return None


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 address carries inside it."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        teredo = address.teredo
        inner = [address.sixtofour, teredo[1] if teredo else None]
        if address in _NAT64:
            inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        found.extend(a for a in inner if a is not None)
    return found


def _reason(address: IPAddress) -> str | None:
    checks = [
        (address in METADATA_ADDRESSES, "cloud metadata endpoint"),
        (address.is_unspecified, "unspecified address"),
        (address.is_loopback, "loopback address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (address.is_private, "private address"),
        (address.is_reserved, "reserved address"),
        (not address.is_global, "non-public address"),
    ]
    return next((text for hit, text in checks if hit), None)
