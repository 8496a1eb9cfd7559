"""Event history: plant events, alarm transitions, audit, notifications, links and commands.

:func:`history` answers "what happened" with filters (time range, entry types, kind, alarm
code, priority, who, oil kind, audit kinds the reader may not see) and a full-text search on
messages: PostgreSQL's ``to_tsvector('simple', ...)`` (GIN-indexed), SQLite's
case-insensitive word match. Each table is queried with the filters that apply to it;
entries come back newest first.

The interventions and their money are read by :mod:`~chaufferie.historian.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, func, literal_column, null, select

from chaufferie.historian import schema


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the history, whatever table it came from."""

    time: datetime
    site_id: str
    seq: int
    type: str
    kind: str
    message: str
    code: str | None = None
    priority: int | None = None
    user: str | None = None
    channel: str | None = None
    oil_role: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Source:
    type: str
    table: Table
    kind: str
    message: str
    code: str | None = None
    priority: str | None = None
    oil_role: str | None = None
    details: str | None = None


SOURCES = (
    _Source("plant", schema.plant_events, "kind", "message", oil_role="oil_role", details="values"),
    _Source("alarm", schema.alarm_transitions, "state", "message", "code", "priority", "oil_role", "details"),
    _Source("action", schema.operator_actions, "kind", "target", "target", details="details"),
    _Source("notification", schema.notifications, "status", "body", "code"),
    _Source("link", schema.link_events, "state", "reason"),
    _Source("command", schema.commands, "status", "point"),
)
TYPES = tuple(s.type for s in SOURCES)


@dataclass(frozen=True)
class HistoryFilter:
    """What to keep; ``None`` (or empty) means "any"."""

    start: datetime | None = None
    end: datetime | None = None
    types: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    code: str | None = None
    priority: int | None = None
    user: str | None = None
    oil_role: str | None = None
    text: str | None = None
    site_id: str | None = None
    hidden_actions: frozenset[str] = frozenset()
    """Audit kinds left out (the reader's role may not see them: ``history_access``)."""


def _column(source: _Source, name: str | None) -> Any:
    return source.table.c[name] if name else null()


def _conditions(source: _Source, f: HistoryFilter, dialect: str) -> list[ColumnElement[bool]] | None:
    """SQL conditions for this source, or None when the filter excludes it entirely."""
    t = source.table
    if (f.types and source.type not in f.types) or (f.code and not source.code):
        return None
    if (f.priority is not None and not source.priority) or (f.oil_role and not source.oil_role):
        return None
    cond: list[ColumnElement[bool]] = []
    if f.start is not None:
        cond.append(t.c.time >= f.start)
    if f.end is not None:
        cond.append(t.c.time < f.end)
    if f.site_id:
        cond.append(t.c.site_id == f.site_id)
    if f.kinds:
        cond.append(t.c[source.kind].in_(f.kinds))
    if f.code and source.code:
        cond.append(t.c[source.code] == f.code)
    if f.priority is not None and source.priority:
        cond.append(t.c[source.priority] == f.priority)
    if f.user:
        cond.append(t.c.user == f.user)
    if f.hidden_actions and source.type == "action":
        cond.append(t.c[source.kind].not_in(f.hidden_actions))
    if f.oil_role and source.oil_role:
        cond.append(t.c[source.oil_role] == f.oil_role)
    if f.text:
        cond.append(_matches(t.c[source.message], f.text, dialect))
    return cond


def _matches(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        simple: ColumnElement[str] = literal_column("'simple'")
        return func.to_tsvector(simple, column).op("@@")(func.plainto_tsquery(simple, text))
    words = [w for w in text.lower().split() if w]
    return and_(*(func.lower(column).contains(w, autoescape=True) for w in words))


def history(engine: Engine, f: HistoryFilter | None = None, limit: int = 500) -> list[HistoryEntry]:
    """Entries matching ``f``, newest first, at most ``limit``."""
    f = f or HistoryFilter()
    entries: list[HistoryEntry] = []
    with engine.connect() as conn:
        for source in SOURCES:
            cond = _conditions(source, f, engine.dialect.name)
            if cond is not None:
                entries.extend(_read(conn, source, cond, limit))
    entries.sort(key=lambda e: (e.time, e.seq), reverse=True)
    return entries[:limit]


def _read(
    conn: Connection, source: _Source, cond: list[ColumnElement[bool]], limit: int
) -> list[HistoryEntry]:
    t = source.table
    query = (
        select(
            t.c.time,
            t.c.site_id,
            t.c.seq,
            t.c[source.kind],
            t.c[source.message],
            _column(source, source.code),
            _column(source, source.priority),
            t.c.user,
            t.c.channel,
            _column(source, source.oil_role),
            _column(source, source.details),
        )
        .where(*cond)
        .order_by(t.c.time.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(
            time,
            site,
            int(seq),
            source.type,
            str(kind),
            str(msg or ""),
            code,
            prio,
            user,
            channel,
            oil,
            dict(details or {}),
        )
        for time, site, seq, kind, msg, code, prio, user, channel, oil, details in conn.execute(query)
    ]
