"""Who the client is: the one function that derives the client address of a request.

The address is the TCP peer, unless that peer is a reverse proxy listed in
``hmi.trusted_proxies`` (addresses or networks such as ``10.0.0.0/24``). Then
``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first address
that is not one of them is the client's (nginx's ``$proxy_add_x_forwarded_for`` appends
the address it saw, so what a client writes in the header itself is never reached). With
no trusted proxy configured, forwarded headers count for nothing. uvicorn's own
proxy-header handling is switched off (:mod:`chaufferie.hmi.app`) so that this is the only
place forwarded headers are read. The login page, the page frame (audit of HMI actions),
the acknowledgement link pages and their lockout all use :func:`client_address`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "?"


@lru_cache(maxsize=16)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted_proxies)


def is_trusted(address: str, trusted_proxies: Iterable[str]) -> bool:
    """True when ``address`` is one of the configured reverse proxies."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(trusted_proxies)))


def peer_address(conn: HTTPConnection) -> str:
    """The TCP peer (the proxy itself when there is one)."""
    return conn.client.host if conn.client else UNKNOWN


def from_trusted_proxy(conn: HTTPConnection, trusted_proxies: Iterable[str]) -> bool:
    """True when the request came through a configured reverse proxy."""
    return is_trusted(peer_address(conn), trusted_proxies)


def client_address(conn: HTTPConnection, trusted_proxies: Iterable[str]) -> str:
    """The client's address: the peer, or behind trusted proxies the nearest untrusted hop
    of ``X-Forwarded-For`` (the left-most hop when every one of them is trusted)."""
    proxies = tuple(trusted_proxies)
    address = peer_address(conn)
    if not is_trusted(address, proxies):
        return address
    forwarded = ",".join(conn.headers.getlist("x-forwarded-for"))
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        address = hop
        if not is_trusted(hop, proxies):
            break
    return address
