"""The GSM modem watched: its health as points and an alarm, the SMS it receives handed on.

Every ``modem.poll_s`` the watch asks the modem (:meth:`GsmModem.health`, which reconnects a
modem that was lost) and publishes what it says as the ``system`` points ``modem.connected``,
``modem.registration`` (3GPP ``+CREG`` codes), ``modem.signal`` (%), ``modem.sim`` and
``modem.since_sent_h``; a modem that does not answer makes them Bad. NOT-GSM (signal
``modem_down``) is raised while the modem is lost, not registered, its SIM not ready or its
signal below ``modem.min_signal_percent``, with the reason in French and English, and cleared
when it is usable again. The messages it received go to the ``replies`` handler (the SMS reply
judge, given by the composition root); each is deleted from the modem only once handled.
The network's delivery reports go to ``reports`` (the outbox records the message DELIVERED).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from chaufferie.alarms.modem import DeliveryReport, GsmModem, IncomingSms, ModemHealth
from chaufferie.config.alarming import ModemSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import Quality, Scalar, SystemEvent, TagValue
from chaufferie.config.words import state_word

log = logging.getLogger(__name__)
Replies = Callable[[str, str, str], Awaitable[None]]
"""``(sender, text, reference)``: what the SMS reply judge takes."""

REGISTRATION = {"none": 0, "home": 1, "searching": 2, "denied": 3, "unknown": 4, "roaming": 5}
SIM = {"ready": 0, "pin": 1, "puk": 2, "absent": 3, "unknown": 4}
SIGNAL = "modem_down"


def down_reason(health: ModemHealth, min_signal: int) -> tuple[str, str] | None:
    """Why the modem cannot carry SMS now, in French and English; ``None`` when it can."""
    if not health.connected:
        return (
            f"modem injoignable : {health.error or 'pas de réponse'}",
            f"modem unreachable: {health.error or 'no answer'}",
        )
    if health.sim != "ready":
        sim = (state_word(health.sim, "fr"), state_word(health.sim, "en"))
        return f"carte SIM non prête ({sim[0]})", f"SIM card not ready ({sim[1]})"
    if not health.registered:
        reg = (state_word(health.registration, "fr"), state_word(health.registration, "en"))
        return (
            f"modem non inscrit au réseau ({reg[0]})",
            f"modem not registered on the network ({reg[1]})",
        )
    if health.signal_percent is not None and health.signal_percent < min_signal:
        pct = health.signal_percent
        return (
            f"signal GSM faible : {pct} % (seuil {min_signal} %)",
            f"weak GSM signal: {pct} % (threshold {min_signal} %)",
        )
    return None


class ModemWatch:
    """See module docstring."""

    def __init__(self, modem: GsmModem, settings: ModemSettings, bus: Bus, clock: Clock) -> None:
        self.modem, self.settings, self.bus, self.clock = modem, settings, bus, clock
        self.replies: Replies | None = None
        self.reports: Callable[[DeliveryReport], None] | None = None
        self.health: ModemHealth | None = None
        self._down: tuple[str, str] | None = None
        self._published_once = False
        self.polls = 0

    async def start(self) -> None:
        """First contact: a modem that is missing or not a modem is said clearly, never fatal."""
        try:
            await self.modem.connect()
        except Exception as e:  # the modem's fault must not stop the alarm service
            log.error("GSM modem %s unusable at start: %s", self.settings.device, e)

    async def run(self) -> None:
        """Connect (Gammu takes seconds: nothing else waits for it), then poll until cancelled."""
        await self.start()
        while True:
            await self.poll()
            await self.clock.sleep(self.settings.poll_s)

    async def poll(self) -> ModemHealth:
        """One look at the modem: health published, NOT-GSM decided, received SMS handed on."""
        health = await self.modem.health()
        self.health = health

        self._publish(health)
        self._judge(health)
        if health.connected:
            try:
                await self.modem.receive(self._received, self._report)
            except Exception:
                log.exception("reading the SMS received by the modem failed")
        self.polls += 1
        return health

    async def _received(self, sms: IncomingSms) -> None:
        if self.replies is None:  # no judge wired: the message stays on the SIM for one
            raise RuntimeError(f"no SMS reply judge: message from {sms.sender} left on the modem")
        log.info("SMS received by the modem from %s", sms.sender)
        await self.replies(sms.sender, sms.text, sms.reference)

    async def _report(self, report: DeliveryReport) -> None:
        if self.reports is not None:
            self.reports(report)

    def _publish(self, health: ModemHealth) -> None:
        now = self.clock.now()
        good = health.connected
        since: float | None = None
        if health.last_sent is not None:
            since = round((now - health.last_sent).total_seconds() / 3600, 2)
        values: dict[str, Scalar] = {
            "modem.connected": health.connected,
            "modem.registration": REGISTRATION.get(health.registration, REGISTRATION["unknown"]),
            "modem.signal": health.signal_percent,
            "modem.sim": SIM.get(health.sim, SIM["unknown"]),
            "modem.since_sent_h": since,
        }
        for point, value in values.items():
            ok = (good or point == "modem.connected") and value is not None
            self.bus.publish(TagValue(point, value, Quality.GOOD if ok else Quality.BAD, now, now))

    def _judge(self, health: ModemHealth) -> None:
        reason = down_reason(health, self.settings.min_signal_percent)
        if reason == self._down and self._published_once:
            return
        self._published_once = True
        self._down = reason
        now = self.clock.now()
        if reason is None:
            log.info("GSM modem usable")
            self.bus.publish(SystemEvent(SIGNAL, False, now))
        else:
            log.warning("GSM modem down: %s", reason[1])
            self.bus.publish(SystemEvent(SIGNAL, True, now, reason[0], reason[1]))
