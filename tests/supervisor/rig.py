"""A test rig for the supervisor core: set point values, run virtual seconds, read decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chaufferie.config.live import LiveConfig
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    LinkEvent,
    LinkState,
    ManualModeRequest,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Quality,
    Role,
    Scalar,
    TagValue,
)
from chaufferie.supervisor.core import SupervisorCore
from chaufferie.supervisor.emitter import Decision
from chaufferie.supervisor.inputs import Inputs, Signal

START = datetime(2026, 1, 13, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Paris

# wood.state codes of joucas.yaml
OFF, IGNITION, RUNNING, BURN_OUT, DE_ASHING, STANDBY, FAULT, LOCKOUT = range(8)
OUTDOOR_SP75 = 4.0  # outdoor temperature giving a 75.0 °C setpoint on the default curve
SP = 75.0


def with_cascade(cfg: PlantConfig, **changes: Any) -> PlantConfig:
    """A copy of ``cfg`` with some cascade settings changed."""
    return cfg.model_copy(update={"cascade": cfg.cascade.model_copy(update=changes)})


class Rig:
    """The core, its inputs, a virtual time ``t`` and everything decided so far."""

    def __init__(self, cfg: PlantConfig | LiveConfig, start: datetime = START, step_s: float = 1.0) -> None:
        self.core = SupervisorCore(cfg, start, 0.0)
        self.cfg = self.core.cfg
        self.inp = Inputs.for_config(self.cfg)
        self.start = start
        self.t = 0.0
        self.step_s = step_s
        self.decisions: list[Decision] = []

    # ---- plant side -----------------------------------------------------------------------
    def set(self, signal: Signal, value: Scalar, quality: Quality = Quality.GOOD) -> Rig:
        point = self.inp.points[signal]
        now = self.core.base.wall(self.t)
        self.inp.apply(TagValue(point=point, value=value, quality=quality, source_time=now, receive_time=now))
        return self

    def bad(self, signal: Signal) -> Rig:
        return self.set(signal, self.inp.values[signal], Quality.BAD)

    def link(self, up: bool) -> Rig:
        state = LinkState.UP if up else LinkState.DOWN
        previous = LinkState.DOWN if up else LinkState.UP
        now = self.core.base.wall(self.t)
        self.inp.apply_link(
            LinkEvent(link=self.inp.wood_link, state=state, previous=previous, reason="", time=now)
        )
        return self

    def healthy(self, outlet: float = SP, modulation: float = 60.0) -> Rig:
        """A healthy plant: wood running, outlet at setpoint, pump 1 duty with flow."""
        for signal, value in (
            (Signal.WOOD_STATE, RUNNING),
            (Signal.WOOD_FAULT_CODE, 0),
            (Signal.WOOD_MODULATION, modulation),
            (Signal.BUFFER_OUTLET, outlet),
            (Signal.OUTDOOR, OUTDOOR_SP75),
            (Signal.PUMP_DUTY, 1),
            (Signal.PUMP1_FAULT, False),
            (Signal.PUMP2_FAULT, False),
            (Signal.PUMP1_RUNNING, True),
            (Signal.PUMP2_RUNNING, False),
            (Signal.NETWORK_FLOW, 3.0),
            (Signal.SCREW_JAMMED, False),
            (Signal.SCREW_TEST_RUNNING, False),
            (Signal.SCREW_TEST_FAILED, False),
            (Signal.SILO_EMPTY, False),
            (Signal.SILO_LEVEL, 60.0),
            (Signal.OIL_FAULT, False),
        ):
            self.set(signal, value)
        return self

    # ---- time -----------------------------------------------------------------------------
    def run(self, seconds: float) -> Rig:
        """Evaluate at ``t``, ``t + step``, ..., ``t + seconds`` (values set now count from ``t``)."""
        end = self.t + seconds
        self.decisions.extend(self.core.evaluate(self.t, self.inp))
        while self.t < end - 1e-9:
            self.t = min(self.t + self.step_s, end)
            self.decisions.extend(self.core.evaluate(self.t, self.inp))
        return self

    def run_until(self, seconds: float) -> Rig:
        return self.run(seconds - self.t)

    def manual(
        self,
        mode: PlantMode | None,
        role: Role | None = Role.TECHNICIAN,
        duration_s: float | None = None,
        user: str | None = "julien",
    ) -> Rig:
        """A manual-mode request from the HMI; ``role`` None: the publisher states no role."""
        context = Context(origin="hmi", user=user, channel=Channel.HMI, address="127.0.0.1")
        request = ManualModeRequest(mode, self.core.base.wall(self.t), context, role, duration_s)
        self.decisions.extend(self.core.manual_request(self.t, request))
        return self

    def written(self, point: str, value: Scalar, status: CommandStatus, origin: str = "hmi") -> Rig:
        """The bridge's result of a write someone (an operator from the HMI by default) asked for."""
        context = Context(origin=origin, user="julien" if origin == "hmi" else None, channel=Channel.HMI)
        now = self.core.base.wall(self.t)
        self.core.command_result(self.t, CommandResult("c1", point, value, status, now, context=context))
        return self

    # ---- what was decided ------------------------------------------------------------------
    @property
    def mode(self) -> PlantMode:
        return self.core.mode

    def events(self, *kinds: PlantEventKind) -> list[PlantEvent]:
        return [d for d in self.decisions if isinstance(d, PlantEvent) and (not kinds or d.kind in kinds)]

    def commands(self, point: str) -> list[Command]:
        return [d for d in self.decisions if isinstance(d, Command) and d.point == point]

    def modes(self) -> list[tuple[PlantMode | None, str]]:
        return [(e.mode, e.reason) for e in self.events(PlantEventKind.MODE_CHANGED)]

    def oil_starts(self) -> list[PlantEvent]:
        return self.events(PlantEventKind.OIL_STARTED)

    def clear(self) -> Rig:
        self.decisions.clear()
        return self
