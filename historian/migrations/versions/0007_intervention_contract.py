"""Interventions and their money: phone calls, milestones, disputes, price indices.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

A phone call recorded by the agent opens an intervention (origin ``phone``) or is added to
the open one; a call without an alarm has its own id and no code nor priority. Arrival,
making safe and end of repair are milestones with who, when and channel, like the
acknowledgement; the contractor may dispute a call, the commune accepts or rejects it; the
commune enters the contract's current price indices (docs/domain.md §4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaufferie.historian.sqltypes import UtcTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

MILESTONE_COLUMNS = (
    ("arrival_by", sa.String(64)),
    ("arrival_channel", sa.String(16)),
    ("safe_at", UtcTime()),
    ("safe_by", sa.String(64)),
    ("safe_channel", sa.String(16)),
    ("repaired_at", UtcTime()),
    ("repaired_by", sa.String(64)),
    ("repaired_channel", sa.String(16)),
)
DISPUTE_COLUMNS = (
    ("dispute_reason", sa.Text()),
    ("disputed_by", sa.String(64)),
    ("disputed_at", UtcTime()),
    ("dispute_note", sa.Text()),
    ("decided_by", sa.String(64)),
    ("decided_at", UtcTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.alter_column("code", existing_type=sa.String(16), nullable=True)
        batch.alter_column("priority", existing_type=sa.Integer(), nullable=True)
        for name, kind in MILESTONE_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(sa.Column("dispute", sa.String(16), nullable=False, server_default="none"))
        for name, kind in DISPUTE_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "intervention_calls",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("intervention_id", sa.String(64), nullable=False),
        sa.Column("at", UtcTime(), nullable=False),
        sa.Column("caller", sa.String(128), nullable=False),
        sa.Column("callee", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recorded_at", UtcTime(), nullable=False),
    )
    op.create_index("ix_intervention_calls_intervention_id", "intervention_calls", ["intervention_id"])
    op.create_table(
        "contract_indices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("bt40", sa.Float(), nullable=False),
        sa.Column("ppei", sa.Float(), nullable=False),
        sa.Column("tch", sa.Float(), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", UtcTime(), nullable=False),
    )
    op.create_index("ix_contract_indices_effective", "contract_indices", ["effective"])


def downgrade() -> None:
    op.drop_index("ix_contract_indices_effective", table_name="contract_indices")
    op.drop_table("contract_indices")
    op.drop_index("ix_intervention_calls_intervention_id", table_name="intervention_calls")
    op.drop_table("intervention_calls")
    op.execute("DELETE FROM interventions WHERE code IS NULL OR priority IS NULL")
    with op.batch_alter_table("interventions") as batch:
        for name, _ in reversed(DISPUTE_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("dispute")
        for name, _ in reversed(MILESTONE_COLUMNS):
            batch.drop_column(name)
        batch.alter_column("priority", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("code", existing_type=sa.String(16), nullable=False)
