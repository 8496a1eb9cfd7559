"""The historian's single writer: bus → filter and rollups → batches → database or spool.

:class:`HistorianWriter` is an async context manager with a ``run()``. It subscribes to
every vocabulary message with a large queue (``storage.queue_size``), turns tag values into
deadbanded samples and minute/hour rollups and other messages into records (each numbered
with the site's sequence), and writes batches of up to ``storage.batch_size`` rows in a
worker thread, at least every ``storage.flush_interval_s`` of the injected clock.
:meth:`HistorianWriter.flush` writes everything received so far (shutdown, tests).

Nothing is lost while the database is away: batches go to the on-disk :class:`Spool` and
are replayed in order, oldest first, when it answers again (retried with backoff); new
batches queue behind them so order is kept. Rows are lost only when the spool is full: then
they are counted (:attr:`WriterHealth.lost`), logged once per episode, and the episode is
published as a :class:`~chaufferie.config.vocabulary.SystemEvent` (signal
``spool_overflow``): active when the first row is lost, inactive when the spool takes rows
again or the database is back. The alarms raise HIS-PER from it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Message, SystemEvent, TagValue
from chaufferie.historian.database import make_engine
from chaufferie.historian.records import QUALITY_CODES, STALE, RecordMaker, Row
from chaufferie.historian.sampling import Rollups, SampleFilter
from chaufferie.historian.spool import Sequencer, Spool
from chaufferie.historian.sqltypes import to_us
from chaufferie.historian.store import Store

log = logging.getLogger(__name__)

LOSS_SIGNAL = "spool_overflow"
"""The internal signal of a loss episode (HIS-PER waits for it)."""
RETENTION_EVERY_S = 3600.0
MAX_BACKOFF_S = 30.0


@dataclass
class WriterHealth:
    """What the writer knows about itself (for the HMI and the alarms)."""

    database_ok: bool = False
    written: int = 0
    spooled: int = 0
    replayed: int = 0
    lost: int = 0
    rejected: int = 0
    spool_bytes: int = 0


def _is_outage(exc: BaseException) -> bool:
    """A database that cannot be reached (as opposed to rows it refuses)."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class HistorianWriter:
    """The one task that owns the historian's writes."""

    def __init__(
        self,
        cfg: PlantConfig,
        bus: Bus,
        clock: Clock,
        engine: Engine | None = None,
        register_points: bool = True,
    ) -> None:
        """``register_points=False``: a writer of records only (the central's audit), which
        leaves the database's points alone."""
        self.cfg = cfg
        self.register_points = register_points
        self.bus = bus
        self.clock = clock
        storage = cfg.storage
        self.engine = engine or make_engine(cfg.storage_url, storage.password_env)
        self.store = Store(self.engine, cfg.site.id)
        spool_dir = Path(cfg.data_path(storage.spool_dir)).resolve()
        self.spool = Spool(spool_dir, int(storage.spool_max_mb * 1024 * 1024))
        self.sequence = Sequencer(spool_dir / "sequence")
        self.filter = SampleFilter(cfg.points)
        self.rollups = Rollups()
        self.maker = RecordMaker(cfg.site.id, self.sequence, cfg.plant.chips_bulk_density_kg_m3)
        self.health = WriterHealth(spool_bytes=self.spool.size_bytes)
        self._pending: list[Row] = []
        self._lock = asyncio.Lock()
        self._prepared = False
        self._retry_at = 0.0
        self._backoff = 1.0
        self._losing = False
        self._announced_down = False
        self._last_retention = -RETENTION_EVERY_S
        self._sub: Subscription | None = None

    async def __aenter__(self) -> HistorianWriter:
        self._sub = self.bus.subscribe(maxsize=self.cfg.storage.queue_size, name="historian")
        async with self._lock:
            await self._prepare()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.flush()
        finally:
            if self._sub is not None:
                self._sub.close()
            await asyncio.to_thread(self.engine.dispose)

    async def run(self) -> None:
        """Consume the bus and write until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume())
            group.create_task(self._tick())

    async def _consume(self) -> None:
        if self._sub is None:
            raise RuntimeError("HistorianWriter.run() outside 'async with'")
        sub, batch_size = self._sub, self.cfg.storage.batch_size
        while True:
            # At every await, a message is either still queued or in _pending (flushed at exit).
            self.accept(await sub.get())
            while len(self._pending) < batch_size and (message := sub.get_nowait()) is not None:
                self.accept(message)
            if len(self._pending) >= batch_size:
                await self._commit()

    async def _tick(self) -> None:
        while True:
            await self.clock.sleep(self.cfg.storage.flush_interval_s)
            await self._commit()
            if self.clock.monotonic() - self._last_retention >= RETENTION_EVERY_S and self.health.database_ok:
                self._last_retention = self.clock.monotonic()
                await self._retention()

    def accept(self, message: Message) -> None:
        """Turn ``message`` into pending rows (no I/O)."""
        if type(message) is TagValue:
            point, raw = message.point, message.value
            value = float(raw) if isinstance(raw, int | float) else None  # booleans as 0/1
            quality = STALE if message.stale else QUALITY_CODES[message.quality]
            t_us = to_us(message.source_time)
            closed = self.rollups.add(point, value, quality == 0, t_us)
            if closed:
                self._pending.extend(closed)
            if self.filter.keep(point, value, quality, t_us):
                seq = self.sequence()
                row = {"point": point, "time": t_us, "value": value, "quality": quality, "seq": seq}
                self._pending.append(("samples", row))
        else:
            self._pending.extend(self.maker.rows(message))

    async def flush(self) -> None:
        """Write everything received so far, open rollup buckets included, and retry the spool."""
        if self._sub is not None:
            for message in self._sub.drain():
                self.accept(message)
        self._pending.extend(self.rollups.flush())
        self._retry_at = 0.0
        await self._commit()

    async def _commit(self) -> None:
        async with self._lock:
            rows, self._pending = self._pending, []
            if rows and self.spool.empty and await self._ready():
                try:
                    await self._write(rows)
                    self.health.written += len(rows)
                    self._up()
                    rows = []
                except SQLAlchemyError as exc:
                    rows = await self._salvage(exc, rows)
            if rows:
                self._to_spool(rows)
            if not self.spool.empty:
                await self._replay()
            self.health.spool_bytes = self.spool.size_bytes

    async def _write(self, rows: list[Row], requeue: bool = True) -> None:
        """Write ``rows`` in a worker thread; if cancelled meanwhile, let that write finish
        (and put the rows back for the final flush when it failed) before giving way."""
        job = asyncio.ensure_future(asyncio.to_thread(self.store.write, rows))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            await asyncio.wait([job])
            if requeue and job.exception() is not None:
                self._pending[:0] = rows
            raise

    async def _ready(self) -> bool:
        if self._prepared and (self.health.database_ok or self.clock.monotonic() >= self._retry_at):
            return True
        if self.clock.monotonic() < self._retry_at:
            return False
        return await self._prepare()

    async def _prepare(self) -> bool:
        try:
            last = await asyncio.to_thread(
                self.store.prepare, self.cfg.points if self.register_points else ()
            )
        except (SQLAlchemyError, OSError) as exc:
            self._down(exc)
            return False
        self.sequence.start_after(last)
        self._prepared = True
        self._up()
        return True

    async def _salvage(self, exc: SQLAlchemyError, rows: list[Row]) -> list[Row]:
        """After a failed batch, the rows still to keep: all of them when the database is away;
        otherwise the batch is retried row by row and only the rows it refuses are dropped."""
        if _is_outage(exc):
            self._down(exc)
            return rows
        log.error("historian refused a batch of %d rows (%s); writing it row by row", len(rows), exc)
        for index, row in enumerate(rows):
            try:
                await self._write([row], requeue=False)
            except SQLAlchemyError as err:
                if _is_outage(err):
                    self._down(err)
                    return rows[index:]
                self.health.rejected += 1
                reason = str(err).splitlines()[0]
                log.error("historian dropped a row of %s it cannot store: %s", row[0], reason)
        return []

    def _to_spool(self, rows: list[Row]) -> None:
        accepted = self.spool.append(rows)
        self.health.spooled += accepted
        if accepted < len(rows):
            self._lose(len(rows) - accepted)
        else:
            self._loss_over()

    def _lose(self, count: int) -> None:
        self.health.lost += count
        if self._losing:
            return
        self._losing = True
        log.error("historian spool full (%d bytes): records are being lost", self.spool.size_bytes)
        lost = self.health.lost
        self.bus.publish(
            SystemEvent(
                LOSS_SIGNAL,
                True,
                self.clock.now(),
                f"{lost} enregistrements perdus, tampon de {self.spool.size_bytes} octets plein",
                f"{lost} records lost, spool of {self.spool.size_bytes} bytes full",
            )
        )

    def _loss_over(self) -> None:
        if self._losing:
            self._losing = False
            log.warning("historian no longer losing records (%d lost in all)", self.health.lost)
            self.bus.publish(SystemEvent(LOSS_SIGNAL, False, self.clock.now()))

    async def _replay(self) -> None:
        if not await self._ready():
            return
        self.spool.seal()
        for segment in self.spool.segments():
            rows = self.spool.read(segment)
            try:
                await self._write(rows, requeue=False)
            except SQLAlchemyError as exc:
                if await self._salvage(exc, rows):
                    return  # the database went away again: the segment stays for the next attempt
            self.spool.remove(segment)
            self.health.replayed += len(rows)
        self._up()
        log.info("historian spool replayed: %d rows in total since start", self.health.replayed)

    def _down(self, exc: BaseException) -> None:
        self._retry_at = self.clock.monotonic() + self._backoff
        self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)
        if self.health.database_ok or not self._announced_down:
            self._announced_down = True
            log.warning("historian database unavailable, spooling to disk: %s", str(exc).splitlines()[0])
        self.health.database_ok = False

    def _up(self) -> None:
        self._backoff = 1.0
        if not self.health.database_ok:
            self._announced_down = False
            log.info("historian database available")
        self.health.database_ok = True
        self._loss_over()

    async def _retention(self) -> None:
        retention = self.cfg.storage.retention
        try:
            dropped = await asyncio.to_thread(self.store.apply_retention, self.clock.now(), retention)
        except SQLAlchemyError as exc:
            log.warning("historian retention skipped: %s", str(exc).splitlines()[0])
            return
        if any(dropped.values()):
            log.info("historian retention: %s", dropped)
