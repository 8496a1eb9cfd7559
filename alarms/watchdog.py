"""The watchdog of the alerting chain: a daily test message, an external ping, a dead-man.

* every day at ``notifiers.daily_test_time`` (site time zone) the on-call person receives a
  test message by every configured transport (Twilio, GSM modem, email), each on its own and
  recorded with its transport, so a silent chain, or one silent channel, is noticed within a day;
* if ``watchdog_ping_url`` is set, it is fetched (GET) every ``watchdog_stall_s`` while the
  engine is healthy, so an external service notices when this process dies;
* if the engine has not evaluated (ticked) for ``watchdog_stall_s``, SUP-HBT is raised; it
  clears when evaluation resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp

from chaufferie.alarms.catalogue import MESSAGES, text
from chaufferie.alarms.dispatch import address_of
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.store import OutboxItem, PurgeableStore
from chaufferie.alarms.templates import render_plain
from chaufferie.config.alarming import Contact

log = logging.getLogger(__name__)


class Watchdog:
    """Daily test, external ping and dead-man timer (see module docstring)."""

    def __init__(
        self, engine: AlarmEngine, outbox: Outbox, on_call: Callable[[datetime], list[Contact]]
    ) -> None:
        self.engine, self.outbox, self.on_call = engine, outbox, on_call
        self.settings = engine.cfg.notifiers
        self.silent = False
        self._ping_failing = False

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._daily(), name="watchdog-daily")
            tg.create_task(self._deadman(), name="watchdog-deadman")

    def next_test(self, now: datetime) -> datetime | None:
        at = self.settings.daily_test_time
        if at is None:
            return None
        local = now.astimezone(self.engine.tz)
        candidate = datetime.combine(local.date(), at, tzinfo=self.engine.tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=self.engine.tz)
        return candidate

    async def _daily(self) -> None:
        clock = self.engine.clock
        while (when := self.next_test(clock.now())) is not None:
            await clock.sleep((when - clock.now()).total_seconds())
            self.send_daily_test(clock.now())
            self.purge(clock.now())

    def purge(self, now: datetime) -> int:
        """Forget delivered messages older than the raw-history retention (None: keep all)."""
        days = self.engine.cfg.storage.retention.raw_days
        store = self.engine.store
        if days is None or not isinstance(store, PurgeableStore):
            return 0
        return store.purge((now - timedelta(days=days)).timestamp())

    def send_daily_test(self, now: datetime) -> int:
        """Queue today's test messages to the on-call person; the number queued."""
        day = now.astimezone(self.engine.tz).date().isoformat()
        items = self.test_items(now, self.on_call(now), f"daily-test/{day}")
        return sum(self.outbox.enqueue(i) for i in items)

    def test_items(
        self, now: datetime, contacts: list[Contact], key_prefix: str, only: str | None = None
    ) -> list[OutboxItem]:
        """A test message by every configured transport (Twilio, modem, SMTP...: each on its own,
        no handover, so each is tested and reported) to each of ``contacts``; ``only``: that
        transport alone. Keys ``key_prefix/contact/transport``."""
        stamp = now.astimezone(self.engine.tz).strftime("%d/%m/%Y %H:%M")
        site = self.engine.cfg.site.id
        items = []
        for contact in contacts:
            lang = contact.language.value
            rendered = render_plain(
                text(MESSAGES, "daily_test_subject", lang, site=site),
                text(MESSAGES, "daily_test", lang, site=site, time=stamp),
            )
            for name, transport in self.outbox.channels.items():
                channel = transport.medium
                address = address_of(contact, channel)
                if address is None or only not in (None, name):
                    continue
                items.append(
                    OutboxItem(
                        key=f"{key_prefix}/{contact.id}/{name}",
                        channel=channel,
                        contact_id=contact.id,
                        address=address,
                        subject=rendered.subject,
                        text=rendered.sms if channel == "sms" else rendered.text,
                        html=rendered.html if channel == "email" else "",
                        route=[name],
                    )
                )
        return items

    async def _deadman(self) -> None:
        clock = self.engine.clock
        period = self.settings.watchdog_stall_s
        while True:
            await clock.sleep(period / 4)
            silence = clock.monotonic() - self.engine.last_tick
            if silence > period and not self.silent:
                self.silent = True
                log.error("alarm engine silent for %.0f s: raising SUP-HBT", silence)
                fr, en = (text(MESSAGES, "watchdog_detail", lang, seconds=silence) for lang in ("fr", "en"))
                self.engine.signal("watchdog", True, fr, en)
            elif silence <= period and self.silent:
                self.silent = False
                log.info("alarm engine evaluating again")
                self.engine.signal("watchdog", False)
            if not self.silent:
                await self.ping()

    async def ping(self) -> None:
        url = self.settings.watchdog_ping_url
        if not url:
            return
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp,
            ):
                resp.raise_for_status()
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            if not self._ping_failing:
                log.warning("watchdog ping failed: %s", type(e).__name__)
            self._ping_failing = True
            return
        if self._ping_failing:
            log.info("watchdog ping working again")
        self._ping_failing = False
