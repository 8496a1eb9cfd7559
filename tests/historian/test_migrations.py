"""Alembic migrations build the schema from an empty database and keep data across revisions."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import database, schema
from chaufferie.historian.writer import HistorianWriter
from tests.historian.conftest import HistorianDb
from tests.historian.support import count, oil_start, tag


def _revisions() -> list[str]:
    """Revision ids from the first to head."""
    script = ScriptDirectory.from_config(database.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_first_revision_is_0001_and_history_is_linear() -> None:
    revisions = _revisions()
    assert revisions[0] == "0001"
    script = ScriptDirectory.from_config(database.alembic_config())
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_database_creates_every_historian_table(historian_db: HistorianDb) -> None:
    engine = historian_db.engine()
    assert database.current_revision(engine) is None
    database.migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in schema.HISTORIAN_TABLES} <= tables
    assert database.current_revision(engine) == _revisions()[-1]
    database.migrate(engine)  # running it again at the next start changes nothing
    engine.dispose()


async def test_upgrade_from_each_previous_revision_keeps_the_data(
    historian_config: PlantConfig, historian_db: HistorianDb, bus: Bus, clock: VirtualClock
) -> None:
    revisions = _revisions()
    engine = historian_db.engine()
    database.migrate(engine, revisions[0])
    writer = HistorianWriter(historian_config, bus, clock, engine=engine)
    # write at the first revision, through the store (the writer would migrate to head)
    rows = [writer.maker.plant_event(oil_start(clock.now()))]
    writer.store.write(rows)
    writer.store.write(
        [("samples", {"point": "wood.power", "time": clock.now(), "value": 42.0, "quality": 0, "seq": 99})]
    )
    for revision in revisions[1:]:
        database.migrate(engine, revision)
    async with writer:
        writer.accept(tag("wood.power", 43.0, clock.now().replace(year=2027)))
        await writer.flush()
    assert database.current_revision(engine) == revisions[-1]
    assert count(engine, "plant_events") == 1
    with engine.connect() as conn:
        values = conn.execute(select(schema.samples.c.value).order_by(schema.samples.c.time)).scalars().all()
    assert values == [42.0, 43.0]
    engine.dispose()


def test_postgres_samples_are_partitioned_by_month_with_a_brin_index(historian_db: HistorianDb) -> None:
    engine = historian_db.engine()
    database.migrate(engine)
    if historian_db.dialect != "postgresql":
        with engine.connect() as conn:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'samples'").scalar_one()
        assert "WITHOUT ROWID" in sql
        return
    with engine.begin() as conn:
        kind = conn.exec_driver_sql("SELECT relkind FROM pg_class WHERE relname = 'samples'").scalar_one()
        method = conn.exec_driver_sql(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = 'ix_samples_time_brin'"
        ).scalar_one()
    assert (kind, method) == ("p", "brin")
    engine.dispose()
