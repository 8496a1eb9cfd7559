"""Phone calls recorded by the agent: who called whom, when, why, about which alarm.

The tender's call-out starts "sur simple appel téléphonique émanant du Client" (§3.5): a call
the agent records (role :data:`~chaufferie.alarms.contract.CALL_ROLE`, time now or earlier
today) opens an intervention with origin ``phone`` and its deadline from the call's time,
or, when the alarm's intervention is already open, is added to it without changing its
opening. A call about no alarm gets an intervention of its own, ``call-<uuid>``, with no
code and no priority. Each call is a row of ``intervention_calls`` and an audited
``PHONE_CALL``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from chaufferie.alarms.contract import CALL_ROLE
from chaufferie.config.vocabulary import ActionKind, Context
from chaufferie.historian.intervention_store import InterventionRecord, PhoneCall
from chaufferie.hmi.access.interventions import DeskAnswer, InterventionDesk, Refusal

NAME_MAX = 128
REASON_MAX = 2000


class PhoneCalls:
    """Record a phone call on the intervention it concerns (opening it when needed)."""

    def __init__(self, desk: InterventionDesk) -> None:
        self._desk = desk

    async def record(
        self,
        context: Context,
        *,
        caller: str,
        callee: str,
        reason: str,
        occurrence_id: str | None = None,
        at: datetime | None = None,
    ) -> DeskAnswer:
        """Record the call (``at`` default now); the intervention it opened or joined."""
        desk, kind = self._desk, ActionKind.PHONE_CALL
        target = occurrence_id or ""
        when, refusal = await desk.check(context, CALL_ROLE, at)
        caller, callee, reason = caller.strip(), callee.strip(), reason.strip()
        if refusal is None and not (caller and callee and reason):
            refusal = Refusal.MISSING
        if refusal is None and (max(len(caller), len(callee)) > NAME_MAX or len(reason) > REASON_MAX):
            refusal = Refusal.TOO_LONG
        record = None
        if refusal is None:
            record, refusal = await self._intervention(occurrence_id, callee, when)
        if refusal is not None or record is None:
            return desk.refuse(kind, context, target, refusal or Refusal.UNKNOWN_ALARM)
        call = PhoneCall(
            f"tel-{uuid.uuid4().hex}",
            record.occurrence_id,
            when,
            caller,
            callee,
            reason,
            context.user,
            context.channel.value,
            desk.clock.now(),
        )
        await asyncio.to_thread(desk.store.add_call, call)
        opened = record.origin == "phone" and record.opened_at == when
        desk.audit.record(
            kind,
            context,
            record.occurrence_id,
            at=when.isoformat(),
            caller=caller,
            callee=callee,
            opened=opened,
        )
        return DeskAnswer(record)

    async def _intervention(
        self, occurrence_id: str | None, callee: str, at: datetime
    ) -> tuple[InterventionRecord | None, Refusal | None]:
        """The intervention the call joins (already open) or opens (origin ``phone``)."""
        desk = self._desk
        contact = self._contact(callee)
        if occurrence_id is None:
            opened = await desk.open(f"call-{uuid.uuid4().hex}", None, None, contact, origin="phone", at=at)
            return opened, None
        existing = await asyncio.to_thread(desk.store.intervention, occurrence_id)
        if existing is not None:
            return existing, None
        occ = None if desk.lookup is None else desk.lookup.occurrence(occurrence_id)
        if occ is None:
            return None, Refusal.UNKNOWN_ALARM
        opened = await desk.open(occurrence_id, occ.code, occ.priority, contact, origin="phone", at=at)
        return opened, None

    def _contact(self, callee: str) -> str | None:
        """The address book's contact the call reached, by id or by name (None: someone else)."""
        wanted = callee.casefold()
        for c in self._desk.cfg.contacts:
            if wanted in (c.id.casefold(), c.name.casefold()):
                return c.id
        return None
