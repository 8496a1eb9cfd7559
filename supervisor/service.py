"""The supervisor as a bus service: :class:`SupervisorService`.

An async context manager with a ``run()`` (docs/architecture.md, "Services"): on entry it subscribes to
:class:`TagValue`, :class:`LinkEvent`, :class:`CommandResult` and :class:`OperatorAction`,
seeds its inputs from the bus's latest values and publishes ``SUPERVISOR_STARTED``; ``run()``
applies every message as it arrives (operator actions are answered at once; an accepted
``SETTING_CHANGED`` of section ``cascade`` swaps the thresholds and heating curve in force,
keeping timers and state) and evaluates the
core every ``cascade.eval_interval_s`` of the injected clock, publishing the decisions
(:class:`PlantEvent`, :class:`Command`). On exit it closes its subscription.

Imports: the ground floor and the supervisor's own modules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType

from pydantic import ValidationError

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.plant import CascadeSettings
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    CommandResult,
    Context,
    LinkEvent,
    Message,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    Role,
    TagValue,
)
from chaufferie.supervisor.core import SupervisorCore
from chaufferie.supervisor.emitter import ORIGIN, Decision
from chaufferie.supervisor.inputs import Inputs
from chaufferie.supervisor.manual import authorised

log = logging.getLogger("chaufferie.supervisor")


class SupervisorService:
    """Feeds the core from the bus and publishes its decisions."""

    def __init__(self, cfg: PlantConfig, bus: Bus, clock: Clock) -> None:
        self.cfg = cfg
        self.bus = bus
        self.clock = clock
        self.inputs = Inputs.for_config(cfg)
        self.core = SupervisorCore(cfg, clock.now(), clock.monotonic())
        self._sub: Subscription | None = None

    async def __aenter__(self) -> SupervisorService:
        self._sub = self.bus.subscribe(
            TagValue, LinkEvent, CommandResult, OperatorAction, maxsize=10_000, name="supervisor"
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
        log.info("supervisor started in mode %s", self.core.mode.value)
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
        elif isinstance(message, LinkEvent):
            self.inputs.apply_link(message)
        elif isinstance(message, OperatorAction):
            if is_cascade_change(message):
                self.retune(message)
            else:
                self._publish(self.core.operator_action(self.clock.monotonic(), message))
        elif isinstance(message, CommandResult):
            self.core.command_result(self.clock.monotonic(), message)

    def retune(self, action: OperatorAction) -> None:
        """Apply an accepted cascade change (thresholds, heating curve) without a restart.

        The values are merged into the settings in force and validated again by the config's
        model; an unauthorised or invalid change is logged and ignored (its publisher, the HMI
        and the settings store, validated it already).
        """
        values = action.details.get("values")
        if not isinstance(values, Mapping) or not authorised(action, Role.TECHNICIAN):
            log.warning("cascade change from %r ignored: not authorised or no values", action.context.user)
            return
        try:
            settings = CascadeSettings.model_validate({**self.cfg.cascade.model_dump(), **values})
        except ValidationError as exc:
            log.warning("cascade change from %r ignored: %s", action.context.user, exc.errors()[0]["msg"])
            return
        self.core.retune(self.clock.monotonic(), settings)
        self.cfg = self.core.cfg
        log.info("cascade settings changed by %s: %s", action.context.user, ", ".join(sorted(values)))

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
            await self.clock.sleep(self.cfg.cascade.eval_interval_s)

    def _publish(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            self.bus.publish(decision)


def is_cascade_change(action: OperatorAction) -> bool:
    """An accepted settings change of the ``cascade`` section (as the HMI announces it)."""
    return (
        action.kind is ActionKind.SETTING_CHANGED
        and action.result is ActionResult.OK
        and action.details.get("section") == "cascade"
    )
