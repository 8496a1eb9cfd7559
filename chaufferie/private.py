"""What the system writes is private to the user running it: secrets, keys, sessions, databases.

Owns: :func:`private_umask`, which every ``chaufferie`` command runs under (see
:mod:`chaufferie.cli`): umask 077, so every file created (the demo's secrets, OPC UA private keys
and certificates, SQLite databases with their WAL/SHM files, the spool, the outbox, settings
overrides, NiceGUI's session files in ``<data_dir>/hmi/``, backups and exports) is 0600 and every
folder 0700 whatever the caller's umask — child processes (the demo's simulator) inherit it; and
:func:`close_data_dir`, by which ``run``, ``demo`` and ``sim`` also close a data folder that an
earlier version or another tool left open.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Umask 077 inside the block (the previous one back after it, for in-process callers)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def close_data_dir(data_dir: str | Path) -> None:
    """Create ``data_dir`` if needed and make it 0700 (a warning if it belongs to someone else)."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        folder.chmod(0o700)
    except PermissionError:
        log.warning("cannot make %s private (0700): it belongs to another user", folder)
