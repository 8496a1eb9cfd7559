"""The oil boiler's enable, protected: minimum run, minimum off, starts per hour.

The plant mode says what the oil boiler *should* do (off, replacement or top-up, with the
reason of the mode change); :class:`OilControl` decides what it *does*: a start waits for
``oil_min_off_s`` after the last stop and for a free slot among ``oil_max_starts_per_hour``
(sliding 60 min); a stop waits for ``oil_min_run_s`` after the start. A change of role while
running (top-up becoming replacement) is not a start: it emits ``OIL_STOPPED`` for the old
role and ``OIL_STARTED`` for the new one with ``values["handover"] = True``, so each role's
alarm opens and closes, without touching the burner. An oil boiler found enabled when the
supervisor takes control (after a restart) is adopted (:meth:`OilControl.adopt`), not restarted.

:class:`OilSetpoint` writes the oil boiler's own aquastat setpoint (``io.oil_setpoint``): in
top-up ``topup_oil_setpoint_offset_k`` below the buffer setpoint, so the wood boiler's own
controller stays at full fire and the oil boiler only fills the gap (with both on the same
setpoint the oil boiler holds the buffer at setpoint, the wood boiler backs off, the top-up ends
and starts again); in replacement, and while off, the buffer setpoint itself. It follows the
heating curve when the wanted value moves by more than ``setpoint_step_k``.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chaufferie.config.vocabulary import Context, OilRole, PlantEventKind, Scalar
from chaufferie.supervisor.emitter import Emitter, Outputs
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import SlidingCount

log = logging.getLogger("chaufferie.supervisor")

HOUR_S = 3600.0


class OilControl(InForce):
    """Turns the wanted oil role into protected enable commands and oil events."""

    __slots__ = ("_blocked", "_changed_at", "_point", "_snapshot", "_starts", "role", "starts_total")

    def __init__(self, held: Held, enable_point: str, snapshot: Callable[[], dict[str, Scalar]]) -> None:
        """``snapshot`` gives the plant values each oil event carries (buffer outlet, setpoint...)."""
        super().__init__(held)
        self._point = enable_point
        self._snapshot = snapshot
        self.role: OilRole | None = None
        self._changed_at: float | None = None
        self._starts = SlidingCount(HOUR_S)
        self._blocked = ""
        self.starts_total = 0

    @property
    def on(self) -> bool:
        return self.role is not None

    def starts_last_hour(self, now: float) -> int:
        return self._starts.count(now)

    def step(
        self,
        emit: Emitter,
        outputs: Outputs,
        want: OilRole | None,
        reason: Reason | str,
        parent: Context | None = None,
    ) -> None:
        """Move towards ``want`` as far as the protections allow; keep the enable asserted."""
        now = emit.now_s
        if want is not None and self.role is None:
            if self._may_start(now):
                self._start(emit, want, reason, parent)
        elif want is None and self.role is not None:
            if self._changed_at is None or now - self._changed_at >= self._held.s.oil_min_run_s:
                self._stop(emit, reason, parent)
        elif want is not None and want is not self.role:
            values = {**self._snapshot(), "handover": True}
            emit.event(PlantEventKind.OIL_STOPPED, reason, values, oil_role=self.role, parent=parent)
            self.role = want
            emit.event(PlantEventKind.OIL_STARTED, reason, values, oil_role=want, parent=parent)
        outputs.want(emit, self._point, self.role is not None, reason)

    def adopt(self, now: float, role: OilRole) -> None:
        """Take over an oil boiler found enabled (a supervisor restart): no new start, no event.

        The minimum run counts from now; the cascade then keeps it, changes its role or stops it.
        """
        self.role = role
        self._changed_at = now
        log.info("oil boiler found enabled: adopted as %s", role.value)

    def _may_start(self, now: float) -> bool:
        s = self._held.s
        if self._changed_at is not None and now - self._changed_at < s.oil_min_off_s:
            return self._block("min_off")
        if self._starts.count(now) >= s.oil_max_starts_per_hour:
            return self._block("max_starts_per_hour")
        self._blocked = ""
        return True

    def _block(self, why: str) -> bool:
        if self._blocked != why:
            self._blocked = why
            log.info("oil start delayed by protection %s", why)
        return False

    def _start(self, emit: Emitter, role: OilRole, reason: Reason | str, parent: Context | None) -> None:
        now = emit.now_s
        self.role = role
        self._changed_at = now
        self._starts.add(now)
        self.starts_total += 1
        values = {**self._snapshot(), "starts_last_hour": self._starts.count(now)}
        emit.event(PlantEventKind.OIL_STARTED, reason, values, oil_role=role, parent=parent)

    def _stop(self, emit: Emitter, reason: Reason | str, parent: Context | None) -> None:
        now = emit.now_s
        ran = now - self._changed_at if self._changed_at is not None else 0.0
        values = {**self._snapshot(), "run_s": ran}
        emit.event(PlantEventKind.OIL_STOPPED, reason, values, oil_role=self.role, parent=parent)
        self.role = None
        self._changed_at = now


class OilSetpoint(InForce):
    """The oil boiler's aquastat setpoint for its current role, written when it moves."""

    __slots__ = ("_point", "_retry_at", "_topup", "written")

    def __init__(self, held: Held, point: str) -> None:
        super().__init__(held)
        self._point = point
        self._retry_at = 0.0
        self._topup = False
        self.written: float | None = None

    def wanted(self, setpoint_c: float, role: OilRole | None) -> float:
        """SP − offset in top-up, SP otherwise (rounded to 0.1 K)."""
        offset = self._held.s.topup_oil_setpoint_offset_k if role is OilRole.TOP_UP else 0.0
        return round(setpoint_c - offset, 1)

    def step(self, emit: Emitter, setpoint_c: float, role: OilRole | None) -> None:
        """Write the wanted setpoint on a change of role or when it moved by more than the step."""
        if emit.now_s < self._retry_at:
            return
        topup = role is OilRole.TOP_UP
        target = self.wanted(setpoint_c, role)
        written = self.written
        if written is None or topup != self._topup or abs(target - written) > self._held.s.setpoint_step_k:
            self.written, self._topup = target, topup
            emit.command(self._point, target, Reason.OIL_SETPOINT)

    def rewrite(self, at_s: float) -> None:
        """The last write failed: write again from ``at_s`` on."""
        self.written = None
        self._retry_at = at_s
