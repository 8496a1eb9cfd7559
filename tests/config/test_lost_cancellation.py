"""A cancellation that a library lost is honoured at the task's next sleep, on every clock.

Python 3.11's ``asyncio.wait_for`` returns the awaited result when the cancellation arrives
in the loop turn where that result comes (CPython gh-86296): the task runs on. pymodbus,
asyncua and aiosmtplib await each request that way; a stop of ``chaufferie demo`` that came
while a PLC answered hung for good (CI, stop 25). Here the loss is produced with the real
``wait_for``, then the task's next ``sleep()`` must end it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from chaufferie.config.clock import Anchor, Clock, RealClock, ScaledClock, VirtualClock, WallPaced

T0 = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
CLOCKS: dict[str, Callable[[], Clock]] = {
    "real": RealClock,
    "virtual": lambda: VirtualClock(T0),
    "scaled": lambda: ScaledClock(Anchor(T0, time.time(), 60.0)),
    "wall-paced": lambda: WallPaced(ScaledClock(Anchor(T0, time.time(), 60.0))),
}


@pytest.mark.parametrize("kind", CLOCKS)
async def test_a_cancellation_lost_by_wait_for_ends_the_task_at_its_next_sleep(kind: str) -> None:
    clock = CLOCKS[kind]()
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    went_on: list[str] = []

    async def request_then_wait() -> None:
        went_on.append(await asyncio.wait_for(answer, 10))  # a library's request
        await clock.sleep(3600)  # the loop's next period

    task = asyncio.create_task(request_then_wait())
    await asyncio.sleep(0)  # the task now waits for the answer
    answer.set_result("registers")
    task.cancel()  # the stop, in the same loop turn as the answer
    done, _ = await asyncio.wait([task], timeout=5)
    assert task in done, "the task went on sleeping after it was told to stop"
    assert task.cancelled()
    if sys.version_info < (3, 12):
        assert went_on == ["registers"], "wait_for did not lose the cancellation: nothing tested"


async def test_a_task_not_told_to_stop_sleeps_as_before() -> None:
    clock = VirtualClock(T0)
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(30)
        woke.append(clock.monotonic())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await clock.advance(30)
    await task
    assert woke == [30.0]
