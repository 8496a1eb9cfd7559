"""Adapts the alarms service (:class:`~chaufferie.alarms.operations.AlarmOperations`) to
the :class:`~.ports.AlarmActions` and :class:`~.ports.AlarmLookup` seams of this package.

The alarms service audits the acknowledgement and its comment itself (with our context:
user, channel, address); a refusal in its state machine becomes ``False`` here.

``recipients`` says who may answer an occurrence by SMS: by default
:func:`alarm_recipients` — the contacts its notifications were addressed to (the alarms'
outbox) plus whoever the rota in force puts on duty now (on call, second, manager).

:class:`OutboxSms` sends the confirmation of an SMS acknowledgement through the alarms'
outbox (persisted, retried, recorded as a notification), keyed by the acknowledgement's
context so a confirmation goes once. Both read the contacts and the rota in force
(:class:`~chaufferie.alarms.rota.RotaInForce`), never a copy taken at start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chaufferie.alarms.errors import AlarmError
from chaufferie.alarms.operations import AlarmOperations, AlarmView
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.rota import RotaInForce
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.live import as_live
from chaufferie.config.vocabulary import Channel, Context
from chaufferie.hmi.access.ports import OccurrenceView

Recipients = Callable[[str], Iterable[str]]


def alarm_recipients(ops: AlarmOperations, rota: RotaInForce | None = None) -> Recipients:
    """Contacts reached for an occurrence (outbox) and those on duty now (``rota``: the alarm
    service's; without it, the engine's configuration, fixed)."""
    engine = ops.engine
    in_force = rota or RotaInForce(as_live(engine.cfg))

    def recipients(occurrence_id: str) -> tuple[str, ...]:
        reached = [i.contact_id for i in engine.store.outbox() if i.occurrence_id == occurrence_id]
        oncall = in_force.oncall
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


_CAME_BY = {Channel.SMS_MODEM: "modem", Channel.SMS_REPLY: "twilio"}
"""The transport that answers an SMS reply: the one it came in by."""


class OutboxSms:
    """``SmsSender`` through the alarms' notification outbox (channel ``sms``): an answer to a
    reply goes back by the transport the reply came in by, when the site has it."""

    def __init__(self, outbox: Outbox, rota: RotaInForce) -> None:
        self._outbox = outbox
        self._rota = rota

    async def send_sms(self, to: str, body: str, context: Context) -> None:
        key = f"ack-reply/{context.parent_id or context.id}"
        contact = next((c.id for c in self._rota.contacts if c.phone and c.phone == to), "?")
        came_by = _CAME_BY.get(context.channel, "")
        route = [came_by] if came_by in self._outbox.channels else []
        item = OutboxItem(
            key=key, channel="sms", contact_id=contact, address=to, subject="", text=body, route=route
        )
        self._outbox.enqueue(item)
