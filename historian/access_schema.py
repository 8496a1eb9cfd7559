"""Tables of access control and remote acknowledgement, on the historian's ``metadata``.

Owns: users (hashed password and PIN, role, lockout), burnt acknowledgement-link tokens,
processed SMS ``MessageSid`` values, interventions (deadline, arrival, late days, penalty),
login attempts per address and the SMS reply limits (failed codes per sender and per
occurrence, refusal answers per sender). Only hashes are stored, never a password, a PIN or
an SMS reply code. May import :mod:`chaufferie.historian.schema` (the one ``MetaData``), its
column types and SQLAlchemy. Created by the Alembic revisions ``0002`` and ``0003``.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text

from chaufferie.historian.schema import metadata
from chaufferie.historian.sqltypes import UtcTime

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("pin_hash", Text, nullable=True),
    Column("contact_id", String(64), nullable=True, unique=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_count", Integer, nullable=False, default=0),
    Column("locked_until", UtcTime(), nullable=True),
    Column("created_at", UtcTime(), nullable=False),
    Column("updated_at", UtcTime(), nullable=False),
)

burnt_tokens = Table(
    "burnt_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("occurrence_id", String(64), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("used_at", UtcTime(), nullable=False),
)

sms_messages = Table(
    "sms_messages",
    metadata,
    Column("message_sid", String(64), primary_key=True),
    Column("sender", String(32), nullable=False),
    Column("received_at", UtcTime(), nullable=False),
)

interventions = Table(
    "interventions",
    metadata,
    Column("occurrence_id", String(64), primary_key=True),
    Column("code", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("opened_at", UtcTime(), nullable=False),
    Column("deadline", UtcTime(), nullable=False),
    Column("arrival", UtcTime(), nullable=True),
    Column("late_days", Integer, nullable=True),
    Column("penalty_eur", Float, nullable=True),
    Column("origin", String(16), nullable=False, default="ack", server_default="ack"),
    Column("acknowledged_at", UtcTime(), nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("ack_channel", String(16), nullable=True),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("address", String(64), primary_key=True),
    Column("failed_count", Integer, nullable=False, default=0),
    Column("first_failure_at", UtcTime(), nullable=True),
    Column("locked_until", UtcTime(), nullable=True),
)

sms_reply_events = Table(
    "sms_reply_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("subject", String(96), nullable=False),
    Column("at", UtcTime(), nullable=False),
    Index("sms_reply_events_lookup", "kind", "subject", "at"),
)
"""One row per failed SMS code (``kind`` ``failure``, ``subject`` a sender or an occurrence)
or per refusal answered (``answer``, the sender); rows older than the window are dropped."""

ACCESS_TABLES = (users, burnt_tokens, sms_messages, interventions, login_attempts, sms_reply_events)
