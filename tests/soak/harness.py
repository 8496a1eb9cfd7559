"""The whole system against the simulated plant in one process, on one virtual clock.

:class:`Soak` wires the production services with :func:`chaufferie.wiring.build_runtime`
(historian on SQLite, alarms with the local outbox folder, supervisor, access services, the
PLC bridge's command path; no HMI server, no sockets) and closes the loop with the plant:

* the plant's points reach the bus through :class:`chaufferie.replay_tap.PlantTap`, the
  closed-loop replay's stand-in for the bridge (on change, Bad and stale while a link is
  down), with :meth:`Bus.publish` as its sink;
* the supervisor's :class:`Command`\\ s go through the real bridge (whitelist, rate limit,
  read-back, audit) to :class:`PlantLink`, a bridge source that writes to the plant instead
  of a PLC (a write on a link the plant cuts fails as it would on site).

Each step: tap → advance the virtual clock by the step (every service's timers fire in
order, commands are written to the plant as they come) → advance the physics by the step.
Scenarios are switched as a commissioning engineer would from the HMI: ``clear all``, then
``scenario NAME``. :class:`Probe` samples memory, bus queues and log lines along the way and
:class:`Spy` keeps the id of every record published on the bus.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from chaufferie.alarms.deadlines import is_working_day
from chaufferie.alarms.store import OutboxStatus, SqliteAlarmStore
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmTransition,
    LinkState,
    Message,
    NotificationRecord,
    OperatorAction,
    PlantEvent,
    Scalar,
)
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.writes import CommandExecutor
from chaufferie.replay_tap import PlantTap
from chaufferie.simulations.faults import run_action
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import SCENARIOS
from chaufferie.wiring import Runtime, build_runtime

HOUR_S = 3600.0
CATCH_UP_S = 5.0
SOAK_SECRETS = {
    "CHAUFFERIE_SECRET_KEY": "soak-signing-key-0123456789abcdef",
    "CHAUFFERIE_OPCUA_USER": "chaufferie",
    "CHAUFFERIE_OPCUA_PASSWORD": "soak-opcua-password",
}


def default_plan(hours: float = 24.0) -> list[tuple[str, float]]:
    """Every scenario but ``season``, in the catalogue's order, sharing ``hours`` equally."""
    names = [name for name in SCENARIOS if name != "season"]
    return [(name, hours / len(names)) for name in names]


class PlantLink:
    """A bridge source (:class:`~chaufferie.plc_bridge.base.TagSource`) that writes to the plant.

    Reading is the tap's job; this source only carries commands: a write on a link the plant
    has cut fails (:class:`LinkError`), a value the plant refuses fails too, otherwise the
    value read back from the plant is returned for the bridge to confirm.
    """

    def __init__(self, name: str, plant: Plant) -> None:
        self.name = name
        self.plant = plant

    @property
    def state(self) -> LinkState:
        return LinkState.DOWN if self.name in self.plant.links_down else LinkState.UP

    async def run(self) -> None:
        return None

    async def write(self, point: Point, value: Scalar) -> Scalar:
        if self.name in self.plant.links_down:
            raise LinkError(f"link {self.name} does not answer")
        if not isinstance(value, bool | int | float) or not self.plant.write(point.name, value):
            raise LinkError(f"the plant refused {point.name}={value!r}")
        return self.plant.read(point.name)

    async def close(self) -> None:
        return None


def wire(cfg: PlantConfig, plant: Plant, clock: VirtualClock, bus: Bus) -> Runtime:
    """The production wiring with the bridge's sources replaced by :class:`PlantLink`\\ s."""
    runtime = build_runtime(cfg, bus=bus, clock=clock, environ=SOAK_SECRETS, with_hmi=False)
    bridge = runtime.bridge
    sources = {name: PlantLink(name, plant) for name in cfg.links}
    bridge.sources = sources
    bridge.executor = CommandExecutor(bridge.guard, cfg.points, sources, bus, clock)
    return runtime


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
    slow_steps: int = 0

    async def catch_up(self, within_s: float = CATCH_UP_S) -> None:
        """Let consumers finish a step's work (a worker thread's write) before the next step.

        On site a plant step is ``step_s`` of real time; here virtual time would otherwise run
        ahead of threads. The backlog met is kept per subscriber (:attr:`peaks`); a step whose
        backlog is not cleared within ``within_s`` of wall time is counted in :attr:`slow_steps`.
        """
        sizes = self.bus.queue_sizes
        if not any(sizes.values()):
            return
        for name, size in sizes.items():
            self.peaks[name] = max(self.peaks[name], size)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while any(self.bus.queue_sizes.values()):
            if loop.time() > deadline:
                self.slow_steps += 1
                return
            await asyncio.sleep(0.001)

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


