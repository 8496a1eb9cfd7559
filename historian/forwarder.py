"""The site forwarder: the site's history to the city's central receivers (docs/central.md).

Store and forward without a copy: the queue is the site's own history, numbered by its
sequence; for each receiver ``forward_cursors`` keeps the last number that receiver said it
stored. A round exports the next slice (at most ``batch_rows`` samples and records after the
cursor, :func:`~.exchange.slice_end`) as a batch, signs it with the site's key and posts it;
the receiver's answer moves the cursor. So the forwarder resumes after any outage or restart
where the central stands: it asks the receiver first (``last_seq``), a batch the central
already kept is answered ``replayed`` with its last number, and nothing is sent twice.

Failures wait on the clock, doubling up to ``retry_max_s``; a busy receiver's ``Retry-After``
is honoured (back-pressure). The queue is bounded by the site's retention: samples trimmed
before they were forwarded are counted in ``forward_cursors.lost`` by the store
(:meth:`~.store.Store.apply_retention`) and raise FWD-PER (``central_loss``); no batch accepted
for ``down_after_s`` while data waits raises COM-CEN (``central_down``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select, update

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.forwarding import CentralReceiver, ForwardingSettings
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import SystemEvent
from chaufferie.historian import schema
from chaufferie.historian.central_protocol import (
    BATCHES_PATH,
    CONTENT_TYPE,
    LAST_SEQ_PATH,
    load_private_key,
    signed_headers,
)
from chaufferie.historian.central_schema import forward_cursors
from chaufferie.historian.exchange import export_batch, slice_end

log = logging.getLogger(__name__)
DOWN_SIGNAL = "central_down"
LOSS_SIGNAL = "central_loss"


class ForwardError(Exception):
    """A round that did not reach its end: the receiver unreachable, or refusing."""


@dataclass(frozen=True, slots=True)
class CursorState:
    """What the site knows of one receiver (``chaufferie forward status``)."""

    receiver: str
    acked_seq: int
    lost: int
    backlog: int
    last_success: datetime | None
    last_error: str | None


@dataclass
class _Link:
    receiver: CentralReceiver
    acked: int = 0
    synced: bool = False
    failures: int = 0
    waiting_since: datetime | None = None
    down: bool = False
    lost_seen: int = 0
    ssl: ssl.SSLContext | bool = field(default=True, repr=False)


class Forwarder:
    """A service (docs/architecture.md): one loop per configured receiver."""

    def __init__(
        self,
        cfg: PlantConfig,
        engine: Engine,
        bus: Bus,
        clock: Clock,
        key: Ed25519PrivateKey,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` paces the rounds and retries; ``wall`` (the machine's time, never a plant
        clock sped up or replayed) dates the signatures the receiver checks against its own."""
        self.cfg = cfg
        self.wall = wall
        self.settings: ForwardingSettings = cfg.forwarding
        self.engine = engine
        self.bus = bus
        self.clock = clock
        self.key = key
        self.site = cfg.site.id
        self.links = [_Link(r) for r in self.settings.receivers]
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_environment(
        cls, cfg: PlantConfig, engine: Engine, bus: Bus, clock: Clock, environ: Mapping[str, str]
    ) -> Self:
        """The forwarder of ``cfg``, its key from ``environ`` (ValueError naming the variable)."""
        return cls(cfg, engine, bus, clock, load_private_key(environ, cfg.forwarding.key_env))

    async def __aenter__(self) -> Self:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        self._session = aiohttp.ClientSession(timeout=timeout)
        for link in self.links:
            if link.receiver.ca_file:
                link.ssl = ssl.create_default_context(
                    cafile=self.cfg.data_path(link.receiver.ca_file).as_posix()
                )
        await asyncio.to_thread(self._load_cursors)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def run(self) -> None:
        await asyncio.gather(*(self._loop(link) for link in self.links))

    async def _loop(self, link: _Link) -> None:
        delay = 0.0
        while True:
            await self.clock.sleep(delay)
            try:
                delay = await self.round(link)
                link.failures = 0
            except ForwardError as exc:
                link.failures += 1
                link.synced = False
                delay = min(self.settings.retry_max_s, self.settings.interval_s / 4 * 2**link.failures)
                log.warning("forwarding to %s: %s (retry in %.0f s)", link.receiver.name, exc, delay)
                await asyncio.to_thread(self._save, link, error=str(exc))
                self._check_down(link)
            await self._check_loss(link)

    async def round(self, link: _Link) -> float:
        """Send every slice waiting for ``link``; the pause before the next round."""
        if not link.synced:
            link.acked = await self._ask_last_seq(link)
            link.synced = True
            await asyncio.to_thread(self._save, link)
        while True:
            sliced = await asyncio.to_thread(self._slice, link.acked)
            if sliced is None:
                self._clear_down(link)
                return self.settings.interval_s
            body, end = sliced
            if link.waiting_since is None:
                link.waiting_since = self.clock.now()
            status, answer, retry_after = await self._post(link, body)
            if status == 503:
                return retry_after
            last = answer.get("last_seq")
            if status in (200, 409) and isinstance(last, int) and last > link.acked:
                link.acked = last
                await asyncio.to_thread(self._save, link, success=True)
                link.waiting_since = None
                self._clear_down(link)
                continue
            raise ForwardError(
                f"{status} {answer.get('reason', '')}: {answer.get('message', '')} (batch up to {end})"
            )

    def _slice(self, after: int) -> tuple[bytes, int] | None:
        end = slice_end(self.engine, self.site, after, self.settings.batch_rows)
        if end is None:
            return None
        return export_batch(self.engine, self.cfg, from_seq=after + 1, to_seq=end, rollups=False), end

    async def _ask_last_seq(self, link: _Link) -> int:
        url = link.receiver.url.rstrip("/") + LAST_SEQ_PATH.format(site=self.site)
        headers = signed_headers(self.key, self.site, int(self.wall()), b"")
        status, answer, _ = await self._request(link, "GET", url, b"", headers)
        last = answer.get("last_seq")
        if status != 200 or not isinstance(last, int):
            raise ForwardError(f"{status} {answer.get('reason', '')}: {answer.get('message', '')}")
        return last

    async def _post(self, link: _Link, body: bytes) -> tuple[int, dict[str, Any], float]:
        url = link.receiver.url.rstrip("/") + BATCHES_PATH
        headers = signed_headers(self.key, self.site, int(self.wall()), body)
        headers["Content-Type"] = CONTENT_TYPE
        return await self._request(link, "POST", url, body, headers)

    async def _request(
        self, link: _Link, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], float]:
        if self._session is None:
            raise RuntimeError("the forwarder is used outside its context")
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, ssl=link.ssl
            ) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = {}
                retry_after = _seconds(response.headers.get("Retry-After"), self.settings.interval_s)
                if response.status == 503:
                    log.info("%s busy: next batch in %.0f s", link.receiver.name, retry_after)
                return response.status, answer if isinstance(answer, dict) else {}, retry_after
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ForwardError(f"{link.receiver.url} unreachable: {exc or type(exc).__name__}") from exc

    def _check_down(self, link: _Link) -> None:
        now = self.clock.now()
        if link.waiting_since is None:
            link.waiting_since = now
        if not link.down and (now - link.waiting_since).total_seconds() >= self.settings.down_after_s:
            link.down = True
            detail = down_detail(link.receiver.name, link.waiting_since)
            self.bus.publish(SystemEvent(DOWN_SIGNAL, True, now, *detail))

    def _clear_down(self, link: _Link) -> None:
        if link.down:
            link.down = False
            self.bus.publish(SystemEvent(DOWN_SIGNAL, False, self.clock.now()))

    async def _check_loss(self, link: _Link) -> None:
        lost = await asyncio.to_thread(self._lost, link.receiver.name)
        if lost > link.lost_seen:
            new = lost - link.lost_seen
            link.lost_seen = lost
            detail = loss_detail(new, link.receiver.name, lost)
            self.bus.publish(SystemEvent(LOSS_SIGNAL, True, self.clock.now(), *detail))

    def _load_cursors(self) -> None:
        with self.engine.begin() as conn:
            rows = {r.receiver: r for r in conn.execute(select(forward_cursors))}
            for link in self.links:
                row = rows.get(link.receiver.name)
                if row is None:
                    conn.execute(
                        forward_cursors.insert().values(receiver=link.receiver.name, acked_seq=0, lost=0)
                    )
                else:
                    link.acked, link.lost_seen = int(row.acked_seq), int(row.lost)

    def _save(self, link: _Link, success: bool = False, error: str | None = None) -> None:
        now = self.clock.now()
        values: dict[str, Any] = {"acked_seq": link.acked, "last_attempt": now, "last_error": error}
        if success:
            values["last_success"] = now
        with self.engine.begin() as conn:
            conn.execute(
                update(forward_cursors)
                .where(forward_cursors.c.receiver == link.receiver.name)
                .values(**values)
            )

    def _lost(self, receiver: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(forward_cursors.c.lost).where(forward_cursors.c.receiver == receiver)
                ).scalar()
                or 0
            )


