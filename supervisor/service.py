"""The supervisor as a bus service: :class:`SupervisorService`.

An async context manager with a ``run()`` (docs/architecture.md, "Services"): on entry it subscribes to
:class:`TagValue`, :class:`LinkEvent`, :class:`CommandResult`, :class:`ManualModeRequest` and
:class:`SeasonRequest`, seeds its inputs from the bus's latest values and publishes
``SUPERVISOR_STARTED``; ``run()`` applies every message as it arrives (a manual-mode or season
request is answered at once, with its one audit record) and evaluates the
core every ``cascade.eval_interval_s`` of the injected clock, publishing the decisions
(:class:`PlantEvent`, :class:`Command`), and, from the same loop, the life counter that keeps
each PLC's trust (:mod:`.lifeline`: a stalled loop or blind inputs let the PLCs fall back to
their local program). On exit it closes its subscription. ``cfg`` may be
the process's :class:`~chaufferie.config.live.LiveConfig`: the cascade settings changed from
the HMI are read from it at the next evaluation (an ``OperatorAction`` on the bus is an audit
record and changes nothing here).

Imports: the ground floor and the supervisor's own modules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from types import TracebackType

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    CommandResult,
    Context,
    LinkEvent,
    ManualModeRequest,
    Message,
    PlantEvent,
    PlantEventKind,
    SeasonRequest,
    TagValue,
)
from chaufferie.supervisor.core import SupervisorCore
from chaufferie.supervisor.emitter import ORIGIN, Decision
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.lifeline import Lifeline
from chaufferie.supervisor.season import SeasonState

log = logging.getLogger("chaufferie.supervisor")


class SupervisorService:
    """Feeds the core from the bus and publishes its decisions."""

    def __init__(
        self,
        cfg: PlantConfig | LiveConfig,
        bus: Bus,
        clock: Clock,
        link_clock: Clock | None = None,
        recall: Callable[[], SeasonState | None] | None = None,
    ) -> None:
        """``link_clock`` paces the life counters when the PLCs' timers do not run on ``clock``
        (the demo: plant time sped up, the PLC's dead-man in wall seconds); ``recall`` reads
        the heating season's state last recorded, on entry (in season when it finds none)."""
        self.live = as_live(cfg)
        self.bus = bus
        self.clock = clock
        self.link_clock = link_clock or clock
        self.inputs = Inputs.for_config(self.live.current)
        self.core = SupervisorCore(self.live, clock.now(), clock.monotonic())
        self._recall = recall
        self.lifeline = Lifeline(self.live.current, Context(origin=f"{ORIGIN}.lifeline"))
        self._sub: Subscription | None = None

    @property
    def cfg(self) -> PlantConfig:
        """The configuration in force."""
        return self.live.current

    async def __aenter__(self) -> SupervisorService:
        if self._recall is not None:
            recalled = await asyncio.to_thread(self._recall)
            if recalled is not None:
                self.core.season = recalled
        self._sub = self.bus.subscribe(
            TagValue,
            LinkEvent,
            CommandResult,
            ManualModeRequest,
            SeasonRequest,
            maxsize=10_000,
            name="supervisor",
        )
        for tag in self.bus.snapshot().values():
            self.inputs.apply(tag)
        self.bus.publish(
            PlantEvent(
                kind=PlantEventKind.SUPERVISOR_STARTED,
                time=self.clock.now(),
                reason="supervisor_start",
                mode=self.core.mode,
                context=Context(origin=ORIGIN),
            )
        )
        summer = " (summer: end of heating season confirmed)" if self.core.season.summer else ""
        log.info("supervisor started in mode %s%s", self.core.mode.value, summer)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None
        log.info("supervisor stopped in mode %s", self.core.mode.value)

    async def run(self) -> None:
        """Consume messages and evaluate periodically until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume(), name="supervisor-consume")
            group.create_task(self._tick(), name="supervisor-tick")

    def evaluate_now(self) -> None:
        """One evaluation at the clock's current time (also used by ``run``)."""
        self._publish(self.core.evaluate(self.clock.monotonic(), self.inputs))

    def handle(self, message: Message) -> None:
        """Apply one bus message to the inputs or the core."""
        if isinstance(message, TagValue):
            self.inputs.apply(message)
            episode = self.lifeline.observe(message)
            if episode is not None:
                self.bus.publish(episode)
        elif isinstance(message, LinkEvent):
            self.inputs.apply_link(message)
        elif isinstance(message, ManualModeRequest):
            self._publish(self.core.manual_request(self.clock.monotonic(), message))
        elif isinstance(message, SeasonRequest):
            self._publish(self.core.season_request(self.clock.monotonic(), message))
        elif isinstance(message, CommandResult):
            self.core.command_result(self.clock.monotonic(), message)

    async def _consume(self) -> None:
        if self._sub is None:
            raise RuntimeError("SupervisorService.run() outside 'async with'")
        async for message in self._sub:
            self.handle(message)

    async def _tick(self) -> None:
        while True:
            if self._sub is not None:
                for message in self._sub.drain():
                    self.handle(message)
            self.evaluate_now()
            self.keep_trust()
            await self.clock.sleep(self.cfg.cascade.eval_interval_s)

    def keep_trust(self) -> None:
        """The life counters due now, written only while the buffer temperature is known."""
        vouch = self.inputs.number(Signal.BUFFER_OUTLET) is not None
        self._publish(self.lifeline.due(self.link_clock.monotonic(), self.clock.now(), vouch))

    def _publish(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            self.bus.publish(decision)
