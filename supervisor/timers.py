"""Small time helpers for the supervisor core: "true since" timers, sliding counts, schedules.

Every timer is a timestamp in the supervisor's time base (``now_s``, seconds of the injected
clock's ``monotonic()``): ``None`` while the condition is false, the first instant it was seen
true otherwise. Nothing here sleeps or reads a clock by itself.

Imports: the standard library only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def since(previous: float | None, condition: bool, now: float) -> float | None:
    """The new "true since" stamp of a condition seen ``condition`` at ``now``."""
    if not condition:
        return None
    return now if previous is None else previous


def held(stamp: float | None, now: float, delay: float) -> bool:
    """True when a condition true since ``stamp`` has lasted at least ``delay`` seconds."""
    return stamp is not None and now - stamp >= delay


class SlidingCount:
    """How many events happened in the last ``window_s`` seconds (a window excludes its edge)."""

    __slots__ = ("_times", "window_s")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def count(self, now: float) -> int:
        times = self._times
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return len(times)

    def add(self, now: float) -> None:
        self._times.append(now)


class TimeBase:
    """Maps the core's ``now_s`` to wall-clock datetimes (UTC and the site's local time)."""

    __slots__ = ("epoch_s", "epoch_wall", "zone")

    def __init__(self, epoch_wall: datetime, epoch_s: float, timezone: str) -> None:
        if epoch_wall.tzinfo is None:
            raise ValueError("epoch_wall must be timezone-aware")
        self.epoch_wall = epoch_wall
        self.epoch_s = epoch_s
        self.zone = ZoneInfo(timezone)

    def wall(self, now_s: float) -> datetime:
        return self.epoch_wall + timedelta(seconds=now_s - self.epoch_s)

    def to_s(self, moment: datetime) -> float:
        return self.epoch_s + (moment - self.epoch_wall).total_seconds()

    def next_local(self, now_s: float, at: time, weekday: int | None = None) -> float:
        """``now_s`` of the next local ``at`` (on ``weekday``, Monday = 0, when given), after now."""
        local = self.wall(now_s).astimezone(self.zone)
        day = local.date()
        for offset in range(8 + 1):
            candidate_day = day + timedelta(days=offset)
            if weekday is not None and candidate_day.weekday() != weekday:
                continue
            candidate = datetime.combine(candidate_day, at, tzinfo=self.zone)
            moment = self.to_s(candidate)
            if moment > now_s:
                return moment
        raise AssertionError("unreachable: a weekday recurs within 8 days")


class Schedule:
    """A daily (or weekly) local-time schedule, due once per occurrence.

    ``when`` gives the local time and weekday in force; when it changes (settings changed
    live) the schedule aims at the new time's next occurrence from that moment on.
    """

    __slots__ = ("_base", "_when", "at", "next_s", "weekday")

    def __init__(self, base: TimeBase, now_s: float, when: Callable[[], tuple[time, int | None]]) -> None:
        self._base = base
        self._when = when
        self.at, self.weekday = when()
        self.next_s = base.next_local(now_s, self.at, self.weekday)

    def due(self, now_s: float) -> bool:
        """True once when ``now_s`` reaches the occurrence; then aims at the next one."""
        if (wanted := self._when()) != (self.at, self.weekday):
            self.at, self.weekday = wanted
            self.next_s = self._base.next_local(now_s, *wanted)
        if now_s < self.next_s:
            return False
        self.next_s = self._base.next_local(now_s, self.at, self.weekday)
        return True
