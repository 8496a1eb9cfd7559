"""Historian benchmark: ingest through the real writer, trend query times, size on disk.

Prints, for SQLite and (when its binaries are installed) a throw-away PostgreSQL on
127.0.0.1: sustained ingest of tag values through :class:`HistorianWriter` (bus →
deadband and rollups → batched executemany), measured against a baseline in the same run
(SQLAlchemy Core ``executemany`` of ready-made sample rows into the same table, and the
sqlite3 driver's own ``executemany`` for reference); then the time to answer a 1-day, 30-day
and 1-year trend of 10 points from a year of 10-second data (SQLite), and the database size
per million samples. The last line is one JSON object with the keys of issue 8.

Run: ``.venv/bin/python bench/historian.py`` (about a minute on a 2-core shared machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from chaufferie.config.bus import Bus  # noqa: E402
from chaufferie.config.clock import VirtualClock  # noqa: E402
from chaufferie.config.loader import load_config  # noqa: E402
from chaufferie.config.settings import PlantConfig  # noqa: E402
from chaufferie.config.vocabulary import Quality, TagValue  # noqa: E402
from chaufferie.historian import schema  # noqa: E402
from chaufferie.historian.database import (  # noqa: E402
    ensure_month_partitions,
    make_engine,
    migrate,
    month_start,
)
from chaufferie.historian.trends import trend  # noqa: E402
from chaufferie.historian.writer import HistorianWriter  # noqa: E402

POINTS = [f"bench.p{i:02d}" for i in range(10)]
INGEST_N = 200_000
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_STEP_S = 10


def machine() -> str:
    cores = f"{os.cpu_count()} cores (shared)"
    return f"{platform.node()} {platform.machine()} {cores}, Python {platform.python_version()}"


def tag_values(n: int, start: datetime) -> list[TagValue]:
    rnd = random.Random(8)
    out = []
    for i in range(n):
        t = start + timedelta(milliseconds=100 * i)
        out.append(TagValue(POINTS[i % len(POINTS)], rnd.uniform(0, 100), Quality.GOOD, t, t))
    return out


def config_for(url: str, data_dir: Path) -> PlantConfig:
    cfg = load_config(data_dir=str(data_dir))
    storage = cfg.storage.model_copy(update={"url": url, "queue_size": 200_000})
    return cfg.model_copy(update={"storage": storage})


async def ingest_through_writer(url: str, data_dir: Path, n: int) -> float:
    """Samples per second from the first publish to the end of the final flush."""
    cfg = config_for(url, data_dir)
    bus, clock = Bus(), VirtualClock()
    values = tag_values(n, YEAR_START)
    async with HistorianWriter(cfg, bus, clock) as writer:
        task = asyncio.create_task(writer.run())
        await asyncio.sleep(0)
        started = time.perf_counter()
        for i in range(0, n, 1000):
            bus.publish_many(values[i : i + 1000])
            await asyncio.sleep(0)
            await queue_below(bus, 150_000)
        await queue_below(bus, 1)
        await writer.flush()
        elapsed = time.perf_counter() - started
        task.cancel()
        assert writer.health.lost == 0
        with writer.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM samples")).scalar_one()
        assert stored == n, (stored, n)
    return n / elapsed


async def queue_below(bus: Bus, size: int) -> None:
    """Wait until the historian's bus queue holds fewer than ``size`` messages (polled)."""
    while bus.queue_sizes.get("historian", 0) >= size:  # noqa: ASYNC110 - nothing to wait on but the size
        await asyncio.sleep(0.001)


