"""The on-disk store-and-forward spool and the per-site sequence counter.

When the database is unavailable, rows go to :class:`Spool`: append-only segment files of
JSON lines in ``storage.spool_dir`` (fsynced per batch), read back oldest first and deleted
only once written, so a restart resumes where the last process stopped. Replaying a segment
twice is harmless (the store ignores rows it already has). The spool is bounded by
``storage.spool_max_mb``: rows that do not fit are refused and counted by the caller.
A truncated last line (process killed mid-write) is skipped and counted.

:class:`Sequencer` hands out the site's sequence numbers, reserving them in blocks in a
small file beside the spool so numbers are never reused after a crash (gaps are allowed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from chaufferie.historian.records import Row
from chaufferie.historian.sqltypes import from_us, to_us

log = logging.getLogger(__name__)

TIME_KEY = "$utc_us"
SEGMENT_SUFFIX = ".jsonl"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {TIME_KEY: to_us(value)}
    return str(value)


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and TIME_KEY in obj:
        return from_us(int(obj[TIME_KEY]))
    return obj


def encode_row(row: Row) -> str:
    return json.dumps(row, default=_encode, separators=(",", ":"))


def decode_row(line: str) -> Row:
    table, values = json.loads(line, object_hook=_decode)
    return (str(table), dict(values))


class Spool:
    """Bounded, ordered, durable queue of rows on disk."""

    def __init__(self, directory: Path, max_bytes: int, segment_bytes: int = 4 << 20) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.corrupt_lines = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._size = sum(p.stat().st_size for p in self.segments())
        self._current: Path | None = None

    def segments(self) -> list[Path]:
        """Segment files, oldest first."""
        return sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}"))

    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def empty(self) -> bool:
        return self._size == 0 and not self.segments()

    def append(self, rows: list[Row]) -> int:
        """Write ``rows`` durably, in order; the number accepted (the rest did not fit)."""
        lines: list[bytes] = []
        room = self.max_bytes - self._size
        for row in rows:
            data = (encode_row(row) + "\n").encode()
            if len(data) > room:
                break
            room -= len(data)
            lines.append(data)
        if lines:
            self._write(b"".join(lines))
        return len(lines)

    def _write(self, data: bytes) -> None:
        path = self._current
        if path is None or not path.exists() or path.stat().st_size >= self.segment_bytes:
            path = self._current = self._new_segment_path()
        with path.open("ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self._size += len(data)

    def _new_segment_path(self) -> Path:
        existing = self.segments()
        number = int(existing[-1].stem) + 1 if existing else 1
        return self.directory / f"{number:012d}{SEGMENT_SUFFIX}"

    def seal(self) -> None:
        """Close the current segment so the next append starts a new one."""
        self._current = None

    def read(self, segment: Path) -> list[Row]:
        """The rows of ``segment``; lines cut short by a crash are skipped and counted."""
        return list(self._iter_rows(segment))

    def _iter_rows(self, segment: Path) -> Iterator[Row]:
        with segment.open("rb") as f:
            for raw in f:
                try:
                    yield decode_row(raw.decode())
                except (ValueError, UnicodeDecodeError):
                    self.corrupt_lines += 1
                    log.warning("spool %s: skipping a damaged line", segment.name)

    def remove(self, segment: Path) -> None:
        """Forget ``segment`` once its rows are safely in the database."""
        size = segment.stat().st_size if segment.exists() else 0
        segment.unlink(missing_ok=True)
        self._size = max(0, self._size - size)
        if self._current == segment:
            self._current = None


class Sequencer:
    """Per-site sequence numbers, reserved in blocks in ``path`` (never reused)."""

    def __init__(self, path: Path, block: int = 100_000) -> None:
        self.path = path
        self.block = block
        self._next = self._read_reserved() + 1
        self._reserved = self._next - 1

    def _read_reserved(self) -> int:
        try:
            return int(self.path.read_text().strip() or 0)
        except FileNotFoundError:
            return 0

    def start_after(self, last_used: int) -> None:
        """Never hand out ``last_used`` or anything below (from the database's record)."""
        if last_used >= self._next:
            self._next = last_used + 1

    def __call__(self) -> int:
        if self._next > self._reserved:
            self._reserve(self._next + self.block - 1)
        value = self._next
        self._next += 1
        return value

    @property
    def last(self) -> int:
        """The last number handed out."""
        return self._next - 1

    def _reserve(self, high: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as f:
            f.write(str(high))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
        self._reserved = high
