"""Entry points for the composition root: register the pages, mount them, serve them.

- :func:`build_ui` registers every page for ``services`` (tests call it inside NiceGUI's
  user simulation).
- :func:`mount` registers the pages and mounts NiceGUI on the root's FastAPI app with
  ``ui.run_with`` (NiceGUI 3), so the HMI shares the system's asyncio loop.
- :class:`HmiServer` is a service (async context manager with ``run()``) that serves that
  FastAPI app with uvicorn on ``hmi.host:hmi.port`` inside the current loop, and runs the
  live model that feeds the pages from the bus.

NiceGUI's per-browser storage (the session token and the language) is kept in
``<data_dir>/hmi``, not in the working directory. The storage secret (signs the browser's
session cookie) comes from the environment variable named by ``hmi.secret_key_env``; the
root passes it in, this module never reads secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import uvicorn
from fastapi import FastAPI
from nicegui import app, ui
from nicegui.storage import Storage

from chaufferie.hmi.pages import (
    alarms,
    commissioning,
    control,
    history,
    logbook,
    login,
    maintenance,
    overview,
    reports,
    settings,
    trends,
)
from chaufferie.hmi.services import HmiServices

log = logging.getLogger(__name__)

PAGES = (
    login,
    overview,
    alarms,
    history,
    trends,
    reports,
    logbook,
    maintenance,
    control,
    settings,
    commissioning,
)


def build_ui(services: HmiServices) -> None:
    """Register every page of the HMI for ``services``."""
    for module in PAGES:
        module.register(services)


def mount(fastapi_app: FastAPI, services: HmiServices, storage_secret: str) -> None:
    """Register the pages and mount NiceGUI on ``fastapi_app`` (call once per process)."""
    if not storage_secret:
        raise ValueError("the HMI needs a storage secret (hmi.secret_key_env)")
    use_storage_in(services.config.data_path("hmi").resolve())
    build_ui(services)
    ui.run_with(
        fastapi_app,
        title=services.config.site.name,
        storage_secret=storage_secret,
        language="fr" if services.config.hmi.language.value == "fr" else "en-US",
        favicon="🔥",
        reconnect_timeout=10.0,
        show_welcome_message=False,
        session_middleware_kwargs={
            "same_site": "strict",  # the HMI is never entered from another site: messages link to /a/ only
            "https_only": services.config.hmi.public_url.startswith("https://"),
        },
    )


def use_storage_in(folder: Path) -> None:
    """Keep NiceGUI's per-browser storage (session token, language) in the data folder."""
    folder.mkdir(parents=True, exist_ok=True)
    Storage.path = folder
    app.storage = Storage()


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the composition root owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HmiServer:
    """Serves the HMI in the running loop; ``run()`` until cancelled."""

    def __init__(
        self,
        services: HmiServices,
        storage_secret: str,
        fastapi_app: FastAPI | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.services = services
        self.app = fastapi_app or FastAPI()
        self.host = host or services.config.hmi.host
        self.port = port or services.config.hmi.port
        self._secret = storage_secret
        self.server: uvicorn.Server | None = None

    async def __aenter__(self) -> Self:
        mount(self.app, self.services, self._secret)
        await self.services.live.__aenter__()
        if self.services.initial is not None:
            self.services.live.seed(self.services.initial())
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            ws="websockets-sansio",
            # forwarded headers are judged by hmi.trusted_proxies alone (hmi.addresses); uvicorn's
            # own handling would believe X-Forwarded-For from 127.0.0.1 whatever the configuration
            proxy_headers=False,
        )
        self.server = QuietServer(config)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.server is not None:
            self.server.should_exit = True
        await self.services.live.__aexit__(exc_type, exc, tb)

    @property
    def started(self) -> bool:
        return self.server is not None and self.server.started

    async def run(self) -> None:
        if self.server is None:
            raise RuntimeError("HmiServer.run() outside its context")
        log.info("hmi serving on http://%s:%d", self.host, self.port)
        live = asyncio.create_task(self.services.live.run(), name="hmi-live")
        try:
            await self.server.serve()
        finally:
            live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live
