"""What the alarms persist, the protocol for it, and the default SQLite implementation.

Two things must survive a restart (docs/architecture.md, rule 7): the open alarm occurrences (with the
escalation steps already notified) and the notification outbox (each message under its
idempotency key, with its delivery status). :class:`AlarmStore` is the seam. The running
system keeps them in the historian's database
(:class:`chaufferie.historian.alarm_store.DatabaseAlarmStore`, wired by the composition root,
written off the event loop); :class:`SqliteAlarmStore` (stdlib ``sqlite3``, one small file,
synchronous writes) serves the alarms layer on its own: its tests and tools.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from chaufferie.alarms.machine import Comment, Occurrence
from chaufferie.config.vocabulary import AlarmState, OilRole


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"


@dataclass
class OutboxItem:
    """One message to one address on one channel, under its idempotency ``key``.

    ``channel`` is the medium (``sms`` or ``email``: which address); ``route`` the ordered
    transports that may carry it (e.g. ``twilio`` then ``modem``) and ``via`` the one in charge
    now. The key stays the same from one transport to the next: the message is delivered once.
    """

    key: str
    channel: str
    contact_id: str
    address: str
    subject: str
    text: str
    html: str = ""
    occurrence_id: str | None = None
    code: str | None = None
    status: OutboxStatus = OutboxStatus.QUEUED
    attempts: int = 0
    next_at: float = 0.0
    created_at: float = 0.0
    error: str = ""
    provider_id: str = ""
    fallback_of: str | None = None
    shown: str = ""
    """The text without credentials (link, reply code) for records; empty: ``text`` redacted."""
    priority: int | None = None
    """The alarm's priority (for the channel policy); ``None`` for messages of no alarm."""
    route: list[str] = field(default_factory=list)
    via: str = ""
    via_attempts: int = 0
    """Attempts on ``via`` (``attempts`` counts them all)."""
    enqueued_mono: float = field(default=0.0, compare=False)


class AlarmStore(Protocol):
    """Durable state of the alarms (occurrences, outbox, a few settings)."""

    def load_open(self) -> list[Occurrence]: ...

    def save(self, occ: Occurrence) -> None: ...

    def get_setting(self, name: str) -> Any: ...

    def set_setting(self, name: str, value: Any) -> None: ...

    def add_outbox(self, item: OutboxItem) -> bool:
        """Store ``item``; False (and nothing changed) when its key is already there."""

    def update_outbox(self, item: OutboxItem) -> None: ...

    def outbox(self, *statuses: OutboxStatus) -> list[OutboxItem]: ...

    async def flush(self) -> bool:
        """Wait (bounded) until every change so far is durable; False when it could not be."""

    def close(self) -> None: ...


@runtime_checkable
class PurgeableStore(Protocol):
    """An :class:`AlarmStore` that can forget old delivered messages (optional)."""

    def purge(self, before: float) -> int:
        """Forget sent and failed messages created before ``before`` (epoch s); how many."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS occurrence (
    id TEXT PRIMARY KEY, code TEXT NOT NULL, closed INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS occurrence_open ON occurrence (closed);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, next_at REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, next_at);
CREATE TABLE IF NOT EXISTS setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteAlarmStore:
    """:class:`AlarmStore` in one SQLite file (``alarms.db`` in the data folder by default)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # closed from a worker thread at exit; otherwise used by the event loop's thread alone
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    async def flush(self) -> bool:
        return True  # every write above is committed before it returns

    # occurrences
    def load_open(self) -> list[Occurrence]:
        rows = self._db.execute("SELECT data FROM occurrence WHERE closed = 0").fetchall()
        return [occurrence_from_json(r[0]) for r in rows]

    def save(self, occ: Occurrence) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO occurrence (id, code, closed, data) VALUES (?, ?, ?, ?)",
            (occ.id, occ.code, int(occ.closed), occurrence_to_json(occ)),
        )

    # settings
    def get_setting(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM setting WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_setting(self, name: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO setting (name, value) VALUES (?, ?)", (name, json.dumps(value))
        )

    # outbox
    def add_outbox(self, item: OutboxItem) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO outbox (key, status, next_at, data) VALUES (?, ?, ?, ?)",
            (item.key, item.status.value, item.next_at, item_to_json(item)),
        )
        return cur.rowcount == 1

    def update_outbox(self, item: OutboxItem) -> None:
        self._db.execute(
            "UPDATE outbox SET status = ?, next_at = ?, data = ? WHERE key = ?",
            (item.status.value, item.next_at, item_to_json(item), item.key),
        )

    def outbox(self, *statuses: OutboxStatus) -> list[OutboxItem]:
        wanted = [s.value for s in statuses] or [s.value for s in OutboxStatus]
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT data FROM outbox WHERE status IN ({marks}) ORDER BY next_at, rowid",  # noqa: S608
            wanted,
        ).fetchall()
        return [item_from_json(r[0]) for r in rows]

    def purge(self, before: float) -> int:
        done = [s.value for s in (OutboxStatus.SENT, OutboxStatus.FAILED)]
        rows = self._db.execute("SELECT key, data FROM outbox WHERE status IN (?, ?)", done).fetchall()
        old = [(key,) for key, data in rows if item_from_json(data).created_at < before]
        self._db.executemany("DELETE FROM outbox WHERE key = ?", old)
        self._db.execute("DELETE FROM occurrence WHERE closed = 1")
        return len(old)


def item_to_json(item: OutboxItem) -> str:
    data = asdict(item)
    data.pop("enqueued_mono")
    return json.dumps(data, ensure_ascii=False)


def item_from_json(text: str) -> OutboxItem:
    data = json.loads(text)
    data["status"] = OutboxStatus(data["status"])
    return OutboxItem(**data)


_DATETIMES = {"raised_at", "acked_at", "cleared_at", "shelved_until"}


def occurrence_to_json(occ: Occurrence) -> str:
    data: dict[str, Any] = {}
    for f in fields(occ):
        value = getattr(occ, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif f.name == "comments":
            value = [{"time": c.time.isoformat(), "user": c.user, "text": c.text} for c in value]
        data[f.name] = value
    return json.dumps(data, ensure_ascii=False)


def occurrence_from_json(text: str) -> Occurrence:
    data = json.loads(text)
    for name in _DATETIMES:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    data["state"] = AlarmState(data["state"])
    data["oil_role"] = OilRole(data["oil_role"]) if data.get("oil_role") else None
    data["comments"] = [
        Comment(datetime.fromisoformat(c["time"]), c["user"], c["text"]) for c in data.get("comments", [])
    ]
    return Occurrence(**data)
