"""SQLAlchemy Core store of the preventive maintenance follow-up, and the counters it reads.

Keeps each task done (:class:`DoneRecord`: who, when, the note, the run-hours and chips counters
read at that time) and the notices mailed per (task, cycle, stage); reads from the history
what was used since a given instant (:meth:`MaintenanceStore.usage`: the counters' increase by
:func:`~chaufferie.historian.readings.counter_delta`, and the calendar days). Calls are
synchronous and short; the service runs them in a worker thread. Times are UTC, aware.
May import :mod:`chaufferie.config`, :mod:`chaufferie.historian` and SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from chaufferie.historian.maintenance_plan import Stage, Usage
from chaufferie.historian.maintenance_schema import maintenance_done, maintenance_notices
from chaufferie.historian.readings import counter_at, counter_delta, first_reading_time

DAY_S = 86_400.0
NEVER_DONE = 0
"""The cycle of a task before it was first done."""


@dataclass(frozen=True, slots=True)
class DoneRecord:
    """One task done: by whom, when, the note, and the counters then (None: not read yet)."""

    id: int
    task_id: str
    done_at: datetime
    done_by: str
    note: str
    run_hours: float | None
    fuel_burnt_kg: float | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Counters:
    """Which history points the plan reads: run hours (h) and chips burnt (kg)."""

    site_id: str
    run_hours: str
    fuel_burnt_kg: str


class MaintenanceStore:
    """The maintenance tables and the counters, on the historian's engine."""

    def __init__(self, engine: Engine, counters: Counters) -> None:
        self.engine = engine
        self.counters = counters

    # ------------------------------------------------------------------ done
    def record_done(
        self, task_id: str, done_at: datetime, done_by: str, note: str, recorded_at: datetime
    ) -> DoneRecord:
        """Store a task done at ``done_at`` with the counters read then; the record stored."""
        c = self.counters
        with self.engine.begin() as conn:
            hours = counter_at(conn, c.site_id, c.run_hours, done_at)
            kg = counter_at(conn, c.site_id, c.fuel_burnt_kg, done_at)
            row: dict[str, Any] = {
                "task_id": task_id,
                "done_at": done_at,
                "done_by": done_by,
                "note": note,
                "run_hours": hours,
                "fuel_burnt_kg": kg,
                "recorded_at": recorded_at,
            }
            new_id = conn.execute(insert(maintenance_done).values(**row)).inserted_primary_key
        assert new_id is not None  # noqa: S101  (an insert always has one)
        return DoneRecord(id=int(new_id[0]), **row)

    def history(self, task_id: str | None = None, limit: int = 200) -> list[DoneRecord]:
        """Tasks done, the latest first (of ``task_id`` alone when given)."""
        t = maintenance_done
        query = select(t).order_by(t.c.done_at.desc(), t.c.id.desc()).limit(limit)
        if task_id is not None:
            query = query.where(t.c.task_id == task_id)
        with self.engine.connect() as conn:
            return [DoneRecord(**row) for row in conn.execute(query).mappings()]

    def last_done(self) -> dict[str, DoneRecord]:
        """Each task's latest done record (by when it was done), by task id."""
        t = maintenance_done
        latest = (
            select(t.c.task_id, func.max(t.c.done_at).label("at")).group_by(t.c.task_id).subquery("latest")
        )
        query = (
            select(t)
            .join(latest, (t.c.task_id == latest.c.task_id) & (t.c.done_at == latest.c.at))
            .order_by(t.c.id)
        )
        with self.engine.connect() as conn:
            return {row["task_id"]: DoneRecord(**row) for row in conn.execute(query).mappings()}

    # ------------------------------------------------------------------ counters
    def first_record(self) -> datetime | None:
        """When the plan's counters were first recorded (the run hours, else the chips)."""
        c = self.counters
        with self.engine.connect() as conn:
            return first_reading_time(conn, c.site_id, c.run_hours) or first_reading_time(
                conn, c.site_id, c.fuel_burnt_kg
            )

    def usage(self, since: datetime, now: datetime) -> Usage:
        """Run hours, tonnes of chips and days used over [since, now) (a counter never read: None)."""
        c = self.counters
        with self.engine.connect() as conn:

            def increase(name: str) -> float | None:
                if counter_at(conn, c.site_id, name, now) is None:
                    return None
                return counter_delta(conn, c.site_id, name, since, now)

            hours, kg = increase(c.run_hours), increase(c.fuel_burnt_kg)
        days = max(0.0, (now - since).total_seconds() / DAY_S)
        return Usage(hours, None if kg is None else kg / 1000.0, days)

    # ------------------------------------------------------------------ notices
    def note_notice(self, task_id: str, cycle: int, stage: Stage, at: datetime) -> bool:
        """Remember that ``stage`` of ``task_id`` in ``cycle`` was mailed; False if it was already."""
        row = {"task_id": task_id, "cycle": cycle, "stage": stage.value, "sent_at": at}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(maintenance_notices).values(**row))
        except IntegrityError:
            return False
        return True

    def notices(self) -> set[tuple[str, int, str]]:
        """Every (task, cycle, stage) mailed so far."""
        n = maintenance_notices
        with self.engine.connect() as conn:
            rows = conn.execute(select(n.c.task_id, n.c.cycle, n.c.stage)).all()
        return {(str(task), int(cycle), str(stage)) for task, cycle, stage in rows}
