"""The alarms' durable state in the historian's database (it was a separate ``alarms.db``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

:data:`chaufferie.historian.alarm_schema.ALARM_TABLES`: occurrences, notification outbox and
the alarms' settings. An existing ``alarms.db`` is read in by
:class:`chaufferie.historian.alarm_store.DatabaseAlarmStore` the first time it opens, then
renamed (the revision cannot know the data folder of a PostgreSQL database).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_occurrences",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("alarm_occurrences_open", "alarm_occurrences", ["closed"])
    op.create_table(
        "alarm_outbox",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("alarm_outbox_status", "alarm_outbox", ["status", "next_at"])
    op.create_table(
        "alarm_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alarm_settings")
    op.drop_index("alarm_outbox_status", table_name="alarm_outbox")
    op.drop_table("alarm_outbox")
    op.drop_index("alarm_occurrences_open", table_name="alarm_occurrences")
    op.drop_table("alarm_occurrences")
