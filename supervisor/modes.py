"""The plant-mode machine: which of wood, wood + oil top-up, oil replacement... the plant is in.

The table below *is* the behaviour. Each row: trigger, source mode(s), destination, guards
(pure functions of :class:`~chaufferie.supervisor.cascade.Facts`) and the reason code the
``MODE_CHANGED`` event carries. For each mode the rows are tried in table order and the first
whose guards all hold fires; one transition per evaluation. ``manual`` / ``manual_ended`` are
fired by operator actions and expiry, ``season_stop`` / ``season_start`` by the agent's
confirmation of the heating season's end or start (:mod:`.season`), not by facts. The
``summer`` mode has no automatic row: it lasts, uncapped, until the agent confirms the start
(a supervisor starting while the summer is in force goes straight back to it).

The machine is a :mod:`transitions` ``Machine`` (states = :class:`PlantMode`, ``queued=True``,
no auto transitions) with the same guards, so a trigger fired by hand obeys the table too.
Every transition emits ``PlantEvent(kind=MODE_CHANGED, mode, previous_mode, reason, values)``.

Imports: the ground floor, :mod:`transitions` and the supervisor's small modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from chaufferie.config.vocabulary import Context, OilRole, PlantEventKind, PlantMode, Scalar
from chaufferie.supervisor.cascade import Facts
from chaufferie.supervisor.emitter import Emitter
from chaufferie.supervisor.reasons import Reason

M = PlantMode
Guard = Callable[[Facts], bool]


# ---- guards: pure functions of the facts ------------------------------------------------
def outlet_known(f: Facts) -> bool:
    return f.outlet_good


def outlet_bad(f: Facts) -> bool:
    return not f.outlet_good


def start_wait_over(f: Facts) -> bool:
    return f.start_wait_over


def replacement_confirmed(f: Facts) -> bool:
    return f.replacement_due


def wood_recovered(f: Facts) -> bool:
    return f.recovered


def topup_confirmed(f: Facts) -> bool:
    return f.topup_due


def topup_over(f: Facts) -> bool:
    return f.topup_over is not None


def oil_in_replacement(f: Facts) -> bool:
    return f.oil_role is OilRole.REPLACEMENT


def oil_in_topup(f: Facts) -> bool:
    return f.oil_role is OilRole.TOP_UP


def oil_off(f: Facts) -> bool:
    return f.oil_role is None


def in_summer(f: Facts) -> bool:
    return f.summer


# ---- reasons taken from the facts ---------------------------------------------------------
def unavailable_reason(f: Facts) -> Reason:
    return f.unavailable or Reason.WOOD_FAULT


def topup_over_reason(f: Facts) -> Reason:
    return f.topup_over or Reason.TOPUP_NO_LONGER_NEEDED


@dataclass(frozen=True, slots=True)
class Row:
    trigger: str
    source: tuple[PlantMode, ...]
    dest: PlantMode
    guards: tuple[Guard, ...]
    reason: Reason | Callable[[Facts], Reason]


AUTOMATIC = (M.WOOD, M.WOOD_WITH_TOPUP, M.OIL_REPLACEMENT)

TRANSITIONS: tuple[Row, ...] = (
    # the agent confirmed the end of the heating season before this start: summer again
    Row("start", (M.STOPPED,), M.SUMMER, (in_summer,), Reason.SEASON_STOP),
    # oil found running for want of wood (the PLC's local program, a restart): carry on as relève
    Row(
        "start", (M.STOPPED,), M.OIL_REPLACEMENT, (outlet_known, oil_in_replacement), Reason.SUPERVISOR_START
    ),
    Row("start", (M.STOPPED,), M.WOOD, (outlet_known,), Reason.SUPERVISOR_START),
    Row("input_bad", (M.STOPPED,), M.DEGRADED, (outlet_bad, start_wait_over), Reason.INPUT_BAD),
    Row("input_bad", AUTOMATIC, M.DEGRADED, (outlet_bad,), Reason.INPUT_BAD),
    Row(
        "wood_failed",
        (M.WOOD, M.WOOD_WITH_TOPUP),
        M.OIL_REPLACEMENT,
        (replacement_confirmed,),
        unavailable_reason,
    ),
    Row("wood_insufficient", (M.WOOD,), M.WOOD_WITH_TOPUP, (topup_confirmed,), Reason.WOOD_INSUFFICIENT),
    Row("topup_ended", (M.WOOD_WITH_TOPUP,), M.WOOD, (topup_over,), topup_over_reason),
    Row("wood_recovered", (M.OIL_REPLACEMENT,), M.WOOD, (wood_recovered,), Reason.WOOD_RECOVERED),
    Row(
        "input_restored",
        (M.DEGRADED,),
        M.OIL_REPLACEMENT,
        (outlet_known, oil_in_replacement),
        Reason.INPUT_RESTORED,
    ),
    Row(
        "input_restored",
        (M.DEGRADED,),
        M.WOOD_WITH_TOPUP,
        (outlet_known, oil_in_topup),
        Reason.INPUT_RESTORED,
    ),
    Row("input_restored", (M.DEGRADED,), M.WOOD, (outlet_known, oil_off), Reason.INPUT_RESTORED),
)
"""Automatic transitions, by priority for each source mode."""

HEATING = (*AUTOMATIC, M.DEGRADED)
"""The modes a confirmed end of season leaves for ``summer``."""

OPERATOR_TRANSITIONS: tuple[tuple[str, str | tuple[PlantMode, ...], PlantMode], ...] = (
    ("manual", "*", M.MANUAL),
    ("manual_ended", (M.MANUAL,), M.WOOD),
    ("manual_ended_summer", (M.MANUAL,), M.SUMMER),
    ("season_stop", HEATING, M.SUMMER),
    ("season_start", (M.SUMMER,), M.WOOD),
)
"""Transitions fired by an operator (guarded by role and request checks in :mod:`.manual`)."""


def _condition(guard: Guard) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        facts: Facts | None = event.kwargs.get("facts")
        return facts is not None and guard(facts)

    return check


def _machine_table() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "trigger": r.trigger,
            "source": [m.name for m in r.source],
            "dest": r.dest.name,
            "conditions": [_condition(g) for g in r.guards],
        }
        for r in TRANSITIONS
    ]
    for trigger, source, dest in OPERATOR_TRANSITIONS:
        names = source if isinstance(source, str) else [m.name for m in source]
        rows.append({"trigger": trigger, "source": names, "dest": dest.name})
    return rows


class ModeMachine:
    """The plant mode, driven by facts (:meth:`step`) and by operators (:meth:`operator`)."""

    state: PlantMode
    trigger: Callable[..., bool]  # bound by transitions' Machine

    def __init__(self, emitter: Emitter, initial: PlantMode = M.STOPPED) -> None:
        self._emit = emitter
        self._rows: dict[PlantMode, tuple[Row, ...]] = {
            mode: tuple(r for r in TRANSITIONS if mode in r.source) for mode in PlantMode
        }
        self.changed_at = emitter.now_s
        self.last_reason: str = Reason.SUPERVISOR_START
        self.machine = Machine(
            model=self,
            states=PlantMode,
            transitions=_machine_table(),
            initial=initial,
            queued=True,
            send_event=True,
            auto_transitions=False,
            after_state_change="_after_change",
        )

    def step(self, facts: Facts) -> bool:
        """Fire the first transition of the current mode whose guards hold; True if one did."""
        for row in self._rows[self.state]:
            for guard in row.guards:
                if not guard(facts):
                    break
            else:
                reason = row.reason if isinstance(row.reason, Reason) else row.reason(facts)
                self.trigger(row.trigger, facts=facts, reason=reason, values=facts.values())
                return True
        return False

    def operator(
        self, trigger: str, reason: Reason, values: Mapping[str, Scalar], parent: Context | None
    ) -> None:
        """Fire an operator transition (``manual``, ``manual_ended``, ``season_stop``...)."""
        self.trigger(trigger, reason=reason, values=values, parent=parent)

    def _after_change(self, event: EventData) -> None:
        source = event.transition.source if event.transition is not None else self.state.name
        previous = PlantMode[source]
        self.changed_at = self._emit.now_s
        self.last_reason = str(event.kwargs["reason"])
        self._emit.event(
            PlantEventKind.MODE_CHANGED,
            event.kwargs["reason"],
            event.kwargs.get("values"),
            mode=self.state,
            previous_mode=previous,
            parent=event.kwargs.get("parent"),
            message=f"{previous.value} -> {self.state.value}",
        )
