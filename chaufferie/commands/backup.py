"""``chaufferie backup`` / ``chaufferie restore``: copy the SQLite database safely.

SQLite is copied with its online backup API, so a backup taken while the system runs is
consistent (WAL included). For PostgreSQL use ``pg_dump`` / ``pg_restore`` (see the
administrator guide).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from chaufferie.config.loader import load_config


def register(sub: Any) -> None:
    b: argparse.ArgumentParser = sub.add_parser("backup", help="back up the SQLite database / sauvegarde")
    b.add_argument("--config", default=None)
    b.add_argument("--data-dir", default=None)
    b.add_argument("file", help="backup file to write")
    b.set_defaults(func=run_backup)
    r: argparse.ArgumentParser = sub.add_parser("restore", help="restore the SQLite database / restauration")
    r.add_argument("--config", default=None)
    r.add_argument("--data-dir", default=None)
    r.add_argument("file", help="backup file to read")
    r.add_argument("--force", action="store_true", help="overwrite an existing database")
    r.set_defaults(func=run_restore)


def _database_path(args: argparse.Namespace) -> Path:
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    cfg = load_config(args.config, **overrides)
    url = cfg.storage_url
    if not url.startswith("sqlite:///"):
        raise SystemExit(f"backup handles SQLite only; for {url.split(':')[0]} use pg_dump")
    return Path(url.removeprefix("sqlite:///"))


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def run_backup(args: argparse.Namespace) -> int:
    db = _database_path(args)
    if not db.exists():
        print(f"no database at {db}", file=sys.stderr)
        return 1
    _copy(db, Path(args.file))
    print(f"backup of {db} written to {args.file}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    db = _database_path(args)
    source = Path(args.file)
    if not source.exists():
        print(f"no backup file at {source}", file=sys.stderr)
        return 1
    with sqlite3.connect(source) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()
    if result is None or result[0] != "ok":
        print(f"{source} fails the integrity check: {result}", file=sys.stderr)
        return 1
    if db.exists() and not args.force:
        print(f"{db} exists: stop the service and use --force to overwrite it", file=sys.stderr)
        return 1
    db.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, db)
    print(f"{db} restored from {source}")
    return 0
