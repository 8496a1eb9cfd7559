"""The heating season agreed with the subscriber: its start and stop dates and the summer.

The tender's conduite (Joucas, §3.4) starts and stops the plant "aux dates convenues avec
l'abonné". :class:`SeasonSettings` holds those dates and what the plant does between them
(docs/domain.md, « Saison de chauffe »):

* ``start`` — the day the heating starts again; ``stop`` — the day it stops (from that day on
  the plant is in summer mode). Each is either a month-day ``"MM-DD"`` (every year: the usual
  contract) or a full date ``"YYYY-MM-DD"`` (one season agreed for one year). Both take the
  same form. Month-days may not be equal (a season of no day); full dates need ``stop`` at
  least one day after ``start``. With month-days a stop before the start in the calendar is
  the usual case: the season runs over the new year (``10-01`` → ``05-31``).
* ``summer`` — ``stopped``: wood and oil boilers off, network pumps stopped; ``dhw_only``: the
  oil boiler off, the wood boiler keeps the buffer at ``dhw_setpoint_c`` and the network pump
  runs, so the buildings' substations still make domestic hot water.

Nothing changes on the date by itself: on (and after) a scheduled date the HMI asks the
municipal agent to confirm, and the supervisor changes mode on that confirmation only.
:func:`last_scheduled` is the calendar that question is asked from.

Imports: the ground floor only (pydantic, the config's own base types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, model_validator

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import WaterC

_FORM = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
ANY_YEAR = 2001
"""A year that is not a leap year: a month-day must exist every year (no 02-29)."""


class SummerMode(StrEnum):
    """What the plant does outside the heating season."""

    STOPPED = "stopped"
    DHW_ONLY = "dhw_only"


@dataclass(frozen=True, slots=True)
class SeasonDate:
    """A parsed ``start`` / ``stop``: ``year`` None for a month-day (every year)."""

    year: int | None
    month: int
    day: int

    def on(self, year: int) -> date:
        """This date in ``year`` (its own year when it has one)."""
        return date(self.year or year, self.month, self.day)


def parse_season_date(text: str) -> SeasonDate:
    """``"MM-DD"`` or ``"YYYY-MM-DD"``; ``ValueError`` (French / English) otherwise."""
    match = _FORM.match(text.strip())
    if match is None:
        raise ValueError(
            f"date attendue au format MM-JJ ou AAAA-MM-JJ : {text!r} / date expected as MM-DD or YYYY-MM-DD"
        )
    year = int(match.group(1)) if match.group(1) else None
    month, day = int(match.group(2)), int(match.group(3))
    try:
        date(year or ANY_YEAR, month, day)
    except ValueError:
        raise ValueError(f"ce jour n'existe pas : {text!r} / no such day") from None
    return SeasonDate(year, month, day)


def _season_date(text: str) -> str:
    parse_season_date(text)
    return text.strip()


SeasonDateText = Annotated[str, AfterValidator(_season_date)]


class SeasonSettings(Frozen):
    """Start and stop dates agreed with the subscriber, and the summer mode (module doc)."""

    start: SeasonDateText = "10-01"
    stop: SeasonDateText = "05-31"
    summer: SummerMode = SummerMode.STOPPED
    dhw_setpoint_c: WaterC = 60.0
    """Buffer setpoint in ``dhw_only`` summer mode (checked against the setpoints' write bounds)."""

    @property
    def start_date(self) -> SeasonDate:
        return parse_season_date(self.start)

    @property
    def stop_date(self) -> SeasonDate:
        return parse_season_date(self.stop)

    @model_validator(mode="after")
    def _coherent(self) -> SeasonSettings:
        start, stop = self.start_date, self.stop_date
        if (start.year is None) != (stop.year is None):
            raise ValueError(
                f"stop ({self.stop}) et start ({self.start}) : même forme attendue (MM-JJ ou AAAA-MM-JJ)"
                f" / stop and start must take the same form"
            )
        if start.year is None and (start.month, start.day) == (stop.month, stop.day):
            raise ValueError(
                f"stop ({self.stop}) égal à start : saison de chauffe vide"
                f" / stop equal to start ({self.start}): an empty heating season"
            )
        if start.year is not None and stop.on(start.year) <= start.on(start.year):
            raise ValueError(
                f"stop ({self.stop}) doit suivre start ({self.start}) d'au moins un jour"
                f" / stop must come at least one day after start"
            )
        return self


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """The latest scheduled change on or before a day: ``summer`` True for a stop."""

    on: date
    summer: bool


def last_scheduled(season: SeasonSettings, today: date) -> ScheduledChange | None:
    """The most recent start or stop on or before ``today`` (None: none yet, full dates only)."""
    start, stop = season.start_date, season.stop_date
    years = (today.year,) if start.year is not None else (today.year, today.year - 1)
    candidates = [ScheduledChange(start.on(y), False) for y in years]
    candidates += [ScheduledChange(stop.on(y), True) for y in years]
    past = [c for c in candidates if c.on <= today]
    return max(past, key=lambda c: c.on) if past else None
