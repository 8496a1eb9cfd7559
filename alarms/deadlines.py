"""Intervention deadlines in working hours, late days and penalty (docs/domain.md §4).

Owns the arithmetic of the tender's response clause: on site within ``deadline_hours``
working hours of the call (working days and periods from ``cfg.working_hours``, public
holidays of ``country`` excluded, taken from the ``holidays`` package), and
``penalty_eur_per_day`` for each day late. May import only :mod:`chaufferie.config`.

Periods are wall-clock times of the site's time zone, turned into UTC instants day by day, so
a working hour is 60 real minutes on both sides of a daylight-saving change. Inputs and
outputs are timezone-aware UTC datetimes.

Late days count *started 24-hour periods* after the deadline (calendar days, weekends and
holidays included, as opposed to the working hours of the deadline itself): 10 minutes
late is one day, 24 h 10 min late is two.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from chaufferie.config.alarming import WorkingHours

MAX_SEARCH_DAYS = 400


@lru_cache(maxsize=8)
def _holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def is_working_day(day: date, hours: WorkingHours) -> bool:
    """A configured weekday that is not a public holiday of ``hours.country``."""
    return day.weekday() in hours.weekdays and day not in _holidays(hours.country)


def _periods(day: date, hours: WorkingHours, tz: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    for start, end in hours.periods:
        yield _instant(day, start, tz), _instant(day, end, tz)


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(ZoneInfo("UTC"))


def deadline(called: datetime, hours: WorkingHours, timezone: str = "Europe/Paris") -> datetime:
    """The instant ``hours.deadline_hours`` working hours after ``called`` (UTC)."""
    if called.tzinfo is None:
        raise ValueError("called must be timezone-aware")
    tz = ZoneInfo(timezone)
    remaining = timedelta(hours=hours.deadline_hours)
    day = called.astimezone(tz).date()
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(day, hours):
            for start, end in _periods(day, hours, tz):
                if end <= called:
                    continue
                begin = max(start, called)
                available = end - begin
                if available >= remaining:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"no working hours within {MAX_SEARCH_DAYS} days: check working_hours")


@dataclass(frozen=True, slots=True)
class Lateness:
    """How late an arrival was against its deadline."""

    late: bool
    late_days: int
    penalty_eur: float


def lateness(due: datetime, arrival: datetime, hours: WorkingHours) -> Lateness:
    """Late days (started 24 h periods after ``due``) and the penalty they cost."""
    if arrival <= due:
        return Lateness(False, 0, 0.0)
    days = math.ceil((arrival - due) / timedelta(days=1))
    return Lateness(True, days, days * hours.penalty_eur_per_day)
