"""The alarm service: engine, escalation, outbox and watchdog wired together.

``async with AlarmService(cfg, bus, clock) as alarms: await alarms.run()`` — it subscribes
to tag values, link events and plant events, ticks the engine and the escalation every
``tick_s`` of the injected clock, delivers the outbox and runs the watchdog. The on-call rota
and the address book are read from the configuration in force (``cfg`` may be the process's
:class:`~chaufferie.config.live.LiveConfig`): a rota or contact changed from the HMI applies
at the next notification, no restart. The HMI and the remote-ack channels call
:attr:`AlarmService.operations`.

Seams (all optional): ``store`` (:class:`AlarmStore`, default SQLite ``alarms.db`` in the
data folder), ``link_maker`` (default :class:`PlainLinkMaker` on ``hmi.public_url``) and
``channels``, the transports by name (default: Twilio, the GSM modem and SMTP when configured,
else the local outbox folder). With a modem, :attr:`AlarmService.modem_watch` polls it (health
points, NOT-GSM) and hands the SMS it receives to its ``replies`` handler, which the
composition root sets to the SMS reply judge. Transports known to be down are probed every
``notifiers.probe_s``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from chaufferie.alarms.catalogue import MESSAGES, text
from chaufferie.alarms.channels import FolderOutbox, Notifier, SmtpEmail, TwilioSms
from chaufferie.alarms.dispatch import Dispatcher
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.escalation import Escalator
from chaufferie.alarms.links import LinkMaker, PlainLinkMaker
from chaufferie.alarms.modem import DeliveryReport, GsmModem
from chaufferie.alarms.modem_watch import ModemWatch
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.rota import OnCall, RotaInForce
from chaufferie.alarms.store import AlarmStore, OutboxItem, SqliteAlarmStore
from chaufferie.alarms.templates import Site
from chaufferie.alarms.watchdog import Watchdog
from chaufferie.config.alarming import Contact
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, PlantEvent, SystemEvent, TagValue

log = logging.getLogger(__name__)


def build_channels(cfg: PlantConfig) -> dict[str, Notifier]:
    """The transports by name: Twilio and SMTP when configured, the local outbox folder for a
    medium that has none."""
    n = cfg.notifiers
    folder, tz = cfg.data_path(n.outbox_dir), ZoneInfo(cfg.site.timezone)
    sms: list[Notifier] = [TwilioSms(n.sms)] if n.sms is not None else []
    if n.modem is not None:
        sms.append(GsmModem(n.modem, os.environ))
    email: Notifier = SmtpEmail(n.email) if n.email is not None else FolderOutbox(folder, "email", tz)
    transports = sms or [FolderOutbox(folder, "sms", tz)]
    return {t.name: t for t in [*transports, email]}


class AlarmService:
    """See module docstring."""

    def __init__(
        self,
        cfg: PlantConfig | LiveConfig,
        bus: Bus,
        clock: Clock,
        *,
        store: AlarmStore | None = None,
        owns_store: bool = False,
        link_maker: LinkMaker | None = None,
        channels: dict[str, Notifier] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self.live = as_live(cfg)
        cfg = self.live.current  # for what is read once at start (see config.live)
        self.bus, self.clock, self.tick_s = bus, clock, tick_s
        self.store: AlarmStore = store or SqliteAlarmStore(cfg.data_path("alarms.db"))
        self._own_store = store is None or owns_store
        self.channels = channels if channels is not None else build_channels(cfg)
        self.engine = AlarmEngine(cfg, bus, clock, self.store)
        self.operations = AlarmOperations(self.engine)
        site = Site.of(cfg)
        self.rota = RotaInForce(self.live)
        self.outbox = Outbox(
            self.store, bus, clock, self.channels, cfg.notifiers, self.rota.contact, cfg.site.id
        )
        public = cfg.hmi.public_url.rstrip("/")
        self.dispatcher = Dispatcher(
            self.engine, self.outbox, site, link_maker or PlainLinkMaker(public), f"{public}/alarms"
        )
        self.escalator = Escalator(self.engine, self.dispatcher, self.rota)
        self.watchdog = Watchdog(self.engine, self.outbox, self.on_call_now)
        self.engine.listeners.append(self.escalator.on_transition)
        self.outbox.on_failure.append(self._delivery_failed)
        self.outbox.on_success.append(self._delivery_ok)
        self._failed_channels: set[str] = set()
        self._sub: Subscription | None = None
        modem = self.channels.get("modem")
        self.modem_watch = (
            ModemWatch(modem, cfg.notifiers.modem, bus, clock)
            if isinstance(modem, GsmModem) and cfg.notifiers.modem is not None
            else None
        )
        if self.modem_watch is not None:
            self.modem_watch.reports = self._delivery_report

    async def __aenter__(self) -> Self:
        self.engine.restore()
        self.escalator.restore()
        self._sub = self.bus.subscribe(
            TagValue, LinkEvent, PlantEvent, SystemEvent, maxsize=50_000, name="alarms"
        )
        await self.outbox.reconcile()
        log.info("alarm service started: %d alarm definitions", len(self.engine.definitions))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._sub is not None:
            self._sub.close()
        for channel in self.channels.values():
            await channel.aclose()
        if self._own_store:
            await asyncio.to_thread(self.store.close)  # the last writes, off the loop

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._consume(), name="alarms-consume")
            tg.create_task(self._ticker(), name="alarms-tick")
            tg.create_task(self.outbox.run(), name="alarms-outbox")
            tg.create_task(self.watchdog.run(), name="alarms-watchdog")
            tg.create_task(self._probe(), name="alarms-probe")
            if self.modem_watch is not None:
                tg.create_task(self.modem_watch.run(), name="alarms-modem")

    def tick(self) -> None:
        self.engine.tick()
        self.escalator.tick()
        self.dispatcher.tick()

    async def _consume(self) -> None:
        assert self._sub is not None  # noqa: S101  (set in __aenter__)
        async for message in self._sub:
            # what is queued now came together (one PLC read): the engine takes it as one batch
            try:
                self.engine.handle_batch([message, *self._sub.drain()])
            except Exception:
                log.exception("alarm engine failed on a batch starting with %r", message)

    async def _ticker(self) -> None:
        while True:
            await self.clock.sleep(self.tick_s)
            try:
                self.tick()
            except Exception:
                # logged, not fatal: a stuck engine is what SUP-HBT (dead-man) is for
                log.exception("alarm tick failed")

    async def _probe(self) -> None:
        """Transports known down are probed every ``notifiers.probe_s`` (the modem by its watch)."""
        while True:
            await self.clock.sleep(self.cfg.notifiers.probe_s)
            for channel in self.channels.values():
                if channel is self.channels.get("modem") or channel.available():
                    continue
                try:
                    await channel.probe()
                except Exception:
                    log.exception("probing %s failed", channel.name)

    @property
    def cfg(self) -> PlantConfig:
        """The configuration in force."""
        return self.live.current

    @property
    def oncall(self) -> OnCall | None:
        """The on-call rota in force (``None`` when the site has none)."""
        return self.rota.oncall

    def on_call_now(self, now: datetime) -> list[Contact]:
        oncall = self.oncall
        if oncall is None:
            return list(self.rota.contacts)
        return [oncall.contact(oncall.at(now).on_call)]

    def _delivery_report(self, report: DeliveryReport) -> None:
        detail = "" if report.delivered else f"TP-Status {report.status}"
        if self.outbox.delivery_report("modem", report.reference, report.delivered, detail) is None:
            log.info("delivery report %d from the modem matches no message sent", report.reference)

    def _delivery_failed(self, item: OutboxItem) -> None:
        self._failed_channels.add(item.channel)
        fr, en = (notdef_detail(item, self.rota.contact(item.contact_id), lang) for lang in ("fr", "en"))
        self.engine.signal("notification_failed", True, fr, en)

    def _delivery_ok(self, item: OutboxItem) -> None:
        if item.channel in self._failed_channels and item.fallback_of is None:
            self._failed_channels.discard(item.channel)
            if not self._failed_channels:
                self.engine.signal("notification_failed", False)


def notdef_detail(item: OutboxItem, contact: Contact | None, lang: str) -> str:
    """What NOT-DEF says of a message given up: by which channel, to whom (by name), why."""
    return text(
        MESSAGES,
        "notdef_detail",
        lang,
        channel=text(MESSAGES, f"channel.{item.channel}", lang),
        contact=contact.name if contact is not None else item.address,
        error=item.error,
    )
