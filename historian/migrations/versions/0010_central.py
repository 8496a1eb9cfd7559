"""City-wide exchange: the site's forward cursors, the central receiver's sites and batches.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

The tables and their meaning: :mod:`chaufferie.historian.central_schema` (docs/central.md).
A site uses ``forward_cursors``; a central database the three ``central_*`` tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "forward_cursors",
        sa.Column("receiver", sa.String(128), primary_key=True),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.Column("lost", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt", UtcTime(), nullable=True),
        sa.Column("last_success", UtcTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "central_sites",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("registered_at", UtcTime(), nullable=False),
        sa.Column("revoked_at", UtcTime(), nullable=True),
    )
    op.create_table(
        "central_batches",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", UtcTime(), nullable=False),
        sa.Column("receiver", sa.String(128), nullable=False),
    )
    op.create_index("central_batches_site", "central_batches", ["site_id", "received_at"])
    op.create_table(
        "central_refusals",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("received_at", UtcTime(), nullable=False),
        sa.Column("claimed_site", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("receiver", sa.String(128), nullable=False),
    )
    op.create_index("central_refusals_time", "central_refusals", ["received_at"])


def downgrade() -> None:
    op.drop_index("central_refusals_time", table_name="central_refusals")
    op.drop_table("central_refusals")
    op.drop_index("central_batches_site", table_name="central_batches")
    op.drop_table("central_batches")
    op.drop_table("central_sites")
    op.drop_table("forward_cursors")
