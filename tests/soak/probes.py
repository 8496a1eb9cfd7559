"""What the soak watches: records on the bus, log lines, memory and queues, and the stores.

:class:`Spy` keeps the identity of every record published on the bus; :func:`stored_records`
reads the same from the historian's database, keyed alike, so the two can be compared.
:class:`Probe` samples the traced heap, the bus queues, log lines, timers, tasks and loaded
modules; :class:`LogTally` counts log lines and keeps every ERROR; :func:`outbox_state` says
what the alarms' outbox still holds after the stop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from chaufferie.alarms.store import OutboxStatus
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmTransition,
    Message,
    NotificationRecord,
    OperatorAction,
    PlantEvent,
)
from chaufferie.historian.alarm_store import DatabaseAlarmStore

HOUR_S = 3600.0
# A consumer whose backlog is still there after a minute of wall time has stopped, not slowed:
# a loaded CI machine once took more than 5 s over one SQLite write. How long catching up
# took is a figure for bench/soak.py, not a test bound (speed is measured, not asserted).
STUCK_S = 60.0


class Spy:
    """Keeps the identity of every record published on the bus (drained at each step)."""

    TYPES = (PlantEvent, AlarmTransition, OperatorAction, NotificationRecord)

    def __init__(self, bus: Bus) -> None:
        self.sub: Subscription = bus.subscribe(*self.TYPES, maxsize=100_000, name="soak.spy")
        self.plant_events: set[str] = set()
        self.actions: set[str] = set()
        self.transitions: Counter[tuple[str, str, str, str]] = Counter()
        self.raised: Counter[str] = Counter()
        self.notifications: Counter[tuple[str, str]] = Counter()

    def collect(self) -> None:
        for message in self.sub.drain():
            self.record(message)

    def record(self, message: Message) -> None:
        if isinstance(message, PlantEvent):
            self.plant_events.add(message.id)
        elif isinstance(message, OperatorAction):
            self.actions.add(message.id)
        elif isinstance(message, AlarmTransition):
            key = transition_key(message.occurrence_id, message.previous, message.state, message.trigger)
            self.transitions[key] += 1
            if message.trigger == "activate":
                self.raised[message.code] += 1
        elif isinstance(message, NotificationRecord):
            self.notifications[(message.key, message.status.value)] += 1


def transition_key(occurrence: str, previous: Any, state: Any, trigger: str) -> tuple[str, str, str, str]:
    return (
        occurrence,
        str(getattr(previous, "value", previous)),
        str(getattr(state, "value", state)),
        trigger,
    )


class LogTally(logging.Handler):
    """Counts log lines by level and keeps every ERROR (or any line with a traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.by_level: Counter[str] = Counter()
        self.lines = 0
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1
        self.by_level[record.levelname] += 1
        if record.levelno >= logging.ERROR or record.exc_info:
            self.bad.append(f"{record.name}: {record.getMessage()}")


@dataclass
class Sample:
    model_h: float
    heap_bytes: int
    queues: dict[str, int]
    log_lines: int
    pending_timers: int
    tasks: int
    modules: int


@dataclass
class Probe:
    """Memory (tracemalloc, after a collection), bus queues and log lines, now and then."""

    bus: Bus
    clock: VirtualClock
    logs: LogTally
    samples: list[Sample] = field(default_factory=list)
    peaks: Counter[str] = field(default_factory=Counter)
    stuck_steps: int = 0
    slowest_catch_up_s: float = 0.0

    async def catch_up(self, drain: Callable[[], None], within_s: float = STUCK_S) -> None:
        """Let consumers finish a step's work (a worker thread's write) before the next step.

        On site a plant step is ``step_s`` of real time; here virtual time would otherwise run
        ahead of threads. The backlog met is kept per subscriber (:attr:`peaks`), the longest wait
        in :attr:`slowest_catch_up_s`; a step whose backlog is not cleared within ``within_s`` of
        wall time is counted in :attr:`stuck_steps`. ``drain`` empties the test's own spy, which
        later messages (a notification sent from a worker thread's turn) reach too.
        """
        sizes = self.bus.queue_sizes
        if not any(sizes.values()):
            return
        for name, size in sizes.items():
            self.peaks[name] = max(self.peaks[name], size)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            while True:
                drain()
                if not any(self.bus.queue_sizes.values()):
                    break
                if loop.time() - start > within_s:
                    self.stuck_steps += 1
                    return
                await asyncio.sleep(0.001)
        finally:
            self.slowest_catch_up_s = max(self.slowest_catch_up_s, loop.time() - start)

    def take(self) -> None:
        gc.collect()
        heap, _ = tracemalloc.get_traced_memory()
        self.samples.append(
            Sample(
                self.clock.monotonic() / HOUR_S,
                heap,
                self.bus.queue_sizes,
                self.logs.lines,
                self.clock.pending_timers,
                len(asyncio.all_tasks()),
                len(sys.modules),
            )
        )

    def quarters(self) -> tuple[list[Sample], list[Sample]]:
        n = max(1, len(self.samples) // 4)
        return self.samples[:n], self.samples[-n:]


class capture:
    """Make ``handler`` the root logger's only handler, at INFO, for the duration of a ``with``.

    The test runner's own handlers keep every record they see; set aside while the soak runs,
    they would count as growth of the system under test.
    """

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler
        self.root = logging.getLogger()
        self.level = self.root.level
        self.handlers: list[logging.Handler] = []

    def __enter__(self) -> None:
        self.handlers = list(self.root.handlers)
        self.root.handlers = [self.handler]
        self.root.setLevel(logging.INFO)

    def __exit__(self, *exc: object) -> None:
        self.root.handlers = self.handlers
        self.root.setLevel(self.level)


def outbox_state(cfg: PlantConfig) -> tuple[int, int, int]:
    """Messages of the outbox still to send (or being sent), given up, and sent, after the stop."""
    engine = create_engine(cfg.storage_url)
    store = DatabaseAlarmStore(engine)
    try:
        pending = store.outbox(OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.SENDING)
        failed, sent = store.outbox(OutboxStatus.FAILED), store.outbox(OutboxStatus.SENT)
        return len(pending), len(failed), len(sent)
    finally:
        store.close()
        engine.dispose()


def stored_records(cfg: PlantConfig) -> dict[str, Any]:
    """What the historian's database holds, keyed like :class:`Spy`."""
    engine = create_engine(cfg.storage_url)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[Any]:
                return list(conn.execute(text(sql)))

            return {
                "plant_events": {r[0] for r in rows("SELECT event_id FROM plant_events")},
                "actions": {r[0] for r in rows("SELECT action_id FROM operator_actions")},
                "transitions": Counter(
                    transition_key(*r)
                    for r in rows('SELECT occurrence_id, previous, state, "trigger" FROM alarm_transitions')
                ),
                "notifications": Counter((r[0], r[1]) for r in rows("SELECT key, status FROM notifications")),
                "samples": rows("SELECT count(*) FROM samples")[0][0],
            }
    finally:
        engine.dispose()
