"""The maintenance store: revision 0008 matches the tables; done, history and notices survive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from chaufferie.historian import database
from chaufferie.historian.maintenance_plan import Stage
from chaufferie.historian.maintenance_schema import MAINTENANCE_TABLES
from chaufferie.historian.maintenance_store import Counters, MaintenanceStore
from chaufferie.historian.schema import metadata
from tests.access.test_store import _table_of

T0 = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = database.make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    database.migrate(engine)
    return engine


def test_revision_0008_creates_the_maintenance_tables_as_declared(engine: Engine) -> None:
    names = {t.name for t in MAINTENANCE_TABLES}
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if _table_of(d) in names] == []
    engine.dispose()


def test_the_latest_done_starts_the_cycle_and_a_notice_is_kept_once(engine: Engine) -> None:
    store = MaintenanceStore(engine, Counters("joucas", "wood.run_hours", "wood.fuel_burnt"))
    first = store.record_done("graissage", T0, "tech", "vis", T0)
    late_entry = store.record_done("graissage", T0 - timedelta(days=3), "agent", "", T0)  # entered afterwards
    other = store.record_done("ramonage", T0 + timedelta(hours=1), "tech", "", T0 + timedelta(hours=1))
    assert (first.run_hours, first.fuel_burnt_kg) == (None, None)  # nothing recorded yet
    assert store.last_done() == {"graissage": first, "ramonage": other}
    assert store.history("graissage") == [first, late_entry]
    assert store.note_notice("graissage", first.id, Stage.DUE, T0)
    assert not store.note_notice("graissage", first.id, Stage.DUE, T0 + timedelta(minutes=15))
    assert store.note_notice("graissage", first.id, Stage.OVERDUE, T0 + timedelta(days=2))
    assert store.notices() == {("graissage", first.id, "due"), ("graissage", first.id, "overdue")}
    assert store.usage(T0, T0 + timedelta(days=2)).days == 2.0
    assert store.usage(T0, T0 + timedelta(days=2)).run_hours is None  # a counter never read
    engine.dispose()
