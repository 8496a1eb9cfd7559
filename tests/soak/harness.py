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
``scenario NAME``. :class:`~tests.soak.probes.Probe` samples memory, bus queues and log lines
along the way and :class:`~tests.soak.probes.Spy` keeps the id of every record published on the
bus.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chaufferie.alarms.deadlines import is_working_day
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, Scalar
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.replay_tap import PlantTap
from chaufferie.simulations.faults import run_action
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import SCENARIOS
from chaufferie.wiring import Runtime, build_runtime
from tests.soak.probes import (
    HOUR_S,
    LogTally,
    Probe,
    Sample,
    Spy,
    capture,
    outbox_state,
    stored_records,
)

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
    runtime.bridge.use_sources({name: PlantLink(name, plant) for name in cfg.links})
    return runtime


@dataclass
class SoakResult:
    samples: list[Sample]
    spy: Spy
    logs: LogTally
    stored: dict[str, Any]
    outbox_pending: int
    outbox_sent: int
    outbox_failed: int
    dropped: dict[str, int]
    wall_s: float
    model_h: float
    alarms_raised: Counter[str]
    modes: Counter[str]
    peaks: Counter[str]
    capacity: dict[str, int]
    stuck_steps: int
    slowest_catch_up_s: float


SETTLE_S = 600.0
"""Model seconds the outbox is given after the plan, before the stop (its retries included)."""


async def settle_outbox(runtime: Runtime, clock: VirtualClock) -> None:
    """Let the messages of the last step leave before the stop, as on site they have time to.

    A send now waits for its "sending" mark to be written by the alarm store's thread; a stop
    a few milliseconds after an alarm would catch it in flight.
    """
    outbox = runtime.alarms.outbox
    end = clock.monotonic() + SETTLE_S
    while (outbox.pending() or outbox.busy) and clock.monotonic() < end:
        await clock.advance(1.0)
        await asyncio.sleep(0.01)


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
        with capture(self.logs):
            async with runtime.system:
                prime_lazy_loads(self.cfg, self.clock)
                subscribers = _subscriptions(self.bus)
                for scenario, hours in self.plan:
                    self.switch(scenario)
                    await self.advance(tap, spy, probe, runtime, hours * HOUR_S)
                probe.take()
                model_end = self.clock.monotonic()
                await settle_outbox(runtime, self.clock)
            spy.collect()
        dropped = {s.name: s.dropped for s in subscribers}
        capacity = {s.name: s.queue.maxsize for s in subscribers}
        spy.sub.close()
        pending, failed, sent = outbox_state(self.cfg)
        return SoakResult(
            samples=probe.samples,
            spy=spy,
            logs=self.logs,
            stored=stored_records(self.cfg),
            outbox_pending=pending,
            outbox_sent=sent,
            outbox_failed=failed,
            dropped=dropped,
            wall_s=time.perf_counter() - wall0,
            model_h=model_end / HOUR_S,
            alarms_raised=spy.raised,
            modes=self.modes,
            peaks=probe.peaks,
            capacity=capacity,
            stuck_steps=probe.stuck_steps,
            slowest_catch_up_s=probe.slowest_catch_up_s,
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
            await probe.catch_up(spy.collect)
            self.modes[runtime.supervisor.core.mode.value] += 1


def prime_lazy_loads(cfg: PlantConfig, clock: VirtualClock) -> None:
    """Load once, before the first sample, what the alarms load on their first working-day check.

    The public-holiday calendars (``holidays``: ~280 modules, ~8 MB) are imported the first time
    an intervention deadline or a working-hours rule is computed; a one-off load is not growth.
    """
    is_working_day(clock.now().date(), cfg.working_hours)


def _subscriptions(bus: Bus) -> list[Subscription]:
    return list(bus._subscriptions)  # the soak audits every subscriber's drops


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
