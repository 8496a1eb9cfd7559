"""Tables of the alarms' durable state, on the historian's ``metadata``.

Owns: the alarm occurrences (open ones, with the escalation steps already notified), the
notification outbox (each message under its idempotency key, with its delivery status) and
the alarms' few settings (plant mode, points out of service). Rows hold the alarms layer's own
JSON form (:mod:`chaufferie.alarms.store`), with the columns queried beside it. Created by the
Alembic revision ``0004``, which replaced the separate ``alarms.db`` file (docs/architecture.md,
rule 7: one database).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text

from chaufferie.historian.schema import metadata

alarm_occurrences = Table(
    "alarm_occurrences",
    metadata,
    Column("id", String(96), primary_key=True),
    Column("code", String(16), nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Index("alarm_occurrences_open", "closed"),
)

alarm_outbox = Table(
    "alarm_outbox",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("next_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("data", Text, nullable=False),
    Index("alarm_outbox_status", "status", "next_at"),
)

alarm_settings = Table(
    "alarm_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

ALARM_TABLES = (alarm_occurrences, alarm_outbox, alarm_settings)
