"""Connecting to the historian's database and keeping its schema current.

:func:`make_engine` opens SQLite (WAL, ``synchronous=NORMAL``, a busy timeout) or PostgreSQL
through psycopg 3 (``postgresql://`` URLs are mapped to ``postgresql+psycopg://``; the password
may come from the environment variable named in config, never from the file). :func:`migrate`
runs the Alembic migrations shipped in ``migrations/`` up to ``head``.

PostgreSQL specifics live here too: monthly partitions of ``samples`` created as months
arrive (:func:`ensure_month_partitions`) and dropped whole by retention
(:func:`drop_partitions_before`), and the GIN full-text indexes on messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str, password_env: str | None = None) -> str:
    """The URL with the psycopg 3 driver for PostgreSQL and the password from the environment."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
        secret = os.environ.get(password_env) if password_env else None
        if secret and parsed.password is None:
            parsed = parsed.set(password=secret)
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, password_env: str | None = None, busy_timeout_s: float = 5.0, **kwargs: Any
) -> Engine:
    """An engine for ``url``: SQLite in WAL mode (its folder created) or PostgreSQL.

    ``busy_timeout_s`` is how long SQLite waits for a lock (PostgreSQL: for a connection)
    before the database counts as unavailable.
    """
    url = normalise_url(url, password_env)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        timeout = {"connect_timeout": max(1, round(busy_timeout_s))}
        return create_engine(url, pool_pre_ping=True, connect_args=timeout, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the shipped migrations (no ``alembic.ini`` needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``head`` at start-up); one log line when it changes."""
    before = current_revision(engine)
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        alembic_log.setLevel(level)
    after = current_revision(engine)
    if after != before:
        log.info("historian database schema upgraded from %s to %s", before or "empty", after)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


FULLTEXT = (("plant_events", "message"), ("alarm_transitions", "message"), ("notifications", "body"))


def create_fulltext_indexes(bind: Connection) -> None:
    """GIN indexes on ``to_tsvector('simple', message)`` (PostgreSQL only)."""
    if bind.dialect.name != "postgresql":
        return
    for table, column in FULLTEXT:
        bind.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS ix_{table}_fts ON {table} "
                f"USING gin (to_tsvector('simple', {column}))"
            )
        )


def month_start(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def next_month(t: datetime) -> datetime:
    return datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"samples_{month.year:04d}{month.month:02d}"


PARTITION_LOCK = 0x63686175  # pg_advisory_xact_lock key: one creator of partitions at a time


def ensure_month_partitions(conn: Connection, months: Iterable[datetime]) -> None:
    """Create the monthly partitions of ``samples`` holding ``months`` (PostgreSQL only).

    Writers that find a month missing take one transaction-scoped advisory lock before creating
    it: two transactions creating the same partition at once (receivers of a central database,
    at the turn of a month) would otherwise collide in PostgreSQL's catalogue; months that
    exist cost a lookup and no lock."""
    wanted = sorted({month_start(m) for m in months})
    missing = [
        m for m in wanted if conn.execute(text(f"SELECT to_regclass('{partition_name(m)}')")).scalar() is None
    ]
    if not missing:
        return
    conn.execute(text(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})"))
    for month in missing:
        start, end = month, next_month(month)
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {partition_name(start)} PARTITION OF samples "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )


def existing_partitions(conn: Connection) -> list[datetime]:
    """Months that have a partition of ``samples`` (PostgreSQL only)."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'samples'"
        )
    )
    months = []
    for (name,) in rows:
        suffix = str(name).removeprefix("samples_")
        if len(suffix) == 6 and suffix.isdigit():
            months.append(datetime(int(suffix[:4]), int(suffix[4:]), 1, tzinfo=UTC))
    return sorted(months)


def drop_partitions_before(conn: Connection, cutoff: datetime) -> int:
    """Drop every monthly partition that ends at or before ``cutoff``; the count dropped."""
    dropped = 0
    for month in existing_partitions(conn):
        if next_month(month) <= cutoff:
            conn.execute(text(f"DROP TABLE IF EXISTS {partition_name(month)}"))
            dropped += 1
    return dropped
