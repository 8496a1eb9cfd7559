"""A closed-loop replay feeds the historian: the report's MWh match the simulator's own counters.

The replay (simulator physics + production supervisor, in model time) publishes the plant's
energy points on change, as the PLC bridge would, straight into the historian's writer; its
plant events follow. The report over the replayed period must agree with the plant's energy
counters within 0.5 % (wood heat from the heat meter, oil heat from litres burnt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Message, TagValue
from chaufferie.historian.report import Period, build_report
from chaufferie.historian.writer import HistorianWriter
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap

SEASON_STEP_S = 60.0

RECORDED = (
    "meter.energy",
    "meter.power",
    "oil.litres",
    "oil.burner_on",
    "wood.fuel_burnt",
    "wood.power",
    "outdoor.temp",
    "buffer.temp_top",
)
"""The points the report reads, and a few to draw (the tap polls each one every model step)."""


class _Heartbeat:
    """Republishes each point's last value when it has not changed for ``HEARTBEAT``, as the
    PLC bridge does every ``heartbeat_s`` (60 s) and the replay's tap does not: a counter that
    stands still (oil litres while the oil boiler is off) still has readings, so the report
    sees the period covered. A quarter of an hour keeps the replay quick."""

    HEARTBEAT = timedelta(minutes=15)

    def __init__(self, sink: Callable[[Message], None]) -> None:
        self.sink = sink
        self.last: dict[str, TagValue] = {}

    def accept(self, message: Message) -> None:
        if isinstance(message, TagValue):
            self.last[message.point] = message
        self.sink(message)

    def poll(self, now: datetime) -> None:
        for tag in list(self.last.values()):
            if now - tag.receive_time >= self.HEARTBEAT:
                self.accept(replace(tag, source_time=now, receive_time=now))


class _Taps:
    """The replay's own tap, the historian's and its heartbeat, polled together."""

    def __init__(self, *taps: PlantTap | _Heartbeat) -> None:
        self.taps = taps

    def poll(self, now: datetime) -> None:
        for tap in self.taps:
            tap.poll(now)


async def test_cold_snap_replay_report_matches_the_simulator_energy_counters(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    cfg = historian_config
    replay = Replay(cfg, "cold-snap", alarms=False)
    start = replay.plant.now
    async with HistorianWriter(cfg, bus, clock) as writer:
        beat = _Heartbeat(writer.accept)
        tap = PlantTap(cfg, replay.plant, RECORDED, [beat.accept])
        replay.tap = _Taps(replay.tap, tap, beat)  # type: ignore[assignment]
        for _ in range(5):
            replay.run(days=1)
            await writer.flush()
        tap.poll(replay.plant.now)
        for event in replay.events:
            writer.accept(event)
        await writer.flush()
        end = replay.plant.now + timedelta(seconds=1)
        report = build_report(writer.engine, cfg, Period("cold-snap", start, end, "month"))
    counters = replay.plant.counters
    assert counters.heat_oil_kwh > 100  # the scenario does need oil
    assert report.wood_heat_mwh * 1000 == pytest.approx(counters.heat_wood_kwh, rel=0.005)
    assert report.oil_heat_mwh * 1000 == pytest.approx(counters.heat_oil_kwh, rel=0.005)
    assert report.chips_burnt_t * 1000 == pytest.approx(counters.chips_kg, rel=0.005)
    assert report.oil_run_hours * 3600 == pytest.approx(counters.oil_burner_s, rel=0.01)
    summary = replay.summary()
    assert report.oil_starts.get("top_up", 0) == summary["oil_starts_topup"] + summary["oil_role_handovers"]


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_season_replay_report_matches_the_simulator_energy_counters(
    config: PlantConfig, clock: VirtualClock
) -> None:
    """The whole heating season (1 October – 31 May) into the historian, on SQLite.

    Supervisor and taps every model minute, as the closed-loop season test runs it (the
    physics keeps its 10 s sub-steps): the report reads counters, whose totals do not depend
    on how often they are sampled, and the replay takes a sixth of the time."""
    replay = Replay(config, "season", alarms=False, step_s=SEASON_STEP_S)
    start = replay.plant.now
    async with HistorianWriter(config, Bus(), clock) as writer:
        beat = _Heartbeat(writer.accept)
        tap = PlantTap(config, replay.plant, RECORDED, [beat.accept])
        replay.tap = _Taps(replay.tap, tap, beat)  # type: ignore[assignment]
        forwarded = 0
        while replay.plant.t < replay.duration_s(None) - 1:
            replay.run(days=1)
            for event in replay.events[forwarded:]:
                writer.accept(event)
            forwarded = len(replay.events)
            await writer.flush()
        tap.poll(replay.plant.now)
        await writer.flush()
        end = replay.plant.now + timedelta(seconds=1)
        season = build_report(writer.engine, config, Period("season", start, end, "season"))
    counters = replay.plant.counters
    labels = [m.period.label for m in season.months]  # the replay runs in UTC: June's first hours too
    assert labels[:8] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    assert season.wood_heat_mwh * 1000 == pytest.approx(counters.heat_wood_kwh, rel=0.005)
    assert season.oil_heat_mwh * 1000 == pytest.approx(counters.heat_oil_kwh, rel=0.005, abs=1.0)
    assert sum(m.wood_heat_mwh for m in season.months) == pytest.approx(season.wood_heat_mwh, rel=1e-6)
    assert 1500 < season.degree_days < 2600  # about 2 000 DJU for Joucas (docs/domain.md §1)
