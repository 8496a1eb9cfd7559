"""Injected time: every timer of chaufferie reads a :class:`Clock`.

Two implementations satisfy the protocol:

* :class:`RealClock` reads the system clock and sleeps with asyncio;
* :class:`VirtualClock` keeps model time that only moves when told to
  (:meth:`VirtualClock.advance`); sleeping tasks wake in deadline order, instantly in wall
  time, so tests never sleep and a heating season replays in minutes.

Times are timezone-aware UTC ``datetime`` objects; ``monotonic()`` is in seconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What every timer needs: wall time (UTC), a monotonic reading and a way to wait."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (0 or less yields once)."""


class RealClock:
    """The system clock: production time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


@dataclass(order=True)
class _Timer:
    deadline: float
    seq: int
    future: asyncio.Future[None] = field(compare=False)


class VirtualClock:
    """Model time that advances only through :meth:`advance` or :meth:`advance_to`.

    ``sleep()`` registers a timer; ``advance()`` wakes timers one deadline at a time, in
    order, letting the event loop run the woken tasks before moving on, so a task that
    sleeps again inside the advanced window wakes again inside it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("VirtualClock start must be timezone-aware")
        self._epoch = start.astimezone(UTC)
        self._t = 0.0
        self._timers: list[_Timer] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, _Timer(self._t + seconds, next(self._seq), fut))
        await fut

    @property
    def pending_timers(self) -> int:
        """Timers still waiting (cancelled ones excluded)."""
        return sum(1 for t in self._timers if not t.future.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer due on the way, in order."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        await self.advance_to(self._t + seconds)

    async def advance_to(self, target: float) -> None:
        """Move monotonic time to ``target`` (seconds since the clock's start)."""
        await _settle()
        while self._timers and self._timers[0].deadline <= target:
            timer = heapq.heappop(self._timers)
            if timer.future.done():
                continue
            self._t = max(self._t, timer.deadline)
            timer.future.set_result(None)
            await _settle()
        self._t = max(self._t, target)
        await _settle()


async def _settle(rounds: int = 8) -> None:
    """Let ready tasks run: a few loop turns so chains of awaits complete."""
    for _ in range(rounds):
        await asyncio.sleep(0)
