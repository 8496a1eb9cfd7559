"""Database schema of the historian (SQLAlchemy Core tables on one ``MetaData``).

Every record table carries ``site_id`` and a per-site sequence number ``seq`` (unique per
site), so records of many sites can be forwarded to one central database idempotently.
Samples carry ``seq`` too; their site is that of their point (``points.site_id``) and their
natural key is (point, time). Rollups are derived data (recomputable) and carry neither.

Times are :class:`~chaufferie.historian.sqltypes.UtcTime` (UTC). On SQLite the sample and
rollup tables are ``WITHOUT ROWID`` clustered on (point, time); on PostgreSQL ``samples`` is
range-partitioned by month on ``time`` with a BRIN index (see :mod:`.database`).

Other modules may add tables to :data:`metadata` (``access_schema``); the historian's own
tables are listed in :data:`HISTORIAN_TABLES` and only those are created by revision 0001.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from chaufferie.historian.sqltypes import UtcTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

SITE = 64
NAME = 128
CODE = 64


def _record(name: str, *columns: Column[object], context: bool = True) -> Table:
    """A record table: site, sequence and time first, the context of its cause last."""
    ctx: list[Column[object]] = []
    if context:
        ctx = [
            Column("origin", String(NAME), nullable=False, default=""),
            Column("user", String(NAME)),
            Column("channel", String(32)),
            Column("address", String(NAME)),
            Column("context_id", String(64)),
            Column("parent_id", String(64)),
        ]
    return Table(
        name,
        metadata,
        Column("site_id", String(SITE), primary_key=True),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("time", UtcTime, nullable=False, index=True),
        *columns,
        *ctx,
    )


points = Table(
    "points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(SITE), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("unit", String(32), nullable=False, default=""),
    Column("label_fr", String(200), nullable=False, default=""),
    Column("label_en", String(200), nullable=False, default=""),
    Column("tags", String(400), nullable=False, default=""),
    UniqueConstraint("site_id", "name", name="uq_points_site_name"),
)

samples = Table(
    "samples",
    metadata,
    Column("point_id", Integer, primary_key=True, autoincrement=False),
    Column("time", UtcTime, primary_key=True),
    Column("value", Float),
    Column("quality", SmallInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    sqlite_with_rowid=False,
    postgresql_partition_by="RANGE (time)",
)


def _rollup(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("point_id", Integer, primary_key=True, autoincrement=False),
        Column("bucket", UtcTime, primary_key=True),
        Column("min", Float),
        Column("max", Float),
        Column("mean", Float),
        Column("last", Float),
        Column("count", Integer, nullable=False),
        Column("good_ratio", Float, nullable=False),
        sqlite_with_rowid=False,
    )


rollup_minute = _rollup("rollup_minute")
rollup_hour = _rollup("rollup_hour")

site_sequences = Table(
    "site_sequences",
    metadata,
    Column("site_id", String(SITE), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

plant_events = _record(
    "plant_events",
    Column("event_id", String(64), nullable=False),
    Column("kind", String(CODE), nullable=False, index=True),
    Column("reason", String(CODE), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("mode", String(32)),
    Column("previous_mode", String(32)),
    Column("oil_role", String(32)),
    Column("values", JSON, nullable=False),
)

alarm_transitions = _record(
    "alarm_transitions",
    Column("code", String(CODE), nullable=False, index=True),
    Column("occurrence_id", String(64), nullable=False, index=True),
    Column("priority", SmallInteger, nullable=False),
    Column("previous", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("trigger", String(CODE), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("value", JSON),
    Column("message", Text, nullable=False, default=""),
    Column("oil_role", String(32)),
    Column("details", JSON, nullable=False),
)

notifications = _record(
    "notifications",
    Column("key", String(200), nullable=False, index=True),
    Column("medium", String(32), nullable=False),
    Column("via", String(32), nullable=False, default="", server_default=""),
    Column("recipient", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("occurrence_id", String(64)),
    Column("code", String(CODE)),
    Column("body", Text, nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
)

operator_actions = _record(
    "operator_actions",
    Column("action_id", String(64), nullable=False),
    Column("kind", String(CODE), nullable=False, index=True),
    Column("target", String(NAME), nullable=False, default=""),
    Column("result", String(32), nullable=False),
    Column("details", JSON, nullable=False),
)

link_events = _record(
    "link_events",
    Column("link", String(CODE), nullable=False),
    Column("state", String(32), nullable=False),
    Column("previous", String(32), nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

commands = _record(
    "commands",
    Column("command_id", String(64), nullable=False, index=True),
    Column("point", String(NAME), nullable=False),
    Column("value", JSON),
    Column("status", String(32), nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("readback", JSON),
)

chip_deliveries = _record(
    "chip_deliveries",
    Column("mass_kg", Float, nullable=False),
    Column("volume_m3", Float),
    Column("supplier", String(200), nullable=False, default=""),
    Column("humidity", Float),
    Column("action_id", String(64)),
)

ash_removals = _record(
    "ash_removals",
    Column("mass_kg", Float),
    Column("action_id", String(64)),
)

Index("ix_samples_time_brin", samples.c.time, postgresql_using="brin").ddl_if(dialect="postgresql")

RECORD_TABLES: tuple[Table, ...] = (
    plant_events,
    alarm_transitions,
    notifications,
    operator_actions,
    link_events,
    commands,
    chip_deliveries,
    ash_removals,
)
"""Tables of records keyed by (site_id, seq)."""

BASE_TABLES: tuple[Table, ...] = (points, samples, rollup_minute, rollup_hour, site_sequences)
HISTORIAN_TABLES: tuple[Table, ...] = (*BASE_TABLES, *RECORD_TABLES)
"""The historian's own tables, in creation order (revision 0001)."""
