"""A month of closed loop with the M-Bus meters: the report's figures against the simulator's.

Thirty model days of January (cold snap: oil tops up) replay the production supervisor on the
simulated plant with its M-Bus meters (the wood circuit's, one per building, the plant room's
electricity, the network's make-up water). The replay's tap reads every point the report
needs, as the PLC bridge and the M-Bus poll would, into the real historian (SQLite). The
network leaks for a few hours on day 4 and is topped up (make-up water). On days 12–15 the
meters' gateway does not answer (three days).

- First ten days: the buildings' meters add up to the heat the plant delivered within 1 %, and
  every report figure matches the simulator's own counter within 0.5 %: heat per building,
  wood and oil heat, chips, electricity, make-up water; the electricity's peak and average
  and the time in the regulation band agree with the model.
- The thirty days: the buildings' figures rest on 90 % of the period, are marked and say the
  three-day gap; the wood heat (read through the hydraulic PLC, not cut) stays complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.readings import MAX_GAP
from chaufferie.historian.report import EnergyReport, Period, build_report
from chaufferie.historian.writer import HistorianWriter
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap
from chaufferie.simulations.plant import Plant
from tests.historian.support import RECORDED, Heartbeat, Taps
from tests.support.mbus import BUILDINGS, with_meters

pytestmark = pytest.mark.timeout(600)
DAY = 86400.0
METERED = (
    *RECORDED,
    "wood.setpoint",
    *(b.energy_point for b in BUILDINGS),
    "elec.energy",
    "elec.power",
    "water.makeup",
)
"""What the report reads (the meters' other records are the bridge's tests' business)."""


class PeakWatch:
    """The plant room's highest electric power, seen at every step of the replay."""

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.kw = 0.0

    def poll(self, now: datetime) -> None:
        self.kw = max(self.kw, self.plant.meters.meters["elec"].power_kw)


@dataclass(frozen=True)
class Truth:
    """The simulator's own counters at one instant."""

    wood_kwh: float
    oil_kwh: float
    chips_kg: float
    delivered_kwh: float
    buildings_kwh: dict[str, float]
    elec_kwh: float
    water_l: float

    @classmethod
    def of(cls, plant: Plant) -> Truth:
        c, m = plant.counters, plant.meters.meters
        return cls(
            c.heat_wood_kwh,
            c.heat_oil_kwh,
            c.chips_kg,
            c.delivered_kwh,
            {b.id: m[b.id].energy_kwh for b in BUILDINGS},
            m["elec"].energy_kwh,
            m["water"].volume_m3 * 1000.0,
        )


@dataclass
class Month:
    cfg: PlantConfig
    start: datetime
    first: EnergyReport
    whole: EnergyReport
    truth: Truth
    elec_peak_kw: float
    band_ratio: float


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    import asyncio

    return asyncio.run(_replay(tmp_path_factory.mktemp("metering")))


async def _replay(folder: Path) -> Month:
    from chaufferie.config.loader import load_config

    base = load_config(None, data_dir=str(folder))
    storage = base.storage.model_copy(update={"url": f"sqlite:///{folder / 'history.db'}"})
    cfg = with_meters(base.model_copy(update={"storage": storage}), port=1)
    replay = Replay(cfg, "cold-snap", alarms=False)
    plant, start = replay.plant, replay.plant.now
    peak = PeakWatch(plant)
    async with HistorianWriter(cfg, Bus(), VirtualClock(start)) as writer:
        beat = Heartbeat(writer.accept)
        tap = PlantTap(cfg, plant, METERED, [beat.accept])
        replay.tap = Taps(replay.tap, tap, beat, peak)  # type: ignore[assignment, arg-type]

        async def until(day: float) -> None:
            while plant.t < day * DAY - 1e-6:
                replay.run(until_s=min(day * DAY, plant.t + 6 * 3600))
                await writer.flush()

        await until(3)
        plant.inject("PRS-BAS")  # a leak: the network loses pressure…
        await until(3.25)
        plant.clear("PRS-BAS")  # …is repaired and topped up
        await until(10)
        truth, peak_kw = Truth.of(plant), peak.kw
        band = replay.summary()["buffer_within_band_ratio"]
        await until(12)
        plant.links_down.add("meters")
        await until(15)
        plant.links_down.discard("meters")
        await until(30)
        tap.poll(plant.now)
        for event in replay.events:
            writer.accept(event)
        await writer.flush()
        first = build_report(
            writer.engine, cfg, Period("days 1-10", start, start + timedelta(days=10), "month")
        )
        whole = build_report(
            writer.engine, cfg, Period("days 1-30", start, start + timedelta(days=30), "month")
        )
    return Month(cfg, start, first, whole, truth, peak_kw, band)


def test_the_buildings_meters_add_up_to_the_heat_the_plant_delivered(month: Month) -> None:
    t = month.truth
    assert t.delivered_kwh > 1000  # ten winter days
    assert sum(t.buildings_kwh.values()) == pytest.approx(t.delivered_kwh, rel=0.01)
    assert month.first.buildings_heat_mwh is not None
    assert month.first.buildings_heat_mwh * 1000 == pytest.approx(t.delivered_kwh, rel=0.01)
    for b in BUILDINGS:
        share = t.buildings_kwh[b.id] / sum(t.buildings_kwh.values())
        assert share == pytest.approx(b.share, abs=0.001)


def test_every_report_figure_matches_the_simulators_counter_within_half_a_percent(month: Month) -> None:
    r, t = month.first, month.truth
    assert t.oil_kwh > 100
    assert t.water_l > 5
    for b in BUILDINGS:
        mwh = r.building_heat_mwh[b.id]
        assert mwh is not None, b.id
        assert mwh * 1000 == pytest.approx(t.buildings_kwh[b.id], rel=0.005), b.id
    assert r.wood_heat_mwh is not None
    assert r.wood_heat_mwh * 1000 == pytest.approx(t.wood_kwh, rel=0.005)
    assert r.oil_heat_mwh is not None
    assert r.oil_heat_mwh * 1000 == pytest.approx(t.oil_kwh, rel=0.005)
    assert r.chips_burnt_t is not None
    assert r.chips_burnt_t * 1000 == pytest.approx(t.chips_kg, rel=0.005)
    assert r.electricity_kwh == pytest.approx(t.elec_kwh, rel=0.005)
    assert r.makeup_water_l == pytest.approx(t.water_l, rel=0.005)
    assert r.electricity_avg_kw == pytest.approx(t.elec_kwh / 240.0, rel=0.005)
    assert r.electricity_peak_kw == pytest.approx(month.elec_peak_kw, abs=0.01)
    assert r.band_share is not None
    assert r.band_share == pytest.approx(month.band_ratio, abs=0.02)
    assert not r.incomplete, r.incomplete


def test_the_derived_figures_follow_from_the_configured_factors_and_prices(month: Month) -> None:
    r, cfg = month.first, month.cfg
    m, plant = cfg.metering, cfg.plant
    assert r.total_heat_mwh is not None
    assert r.chips_burnt_t is not None
    assert r.oil_heat_mwh is not None
    oil_fuel_kwh = 1000 * r.oil_heat_mwh / plant.oil_efficiency
    all_oil_t = 1000 * r.total_heat_mwh / plant.oil_efficiency * m.co2_oil_kg_per_kwh / 1000
    burnt_t = (
        r.chips_burnt_t * plant.chips_lhv_kwh_per_t * m.co2_wood_kg_per_kwh
        + oil_fuel_kwh * m.co2_oil_kg_per_kwh
    ) / 1000
    assert r.co2_avoided_t == pytest.approx(all_oil_t - burnt_t)
    assert 0 < r.co2_avoided_t < all_oil_t  # type: ignore[operator]
    assert r.cost_eur is not None
    assert r.eur_per_mwh == pytest.approx(r.cost_eur / r.total_heat_mwh)
    assert r.kwh_per_degree_day == pytest.approx(1000 * r.total_heat_mwh / r.degree_days)
    assert r.loss_rate is not None
    assert 0 < r.loss_rate < 0.1


def test_a_three_day_gap_gives_ninety_percent_coverage_and_marked_figures(month: Month) -> None:
    r = month.whole
    for b in BUILDINGS:
        key = f"building_heat_mwh.{b.id}"
        covered = r.coverage[key]
        assert covered.fraction == pytest.approx(0.90, abs=0.005), key
        assert r.partial(key)
        assert [round(g.days) for g in covered.gaps] == [3]
        assert abs(covered.gaps[0].start - (month.start + timedelta(days=12))) <= MAX_GAP
        assert key in r.incomplete
        assert r.building_heat_mwh[b.id] is None
    assert r.coverage["electricity_kwh"].fraction == pytest.approx(0.90, abs=0.005)
    assert "wood_heat_mwh" not in r.incomplete
    assert not r.partial("wood_heat_mwh")