def down_detail(receiver: str, since: datetime) -> tuple[str, str]:
    """COM-CEN's detail, French and English."""
    at = f"{since:%Y-%m-%d %H:%M} UTC"
    return (
        f"Serveur central {receiver} injoignable depuis {at}",
        f"Central server {receiver} unreachable since {at}",
    )


def loss_detail(new: int, receiver: str, lost: int) -> tuple[str, str]:
    """FWD-PER's detail, French and English."""
    return (
        f"{new} échantillons effacés avant transmission à {receiver} ({lost} en tout)",
        f"{new} samples trimmed before they reached {receiver} ({lost} in all)",
    )


def _seconds(text: str | None, default: float) -> float:
    try:
        return max(0.0, float(text)) if text else default
    except ValueError:
        return default


def forward_status(engine: Engine, site: str) -> list[CursorState]:
    """Each receiver's cursor, loss and backlog (samples and records not yet acknowledged)."""
    s, p = schema.samples, schema.points
    with engine.connect() as conn:
        out = []
        for row in conn.execute(select(forward_cursors).order_by(forward_cursors.c.receiver)):
            site_points = select(p.c.id).where(p.c.site_id == site).scalar_subquery()
            backlog = conn.execute(
                select(func.count())
                .select_from(s)
                .where(s.c.point_id.in_(site_points), s.c.seq > row.acked_seq)
            ).scalar_one()
            for table in schema.RECORD_TABLES:
                backlog += conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.site_id == site, table.c.seq > row.acked_seq)
                ).scalar_one()
            out.append(
                CursorState(
                    row.receiver,
                    int(row.acked_seq),
                    int(row.lost),
                    int(backlog),
                    row.last_success,
                    row.last_error,
                )
            )
    return out
