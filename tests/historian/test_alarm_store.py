"""The alarms' state in the historian's database: kept across a restart, written off the event
loop, buffered while the database is down, and a former ``alarms.db`` read in once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from chaufferie.alarms.machine import Comment, Occurrence
from chaufferie.alarms.store import OutboxItem, OutboxStatus, SqliteAlarmStore
from chaufferie.config.vocabulary import AlarmState, OilRole
from chaufferie.historian.alarm_store import DatabaseAlarmStore
from chaufferie.historian.database import migrate
from tests.historian.conftest import HistorianDb
from tests.historian.support import unavailable

T0 = datetime(2026, 1, 12, 6, 30, tzinfo=UTC)


def _occurrence(oid: str = "CHB-DEF/1", *, closed: bool = False) -> Occurrence:
    occ = Occurrence(
        oid, oid.split("/")[0], 1, T0, oil_role=OilRole.REPLACEMENT, message="Défaut chaudière bois"
    )
    occ.comments.append(Comment(T0, "martin", "silo vérifié"))
    if closed:
        occ.state, occ.active, occ.acked = AlarmState.NORMAL, False, True
    return occ


def _item(key: str, status: OutboxStatus = OutboxStatus.QUEUED, created_at: float = 100.0) -> OutboxItem:
    return OutboxItem(
        key, "sms", "tech-martin", "+33600000001", "", "CHB-DEF", status=status, created_at=created_at
    )


@pytest.fixture
def engine(historian_db: HistorianDb) -> Engine:
    engine = historian_db.engine(busy_timeout_s=0.05)
    migrate(engine)
    return engine


def test_what_was_open_pending_and_set_is_there_after_a_restart(engine: Engine) -> None:
    store = DatabaseAlarmStore(engine)
    store.save(_occurrence("CHB-DEF/1"))
    store.save(_occurrence("SIL-BAS/2", closed=True))
    assert store.add_outbox(_item("CHB-DEF/1/sms"))
    assert store.add_outbox(_item("CHB-DEF/1/email", OutboxStatus.SENT))
    store.set_setting("out_of_service", ["silo.level"])
    store.close()

    again = DatabaseAlarmStore(engine)
    [occ] = again.load_open()
    assert (occ.id, occ.oil_role, occ.raised_at) == ("CHB-DEF/1", OilRole.REPLACEMENT, T0)
    assert [(c.user, c.text) for c in occ.comments] == [("martin", "silo vérifié")]
    assert [i.key for i in again.outbox(OutboxStatus.QUEUED)] == ["CHB-DEF/1/sms"]
    assert [i.key for i in again.outbox(OutboxStatus.SENT)] == ["CHB-DEF/1/email"]
    assert again.get_setting("out_of_service") == ["silo.level"]
    # an idempotency key already used, even settled and forgotten from memory, is refused
    assert not again.add_outbox(_item("CHB-DEF/1/email"))
    again.close()


async def test_writes_leave_the_event_loop_and_flush_waits_for_them(engine: Engine) -> None:
    store = DatabaseAlarmStore(engine)
    loop_thread = threading.get_ident()
    writers: set[int] = set()
    original = store._write_loop

    def spy() -> None:
        writers.add(threading.get_ident())
        original()

    store._write_loop = spy  # type: ignore[method-assign]
    store.save(_occurrence())
    assert await store.flush()
    assert writers
    assert loop_thread not in writers
    assert DatabaseAlarmStore(engine).load_open()[0].id == "CHB-DEF/1"
    store.close()


async def test_a_database_outage_is_buffered_in_memory_and_written_when_it_returns(
    engine: Engine, historian_db: HistorianDb
) -> None:
    store = DatabaseAlarmStore(engine, retry_s=0.05)
    store.load_open()
    with unavailable(historian_db):
        store.save(_occurrence())
        assert store.add_outbox(_item("CHB-DEF/1/sms"))
        item = store.outbox(OutboxStatus.QUEUED)[0]
        item.status = OutboxStatus.SENDING
        store.update_outbox(item)
        # the alarms go on from memory; the durability wait is bounded, not a hang
        assert [o.id for o in store.load_open()] == ["CHB-DEF/1"]
        assert not await store.flush(timeout_s=0.3)
    assert await store.flush(timeout_s=10)
    again = DatabaseAlarmStore(engine)
    assert [o.id for o in again.load_open()] == ["CHB-DEF/1"]
    assert [i.key for i in again.outbox(OutboxStatus.SENDING)] == ["CHB-DEF/1/sms"]
    store.close()


async def test_a_store_opened_while_the_database_is_down_reads_its_state_when_it_returns(
    engine: Engine, historian_db: HistorianDb
) -> None:
    first = DatabaseAlarmStore(engine)
    first.save(_occurrence("CHB-DEF/1"))
    first.close()
    late = DatabaseAlarmStore(engine, retry_s=0.05)
    with unavailable(historian_db):
        opened = [o.id for o in late.load_open()]  # starts rather than waits for the database
        # PostgreSQL refuses the connection: no state yet; SQLite in WAL mode still reads under the lock
        assert opened == ([] if historian_db.dialect == "postgresql" else ["CHB-DEF/1"])
        late.save(_occurrence("SIL-BAS/2"))
    assert await late.flush(timeout_s=10)
    assert sorted(o.id for o in late.load_open()) == ["CHB-DEF/1", "SIL-BAS/2"]
    late.close()


def test_purge_forgets_old_settled_messages_and_closed_occurrences(engine: Engine) -> None:
    store = DatabaseAlarmStore(engine)
    store.add_outbox(_item("old-sent", OutboxStatus.SENT, created_at=100))
    store.add_outbox(_item("old-queued", OutboxStatus.QUEUED, created_at=100))
    store.add_outbox(_item("new-sent", OutboxStatus.SENT, created_at=900))
    store.save(_occurrence("SIL-BAS/2", closed=True))
    assert store.purge(500) == 1
    assert sorted(i.key for i in store.outbox()) == ["new-sent", "old-queued"]
    store.close()


def test_a_former_alarms_db_is_read_in_once_then_set_aside(engine: Engine, tmp_path: Path) -> None:
    legacy = tmp_path / "alarms.db"
    old = SqliteAlarmStore(legacy)
    old.save(_occurrence("CHB-DEF/1"))
    old.add_outbox(_item("CHB-DEF/1/sms"))
    old.set_setting("plant_mode", "summer")
    old.close()

    store = DatabaseAlarmStore(engine, legacy=legacy)
    assert [o.id for o in store.load_open()] == ["CHB-DEF/1"]
    assert [i.key for i in store.outbox()] == ["CHB-DEF/1/sms"]
    assert store.get_setting("plant_mode") == "summer"
    assert not legacy.exists()
    assert (tmp_path / "alarms.db.imported").exists()
    store.close()
    assert [o.id for o in DatabaseAlarmStore(engine, legacy=legacy).load_open()] == ["CHB-DEF/1"]
