"""Access control and remote acknowledgement tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Users (argon2 hashes only), burnt acknowledgement-link token ids, processed SMS
``MessageSid`` values, interventions (deadline, arrival, late days, penalty) and failed
logins per address: :data:`chaufferie.historian.access_schema.ACCESS_TABLES`, written out
as explicit operations so later revisions can change them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("pin_hash", sa.Text, nullable=True),
        sa.Column("contact_id", sa.String(64), nullable=True, unique=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcTime(), nullable=True),
        sa.Column("created_at", UtcTime(), nullable=False),
        sa.Column("updated_at", UtcTime(), nullable=False),
    )
    op.create_table(
        "burnt_tokens",
        sa.Column("token_id", sa.String(64), primary_key=True),
        sa.Column("occurrence_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("used_at", UtcTime(), nullable=False),
    )
    op.create_table(
        "sms_messages",
        sa.Column("message_sid", sa.String(64), primary_key=True),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("received_at", UtcTime(), nullable=False),
    )
    op.create_table(
        "interventions",
        sa.Column("occurrence_id", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("opened_at", UtcTime(), nullable=False),
        sa.Column("deadline", UtcTime(), nullable=False),
        sa.Column("arrival", UtcTime(), nullable=True),
        sa.Column("late_days", sa.Integer, nullable=True),
        sa.Column("penalty_eur", sa.Float, nullable=True),
    )
    op.create_table(
        "login_attempts",
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("first_failure_at", UtcTime(), nullable=True),
        sa.Column("locked_until", UtcTime(), nullable=True),
    )


def downgrade() -> None:
    for table in ("login_attempts", "interventions", "sms_messages", "burnt_tokens", "users"):
        op.drop_table(table)
