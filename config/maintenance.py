"""The preventive maintenance plan (the tender's §3.7 La maintenance): tasks and triggers.

Each :class:`MaintenanceTask` is due when one of its triggers is reached since it was last
done (or, never done, since :attr:`MaintenanceSettings.since` or the first record of the
counters): ``every_run_hours`` hours of the wood boiler running (its run-hours counter,
``run_hours_point``), ``every_tonnes`` tonnes of chips burnt (``fuel_burnt_point``, kg) or
``every_days`` calendar days. ``warn_before`` (a fraction of the interval) makes it "due soon"
ahead of time; ``overdue_after`` (a fraction beyond the interval) makes it overdue. The
contacts named in ``notify`` (the maintenance contractor) get one email when a task becomes
due and one when it becomes overdue. The arithmetic is
:mod:`chaufferie.historian.maintenance_plan`; the cross-references (unique ids, known contacts
and points) are checked with the rest in :mod:`chaufferie.config.settings`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import Period

RunHours = Annotated[float, Field(gt=0, le=100_000)]
"""An interval in burner run hours (above zero; ten years of running at most)."""
Tonnes = Annotated[float, Field(gt=0, le=100_000)]
"""An interval in tonnes of chips burnt (above zero)."""
CalendarDays = Annotated[int, Field(gt=0, le=3_660)]
"""An interval in calendar days (above zero; ten years at most)."""
WarnFraction = Annotated[float, Field(ge=0, lt=1)]
"""How early, as a fraction of the interval, a task is "due soon" (0: never shown ahead)."""
OverdueFraction = Annotated[float, Field(gt=0, le=10)]
"""How far beyond the interval, as a fraction of it, a due task becomes overdue."""


class Trigger(StrEnum):
    """What a task's interval is counted in."""

    RUN_HOURS = "run_hours"
    TONNES = "tonnes"
    DAYS = "days"


class MaintenanceTask(Frozen):
    """One task of the plan: who reads it (labels) and when it is due (one trigger or more)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    label_fr: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    every_run_hours: RunHours | None = None
    every_tonnes: Tonnes | None = None
    every_days: CalendarDays | None = None
    warn_before: WarnFraction = 0.1
    overdue_after: OverdueFraction = 0.25

    @model_validator(mode="after")
    def _has_a_trigger(self) -> MaintenanceTask:
        if not self.intervals:
            raise ValueError(
                f"task {self.id!r} has no trigger: give every_run_hours, every_tonnes or every_days"
            )
        return self

    @property
    def intervals(self) -> dict[Trigger, float]:
        """The task's triggers and their intervals (hours, tonnes, days)."""
        given = {
            Trigger.RUN_HOURS: self.every_run_hours,
            Trigger.TONNES: self.every_tonnes,
            Trigger.DAYS: self.every_days,
        }
        return {trigger: float(value) for trigger, value in given.items() if value is not None}

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_fr


class MaintenanceSettings(Frozen):
    """The plan, who is told, and which counters it reads (names checked against ``points``)."""

    tasks: tuple[MaintenanceTask, ...] = ()
    notify: tuple[str, ...] = ()
    """Contact ids mailed when a task becomes due, then overdue (the maintenance contractor)."""
    run_hours_point: str = "wood.run_hours"
    """The wood boiler's run-hours counter (h)."""
    fuel_burnt_point: str = "wood.fuel_burnt"
    """The chips-burnt counter (kg)."""
    since: date | None = None
    """Where a task never done counts from (commissioning); ``None``: the first record."""
    check_s: Period = 900.0
    """How often the plan is checked against the counters (seconds)."""

    def task(self, task_id: str) -> MaintenanceTask:
        """The task ``task_id`` (``KeyError`` when the plan has none)."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)
