"""The central receiver: batches from the sites into the city's database (docs/central.md).

An aiohttp application with no state of its own: the sites, their keys and their last
sequence numbers are in the database, so several receivers can stand behind one load balancer
in front of one PostgreSQL. For each batch it checks, in this order, and refuses with the
reason of :class:`~.central_protocol.Refusal` at the first that fails: its size (refused
unread above the limit), the site (registered, not revoked), the signature (the site's public
key, a time within ± ``MAX_SKEW_S``), the document (ESPI's schema and our profile), that the
batch speaks for the signer, and that it starts after the last sequence stored for the site.
A batch accepted is written in one transaction — its rows, the site's last sequence, a
``central_batches`` row — with the site's row locked on PostgreSQL, so two receivers given the
same batch store it once. A refusal stores nothing of the batch: one ``central_refusals`` row
and a log line. Imports run in worker threads, at most ``workers`` at a time; beyond that the
answer is 503 with ``Retry-After`` (back-pressure: the sites wait and retry).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy import Row as SiteRow

from chaufferie.historian import schema
from chaufferie.historian.central_protocol import (
    BATCHES_PATH,
    LAST_SEQ_PATH,
    MAX_BATCH_BYTES,
    STATUS,
    Answer,
    Refusal,
    SignatureError,
    claimed_site,
    load_public_key,
    verify,
)
from chaufferie.historian.central_schema import central_batches, central_refusals, central_sites
from chaufferie.historian.espi_schema import batch_error
from chaufferie.historian.exchange import ExchangeError, parse_batch, write_rows
from chaufferie.historian.records import Row
from chaufferie.historian.sampling import Rollups
from chaufferie.historian.sqltypes import to_us
from chaufferie.historian.store import Store

log = logging.getLogger(__name__)
RETRY_AFTER_S = 2


class Refused(Exception):
    """A request refused: its reason and a message for the site's log and ours."""

    def __init__(self, reason: Refusal, message: str, last_seq: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.last_seq = last_seq


@dataclass(frozen=True, slots=True)
class Accepted:
    site: str
    first_seq: int | None
    last_seq: int
    rows: int


def check_document(data: bytes) -> None:
    """Refused (INVALID) unless ``data`` is a batch feed valid by ESPI's schema and our profile."""
    error = batch_error(data)
    if error is not None:
        raise Refused(Refusal.INVALID, error)


class CentralStore:
    """The database side of the receiver (synchronous: run in worker threads)."""

    def __init__(self, engine: Engine, receiver: str) -> None:
        self.engine = engine
        self.receiver = receiver
        self.postgres = engine.dialect.name == "postgresql"

    def public_key_pem(self, site: str) -> str:
        """The site's public key; Refused if the site is unknown, revoked or has no key."""
        with self.engine.connect() as conn:
            row = _registered(conn, site)
        if not row.public_key:
            raise Refused(Refusal.UNKNOWN_SITE, f"site {site!r} sends no batches (uploads only)")
        return str(row.public_key)

    def last_seq(self, site: str) -> int:
        with self.engine.connect() as conn:
            return _last_seq(conn, site)

    def store(self, data: bytes, now: datetime, signer: str | None = None) -> Accepted:
        """Write a checked batch, all or nothing: of ``signer``'s when given (else of the site it
        names: a file an administrator imports); Refused if its site is not registered or is
        revoked (checked in the transaction that writes), or if it is not new."""
        try:
            site, points, rows = parse_batch(data)
        except ExchangeError as exc:
            raise Refused(Refusal.INVALID, str(exc)) from exc
        if signer is not None and site != signer:
            raise Refused(Refusal.SITE_MISMATCH, f"a batch of site {site!r} signed by site {signer!r}")
        seqs = [int(v["seq"]) for _, v in rows if "seq" in v]
        first = min(seqs) if seqs else None
        store = Store(self.engine, site)
        with self.engine.begin() as conn:
            _registered(conn, site, lock=self.postgres)  # one batch of a site at a time, whichever receiver
            last = _last_seq(conn, site)
            if first is not None and first <= last:
                raise Refused(Refusal.REPLAYED, f"starts at {first}, {site!r} is stored up to {last}", last)
            write_rows(store, conn, points, rows)
            if not any(table.startswith("rollup_") for table, _ in rows):  # a forwarded slice
                store.write_in(conn, rollups_of(rows))  # merged with the buckets already there
            new_last = max([last, *seqs])
            conn.execute(
                insert(central_batches).values(
                    site_id=site,
                    first_seq=first,
                    last_seq=max(seqs) if seqs else None,
                    rows=len(rows),
                    bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    received_at=now,
                    receiver=self.receiver,
                )
            )
        return Accepted(site, first, new_last, len(rows))

    def refusal(
        self, claimed: str, refused: Refused, remote: str, data: bytes | None, size: int, now: datetime
    ) -> None:
        """Keep the trace of a refusal (never the refused batch itself)."""
        values = {
            "received_at": now,
            "claimed_site": claimed[:64],
            "reason": refused.reason.value,
            "message": str(refused),
            "remote": remote[:64],
            "bytes": size,
            "sha256": None if data is None else hashlib.sha256(data).hexdigest(),
            "receiver": self.receiver,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(central_refusals).values(**values))


def rollups_of(rows: list[Row]) -> list[Row]:
    """The minute and hour rollups of a batch's samples, partial buckets to merge with the
    stored ones: the central's trends and coverage over forwarded samples (the site's own
    rollups also saw the values its deadband dropped, so they may differ slightly)."""
    rollups, out = Rollups(), []
    samples = sorted((v for table, v in rows if table == "samples"), key=lambda v: (v["point"], v["time"]))
    for v in samples:
        out += rollups.add(v["point"], v["value"], v["quality"] == 0, to_us(v["time"]))
    return out + rollups.flush()


def _registered(conn: Connection, site: str, lock: bool = False) -> SiteRow[Any]:
    """The site's ``central_sites`` row (locked for the transaction with ``lock``); Refused if
    the site is unknown or revoked."""
    query = select(central_sites).where(central_sites.c.site_id == site)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise Refused(Refusal.UNKNOWN_SITE, f"site {site!r} is not registered (chaufferie central site add)")
    if row.revoked_at is not None:
        raise Refused(Refusal.REVOKED_SITE, f"site {site!r} was revoked on {row.revoked_at:%Y-%m-%d %H:%M}")
    return row


def _last_seq(conn: Connection, site: str) -> int:
    t = schema.site_sequences
    return int(conn.execute(select(t.c.last_seq).where(t.c.site_id == site)).scalar() or 0)


class Receiver:
    """The receiver's web application over a :class:`CentralStore`."""

    def __init__(
        self,
        store: CentralStore,
        max_bytes: int = MAX_BATCH_BYTES,
        workers: int = 2,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.central = store
        self.max_bytes = max_bytes
        self.workers = workers
        self._busy = 0
        self._now = now

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_bytes)
        app.router.add_post(BATCHES_PATH, self._post_batch)
        app.router.add_get(LAST_SEQ_PATH, self._get_last_seq)
        app.router.add_get("/healthz", self._health)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "receiver": self.central.receiver})

    async def _post_batch(self, request: web.Request) -> web.Response:
        claimed = request.headers.get("X-Chaufferie-Site", "")
        size = request.content_length or 0
        if size > self.max_bytes:
            return await self._refuse(
                request, claimed, Refused(Refusal.OVERSIZED, f"{size} bytes > {self.max_bytes}"), None, size
            )
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return await self._refuse(
                request, claimed, Refused(Refusal.OVERSIZED, f"over {self.max_bytes} bytes"), None, size
            )
        if self._busy >= self.workers:
            log.info("busy: batch of %s deferred (%d imports running)", claimed, self._busy)
            answer = Answer(STATUS[Refusal.BUSY], None, Refusal.BUSY.value, "receiver busy, retry later")
            return web.json_response(
                answer.json(), status=answer.status, headers={"Retry-After": str(RETRY_AFTER_S)}
            )
        self._busy += 1
        try:
            accepted = await asyncio.to_thread(self._accept, request.headers, data)
        except Refused as refused:
            return await self._refuse(request, claimed, refused, data, len(data))
        finally:
            self._busy -= 1
        log.debug("stored %d rows of %s up to %d", accepted.rows, accepted.site, accepted.last_seq)
        return web.json_response(Answer(200, accepted.last_seq, rows=accepted.rows).json())

    def _accept(self, headers: Mapping[str, str], data: bytes) -> Accepted:
        signer = self._signer(headers, data)
        check_document(data)
        return self.central.store(data, datetime.now(UTC), signer)

    def _signer(self, headers: Mapping[str, str], body: bytes) -> str:
        try:
            site = claimed_site(headers)
            key = load_public_key(self.central.public_key_pem(site))
            return verify(key, headers, body, self._now())
        except SignatureError as exc:
            raise Refused(exc.reason, str(exc)) from exc

    async def _get_last_seq(self, request: web.Request) -> web.Response:
        claimed = request.headers.get("X-Chaufferie-Site", "")
        try:
            site = await asyncio.to_thread(self._signer, request.headers, b"")
            if site != request.match_info["site"]:
                raise Refused(
                    Refusal.SITE_MISMATCH, f"site {site!r} asked for {request.match_info['site']!r}"
                )
            last = await asyncio.to_thread(self.central.last_seq, site)
        except Refused as refused:
            return await self._refuse(request, claimed, refused, None, 0)
        return web.json_response(Answer(200, last).json())

    async def _refuse(
        self, request: web.Request, claimed: str, refused: Refused, data: bytes | None, size: int
    ) -> web.Response:
        remote = request.remote or ""
        log.warning("refused %s from %s (site %r): %s", refused.reason.value, remote, claimed, refused)
        now = datetime.now(UTC)
        await asyncio.to_thread(self.central.refusal, claimed, refused, remote, data, size, now)
        answer = Answer(STATUS[refused.reason], refused.last_seq, refused.reason.value, str(refused))
        return web.json_response(answer.json(), status=answer.status)


def receiver_name() -> str:
    """This receiver's name in the central tables: the host it runs on."""
    return socket.gethostname()[:128]
