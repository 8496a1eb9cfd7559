"""The cascade rules of docs/domain.md §2 as conditions with timers: wood first, oil as backup.

:class:`Cascade` turns the latest :class:`Inputs` and the time into :class:`Facts`, the few
booleans the plant-mode guards read:

* **wood unavailable** (with its reason): PLC fault or lockout, screw jam, silo empty, the wood
  link lost for *more than* ``comm_loss_s``, or no ``running`` within ``startup_grace_s`` after a
  start request. Ignition, de-ashing, burn-out and standby are normal phases, not faults.
* **replacement due**: wood unavailable *and* outlet < SP − ``replacement_drop_k``, both held
  for ``replacement_confirm_s``.
* **wood recovered**: the wood boiler is back — available and in operation since it reached
  ``running`` again — for ``replacement_end_run_s``, and the outlet is ≥ SP −
  ``replacement_end_margin_k``. While the oil boiler holds the buffer the wood boiler cycles
  (running, burn-out, standby: normal phases), so "ran again for 15 min" counts the time back in
  operation, and the outlet is judged when that time is reached (the oil boiler's own aquastat
  lets it dip to SP − 1 K between its burns).
* **top-up due**: wood running with modulation ≥ ``topup_modulation_pct`` for
  ``topup_modulation_s`` *and* outlet < SP − ``topup_drop_k`` for ``topup_drop_s`` (and, if
  set, outdoor < ``topup_outdoor_permit_c``).
* **top-up over**: outlet ≥ SP − ``topup_exit_margin_k`` for ``topup_exit_s``, or modulation
  < ``topup_exit_modulation_pct``.

Thresholds compare strictly ("below", "more than"); delays are met when held *at least* the
delay, except the comm-loss rule which the domain states as "lost for > 120 s". A Bad or
stale value makes its condition false: bad inputs never start oil by themselves.

Imports: the ground floor and the supervisor's own small modules.
"""

from __future__ import annotations

from chaufferie.config.points import Point
from chaufferie.config.vocabulary import OilRole
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.reasons import FAULT_CODE_REASONS, Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import held, since

DEFAULT_WOOD_STATES = {
    0: "off",
    1: "ignition",
    2: "running",
    3: "burn_out",
    4: "de_ashing",
    5: "standby",
    6: "fault",
    7: "lockout",
}


class WoodStates:
    """Numeric codes of the wood boiler's states and fault codes, by name, from the config."""

    __slots__ = ("fault", "fault_reasons", "lockout", "running")

    def __init__(self, state_point: Point | None, fault_code_point: Point | None) -> None:
        names = (state_point.states if state_point and state_point.states else None) or DEFAULT_WOOD_STATES
        by_name = {name: code for code, name in names.items()}
        self.running = by_name.get("running", 2)
        self.fault = by_name.get("fault", 6)
        self.lockout = by_name.get("lockout", 7)
        codes = fault_code_point.states if fault_code_point and fault_code_point.states else {}
        self.fault_reasons = {c: FAULT_CODE_REASONS[n] for c, n in codes.items() if n in FAULT_CODE_REASONS}


class Facts:
    """What the guards read, recomputed in place at each evaluation.

    ``oil_role`` (the oil boiler's current role, kept through ``degraded``),
    ``start_wait_over`` (the supervisor waited ``comm_loss_s`` for a first outlet value) and
    ``summer`` (the agent confirmed the end of the heating season) are set by the core, the rest
    by :class:`Cascade`.
    """

    __slots__ = (
        "modulation",
        "now_s",
        "oil_role",
        "outdoor",
        "outlet",
        "outlet_good",
        "recovered",
        "replacement_due",
        "setpoint",
        "start_wait_over",
        "summer",
        "topup_due",
        "topup_over",
        "unavailable",
        "wood_running",
    )

    def __init__(self) -> None:
        self.now_s = 0.0
        self.outlet: float | None = None
        self.outlet_good = False
        self.setpoint = 0.0
        self.modulation: float | None = None
        self.outdoor: float | None = None
        self.wood_running = False
        self.unavailable: Reason | None = None
        self.replacement_due = False
        self.recovered = False
        self.topup_due = False
        self.topup_over: Reason | None = None
        self.oil_role: OilRole | None = None
        self.start_wait_over = False
        self.summer = False

    def values(self) -> dict[str, float | bool | str | None]:
        """The values behind a decision, for the event's ``values``."""
        return {
            "outlet_c": self.outlet,
            "setpoint_c": self.setpoint,
            "modulation_pct": self.modulation,
            "outdoor_c": self.outdoor,
            "wood_running": self.wood_running,
            "wood_unavailable": self.unavailable.value if self.unavailable else None,
        }


