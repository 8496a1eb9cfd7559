"""A site's history database, quickly: the closed-loop replay of its plant, written by its historian.

``await site_history(cfg, days=2)`` replays ``days`` model days of ``cfg``'s plant (simulator
physics + production supervisor, :class:`~chaufferie.replay.Replay`, no sockets) and feeds what
the PLC bridge would publish — the energy points the reports read, each building's heat meter
(``cfg.buildings``), a few points to draw, each link's points read at that link's period (the
M-Bus meters every 15 min, not every model step), a heartbeat every quarter of an hour — and the
supervisor's plant events (modes, oil starts) to the site's real
:class:`~chaufferie.historian.writer.HistorianWriter`, into ``cfg.storage.url``. What it gives
back (:class:`SiteHistory`): the engine of that database, the period replayed and the
simulator's own energy counters to compare the reports with.

Model time is the scenario's (``cold-snap`` starts on 12 January 2026): nothing depends on the
day the test runs. Two model days take about 5 s of wall time per site
(``tests/support/test_site_history.py`` measures it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.writer import HistorianWriter
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap, Sink
from chaufferie.simulations.plant import Counters, Plant
from tests.historian.support import RECORDED, Heartbeat


@dataclass(frozen=True)
class SiteHistory:
    """A replayed site's history: its database, the period it covers and the plant's counters."""

    engine: Engine
    """The site's historian database (``cfg.storage.url``), migrated and written; the writer is
    closed, the engine usable (SQLite reopens its file)."""
    start: datetime
    """Model time of the replay's first step."""
    end: datetime
    """One second after its last step (a report's ``Period`` end, exclusive)."""
    counters: Counters
    """The simulator's energy counters over the replay (kWh, chips, oil)."""
    seconds: float
    """Wall time the replay and the writing took."""


def recorded_points(cfg: PlantConfig) -> tuple[str, ...]:
    """What the replay's tap publishes to the historian: the points the energy report reads
    (every building's heat meter, electricity, make-up water, the buffer outlet against its
    setpoint) and a few to draw, those of them that ``cfg`` has."""
    m, io = cfg.metering, cfg.io
    report = (m.electricity_energy, m.electricity_power, m.makeup_water, io.buffer_outlet, io.wood_setpoint)
    buildings = (b.energy_point for b in cfg.buildings)
    return tuple(dict.fromkeys(p for p in (*RECORDED, *report, *buildings) if p in cfg.points_by_name))


class Pollable(Protocol):
    def poll(self, now: datetime) -> None: ...


class Polled:
    """The replay's own tap, the historian's link taps and its heartbeat, polled together."""

    def __init__(self, *taps: Pollable) -> None:
        self.taps = taps

    def poll(self, now: datetime) -> None:
        for tap in self.taps:
            tap.poll(now)


class LinkTap:
    """The points of one link, read as its bridge reads them: every ``poll_s`` of model time (the
    M-Bus meters every 15 min in the shipped plants), every model step for a link without a
    period (OPC UA subscriptions) or polled faster than the step (Modbus, 1 s)."""

    def __init__(self, tap: PlantTap, poll_s: float) -> None:
        self.tap = tap
        self.poll_s = poll_s
        self._due = tap.plant.t

    def poll(self, now: datetime, *, due: bool = False) -> None:
        if due or self.tap.plant.t >= self._due - 1e-6:
            self.tap.poll(now)
            self._due = self.tap.plant.t + self.poll_s


def link_taps(cfg: PlantConfig, plant: Plant, points: Iterable[str], sink: Sink) -> list[LinkTap]:
    """One tap per link of ``points``, polled at that link's period."""
    by_link: dict[str, list[str]] = {}
    for name in points:
        by_link.setdefault(cfg.points_by_name[name].link, []).append(name)
    return [
        LinkTap(PlantTap(cfg, plant, names, [sink]), float(getattr(cfg.links.get(link), "poll_s", 0.0)))
        for link, names in sorted(by_link.items())
    ]


async def site_history(
    cfg: PlantConfig, days: int = 2, scenario: str = "cold-snap", *, alarms: bool = False
) -> SiteHistory:
    """Replay ``days`` model days of ``scenario`` on ``cfg``'s plant into its historian.

    ``alarms``: run the real alarm engine too and record its transitions (slower).
    """
    replay = Replay(cfg, scenario, alarms=alarms)
    start = replay.plant.now
    wall0 = time.perf_counter()
    async with HistorianWriter(cfg, Bus(), VirtualClock(start)) as writer:
        if replay.alarms is not None:
            replay.alarms.listeners.append(lambda transition, _occurrence: writer.accept(transition))
        beat = Heartbeat(writer.accept)
        taps = link_taps(cfg, replay.plant, recorded_points(cfg), beat.accept)
        replay.tap = Polled(replay.tap, *taps, beat)  # type: ignore[assignment]
        written = 0
        for _ in range(days):
            replay.run(days=1)
            for event in replay.events[written:]:  # the supervisor's events of that day, in order
                writer.accept(event)
            written = len(replay.events)
            await writer.flush()
        for tap in taps:  # every point's last value, the counters' last readings
            tap.poll(replay.plant.now, due=True)
        await writer.flush()
    end = replay.plant.now + timedelta(seconds=1)
    return SiteHistory(writer.engine, start, end, replay.plant.counters, time.perf_counter() - wall0)
