"""Tables of access control and remote acknowledgement, on the historian's ``metadata``.

Owns: users (hashed password and PIN, role, lockout), burnt acknowledgement-link tokens,
processed SMS ``MessageSid`` values, interventions (deadline, milestones, late days, penalty,
dispute), the phone calls recorded on them, the contract's price indices entered by the
commune, login attempts per address and the SMS reply limits (failed codes per sender and per
occurrence, refusal answers per sender). Only hashes are stored, never a password, a PIN or
an SMS reply code. May import :mod:`chaufferie.historian.schema` (the one ``MetaData``), its
column types and SQLAlchemy. Created by the Alembic revisions ``0002``, ``0003``, ``0006``
and ``0007``; why the milestones are columns: :mod:`chaufferie.historian.intervention_store`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, Index, Integer, String, Table, Text

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
    # the alarm occurrence, or ``call-<uuid>`` for a phone call without an alarm (no code)
    Column("code", String(16), nullable=True),
    Column("priority", Integer, nullable=True),
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
    Column("arrival_by", String(64), nullable=True),
    Column("arrival_channel", String(16), nullable=True),
    Column("safe_at", UtcTime(), nullable=True),
    Column("safe_by", String(64), nullable=True),
    Column("safe_channel", String(16), nullable=True),
    Column("repaired_at", UtcTime(), nullable=True),
    Column("repaired_by", String(64), nullable=True),
    Column("repaired_channel", String(16), nullable=True),
    Column("dispute", String(16), nullable=False, default="none", server_default="none"),
    Column("dispute_reason", Text, nullable=True),
    Column("disputed_by", String(64), nullable=True),
    Column("disputed_at", UtcTime(), nullable=True),
    Column("dispute_note", Text, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", UtcTime(), nullable=True),
)

intervention_calls = Table(
    "intervention_calls",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("intervention_id", String(64), nullable=False, index=True),
    Column("at", UtcTime(), nullable=False),
    Column("caller", String(128), nullable=False),
    Column("callee", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_by", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("recorded_at", UtcTime(), nullable=False),
)
"""Phone calls recorded by the agent: the first opens its intervention (origin ``phone``)."""

contract_indices = Table(
    "contract_indices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("effective", Date, nullable=False, index=True),
    Column("bt40", Float, nullable=False),
    Column("ppei", Float, nullable=False),
    Column("tch", Float, nullable=False),
    Column("entered_by", String(64), nullable=False),
    Column("entered_at", UtcTime(), nullable=False),
)
"""The current indices entered by the commune at each anniversary; a correction is a new row
(the latest entered wins for its effective date), so what was in force stays readable."""

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

ACCESS_TABLES = (
    users,
    burnt_tokens,
    sms_messages,
    interventions,
    login_attempts,
    sms_reply_events,
    intervention_calls,
    contract_indices,
)
