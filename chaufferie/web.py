"""The web server of the system: one uvicorn server in the system's own event loop.

It serves the FastAPI application on which the HMI (NiceGUI), the remote-ack page and the
SMS webhook are mounted, plus ``/healthz`` for a monitor (200 when every service runs,
503 otherwise, JSON body from :meth:`chaufferie.lifespan.System.health`).
Signals are handled by the ``chaufferie`` command, not by uvicorn.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def add_health_route(app: FastAPI, health: Callable[[], dict[str, Any]]) -> None:
    """Serve ``GET /healthz`` from ``health()``."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        report = health()
        return JSONResponse(report, status_code=200 if report.get("status") == "ok" else 503)


class WebServer:
    """Service wrapper around uvicorn (async context manager with ``run()``)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )
        self.server = _QuietServer(config)
        self.host = host
        self.port = port

    async def __aenter__(self) -> WebServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True

    async def run(self) -> None:
        log.info("HMI at http://%s:%d", self.host, self.port)
        await self.server.serve()
