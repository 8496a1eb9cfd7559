"""The virtual clock fires timers in order without sleeping; the bus never blocks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock, VirtualClock
from chaufferie.config.vocabulary import Quality, TagValue


async def test_virtual_timers_fire_in_deadline_order(clock: VirtualClock) -> None:
    fired: list[tuple[str, float]] = []

    async def sleeper(name: str, delay: float) -> None:
        await clock.sleep(delay)
        fired.append((name, clock.monotonic()))

    tasks = [asyncio.create_task(sleeper(n, d)) for n, d in (("c", 30), ("a", 10), ("b", 20))]
    wall = time.monotonic()
    await clock.advance(3600)
    assert time.monotonic() - wall < 1.0
    assert fired == [("a", 10), ("b", 20), ("c", 30)]
    assert clock.monotonic() == 3600
    await asyncio.gather(*tasks)


async def test_periodic_task_wakes_every_period_inside_one_advance(clock: VirtualClock) -> None:
    ticks: list[float] = []

    async def periodic() -> None:
        while True:
            await clock.sleep(60)
            ticks.append(clock.monotonic())

    task = asyncio.create_task(periodic())
    await clock.advance(600)
    assert ticks == [60.0 * i for i in range(1, 11)]
    task.cancel()


async def test_virtual_now_follows_monotonic(clock: VirtualClock) -> None:
    start = clock.now()
    await clock.advance(90)
    assert clock.now() - start == timedelta(seconds=90)
    assert clock.now().tzinfo is UTC


async def test_timer_not_due_does_not_fire(clock: VirtualClock) -> None:
    done = asyncio.Event()

    async def sleeper() -> None:
        await clock.sleep(120)
        done.set()

    task = asyncio.create_task(sleeper())
    await clock.advance(119.999)
    assert not done.is_set()
    await clock.advance(0.001)
    assert done.is_set()
    await task


async def test_real_clock_is_utc() -> None:
    assert RealClock().now().tzinfo is UTC


def _tag(point: str, value: float) -> TagValue:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return TagValue(point, value, Quality.GOOD, now, now)


async def test_bus_fans_out_by_type_and_keeps_latest() -> None:
    bus = Bus()
    tags = bus.subscribe(TagValue, name="tags")
    everything = bus.subscribe(name="all")
    bus.publish(_tag("buffer.temp_top", 80.0))
    bus.publish(_tag("buffer.temp_top", 81.0))
    assert [m.value for m in tags.drain()] == [80.0, 81.0]  # type: ignore[union-attr]
    assert len(everything.drain()) == 2
    latest = bus.latest("buffer.temp_top")
    assert latest is not None
    assert latest.value == 81.0


async def test_full_subscriber_drops_oldest_without_blocking_others() -> None:
    bus = Bus()
    slow = bus.subscribe(TagValue, maxsize=3, name="slow")
    fast = bus.subscribe(TagValue, maxsize=100, name="fast")
    for i in range(10):
        bus.publish(_tag("p.x", float(i)))
    assert slow.dropped == 7
    assert [m.value for m in slow.drain()] == [7.0, 8.0, 9.0]  # type: ignore[union-attr]
    assert len(fast.drain()) == 10


async def test_subscription_iterates_until_closed() -> None:
    bus = Bus()
    sub = bus.subscribe(TagValue)
    bus.publish(_tag("p.x", 1.0))
    async for message in sub:
        assert message.value == 1.0  # type: ignore[union-attr]
        sub.close()
    bus.publish(_tag("p.x", 2.0))
    assert sub.get_nowait() is None
