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
(:func:`wrapped`), which :func:`counter_delta` counts through, or a meter replacement the agent
confirmed (:func:`replacements`, table ``meter_replacements``), which it counts through from
the old meter's final index to the new one's initial index. Any other drop is a suspected
replacement (:func:`suspected`). A figure that fails is "données incomplètes / incomplete
data", never 0. How much of the period the readings cover, and where they are missing, is
:func:`coverage`'s answer (from the hour rollups alone).

Manual readings (table ``manual_readings``, entered in the logbook) are readings like any
other, of source ``manual``: a meter that is not connected gets its figures from them alone.
An index read on site vouches for all before it, so the time between two manual readings is
covered, and one stands for a period's start or end within :data:`MANUAL_REACH` of it.
The entries are checked and audited by :mod:`.meters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple

from sqlalchemy import Connection, select

from chaufferie.historian import meter_schema, schema

HOUR = timedelta(hours=1)
MAX_GAP = timedelta(hours=6)
"""The longest stretch without a good reading a figure of the period may rest on."""
RESET_TOLERANCE = 1e-6
"""How far (in the counter's unit) a counter may seem to go back before it counts as a reset."""
MANUAL_REACH = timedelta(days=1)
"""How far from a period's start or end a manual reading may be taken and still stand for it
(the agent reads the meters on the first day of the month, during the day)."""
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
    """The share of [start, end) the readings of ``name`` vouch for (:func:`_spans`: its hours
    with a good reading, in the hour rollups kept forever, and its manual readings), and its
    gaps longer than :data:`MAX_GAP`."""
    if end <= start:
        return Coverage(0.0)
    readings = _readings(conn, site_id, name, point_id(conn, site_id, name), start, end)
    manual = _manual(conn, site_id, name, start - MANUAL_REACH, end + MANUAL_REACH)
    if not readings and not manual:
        return Coverage(0.0, (Gap(start, end),))
    holes = _uncovered(_spans(readings, manual), start, end)
    missing = sum((later - earlier for earlier, later in holes), timedelta())
    gaps = tuple(Gap(earlier, later) for earlier, later in holes if later - earlier > MAX_GAP)
    return Coverage(max(0.0, 1.0 - missing / (end - start)), gaps)


class Shortfall(StrEnum):
    """Why a point's readings are not enough for a figure of the period (``RESET``: a drop that
    is neither a rollover nor a confirmed replacement, i.e. a suspected meter replacement)."""

    NO_READINGS = "no_readings"
    GAP = "gap"
    RESET = "reset"
    NOT_METERED = "not_metered"
    """The configuration has no such meter (a figure of a plant without it)."""


@dataclass(frozen=True)
class Replacement:
    """A meter replacement the agent confirmed: when, the old meter's final index and the new
    meter's initial index."""

    at: datetime
    old_final: float
    new_initial: float


@dataclass(frozen=True)
class Drop:
    """A counter going down: the reading's time (an hour's start, or a manual reading's time),
    the last index before and the first after."""

    at: datetime
    before: float
    after: float


class _Reading(NamedTuple):
    """An hour of readings (its start, min, max, last) or a manual reading (its time and
    index three times)."""

    time: datetime
    low: float | None
    high: float | None
    last: float


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
    (a counter's drop that is a rollover past ``rollover``, or a confirmed replacement, is no
    reset; manual readings count: see :func:`_spans`)."""
    pid = point_id(conn, site_id, name)
    readings = _readings(conn, site_id, name, pid, start - MAX_GAP, end)
    manual = _manual(conn, site_id, name, start - MANUAL_REACH, end + MANUAL_REACH)
    if not readings and not manual:
        return Shortfall.NO_READINGS
    if _longest_gap(_spans(readings, manual), start, end) > MAX_GAP:
        return Shortfall.GAP
    if counter and _unexplained(conn, site_id, name, readings, start, end, rollover):
        return Shortfall.RESET
    return None


def suspected(
    conn: Connection, site_id: str, name: str, start: datetime, end: datetime, rollover: float | None = None
) -> list[Drop]:
    """The suspected replacements of the counter ``name`` in [start, end) (from ``MAX_GAP``
    before it): its drops that are neither a rollover past ``rollover`` nor within
    :data:`MAX_GAP` of a confirmed replacement."""
    readings = _readings(conn, site_id, name, point_id(conn, site_id, name), start - MAX_GAP, end)
    return _unexplained(conn, site_id, name, readings, start, end, rollover)


def _unexplained(
    conn: Connection,
    site_id: str,
    name: str,
    readings: Sequence[_Reading],
    start: datetime,
    end: datetime,
    rollover: float | None,
) -> list[Drop]:
    """The drops of ``readings`` (from ``MAX_GAP`` before ``start``) that are neither a
    rollover nor near a confirmed replacement."""
    swaps = replacements(conn, site_id, name, start - 2 * MAX_GAP, end + MAX_GAP)
    return _drops(readings, rollover, swaps)[1]


def _spans(
    readings: Sequence[_Reading], manual: Sequence[tuple[datetime, float]]
) -> list[tuple[datetime, datetime]]:
    """The stretches of time the readings vouch for: each hour with a good reading; each
    manual reading, :data:`MANUAL_REACH` on either side; and the whole time between two
    consecutive manual readings (the meter counted all along, and the two indices say how much)."""
    spans = [(r.time, r.time + HOUR) for r in readings]
    spans += [(t - MANUAL_REACH, t + MANUAL_REACH) for t, _ in manual]
    spans += [(earlier[0], later[0]) for earlier, later in pairwise(manual)]
    return spans


def _longest_gap(spans: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime) -> timedelta:
    """The longest time in [start, end) outside every one of ``spans``."""
    return max((later - earlier for earlier, later in _uncovered(spans, start, end)), default=timedelta())


def _uncovered(
    spans: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, end) outside every one of ``spans``, in time order."""
    holes, reached = [], start
    for since, until in sorted(spans):
        if min(since, end) > reached:
            holes.append((reached, min(since, end)))
        reached = max(reached, until)
    if end > reached:
        holes.append((reached, end))
    return holes


def _drops(
    readings: Sequence[_Reading],
    rollover: float | None,
    swaps: Sequence[Replacement] = (),
    previous: float | None = None,
) -> tuple[list[Drop], list[Drop]]:
    """The drops ``readings`` show a counter making, at most one a reading, sorted into
    (rollovers, suspected replacements); a drop within :data:`MAX_GAP` of a confirmed
    replacement in ``swaps`` is that replacement, and in neither list."""
    wraps: list[Drop] = []
    unexplained: list[Drop] = []
    for r in readings:
        drop: Drop | None = None
        if r.high is not None and r.last < r.high - RESET_TOLERANCE:
            drop = Drop(r.time, r.high, r.last)
        elif previous is not None and r.low is not None and r.low < previous - RESET_TOLERANCE:
            drop = Drop(r.time, previous, r.low)
        previous = r.last
        if drop is None or any(abs(s.at - drop.at) <= MAX_GAP for s in swaps):
            continue
        (wraps if wrapped(drop.before, drop.after, rollover) else unexplained).append(drop)
    return wraps, unexplained


def _readings(
    conn: Connection, site_id: str, name: str, pid: int | None, start: datetime, end: datetime
) -> list[_Reading]:
    """The point's hours with a good reading in [start, end), and its manual readings there
    in the hours without one, in time order."""
    hours: list[_Reading] = []
    if pid is not None:
        h = schema.rollup_hour
        rows = conn.execute(
            select(h.c.bucket, h.c.min, h.c.max, h.c.last)
            .where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
            .where(h.c.good_ratio > 0, h.c.last.is_not(None))
            .order_by(h.c.bucket)
        ).all()
        hours = [_Reading(b, low, high, float(last)) for b, low, high, last in rows]
    held = {r.time for r in hours}
    manual = [
        _Reading(t, v, v, v) for t, v in _manual(conn, site_id, name, start, end) if _hour_of(t) not in held
    ]
    return sorted([*hours, *manual], key=lambda r: r.time)


def _hour_of(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _manual(
    conn: Connection, site_id: str, name: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """The manual readings of ``name`` in [start, end], in time order."""
    m = meter_schema.manual_readings
    rows = conn.execute(
        select(m.c.read_at, m.c.value)
        .where(m.c.site_id == site_id, m.c.point == name, m.c.read_at >= start, m.c.read_at <= end)
        .order_by(m.c.read_at, m.c.id)
    ).all()
    return [(t, float(v)) for t, v in rows]


def replacements(
    conn: Connection, site_id: str, name: str, start: datetime, end: datetime
) -> list[Replacement]:
    """The confirmed replacements of the meter of ``name`` in (start, end], in time order."""
    r = meter_schema.meter_replacements
    rows = conn.execute(
        select(r.c.replaced_at, r.c.old_final, r.c.new_initial)
        .where(r.c.site_id == site_id, r.c.point == name, r.c.replaced_at > start, r.c.replaced_at <= end)
        .order_by(r.c.replaced_at, r.c.id)
    ).all()
    return [Replacement(t, float(old), float(new)) for t, old, new in rows]


def point_id(conn: Connection, site_id: str, name: str) -> int | None:
    p = schema.points
    found = conn.execute(select(p.c.id).where(p.c.site_id == site_id, p.c.name == name)).scalar()
    return None if found is None else int(found)


def _reading_at(
    conn: Connection, site_id: str, name: str, pid: int | None, t: datetime
) -> tuple[datetime, float] | None:
    """The last good value at or before ``t`` (raw, hour rollup or manual, whichever is later)."""
    candidates = []
    if pid is not None:
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
        if raw is not None:
            candidates.append((raw[0], float(raw[1])))
        if rolled is not None:
            candidates.append((rolled[0] + HOUR, float(rolled[1])))
    m = meter_schema.manual_readings
    manual = conn.execute(
        select(m.c.read_at, m.c.value)
        .where(m.c.site_id == site_id, m.c.point == name, m.c.read_at <= t)
        .order_by(m.c.read_at.desc(), m.c.id.desc())
        .limit(1)
    ).first()
    if manual is not None:
        candidates.append((manual[0], float(manual[1])))
    return max(candidates, key=lambda c: c[0]) if candidates else None


def last_reading(conn: Connection, site_id: str, name: str, t: datetime) -> tuple[datetime, float] | None:
    """The last good reading (time, index) of the counter ``name`` at or before ``t``, of any
    source (raw sample, hour rollup, manual reading)."""
    return _reading_at(conn, site_id, name, point_id(conn, site_id, name), t)


def counter_at(conn: Connection, site_id: str, name: str, t: datetime) -> float | None:
    """What the counter ``name`` read last at or before ``t`` (None: no good reading yet)."""
    reading = last_reading(conn, site_id, name, t)
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


def _first_after(
    conn: Connection, site_id: str, name: str, pid: int | None, start: datetime, end: datetime
) -> tuple[datetime, float] | None:
    """The first good reading in [start, end): raw, else the first hour rollup's minimum, or a
    manual reading if it is earlier."""
    found: list[tuple[datetime, float]] = []
    if pid is not None:
        s, h = schema.samples, schema.rollup_hour
        first = conn.execute(
            select(s.c.time, s.c.value)
            .where(s.c.point_id == pid, s.c.time >= start, s.c.time < end)
            .where(s.c.quality == 0, s.c.value.is_not(None))
            .order_by(s.c.time)
            .limit(1)
        ).first()
        if first is None:
            first = conn.execute(
                select(h.c.bucket, h.c.min)
                .where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
                .where(h.c.good_ratio > 0, h.c.min.is_not(None))
                .order_by(h.c.bucket)
                .limit(1)
            ).first()
        if first is not None:
            found.append((first[0], float(first[1])))
    manual = [(t, v) for t, v in _manual(conn, site_id, name, start, end) if t < end][:1]
    return min([*found, *manual], key=lambda c: c[0], default=None)


def _ends(
    conn: Connection, site_id: str, name: str, pid: int | None, start: datetime, end: datetime
) -> tuple[tuple[datetime, float], tuple[datetime, float]] | None:
    """The readings a counter's rise over [start, end) is taken between: the last before
    ``start`` if within :data:`MAX_GAP`, else the first after it; the last before ``end``, or,
    when that is older than :data:`MAX_GAP`, a manual reading within :data:`MANUAL_REACH`
    after ``end``. None when there is no such pair."""
    at_start = _reading_at(conn, site_id, name, pid, start)
    if at_start is None or at_start[0] < start - MAX_GAP:
        at_start = _first_after(conn, site_id, name, pid, start, end)
    at_end = _reading_at(conn, site_id, name, pid, end)
    if at_end is None or at_end[0] < end - MAX_GAP:
        late = _manual(conn, site_id, name, end, end + MANUAL_REACH)
        at_end = late[0] if late else at_end
    if at_start is None or at_end is None or at_end[0] < start or at_end[0] < at_start[0]:
        return None
    return at_start, at_end


def counter_delta(
    conn: Connection,
    site_id: str,
    name: str,
    start: datetime,
    end: datetime,
    rollover: float | None = None,
) -> float:
    """How much the counter ``name`` rose over [start, end) (0 when unknown or reset), between
    the readings :func:`_ends` picks. Each confirmed replacement between them splits the rise:
    (old meter's final index − reading at start) + … + (reading at end − new meter's initial
    index); each piece also counts ``rollover + 1`` for each time the meter wrapped (seen in
    the readings). Ask :func:`shortfall` first whether the result can be trusted."""
    pid = point_id(conn, site_id, name)
    ends = _ends(conn, site_id, name, pid, start, end)
    if ends is None:
        return 0.0
    (since, first), (until, last) = ends
    swaps = replacements(conn, site_id, name, since, until)
    total = 0.0
    for swap in swaps:
        total += _rise(conn, site_id, name, pid, (since, first), (swap.at, swap.old_final), rollover, swaps)
        since, first = swap.at, swap.new_initial
    return total + _rise(conn, site_id, name, pid, (since, first), (until, last), rollover, swaps)


def _rise(
    conn: Connection,
    site_id: str,
    name: str,
    pid: int | None,
    first: tuple[datetime, float],
    last: tuple[datetime, float],
    rollover: float | None,
    swaps: Sequence[Replacement],
) -> float:
    """What one meter counted from the reading ``first`` to ``last`` (time, index), through
    its rollovers (0 when a drop between them is a suspected replacement)."""
    if rollover is None:
        return max(0.0, last[1] - first[1])
    readings = _readings(conn, site_id, name, pid, first[0], last[0])
    wraps, unexplained = _drops(readings, rollover, swaps, first[1])
    if unexplained:
        return 0.0
    return max(0.0, last[1] - first[1] + len(wraps) * (rollover + 1))


Step = tuple[datetime, float | None]
"""From this time on, this value (None: not good)."""


def held_steps(conn: Connection, pid: int, start: datetime, end: datetime) -> list[Step]:
    """The raw samples of point ``pid`` in [start, end) and the last one before, each value held
    until the next (empty when the period has no raw sample: they are past their retention)."""
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
        return []
    return [(t, float(v) if q == 0 and v is not None else None) for t, v, q in [*before, *inside]]


def run_hours(conn: Connection, site_id: str, name: str, start: datetime, end: datetime) -> float:
    """Hours the on/off point ``name`` was on (value ≥ 0.5, good) during [start, end)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return 0.0
    steps = held_steps(conn, pid, start, end)
    if not steps:
        return _rollup_hours(conn, pid, start, end)
    on = timedelta()
    for (t, value), nxt in zip(steps, [*steps[1:], None], strict=True):
        until = min(end, nxt[0] if nxt is not None else end)
        since = max(start, t)
        if value is not None and value >= 0.5 and until > since:
            on += until - since
    return on.total_seconds() / 3600.0


def _rollup_hours(conn: Connection, pid: int, start: datetime, end: datetime) -> float:
    h = schema.rollup_hour
    means = conn.execute(
        select(h.c.mean).where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
    ).scalars()
    return float(sum(m for m in means if m is not None))
