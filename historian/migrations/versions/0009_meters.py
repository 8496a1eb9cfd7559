"""Meters you can trust: confirmed meter replacements and manual readings.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

``meter_replacements`` keeps each replacement the agent confirmed in the logbook (the old
meter's final index, the new meter's initial index), ``manual_readings`` each index read by
hand (:mod:`chaufferie.historian.meter_schema`; the rule: docs/historian.md, « Compteurs »).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "meter_replacements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("point", sa.String(128), nullable=False),
        sa.Column("replaced_at", UtcTime(), nullable=False),
        sa.Column("old_final", sa.Float(), nullable=False),
        sa.Column("new_initial", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcTime(), nullable=False),
    )
    op.create_index("meter_replacements_point", "meter_replacements", ["site_id", "point", "replaced_at"])
    op.create_table(
        "manual_readings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("point", sa.String(128), nullable=False),
        sa.Column("read_at", UtcTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcTime(), nullable=False),
    )
    op.create_index("manual_readings_point", "manual_readings", ["site_id", "point", "read_at"])


def downgrade() -> None:
    op.drop_index("manual_readings_point", table_name="manual_readings")
    op.drop_table("manual_readings")
    op.drop_index("meter_replacements_point", table_name="meter_replacements")
    op.drop_table("meter_replacements")
