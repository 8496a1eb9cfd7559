"""From "tell this person about this alarm" to outbox messages, grouped per recipient.

A burst or a flood must not become fifty SMS, and an urgent alarm must not wait. An oil
start (FIO-REL, FIO-APP) always goes at once on its own: it must say relève or appoint. For each
(contact, channel), a P1 alarm goes at once while fewer than ``group_burst`` messages went in
the last ``group_window_s``; a P2/P3 alarm goes at once only when nothing went in that window.
The rest is held and sent together as one summary when the window since the last message ends.
During a flood (as the engine reports it) nothing goes at once and the window is
``flood_window_s / 2``. Requests whose alarm was acknowledged meanwhile are dropped. The
idempotency key of a single message is ``occurrence/step/contact/channel``; a summary's key
is derived from the keys it gathers, so composing it twice queues it once.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.links import LinkMaker
from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.store import OutboxItem
from chaufferie.alarms.templates import Site, render_alarm, render_digest
from chaufferie.config.alarming import Contact


@dataclass(frozen=True)
class Request:
    occ: Occurrence
    step: int
    contact: Contact
    channel: str

    @property
    def key(self) -> str:
        return f"{self.occ.id}/{self.step}/{self.contact.id}/{self.channel}"


@dataclass
class _Slot:
    sent: deque[float] = field(default_factory=deque)
    pending: list[Request] = field(default_factory=list)

    def recent(self, now: float, window: float) -> int:
        """Messages sent within ``window`` before ``now``."""
        while self.sent and now - self.sent[0] >= window:
            self.sent.popleft()
        return len(self.sent)


def address_of(contact: Contact, channel: str) -> str | None:
    return contact.phone if channel == "sms" else contact.email


class Dispatcher:
    """Per-recipient grouping in front of the outbox (see module docstring)."""

    def __init__(
        self,
        engine: AlarmEngine,
        outbox: Outbox,
        site: Site,
        link_maker: LinkMaker,
        alarm_list_url: str,
    ) -> None:
        self.engine, self.outbox, self.site = engine, outbox, site
        self.link_maker, self.alarm_list_url = link_maker, alarm_list_url
        n = engine.cfg.notifiers
        self.group_window_s = n.group_window_s
        self.group_burst = n.group_burst
        self.flood_window_s = max(n.group_window_s, n.flood_window_s / 2)
        self._slots: dict[tuple[str, str], _Slot] = {}

    def window_s(self) -> float:
        return self.flood_window_s if self.engine.flood.active else self.group_window_s

    def request(self, req: Request) -> None:
        if address_of(req.contact, req.channel) is None:
            return
        slot = self._slots.setdefault((req.contact.id, req.channel), _Slot())
        now = self.engine.clock.monotonic()
        if self._at_once(req, slot, now):
            self._send([req])
            slot.sent.append(now)
        elif all(p.key != req.key for p in slot.pending):
            slot.pending.append(req)

    def _at_once(self, req: Request, slot: _Slot, now: float) -> bool:
        """Whether ``req`` goes now, alone (see module docstring)."""
        if req.occ.oil_role is not None:
            return True  # every oil start gets its own message saying relève or appoint (the tender)
        if self.engine.flood.active:
            return False
        recent = slot.recent(now, self.window_s())
        if req.occ.priority == 1:
            return recent < self.group_burst
        return not slot.pending and recent == 0

    def tick(self) -> None:
        now = self.engine.clock.monotonic()
        window = self.window_s()
        for slot in self._slots.values():
            if not slot.pending or (slot.sent and now - slot.sent[-1] < window):
                continue
            live = [r for r in slot.pending if not r.occ.acked and r.occ.annunciated]
            slot.pending = []
            if live:
                self._send(live)
                slot.sent.append(now)

    def held(self) -> int:
        return sum(len(s.pending) for s in self._slots.values())

    def _send(self, reqs: list[Request]) -> None:
        first = reqs[0]
        contact, channel = first.contact, first.channel
        lang = contact.language.value
        defs = self.engine.definitions
        if len(reqs) == 1:
            link = self.link_maker(first.occ.id, contact.id)
            reply = self.link_maker.reply_code(first.occ.id)
            alarm = defs[first.occ.code]
            rendered = render_alarm(self.site, first.occ, alarm, lang, link, first.step, reply)
            key, occ_id, code = first.key, first.occ.id, first.occ.code
            priority = first.occ.priority
        else:
            unique = list({r.occ.id: r for r in reqs}.values())
            minutes = max(1, round(self.window_s() / 60))
            rendered = render_digest(
                self.site, [(r.occ, defs[r.occ.code]) for r in unique], lang, self.alarm_list_url, minutes
            )
            digest = hashlib.sha256("|".join(sorted(r.key for r in reqs)).encode()).hexdigest()[:16]
            key, occ_id, code = f"digest/{digest}/{contact.id}/{channel}", None, None
            priority = min(r.occ.priority for r in reqs)
        address = address_of(contact, channel)
        assert address is not None  # noqa: S101  (checked in request)
        self.outbox.enqueue(
            OutboxItem(
                key=key,
                channel=channel,
                contact_id=contact.id,
                address=address,
                subject=rendered.subject,
                text=rendered.sms if channel == "sms" else rendered.text,
                html=rendered.html if channel == "email" else "",
                occurrence_id=occ_id,
                code=code,
                shown=rendered.sms_shown if channel == "sms" else "",
                priority=priority,
            )
        )
        for r in reqs:
            if r.step not in r.occ.notified_steps or contact.id not in r.occ.recipients:
                if r.step not in r.occ.notified_steps:
                    r.occ.notified_steps.append(r.step)
                if contact.id not in r.occ.recipients:
                    r.occ.recipients.append(contact.id)
                self.engine.store.save(r.occ)
