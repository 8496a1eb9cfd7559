"""Wall time at real pace from a chosen instant: a process on "real time" with a fixed calendar.

A test that starts a process or a service on :class:`~chaufferie.config.clock.RealClock`
inherits the calendar of the day it runs: who is on call (the rota alternates weekly), working
hours and public holidays, the daily test message at 09:00, the weekly pump swap, DST. Its
expectations then hold on some days only. :class:`StartedClock` keeps real pace (timers,
sockets and retries behave as in production) but starts its wall time at ``start``, so the
calendar is the test's choice, whatever the machine's date.

:data:`A_WORKING_WEDNESDAY` is the usual choice: Wednesday 7 January 2026, 10:00 in Paris —
week 0 of the shipped rota (tech-martin on call), working hours, no public holiday, an hour
after the daily test message, far from a handover or a DST change.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

A_WORKING_WEDNESDAY = datetime(2026, 1, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


class StartedClock:
    """A :class:`~chaufferie.config.clock.Clock` at real pace whose wall time starts at ``start``."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("StartedClock start must be timezone-aware")
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
