"""The system's health endpoint on the web application.

The FastAPI application carries the HMI (NiceGUI), the remote-ack page and the SMS webhook;
this module adds ``/healthz`` for a monitor: 200 when every service runs, 503 otherwise, with
the JSON report of :meth:`chaufferie.lifespan.System.health`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse


def add_health_route(app: FastAPI, health: Callable[[], dict[str, Any]]) -> None:
    """Serve ``GET /healthz`` from ``health()``."""

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        # async: runs in the event loop's thread, where the services' SQLite connections live
        report = health()
        return JSONResponse(report, status_code=200 if report.get("status") == "ok" else 503)
