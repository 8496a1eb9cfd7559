"""One lifespan for the whole system: start services in stages, stop them in reverse.

A *service* is an async context manager with a ``run()`` coroutine (docs/architecture.md,
"Services"). The system enters every service's context in stage order (sinks first, so
nothing published by an input is missed) and starts its ``run()`` at once; on stop it:

1. cancels the inputs' ``run()`` (PLC bridge) so no new values arrive,
2. lets the bus drain (every subscriber's queue empty, bounded in time),
3. stops every other ``run()`` in reverse start order (the HMI first, the historian last),
4. leaves the contexts in reverse order of entry (the HMI first, the historian's flush last).

A service that offers ``request_stop()`` (a web server finishing its requests) is asked to
stop and given a few seconds before it is cancelled. A service whose ``run()`` fails is
logged once with its traceback and marked failed in the
health report; the others go on (a failing HMI must not stop the alarms).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock

log = logging.getLogger(__name__)


class Service(Protocol):
    """What the lifespan needs of a service."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...

    async def run(self) -> None: ...


class StageName(StrEnum):
    """Start order (top to bottom); stop order is the reverse, inputs first."""

    SINKS = "sinks"
    PROCESSORS = "processors"
    INPUTS = "inputs"
    INTERFACE = "interface"


class ServiceState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass
class ServiceEntry:
    name: str
    stage: StageName
    service: Service
    state: ServiceState = ServiceState.STARTING
    error: str = ""
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class System:
    """The running system: services by stage, the bus and the clock."""

    def __init__(self, bus: Bus, clock: Clock, drain_timeout_s: float = 10.0) -> None:
        self.bus = bus
        self.clock = clock
        self.drain_timeout_s = drain_timeout_s
        self.entries: list[ServiceEntry] = []
        self._stack = AsyncExitStack()
        self.started = asyncio.Event()
        self.checks: dict[str, Callable[[], tuple[bool, dict[str, Any]]]] = {}

    def add(self, name: str, stage: StageName, service: Service) -> None:
        self.entries.append(ServiceEntry(name, stage, service))

    def _ordered(self) -> list[ServiceEntry]:
        order = list(StageName)
        return sorted(self.entries, key=lambda e: order.index(e.stage))

    async def __aenter__(self) -> Self:
        await self._stack.__aenter__()
        try:
            for entry in self._ordered():
                await self._stack.enter_async_context(entry.service)
                entry.task = asyncio.create_task(self._run(entry), name=f"service:{entry.name}")
        except BaseException:
            await self._cancel_all()
            await self._stack.aclose()
            raise
        self.started.set()
        log.info("system started: %s", ", ".join(e.name for e in self._ordered()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _run(self, entry: ServiceEntry) -> None:
        entry.state = ServiceState.RUNNING
        try:
            await entry.service.run()
            entry.state = ServiceState.STOPPED
        except asyncio.CancelledError:
            entry.state = ServiceState.STOPPED
            raise
        except Exception as exc:
            entry.state = ServiceState.FAILED
            entry.error = f"{type(exc).__name__}: {exc}"
            log.exception("service %s failed", entry.name)

    async def stop(self) -> None:
        """Staged stop: inputs, drain the bus, then leave contexts in reverse order."""
        for entry in self.entries:
            if entry.stage is StageName.INPUTS:
                await _cancel(entry)
        await self.drain()
        await self._cancel_all()
        await self._stack.aclose()
        log.info("system stopped")

    async def drain(self) -> bool:
        """Wait (bounded, wall time) until every bus subscriber's queue is empty."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_timeout_s
        while any(self.bus.queue_sizes.values()):
            if loop.time() > deadline:
                log.warning("bus not drained at stop: %s", self.bus.queue_sizes)
                return False
            await asyncio.sleep(0.01)
        return True

    async def _cancel_all(self) -> None:
        for entry in reversed(self._ordered()):
            await _cancel(entry)

    def health(self) -> dict[str, Any]:
        """Health report for ``/healthz``: every service running and every check passing."""
        checks = {name: check() for name, check in self.checks.items()}
        ok = all(e.state is ServiceState.RUNNING for e in self.entries) and all(
            passed for passed, _ in checks.values()
        )
        return {
            "status": "ok" if ok else "degraded",
            "time": self.clock.now().isoformat(),
            "services": {e.name: {"state": e.state.value, "error": e.error} for e in self.entries},
            "checks": {name: {"ok": passed, **details} for name, (passed, details) in checks.items()},
            "bus_queues": self.bus.queue_sizes,
        }


async def _cancel(entry: ServiceEntry, grace_s: float = 5.0) -> None:
    """Stop one service: ask politely when it can be asked (``request_stop()``), then cancel."""
    task = entry.task
    if task is None or task.done():
        return
    request_stop = getattr(entry.service, "request_stop", None)
    if callable(request_stop):
        request_stop()
        done, _ = await asyncio.wait([task], timeout=grace_s)
        if done:
            return
    task.cancel()
    await asyncio.wait([task])  # waits for the task to finish without re-raising its cancellation
