"""Reading levels (temperatures, powers) out of the samples: time within a band, the peak.

A level is held from one sample to the next (values come on change, a lost link arrives as
a Bad value), as :func:`~chaufferie.historian.readings.run_hours` holds an on/off point.
Time within a band compares two such step functions (the buffer's outlet and the boiler's
setpoint) over the stretches where both are good. Once the raw samples are past their
retention, the hour rollups answer: an hour counts in the band when its mean outlet lies
within the band of its mean setpoint (coarser, said in docs/historian.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from chaufferie.historian import schema
from chaufferie.historian.readings import Step, held_steps, point_id


@dataclass(frozen=True)
class BandTime:
    """Hours within the band, out of the hours where both readings were good."""

    inside_h: float
    known_h: float

    @property
    def share(self) -> float | None:
        return self.inside_h / self.known_h if self.known_h > 0 else None


def time_within(
    conn: Connection, site_id: str, level: str, reference: str, band: float, start: datetime, end: datetime
) -> BandTime:
    """How long ``level`` stayed within ± ``band`` of ``reference`` during [start, end)."""
    a, b = point_id(conn, site_id, level), point_id(conn, site_id, reference)
    if a is None or b is None:
        return BandTime(0.0, 0.0)
    steps = [held_steps(conn, pid, start, end) for pid in (a, b)]
    if not steps[0] or not steps[1]:
        return _rollup_band(conn, (a, b), band, start, end)
    inside = known = 0.0
    for since, until, value, target in _merged(steps[0], steps[1], start, end):
        span = (until - since).total_seconds()
        if value is not None and target is not None:
            known += span
            if abs(value - target) <= band:
                inside += span
    return BandTime(inside / 3600.0, known / 3600.0)


def _merged(
    a: Sequence[Step], b: Sequence[Step], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, float | None, float | None]]:
    """The stretches of [start, end) over which both step functions hold one value each."""
    times = sorted({start, *(t for t, _ in a if start < t < end), *(t for t, _ in b if start < t < end)})
    out = []
    ia = ib = 0
    va = vb = None
    for since, until in zip(times, [*times[1:], end], strict=True):
        while ia < len(a) and a[ia][0] <= since:
            va = a[ia][1]
            ia += 1
        while ib < len(b) and b[ib][0] <= since:
            vb = b[ib][1]
            ib += 1
        out.append((since, until, va, vb))
    return out


def _rollup_band(
    conn: Connection, ids: tuple[int, int], band: float, start: datetime, end: datetime
) -> BandTime:
    means = [_hour_means(conn, pid, start, end) for pid in ids]
    hours = set(means[0]) & set(means[1])
    inside = sum(1 for h in hours if abs(means[0][h] - means[1][h]) <= band)
    return BandTime(float(inside), float(len(hours)))


def _hour_means(conn: Connection, pid: int, start: datetime, end: datetime) -> dict[datetime, float]:
    h = schema.rollup_hour
    rows = conn.execute(
        select(h.c.bucket, h.c.mean)
        .where(h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end)
        .where(h.c.good_ratio > 0, h.c.mean.is_not(None))
    ).all()
    return {row[0]: float(row[1]) for row in rows}


def peak(conn: Connection, site_id: str, name: str, start: datetime, end: datetime) -> float | None:
    """The highest good value of ``name`` during [start, end) (raw samples, else hour rollups)."""
    pid = point_id(conn, site_id, name)
    if pid is None:
        return None
    s, h = schema.samples, schema.rollup_hour
    raw = conn.execute(
        select(func.max(s.c.value)).where(
            s.c.point_id == pid, s.c.time >= start, s.c.time < end, s.c.quality == 0
        )
    ).scalar()
    if raw is not None:
        return float(raw)
    rolled = conn.execute(
        select(func.max(h.c.max)).where(
            h.c.point_id == pid, h.c.bucket >= start, h.c.bucket < end, h.c.good_ratio > 0
        )
    ).scalar()
    return None if rolled is None else float(rolled)
