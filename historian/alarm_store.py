"""The alarms' durable state in the historian's database, written behind the event loop.

:class:`DatabaseAlarmStore` implements :class:`chaufferie.alarms.store.AlarmStore` on the
tables of :mod:`chaufferie.historian.alarm_schema`. The alarms work on a copy in memory (the
open occurrences, the messages not yet settled, the settings): a read never waits for the
database and an alarm is raised and notified while the database is down. Every change is
queued, newest state per row, and one thread writes the queue in order, retrying while the
database is unavailable; nothing is lost but what a killed process had not yet written.
:meth:`DatabaseAlarmStore.flush` waits (bounded) until what was changed is written: the outbox
calls it after marking a message "sending", so a restart knows to ask the provider.

The first open reads a former ``alarms.db`` (the alarms' own SQLite file before revision
``0004``) into the database, rows not already there, and renames it ``alarms.db.imported``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.store import (
    OutboxItem,
    OutboxStatus,
    item_from_json,
    item_to_json,
    occurrence_from_json,
    occurrence_to_json,
)
from chaufferie.historian.alarm_schema import alarm_occurrences, alarm_outbox, alarm_settings

log = logging.getLogger(__name__)

LEGACY_FILE = "alarms.db"
"""The alarms' own SQLite file before revision ``0004``, in the data folder."""
SETTLED = frozenset({OutboxStatus.SENT, OutboxStatus.FAILED})
RETRY_S = 2.0
"""How long the writer waits before trying an unavailable database again."""
FLUSH_TIMEOUT_S = 5.0
"""How long :meth:`DatabaseAlarmStore.flush` waits for the writer before going on regardless."""

_Row = tuple[Any, str, dict[str, Any] | None]
"""A queued write: its table, its key and the row (None: delete the row)."""


