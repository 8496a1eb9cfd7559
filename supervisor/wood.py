"""The wood boiler side: heating-curve setpoint and automatic fault resets (restarts).

* :func:`curve_setpoint` — buffer setpoint from the outdoor temperature: linear between the
  configured curve points, flat beyond the ends, clamped to ``setpoint_min_c`` ..
  ``setpoint_max_c``. :class:`Setpoint` writes it (rounded to 0.1 K) only when it moved by
  *more than* ``setpoint_step_k`` since the last write; a Bad outdoor value keeps the setpoint;
  in summer hot-water mode it holds a fixed setpoint instead (:meth:`Setpoint.hold`).
* :class:`Restarts` — a wood boiler in ``fault`` (not ``lockout``: that one needs a person)
  for ``wood_restart_delay_s`` is reset by a pulse on ``io.wood_fault_reset``, at most
  ``wood_max_restarts_24h`` times in a sliding 24 h; then one ``WOOD_RESTARTS_EXHAUSTED``
  event per fault episode and no more resets.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

from itertools import pairwise

from chaufferie.config.plant import CascadeSettings, HeatingCurvePoint
from chaufferie.config.vocabulary import PlantEventKind
from chaufferie.supervisor.emitter import Emitter
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import SlidingCount, held, since

DAY_S = 86400.0


def curve_setpoint(curve: tuple[HeatingCurvePoint, ...], outdoor_c: float, low: float, high: float) -> float:
    """Setpoint for ``outdoor_c`` on ``curve`` (rising outdoor_c), clamped to [low, high]."""
    if outdoor_c <= curve[0].outdoor_c:
        value = curve[0].setpoint_c
    elif outdoor_c >= curve[-1].outdoor_c:
        value = curve[-1].setpoint_c
    else:
        value = curve[-1].setpoint_c
        for a, b in pairwise(curve):
            if outdoor_c <= b.outdoor_c:
                ratio = (outdoor_c - a.outdoor_c) / (b.outdoor_c - a.outdoor_c)
                value = a.setpoint_c + ratio * (b.setpoint_c - a.setpoint_c)
                break
    return min(high, max(low, value))


class Setpoint(InForce):
    """The buffer setpoint in force and its writes along the heating curve."""

    __slots__ = ("_curve_of", "_outdoor", "_point", "_retry_at", "value", "written")

    def __init__(self, held: Held, point: str) -> None:
        super().__init__(held)
        self._point = point
        self._retry_at = 0.0
        self._outdoor: float | None = None
        self._curve_of: CascadeSettings | None = None  # the settings the last value came from
        self.written: float | None = None
        self.value = self._held.s.setpoint_max_c

    def step(self, emit: Emitter, inp: Inputs, write: bool = True) -> float:
        """Write a new setpoint if the curve moved enough; return the setpoint in force.

        With ``write`` False (supervisor not in control yet) only the curve value is computed.
        """
        outdoor = inp.number(Signal.OUTDOOR)
        if outdoor is None:
            if self.written is None:
                readback = inp.number(Signal.WOOD_SETPOINT)
                if readback is not None:
                    self.value = readback
            return self.value
        s = self._held.s
        if outdoor == self._outdoor and s is self._curve_of and write and self.written is not None:
            return self.value  # nothing moved since the last evaluation (curve and bounds alike)
        self._outdoor, self._curve_of = outdoor, s
        target = round(curve_setpoint(s.heating_curve, outdoor, s.setpoint_min_c, s.setpoint_max_c), 1)
        if not write or (self.written is None and emit.now_s < self._retry_at):
            self.value = target
            return target
        if self.written is None or abs(target - self.written) > s.setpoint_step_k:
            values = {"outdoor_c": outdoor, "setpoint_c": target, "previous_c": self.written}
            self.written = self.value = target
            emit.command(self._point, target, Reason.HEATING_CURVE)
            emit.event(PlantEventKind.SETPOINT_CHANGED, Reason.HEATING_CURVE, values)
        return self.value

    def hold(self, emit: Emitter, target: float, reason: Reason) -> float:
        """Hold ``target`` instead of the curve (summer hot water); the curve's value is
        written again at the first :meth:`step` after the hold."""
        self._outdoor = None
        if self.written is None and emit.now_s < self._retry_at:
            return self.value
        if self.written != target:
            values = {"setpoint_c": target, "previous_c": self.written}
            self.written = self.value = target
            emit.command(self._point, target, reason)
            emit.event(PlantEventKind.SETPOINT_CHANGED, reason, values)
        return self.value

    def rewrite(self, at_s: float) -> None:
        """The last write failed: write again from ``at_s`` on."""
        self.written = None
        self._retry_at = at_s


class Restarts(InForce):
    """Automatic wood boiler fault resets, limited per 24 h."""

    __slots__ = ("_fault_since", "_last_reset", "_point", "_window", "exhausted", "total")

    def __init__(self, held: Held, reset_point: str) -> None:
        super().__init__(held)
        self._point = reset_point
        self._window = SlidingCount(DAY_S)
        self._fault_since: float | None = None
        self._last_reset: float | None = None
        self.exhausted = False
        self.total = 0

    def step(self, emit: Emitter, in_fault: bool) -> bool:
        """Reset a standing fault when due; True when a restart (start request) was sent."""
        now = emit.now_s
        self._fault_since = since(self._fault_since, in_fault, now)
        if not in_fault:
            self.exhausted = False
            return False
        if not held(self._fault_since, now, self._held.s.wood_restart_delay_s):
            return False
        if self._last_reset is not None and now - self._last_reset < self._held.s.wood_restart_delay_s:
            return False
        done = self._window.count(now)
        if done >= self._held.s.wood_max_restarts_24h:
            if not self.exhausted:
                self.exhausted = True
                emit.event(
                    PlantEventKind.WOOD_RESTARTS_EXHAUSTED, Reason.RESTARTS_EXHAUSTED, {"restarts_24h": done}
                )
            return False
        self._window.add(now)
        self._last_reset = now
        self.total += 1
        emit.command(self._point, True, Reason.AUTO_RESTART)
        emit.event(PlantEventKind.WOOD_RESTART, Reason.AUTO_RESTART, {"restarts_24h": done + 1})
        return True
