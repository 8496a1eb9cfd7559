"""SMS reply limits: failed codes per sender and per occurrence, refusal answers per sender.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

:data:`chaufferie.historian.access_schema.sms_reply_events`, so the limits survive a restart
(a restart must not hand a guesser a fresh set of attempts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sms_reply_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(96), nullable=False),
        sa.Column("at", UtcTime(), nullable=False),
    )
    op.create_index("sms_reply_events_lookup", "sms_reply_events", ["kind", "subject", "at"])


def downgrade() -> None:
    op.drop_index("sms_reply_events_lookup", table_name="sms_reply_events")
    op.drop_table("sms_reply_events")
