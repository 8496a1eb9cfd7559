"""A whole heating season (1 October – 31 May) in closed loop, run once for two checks (slow).

Simulator physics, the production supervisor and the real alarm engine in model time, with the
plant's energy points published on change into the historian's writer (SQLite), as the PLC
bridge would. Supervisor, alarms and taps every model minute; the physics keeps its own 10 s
sub-steps. One run serves both checks: the cascade's season (wood first, oil only when it must)
and the energy report against the simulator's own counters. Run once, it takes about half of
what the two took apart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.report import EnergyReport, Period, build_report
from chaufferie.historian.writer import HistorianWriter
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap
from chaufferie.simulations.plant import Counters
from tests.historian.support import RECORDED, Heartbeat, Taps

SEASON_STEP_S = 60.0
"""Supervisor, alarms and taps every model minute; the physics keeps its own 10 s sub-steps."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass(frozen=True)
class Season:
    config: PlantConfig
    summary: dict[str, Any]
    report: EnergyReport
    counters: Counters


async def _replay_into_historian(config: PlantConfig) -> Season:
    replay = Replay(config, "season", step_s=SEASON_STEP_S)
    start = replay.plant.now
    clock = VirtualClock(start)
    async with HistorianWriter(config, Bus(), clock) as writer:
        beat = Heartbeat(writer.accept)
        tap = PlantTap(config, replay.plant, RECORDED, [beat.accept])
        replay.tap = Taps(replay.tap, tap, beat)  # type: ignore[assignment]
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
        report = build_report(writer.engine, config, Period("season", start, end, "season"))
    return Season(config, replay.summary(), report, replay.plant.counters)


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Season:
    data = tmp_path_factory.mktemp("season") / "data"
    config = load_config(default_config_path(), data_dir=str(data))
    return asyncio.run(_replay_into_historian(config))


def test_season_is_wood_first_with_no_replacement_and_protected_oil(season: Season) -> None:
    summary, cascade = season.summary, season.config.cascade
    print(summary)
    assert summary["model_seconds"] == 243 * 86400
    assert summary["wood_coverage"] >= 0.90
    assert summary["oil_starts_replacement"] == 0
    days = summary["model_seconds"] / 86400
    # the oil boiler fills the gap under a lower setpoint; sharing the wood setpoint gave 545 starts
    assert summary["oil_starts_topup"] <= 0.4 * days
    assert summary["alarms_by_code"]["FIO-APP"] == summary["oil_starts_topup"]
    assert summary["oil_starts_max_per_hour"] <= cascade.oil_max_starts_per_hour
    assert summary["unmet_demand_kwh"] <= 0.001 * summary["heat_demand_kwh"]
    assert summary["heat_demand_kwh"] == pytest.approx(250_000, rel=0.2)


def test_season_report_matches_the_simulator_energy_counters(season: Season) -> None:
    report, counters = season.report, season.counters
    labels = [m.period.label for m in report.months]  # the replay runs in UTC: June's first hours too
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
    assert report.wood_heat_mwh * 1000 == pytest.approx(counters.heat_wood_kwh, rel=0.005)
    assert report.oil_heat_mwh * 1000 == pytest.approx(counters.heat_oil_kwh, rel=0.005, abs=1.0)
    assert sum(m.wood_heat_mwh for m in report.months) == pytest.approx(report.wood_heat_mwh, rel=1e-6)
    assert 1500 < report.degree_days < 2600  # about 2 000 DJU for Joucas (docs/domain.md §1)