@dataclass
class SoakResult:
    samples: list[Sample]
    spy: Spy
    logs: LogTally
    stored: dict[str, Any]
    outbox_pending: int
    outbox_failed: int
    dropped: dict[str, int]
    wall_s: float
    model_h: float
    alarms_raised: Counter[str]
    modes: Counter[str]
    peaks: Counter[str]
    capacity: dict[str, int]
    slow_steps: int


class Soak:
    """Run ``plan`` (scenario, hours) with a plant step of ``step_s`` model seconds."""

    def __init__(
        self,
        cfg: PlantConfig,
        plan: Iterable[tuple[str, float]],
        step_s: float = 10.0,
        probe_every_s: float = 1800.0,
    ) -> None:
        self.cfg = cfg
        self.plan = list(plan)
        self.step_s = step_s
        self.probe_every_s = probe_every_s
        self.plant = Plant(cfg)
        self.clock = VirtualClock(self.plant.now)
        self.bus = Bus()
        self.logs = LogTally()
        self.modes: Counter[str] = Counter()

    async def run(self) -> SoakResult:
        wall0 = time.perf_counter()
        runtime = wire(self.cfg, self.plant, self.clock, self.bus)
        spy = Spy(self.bus)
        tap = PlantTap(self.cfg, self.plant, [p.name for p in self.cfg.points], [self.bus.publish])
        probe = Probe(self.bus, self.clock, self.logs)
        with _capture(self.logs):
            async with runtime.system:
                prime_lazy_loads(self.cfg, self.clock)
                subscribers = _subscriptions(self.bus)
                for scenario, hours in self.plan:
                    self.switch(scenario)
                    await self.advance(tap, spy, probe, runtime, hours * HOUR_S)
                probe.take()
            spy.collect()
        dropped = {s.name: s.dropped for s in subscribers}
        capacity = {s.name: s.queue.maxsize for s in subscribers}
        spy.sub.close()
        pending, failed = outbox_state(self.cfg)
        return SoakResult(
            samples=probe.samples,
            spy=spy,
            logs=self.logs,
            stored=stored_records(self.cfg),
            outbox_pending=pending,
            outbox_failed=failed,
            dropped=dropped,
            wall_s=time.perf_counter() - wall0,
            model_h=self.clock.monotonic() / HOUR_S,
            alarms_raised=spy.raised,
            modes=self.modes,
            peaks=probe.peaks,
            capacity=capacity,
            slow_steps=probe.slow_steps,
        )

    def switch(self, scenario: str) -> None:
        """What the commissioning page does: clear every fault, then start ``scenario``."""
        run_action(self.plant, "clear_all")
        self.plant.apply_scenario(scenario)

    async def advance(self, tap: PlantTap, spy: Spy, probe: Probe, runtime: Runtime, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        step = self.step_s
        next_probe = self.clock.monotonic()
        while self.clock.monotonic() < end - 1e-6:
            if self.clock.monotonic() >= next_probe:
                probe.take()
                next_probe += self.probe_every_s
            tap.poll(self.clock.now())
            dt = min(step, end - self.clock.monotonic())
            await self.clock.advance(dt)
            self.plant.step(dt)
            spy.collect()
            await probe.catch_up()
            self.modes[runtime.supervisor.core.mode.value] += 1


class _capture:
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


def prime_lazy_loads(cfg: PlantConfig, clock: VirtualClock) -> None:
    """Load once, before the first sample, what the alarms load on their first working-day check.

    The public-holiday calendars (``holidays``: ~280 modules, ~8 MB) are imported the first time
    an intervention deadline or a working-hours rule is computed; a one-off load is not growth.
    """
    is_working_day(clock.now().date(), cfg.working_hours)


def _subscriptions(bus: Bus) -> list[Subscription]:
    return list(bus._subscriptions)  # the soak audits every subscriber's drops


def outbox_state(cfg: PlantConfig) -> tuple[int, int]:
    """Messages of the outbox still to send (or being sent), and those given up, after the stop."""
    store = SqliteAlarmStore(cfg.data_path("alarms.db"))
    try:
        pending = store.outbox(OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.SENDING)
        return len(pending), len(store.outbox(OutboxStatus.FAILED))
    finally:
        store.close()


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


def run_soak(
    cfg: PlantConfig, plan: Iterable[tuple[str, float]], step_s: float = 10.0, trace: bool = True
) -> SoakResult:
    """Run a soak in a fresh event loop (tracemalloc on while it runs when ``trace``)."""
    if trace:
        tracemalloc.start()
    try:
        return asyncio.run(Soak(cfg, plan, step_s).run())
    finally:
        if trace:
            tracemalloc.stop()


def soak_config(cfg: PlantConfig, **cascade: Any) -> PlantConfig:
    """``cfg`` with cascade settings changed (e.g. the supervisor's evaluation period)."""
    return cfg.model_copy(update={"cascade": cfg.cascade.model_copy(update=cascade)})