class Cascade(InForce):
    """Timers of the cascade rules; :meth:`update` refreshes :attr:`facts`."""

    __slots__ = (
        "_comm_lost_since",
        "_exit_outlet_since",
        "_high_mod_since",
        "_low_outlet_since",
        "_recovered_since",
        "_replace_since",
        "_start_requested_at",
        "_states",
        "facts",
        "has_run_since_start",
        "ran_since_unavailable",
    )

    def __init__(self, held: Held, states: WoodStates) -> None:
        super().__init__(held)
        self._states = states
        self.facts = Facts()
        self._comm_lost_since: float | None = None
        self._replace_since: float | None = None
        self._recovered_since: float | None = None
        self._high_mod_since: float | None = None
        self._low_outlet_since: float | None = None
        self._exit_outlet_since: float | None = None
        self._start_requested_at: float | None = None
        self.has_run_since_start = True
        self.ran_since_unavailable = True

    def start_requested(self, now: float) -> None:
        """A start (enable or fault reset) was sent: the start-up grace begins."""
        self._start_requested_at = now
        self.has_run_since_start = False

    def update(self, now: float, inp: Inputs, setpoint: float) -> Facts:
        f = self.facts
        f.now_s = now
        f.setpoint = setpoint
        f.outlet = outlet = inp.number(Signal.BUFFER_OUTLET)
        f.outlet_good = outlet is not None
        f.modulation = inp.number(Signal.WOOD_MODULATION)
        f.outdoor = inp.number(Signal.OUTDOOR)
        f.unavailable = self._wood_unavailable(now, inp)
        if f.unavailable is not None:
            self.ran_since_unavailable = False
        elif f.wood_running:
            self.ran_since_unavailable = True
        self._replacement(now, f)
        self._topup(now, f)
        return f

    def _wood_unavailable(self, now: float, inp: Inputs) -> Reason | None:
        s = self._held.s
        comm_ok = inp.wood_link_up and inp.good[Signal.WOOD_STATE]
        self._comm_lost_since = since(self._comm_lost_since, not comm_ok, now)
        if not comm_ok:
            self.facts.wood_running = False
            lost = self._comm_lost_since is not None and now - self._comm_lost_since > s.comm_loss_s
            return Reason.COMM_LOSS if lost else None
        state = inp.values[Signal.WOOD_STATE]
        states = self._states
        running = state == states.running
        self.facts.wood_running = running
        if running:
            self.has_run_since_start = True
        if state == states.fault or state == states.lockout:
            code = inp.values[Signal.WOOD_FAULT_CODE] if inp.good[Signal.WOOD_FAULT_CODE] else None
            specific = states.fault_reasons.get(int(code)) if isinstance(code, int | float) else None
            return specific or (Reason.WOOD_LOCKOUT if state == states.lockout else Reason.WOOD_FAULT)
        if inp.flag(Signal.SCREW_JAMMED):
            return Reason.SCREW_JAM
        if inp.flag(Signal.SILO_EMPTY):
            return Reason.SILO_EMPTY
        started = self._start_requested_at
        if not self.has_run_since_start and started is not None and now - started > s.startup_grace_s:
            return Reason.START_TIMEOUT
        return None

    def _replacement(self, now: float, f: Facts) -> None:
        s = self._held.s
        outlet = f.outlet
        cold = outlet is not None and outlet < f.setpoint - s.replacement_drop_k
        self._replace_since = since(self._replace_since, f.unavailable is not None and cold, now)
        f.replacement_due = held(self._replace_since, now, s.replacement_confirm_s)
        back = f.unavailable is None and self.ran_since_unavailable
        self._recovered_since = since(self._recovered_since, back, now)
        warm = outlet is not None and outlet >= f.setpoint - s.replacement_end_margin_k
        f.recovered = warm and held(self._recovered_since, now, s.replacement_end_run_s)

    def _topup(self, now: float, f: Facts) -> None:
        s = self._held.s
        outlet, modulation = f.outlet, f.modulation
        high = f.wood_running and modulation is not None and modulation >= s.topup_modulation_pct
        self._high_mod_since = since(self._high_mod_since, high, now)
        low = outlet is not None and outlet < f.setpoint - s.topup_drop_k
        self._low_outlet_since = since(self._low_outlet_since, low, now)
        permit = s.topup_outdoor_permit_c is None or (
            f.outdoor is not None and f.outdoor < s.topup_outdoor_permit_c
        )
        f.topup_due = (
            permit
            and f.unavailable is None
            and held(self._high_mod_since, now, s.topup_modulation_s)
            and held(self._low_outlet_since, now, s.topup_drop_s)
        )
        back = outlet is not None and outlet >= f.setpoint - s.topup_exit_margin_k
        self._exit_outlet_since = since(self._exit_outlet_since, back, now)
        if held(self._exit_outlet_since, now, s.topup_exit_s):
            f.topup_over = Reason.TOPUP_NO_LONGER_NEEDED
        elif modulation is not None and modulation < s.topup_exit_modulation_pct:
            f.topup_over = Reason.WOOD_MODULATION_LOW
        else:
            f.topup_over = None
