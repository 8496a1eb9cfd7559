"""Historian fixtures: a real PostgreSQL server for the session, and one fresh database per test.

``postgres_server`` starts a throw-away server on 127.0.0.1 on a free port (see
:mod:`tests.historian.pgserver`: initdb/pg_ctl into a temporary directory, as an
unprivileged user when run as root). Missing binaries skip the PostgreSQL cases (fail under
CHAUFFERIE_REQUIRE_TOOLS=1). ``historian_db`` is parametrised so every test using it runs on
SQLite and on PostgreSQL; ``historian_config`` is the Joucas configuration pointed at it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from chaufferie.config.settings import PlantConfig
from chaufferie.historian import central_protocol as proto
from chaufferie.historian.central_receiver import CentralStore, Receiver
from chaufferie.historian.central_registry import register_site
from chaufferie.historian.database import make_engine, migrate
from tests.conftest import free_port, require_tool
from tests.historian.central_support import SITE, Central, serve
from tests.historian.pgserver import PostgresServer, PostgresUnavailable, postgres_bin_dir, start_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if postgres_bin_dir() is None:
        require_tool("initdb", "PostgreSQL server binaries for the historian tests")
    try:
        server = start_postgres(free_port())
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class HistorianDb:
    """A fresh, empty database for one test, and how to make it unavailable."""

    url: str
    dialect: str
    server: PostgresServer | None = None
    name: str = ""

    def engine(self, **kwargs: object) -> Engine:
        return make_engine(self.url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def historian_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistorianDb]:
    if request.param == "sqlite":
        yield HistorianDb(f"sqlite:///{tmp_path / 'history.db'}", "sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield HistorianDb(server.url(name), "postgresql", server, name)
    finally:
        server.drop_database(name)


@pytest.fixture
def historian_config(config: PlantConfig, historian_db: HistorianDb) -> PlantConfig:
    """The Joucas configuration storing its history in the test's database."""
    storage = config.storage.model_copy(update={"url": historian_db.url})
    return config.model_copy(update={"storage": storage})


@pytest.fixture
async def central(historian_db: HistorianDb) -> AsyncIterator[Central]:
    """A central receiver on loopback over the test's database, the Joucas site registered."""
    engine = historian_db.engine()
    migrate(engine)
    key = proto.new_private_key()
    register_site(engine, SITE, "Joucas", "plant", proto.public_pem(key.public_key()), datetime.now(UTC))
    runner, url = await serve(Receiver(CentralStore(engine, "test"), max_bytes=2_000_000).app())
    try:
        yield Central(engine, url, key)
    finally:
        await runner.cleanup()
        engine.dispose()
