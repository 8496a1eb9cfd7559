"""Small builders shared by the alarm tests (no fixtures here: see conftest)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxItem, SqliteAlarmStore
from chaufferie.config.alarming import SmtpSettings, TwilioSettings
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    OilRole,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Quality,
    Scalar,
    TagValue,
)

TECH = Context(origin="test", user="tech-martin", channel=Channel.HMI, address="127.0.0.1")


class Rig:
    """An engine on a virtual clock with a SQLite store, and a tap on its transitions."""

    def __init__(self, cfg: PlantConfig, clock: VirtualClock, bus: Bus, path: Path) -> None:
        self.cfg, self.clock, self.bus = cfg, clock, bus
        self.store = SqliteAlarmStore(path)
        self.engine = AlarmEngine(cfg, bus, clock, self.store)
        self.engine.restore()
        self.ops = AlarmOperations(self.engine)
        self.tap: Subscription = bus.subscribe(AlarmTransition, name="test-tap")
        self.seen: list[AlarmTransition] = []

    def tag(self, point: str, value: Scalar, quality: Quality = Quality.GOOD) -> None:
        now = self.clock.now()
        self.engine.on_tag(TagValue(point, value, quality, now, now))

    def event(self, kind: PlantEventKind, **kw: object) -> None:
        self.engine.on_plant(PlantEvent(kind, self.clock.now(), **kw))  # type: ignore[arg-type]

    def mode(self, mode: PlantMode) -> None:
        self.event(PlantEventKind.MODE_CHANGED, mode=mode)

    def oil(self, role: OilRole, reason: str, **values: Scalar) -> None:
        self.event(PlantEventKind.OIL_STARTED, oil_role=role, reason=reason, values=values)

    async def advance(self, seconds: float) -> None:
        """Advance virtual time, ticking the engine every second like the service does."""
        step = 1.0
        left = seconds
        while left > 0:
            dt = min(step, left)
            await self.clock.advance(dt)
            left -= dt
            self.engine.tick()

    def transitions(self, code: str | None = None) -> list[AlarmTransition]:
        self.seen.extend(m for m in self.tap.drain() if isinstance(m, AlarmTransition))
        return [t for t in self.seen if code is None or t.code == code]

    def states(self, code: str) -> list[AlarmState]:
        return [t.state for t in self.transitions(code)]

    def open(self, code: str) -> list[str]:
        return [o.id for o in self.engine.occurrences.values() if o.code == code]


@asynccontextmanager
async def running(service: AlarmService) -> AsyncIterator[AlarmService]:
    """Enter ``service`` and run it in a task; cancel and leave on exit."""
    async with service:
        task = asyncio.create_task(service.run())
        await asyncio.sleep(0)
        try:
            yield service
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def settle(service: AlarmService, clock: VirtualClock, seconds: float = 0.0, step: float = 1.0) -> None:
    """Advance virtual time by ``seconds`` in ``step``s, letting real deliveries finish at each step."""
    await clock.advance(0)
    await service.outbox.settled()
    left = seconds
    while left > 0:
        dt = min(step, left)
        await clock.advance(dt)
        left -= dt
        await service.outbox.settled()


def with_providers(cfg: PlantConfig, sms: TwilioSettings | None, email: SmtpSettings | None) -> PlantConfig:
    notifiers = cfg.notifiers.model_copy(update={"sms": sms, "email": email})
    return cfg.model_copy(update={"notifiers": notifiers})


def publish_tag(bus: Bus, clock: VirtualClock, point: str, value: Scalar) -> None:
    now = clock.now()
    bus.publish(TagValue(point, value, Quality.GOOD, now, now))


class QuietTransport:
    """The parts of a transport (``Notifier``) a test double leaves as they are: it never finds
    a message already sent, is never known down, and has nothing to probe or close."""

    async def find_sent(self, item: OutboxItem) -> str | None:
        return None

    def available(self) -> bool:
        return True

    async def probe(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
