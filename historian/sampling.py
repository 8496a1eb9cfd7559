"""What of a stream of tag values is worth keeping: deadband, heartbeat and rollups.

:class:`SampleFilter` keeps a value when it moved by more than the point's deadband, when
its quality changed, or when the point's heartbeat has passed since the last kept value
(so a flat line still shows it is alive). :class:`Rollups` sees *every* value, before the
deadband, and produces minute and hour rows (min, max, mean, last, count, good ratio) as
buckets close, and the open ones on :meth:`Rollups.flush` (they merge in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaufferie.config.points import Point
from chaufferie.historian.records import Row
from chaufferie.historian.sqltypes import from_us

MINUTE_TABLE, MINUTE_US = "rollup_minute", 60_000_000
HOUR_TABLE, HOUR_US = "rollup_hour", 3_600_000_000


class SampleFilter:
    """Per-point deadband and heartbeat."""

    def __init__(self, points: tuple[Point, ...] = (), default_heartbeat_s: float = 60.0) -> None:
        self._deadband = {p.name: p.deadband for p in points}
        self._heartbeat = {p.name: int(p.heartbeat_s * 1e6) for p in points}
        self._default_heartbeat = int(default_heartbeat_s * 1e6)
        self._last: dict[str, tuple[float | None, int, int]] = {}

    def keep(self, point: str, value: float | None, quality: int, t_us: int) -> bool:
        """Whether this value should be written (and remember it if so)."""
        last = self._last.get(point)
        if last is not None:
            last_value, last_quality, last_t = last
            if quality == last_quality and t_us >= last_t:
                heartbeat = self._heartbeat.get(point, self._default_heartbeat)
                if t_us - last_t < heartbeat and not _moved(
                    value, last_value, self._deadband.get(point, 0.0)
                ):
                    return False
        self._last[point] = (value, quality, t_us)
        return True


def _moved(value: float | None, last: float | None, deadband: float) -> bool:
    if value is None or last is None:
        return value is not last
    if deadband <= 0:
        return value != last
    return abs(value - last) > deadband


@dataclass(slots=True)
class _Bucket:
    start: int
    low: float | None
    high: float | None
    total: float
    numeric: int
    count: int
    good: int
    last: float | None

    def add(self, value: float | None, good: bool) -> None:
        self.count += 1
        self.good += good
        if value is None:
            return
        self.numeric += 1
        self.total += value
        self.last = value
        if self.low is None or value < self.low:
            self.low = value
        if self.high is None or value > self.high:
            self.high = value

    def merge(self, other: _Bucket) -> None:
        """Fold a finer bucket of the same span into this one."""
        self.count += other.count
        self.good += other.good
        if other.numeric == 0:
            return
        self.numeric += other.numeric
        self.total += other.total
        self.last = other.last
        if self.low is None or (other.low is not None and other.low < self.low):
            self.low = other.low
        if self.high is None or (other.high is not None and other.high > self.high):
            self.high = other.high

    def row(self, table: str, point: str) -> Row:
        values: dict[str, Any] = {
            "point": point,
            "bucket": from_us(self.start),
            "min": self.low,
            "max": self.high,
            "mean": self.total / self.numeric if self.numeric else None,
            "last": self.last,
            "count": self.count,
            "good_ratio": self.good / self.count,
        }
        return (table, values)


def _new_bucket(start: int) -> _Bucket:
    return _Bucket(start, None, None, 0.0, 0, 0, 0, None)


class Rollups:
    """Minute and hour aggregates of every value seen, per point.

    Each value updates its point's open minute bucket only; a minute, once closed, is merged
    into the open hour bucket (so per value the cost is one bucket update).
    """

    def __init__(self) -> None:
        self._minute: dict[str, _Bucket] = {}
        self._hour: dict[str, _Bucket] = {}

    def add(self, point: str, value: float | None, good: bool, t_us: int) -> list[Row]:
        """Account ``value``; the rows of buckets this value closed (usually none)."""
        start = t_us - t_us % MINUTE_US
        minute = self._minute.get(point)
        if minute is not None and minute.start == start:
            minute.add(value, good)
            return []
        closed: list[Row] = []
        if minute is not None and minute.start > start:  # a late value: partial rows of its own
            late = _new_bucket(start)
            late.add(value, good)
            hour = _new_bucket(start - start % HOUR_US)
            hour.merge(late)
            return [late.row(MINUTE_TABLE, point), hour.row(HOUR_TABLE, point)]
        if minute is not None:
            closed.append(minute.row(MINUTE_TABLE, point))
            closed.extend(self._into_hour(point, minute))
        fresh = self._minute[point] = _new_bucket(start)
        fresh.add(value, good)
        return closed

    def _into_hour(self, point: str, minute: _Bucket) -> list[Row]:
        start = minute.start - minute.start % HOUR_US
        hour = self._hour.get(point)
        closed: list[Row] = []
        if hour is not None and hour.start != start:
            closed.append(hour.row(HOUR_TABLE, point))
            hour = None
        if hour is None:
            hour = self._hour[point] = _new_bucket(start)
        hour.merge(minute)
        return closed

    def flush(self) -> list[Row]:
        """Rows of every open bucket (partial; they merge with later ones in the database)."""
        rows: list[Row] = []
        for point, minute in self._minute.items():
            rows.append(minute.row(MINUTE_TABLE, point))
            rows.extend(self._into_hour(point, minute))
        rows.extend(hour.row(HOUR_TABLE, point) for point, hour in self._hour.items())
        self._minute.clear()
        self._hour.clear()
        return rows
