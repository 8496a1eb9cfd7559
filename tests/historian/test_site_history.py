"""Both shipped plants give, in seconds, a site history the reports can read (tests/support/site_history.py).

The Joucas plant (config/joucas.yaml) and the Kerbihan plant (config/kerbihan.yaml: another
commune, larger boilers and network, other buildings' shares) each replay two model days of the
``cold-snap`` scenario into their own historian. Each history has every building's heat counter,
and the site's own energy report over the period is complete (every figure measured) and agrees
with the simulator's counters: the plant's heat, and each building's heat as its share of what
the network delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chaufferie.config.loader import load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.periods import Period
from chaufferie.historian.report import build_report
from tests.support.site_history import SiteHistory, recorded_points, site_history

ROOT = Path(__file__).parents[2]
SITES = ("joucas", "kerbihan")
DAYS = 2
WALL_LIMIT_S = 20.0
Histories = dict[str, tuple[PlantConfig, SiteHistory]]


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Histories]:
    out: Histories = {}
    for site in SITES:
        cfg = load_config(ROOT / "config" / f"{site}.yaml", data_dir=str(tmp_path_factory.mktemp(site)))
        out[site] = cfg, asyncio.run(site_history(cfg, days=DAYS))
    yield out
    for _, history in out.values():
        history.engine.dispose()


@pytest.mark.parametrize("site", SITES)
def test_a_replayed_site_has_every_building_heat_counter_and_its_report_matches_the_simulator(
    histories: Histories, site: str
) -> None:
    cfg, history = histories[site]
    assert cfg.site.id == site
    assert history.seconds < WALL_LIMIT_S
    assert history.end - history.start >= timedelta(days=DAYS)
    with history.engine.connect() as conn:
        names = {
            name: pid
            for pid, name in conn.execute(
                select(schema.points.c.id, schema.points.c.name).where(schema.points.c.site_id == site)
            )
        }
        for b in cfg.buildings:
            values = [
                v
                for (v,) in conn.execute(
                    select(schema.samples.c.value)
                    .where(schema.samples.c.point_id == names[b.energy_point])
                    .order_by(schema.samples.c.time)
                )
            ]
            assert len(values) > DAYS * 24, b.energy_point  # at least the heartbeat's, hourly
            assert values == sorted(values), b.energy_point  # a counter
            assert values[-1] > values[0], b.energy_point
        modes = conn.execute(select(func.count()).select_from(schema.plant_events)).scalar_one()
    assert set(recorded_points(cfg)) <= set(names)
    assert modes > 0  # the supervisor's events are in the history too

    report = build_report(history.engine, cfg, Period(site, history.start, history.end, "month"))
    assert report.incomplete == {}  # every figure of the site's report is measured
    counters = history.counters
    assert report.wood_heat_mwh is not None
    assert report.wood_heat_mwh * 1000 == pytest.approx(counters.heat_wood_kwh, rel=0.005)
    for b in cfg.buildings:
        heat = report.building_heat_mwh[b.id]
        assert heat is not None, b.id
        assert heat * 1000 == pytest.approx(b.share * counters.delivered_kwh, rel=0.01), b.id


def test_the_two_plants_are_two_different_sites(
    histories: Histories,
) -> None:
    (joucas, j), (kerbihan, k) = histories["joucas"], histories["kerbihan"]
    assert joucas.site.id != kerbihan.site.id
    assert joucas.site.name != kerbihan.site.name
    assert [b.name for b in joucas.buildings] != [b.name for b in kerbihan.buildings]
    # the same weather, a larger network: Kerbihan's buildings take more heat
    assert k.counters.delivered_kwh > 1.2 * j.counters.delivered_kwh
