"""Is a maintenance task due? The arithmetic alone: pure functions of the task and its usage.

:func:`assess` takes a task of the plan (:class:`~chaufferie.config.maintenance.MaintenanceTask`)
and what was used since it was last done (:class:`Usage`: burner run hours, tonnes of chips,
calendar days) and says, for each trigger and for the task, where it stands:

=========  ================================================================================
stage      when (``used`` against the trigger's ``interval``)
=========  ================================================================================
ok         ``used < interval × (1 − warn_before)``
soon       from ``interval × (1 − warn_before)`` (shown on the HMI, not mailed)
due        from ``interval`` (mailed once)
overdue    from ``interval × (1 + overdue_after)`` (mailed once more)
=========  ================================================================================

The task's stage is the furthest of its triggers'. A trigger whose counter cannot be read
(``None``: no readings of the point yet) is ``unknown`` and decides nothing. No I/O, no clock:
the service reads the counters (:mod:`chaufferie.historian.maintenance_store`) and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chaufferie.config.maintenance import MaintenanceTask, Trigger


class Stage(StrEnum):
    """Where a task or one of its triggers stands, in order of urgency."""

    UNKNOWN = "unknown"
    OK = "ok"
    SOON = "soon"
    DUE = "due"
    OVERDUE = "overdue"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


MAILED = (Stage.DUE, Stage.OVERDUE)
"""The stages the contractor is mailed about, once each per cycle of a task."""


@dataclass(frozen=True, slots=True)
class Usage:
    """What was used since the task was last done: run hours, tonnes, days (``None``: unknown)."""

    run_hours: float | None
    tonnes: float | None
    days: float

    def of(self, trigger: Trigger) -> float | None:
        return {Trigger.RUN_HOURS: self.run_hours, Trigger.TONNES: self.tonnes, Trigger.DAYS: self.days}[
            trigger
        ]


@dataclass(frozen=True, slots=True)
class TriggerState:
    """One trigger of a task: its interval, what was used, what is left, and its stage."""

    trigger: Trigger
    interval: float
    used: float | None
    stage: Stage

    @property
    def left(self) -> float | None:
        """What remains before it is due (negative: by how much it is past)."""
        return None if self.used is None else self.interval - self.used


@dataclass(frozen=True, slots=True)
class Assessment:
    """A task's stage and the state of each of its triggers (the plan's order)."""

    task_id: str
    stage: Stage
    triggers: tuple[TriggerState, ...]


def stage_of(used: float | None, interval: float, warn_before: float, overdue_after: float) -> Stage:
    """The stage of one trigger (see the module docstring's table)."""
    if used is None:
        return Stage.UNKNOWN
    if used >= interval * (1.0 + overdue_after):
        return Stage.OVERDUE
    if used >= interval:
        return Stage.DUE
    if used >= interval * (1.0 - warn_before):
        return Stage.SOON
    return Stage.OK


def assess(task: MaintenanceTask, usage: Usage) -> Assessment:
    """Where ``task`` stands after ``usage``: the furthest stage of its triggers."""
    states = tuple(
        TriggerState(
            trigger,
            interval,
            usage.of(trigger),
            stage_of(usage.of(trigger), interval, task.warn_before, task.overdue_after),
        )
        for trigger, interval in task.intervals.items()
    )
    stage = max((s.stage for s in states), key=lambda s: s.rank)
    return Assessment(task.id, stage, states)
