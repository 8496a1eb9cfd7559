"""Trend queries: any points over any range, from raw samples or rollups, bounded in rows.

:func:`trend` aims at about ``max_points`` buckets per point: it divides the range into
buckets of that width and reads the coarsest source whose resolution fits (raw samples,
minute or hour rollups), aggregating in the database (mean, min, max, good ratio per bucket).
A year of 10-second data is so drawn from hour rollups: a few thousand rows, never millions.
The same query runs on SQLite (times as integer microseconds) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Engine, Table, case, func, literal, select, type_coerce

from chaufferie.historian import schema
from chaufferie.historian.sqltypes import UtcTime

SOURCES = (
    ("raw", schema.samples, 0),
    ("minute", schema.rollup_minute, 60),
    ("hour", schema.rollup_hour, 3600),
)
"""Sources from finest to coarsest, with their resolution in seconds."""
COARSEST_FIT = 1.5
"""A source fits when its resolution is at most this many bucket widths."""


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One bucket of a trend (or one raw sample when buckets are finer than the data)."""

    time: datetime
    value: float | None
    min: float | None
    max: float | None
    good_ratio: float


@dataclass(frozen=True, slots=True)
class Trend:
    point: str
    source: str
    bucket_s: float
    points: list[TrendPoint]


def choose_source(start: datetime, end: datetime, max_points: int) -> tuple[str, Table, float]:
    """The source table and bucket width (seconds) for ``max_points`` buckets over the range."""
    width = (end - start).total_seconds() / max(1, max_points)
    chosen = SOURCES[0]
    for source in SOURCES[1:]:
        if source[2] <= width * COARSEST_FIT:
            chosen = source
    name, table, resolution = chosen
    if resolution:
        width = max(resolution, round(width / resolution) * resolution)
    return name, table, width


def _bucket(column: Any, width_s: float, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        width_us = max(1, int(width_s * 1_000_000))
        expr: ColumnElement[Any] = (type_coerce(column, BigInteger) // width_us) * width_us
        return type_coerce(expr, UtcTime)
    epoch = func.extract("epoch", column)
    return type_coerce(func.to_timestamp(func.floor(epoch / width_s) * width_s), UtcTime)


def trend(
    engine: Engine,
    site_id: str,
    points: Sequence[str],
    start: datetime,
    end: datetime,
    max_points: int = 1000,
) -> dict[str, Trend]:
    """Trends of ``points`` over [start, end), about ``max_points`` buckets each."""
    name, table, width = choose_source(start, end, max_points)
    time_col = table.c.time if name == "raw" else table.c.bucket
    with engine.connect() as conn:
        found = conn.execute(
            select(schema.points.c.name, schema.points.c.id).where(
                schema.points.c.site_id == site_id, schema.points.c.name.in_(points)
            )
        ).all()
        ids = {int(pid): str(pname) for pname, pid in found}
        result = {p: Trend(p, name, width, []) for p in points}
        if not ids:
            return result
        bucket = _bucket(time_col, width, engine.dialect.name).label("b")
        if name == "raw":
            value, low, high = table.c.value, table.c.value, table.c.value
            good: ColumnElement[Any] = case((table.c.quality == 0, literal(1.0)), else_=literal(0.0))
        else:
            value, low, high, good = table.c.mean, table.c.min, table.c.max, table.c.good_ratio
        query = (
            select(table.c.point_id, bucket, func.avg(value), func.min(low), func.max(high), func.avg(good))
            .where(table.c.point_id.in_(ids), time_col >= start, time_col < end)
            .group_by(table.c.point_id, bucket)
            .order_by(table.c.point_id, bucket)
        )
        for pid, t, mean, lo, hi, ratio in conn.execute(query):
            result[ids[pid]].points.append(TrendPoint(t, mean, lo, hi, float(ratio or 0.0)))
    return result
