"""Historian fixtures: a real PostgreSQL server for the session, and one fresh database per test.

``postgres_server`` runs ``initdb`` and ``pg_ctl`` (from ``/usr/lib/postgresql/*/bin`` or
PATH) into a temporary directory, listening on 127.0.0.1 on a free port; as root it runs
them as an unprivileged user (``postgres`` when it exists, else ``nobody``), since initdb
refuses root. Missing binaries skip the PostgreSQL cases (fail under
CHAUFFERIE_REQUIRE_TOOLS=1). ``db_url`` is parametrised so every test using it runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from chaufferie.config.settings import PlantConfig
from chaufferie.historian.database import make_engine
from tests.conftest import free_port, require_tool


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server on loopback (trust authentication, throw-away)."""

    port: int
    user: str
    data_dir: Path
    bin_dir: Path
    run_as: str | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> Engine:
        return create_engine(self.url(), isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = self.admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return name

    def drop_database(self, name: str) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def set_available(self, name: str, available: bool) -> None:
        """Refuse (or allow again) connections to database ``name``, closing existing ones."""
        engine = self.admin()
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(available).lower()}'))
            if not available:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": name},
                )
        engine.dispose()


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live (newest Debian version first, then PATH)."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("running as root and no unprivileged user to run PostgreSQL as")


def _run(cmd: list[str], run_as: str | None) -> None:
    if run_as is not None:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        require_tool("initdb", "PostgreSQL server binaries for the historian tests")
        raise AssertionError("unreachable")
    run_as = _unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix="chaufferie-pg-"))
    if run_as is not None:
        shutil.chown(root, user=run_as)
    server = PostgresServer(free_port(), "chaufferie", root / "data", bin_dir, run_as)
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(server.data_dir),
            "-U",
            server.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        run_as,
    )
    options = (
        f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(server.data_dir),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "start",
        ],
        run_as,
    )
    try:
        yield server
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "stop"], run_as)
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class HistorianDb:
    """A fresh, empty database for one test, and how to make it unavailable."""

    url: str
    dialect: str
    server: PostgresServer | None = None
    name: str = ""

    def engine(self, **kwargs: object) -> Engine:
        return make_engine(self.url, **kwargs)


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
