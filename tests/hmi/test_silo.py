"""Silo forecast: consumption from the burnt counter, days left, order date, delivery reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaufferie.config.plant import PlantSettings
from chaufferie.config.vocabulary import Quality, TagValue
from chaufferie.hmi.silo import SiloForecast

T0 = datetime(2026, 1, 12, tzinfo=UTC)


def tv(point: str, value: float, t: datetime, quality: Quality = Quality.GOOD) -> TagValue:
    return TagValue(point, value, quality, t, t)


def test_rate_is_the_slope_of_the_burnt_counter() -> None:
    f = SiloForecast(PlantSettings())
    for h in range(5):
        f.observe_burnt(tv("wood.fuel_burnt", 1000 + 25.4 * h, T0 + timedelta(hours=h)))
    assert f.rate_kg_h(None) == pytest.approx(25.4)


def test_before_enough_data_the_rate_comes_from_wood_power() -> None:
    f = SiloForecast(PlantSettings())
    # 80 kW / (3.5 kWh/kg × 0.90) ≈ 25.4 kg/h (docs/domain.md §1)
    assert f.rate_kg_h(80.0) == pytest.approx(80 / 3.15)


def test_days_left_and_order_date_at_current_consumption() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    full = plant.silo_full_kg  # 4 600 kg
    out = f.outlook(T0, tv("silo.mass", full, T0), None, tv("wood.power", 80.0, T0))
    hours_to_empty = full / (80 / 3.15)
    assert out.days_left == pytest.approx(hours_to_empty / 24)  # ≈ 181 h (docs/domain.md §1)
    assert out.order_by == T0 + timedelta(hours=0.85 * full / (80 / 3.15))  # ≈ 154 h to the 15 % switch


def test_bad_mass_falls_back_to_level_then_to_the_book_stock() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    bad = tv("silo.mass", 9999, T0, Quality.BAD)
    stock, measured = f.stock_kg(bad, tv("silo.level", 50.0, T0))
    assert (stock, measured) == (pytest.approx(plant.silo_full_kg / 2), True)
    assert f.stock_kg(bad, None) == (None, False)


def test_delivery_resets_the_forecast_from_the_book_stock() -> None:
    f = SiloForecast(PlantSettings())
    f.observe_burnt(tv("wood.fuel_burnt", 500.0, T0))
    f.delivery(T0, 3000.0, stock_before_kg=1000.0)
    f.observe_burnt(tv("wood.fuel_burnt", 600.0, T0 + timedelta(hours=4)))
    stock, measured = f.stock_kg(None, None)
    assert (stock, measured) == (pytest.approx(3900.0), False)
    assert f.rate_kg_h(None) == pytest.approx(25.0)
    assert f.last_delivery == T0


def test_a_delivery_cannot_fill_the_silo_beyond_its_capacity() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    f.delivery(T0, 10_000.0, stock_before_kg=2000.0)
    assert f.stock_kg(None, None)[0] == plant.silo_full_kg
