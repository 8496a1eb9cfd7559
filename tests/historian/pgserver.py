"""A throw-away PostgreSQL server on 127.0.0.1 (for the historian tests and its benchmark).

:func:`start_postgres` runs ``initdb`` and ``pg_ctl`` (from ``/usr/lib/postgresql/*/bin`` or
PATH) into a temporary directory, on the given port, with trust authentication and without
fsync (test data only). As root it runs them as an unprivileged user (``postgres`` when that
user exists, else ``nobody``), since initdb refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing, or there is no user to run them as."""


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server on loopback (trust authentication, throw-away)."""

    port: int
    user: str
    root: Path
    bin_dir: Path
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> Engine:
        return create_engine(self.url(), isolation_level="AUTOCOMMIT")

    def _sql(self, *statements: tuple[str, dict[str, str]]) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            for statement, params in statements:
                conn.execute(text(statement), params)
        engine.dispose()

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._sql((f'CREATE DATABASE "{name}"', {}))
        return name

    def drop_database(self, name: str) -> None:
        self._sql((f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', {}))

    def set_available(self, name: str, available: bool) -> None:
        """Refuse (or allow again) connections to database ``name``, closing existing ones."""
        statements = [(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(available).lower()}', {})]
        if not available:
            kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            statements.append((kill, {"n": name}))
        self._sql(*statements)

    def stop(self) -> None:
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"], self.run_as)
        shutil.rmtree(self.root, ignore_errors=True)


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
    raise PostgresUnavailable("running as root and no unprivileged user to run PostgreSQL as")


def _run(cmd: list[str], run_as: str | None) -> None:
    if run_as is not None:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def start_postgres(port: int) -> PostgresServer:
    """Initialise and start a server on 127.0.0.1:``port``."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("initdb/pg_ctl not found")
    run_as = _unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix="chaufferie-pg-"))
    if run_as is not None:
        shutil.chown(root, user=run_as)
    server = PostgresServer(port, "chaufferie", root, bin_dir, run_as)
    initdb = [str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", server.user, "--auth=trust"]
    _run([*initdb, "-E", "UTF8", "--no-locale"], run_as)
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-o", options]
    _run([*pg_ctl, "-l", str(root / "server.log"), "-w", "start"], run_as)
    return server
