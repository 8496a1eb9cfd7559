"""Report periods: a local month (``2026-01``) or a heating season (``2025-2026``).

Bounded at local midnight in the site's time zone (DST included) and held in UTC; a season
runs from ``simulation.season_start`` to ``season_end`` included. Shared by the energy and
the contract reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chaufferie.config.settings import PlantConfig

PERIOD = re.compile(r"(\d{4})-(\d{2}|\d{4})")


class PeriodError(ValueError):
    """A period that is neither ``YYYY-MM`` nor ``YYYY-YYYY``."""


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime
    kind: str


def parse_period(label: str, cfg: PlantConfig) -> Period:
    """``2026-01`` (a month) or ``2025-2026`` (the heating season), in the site's time zone."""
    tz = ZoneInfo(cfg.site.timezone)
    match = PERIOD.fullmatch(label.strip())
    if match is None:
        raise PeriodError(f"period {label!r}: expected YYYY-MM (month) or YYYY-YYYY (season)")
    first, second = int(match[1]), int(match[2])
    if len(match[2]) == 2:
        if not 1 <= second <= 12:
            raise PeriodError(f"period {label!r}: month {second} is not 1–12")
        start = datetime(first, second, 1, tzinfo=tz)
        end = datetime(first + (second == 12), second % 12 + 1, 1, tzinfo=tz)
        return Period(label, start.astimezone(UTC), end.astimezone(UTC), "month")
    if second != first + 1:
        raise PeriodError(f"season {label!r}: the second year must follow the first")
    start_month, start_day = (int(x) for x in cfg.simulation.season_start.split("-"))
    end_month, end_day = (int(x) for x in cfg.simulation.season_end.split("-"))
    start = datetime(first, start_month, start_day, tzinfo=tz)
    end = datetime(second, end_month, end_day, tzinfo=tz) + timedelta(days=1)
    return Period(label, start.astimezone(UTC), end.astimezone(UTC), "season")


def months_of(period: Period, cfg: PlantConfig) -> list[Period]:
    tz = ZoneInfo(cfg.site.timezone)
    local = period.start.astimezone(tz)
    months: list[Period] = []
    year, month = local.year, local.month
    while True:
        p = parse_period(f"{year:04d}-{month:02d}", cfg)
        if p.start >= period.end:
            return months
        months.append(Period(p.label, max(p.start, period.start), min(p.end, period.end), "month"))
        year, month = year + (month == 12), month % 12 + 1
