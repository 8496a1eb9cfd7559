"""SQLAlchemy Core store for access control: users, burnt tokens, SMS ids and reply limits,
interventions (:mod:`chaufferie.historian.intervention_store`).

Implements the storage protocols declared by :mod:`chaufferie.alarms.ack_links`
(``TokenLedger``) and :mod:`chaufferie.hmi.access.ports` (user, lockout, SMS de-duplication
and intervention stores) structurally. Calls are synchronous and short; the web layer runs
them in a worker thread. Times are stored in UTC and returned timezone-aware.
May import :mod:`chaufferie.config`, :mod:`chaufferie.historian` and SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from chaufferie.config.vocabulary import Role
from chaufferie.historian.access_schema import (
    ACCESS_TABLES,
    burnt_tokens,
    login_attempts,
    sms_messages,
    sms_reply_events,
    users,
)
from chaufferie.historian.database import make_engine
from chaufferie.historian.intervention_store import InterventionRecord, InterventionTables
from chaufferie.historian.schema import metadata

__all__ = ["AccessStore", "AddressState", "InterventionRecord", "UserRecord", "with_updates"]


class UserExistsError(ValueError):
    """A user with that name (or bound to that contact) already exists."""


class UnknownUserError(KeyError):
    """No user with that name."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored: only hashes, never a secret."""

    username: str
    display_name: str
    role: Role
    password_hash: str
    created_at: datetime
    updated_at: datetime
    pin_hash: str | None = None
    contact_id: str | None = None
    disabled: bool = False
    failed_count: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AddressState:
    """Failed logins from one network address."""

    address: str
    failed_count: int = 0
    first_failure_at: datetime | None = None
    locked_until: datetime | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _user(row: Any) -> UserRecord:
    m = row._mapping
    return UserRecord(
        username=m["username"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        password_hash=m["password_hash"],
        created_at=_utc(m["created_at"]) or datetime.now(UTC),
        updated_at=_utc(m["updated_at"]) or datetime.now(UTC),
        pin_hash=m["pin_hash"],
        contact_id=m["contact_id"],
        disabled=bool(m["disabled"]),
        failed_count=int(m["failed_count"] or 0),
        locked_until=_utc(m["locked_until"]),
    )


class AccessStore(InterventionTables):
    """All access-control persistence on one SQLAlchemy engine (interventions: the mixin)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, *, password_env: str | None = None, create: bool = False) -> AccessStore:
        """A store on ``url``; ``create`` makes missing tables (tests; production runs Alembic)."""
        store = cls(make_engine(url, password_env))
        if create:
            store.create_tables()
        return store

    def create_tables(self) -> None:
        metadata.create_all(self.engine, tables=list(ACCESS_TABLES))

    # -- users ---------------------------------------------------------------------------
    def add_user(self, user: UserRecord) -> None:
        row = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "password_hash": user.password_hash,
            "pin_hash": user.pin_hash,
            "contact_id": user.contact_id,
            "disabled": user.disabled,
            "failed_count": 0,
            "locked_until": None,
            "created_at": user.created_at,
            "updated_at": user.updated_at,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(**row))
        except IntegrityError as exc:
            raise UserExistsError(f"user {user.username!r} or contact {user.contact_id!r} exists") from exc

    def get_user(self, username: str) -> UserRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        return None if row is None else _user(row)

    def user_by_contact(self, contact_id: str) -> UserRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.contact_id == contact_id)).first()
        return None if row is None else _user(row)

    def list_users(self) -> list[UserRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).all()
        return [_user(r) for r in rows]

    def count_admins(self) -> int:
        return sum(1 for u in self.list_users() if u.role is Role.ADMIN and not u.disabled)

    def save_user(self, user: UserRecord) -> None:
        """Write back every mutable field of ``user`` (hashes, role, lock state, disabled)."""
        values = {
            "display_name": user.display_name,
            "role": user.role.value,
            "password_hash": user.password_hash,
            "pin_hash": user.pin_hash,
            "contact_id": user.contact_id,
            "disabled": user.disabled,
            "failed_count": user.failed_count,
            "locked_until": user.locked_until,
            "updated_at": user.updated_at,
        }
        with self.engine.begin() as conn:
            result = conn.execute(update(users).where(users.c.username == user.username).values(**values))
        if result.rowcount == 0:
            raise UnknownUserError(user.username)

    # -- login attempts per address ------------------------------------------------------
    def address_state(self, address: str) -> AddressState:
        with self.engine.connect() as conn:
            row = conn.execute(select(login_attempts).where(login_attempts.c.address == address)).first()
        if row is None:
            return AddressState(address)
        m = row._mapping
        return AddressState(
            address, int(m["failed_count"]), _utc(m["first_failure_at"]), _utc(m["locked_until"])
        )

    def save_address_state(self, state: AddressState) -> None:
        values = {
            "failed_count": state.failed_count,
            "first_failure_at": state.first_failure_at,
            "locked_until": state.locked_until,
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                update(login_attempts).where(login_attempts.c.address == state.address).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(login_attempts).values(address=state.address, **values))

    # -- single-use tokens (TokenLedger) ------------------------------------------------
    def burn(self, token_id: str, occurrence_id: str, contact_id: str, at: datetime) -> bool:
        row = {"token_id": token_id, "occurrence_id": occurrence_id, "contact_id": contact_id, "used_at": at}
        return self._insert_once(insert(burnt_tokens).values(**row))

    def is_burnt(self, token_id: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(burnt_tokens.c.token_id).where(burnt_tokens.c.token_id == token_id))
            return row.first() is not None

    # -- SMS de-duplication -------------------------------------------------------------
    def remember_message(self, message_sid: str, sender: str, at: datetime) -> bool:
        """Record a processed ``MessageSid``; False if it was seen before (a replay)."""
        return self._insert_once(
            insert(sms_messages).values(message_sid=message_sid, sender=sender, received_at=at)
        )

    def note_sms_event(self, kind: str, subjects: list[str], at: datetime, forget_before: datetime) -> None:
        """Record one ``kind`` event for each of ``subjects`` at ``at``; drop rows older than
        ``forget_before`` (outside every window still counted)."""
        with self.engine.begin() as conn:
            conn.execute(delete(sms_reply_events).where(sms_reply_events.c.at < forget_before))
            if subjects:
                rows = [{"kind": kind, "subject": s, "at": at} for s in subjects]
                conn.execute(insert(sms_reply_events), rows)

    def count_sms_events(self, kind: str, subject: str, since: datetime) -> int:
        """How many ``kind`` events ``subject`` had after ``since``."""
        t = sms_reply_events.c
        query = select(func.count()).where(t.kind == kind, t.subject == subject, t.at > since)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def with_updates(user: UserRecord, at: datetime, **changes: Any) -> UserRecord:
    """A copy of ``user`` with ``changes`` and ``updated_at = at``."""
    return replace(user, updated_at=at, **changes)