def sample_rows(n: int, start: datetime, step_s: float, points: int = 10) -> list[dict[str, Any]]:
    rnd = random.Random(9)
    rows = []
    for i in range(n):
        t = start + timedelta(seconds=step_s * (i // points))
        rows.append(
            {"point_id": 1 + i % points, "time": t, "value": rnd.uniform(0, 100), "quality": 0, "seq": i}
        )
    return rows


def core_executemany(engine: Engine, rows: list[dict[str, Any]], batch: int = 5000) -> float:
    """Samples per second of SQLAlchemy Core executemany of ready-made rows."""
    migrate(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            ensure_month_partitions(conn, {month_start(r["time"]) for r in rows})
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        with engine.begin() as conn:
            conn.execute(schema.samples.insert(), rows[i : i + batch])
    return len(rows) / (time.perf_counter() - started)


def driver_executemany(path: Path, rows: list[dict[str, Any]], batch: int = 5000) -> float:
    """Samples per second of the sqlite3 driver alone (times already integers)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    us = timedelta(microseconds=1)
    tuples = [(r["point_id"], (r["time"] - epoch) // us, r["value"], 0, r["seq"]) for r in rows]
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE samples (point_id INTEGER, time BIGINT, value FLOAT, quality SMALLINT, seq BIGINT, "
        "PRIMARY KEY (point_id, time)) WITHOUT ROWID"
    )
    started = time.perf_counter()
    for i in range(0, len(tuples), batch):
        with con:
            con.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?)", tuples[i : i + batch])
    rate = len(tuples) / (time.perf_counter() - started)
    con.close()
    return rate


def file_bytes(path: Path) -> int:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path.stat().st_size


def build_year(path: Path) -> Engine:
    """A year of 10 s data for 10 points and its rollups, bulk-loaded with the sqlite3 driver."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(schema.points.insert(), [{"site_id": "joucas", "name": p} for p in POINTS])
    rnd = random.Random(10)
    start_us = int(YEAR_START.timestamp()) * 1_000_000
    step_us = YEAR_STEP_S * 1_000_000
    per_day = 86400 // YEAR_STEP_S
    con = sqlite3.connect(path)
    for day in range(365):
        first = day * per_day
        rows = [
            (pid, start_us + (first + i) * step_us, rnd.uniform(0, 100), 0, (first + i) * 10 + pid)
            for i in range(per_day)
            for pid in range(1, len(POINTS) + 1)
        ]
        with con:
            con.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?)", rows)
    with con:
        for table, width in (("rollup_minute", 60_000_000), ("rollup_hour", 3_600_000_000)):
            con.execute(
                f"INSERT INTO {table} (point_id, bucket, min, max, mean, last, count, good_ratio) "  # noqa: S608
                f"SELECT point_id, (time / {width}) * {width}, min(value), max(value), avg(value), "
                f"max(value), count(*), 1.0 FROM samples GROUP BY point_id, time / {width}"
            )
    con.close()
    return engine


def trend_ms(engine: Engine, days: float) -> float:
    end = YEAR_START + timedelta(days=365)
    start = end - timedelta(days=days)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        result = trend(engine, "joucas", POINTS, start, end)
        times.append((time.perf_counter() - began) * 1000)
        assert all(result[p].points for p in POINTS)
    rows = sum(len(t.points) for t in result.values())
    print(
        f"  trend {days:>5g} d of 10 points: {statistics.median(times):7.1f} ms, {rows} rows "
        f"from {result[POINTS[0]].source}"
    )
    return statistics.median(times)


def postgres_ingest(tmp: Path) -> float | None:
    try:
        from tests.conftest import free_port
        from tests.historian.pgserver import PostgresUnavailable, start_postgres
    except ImportError:
        return None
    try:
        server = start_postgres(free_port())
    except (PostgresUnavailable, OSError) as exc:
        print(f"  PostgreSQL not measured: {exc}")
        return None
    try:
        name = server.create_database()
        rate = asyncio.run(ingest_through_writer(server.url(name), tmp / "pg", INGEST_N // 2))
        baseline_engine = make_engine(server.url(server.create_database()))
        base = core_executemany(baseline_engine, sample_rows(INGEST_N // 2, YEAR_START, 1))
        baseline_engine.dispose()
        print(f"  postgres writer ingest: {rate:10.0f} samples/s (Core executemany baseline {base:.0f}/s)")
        return rate
    finally:
        server.stop()


def sqlite_ingest(tmp: Path) -> dict[str, float]:
    rows = sample_rows(INGEST_N, YEAR_START, 1)
    core = core_executemany(make_engine(f"sqlite:///{tmp / 'core.db'}"), rows)
    driver = driver_executemany(tmp / "driver.db", rows)
    size = file_bytes(tmp / "core.db") / INGEST_N * 1_000_000
    writer = asyncio.run(ingest_through_writer(f"sqlite:///{tmp / 'writer.db'}", tmp / "w", INGEST_N))
    print(f"  sqlite writer ingest:    {writer:10.0f} samples/s (bus, deadband, rollups, batches)")
    print(f"  sqlite Core executemany: {core:10.0f} samples/s (baseline: ready-made dict rows)")
    print(f"  sqlite3 driver alone:    {driver:10.0f} samples/s (reference: ready-made tuples)")
    print(f"  writer / Core baseline:  {writer / core:10.0%}")
    print(f"  size: {size / 1e6:.1f} MB per million samples (samples table, WITHOUT ROWID)")
    return {"writer": writer, "core": core, "driver": driver, "size": size}


def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lite = sqlite_ingest(tmp)
        pg_rate = postgres_ingest(tmp)
        began = time.perf_counter()
        year = build_year(tmp / "year.db")
        print(f"  year of 10 s data for 10 points built in {time.perf_counter() - began:.0f} s")
        trends = {days: trend_ms(year, days) for days in (1, 30, 365)}
        year.dispose()
    result = {
        "machine": machine(),
        "sqlite_ingest_per_s": round(lite["writer"]),
        "sqlite_raw_executemany_per_s": round(lite["core"]),
        "sqlite_driver_executemany_per_s": round(lite["driver"]),
        "postgres_ingest_per_s": None if pg_rate is None else round(pg_rate),
        "trend_1d_ms": round(trends[1], 1),
        "trend_30d_ms": round(trends[30], 1),
        "trend_1y_ms": round(trends[365], 1),
        "bytes_per_million_samples": round(lite["size"]),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
