"""Which address is the visitor's: the socket peer, or what a trusted proxy says.

``X-Forwarded-For`` is believed only when the connecting peer is a configured trusted proxy
(default: nobody, not even loopback). The header is walked right to left: each hop a trusted
proxy reports is accepted, and the walk stops at the first hop that is not itself a trusted
proxy - that is the client. Every value is validated as an IP address; a value that does not
parse ends the walk, and the last trusted address stands (a proxy never writes garbage, a
client does). uvicorn runs with its own proxy-header handling off, so this is the only layer
that rewrites the client address.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse ``--trusted-proxy`` values (addresses or CIDR blocks); raise ValueError on junk."""
    networks: list[IPNetwork] = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        if text == "*":
            raise ValueError("'*' is not accepted as a trusted proxy: name the proxy's addresses")
        networks.append(ipaddress.ip_network(text, strict=False))
    return tuple(networks)


def parse_hop(value: str) -> IPAddress | None:
    """Parse a forwarded hop: ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[2001:db8::1]:443``."""
    text = value.strip().strip('"')
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return None
    return address


def is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in trusted)


def client_ip(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]) -> str:
    """Return the client address for a request from ``peer`` carrying ``forwarded_for`` headers.

    ``forwarded_for`` holds every ``X-Forwarded-For`` header value in order received. The result
    is always a valid IP address string, or ``"0.0.0.0"`` when even the peer is unusable (a unix
    socket, a test client).
    """
    if not trusted or not forwarded_for:
        return (_canonical(peer) if peer else None) or "0.0.0.0"
    current = parse_hop(peer) if peer else None
    if current is None:
        return "0.0.0.0"
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for raw in reversed(hops):
        if not is_trusted(current, trusted):
            break
        if not raw.strip():
            continue
        hop = parse_hop(raw)
        if hop is None:
            break
        current = hop
    return str(current)


@functools.lru_cache(maxsize=16_384)
def _canonical(peer: str) -> str | None:
    """``str(parse_hop(peer))``, cached: peers repeat, and parsing is most of the cost."""
    address = parse_hop(peer)
    return None if address is None else str(address)


class ClientIPMiddleware:
    """Rewrite ``scope["client"]`` to the visitor's address, per the trusted-proxy rules.

    Also honours ``X-Forwarded-Proto`` (http/https only) from a trusted peer, so cookies get the
    ``Secure`` flag behind a TLS-terminating proxy.
    """

    def __init__(self, app: ASGIApp, trusted: Sequence[IPNetwork]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client: Any = scope.get("client")
            peer = client[0] if client else None
            port = client[1] if client else 0
            forwarded: list[str] = []
            proto: str | None = None
            if self.trusted:
                for name, value in scope.get("headers", ()):
                    if name == b"x-forwarded-for":
                        forwarded.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        proto = value.decode("latin-1").strip().lower()
            ip = client_ip(peer, forwarded, self.trusted)
            scope = dict(scope)
            scope["client"] = (ip, port)
            if proto in ("http", "https"):  # peer parsed only when a proxy claims a scheme
                peer_address = parse_hop(peer) if peer else None
                if peer_address is not None and is_trusted(peer_address, self.trusted):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
