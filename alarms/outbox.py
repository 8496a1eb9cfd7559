"""The notification outbox: persisted, idempotent, retried with backoff, routed, with fallback.

Every message is stored under its idempotency key *before* any attempt; a key already there
is not queued again, so a message is composed and sent at most once. Its route is the ordered
list of transports that may carry it (the channel policy, ``notifiers.sms_routes``: e.g.
Twilio then the GSM modem). One worker per transport takes due messages in order: mark SENDING
(persisted) → provider → mark SENT. A crash between the two leaves SENDING rows;
:meth:`Outbox.reconcile` at start asks the provider whether it already has them (Twilio) before
sending again. A failed attempt is retried after ``retry_base_s × 2^(n-1)`` (at most
``retry_max_s``). After ``handover_attempts`` on one transport, or at once when that transport
is known to be down, the message moves to the next transport of its route under the same key,
once the transport it leaves has said it does not have it (Twilio can tell). On the last
transport, after ``max_attempts`` (or at once for a permanent refusal), the message is FAILED,
a copy goes by the other medium, and the ``on_failure`` hook raises NOT-DEF. Each change is a
:class:`NotificationRecord` on the bus (its body without credentials: the signed
acknowledgement link and the SMS reply code; :attr:`OutboxItem.shown` when the composer gave
it, else the text with its links hidden).
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
from chaufferie.config.clock import Clock, honour_lost_cancellation
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
REPORT_WINDOW_S = 2 * 86_400.0
"""Delivery reports are matched with the messages sent in this window (references cycle at 256)."""
HANDOVER_CHECK_S = 15.0
"""How long the transport a message leaves is given to say whether it delivered it."""
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
        for name, channel in channels.items():
            if channel.name != name:
                raise ValueError(f"transport {channel.name!r} registered as {name!r}")
        self.on_failure: list[Hook] = []
        self.on_success: list[Hook] = []
        self.on_handed: list[Hook] = []
        self._wake = {name: asyncio.Event() for name in channels}
        self._reported: dict[str, set[int]] = {}
        self._busy = 0

    # ---------------------------------------------------------------- queueing
    def enqueue(self, item: OutboxItem) -> bool:
        """Store and queue ``item``; False when its key was already queued (nothing done)."""
        now = self.clock.now().timestamp()
        item.created_at = item.created_at or now
        item.next_at = now
        item.enqueued_mono = self.clock.monotonic()
        self._route(item)
        if not self.store.add_outbox(item):
            return False
        self._record(item)
        self._wake[item.via].set()
        return True

    def route_of(self, item: OutboxItem) -> list[str]:
        """The transports that may carry ``item``, in order (the channel policy, ``SmsRoute``)."""
        transports = [name for name, n in self.channels.items() if n.medium == item.channel]
        if item.channel == "sms":
            for rule in self.settings.sms_routes:
                if rule.matches(item.contact_id, item.priority):
                    return [t for t in rule.via if t in transports]
        return transports

    def _route(self, item: OutboxItem) -> None:
        """Give ``item`` its route and its first transport (the first not known down)."""
        if item.route and item.via in item.route:
            return
        item.route = [t for t in (item.route or self.route_of(item)) if t in self.channels]
        if not item.route:
            raise ValueError(f"no transport for channel {item.channel!r}")
        up = [t for t in item.route if self.channels[t].available()]
        item.via, item.via_attempts = (up or item.route)[0], 0

    async def reconcile(self) -> None:
        """After a restart: settle messages that were being sent when the process stopped."""
        for item in self.store.outbox(OutboxStatus.SENDING):
            channel = self.channels.get(item.via)
            found: str | None = None
            if channel is not None:
                try:
                    found = await channel.find_sent(item)
                except ChannelError as e:
                    log.warning("cannot check %s %s with the provider: %s", item.via, item.key, e)
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
            honour_lost_cancellation()  # the sleep runs in its own task
            now = self.clock.now().timestamp()
            waiting = [
                i for i in self.store.outbox(OutboxStatus.QUEUED, OutboxStatus.RETRYING) if self._on(i, name)
            ]
            due = [i for i in waiting if i.next_at <= now]
            for item in due:
                await self.attempt(item)
                honour_lost_cancellation()
            if not due:
                later = [i.next_at - now for i in waiting]
                await self._wait(name, min([IDLE_WAIT_S, *later]))

    def _on(self, item: OutboxItem, name: str) -> bool:
        """Whether ``item`` waits for transport ``name`` (a message stored before routes is routed now)."""
        if item.via not in self.channels:
            item.route, item.via = [], ""
            self._route(item)
        return item.via == name

    async def _wait(self, name: str, seconds: float) -> None:
        event = self._wake[name]
        # until an instant, not for a span: the sleeper task starts a loop turn later, and time
        # read then may have moved on (a virtual clock advancing while a send ran on a thread),
        # which would make a retry due now wait for the next one
        until = self.clock.now().timestamp() + seconds
        sleeper = asyncio.ensure_future(self._sleep_until(until))
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
        event.clear()

    async def _sleep_until(self, instant: float) -> None:
        await self.clock.sleep(instant - self.clock.now().timestamp())

    async def attempt(self, item: OutboxItem) -> None:
        """One delivery attempt of ``item``, by the first transport of its route not known down."""
        self._route(item)
        self._busy += 1
        try:
            if not self.channels[item.via].available():
                up = [t for t in self._later(item) if self.channels[t].available()]
                if up and await self._handover(item, up[0], "down"):
                    return
            await self._attempt(item, self.channels[item.via])
        finally:
            self._busy -= 1

    def _later(self, item: OutboxItem) -> list[str]:
        return item.route[item.route.index(item.via) + 1 :]

    async def _handover(self, item: OutboxItem, to: str, why: str) -> bool:
        """Move ``item`` to transport ``to``; True when the one it leaves had delivered it."""
        leaving = self.channels[item.via]
        if item.via_attempts > 0:
            try:
                found = await asyncio.wait_for(leaving.find_sent(item), HANDOVER_CHECK_S)
            except (ChannelError, TimeoutError):
                found = None
            if found:
                self._sent(item, found)
                return True
        log.warning("notification %s: %s %s, handed over to %s", item.key, item.via, why, to)
        item.via, item.via_attempts = to, 0
        item.status, item.next_at = OutboxStatus.RETRYING, self.clock.now().timestamp()
        self.store.update_outbox(item)
        self._wake[to].set()
        return False

    async def _attempt(self, item: OutboxItem, channel: Notifier) -> None:
        item.status, item.attempts = OutboxStatus.SENDING, item.attempts + 1
        item.via_attempts += 1
        self.store.update_outbox(item)
        try:
            # durable before it leaves, so a restart asks the provider rather than sends twice;
            # a database down costs that certainty, never the message
            await self.store.flush()
            for hook in self.on_handed:
                hook(item)
            provider_id = await channel.send(item)
        except ChannelError as e:
            await self._failed(item, e)
            return
        except Exception as e:
            # a provider library's bug must cost one attempt, not the whole alerting chain
            log.exception("notification %s: unexpected error in channel %s", item.key, item.via)
            await self._failed(item, ChannelError(f"unexpected {type(e).__name__}"))
            return
        self._sent(item, provider_id)

    def _sent(self, item: OutboxItem, provider_id: str) -> None:
        item.status, item.provider_id, item.error = OutboxStatus.SENT, provider_id, ""
        self.store.update_outbox(item)
        self._record(item)
        if item.attempts > 1:
            log.info("notification %s delivered by %s after %d attempts", item.key, item.via, item.attempts)
        for hook in self.on_success:
            hook(item)

    async def _failed(self, item: OutboxItem, error: ChannelError) -> None:
        item.error = f"{item.via}: {error}"
        later = self._later(item)
        if later and (
            error.permanent
            or item.via_attempts >= self.settings.handover_attempts
            or not self.channels[item.via].available()
        ):
            up = [t for t in later if self.channels[t].available()]
            if not await self._handover(item, (up or later)[0], "failed"):
                self._record(item)
            return
        if error.permanent or item.via_attempts >= self.settings.max_attempts:
            item.status = OutboxStatus.FAILED
            log.error("notification %s failed for good on %s: %s", item.key, item.via, error)
            self.store.update_outbox(item)
            self._record(item)
            self._fallback(item)
            for hook in self.on_failure:
                hook(item)
            return
        delay = min(self.settings.retry_base_s * 2 ** (item.via_attempts - 1), self.settings.retry_max_s)
        if item.via_attempts == 1:
            log.warning("notification %s on %s failed, retrying: %s", item.key, item.via, error)
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
        if address is None or not any(n.medium == other for n in self.channels.values()):
            return
        self.enqueue(fallback_copy(item, other, address, contact.language.value, self.site_id))

    def _record(self, item: OutboxItem, report: NotificationStatus | None = None, detail: str = "") -> None:
        status = report or _PUBLISHED.get(item.status)
        if status is None:
            return
        self.bus.publish(
            NotificationRecord(
                key=item.key,
                channel=item.channel,
                via=item.via,
                recipient=item.contact_id,
                status=status,
                time=self.clock.now(),
                occurrence_id=item.occurrence_id,
                code=item.code,
                body=_shown(item),
                attempts=item.attempts,
                error=detail or item.error,
            )
        )

    # ---------------------------------------------------------------- delivery reports
    def delivery_report(
        self, via: str, reference: int, delivered: bool, detail: str = ""
    ) -> OutboxItem | None:
        """The network's word on part ``reference`` of a message ``via`` sent (``<via>:<ref>,...``):
        recorded DELIVERED once every part is, UNDELIVERED at the first part given up on."""
        since = self.clock.now().timestamp() - REPORT_WINDOW_S
        for item in reversed(self.store.outbox(OutboxStatus.SENT)):
            if item.via != via or item.created_at < since:
                continue
            parts = {int(r) for r in item.provider_id.removeprefix(f"{via}:").split(",") if r.isdigit()}
            if reference not in parts:
                continue
            done = self._reported.setdefault(item.key, set())
            if not delivered:
                self._record(item, NotificationStatus.UNDELIVERED, detail)
            elif reference not in done:
                done.add(reference)
                if done >= parts:
                    self._record(item, NotificationStatus.DELIVERED)
            return item
        return None

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


def fallback_copy(item: OutboxItem, other: str, address: str, lang: str, site_id: str) -> OutboxItem:
    """``item`` given up, copied by the ``other`` channel: an email says the SMS did not go
    and carries its text; an SMS carries the email's subject."""
    return OutboxItem(
        key=f"{item.key}/fallback-{other}",
        channel=other,
        contact_id=item.contact_id,
        address=address,
        subject=text(MESSAGES, "fallback_subject", lang, site=site_id) if other == "email" else item.subject,
        text=item.text if other == "email" else fit_sms(item.subject),
        occurrence_id=item.occurrence_id,
        code=item.code,
        fallback_of=item.key,
    )
