"""Adapts the alarms service (:class:`~chaufferie.alarms.operations.AlarmOperations`) to
the :class:`~.ports.AlarmActions` and :class:`~.ports.AlarmLookup` seams of this package.

The alarms service audits the acknowledgement and its comment itself (with our context:
user, channel, address); a refusal in its state machine becomes ``False`` here.

``recipients`` says who may answer an occurrence by SMS: by default
:func:`alarm_recipients` — the contacts its notifications were addressed to (the alarms'
outbox) plus whoever the rota puts on duty now (on call, second, manager).

:class:`OutboxSms` sends the confirmation of an SMS acknowledgement through the alarms'
outbox (persisted, retried, recorded as a notification), keyed by the acknowledgement's
context so a confirmation goes once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from chaufferie.alarms.errors import AlarmError
from chaufferie.alarms.operations import AlarmOperations, AlarmView
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.rota import OnCall
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.alarming import Contact
from chaufferie.config.vocabulary import Context
from chaufferie.hmi.access.ports import OccurrenceView

Recipients = Callable[[str], Iterable[str]]


def alarm_recipients(ops: AlarmOperations) -> Recipients:
    """Contacts reached for an occurrence (outbox) and those on duty now (rota)."""
    engine = ops.engine
    cfg = engine.cfg
    oncall = OnCall(cfg.rota, cfg.contacts, ZoneInfo(cfg.site.timezone)) if cfg.rota is not None else None

    def recipients(occurrence_id: str) -> tuple[str, ...]:
        reached = [i.contact_id for i in engine.store.outbox() if i.occurrence_id == occurrence_id]
        if oncall is not None:
            duty = oncall.at(engine.clock.now())
            reached += [duty.on_call, *([duty.second] if duty.second else []), duty.manager]
        return tuple(dict.fromkeys(reached))

    return recipients


class OperationsAccess:
    """``AlarmActions`` + ``AlarmLookup`` over the real alarms service."""

    def __init__(self, ops: AlarmOperations, recipients: Recipients | None = None) -> None:
        self._ops = ops
        self._recipients = recipients or alarm_recipients(ops)

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> bool:
        try:
            await self._ops.acknowledge(occurrence_id, context, comment)
        except AlarmError:
            return False
        return True

    def occurrence(self, occurrence_id: str) -> OccurrenceView | None:
        try:
            return self._view(self._ops.detail(occurrence_id))
        except AlarmError:
            return None

    def open_occurrences(self) -> list[OccurrenceView]:
        return [self._view(v) for v in self._ops.active()]

    def _view(self, v: AlarmView) -> OccurrenceView:
        return OccurrenceView(
            v.occurrence_id,
            v.code,
            v.priority,
            v.state,
            v.active,
            v.raised_at,
            tuple(self._recipients(v.occurrence_id)),
            v.acked_by,
            v.acked_at,
            tuple((c.time, c.user or "?", c.text) for c in v.comments),
        )


class OutboxSms:
    """``SmsSender`` through the alarms' notification outbox (channel ``sms``)."""

    def __init__(self, outbox: Outbox, contacts: Iterable[Contact]) -> None:
        self._outbox = outbox
        self._by_phone = {c.phone: c.id for c in contacts if c.phone}

    async def send_sms(self, to: str, body: str, context: Context) -> None:
        key = f"ack-reply/{context.parent_id or context.id}"
        item = OutboxItem(
            key=key, channel="sms", contact_id=self._by_phone.get(to, "?"), address=to, subject="", text=body
        )
        self._outbox.enqueue(item)
