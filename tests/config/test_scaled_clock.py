"""ScaledClock: plant time at ``speed`` × wall time from an anchor, speed changed while running.

These clocks follow the wall clock by design, so the tests run them fast (×600 and more) and
wait a few tenths of a second at most.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from chaufferie.config.clock import Anchor, Clock, ScaledClock, WallPaced

T0 = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


def test_two_clocks_from_one_anchor_are_one_clock() -> None:
    anchor = Anchor(T0, time.time() - 2.0, 60.0)  # anchored 2 wall seconds ago
    system, simulator = ScaledClock(anchor), ScaledClock(Anchor.parse(anchor.text().split()))
    assert isinstance(system, Clock)
    assert abs((system.now() - simulator.now()).total_seconds()) < 0.5  # a few ms × 60
    assert (system.now() - T0).total_seconds() == pytest.approx(120, abs=2)


async def test_sleep_waits_plant_seconds() -> None:
    clock = ScaledClock(Anchor(T0, time.time(), 600.0))
    wall0, mono0 = time.monotonic(), clock.monotonic()
    await clock.sleep(60)  # one plant minute: 0.1 s of wall time at ×600
    assert clock.monotonic() - mono0 >= 60
    assert time.monotonic() - wall0 < 1.0


async def test_a_speed_change_wakes_sleepers_on_the_new_rate_and_time_never_jumps() -> None:
    clock = ScaledClock(Anchor(T0, time.time(), 1.0))
    sleeper = asyncio.create_task(clock.sleep(600))  # ten minutes at ×1
    await asyncio.sleep(0.05)
    wall0, before = time.monotonic(), clock.monotonic()
    clock.set_speed(6000.0)
    after, wall1 = clock.monotonic(), time.monotonic()
    # no jump: at most what elapsed between the two reads, counted at the new speed
    assert before <= after <= before + 6000.0 * (wall1 - wall0)
    assert clock.speed == 6000.0
    await asyncio.wait_for(sleeper, 1.0)  # the rest at ×6000: a tenth of a second


def test_adopting_an_anchor_keeps_monotonic_continuous() -> None:
    clock = ScaledClock(Anchor(T0, time.time(), 60.0))
    before = clock.monotonic()
    clock.adopt(Anchor(T0 + timedelta(hours=1), time.time(), 60.0))  # the simulator's, an hour on
    assert clock.now() - T0 >= timedelta(hours=1)
    assert clock.monotonic() - before < 1.0


def test_an_anchor_refuses_a_speed_of_zero_and_a_naive_time() -> None:
    with pytest.raises(ValueError, match="speed"):
        Anchor(T0, time.time(), 0.0)
    with pytest.raises(ValueError, match="timezone"):
        Anchor(datetime(2026, 1, 12), time.time(), 1.0)


async def test_wall_paced_keeps_plant_time_stamps_and_wall_waits() -> None:
    scaled = ScaledClock(Anchor(T0, time.time(), 3600.0))
    links = WallPaced(scaled)
    wall0, plant0 = links.monotonic(), links.now()
    await links.sleep(0.1)
    assert links.monotonic() - wall0 == pytest.approx(0.1, abs=0.08)
    assert links.now() - plant0 >= timedelta(minutes=5)  # 0.1 s × 3600 = 6 plant minutes


async def test_a_sleeping_service_always_stops_when_cancelled() -> None:
    """Cancelled at any moment, even as its timer fires, a loop of short sleeps ends."""
    clock = ScaledClock(Anchor(T0, time.time(), 600.0))

    async def service() -> None:
        while True:
            await clock.sleep(1.0)  # 1.7 ms of wall time: timers fire all the time

    for i in range(40):
        task = asyncio.create_task(service())
        await asyncio.sleep(0.0005 * (i % 7))
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=1.0)
        assert done, "a cancellation was swallowed: the service would never stop"
        assert task.cancelled()
