"""What the system writes is private to the user running it: secrets, keys, sessions, databases.

Owns: :func:`keep_private`, called first by ``chaufferie run``, ``demo`` and ``sim``: the
process umask becomes 077, so every file created afterwards (the demo's secrets, OPC UA private
keys and certificates, SQLite databases with their WAL/SHM files, the spool, the outbox,
settings overrides, backups) is 0600 and every folder 0700 whatever the caller's umask — child
processes (the demo's simulator) inherit it — and the data folder itself is made 0700. NiceGUI's
per-user session files (``storage-user-*.json``) are under ``<data_dir>/hmi/`` (:mod:`hmi.app`),
so they are covered too.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def keep_private(data_dir: str | Path) -> None:
    """Umask 077 for the rest of the process, and a data folder only its owner can enter."""
    os.umask(PRIVATE_UMASK)
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
