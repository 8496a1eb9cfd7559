"""``chaufferie backup`` / ``chaufferie restore``: every piece of durable state in one archive.

What the system keeps (docs/architecture.md, rule 7): the historian's database (records, users,
interventions, and the alarms' open occurrences, outbox and settings), the settings changed
from the HMI (``settings-overrides.json``) and the historian's spool (rows waiting for the
database, and its sequence). A backup is a gzipped tar holding ``manifest.json``, the database
copied with SQLite's online backup API (consistent while the system runs, WAL included), the
overrides file and the spool. With PostgreSQL the archive holds the files and the database is
backed up with ``pg_dump`` (the administrator guide says how).

``restore`` reads only the members it knows (no path from the archive is trusted), checks the
database's integrity before anything is replaced, and refuses to overwrite existing state
without ``--force`` (stop the service first). A bare SQLite file (a backup made before the
archive) is restored as the database alone.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaufferie import __version__
from chaufferie.config.loader import load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.hmi.settings_store import overrides_path

FORMAT = 1
DATABASE = "chaufferie.db"
OVERRIDES = "settings-overrides.json"
SPOOL = "spool"
SQLITE_MAGIC = b"SQLite format 3\x00"


def register(sub: Any) -> None:
    b: argparse.ArgumentParser = sub.add_parser(
        "backup", help="back up database, HMI settings and spool / sauvegarde"
    )
    b.add_argument("--config", default=None)
    b.add_argument("--data-dir", default=None)
    b.add_argument("file", help="archive to write (.tar.gz)")
    b.set_defaults(func=run_backup)
    r: argparse.ArgumentParser = sub.add_parser("restore", help="restore a backup / restauration")
    r.add_argument("--config", default=None)
    r.add_argument("--data-dir", default=None)
    r.add_argument("file", help="archive (or former bare SQLite backup) to read")
    r.add_argument("--force", action="store_true", help="overwrite existing state (service stopped)")
    r.set_defaults(func=run_restore)


def _config(args: argparse.Namespace) -> PlantConfig:
    return load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))


def _sqlite_path(cfg: PlantConfig) -> Path | None:
    """The database file, or None when the database is not SQLite (PostgreSQL)."""
    url = cfg.storage_url
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _spool_dir(cfg: PlantConfig) -> Path:
    return cfg.data_path(cfg.storage.spool_dir)


def _copy_database(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _integrity(db: Path) -> str:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as check:
            row = check.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "ok" if row is not None and row[0] == "ok" else f"integrity check: {row}"


def run_backup(args: argparse.Namespace) -> int:
    cfg = _config(args)
    db, overrides, spool = _sqlite_path(cfg), overrides_path(cfg), _spool_dir(cfg)
    target = Path(args.file)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "chaufferie": __version__,
        "site": cfg.site.id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": [],
    }
    with tempfile.TemporaryDirectory(dir=target.parent if target.parent.exists() else None) as tmp:
        with tarfile.open(target, "w:gz") as archive:
            if db is not None:
                if not db.exists():
                    print(f"no database at {db}", file=sys.stderr)
                    return 1
                copy = Path(tmp) / DATABASE
                _copy_database(db, copy)
                archive.add(copy, DATABASE)
                manifest["members"].append(DATABASE)
            else:
                print("the database is PostgreSQL: back it up with pg_dump (docs/admin-guide.md)")
            if overrides.exists():
                archive.add(overrides, OVERRIDES)
                manifest["members"].append(OVERRIDES)
            for path in sorted(spool.rglob("*")) if spool.is_dir() else []:
                if path.is_file():
                    name = f"{SPOOL}/{path.relative_to(spool).as_posix()}"
                    archive.add(path, name)
                    manifest["members"].append(name)
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
    print(f"backup written to {target}: {', '.join(manifest['members']) or 'nothing but the manifest'}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    cfg = _config(args)
    source = Path(args.file)
    if not source.is_file():
        print(f"no backup file at {source}", file=sys.stderr)
        return 1
    with source.open("rb") as f:
        bare = f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    cfg.data_path(".").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cfg.data_path(".")) as tmp:
        staged = Path(tmp)
        if bare:
            shutil.copyfile(source, staged / DATABASE)
        else:
            problem = _unpack(source, staged)
            if problem:
                print(f"{source}: {problem}", file=sys.stderr)
                return 1
        return _put_in_place(cfg, staged, args.force, source)


def _unpack(source: Path, staged: Path) -> str | None:
    """The archive's known members into ``staged``; what is wrong with it, if anything."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                return "no manifest"
            manifest = json.loads(member.read())
            if manifest.get("format") != FORMAT:
                return f"unknown backup format {manifest.get('format')!r}"
            for name in manifest["members"]:
                if name not in (DATABASE, OVERRIDES) and not _spool_member(name):
                    return f"unexpected member {name!r}"
                content = archive.extractfile(name)
                if content is None:
                    return f"member {name!r} missing"
                target = staged / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(content, out)
    except (tarfile.TarError, OSError, KeyError, ValueError) as exc:
        return f"not a readable backup ({exc})"
    return None


def _spool_member(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[0] == SPOOL and parts[1] not in ("", ".", "..")


def _put_in_place(cfg: PlantConfig, staged: Path, force: bool, source: Path) -> int:
    db, overrides, spool = _sqlite_path(cfg), overrides_path(cfg), _spool_dir(cfg)
    restored_db = staged / DATABASE
    if restored_db.exists():
        if db is None:
            print("the backup holds a SQLite database but the configuration uses PostgreSQL", file=sys.stderr)
            return 1
        problem = _integrity(restored_db)
        if problem != "ok":
            print(f"{source}: the database fails its check: {problem}", file=sys.stderr)
            return 1
    existing = [p for p in (db, overrides) if p is not None and p.exists()]
    existing += [spool] if spool.is_dir() and any(spool.iterdir()) else []
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        print(f"{names} exist: stop the service and use --force to overwrite", file=sys.stderr)
        return 1
    if restored_db.exists() and db is not None:
        for stale in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        _copy_database(restored_db, db)
    overrides.unlink(missing_ok=True)
    if (staged / OVERRIDES).exists():
        shutil.copyfile(staged / OVERRIDES, overrides)
    if spool.is_dir():
        shutil.rmtree(spool)
    if (staged / SPOOL).is_dir():
        shutil.copytree(staged / SPOOL, spool)
    print(f"restored from {source} into {cfg.data_path('.')}")
    return 0
