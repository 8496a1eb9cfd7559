"""Injected time: every timer of chaufferie reads a :class:`Clock`.

Two implementations satisfy the protocol:

* :class:`RealClock` reads the system clock and sleeps with asyncio;
* :class:`VirtualClock` keeps model time that only moves when told to
  (:meth:`VirtualClock.advance`); sleeping tasks wake in deadline order, instantly in wall
  time, so tests never sleep and a heating season replays in minutes;
* :class:`ScaledClock` runs ``speed`` times faster than the wall clock from an
  :class:`Anchor` (model time at a wall instant); the speed can change while it runs (the
  clock re-anchors, sleepers wake on the new rate). The demo gives one anchor and speed to the
  simulator (another process) and to the system, so both live on the same plant time;
* :class:`WallPaced` is a scaled clock's time of day with wall-time pacing, for what talks to
  the network (polling, timeouts, keep-alives, PLC heartbeats): stamps in plant time, waits
  in wall seconds.

Times are timezone-aware UTC ``datetime`` objects; ``monotonic()`` is in seconds.

Every ``sleep()`` first honours a cancellation a library lost (:func:`honour_lost_cancellation`):
every loop of the system waits on its clock, so a service told to stop never starts another wait.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


def honour_lost_cancellation() -> None:
    """Raise ``CancelledError`` in a task that was told to stop but is still running.

    Python 3.11's ``asyncio.wait_for`` returns the result when the cancellation arrives in the
    loop turn where the awaited future completes (CPython gh-86296, fixed in 3.12): the task
    goes on, still marked *cancelling*. pymodbus, asyncua and aiosmtplib await every request
    that way, so a stop that came while a PLC answered was lost and the system never stopped.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


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
        honour_lost_cancellation()
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
        honour_lost_cancellation()
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


@dataclass(frozen=True)
class Anchor:
    """Model time ``model`` at wall instant ``wall`` (Unix seconds), then ``speed`` × wall."""

    model: datetime
    wall: float
    speed: float

    def __post_init__(self) -> None:
        if self.model.tzinfo is None:
            raise ValueError("an anchor's model time must be timezone-aware")
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0 (got {self.speed})")

    def text(self) -> str:
        """``SPEED MODEL_ISO WALL``: how the demo hands it to the simulator's command line."""
        return f"{self.speed:g} {self.model.isoformat()} {self.wall!r}"

    @classmethod
    def parse(cls, words: list[str]) -> Anchor:
        """The reverse of :meth:`text` (ValueError on a bad word)."""
        speed, model, wall = words
        return cls(datetime.fromisoformat(model), float(wall), float(speed))


class ScaledClock:
    """Plant time running ``speed`` × wall time from an :class:`Anchor` (see module docstring).

    ``now()`` and ``monotonic()`` advance ``speed`` model seconds per wall second; ``sleep(s)``
    waits until ``s`` model seconds have passed, even across a change of speed.
    """

    def __init__(self, anchor: Anchor | None = None) -> None:
        self._anchor = anchor or Anchor(datetime.now(UTC), time.time(), 1.0)
        self._origin = self._anchor.model
        self._wall_mono = _mono_of(self._anchor.wall)
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def speed(self) -> float:
        return self._anchor.speed

    def anchor(self) -> Anchor:
        return self._anchor

    def _model_s(self) -> float:
        """Model seconds since the anchor."""
        return (time.monotonic() - self._wall_mono) * self._anchor.speed

    def now(self) -> datetime:
        return self._anchor.model + timedelta(seconds=self._model_s())

    def monotonic(self) -> float:
        return (self._anchor.model - self._origin).total_seconds() + self._model_s()

    def rescaled(self, speed: float) -> Anchor:
        """The anchor a change to ``speed`` now would take (apply it with :meth:`adopt`)."""
        return Anchor(self.now(), time.time(), speed)

    def set_speed(self, speed: float) -> None:
        self.adopt(self.rescaled(speed))

    def adopt(self, anchor: Anchor) -> None:
        """Run from ``anchor`` on (a speed change, here or in the simulator); sleepers re-aim."""
        mono = self.monotonic()
        self._anchor = anchor
        self._wall_mono = _mono_of(anchor.wall)
        self._origin += timedelta(seconds=self.monotonic() - mono)  # monotonic() does not jump
        for waiter in list(self._waiters):
            _wake(waiter)

    async def sleep(self, seconds: float) -> None:
        honour_lost_cancellation()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        deadline = self.monotonic() + seconds
        loop = asyncio.get_running_loop()
        while (left := deadline - self.monotonic()) > 1e-9 * max(1.0, abs(deadline)):
            # a bare future and a timer, not wait_for(): on Python 3.11 wait_for() can swallow a
            # cancellation that arrives as its timeout fires, and a service would never stop
            waiter: asyncio.Future[None] = loop.create_future()
            timer = loop.call_later(left / self._anchor.speed, _wake, waiter)
            self._waiters.add(waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiters.discard(waiter)


class WallPaced:
    """``clock``'s time of day, with monotonic readings and sleeps in wall seconds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        honour_lost_cancellation()
        await asyncio.sleep(max(0.0, seconds))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _mono_of(wall: float) -> float:
    """The ``time.monotonic()`` reading of Unix time ``wall`` (shared across processes)."""
    return time.monotonic() - (time.time() - wall)
