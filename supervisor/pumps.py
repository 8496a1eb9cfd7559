"""Duty/standby network pumps: switchover on failure, weekly swap, both-failed event.

The duty pump has *failed* when it reports a fault, or when the network flow stays below
``pump_no_flow_m3h`` while it is commanded (plant not stopped), either held for
``pump_fault_confirm_s``. Then the standby pump becomes duty (``Command`` on ``io.pump_duty``
and one ``PUMP_SWITCHED`` event) unless it has failed too: one ``PUMPS_BOTH_FAILED`` event
until a pump is healthy again (the switch back to it emits ``PUMP_SWITCHED``, which clears the
alarm). A pump failed by its fault flag is healthy again when the flag clears; one failed by
no flow stays failed until the supervisor restarts (someone must look at it).

Every week at ``pump_swap_weekday`` / ``pump_swap_time`` (site local time) the duty swaps
(``PUMP_DUTY_SWAPPED``) if the standby pump is healthy, so both wear evenly.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

from chaufferie.config.vocabulary import PlantEventKind
from chaufferie.supervisor.emitter import Emitter
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import Schedule, held, since

_FAULT = {1: Signal.PUMP1_FAULT, 2: Signal.PUMP2_FAULT}


class Pumps(InForce):
    """Which pump is duty, and which have failed."""

    __slots__ = ("_both_reported", "_fail_since", "_point", "_schedule", "duty", "failed")

    def __init__(self, held: Held, duty_point: str, schedule: Schedule) -> None:
        super().__init__(held)
        self._point = duty_point
        self._schedule = schedule
        self.duty: int | None = None
        self.failed: dict[int, Reason | None] = {1: None, 2: None}
        self._fail_since: float | None = None
        self._both_reported = False

    def step(self, emit: Emitter, inp: Inputs, commanded: bool) -> None:
        now = emit.now_s
        duty = self.duty
        if duty is None:
            readback = inp.number(Signal.PUMP_DUTY)
            if readback not in (1.0, 2.0):
                return
            duty = self.duty = int(readback or 1)
        self._forget_recovered(inp)
        cause = self._failure(inp, duty, commanded)
        self._fail_since = since(self._fail_since, cause is not None, now)
        if cause is not None and held(self._fail_since, now, self._held.s.pump_fault_confirm_s):
            self.failed[duty] = cause
            self._fail_since = None
        other = 3 - duty
        other_healthy = self.failed[other] is None and not inp.flag(_FAULT[other])
        if self.failed[duty] is not None:
            if other_healthy:
                self._both_reported = False
                reason = self.failed[duty] or Reason.PUMP_FAULT
                self._switch(emit, other, PlantEventKind.PUMP_SWITCHED, reason, inp)
            elif not self._both_reported:
                self._both_reported = True
                emit.event(PlantEventKind.PUMPS_BOTH_FAILED, Reason.BOTH_PUMPS_FAILED, self._values(inp))
        if self._schedule.due(now) and other_healthy and self.failed[duty] is None:
            self._switch(emit, other, PlantEventKind.PUMP_DUTY_SWAPPED, Reason.WEEKLY_SWAP, inp)

    def _failure(self, inp: Inputs, duty: int, commanded: bool) -> Reason | None:
        if inp.flag(_FAULT[duty]):
            return Reason.PUMP_FAULT
        flow = inp.number(Signal.NETWORK_FLOW)
        if commanded and flow is not None and flow < self._held.s.pump_no_flow_m3h:
            return Reason.PUMP_NO_FLOW
        return None

    def _forget_recovered(self, inp: Inputs) -> None:
        if self.failed[1] is None and self.failed[2] is None:
            return
        for pump, signal in _FAULT.items():
            if self.failed[pump] is Reason.PUMP_FAULT and inp.good[signal] and not inp.values[signal]:
                self.failed[pump] = None

    def _switch(self, emit: Emitter, to: int, kind: PlantEventKind, reason: Reason, inp: Inputs) -> None:
        values = {"from": self.duty, "to": to, **self._values(inp)}
        self.duty = to
        emit.command(self._point, to, reason)
        emit.event(kind, reason, values)

    @staticmethod
    def _values(inp: Inputs) -> dict[str, float | bool | None]:
        return {
            "flow_m3h": inp.number(Signal.NETWORK_FLOW),
            "pump1_fault": inp.flag(Signal.PUMP1_FAULT),
            "pump2_fault": inp.flag(Signal.PUMP2_FAULT),
        }
