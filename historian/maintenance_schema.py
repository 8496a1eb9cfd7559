"""Tables of the preventive maintenance follow-up, on the historian's ``metadata``.

Owns: ``maintenance_done``, one row per task done (who, when, the note, and what the run-hours
and chips counters read then), the history of each task; and ``maintenance_notices``, one row
per mail sent to the contractor about a task in one cycle (``cycle`` is the id of the
``maintenance_done`` row the cycle starts from, 0 before the first), so that "due" and
"overdue" are mailed once each, across restarts. Created by the Alembic revision ``0008``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from chaufferie.historian.schema import metadata
from chaufferie.historian.sqltypes import UtcTime

maintenance_done = Table(
    "maintenance_done",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(64), nullable=False),
    Column("done_at", UtcTime(), nullable=False),
    Column("done_by", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("run_hours", Float, nullable=True),
    Column("fuel_burnt_kg", Float, nullable=True),
    Column("recorded_at", UtcTime(), nullable=False),
    Index("maintenance_done_task", "task_id", "done_at"),
)

maintenance_notices = Table(
    "maintenance_notices",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("cycle", Integer, primary_key=True, autoincrement=False),
    Column("stage", String(16), primary_key=True),
    Column("sent_at", UtcTime(), nullable=False),
)

MAINTENANCE_TABLES = (maintenance_done, maintenance_notices)
