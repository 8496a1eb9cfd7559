"""A closed-loop replay feeds the historian: the report's MWh match the simulator's own counters.

The replay (simulator physics + production supervisor, in model time) publishes the plant's
energy points on change, as the PLC bridge would, straight into the historian's writer; its
plant events follow. The report over the replayed period must agree with the plant's energy
counters within 0.5 % (wood heat from the heat meter, oil heat from litres burnt).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.report import Period, build_report
from chaufferie.historian.writer import HistorianWriter
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap
from tests.historian.support import RECORDED, Heartbeat, Taps


async def test_cold_snap_replay_report_matches_the_simulator_energy_counters(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    cfg = historian_config
    replay = Replay(cfg, "cold-snap", alarms=False)
    start = replay.plant.now
    async with HistorianWriter(cfg, bus, clock) as writer:
        beat = Heartbeat(writer.accept)
        tap = PlantTap(cfg, replay.plant, RECORDED, [beat.accept])
        replay.tap = Taps(replay.tap, tap, beat)  # type: ignore[assignment]
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
