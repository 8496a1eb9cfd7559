"""The access store: Alembic revision 0002 matches the tables, and each record survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from chaufferie.config.vocabulary import Role
from chaufferie.historian import database
from chaufferie.historian.access_schema import ACCESS_TABLES
from chaufferie.historian.access_store import (
    AccessStore,
    AddressState,
    InterventionRecord,
    UserExistsError,
    UserRecord,
)
from chaufferie.historian.schema import metadata

T0 = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)


@pytest.fixture
def migrated(tmp_path: Path) -> AccessStore:
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'h.db'}")
    database.migrate(store.engine)
    return store


def access_diffs(store: AccessStore) -> list[object]:
    """Differences between the database and the declared access tables."""
    names = {t.name for t in ACCESS_TABLES}
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    return [d for d in diffs if _table_of(d) in names]


def _table_of(diff: Any) -> str | None:
    first = diff[0] if isinstance(diff, list) else diff
    op, subject = first[0], first[1]
    if op.endswith("_table"):
        return str(subject.name)
    if op.endswith(("_index", "_constraint")):
        return str(subject.table.name)
    return str(first[2])  # add_column / modify_* : (op, schema, table, ...)


def test_revisions_create_the_access_tables_as_declared(migrated: AccessStore) -> None:
    head = ScriptDirectory.from_config(database.alembic_config()).get_current_head()
    assert database.current_revision(migrated.engine) == head
    assert access_diffs(migrated) == []
    migrated.engine.dispose()


def test_without_revision_0002_the_comparison_sees_the_missing_tables(tmp_path: Path) -> None:
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'h.db'}")
    database.migrate(store.engine, "0001")
    assert {_table_of(d) for d in access_diffs(store)} == {t.name for t in ACCESS_TABLES}
    database.migrate(store.engine, "0002")
    # 0003 adds sms_reply_events; 0006 the interventions' origin and acknowledgement milestone;
    # 0007 their other milestones and dispute, the phone calls and the contract's indices
    assert {_table_of(d) for d in access_diffs(store)} == {
        "sms_reply_events",
        "interventions",
        "intervention_calls",
        "contract_indices",
    }
    database.migrate(store.engine, "0006")
    assert {_table_of(d) for d in access_diffs(store)} == {
        "interventions",
        "intervention_calls",
        "contract_indices",
    }
    database.migrate(store.engine, "head")
    assert access_diffs(store) == []
    store.engine.dispose()


def test_users_round_trip_with_aware_times_and_unique_contact(migrated: AccessStore) -> None:
    user = UserRecord(
        "martin", "Julien Martin", Role.TECHNICIAN, "$argon2id$x", T0, T0, "$argon2id$p", "tech-martin"
    )
    migrated.add_user(user)
    assert migrated.get_user("martin") == user
    assert migrated.user_by_contact("tech-martin") == user
    with pytest.raises(UserExistsError):
        migrated.add_user(UserRecord("martin2", "x", Role.VIEWER, "h", T0, T0, contact_id="tech-martin"))
    locked = UserRecord(**{**_fields(user), "failed_count": 3, "locked_until": T0 + timedelta(minutes=15)})
    migrated.save_user(locked)
    assert migrated.get_user("martin") == locked
    migrated.engine.dispose()


def _fields(user: UserRecord) -> dict[str, object]:
    return {name: getattr(user, name) for name in user.__slots__}


def test_token_burns_once_and_message_sid_is_remembered_once(migrated: AccessStore) -> None:
    assert migrated.burn("tok1", "occ", "tech-martin", T0)
    assert not migrated.burn("tok1", "occ", "tech-martin", T0)
    assert migrated.is_burnt("tok1")
    assert migrated.remember_message("SM1", "+33612345678", T0)
    assert not migrated.remember_message("SM1", "+33612345678", T0)
    migrated.engine.dispose()


def test_address_state_and_interventions_persist(migrated: AccessStore) -> None:
    migrated.save_address_state(AddressState("10.0.0.1", 2, T0, None))
    migrated.save_address_state(AddressState("10.0.0.1", 0, None, T0 + timedelta(minutes=15)))
    assert migrated.address_state("10.0.0.1").locked_until == T0 + timedelta(minutes=15)
    record = InterventionRecord("occ", "CHB-DEF", 1, T0, T0 + timedelta(hours=14), "tech-martin")
    assert migrated.open_intervention(record)
    assert not migrated.open_intervention(record)
    assert migrated.list_interventions() == [record]
    migrated.engine.dispose()
