"""Writing rows into the database (synchronous; the writer runs it in a worker thread).

:meth:`Store.write` writes one batch in one transaction with SQLAlchemy Core
``executemany``: samples and records are inserted with "on conflict do nothing" so that a
spool segment replayed after a crash changes nothing, rollups are merged (min of mins,
weighted means...), point names are mapped to ids (unknown points are registered), and the
site's last sequence number is kept in ``site_sequences``. On PostgreSQL the monthly
partitions a batch needs are created first. :meth:`Store.apply_retention` trims history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from chaufferie.config.points import Point
from chaufferie.config.settings import Retention
from chaufferie.historian import database, schema
from chaufferie.historian.central_schema import forward_cursors
from chaufferie.historian.haystack import haystack_tags
from chaufferie.historian.records import Row
from chaufferie.historian.sqltypes import from_us, to_us

Insert = postgresql.Insert | sqlite.Insert

SAMPLE_COLUMNS = ("point_id", "time", "value", "quality", "seq")
if tuple(c.name for c in schema.samples.columns) != SAMPLE_COLUMNS:
    raise RuntimeError("samples columns changed: update Store._insert_samples")

TABLES = {t.name: t for t in schema.HISTORIAN_TABLES}
POINT_TABLES = ("samples", "rollup_minute", "rollup_hour")


class Store:
    """The historian's database for one site."""

    def __init__(self, engine: Engine, site_id: str) -> None:
        self.engine = engine
        self.site_id = site_id
        self.postgres = engine.dialect.name == "postgresql"
        self._ids: dict[str, int] = {}
        self._months: set[datetime] = set()
        self._samples_sql: str | None = None

    def prepare(self, points: Iterable[Point] = ()) -> int:
        """Migrate to head, register ``points``; the last sequence number used by the site."""
        database.migrate(self.engine)
        with self.engine.begin() as conn:
            self._register(conn, list(points))
            last = conn.execute(
                select(schema.site_sequences.c.last_seq).where(
                    schema.site_sequences.c.site_id == self.site_id
                )
            ).scalar()
        return int(last or 0)

    def _insert(self, table: Table) -> Insert:
        return postgresql.insert(table) if self.postgres else sqlite.insert(table)

    def _register(self, conn: Connection, points: list[Point]) -> None:
        if not points:
            return
        rows = [
            {
                "site_id": self.site_id,
                "name": p.name,
                "unit": p.unit,
                "label_fr": p.label_fr,
                "label_en": p.label_en,
                "tags": haystack_tags(p),
            }
            for p in points
        ]
        conn.execute(self._upsert_points(), rows)

    def _upsert_points(self) -> Insert:
        t = schema.points
        stmt = self._insert(t)
        upsert: Insert = stmt.on_conflict_do_update(
            index_elements=[t.c.site_id, t.c.name],
            set_={c: stmt.excluded[c] for c in ("unit", "label_fr", "label_en", "tags")},
        )
        return upsert

    def point_ids(self, conn: Connection, names: Iterable[str]) -> dict[str, int]:
        """Ids of ``names`` (registering unknown points with empty labels)."""
        missing = {n for n in names if n not in self._ids}
        if missing:
            t = schema.points
            blank = {"unit": "", "label_fr": "", "label_en": "", "tags": ""}
            new = [{"site_id": self.site_id, "name": n, **blank} for n in sorted(missing)]
            conn.execute(self._insert(t).on_conflict_do_nothing(), new)
            found = conn.execute(
                select(t.c.name, t.c.id).where(t.c.site_id == self.site_id, t.c.name.in_(missing))
            )
            self._ids.update({str(name): int(pid) for name, pid in found})
        return self._ids

    def register_rows(self, rows: list[dict[str, Any]]) -> None:
        """Register points given as ``points`` rows (from an exchange batch)."""
        with self.engine.begin() as conn:
            self.register_rows_in(conn, rows)

    def register_rows_in(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """:meth:`register_rows` within the caller's transaction ``conn``."""
        if rows:
            conn.execute(self._upsert_points(), [{**r, "site_id": self.site_id} for r in rows])

    def write(self, rows: list[Row], replace_rollups: bool = False) -> None:
        """Write one batch in one transaction (idempotent for samples and records).

        Rollup rows merge with the bucket already stored (partial buckets of one writer),
        or replace it when ``replace_rollups`` (complete buckets from an exchange batch).
        """

        with self.engine.begin() as conn:
            self.write_in(conn, rows, replace_rollups)

    def write_in(self, conn: Connection, rows: list[Row], replace_rollups: bool = False) -> None:
        """:meth:`write` within the caller's transaction ``conn`` (all or nothing with it)."""
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for table, values in rows:
            by_table[table].append(values)
        try:
            self._write_tables(conn, by_table, replace_rollups)
        except Exception:
            self._ids.clear()
            self._months.clear()
            raise

    def _write_tables(
        self, conn: Connection, by_table: dict[str, list[dict[str, Any]]], replace_rollups: bool
    ) -> None:
        names: set[str] = set()
        for table_name in POINT_TABLES:
            names.update(r["point"] for r in by_table.get(table_name, ()))
        ids = self.point_ids(conn, names) if names else self._ids
        last_seq = 0
        for name, values in by_table.items():
            table = TABLES.get(name)
            if table is None:
                raise KeyError(f"unknown historian table {name!r}")
            if name == "samples":
                self._insert_samples(conn, values, ids)
            elif name in POINT_TABLES:
                values = [{**v, "point_id": ids[v["point"]]} for v in values]
                conn.execute(self._merge(table, replace_rollups), values)
            else:
                conn.execute(self._insert(table).on_conflict_do_nothing(), values)
            last_seq = max(last_seq, max((int(v.get("seq", 0)) for v in values), default=0))
        if last_seq:
            self._record_sequence(conn, last_seq)

    def _insert_samples(self, conn: Connection, values: list[dict[str, Any]], ids: dict[str, int]) -> None:
        """The hot path: on SQLite the Core statement's SQL run with plain tuples (times in µs),
        on PostgreSQL a COPY (see :func:`_copy_samples`)."""
        if self.postgres:
            rows = [(ids[v["point"]], _utc(v["time"]), v["value"], v["quality"], v["seq"]) for v in values]
            months = {database.month_start(r[1]) for r in rows} - self._months
            if months:
                database.ensure_month_partitions(conn, months)
                self._months |= months
            _copy_samples(conn, rows)
            return
        if self._samples_sql is None:
            statement = sqlite.insert(schema.samples).on_conflict_do_nothing()
            self._samples_sql = str(statement.compile(dialect=self.engine.dialect))
        params = [
            (ids[v["point"]], t if type(t) is int else to_us(t), v["value"], v["quality"], v["seq"])
            for v in values
            for t in (v["time"],)
        ]
        conn.exec_driver_sql(self._samples_sql, params)

    def _merge(self, table: Table, replace: bool) -> Insert:
        stmt = self._insert(table)
        old, new = table.c, stmt.excluded
        if replace:
            stats = ("min", "max", "mean", "last", "count", "good_ratio")
            replaced: Insert = stmt.on_conflict_do_update(
                index_elements=[old.point_id, old.bucket], set_={c: new[c] for c in stats}
            )
            return replaced
        total = old.count + new.count

        def weighted(column: str) -> Any:
            return case(
                (old[column].is_(None), new[column]),
                (new[column].is_(None), old[column]),
                else_=(old[column] * old.count + new[column] * new.count) / total,
            )

        if self.postgres:
            low, high = func.least(old.min, new.min), func.greatest(old.max, new.max)
        else:
            low = func.min(func.coalesce(old.min, new.min), func.coalesce(new.min, old.min))
            high = func.max(func.coalesce(old.max, new.max), func.coalesce(new.max, old.max))
        merged: Insert = stmt.on_conflict_do_update(
            index_elements=[old.point_id, old.bucket],
            set_={
                "min": low,
                "max": high,
                "mean": weighted("mean"),
                "good_ratio": weighted("good_ratio"),
                "last": func.coalesce(new["last"], old["last"]),
                "count": total,
            },
        )
        return merged

    def _record_sequence(self, conn: Connection, last_seq: int) -> None:
        t = schema.site_sequences
        stmt = self._insert(t).values(site_id=self.site_id, last_seq=last_seq)
        greatest = func.greatest if self.postgres else func.max
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.site_id], set_={"last_seq": greatest(t.c.last_seq, stmt.excluded.last_seq)}
        )
        conn.execute(stmt)

    def apply_retention(self, now: datetime, retention: Retention) -> dict[str, int]:
        """Trim raw samples and rollups older than their retention; rows (or partitions) dropped."""
        dropped: dict[str, int] = {}
        plan = (
            (schema.samples, schema.samples.c.time, retention.raw_days),
            (schema.rollup_minute, schema.rollup_minute.c.bucket, retention.minute_days),
            (schema.rollup_hour, schema.rollup_hour.c.bucket, retention.hour_days),
        )
        with self.engine.begin() as conn:
            for table, column, days in plan:
                if days is None:
                    continue
                cutoff = now - timedelta(days=days)
                if table is schema.samples:  # the forwarders' queue ends here: count what they miss
                    _count_unforwarded(conn, database.month_start(cutoff) if self.postgres else cutoff)
                if table is schema.samples and self.postgres:
                    dropped["samples_partitions"] = database.drop_partitions_before(conn, cutoff)
                    self._months = {m for m in self._months if database.next_month(m) > cutoff}
                    continue
                ids = conn.execute(select(schema.points.c.id)).scalars().all()
                count = 0
                for pid in ids:
                    result = conn.execute(table.delete().where(table.c.point_id == pid, column < cutoff))
                    count += result.rowcount or 0
                dropped[table.name] = count
        return dropped


