"""Preventive maintenance: each task done (history) and the notices mailed about it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

``maintenance_done`` keeps who did which task of the plan, when, with a note and the counters
read then; ``maintenance_notices`` one row per (task, cycle, stage) mailed, so a task due or
overdue is mailed once, across restarts (docs/technician-guide.md, « Maintenance préventive »).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance_done",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("done_at", UtcTime(), nullable=False),
        sa.Column("done_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("run_hours", sa.Float(), nullable=True),
        sa.Column("fuel_burnt_kg", sa.Float(), nullable=True),
        sa.Column("recorded_at", UtcTime(), nullable=False),
    )
    op.create_index("maintenance_done_task", "maintenance_done", ["task_id", "done_at"])
    op.create_table(
        "maintenance_notices",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("cycle", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("stage", sa.String(16), primary_key=True),
        sa.Column("sent_at", UtcTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("maintenance_notices")
    op.drop_index("maintenance_done_task", table_name="maintenance_done")
    op.drop_table("maintenance_done")
