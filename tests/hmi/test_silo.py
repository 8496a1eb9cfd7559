"""Silo forecast: expected consumption, days left, order date, stock fallbacks, delivery reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaufferie.config.plant import PlantSettings
from chaufferie.config.vocabulary import Quality, TagValue
from chaufferie.hmi.silo import SiloForecast

T0 = datetime(2026, 1, 12, tzinfo=UTC)


def tv(point: str, value: float, t: datetime, quality: Quality = Quality.GOOD) -> TagValue:
    return TagValue(point, value, quality, t, t)


def test_rate_is_the_expected_demand_at_the_mean_outdoor_temperature() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    f.observe_outdoor(tv("outdoor.temp", 2.0, T0))
    f.observe_outdoor(tv("outdoor.temp", 8.0, T0 + timedelta(hours=12)))
    # 12 h at 2 °C and 12 h at 8 °C: a mean of 5 °C, 130 kW × 12/24 + 3 kW of hot water = 68 kW
    assert f.mean_outdoor_c(T0 + timedelta(hours=24)) == pytest.approx(5.0)
    assert f.rate_kg_h(T0 + timedelta(hours=24)) == pytest.approx(68 / 3.15)
    # a day later the 2 °C readings are out of the window
    assert f.mean_outdoor_c(T0 + timedelta(hours=36)) == pytest.approx(8.0)


def test_days_left_and_order_date_at_the_expected_demand() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    full = plant.silo_full_kg  # 4 600 kg
    outdoor = 17 - 77 * 24 / 130  # where the design line asks for 80 kW (77 kW heating + 3 kW hot water)
    f.observe_outdoor(tv("outdoor.temp", outdoor, T0))
    out = f.outlook(T0, tv("silo.mass", full, T0), None)
    hours_to_empty = full / (80 / 3.15)
    assert out.days_left == pytest.approx(hours_to_empty / 24)  # ≈ 181 h (docs/domain.md §1)
    assert out.order_by is not None
    expected = T0 + timedelta(hours=0.85 * full / (80 / 3.15))  # ≈ 154 h to the 15 % switch
    assert abs((out.order_by - expected).total_seconds()) < 1


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
    assert f.last_delivery == T0


def test_a_delivery_cannot_fill_the_silo_beyond_its_capacity() -> None:
    plant = PlantSettings()
    f = SiloForecast(plant)
    f.delivery(T0, 10_000.0, stock_before_kg=2000.0)
    assert f.stock_kg(None, None)[0] == plant.silo_full_kg
