"""Which transport carried a notification (Twilio, the GSM modem, SMTP...), beside its medium.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

A message may move from one transport to the next under the same key (the channel policy,
docs/alarms.md): ``notifications.via`` says which one each record is about. Revision 0001 builds
its tables from the schema module as it is now, so a new database already has the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("notifications")}
    if "via" in columns:
        return
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("via", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("via")
