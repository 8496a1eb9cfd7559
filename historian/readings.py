"""Reading quantities out of the samples: counter increments and run times over a period.

A counter (heat meter energy, litres, kilograms) is read at both ends of the period: the last
good value at or before each end, from raw samples or, once those are past their retention,
from the hour rollups' ``last``. A run time integrates an on/off point as a step function
over raw samples (each value held until the next one: values come on change, and a lost link
arrives as a Bad value, so nothing is held across an outage), falling back
to the hour rollups' mean when raw samples are gone.

Whether the readings are enough to trust such a figure is :func:`shortfall`'s answer (the
rule is written out in ``docs/historian.md``): the point's hour rollups — kept forever, one
row per hour in which the point sent anything — must have a good reading within
:data:`MAX_GAP` of the period's start and end, no stretch longer than :data:`MAX_GAP`
without one, and, for a counter, never a value below the one before (a meter reset or
replacement) unless the drop is the meter wrapping past its ``counter.rollover`` index
(:func:`wrapped`), which :func:`counter_delta` counts through. A figure that fails is
"données incomplètes / incomplete data", never 0. How much of the period the readings
cover, and where they are missing, is :func:`coverage`'s answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from chaufferie.historian import schema

HOUR = timedelta(hours=1)
MAX_GAP = timedelta(hours=6)
"""The longest stretch without a good reading a figure of the period may rest on."""
RESET_TOLERANCE = 1e-6
"""How far (in the counter's unit) a counter may seem to go back before it counts as a reset."""
WRAP_BAND = 0.1
"""A drop is a rollover when it goes from the top tenth of the meter's range to its bottom tenth."""


def wrapped(previous: float, value: float, rollover: float | None) -> bool:
    """Whether a counter going from ``previous`` down to ``value`` is its meter wrapping past
    ``rollover`` (the highest index it shows) rather than a reset or a replacement."""
    if rollover is None:
        return False
    return previous >= (1 - WRAP_BAND) * rollover and value <= WRAP_BAND * rollover


def increment(previous: float, value: float, rollover: float | None) -> float:
    """What a counter rose by from ``previous`` to ``value``, through a rollover if it wrapped
    (the one rule of docs/historian.md: ``rollover + 1 − previous + value``)."""
    if rollover is not None and value < previous - RESET_TOLERANCE and wrapped(previous, value, rollover):
        return rollover + 1 - previous + value
    return value - previous


@dataclass(frozen=True)
class Gap:
    """A stretch of the period without a good reading, longer than :data:`MAX_GAP`."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0


@dataclass(frozen=True)
class Coverage:
    """How much of a period a point's readings cover: hours with a good reading / hours of the
    period (0–1), and the gaps longer than :data:`MAX_GAP`."""

    fraction: float
    gaps: tuple[Gap, ...] = ()

    @property
    def complete(self) -> bool:
        return self.fraction >= 1.0 and not self.gaps


def coverage(conn: Connection, site_id: str, name: str, start: datetime, end: datetime) -> Coverage:
    """The share of the hours of [start, end) in which ``name`` has a good reading (its hour
    rollups, kept forever), and its gaps longer than :data:`MAX_GAP`."""
    total = round((end - start) / HOUR)
    pid = point_id(conn, site_id, name)
    if pid is None or total <= 0:
        return Coverage(0.0, (Gap(start, end),) if total > 0 else ())
    h = schema.rollup_hour
    buckets = list(
        conn.execute(
            select(h.c.bucket)
            .where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
            .where(h.c.good_ratio > 0, h.c.last.is_not(None))
            .order_by(h.c.bucket)
        ).scalars()
    )
    edges = [start, *(t for b in buckets for t in (b, b + HOUR)), end]
    gaps = tuple(
        Gap(earlier, later)
        for earlier, later in zip(edges[::2], edges[1::2], strict=True)
        if later - earlier > MAX_GAP
    )
    return Coverage(min(1.0, len(buckets) / total), gaps)


class Shortfall(StrEnum):
    """Why a point's readings are not enough for a figure of the period."""

    NO_READINGS = "no_readings"
    GAP = "gap"
    RESET = "reset"
    NOT_METERED = "not_metered"
    """The configuration has no such meter (a figure of a plant without it)."""


def shortfall(
    conn: Connection,
    site_id: str,
    name: str,
    start: datetime,
    end: datetime,
    counter: bool = True,
    rollover: float | None = None,
) -> Shortfall | None:
    """Why the readings of ``name`` cannot be trusted over [start, end), or None if they can
    (a counter's drop that is a rollover past ``rollover`` is no reset)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return Shortfall.NO_READINGS
    h = schema.rollup_hour
    hours = conn.execute(
        select(h.c.bucket, h.c.min, h.c.max, h.c.last)
        .where(h.c.point_id == pid, h.c.bucket >= start - MAX_GAP, h.c.bucket < end)
        .where(h.c.good_ratio > 0, h.c.last.is_not(None))
        .order_by(h.c.bucket)
    ).all()
    if not hours:
        return Shortfall.NO_READINGS
    if _longest_gap([row[0] for row in hours], start, end) > MAX_GAP:
        return Shortfall.GAP
    if counter and _drops(hours, rollover) is None:
        return Shortfall.RESET
    return None


def _longest_gap(buckets: Sequence[datetime], start: datetime, end: datetime) -> timedelta:
    """The longest time in [start, end) outside every hour that holds a reading."""
    edges = [start, *(t for b in buckets for t in (b, b + HOUR)), end]
    return max(
        max(later - earlier, timedelta()) for earlier, later in zip(edges[::2], edges[1::2], strict=True)
    )


def _drops(
    hours: Sequence[Sequence[Any]], rollover: float | None, previous: float | None = None
) -> list[tuple[float, float]] | None:
    """The (before, after) drops that (bucket, min, max, last) hours show a counter making,
    at most one an hour; None when one of them is not a rollover (a reset or replacement)."""
    found: list[tuple[float, float]] = []
    for _, low, high, last in hours:
        drop: tuple[float, float] | None = None
        if high is not None and last < high - RESET_TOLERANCE:
            drop = (float(high), float(last))
        elif previous is not None and low is not None and low < previous - RESET_TOLERANCE:
            drop = (previous, float(low))
        if drop is not None:
            if not wrapped(*drop, rollover):
                return None
            found.append(drop)
        previous = float(last)
    return found


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


def counter_at(conn: Connection, site_id: str, name: str, t: datetime) -> float | None:
    """What the counter ``name`` read last at or before ``t`` (None: no good reading yet)."""
    pid = point_id(conn, site_id, name)
    reading = None if pid is None else _reading_at(conn, pid, t)
    return None if reading is None else reading[1]


def first_reading_time(conn: Connection, site_id: str, name: str) -> datetime | None:
    """When ``name`` was first recorded with a good value (raw samples or hour rollups)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return None
    s, h = schema.samples, schema.rollup_hour
    raw = conn.execute(
        select(s.c.time).where(s.c.point_id == pid, s.c.quality == 0).order_by(s.c.time).limit(1)
    ).scalar()
    rolled = conn.execute(
        select(h.c.bucket).where(h.c.point_id == pid, h.c.good_ratio > 0).order_by(h.c.bucket).limit(1)
    ).scalar()
    found = [t for t in (raw, rolled) if t is not None]
    return min(found) if found else None


def _first_after(conn: Connection, pid: int, start: datetime, end: datetime) -> float | None:
    """The first good value in [start, end): raw, else the first hour rollup's minimum."""
    s, h = schema.samples, schema.rollup_hour
    first = conn.execute(
        select(s.c.value)
        .where(s.c.point_id == pid, s.c.time >= start, s.c.time < end)
        .where(s.c.quality == 0, s.c.value.is_not(None))
        .order_by(s.c.time)
        .limit(1)
    ).scalar()
    if first is None:
        first = conn.execute(
            select(h.c.min)
            .where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
            .where(h.c.good_ratio > 0, h.c.min.is_not(None))
            .order_by(h.c.bucket)
            .limit(1)
        ).scalar()
    return None if first is None else float(first)


def counter_delta(
    conn: Connection,
    site_id: str,
    name: str,
    start: datetime,
    end: datetime,
    rollover: float | None = None,
) -> float:
    """How much the counter ``name`` rose over [start, end) (0 when unknown or reset): from
    the last reading before ``start`` (if within :data:`MAX_GAP`, else the first after it) to
    the last before ``end``, plus ``rollover + 1`` for each time the meter wrapped (seen in the
    hour rollups). Ask :func:`shortfall` first whether the result can be trusted."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return 0.0
    at_end = _reading_at(conn, pid, end)
    if at_end is None or at_end[0] < start:
        return 0.0
    at_start = _reading_at(conn, pid, start)
    recent = at_start is not None and at_start[0] >= start - MAX_GAP
    first = at_start[1] if at_start is not None and recent else _first_after(conn, pid, start, end)
    if first is None:
        return 0.0
    if rollover is None:
        return max(0.0, at_end[1] - first)
    h = schema.rollup_hour
    since = at_start[0] if at_start is not None and recent else start
    hours = conn.execute(
        select(h.c.bucket, h.c.min, h.c.max, h.c.last)
        .where(h.c.point_id == pid, h.c.bucket >= since, h.c.bucket < end)
        .where(h.c.good_ratio > 0, h.c.last.is_not(None))
        .order_by(h.c.bucket)
    ).all()
    drops = _drops(hours, rollover, first)
    if drops is None:
        return 0.0
    return max(0.0, at_end[1] - first + len(drops) * (rollover + 1))


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
