"""Interventions open at the call: their origin and the acknowledgement as a milestone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

An intervention opens at the first notification of a call-out alarm (the plant's own call,
origin ``call``) or at an acknowledgement when no call was placed (origin ``ack``); the
acknowledgement is then a milestone with who, when and by which channel (docs/domain.md §4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("origin", "acknowledged_at", "acknowledged_by", "ack_channel")


def upgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="ack"))
        batch.add_column(sa.Column("acknowledged_at", UtcTime(), nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("ack_channel", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
