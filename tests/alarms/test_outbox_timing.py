"""The outbox's retries come due on the clock, however long a send takes on the event loop.

A transport's send runs on a thread (the GSM modem) or over the network: it takes event-loop
turns, during which a virtual clock being advanced moves on. The worker then goes to sleep until
the next retry; were that sleep measured from when its task first ran rather than from when it
was decided, a retry due now would wait for the next one (seen on CI under load: "outbox did not
settle").
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from chaufferie.alarms.errors import ChannelError
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.store import OutboxItem, OutboxStatus, SqliteAlarmStore
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from tests.alarms.helpers import QuietTransport


class SlowFailingSms(QuietTransport):
    """An SMS transport whose every send takes ``turns`` event-loop turns, then fails."""

    name = "slow"
    medium = "sms"

    def __init__(self, clock: VirtualClock, turns: int) -> None:
        self.clock, self.turns = clock, turns
        self.tried_at: list[float] = []
        self.failed_at: list[float] = []

    async def send(self, item: OutboxItem) -> str:
        self.tried_at.append(self.clock.monotonic())
        for _ in range(self.turns):
            await asyncio.sleep(0)
        self.failed_at.append(self.clock.monotonic())  # the clock may have moved on meanwhile
        raise ChannelError("réseau absent / no network")


@pytest.mark.parametrize("turns", range(16))
async def test_each_retry_is_tried_when_due_however_many_loop_turns_a_send_takes(
    config: PlantConfig, tmp_path: Path, turns: int
) -> None:
    clock = VirtualClock()
    slow = SlowFailingSms(clock, turns)
    store = SqliteAlarmStore(tmp_path / "alarms.db")
    settings = config.notifiers
    outbox = Outbox(store, Bus(), clock, {"slow": slow}, settings, config.contact, "joucas")
    outbox.route_of = lambda item: ["slow"]  # type: ignore[method-assign]
    worker = asyncio.create_task(outbox.run())
    step = 7.0  # not a divisor of the backoff: a retry falls due inside a step
    try:
        outbox.enqueue(OutboxItem("k", "sms", "tech-martin", "+33600000000", "", "texte"))
        for _ in range(80):
            await outbox.settled(timeout_s=2.0)
            await clock.advance(step)
        await outbox.settled(timeout_s=2.0)
        assert store.outbox()[0].status is OutboxStatus.FAILED
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        store.close()
    # the backoff (doubling from retry_base_s) counts from the failure; each try comes exactly then
    assert len(slow.tried_at) == settings.max_attempts
    for n, (failed, tried) in enumerate(zip(slow.failed_at[:-1], slow.tried_at[1:], strict=True)):
        backoff = min(settings.retry_base_s * 2**n, settings.retry_max_s)
        assert tried == failed + backoff  # the virtual clock wakes a timer at its very deadline
