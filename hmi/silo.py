"""Fuel forecasts: the silo (stock, days left, date to order chips) and the ash bin's fill.

The forecast divides the stock by the *expected* chip consumption, never by the current one
(a stopped wood boiler burns nothing, and the silo would seem to last for years):

* expected demand = the plant's heat-demand line (``PlantSettings.heat_demand_kw``: design load
  at the design outdoor temperature, nothing at the no-heating temperature, plus hot water) at
  the **mean outdoor temperature of the last 24 h** (time-weighted over the Good readings of
  ``outdoor.temp``);
* expected consumption = that demand / (chips' LHV × nominal efficiency);
* the forecast is **unavailable** (``days_left`` and ``order_by`` None, ``unavailable`` True)
  while no Good outdoor reading is younger than 24 h, or while the stock is unknown.

The stock is the measured silo mass when Good, else the level × useful volume × bulk density,
else a book value kept from the last chip delivery minus what the PLC's cumulative
``wood.fuel_burnt`` counter says was burnt since. A delivery restarts the book value.

The ash bin's fill (:class:`AshForecast`) is the chips burnt since the last ash removal of
the logbook (the PLC's ``wood.fuel_burnt`` counter) × ``plant.ash_fraction`` / the bin's
``plant.ash_bin_capacity_kg`` (:meth:`PlantSettings.ash_fill`): 10 t at 1 % in a 200 kg bin is
50 %. Until a removal has been seen since the HMI started, the fill is unknown (None).

Pure arithmetic, no I/O; imports only ``config``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaufferie.config.plant import PlantSettings
from chaufferie.config.vocabulary import TagValue


@dataclass(frozen=True, slots=True)
class SiloOutlook:
    """What the header and the synoptic show about the silo."""

    stock_kg: float | None
    level_pct: float | None
    rate_kg_h: float | None
    days_left: float | None
    order_by: datetime | None
    measured: bool

    @property
    def unavailable(self) -> bool:
        """No forecast can be made (no recent outdoor temperature, or no stock)."""
        return self.days_left is None


def _number(tv: TagValue | None) -> float | None:
    if tv is None or not tv.good or isinstance(tv.value, bool) or not isinstance(tv.value, int | float):
        return None
    return float(tv.value)


class SiloForecast:
    """Keeps the outdoor history and the book stock; answers :meth:`outlook`."""

    def __init__(self, plant: PlantSettings, window_h: float = 24.0) -> None:
        self.plant = plant
        self.window = timedelta(hours=window_h)
        self._outdoor: deque[tuple[datetime, float]] = deque()
        self._burnt: float | None = None
        self._book_kg: float | None = None
        self._book_burnt: float | None = None
        self.last_delivery: datetime | None = None

    @property
    def full_kg(self) -> float:
        return self.plant.silo_full_kg

    def observe_burnt(self, tv: TagValue) -> None:
        """Feed a ``wood.fuel_burnt`` value (kg, cumulative)."""
        value = _number(tv)
        if value is None:
            return
        if self._burnt is not None and value < self._burnt and self._book_burnt is not None:
            self._book_burnt = value  # counter reset in the PLC: count from here
        self._burnt = value

    def observe_outdoor(self, tv: TagValue) -> None:
        """Feed an outdoor temperature (°C); Bad readings are left out of the mean."""
        value = _number(tv)
        if value is None:
            return
        self._outdoor.append((tv.source_time, value))
        while len(self._outdoor) > 1 and tv.source_time - self._outdoor[1][0] > self.window:
            self._outdoor.popleft()  # the oldest one kept is the value held at the window's start

    def mean_outdoor_c(self, now: datetime) -> float | None:
        """Time-weighted mean outdoor temperature of the last ``window`` (None: none recent)."""
        if not self._outdoor or now - self._outdoor[-1][0] > self.window:
            return None
        start = now - self.window
        total = weight = 0.0
        ends = [t for t, _ in list(self._outdoor)[1:]] + [now]
        for (t, value), end in zip(self._outdoor, ends, strict=True):
            span = (end - max(t, start)).total_seconds()
            if span > 0:
                total, weight = total + value * span, weight + span
        return total / weight if weight > 0 else self._outdoor[-1][1]

    def rate_kg_h(self, now: datetime) -> float | None:
        """Expected chips burnt per hour: expected demand / (LHV × nominal efficiency)."""
        outdoor = self.mean_outdoor_c(now)
        if outdoor is None:
            return None
        kwh_per_kg = self.plant.chips_lhv_kwh_per_t / 1000 * self.plant.wood_efficiency_nominal
        return self.plant.heat_demand_kw(outdoor) / kwh_per_kg

    def delivery(self, time: datetime, kg: float, stock_before_kg: float | None) -> None:
        """A chip delivery of ``kg``: the book stock restarts from it."""
        before = stock_before_kg if stock_before_kg is not None else (self._book_kg or 0.0)
        self._book_kg = min(self.full_kg, max(0.0, before) + kg)
        self._book_burnt = self._burnt
        self.last_delivery = time

    def stock_kg(self, mass: TagValue | None, level: TagValue | None) -> tuple[float | None, bool]:
        """Stock in kg and whether it was measured (mass or level) rather than booked."""
        if (kg := _number(mass)) is not None:
            return kg, True
        if (pct := _number(level)) is not None:
            return pct / 100 * self.full_kg, True
        if self._book_kg is None:
            return None, False
        burnt_since = 0.0
        if self._book_burnt is not None and self._burnt is not None:
            burnt_since = self._burnt - self._book_burnt
        return max(0.0, self._book_kg - burnt_since), False

    def outlook(self, now: datetime, mass: TagValue | None, level: TagValue | None) -> SiloOutlook:
        stock, measured = self.stock_kg(mass, level)
        rate = self.rate_kg_h(now)
        level_pct = None if stock is None else 100 * stock / self.full_kg
        days = order = None
        if stock is not None and rate is not None and rate > 0:
            days = stock / rate / 24
            low_kg = self.plant.silo_low_level_fraction * self.full_kg
            order = now + timedelta(hours=max(0.0, stock - low_kg) / rate)
        return SiloOutlook(stock, level_pct, rate, days, order, measured)


@dataclass(frozen=True, slots=True)
class AshOutlook:
    """What the synoptic shows beside the silo: chips burnt since the bin was emptied, and
    the bin's expected fill (None: no removal seen yet, or no counter)."""

    burnt_kg: float | None
    fill_pct: float | None


class AshForecast:
    """Follows the burnt-chips counter from the last ash removal; answers :meth:`outlook`."""

    def __init__(self, plant: PlantSettings) -> None:
        self.plant = plant
        self._burnt: float | None = None
        self._at_removal: float | None = None
        self._carried = 0.0  # burnt since the removal before the PLC's counter was last reset
        self._removed = False

    def observe_burnt(self, tv: TagValue) -> None:
        """Feed a ``wood.fuel_burnt`` value (kg, cumulative)."""
        value = _number(tv)
        if value is None:
            return
        if self._burnt is not None and value < self._burnt and self._at_removal is not None:
            self._carried += self._burnt - self._at_removal  # counter reset in the PLC
            self._at_removal = value
        self._burnt = value
        if self._removed and self._at_removal is None:
            self._at_removal = value

    def emptied(self) -> None:
        """The ash bin was emptied (logbook): count from the counter's value now."""
        self._removed = True
        self._at_removal = self._burnt
        self._carried = 0.0

    def outlook(self) -> AshOutlook:
        if self._at_removal is None or self._burnt is None:
            return AshOutlook(None, None)
        burnt = self._carried + self._burnt - self._at_removal
        return AshOutlook(burnt, 100 * self.plant.ash_fill(burnt))
