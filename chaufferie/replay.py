"""Closed-loop replay: the simulator's plant physics and the production supervisor, in model time.

``run_replay(cfg, scenario, days=None) -> dict`` is what ``chaufferie sim --headless
--scenario S [--days N] --json`` prints. No sockets: a :class:`~chaufferie.replay_tap.PlantTap`
feeds the plant's point values to the supervisor's inputs through the PLC bridge's own
:class:`~chaufferie.plc_bridge.tracking.PointTracker` (deadband, heartbeat, sentinels; Bad and
stale while a link is down), the very same
:class:`~chaufferie.supervisor.core.SupervisorCore` as in production decides, and its
:class:`Command`\\ s are written to the plant as the PLC would receive them (a refused write is
reported back as a refused :class:`CommandResult`). The alarm engine of
:mod:`chaufferie.alarms` watches the same messages and the supervisor's plant events; the
alarms it raises are counted by code (``alarms_by_code``).

Each step: publish the plant's changes → evaluate the supervisor → apply its commands → advance
the physics by the step (``cfg.simulation.step_s`` unless told otherwise). The figures:

=========================  ==================================================================
heat_demand_kwh            heat the buildings asked for (plant counters)
heat_wood_kwh / _oil_kwh   heat produced by each boiler
wood_coverage              heat_wood / (heat_wood + heat_oil)
oil_starts_replacement     oil starts decided by the supervisor, by role (a top-up turning into
oil_starts_topup           a replacement while running is a handover, not a start)
oil_role_handovers         those handovers
oil_starts_max_per_hour    the most oil starts in any sliding hour
oil_run_hours              oil burner running time
oil_burner_starts          burner firings by the oil boiler's own aquastat while enabled
buffer_within_band_ratio   share of model time with |buffer outlet − setpoint| ≤ plant.regulation_band_k
unmet_demand_kwh           demand the network could not deliver
alarms_by_code             activations (annunciated, not suppressed) by the real alarm engine,
                           fed by the tap and the supervisor's events; its timers tick every
                           model minute; nobody acknowledges; internal alarms (watchdog,
                           notification failure) are not exercised
mode_hours                 model hours in each plant mode
chips_tonnes               chips burnt
events_by_kind             the supervisor's plant events by kind
model_seconds / wall_...   model time replayed and the wall time it took
=========================  ==================================================================

Part of the composition root: it may import every layer.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from chaufferie.alarms.conditions import watched_points
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.store import OutboxItem, OutboxStatus
from chaufferie.config.bus import Bus
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    LinkEvent,
    OilRole,
    PlantEvent,
    PlantEventKind,
    PlantMode,
)
from chaufferie.replay_tap import PlantTap, ReplayClock, reader
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import Scenario, get_scenario
from chaufferie.supervisor.core import SupervisorCore
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.lifeline import Lifeline
from chaufferie.supervisor.timers import SlidingCount

QUIET_LOGGERS = ("chaufferie.supervisor", "chaufferie.alarms")
ALARM_TICK_S = 60.0
"""The alarm engine's timers (on/off delays) are checked every model minute, not every second."""
HOUR_S = 3600.0


