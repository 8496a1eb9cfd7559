"""The historian's tables as first shipped: points, samples, rollups, records.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Creates exactly :data:`~chaufferie.historian.schema.HISTORIAN_TABLES` (tables other modules
put on the shared metadata come in their own revisions). On PostgreSQL, ``samples`` is a
partitioned table (monthly partitions are added by the writer as months arrive) with a BRIN
index on time, and record messages get a GIN full-text index. Later changes to these tables
must come as new revisions with explicit operations.
"""

from __future__ import annotations

from alembic import op

from chaufferie.historian.database import create_fulltext_indexes
from chaufferie.historian.schema import HISTORIAN_TABLES, metadata

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=list(HISTORIAN_TABLES))
    create_fulltext_indexes(bind)


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=list(reversed(HISTORIAN_TABLES)))
