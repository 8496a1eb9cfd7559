"""Intervention deadlines in working hours, late days and penalty (docs/domain.md §4).

Owns the arithmetic of the tender's response clause: on site within ``deadline_hours``
working hours of the call (working days and periods from ``cfg.working_hours``, public
holidays of ``country`` excluded, taken from the ``holidays`` package), and
``penalty_eur_per_day`` for each day late. May import only :mod:`chaufferie.config`.

Periods are wall-clock times of the site's time zone, turned into UTC instants day by day, so
a working hour is 60 real minutes on both sides of a daylight-saving change. Inputs and
outputs are timezone-aware UTC datetimes.

Late days count *started days* after the deadline on the site's wall clock (calendar days,
weekends and holidays included, as opposed to the working hours of the deadline itself):
10 minutes late is one day, 24 h 10 min late is two; across a daylight-saving change a day
is still midnight to midnight, so the 25-hour day of October counts one, not two. Each
costs ``penalty_eur_per_day`` times the revision index in force at the deadline
(:mod:`chaufferie.alarms.contract`). Without an arrival the clock keeps running:
:func:`lateness_as_of` counts the late days so far.
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


def lateness(
    due: datetime,
    arrival: datetime,
    hours: WorkingHours,
    index: float = 1.0,
    timezone: str = "Europe/Paris",
) -> Lateness:
    """Late days (started days after ``due``, on the wall clock of ``timezone``) and the penalty
    they cost: late days × ``penalty_eur_per_day`` × ``index`` (the revision index in force at
    the deadline), in euros to the cent."""
    if arrival <= due:
        return Lateness(False, 0, 0.0)
    tz = ZoneInfo(timezone)
    wall = arrival.astimezone(tz).replace(tzinfo=None) - due.astimezone(tz).replace(tzinfo=None)
    days = max(1, math.ceil(wall / timedelta(days=1)))
    return Lateness(True, days, round(days * hours.penalty_eur_per_day * index, 2))


def lateness_as_of(
    due: datetime,
    arrival: datetime | None,
    as_of: datetime,
    hours: WorkingHours,
    index: float = 1.0,
    timezone: str = "Europe/Paris",
) -> Lateness:
    """Lateness at the arrival, or, while nobody has arrived, so far at ``as_of``."""
    until = as_of if arrival is None else min(arrival, as_of)
    return lateness(due, until, hours, index, timezone)