def _count_unforwarded(conn: Connection, cutoff: datetime) -> None:
    """Before the samples older than ``cutoff`` are trimmed: add those a central receiver has
    not acknowledged yet to its cursor's ``lost`` (the forwarding queue's bound, counted)."""
    s, c = schema.samples, forward_cursors
    for receiver, acked in conn.execute(select(c.c.receiver, c.c.acked_seq)).all():
        n = conn.execute(
            select(func.count()).select_from(s).where(s.c.time < cutoff, s.c.seq > acked)
        ).scalar_one()
        if n:
            conn.execute(update(c).where(c.c.receiver == receiver).values(lost=c.c.lost + int(n)))


def _copy_samples(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL bulk path: COPY into a transaction-scoped table, then insert what is new."""
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS samples_in (LIKE samples) ON COMMIT DELETE ROWS")
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("no PostgreSQL connection under the SQLAlchemy one")
    columns = ", ".join(SAMPLE_COLUMNS)
    with driver.cursor() as cursor, cursor.copy(f"COPY samples_in ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.exec_driver_sql(
        f"INSERT INTO samples ({columns}) SELECT {columns} FROM samples_in ON CONFLICT DO NOTHING"  # noqa: S608
    )


def _utc(t: datetime | int) -> datetime:
    return from_us(t) if isinstance(t, int) else t
