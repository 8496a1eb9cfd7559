"""The notification outbox: persisted, idempotent, retried with backoff, with fallback.

Every message is stored under its idempotency key *before* any attempt; a key already there
is not queued again, so a message is composed and sent at most once. One worker per channel
takes due messages in order: mark SENDING (persisted) → provider → mark SENT. A crash between
the two leaves SENDING rows; :meth:`Outbox.reconcile` at start asks the provider whether it
already has them (Twilio) before sending again. A failed attempt is retried after
``retry_base_s × 2^(n-1)`` (at most ``retry_max_s``); after ``max_attempts`` (or at once for
a permanent refusal) the message is FAILED, a copy goes by the other channel, and the
``on_failure`` hook raises NOT-DEF. Each change is a :class:`NotificationRecord` on the bus
(its body without credentials: the signed acknowledgement link and the SMS reply code;
:attr:`OutboxItem.shown` when the composer gave it, else the text with its links hidden).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

from chaufferie.alarms.catalogue import MESSAGES, text
from chaufferie.alarms.channels import Notifier
from chaufferie.alarms.errors import ChannelError
from chaufferie.alarms.store import AlarmStore, OutboxItem, OutboxStatus
from chaufferie.alarms.templates import HIDDEN_LINK, fit_sms
from chaufferie.config.alarming import Contact, NotifierSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import NotificationRecord, NotificationStatus

log = logging.getLogger(__name__)
Hook = Callable[[OutboxItem], None]
_PUBLISHED = {
    OutboxStatus.QUEUED: NotificationStatus.QUEUED,
    OutboxStatus.RETRYING: NotificationStatus.RETRYING,
    OutboxStatus.SENT: NotificationStatus.SENT,
    OutboxStatus.FAILED: NotificationStatus.FAILED,
}
IDLE_WAIT_S = 60.0
_LINK = re.compile(r"https?://\S+")


class Outbox:
    """Queue, deliver and retry notifications (see module docstring)."""

    def __init__(
        self,
        store: AlarmStore,
        bus: Bus,
        clock: Clock,
        channels: dict[str, Notifier],
        settings: NotifierSettings,
        contacts: Callable[[str], Contact | None],
        site_id: str,
    ) -> None:
        self.store, self.bus, self.clock = store, bus, clock
        self.channels, self.settings, self.contacts = channels, settings, contacts
        self.site_id = site_id
        self.on_failure: list[Hook] = []
        self.on_success: list[Hook] = []
        self.on_handed: list[Hook] = []
        self._wake = {name: asyncio.Event() for name in channels}
        self._busy = 0

    # ---------------------------------------------------------------- queueing
    def enqueue(self, item: OutboxItem) -> bool:
        """Store and queue ``item``; False when its key was already queued (nothing done)."""
        now = self.clock.now().timestamp()
        item.created_at = item.created_at or now
        item.next_at = now
        item.enqueued_mono = self.clock.monotonic()
        if item.channel not in self.channels:
            raise ValueError(f"unknown channel {item.channel!r}")
        if not self.store.add_outbox(item):
            return False
        self._record(item)
        self._wake[item.channel].set()
        return True

    async def reconcile(self) -> None:
        """After a restart: settle messages that were being sent when the process stopped."""
        for item in self.store.outbox(OutboxStatus.SENDING):
            channel = self.channels.get(item.channel)
            found: str | None = None
            if channel is not None:
                try:
                    found = await channel.find_sent(item)
                except ChannelError as e:
                    log.warning("cannot check %s %s with the provider: %s", item.channel, item.key, e)
            if found:
                item.status, item.provider_id = OutboxStatus.SENT, found
                log.info("notification %s was delivered before the restart", item.key)
            else:
                item.status = OutboxStatus.QUEUED
            self.store.update_outbox(item)
            self._record(item)

    # ---------------------------------------------------------------- delivery
    async def run(self) -> None:
        """One worker per channel, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for name in self.channels:
                tg.create_task(self._worker(name), name=f"outbox-{name}")

    async def _worker(self, name: str) -> None:
        while True:
            _reraise_lost_cancel()
            now = self.clock.now().timestamp()
            waiting = [
                i for i in self.store.outbox(OutboxStatus.QUEUED, OutboxStatus.RETRYING) if i.channel == name
            ]
            due = [i for i in waiting if i.next_at <= now]
            for item in due:
                await self.attempt(item)
                _reraise_lost_cancel()
            if not due:
                later = [i.next_at - now for i in waiting]
                await self._wait(name, min([IDLE_WAIT_S, *later]))

    async def _wait(self, name: str, seconds: float) -> None:
        event = self._wake[name]
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
        event.clear()

    async def attempt(self, item: OutboxItem) -> None:
        """One delivery attempt of ``item``."""
        channel = self.channels[item.channel]
        item.status, item.attempts = OutboxStatus.SENDING, item.attempts + 1
        self.store.update_outbox(item)
        self._busy += 1
        try:
            # durable before it leaves, so a restart asks the provider rather than sends twice;
            # a database down costs that certainty, never the message
            await self.store.flush()
            for hook in self.on_handed:
                hook(item)
            provider_id = await channel.send(item)
        except ChannelError as e:
            self._failed(item, e)
            return
        except Exception as e:
            # a provider library's bug must cost one attempt, not the whole alerting chain
            log.exception("notification %s: unexpected error in channel %s", item.key, item.channel)
            self._failed(item, ChannelError(f"unexpected {type(e).__name__}"))
            return
        finally:
            self._busy -= 1
        item.status, item.provider_id, item.error = OutboxStatus.SENT, provider_id, ""
        self.store.update_outbox(item)
        self._record(item)
        if item.attempts > 1:
            log.info("notification %s delivered after %d attempts", item.key, item.attempts)
        for hook in self.on_success:
            hook(item)

    def _failed(self, item: OutboxItem, error: ChannelError) -> None:
        item.error = str(error)
        if error.permanent or item.attempts >= self.settings.max_attempts:
            item.status = OutboxStatus.FAILED
            log.error("notification %s failed for good on %s: %s", item.key, item.channel, error)
            self.store.update_outbox(item)
            self._record(item)
            self._fallback(item)
            for hook in self.on_failure:
                hook(item)
            return
        delay = min(self.settings.retry_base_s * 2 ** (item.attempts - 1), self.settings.retry_max_s)
        if item.attempts == 1:
            log.warning("notification %s on %s failed, retrying: %s", item.key, item.channel, error)
        item.status, item.next_at = OutboxStatus.RETRYING, self.clock.now().timestamp() + delay
        self.store.update_outbox(item)
        self._record(item)

    def _fallback(self, item: OutboxItem) -> None:
        """The same message by the other channel, once (a fallback has no fallback)."""
        if item.fallback_of is not None:
            return
        contact = self.contacts(item.contact_id)  # the address book in force now
        if contact is None:
            return
        other = "email" if item.channel == "sms" else "sms"
        address = contact.email if other == "email" else contact.phone
        if address is None or other not in self.channels:
            return
        lang = contact.language.value
        copy = OutboxItem(
            key=f"{item.key}/fallback-{other}",
            channel=other,
            contact_id=item.contact_id,
            address=address,
            subject=text(MESSAGES, "fallback_subject", lang, site=self.site_id)
            if other == "email"
            else item.subject,
            text=item.text if other == "email" else fit_sms(item.subject),
            occurrence_id=item.occurrence_id,
            code=item.code,
            fallback_of=item.key,
        )
        self.enqueue(copy)

    def _record(self, item: OutboxItem) -> None:
        status = _PUBLISHED.get(item.status)
        if status is None:
            return
        self.bus.publish(
            NotificationRecord(
                key=item.key,
                channel=item.channel,
                recipient=item.contact_id,
                status=status,
                time=self.clock.now(),
                occurrence_id=item.occurrence_id,
                code=item.code,
                body=_shown(item),
                attempts=item.attempts,
                error=item.error,
            )
        )

    # ---------------------------------------------------------------- for tests and health
    @property
    def busy(self) -> bool:
        return self._busy > 0

    def pending(self) -> list[OutboxItem]:
        return self.store.outbox(OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.SENDING)

    async def settled(self, timeout_s: float = 10.0) -> None:
        """Wait (real time) until nothing is due now and no attempt is in progress."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            now = self.clock.now().timestamp()
            due = [i for i in self.pending() if i.next_at <= now]
            if not due and not self.busy:
                await asyncio.sleep(0)
                if not self.busy:
                    return
            await asyncio.sleep(0.005)
        raise TimeoutError("outbox did not settle")


def _shown(item: OutboxItem) -> str:
    """What a record may show of ``item``: never a link nor a reply code (credentials)."""
    if item.channel != "sms":
        return item.subject
    return item.shown or _LINK.sub(HIDDEN_LINK, item.text)


def _reraise_lost_cancel() -> None:
    """Python 3.11's ``asyncio.wait_for`` (used inside aiosmtplib) may swallow a cancellation
    that races with completion; honour it here so stopping the service never hangs."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