class MemoryAlarmStore:
    """An :class:`~chaufferie.alarms.store.AlarmStore` that keeps nothing beyond the replay."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}

    def load_open(self) -> list[Occurrence]:
        return []

    async def flush(self) -> bool:
        return True

    def save(self, occ: Occurrence) -> None:
        return None

    def get_setting(self, name: str) -> Any:
        return self.settings.get(name)

    def set_setting(self, name: str, value: Any) -> None:
        self.settings[name] = value

    def add_outbox(self, item: OutboxItem) -> bool:
        return False

    def update_outbox(self, item: OutboxItem) -> None:
        return None

    def outbox(self, *statuses: OutboxStatus) -> list[OutboxItem]:
        return []

    def close(self) -> None:
        return None


class Replay:
    """One closed-loop run; :meth:`run` advances it, :meth:`summary` gives the figures."""

    def __init__(
        self, cfg: PlantConfig, scenario: str | Scenario, *, step_s: float | None = None, alarms: bool = True
    ) -> None:
        """``scenario``: a catalogue name, or a :class:`Scenario` of the caller's (a test's dates)."""
        self.cfg = cfg
        self.scenario = scenario if isinstance(scenario, Scenario) else get_scenario(scenario)
        self.plant = Plant(cfg)
        self.plant.apply_scenario(self.scenario)
        self.step_s = step_s or cfg.simulation.step_s
        self.clock = ReplayClock(self.plant.now)
        self.core = SupervisorCore(cfg, self.plant.now, 0.0)
        self.lifeline = Lifeline(cfg, Context(origin="supervisor.lifeline"))
        self.inputs = Inputs.for_config(cfg)
        self.events: list[PlantEvent] = []
        self.writes: Counter[str] = Counter()
        """Commands sent, per point (a count: the life counter alone writes twice a step)."""
        self.alarm_counts: Counter[str] = Counter()
        self.mode_s: defaultdict[str, float] = defaultdict(float)
        self.band_s = 0.0
        self._starts = SlidingCount(HOUR_S)
        self.max_starts_per_hour = 0
        points = set(self.inputs.points)
        for link in cfg.links.values():  # what the life counter reads of each PLC's local fallback
            points |= {
                p for p in (link.local_mode_point, link.local_seconds_point, link.local_oil_starts_point) if p
            }
        self.absent_s = 0.0
        self.local_s = 0.0
        self.restarts = 0
        self._absent = False
        sinks = [self._to_inputs]
        self.alarms: AlarmEngine | None = None
        if alarms:
            self.alarms = AlarmEngine(cfg, Bus(), self.clock, MemoryAlarmStore())
            self.alarms.listeners.append(self._count_alarm)
            points |= {p for a in cfg.alarms for p in watched_points(a)}
            sinks.append(self.alarms.handle)
        self.tap = PlantTap(cfg, self.plant, points, sinks)
        self._outlet = reader(cfg.io.buffer_outlet)
        self._setpoint = reader(cfg.io.wood_setpoint)
        self._band_k = cfg.plant.regulation_band_k
        self.wall_s = 0.0
        self._next_alarm_tick = 0.0

    def duration_s(self, days: float | None) -> float:
        return days * 86400.0 if days is not None else self.scenario.duration_h * HOUR_S

    def run(self, days: float | None = None, until_s: float | None = None) -> Replay:
        """Replay ``days`` (the scenario's duration by default) or up to model time ``until_s``."""
        end = until_s if until_s is not None else self.plant.t + self.duration_s(days)
        wall0 = time.perf_counter()
        plant, core, inputs, clock = self.plant, self.core, self.inputs, self.clock
        while plant.t < end - 1e-6:
            clock.t = plant.t
            now = plant.now
            if plant.supervisor_absent:  # the whole system is gone: only the plant and its PLCs run
                self._absent = True
                dt = min(self.step_s, end - plant.t)
                self._tally(dt)
                self.absent_s += dt
                plant.step(dt)
                continue
            if self._absent:
                core = self._restart()
            self.tap.poll(now)
            if self.alarms is not None and plant.t >= self._next_alarm_tick:
                self._next_alarm_tick = plant.t + ALARM_TICK_S
                self.alarms.tick()
            for decision in core.evaluate(plant.t, inputs):
                self._apply(decision)
            vouch = inputs.number(Signal.BUFFER_OUTLET) is not None
            for command in self.lifeline.due(plant.t, now, vouch):
                self._apply(command)
            dt = min(self.step_s, end - plant.t)
            self._tally(dt)
            plant.step(dt)
        self.wall_s += time.perf_counter() - wall0
        return self

    def request(self, decisions: Iterable[Any]) -> None:
        """Carry out what the supervisor answered to an operator's request (a season change,
        manual mode) made between steps, as the bus would: events counted, commands written."""
        for decision in decisions:
            self._apply(decision)

    def _restart(self) -> SupervisorCore:
        """The supervisor starts again after an absence: a new core and life counter, the
        inputs as the bridge re-reads them; it takes control back as it would on site."""
        self._absent = False
        self.restarts += 1
        # the season's state is durable (the history's last SEASON_CHANGED): the new core resumes it
        self.core = SupervisorCore(self.cfg, self.plant.now, self.plant.t, self.core.season)
        self.lifeline = Lifeline(self.cfg, Context(origin="supervisor.lifeline"))
        return self.core

    # ---- wiring -------------------------------------------------------------------------------
    def _to_inputs(self, message: Any) -> None:
        if isinstance(message, LinkEvent):
            self.inputs.apply_link(message)
        else:
            self.inputs.apply(message)
            episode = self.lifeline.observe(message)
            if episode is not None:
                self._apply(episode)

    def _apply(self, decision: Any) -> None:
        if isinstance(decision, Command):
            self.writes[decision.point] += 1
            value = decision.value
            written = isinstance(value, bool | int | float) and self.plant.write(decision.point, value)
            if not written:
                result = CommandResult(
                    command_id=decision.id,
                    point=decision.point,
                    value=decision.value,
                    status=CommandStatus.REFUSED,
                    time=decision.time,
                    message="refused by the plant",
                )
                self.core.command_result(self.plant.t, result)
        elif isinstance(decision, PlantEvent):
            self.events.append(decision)
            if decision.kind is PlantEventKind.OIL_STARTED and not decision.values.get("handover"):
                self._starts.add(self.plant.t)
                self.max_starts_per_hour = max(self.max_starts_per_hour, self._starts.count(self.plant.t))
            if self.alarms is not None:
                self.alarms.handle(decision)

    def _count_alarm(self, transition: AlarmTransition, occurrence: Occurrence) -> None:
        if transition.trigger == "activate" and transition.state not in (
            AlarmState.SUPPRESSED,
            AlarmState.OUT_OF_SERVICE,
        ):
            self.alarm_counts[transition.code] += 1

    def _tally(self, dt: float) -> None:
        plant = self.plant
        if plant.supervisor_absent:
            self.mode_s["absent"] += dt
        else:
            self.mode_s[self.core.mode.value] += dt
        if plant.fallback.local:
            self.local_s += dt
        if abs(self._outlet(plant) - self._setpoint(plant)) <= self._band_k:
            self.band_s += dt

    # ---- figures ----------------------------------------------------------------------------
    def oil_starts(self, role: OilRole) -> list[PlantEvent]:
        return [
            e
            for e in self.events
            if e.kind is PlantEventKind.OIL_STARTED and e.oil_role is role and not e.values.get("handover")
        ]

    def summary(self) -> dict[str, Any]:
        c = self.plant.counters
        produced = c.heat_wood_kwh + c.heat_oil_kwh
        model_s = self.plant.t
        handovers = sum(
            1 for e in self.events if e.kind is PlantEventKind.OIL_STARTED and e.values.get("handover")
        )
        return {
            "scenario": self.scenario.name,
            "closed_loop": True,
            "heat_demand_kwh": round(c.demand_kwh, 1),
            "heat_wood_kwh": round(c.heat_wood_kwh, 1),
            "heat_oil_kwh": round(c.heat_oil_kwh, 1),
            "wood_coverage": round(c.heat_wood_kwh / produced, 4) if produced else 1.0,
            "oil_starts_replacement": len(self.oil_starts(OilRole.REPLACEMENT)),
            "oil_starts_topup": len(self.oil_starts(OilRole.TOP_UP)),
            "oil_role_handovers": handovers,
            "oil_starts_max_per_hour": self.max_starts_per_hour,
            "oil_run_hours": round(c.oil_burner_s / HOUR_S, 2),
            "oil_burner_starts": self.plant.oil.starts,
            "buffer_within_band_ratio": round(self.band_s / model_s, 4) if model_s else 1.0,
            "unmet_demand_kwh": round(c.unmet_kwh, 1),
            "unmet_kwh": round(c.unmet_kwh, 1),
            "supervisor_absent_s": round(self.absent_s, 1),
            "supervisor_restarts": self.restarts,
            "local_mode_s": round(self.local_s, 1),
            "oil_starts_local": self.plant.fallback.oil_starts_total,
            "alarms_by_code": dict(sorted(self.alarm_counts.items())),
            "mode_hours": {
                m.value: round(self.mode_s[m.value] / HOUR_S, 2) for m in PlantMode if self.mode_s[m.value]
            },
            "chips_tonnes": round(c.chips_kg / 1000.0, 3),
            "events_by_kind": dict(sorted(Counter(e.kind.value for e in self.events).items())),
            "supervisor_evaluations": self.core.evaluations,
            "model_seconds": round(model_s, 1),
            "wall_seconds": round(self.wall_s, 3),
        }


def run_replay(
    cfg: PlantConfig, scenario: str = "season", days: float | None = None, *, step_s: float | None = None
) -> dict[str, Any]:
    """Replay ``scenario`` for ``days`` (its own duration by default); the figures as a dict.

    The supervisor's and the alarms' one-line-per-event logs are held back to warnings while it
    runs: a season would print thousands of lines; the figures say what happened.
    """
    quiet = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        return Replay(cfg, scenario, step_s=step_s).run(days).summary()
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
