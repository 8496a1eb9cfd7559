"""Reading quantities out of the samples: counter increments and run times over a period.

A counter (heat meter energy, litres, kilograms) is read at both ends of the period: the last
good value at or before each end, from raw samples or, once those are past their retention,
from the hour rollups' ``last``. A run time integrates an on/off point as a step function
over raw samples (each value held until the next one: values come on change, and a lost link
arrives as a Bad value, so nothing is held across an outage), falling back
to the hour rollups' mean when raw samples are gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from chaufferie.historian import schema

HOUR = timedelta(hours=1)


def point_id(conn: Connection, site_id: str, name: str) -> int | None:
    p = schema.points
    found = conn.execute(select(p.c.id).where(p.c.site_id == site_id, p.c.name == name)).scalar()
    return None if found is None else int(found)


def _reading_at(conn: Connection, pid: int, t: datetime) -> tuple[datetime, float] | None:
    """The last good value at or before ``t`` (raw or hour rollup, whichever is later)."""
    s, h = schema.samples, schema.rollup_hour
    raw = conn.execute(
        select(s.c.time, s.c.value)
        .where(s.c.point_id == pid, s.c.time <= t, s.c.quality == 0, s.c.value.is_not(None))
        .order_by(s.c.time.desc())
        .limit(1)
    ).first()
    rolled = conn.execute(
        select(h.c.bucket, h.c.last)
        .where(h.c.point_id == pid, h.c.bucket <= t - HOUR, h.c.last.is_not(None))
        .order_by(h.c.bucket.desc())
        .limit(1)
    ).first()
    candidates = []
    if raw is not None:
        candidates.append((raw[0], float(raw[1])))
    if rolled is not None:
        candidates.append((rolled[0] + HOUR, float(rolled[1])))
    return max(candidates, key=lambda c: c[0]) if candidates else None


def _first_after(conn: Connection, pid: int, start: datetime, end: datetime) -> float | None:
    s = schema.samples
    first = conn.execute(
        select(s.c.value)
        .where(s.c.point_id == pid, s.c.time >= start, s.c.time < end)
        .where(s.c.quality == 0, s.c.value.is_not(None))
        .order_by(s.c.time)
        .limit(1)
    ).scalar()
    return None if first is None else float(first)


def counter_delta(conn: Connection, site_id: str, name: str, start: datetime, end: datetime) -> float:
    """How much the counter ``name`` rose over [start, end) (0 when unknown or reset)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return 0.0
    at_end = _reading_at(conn, pid, end)
    if at_end is None or at_end[0] < start:
        return 0.0
    at_start = _reading_at(conn, pid, start)
    first = at_start[1] if at_start is not None else _first_after(conn, pid, start, end)
    if first is None:
        return 0.0
    return max(0.0, at_end[1] - first)


def run_hours(conn: Connection, site_id: str, name: str, start: datetime, end: datetime) -> float:
    """Hours the on/off point ``name`` was on (value ≥ 0.5, good) during [start, end)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return 0.0
    s = schema.samples
    before = conn.execute(
        select(s.c.time, s.c.value, s.c.quality)
        .where(s.c.point_id == pid, s.c.time < start)
        .order_by(s.c.time.desc())
        .limit(1)
    ).all()
    inside = conn.execute(
        select(s.c.time, s.c.value, s.c.quality)
        .where(s.c.point_id == pid, s.c.time >= start, s.c.time < end)
        .order_by(s.c.time)
    ).all()
    if not inside:
        return _rollup_hours(conn, pid, start, end)
    rows = [*before, *inside]
    on = timedelta()
    for (t, value, quality), nxt in zip(rows, [*rows[1:], None], strict=True):
        until = min(end, nxt[0] if nxt is not None else end)
        since = max(start, t)
        if quality == 0 and value is not None and value >= 0.5 and until > since:
            on += until - since
    return on.total_seconds() / 3600.0


def _rollup_hours(conn: Connection, pid: int, start: datetime, end: datetime) -> float:
    h = schema.rollup_hour
    means = conn.execute(
        select(h.c.mean).where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
    ).scalars()
    return float(sum(m for m in means if m is not None))
