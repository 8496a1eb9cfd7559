"""``client_address``: the peer, or behind configured proxies the nearest untrusted hop; the
list of trusted proxies is checked when the configuration is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from chaufferie.config.loader import ConfigError, parse_config
from chaufferie.hmi.addresses import client_address


def request(peer: str, forwarded: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("192.0.2.5", ["203.0.113.9"], (), "192.0.2.5"),  # no proxy configured: header ignored
        ("127.0.0.1", ["203.0.113.9"], (), "127.0.0.1"),  # not even from loopback
        ("192.0.2.5", ["203.0.113.9"], ("127.0.0.1",), "192.0.2.5"),  # peer is not the proxy
        ("127.0.0.1", ["203.0.113.9"], ("127.0.0.1",), "203.0.113.9"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.9"], ("127.0.0.1",), "203.0.113.9"),  # forged left part
        ("10.0.0.3", ["6.6.6.6, 203.0.113.9, 10.0.0.2"], ("10.0.0.0/24",), "203.0.113.9"),  # two hops
        ("10.0.0.3", ["6.6.6.6", "203.0.113.9"], ("10.0.0.0/24",), "203.0.113.9"),  # repeated header
        ("10.0.0.3", ["10.0.0.2"], ("10.0.0.0/24",), "10.0.0.2"),  # all trusted: the left-most
        ("127.0.0.1", [], ("127.0.0.1",), "127.0.0.1"),  # proxy without header: the proxy itself
        ("::1", ["2001:db8::7"], ("::1",), "2001:db8::7"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], trusted: tuple[str, ...], expected: str) -> None:
    assert client_address(request(peer, forwarded), trusted) == expected


def test_a_bad_trusted_proxy_is_refused_with_file_line_and_value(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8").replace(
        "hmi:\n", "hmi:\n  trusted_proxies: [127.0.0.1, nginx.local]\n", 1
    )
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "plant.yaml")
    [issue] = refused.value.issues
    assert str(issue).startswith("plant.yaml:")
    assert "trusted_proxies" in str(issue)
    assert "nginx.local" in str(issue)
