"""A central receiver on loopback for the tests: a real aiohttp server over a real database."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from chaufferie.historian import central_protocol as proto
from tests.conftest import free_port

SITE = "joucas"


@dataclass
class Central:
    engine: Engine
    url: str
    key: Ed25519PrivateKey

    def headers(self, body: bytes, site: str = SITE, key: Ed25519PrivateKey | None = None) -> dict[str, str]:
        return proto.signed_headers(key or self.key, site, int(time.time()), body)


async def serve(
    app: web.Application, context: ssl.SSLContext | None = None, port: int | None = None
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = port or free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    return runner, f"{'https' if context else 'http'}://127.0.0.1:{port}"
