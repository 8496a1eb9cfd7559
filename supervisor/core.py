"""The supervisor's pure, synchronous core: ``evaluate(now_s, inputs) -> decisions``.

:class:`SupervisorCore` holds every timer as a "true since" timestamp in the injected clock's
``monotonic()`` seconds; it never reads a clock, sleeps or touches the bus. Each evaluation:

1. heating curve → setpoint in force (:mod:`.wood`);
2. cascade facts (:mod:`.cascade`) → at most one plant-mode transition (:mod:`.modes`);
3. manual-mode expiry;
4. oil boiler: wanted role from the mode → protected start/stop, and its aquastat setpoint
   for that role (:mod:`.oil`);
5. wood boiler enable and automatic fault resets (:mod:`.wood`);
6. pumps (:mod:`.pumps`), the network pumps' run permit, and transfer screws (:mod:`.screws`).

In the ``summer`` mode (the agent confirmed the end of the heating season, :mod:`.season`)
the oil boiler is off; with ``season.summer: stopped`` the wood boiler and the network pumps
are off too; with ``dhw_only`` the wood boiler holds the buffer at ``season.dhw_setpoint_c``
and the network pumps run for the substations' hot water (docs/domain.md, « Saison de
chauffe »).

Operator actions (:meth:`manual_request`, :meth:`season_request`) and command results
(:meth:`command_result`) are taken between evaluations. The decisions are bus messages (:class:`PlantEvent`,
:class:`Command`, refused :class:`OperatorAction`) stamped by the injected time base.

The cascade settings are read from the configuration in force (a
:class:`~chaufferie.config.live.LiveConfig`) at each decision: a threshold, delay or heating
curve changed from the HMI applies at the next evaluation, timers and state kept. The point
map (``io``, points) and the site are read at start.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.season import SummerMode
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    CommandResult,
    CommandStatus,
    Context,
    ManualModeRequest,
    OilRole,
    PlantEventKind,
    PlantMode,
    Scalar,
    SeasonRequest,
)
from chaufferie.supervisor.cascade import Cascade, WoodStates
from chaufferie.supervisor.emitter import ORIGIN, Decision, Emitter, Outputs
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.manual import ManualRequest, audit, parse_manual
from chaufferie.supervisor.modes import HEATING, ModeMachine
from chaufferie.supervisor.oil import OilControl, OilSetpoint
from chaufferie.supervisor.pumps import Pumps
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.screws import Screws
from chaufferie.supervisor.season import Pending, SeasonState, judge, pending
from chaufferie.supervisor.season import audit as season_audit
from chaufferie.supervisor.settings import Held
from chaufferie.supervisor.timers import Schedule, TimeBase
from chaufferie.supervisor.wood import Restarts, Setpoint

OIL_BY_MODE: dict[PlantMode, OilRole | None] = {
    PlantMode.STOPPED: None,
    PlantMode.WOOD: None,
    PlantMode.WOOD_WITH_TOPUP: OilRole.TOP_UP,
    PlantMode.OIL_REPLACEMENT: OilRole.REPLACEMENT,
    PlantMode.SUMMER: None,
}
"""Oil role wanted in each mode (``degraded`` keeps the current one, ``manual`` the forced one)."""

WOOD_IDLE_PCT = 1.0
"""Below this modulation the wood boiler delivers nothing (an oil boiler found running replaces it)."""


class SupervisorCore:
    """Plant mode, cascade, oil, wood, pumps and screws, evaluated on demand."""

    def __init__(
        self,
        cfg: PlantConfig | LiveConfig,
        epoch_wall: datetime,
        epoch_s: float = 0.0,
        season: SeasonState | None = None,
    ) -> None:
        """``season``: the heating season's state at start (the last one recorded), in season
        when None."""
        self.live = as_live(cfg)
        self.held = s = Held(self.live)
        self.io = io = self.cfg.io  # the point map: read at start
        points = self.cfg.points_by_name
        self.base = TimeBase(epoch_wall, epoch_s, self.cfg.site.timezone)
        self.emit = Emitter(self.base)
        self.outputs = Outputs(s)
        self.wood_states = WoodStates(points.get(io.wood_state), points.get(io.wood_fault_code))
        self.cascade = Cascade(s, self.wood_states)
        self.modes = ModeMachine(self.emit)
        self.oil = OilControl(s, io.oil_enable, self._oil_values)
        self.oil_setpoint = OilSetpoint(s, io.oil_setpoint)
        self.setpoint = Setpoint(s, io.wood_setpoint)
        self.restarts = Restarts(s, io.wood_fault_reset)
        self.pump_swap = Schedule(self.base, epoch_s, self._pump_swap_at)
        self.screw_test = Schedule(self.base, epoch_s, self._screw_test_at)
        self.pumps = Pumps(s, io.pump_duty, self.pump_swap)
        self.screws = Screws(s, io.screw_reverse_test, io.screw_cutoff, self.screw_test)
        self.started_s = epoch_s
        self.manual: ManualRequest | None = None
        self.manual_until = 0.0
        self.season = season or SeasonState()
        self._oil_reason: Reason | str = Reason.SUPERVISOR_START
        self._oil_parent: Context | None = None
        self.evaluations = 0

    @property
    def cfg(self) -> PlantConfig:
        """The configuration in force."""
        return self.live.current

    def _pump_swap_at(self) -> tuple[time, int | None]:
        s = self.held.s
        return s.pump_swap_time, s.pump_swap_weekday

    def _screw_test_at(self) -> tuple[time, int | None]:
        return self.held.s.screw_test_time, None

    @property
    def mode(self) -> PlantMode:
        return self.modes.state

    def evaluate(self, now_s: float, inp: Inputs) -> Sequence[Decision]:
        """Decide from ``inp`` at ``now_s``; the events and commands to publish."""
        self.evaluations += 1
        settings = self.held.read()
        emit = self.emit
        emit.begin(now_s)
        sp = self._setpoint(inp)
        facts = self.cascade.update(now_s, inp, sp)
        if self.mode is PlantMode.STOPPED and self.oil.role is None and inp.flag(Signal.OIL_ENABLE):
            self._adopt_oil(inp)
        facts.oil_role = self.oil.role
        facts.start_wait_over = now_s - self.started_s >= settings.comm_loss_s
        facts.summer = self.season.summer
        before = self.mode
        if self.modes.step(facts):
            self._mode_changed(before, inp)
        if self.manual is not None and now_s >= self.manual_until:
            self._end_manual(Reason.MANUAL_EXPIRED, None)
        in_control = self.mode is not PlantMode.STOPPED
        heat = not self._summer_stopped
        if in_control:
            if self.setpoint.written is None and heat:
                self._setpoint(inp, write=True)
            self.oil.step(emit, self.outputs, self._wanted_oil(), self._oil_reason, self._oil_parent)
            self.oil_setpoint.step(emit, self.setpoint.value, self.oil.role)
            self._wood(inp)
            self.outputs.want(emit, self.io.pump_enable, heat, self._season_reason)
        self.pumps.step(emit, inp, in_control and heat and not self._forced_stop)
        self.screws.step(emit, inp, self.outputs, in_control)
        return emit.take()

    # ---- operator and command feedback ---------------------------------------------------------
    def manual_request(self, now_s: float, request: ManualModeRequest) -> Sequence[Decision]:
        """Force a mode or release it, as an operator asked; its one audit record and decisions."""
        self.emit.begin(now_s)
        outcome = parse_manual(request, self.held.read().manual_mode_max_s)
        self.emit.audit(audit(request, outcome))
        if isinstance(outcome, ManualRequest):
            if outcome.forced is not None:
                self._start_manual(outcome)
            elif self.manual is not None:
                self._end_manual(Reason.MANUAL_RELEASED, outcome.context)
        return self.emit.take()

    def season_request(self, now_s: float, request: SeasonRequest) -> Sequence[Decision]:
        """End or start the heating season, as the agent confirmed; its one audit record and
        decisions (the ``SEASON_CHANGED`` event, the change of mode unless in manual mode: the
        mode manual mode returns to then follows the season)."""
        self.emit.begin(now_s)
        self.held.read()
        refused = judge(request, self.season)
        self.emit.audit(season_audit(request, refused, self.season_pending()))
        if refused is None:
            self._change_season(request)
        return self.emit.take()

    def season_pending(self) -> Pending | None:
        """The scheduled start or stop waiting for the agent's confirmation today, if any."""
        today = self.emit.wall.astimezone(self.base.zone).date()
        return pending(self.cfg.season, today, self.season)

    def command_result(self, now_s: float, result: CommandResult) -> None:
        """A write we asked for failed or was refused: plan a retry (after ``command_retry_s``)."""
        if result.point == self.io.screw_reverse_test:
            if result.status is CommandStatus.CONFIRMED and result.context.origin != ORIGIN:
                # an operator's own write started a test: follow it, no second pulse
                self.screws.request_test(result.context, pulse=False)
            return
        if result.status is CommandStatus.CONFIRMED:
            return
        io, retry_s = self.io, self.held.read().command_retry_s
        if result.point == io.wood_setpoint:
            self.setpoint.rewrite(now_s + retry_s)
        elif result.point == io.oil_setpoint:
            self.oil_setpoint.rewrite(now_s + retry_s)
        elif result.point == io.pump_duty:
            self.pumps.duty = None  # believe the read-back again; a failed duty pump is switched anew
        else:
            self.outputs.failed(result.point, now_s)

    # ---- internals -------------------------------------------------------------------------------
    @property
    def _forced_stop(self) -> bool:
        return self.manual is not None and self.manual.forced is PlantMode.STOPPED

    @property
    def _summer_stopped(self) -> bool:
        """Summer mode with the plant stopped: no wood boiler, no network pumps."""
        return self.mode is PlantMode.SUMMER and self.cfg.season.summer is SummerMode.STOPPED

    @property
    def _season_reason(self) -> Reason:
        return Reason.SEASON_STOP if self.mode is PlantMode.SUMMER else Reason.SEASON_START

    def _setpoint(self, inp: Inputs, write: bool | None = None) -> float:
        """The buffer setpoint in force: the heating curve's, or in ``dhw_only`` summer mode
        the hot-water setpoint (none written in ``stopped`` summer mode nor before control)."""
        season = self.cfg.season
        if self.mode is PlantMode.SUMMER and season.summer is SummerMode.DHW_ONLY:
            return self.setpoint.hold(self.emit, season.dhw_setpoint_c, Reason.SEASON_STOP)
        if write is None:
            write = self.mode not in (PlantMode.STOPPED, PlantMode.SUMMER)
        return self.setpoint.step(self.emit, inp, write=write)

    def _change_season(self, request: SeasonRequest) -> None:
        summer, context = request.summer, request.context
        today = self.emit.wall.astimezone(self.base.zone).date()
        self.season = SeasonState(summer, today, context.user)
        reason = Reason.SEASON_STOP if summer else Reason.SEASON_START
        values = {**self.season.values(), "summer_mode": self.cfg.season.summer.value}
        self.emit.event(PlantEventKind.SEASON_CHANGED, reason, values, mode=self.mode, parent=context)
        if self.manual is not None:
            return  # manual mode goes on; its end returns to the season's mode
        trigger = None
        if summer and self.mode in HEATING:
            trigger = "season_stop"
        elif not summer and self.mode is PlantMode.SUMMER:
            trigger = "season_start"
        if trigger is not None:
            self.modes.operator(trigger, reason, values, context)
            self._oil_reason, self._oil_parent = reason, context

    def _wanted_oil(self) -> OilRole | None:
        if self.manual is not None and self.manual.forced is not None:
            return OIL_BY_MODE[self.manual.forced]
        if self.mode is PlantMode.DEGRADED:
            return self.oil.role
        return OIL_BY_MODE.get(self.mode)

    def _mode_changed(self, before: PlantMode, inp: Inputs) -> None:
        """Log a bad/restored input; adopt an oil boiler found enabled when taking control; the
        oil start or stop that follows carries the reason of the change."""
        point = self.io.buffer_outlet
        if self.mode is PlantMode.DEGRADED:
            values = {"point": point, "value": inp.values[Signal.BUFFER_OUTLET]}
            self.emit.event(PlantEventKind.INPUT_BAD, Reason.INPUT_BAD, values, mode=self.mode)
            return
        if before is PlantMode.DEGRADED:
            values = {"point": point, "value": inp.values[Signal.BUFFER_OUTLET]}
            self.emit.event(PlantEventKind.INPUT_RESTORED, Reason.INPUT_RESTORED, values, mode=self.mode)
        self._oil_reason = self.modes.last_reason
        self._oil_parent = None

    def _adopt_oil(self, inp: Inputs) -> None:
        """Taking control with the oil boiler found enabled (a restart, the PLC's local program):
        adopted, not restarted; as relève when the wood boiler delivers nothing or is known
        unavailable (the mode then starts in oil replacement), as top-up otherwise."""
        modulation = inp.number(Signal.WOOD_MODULATION)
        idle = modulation is None or modulation < WOOD_IDLE_PCT
        unavailable = self.cascade.facts.unavailable is not None
        self.oil.adopt(self.emit.now_s, OilRole.REPLACEMENT if unavailable or idle else OilRole.TOP_UP)

    def _oil_values(self) -> dict[str, Scalar]:
        """What an oil start or stop carries: buffer outlet (by point name), setpoint, wood."""
        f, io = self.cascade.facts, self.io
        return {
            io.buffer_outlet: f.outlet,
            "setpoint_c": f.setpoint,
            io.wood_modulation: f.modulation,
            io.outdoor: f.outdoor,
            "wood_unavailable": f.unavailable.value if f.unavailable else None,
        }

    def _wood(self, inp: Inputs) -> None:
        enable = not self._forced_stop and not self._summer_stopped
        point = self.io.wood_enable
        if enable and self.outputs.last(point) is not True:
            self.cascade.start_requested(self.emit.now_s)
        why = Reason.SUPERVISOR_START if enable else Reason.MANUAL
        if self._summer_stopped:
            why = Reason.SEASON_STOP
        self.outputs.want(self.emit, point, enable, why)
        in_fault = inp.good[Signal.WOOD_STATE] and inp.values[Signal.WOOD_STATE] == self.wood_states.fault
        if self.restarts.step(self.emit, in_fault and enable):
            self.cascade.start_requested(self.emit.now_s)

    def _start_manual(self, request: ManualRequest) -> None:
        self.manual = request
        self.manual_until = self.emit.now_s + request.duration_s
        values = {
            "forced": request.forced.value if request.forced else None,
            "duration_s": request.duration_s,
            "user": request.context.user,
        }
        self.modes.operator("manual", Reason.MANUAL, values, request.context)
        self._oil_reason, self._oil_parent = Reason.MANUAL, request.context

    def _end_manual(self, reason: Reason, parent: Context | None) -> None:
        self.manual = None
        trigger = "manual_ended_summer" if self.season.summer else "manual_ended"
        self.modes.operator(trigger, reason, {"user": parent.user if parent else None}, parent)
        self._oil_reason, self._oil_parent = reason, parent
