"""Outdoor temperature profiles and the buildings' heat demand.

Owns: the outdoor profile a scenario runs under (constant, daily swing, cold snap, or a
seeded typical heating season synthesised from the site's monthly means, docs/domain.md §1) and
the demand law ``P = design × (T_nc − T_out)/(T_nc − T_base) + DHW``.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chaufferie.config.plant import PlantSettings

HOUR = 3600.0
DAY = 86400.0

# Monthly mean outdoor temperature for Joucas (docs/domain.md §1), month number -> °C.
MONTHLY_MEANS_C: dict[int, float] = {
    10: 14.5,
    11: 9.0,
    12: 5.5,
    1: 5.0,
    2: 6.0,
    3: 9.5,
    4: 12.5,
    5: 16.5,
    6: 20.0,
    7: 23.0,
    8: 22.5,
    9: 18.5,
}
DAILY_SWING_K = 10.0


def heat_demand_kw(plant: PlantSettings, outdoor_c: float) -> float:
    """Heat the buildings ask for at ``outdoor_c`` (the plant's design line, one place)."""
    return plant.heat_demand_kw(outdoor_c)


def daily_swing(t_s: float, start_hour: float, swing_k: float) -> float:
    """Deviation from the daily mean: coldest at 06:00, warmest at 15:00 (a sine)."""
    hour = (start_hour + t_s / HOUR) % 24.0
    return 0.5 * swing_k * math.sin((hour - 10.5) / 24.0 * 2.0 * math.pi)


@dataclass(frozen=True)
class Segment:
    """From ``start_s`` on, the daily mean is ``mean_c`` with a daily swing of ``swing_k``."""

    start_s: float
    mean_c: float
    swing_k: float = 0.0


class OutdoorProfile:
    """Outdoor temperature as a function of model time (seconds since the run's start).

    Either piecewise (``segments``: a daily mean and swing from a given time on) or an hourly
    table (the synthesised season), linearly interpolated.
    """

    def __init__(
        self,
        start: datetime,
        segments: Sequence[Segment] = (),
        hourly: Sequence[float] = (),
    ) -> None:
        if not segments and not hourly:
            raise ValueError("an outdoor profile needs segments or an hourly table")
        self.start = start
        self._segments = sorted(segments, key=lambda s: s.start_s)
        self._hourly = list(hourly)
        self._start_hour = start.hour + start.minute / 60.0

    def at(self, t_s: float) -> float:
        """Outdoor temperature in °C at model time ``t_s``."""
        if self._hourly:
            x = t_s / HOUR
            i = int(x)
            last = len(self._hourly) - 1
            if i >= last:
                return self._hourly[last]
            frac = x - i
            return self._hourly[i] * (1.0 - frac) + self._hourly[i + 1] * frac
        seg = self._segments[0]
        for s in self._segments:
            if s.start_s <= t_s:
                seg = s
            else:
                break
        if seg.swing_k == 0.0:
            return seg.mean_c
        return seg.mean_c + daily_swing(t_s, self._start_hour, seg.swing_k)

    @classmethod
    def constant(cls, start: datetime, outdoor_c: float, swing_k: float = 0.0) -> OutdoorProfile:
        return cls(start, segments=[Segment(0.0, outdoor_c, swing_k)])


def _monthly_mean(day: datetime) -> float:
    """Daily mean from the monthly means, interpolated between mid-months."""
    this = MONTHLY_MEANS_C[day.month]
    if day.day >= 15:
        other = MONTHLY_MEANS_C[day.month % 12 + 1]
        frac = (day.day - 15) / 30.0
    else:
        other = MONTHLY_MEANS_C[(day.month - 2) % 12 + 1]
        frac = (15 - day.day) / 30.0
    return this * (1.0 - frac) + other * frac


def typical_season(start: datetime, days: int, seed: int, design_c: float) -> OutdoorProfile:
    """A seeded, repeatable typical season: monthly means, weather noise, a few cold spells.

    Day-to-day weather is an AR(1) anomaly (σ ≈ 2.5 K); three to four cold spells of 3–5
    days bring the daily minimum down to about the design temperature ``design_c``.
    """
    rng = random.Random(seed)  # noqa: S311 - weather, not cryptography
    means = []
    anomaly = 0.0
    for d in range(days):
        anomaly = 0.75 * anomaly + rng.gauss(0.0, 1.6)
        day = datetime.fromtimestamp(start.timestamp() + d * DAY, tz=start.tzinfo)
        means.append(_monthly_mean(day) + anomaly)
    winter = [d for d in range(days) if d + 5 < days and means[d] < 8.0]
    spells = sorted(rng.sample(winter, k=min(4, len(winter) // 10))) if winter else []
    taken: set[int] = set()
    for first in spells:
        length = rng.randint(3, 5)
        if taken & set(range(first - 2, first + length + 2)):
            continue
        for d in range(first, first + length):
            means[d] = design_c + DAILY_SWING_K / 2.0 + rng.uniform(-0.5, 1.0)
            taken.add(d)
    start_hour = start.hour + start.minute / 60.0
    hourly = [
        means[min(h // 24, days - 1)] + daily_swing(h * HOUR, start_hour, DAILY_SWING_K)
        for h in range(days * 24 + 1)
    ]
    return OutdoorProfile(start, hourly=hourly)
