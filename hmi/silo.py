"""Silo forecast: stock, days of autonomy left at the current consumption, date to order chips.

Consumption is the slope of the PLC's cumulative ``wood.fuel_burnt`` counter over a sliding
window (24 h by default); before the window holds enough data it falls back to the
instantaneous wood power divided by the fuel's heat (LHV × efficiency). The stock is the
measured silo mass when Good, else the level × useful volume × bulk density, else a book
value kept from the last chip delivery minus what was burnt since. A delivery resets the
forecast: the book value restarts from it and the consumption window restarts too.

Pure arithmetic, no I/O; imports only ``config``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaufferie.config.plant import PlantSettings
from chaufferie.config.vocabulary import TagValue

MIN_SPAN_H = 0.25


@dataclass(frozen=True, slots=True)
class SiloOutlook:
    """What the header and the synoptic show about the silo."""

    stock_kg: float | None
    level_pct: float | None
    rate_kg_h: float | None
    days_left: float | None
    order_by: datetime | None
    measured: bool


class SiloForecast:
    """Keeps the consumption window and the book stock; answers :meth:`outlook`."""

    def __init__(self, plant: PlantSettings, window_h: float = 24.0) -> None:
        self.plant = plant
        self.window = timedelta(hours=window_h)
        self._burnt: deque[tuple[datetime, float]] = deque()
        self._book_kg: float | None = None
        self._book_burnt: float | None = None
        self.last_delivery: datetime | None = None

    @property
    def full_kg(self) -> float:
        return self.plant.silo_full_kg

    def observe_burnt(self, tv: TagValue) -> None:
        """Feed a ``wood.fuel_burnt`` value (kg, cumulative)."""
        if not tv.good or not isinstance(tv.value, int | float):
            return
        value = float(tv.value)
        if self._burnt and value < self._burnt[-1][1]:
            self._burnt.clear()  # counter reset in the PLC
        self._burnt.append((tv.source_time, value))
        while self._burnt and tv.source_time - self._burnt[0][0] > self.window:
            self._burnt.popleft()

    def delivery(self, time: datetime, kg: float, stock_before_kg: float | None) -> None:
        """A chip delivery of ``kg``: the book stock restarts from it, the window too."""
        before = stock_before_kg if stock_before_kg is not None else (self._book_kg or 0.0)
        self._book_kg = min(self.full_kg, max(0.0, before) + kg)
        self._book_burnt = self._burnt[-1][1] if self._burnt else None
        last = self._burnt[-1] if self._burnt else None
        self._burnt.clear()
        if last is not None:
            self._burnt.append((time, last[1]))
        self.last_delivery = time

    def rate_kg_h(self, power_kw: float | None) -> float | None:
        """Chips burnt per hour: window slope, else power / (LHV × efficiency)."""
        if len(self._burnt) >= 2:
            (t0, v0), (t1, v1) = self._burnt[0], self._burnt[-1]
            hours = (t1 - t0).total_seconds() / 3600
            if hours >= MIN_SPAN_H:
                return max(0.0, (v1 - v0) / hours)
        if power_kw is None:
            return None
        kwh_per_kg = self.plant.chips_lhv_kwh_per_t / 1000 * self.plant.wood_efficiency_nominal
        return max(0.0, power_kw) / kwh_per_kg

    def stock_kg(self, mass: TagValue | None, level: TagValue | None) -> tuple[float | None, bool]:
        """Stock in kg and whether it was measured (mass or level) rather than booked."""
        if mass is not None and mass.good and isinstance(mass.value, int | float):
            return float(mass.value), True
        if level is not None and level.good and isinstance(level.value, int | float):
            return float(level.value) / 100 * self.full_kg, True
        if self._book_kg is None:
            return None, False
        burnt_since = 0.0
        if self._book_burnt is not None and self._burnt:
            burnt_since = self._burnt[-1][1] - self._book_burnt
        return max(0.0, self._book_kg - burnt_since), False

    def outlook(
        self, now: datetime, mass: TagValue | None, level: TagValue | None, power: TagValue | None
    ) -> SiloOutlook:
        stock, measured = self.stock_kg(mass, level)
        power_kw = (
            float(power.value)
            if power is not None and power.good and isinstance(power.value, int | float)
            else None
        )
        rate = self.rate_kg_h(power_kw)
        level_pct = None if stock is None else 100 * stock / self.full_kg
        days = order = None
        if stock is not None and rate is not None and rate > 0:
            days = stock / rate / 24
            low_kg = self.plant.silo_low_level_fraction * self.full_kg
            order = now + timedelta(hours=max(0.0, stock - low_kg) / rate)
        return SiloOutlook(stock, level_pct, rate, days, order, measured)