class DatabaseAlarmStore:
    """See module docstring. ``legacy``: a former ``alarms.db`` to read in on first open."""

    def __init__(self, engine: Engine, *, legacy: Path | None = None, retry_s: float = RETRY_S) -> None:
        self.engine = engine
        self.legacy = legacy
        self.retry_s = retry_s
        self._open: dict[str, Occurrence] = {}
        self._items: dict[str, OutboxItem] = {}
        self._settings: dict[str, Any] = {}
        self._loaded = False
        self._unread = False
        self._mem = threading.Lock()
        self._queue: dict[tuple[str, str], _Row] = {}
        self._queued = 0
        self._written = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ AlarmStore
    def load_open(self) -> list[Occurrence]:
        self._load()
        with self._mem:
            return list(self._open.values())

    def save(self, occ: Occurrence) -> None:
        self._load()
        with self._mem:
            if occ.closed:
                self._open.pop(occ.id, None)
            else:
                self._open[occ.id] = occ
        row = {"id": occ.id, "code": occ.code, "closed": occ.closed, "data": occurrence_to_json(occ)}
        self._enqueue(alarm_occurrences, occ.id, row)

    def get_setting(self, name: str) -> Any:
        self._load()
        return self._settings.get(name)

    def set_setting(self, name: str, value: Any) -> None:
        self._load()
        with self._mem:
            self._settings[name] = value
        self._enqueue(alarm_settings, name, {"name": name, "value": json.dumps(value)})

    def add_outbox(self, item: OutboxItem) -> bool:
        self._load()
        if item.key in self._items or self._known(item.key):
            return False
        self._put(item)
        return True

    def update_outbox(self, item: OutboxItem) -> None:
        self._load()
        self._put(item)

    def outbox(self, *statuses: OutboxStatus) -> list[OutboxItem]:
        """Messages in ``statuses`` (all when none), by due time then age; settled ones are read."""
        self._load()
        wanted = set(statuses or OutboxStatus)
        with self._mem:
            found = {k: i for k, i in self._items.items() if i.status in wanted}
        if wanted & SETTLED:
            for item in self._read_settled(wanted & SETTLED):
                found.setdefault(item.key, item)
        return sorted(found.values(), key=lambda i: (i.next_at, i.created_at))

    def purge(self, before: float) -> int:
        """Forget settled messages created before ``before`` (epoch s) and closed occurrences."""
        self.flush_now()
        with self.engine.begin() as conn:
            settled = [s.value for s in SETTLED]
            done = conn.execute(
                delete(alarm_outbox).where(
                    alarm_outbox.c.status.in_(settled), alarm_outbox.c.created_at < before
                )
            )
            conn.execute(delete(alarm_occurrences).where(alarm_occurrences.c.closed.is_(True)))
        return int(done.rowcount or 0)

    async def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
        """Wait until every change made so far is written; False when the database is slow or down."""
        with self._cond:
            target = self._queued
            if self._written >= target:
                return True
        return await asyncio.to_thread(self._wait_written, target, timeout_s)

    def flush_now(self, timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
        """:meth:`flush` from a thread (commands, tests)."""
        with self._cond:
            target = self._queued
        return self._wait_written(target, timeout_s)

    def close(self) -> None:
        """Write what is queued (bounded) and stop the writer."""
        if self._thread is not None:
            if not self.flush_now():
                log.error("alarm state: %d changes could not be written before stopping", len(self._queue))
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            self._thread.join(timeout=FLUSH_TIMEOUT_S)
            self._thread = None

    # ------------------------------------------------------------------ memory and queue
    def _put(self, item: OutboxItem) -> None:
        with self._mem:
            self._items[item.key] = item
        row = {
            "key": item.key,
            "status": item.status.value,
            "next_at": item.next_at,
            "created_at": item.created_at,
            "data": item_to_json(item),
        }
        self._enqueue(alarm_outbox, item.key, row)

    def _enqueue(self, table: Any, key: str, row: dict[str, Any] | None) -> None:
        with self._cond:
            self._queue[(table.name, key)] = (table, key, row)
            self._queued += 1
            self._cond.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="alarm-store", daemon=True)
            self._thread.start()

    def _wait_written(self, target: int, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._written >= target, timeout=timeout_s)

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._stop)
                if self._stop and not self._queue:
                    return
                batch, upto = dict(self._queue), self._queued
            try:
                if self._unread:
                    self._load_rows()
                with self.engine.begin() as conn:
                    for table, key, row in batch.values():
                        _upsert(conn, table, key, row)
            except Exception as e:  # the database is down or locked: keep the queue, try again
                log.warning("alarm state not written (%d changes kept, retrying): %s", len(batch), e)
                with self._cond:
                    if self._cond.wait_for(lambda: self._stop, timeout=self.retry_s):
                        return
                continue
            with self._cond:
                for slot, entry in batch.items():
                    if self._queue.get(slot) is entry:
                        del self._queue[slot]
                self._written = upto  # a row changed since is queued again, newer
                self._cond.notify_all()
            self._forget_settled(batch)

    def _forget_settled(self, batch: dict[tuple[str, str], _Row]) -> None:
        """Settled messages, once written, are read from the database rather than kept."""
        with self._mem:
            for table, key, _row in batch.values():
                item = self._items.get(key) if table is alarm_outbox else None
                if item is not None and item.status in SETTLED and (table.name, key) not in self._queue:
                    del self._items[key]

    # ------------------------------------------------------------------ reading
    def _load(self) -> None:
        """Read the durable state once; an unavailable database leaves it to the writer."""
        if self._loaded:
            return
        self._loaded = True
        try:
            self._load_rows()
        except Exception as e:  # work from memory; the writer reads the rows when it can
            self._unread = True
            log.error("alarm state unreadable, starting without it (read in when it can be): %s", e)

    def _load_rows(self) -> None:
        if self.legacy is not None and self.legacy.exists():
            self._import_legacy(self.legacy)
        with self.engine.connect() as conn:
            still_open = select(alarm_occurrences.c.data).where(alarm_occurrences.c.closed.is_(False))
            occurrences = [occurrence_from_json(r.data) for r in conn.execute(still_open)]
            pending = [s.value for s in OutboxStatus if s not in SETTLED]
            items = [
                item_from_json(r.data)
                for r in conn.execute(select(alarm_outbox.c.data).where(alarm_outbox.c.status.in_(pending)))
            ]
            settings = {r.name: json.loads(r.value) for r in conn.execute(select(alarm_settings))}
        # memory wins: what changed while the database was unreadable is newer than its rows
        with self._mem:
            for occ in occurrences:
                self._open.setdefault(occ.id, occ)
            for item in items:
                self._items.setdefault(item.key, item)
            for name, value in settings.items():
                self._settings.setdefault(name, value)
        self._unread = False

    def _known(self, key: str) -> bool:
        """Is ``key`` a settled message already written (an idempotency key used before)?"""
        try:
            with self.engine.connect() as conn:
                found = conn.execute(select(alarm_outbox.c.key).where(alarm_outbox.c.key == key))
                return found.first() is not None
        except Exception as e:  # unreadable: send again rather than stay silent
            log.warning("cannot check notification %s against the database: %s", key, e)
            return False

    def _read_settled(self, statuses: set[OutboxStatus]) -> list[OutboxItem]:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(alarm_outbox.c.data).where(alarm_outbox.c.status.in_([s.value for s in statuses]))
                )
                return [item_from_json(r.data) for r in rows]
        except Exception as e:
            log.warning("settled notifications unreadable: %s", e)
            return []

    def _import_legacy(self, path: Path) -> None:
        """Rows of a former ``alarms.db`` not yet in the database; then the file is renamed."""
        with sqlite3.connect(path) as old:
            occurrences = old.execute("SELECT id, code, closed, data FROM occurrence").fetchall()
            outbox = old.execute("SELECT key, data FROM outbox").fetchall()
            settings = old.execute("SELECT name, value FROM setting").fetchall()
        rows: list[tuple[Any, str, dict[str, Any]]] = []
        for oid, code, closed, data in occurrences:
            occurrence = {"id": oid, "code": code, "closed": bool(closed), "data": data}
            rows.append((alarm_occurrences, oid, occurrence))
        for key, data in outbox:
            item = item_from_json(data)
            row = {"key": key, "status": item.status.value, "next_at": item.next_at}
            rows.append((alarm_outbox, key, row | {"created_at": item.created_at, "data": data}))
        for name, value in settings:
            rows.append((alarm_settings, name, {"name": name, "value": value}))
        with self.engine.begin() as conn:
            for table, key, row in rows:
                column = next(iter(table.primary_key.columns))
                if conn.execute(select(column).where(column == key)).first() is None:
                    conn.execute(insert(table).values(row))
        target = path.with_name(path.name + ".imported")
        path.rename(target)
        log.info(
            "alarm state read in from %s (%d occurrences, %d messages, %d settings), file kept as %s",
            path,
            len(occurrences),
            len(outbox),
            len(settings),
            target.name,
        )


def _upsert(conn: Connection, table: Any, key: str, row: dict[str, Any] | None) -> None:
    """Replace one row (portable: delete then insert, in the caller's transaction)."""
    column = next(iter(table.primary_key.columns))
    conn.execute(delete(table).where(column == key))
    if row is not None:
        conn.execute(insert(table).values(row))
