"""The silo forecast comes from the expected demand, so a stopped boiler does not make it explode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, Scalar, TagValue
from chaufferie.hmi.viewmodel import PlantView

T0 = datetime(2026, 1, 12, tzinfo=UTC)
KG_PER_H_AT_60_KW = 60 / 3.15  # 3.5 kWh/kg × 0.90


def _feed(view: PlantView, t: datetime, quality: Quality = Quality.GOOD, **values: Scalar) -> None:
    for point, value in values.items():
        view.apply(TagValue(point.replace("__", "."), value, quality, t, t))


def _run(view: PlantView, start: datetime, hours: int, burnt0: float, kw: float) -> float:
    """``hours`` of plant life at 8 °C outdoor, the boiler giving ``kw``; returns the counter."""
    burnt = burnt0
    for h in range(hours + 1):
        t = start + timedelta(hours=h)
        _feed(view, t, outdoor__temp=8.0, wood__power=kw, wood__fuel_burnt=burnt, silo__mass=3000.0)
        burnt += kw / 3.15
    return burnt


def test_a_wood_fault_leaves_the_forecast_where_it_was(config: PlantConfig) -> None:
    view = PlantView(config)
    burnt = _run(view, T0, 30, 10_000.0, 60.0)
    before = view.silo_outlook(T0 + timedelta(hours=30))
    _run(view, T0 + timedelta(hours=31), 4, burnt, 0.0)  # the wood boiler is down: nothing burns
    during = view.silo_outlook(T0 + timedelta(hours=35))
    assert before.days_left is not None
    assert 2 < before.days_left < 30
    assert during.days_left == pytest.approx(before.days_left)
    assert during.order_by is not None
    assert before.order_by is not None
    assert during.order_by - before.order_by == timedelta(hours=5)


def test_the_forecast_follows_the_outdoor_temperature_of_the_last_day(config: PlantConfig) -> None:
    plant = config.plant
    view = PlantView(config)
    _feed(view, T0, outdoor__temp=-7.0, silo__mass=3000.0)
    _feed(view, T0 + timedelta(hours=24), outdoor__temp=-7.0)
    out = view.silo_outlook(T0 + timedelta(hours=24))
    rate = (plant.design_load_kw + plant.dhw_load_kw) / 3.15  # design day: full design load
    assert out.rate_kg_h == pytest.approx(rate)
    assert out.days_left == pytest.approx(3000.0 / rate / 24)


def test_without_an_outdoor_temperature_the_forecast_says_unavailable(config: PlantConfig) -> None:
    view = PlantView(config)
    _feed(view, T0, silo__mass=3000.0, wood__power=0.0)
    _feed(view, T0, Quality.BAD, outdoor__temp=0.0)
    out = view.silo_outlook(T0)
    assert out.stock_kg == 3000.0
    assert out.days_left is None
    assert out.order_by is None
    assert out.unavailable


def test_an_outdoor_temperature_older_than_a_day_is_not_a_forecast(config: PlantConfig) -> None:
    view = PlantView(config)
    _feed(view, T0, outdoor__temp=5.0, silo__mass=3000.0)
    assert view.silo_outlook(T0 + timedelta(hours=1)).days_left is not None
    assert view.silo_outlook(T0 + timedelta(hours=25)).days_left is None
