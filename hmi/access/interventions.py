"""Interventions: opened by the call, with its deadline; acknowledgement and arrival are milestones.

As the tender says ("sur simple appel téléphonique ... ou de la centrale interne du module de
production"), a P1/P2 call-out starts at the plant's own call: the first notification of the
occurrence delivered to someone (a :class:`NotificationRecord` SENT, seen on the bus; origin
``call``), so a call nobody answers still has its clock running and its deadline. An
acknowledgement (an :class:`AlarmTransition` with the ``acknowledge`` trigger, any channel, or
the phone page at once) is recorded on it with who, when and the channel; it opens the
intervention itself only when no call was placed (origin ``ack``: acknowledged on the HMI
before any message went).

The deadline is ``working_hours.deadline_hours`` working hours (*jours ouvrables*) after the
opening; late days and penalty come from :mod:`chaufferie.alarms.deadlines`. Arrival (phone
page button or HMI) is audited as ``ARRIVAL_ON_SITE``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from chaufferie.alarms.deadlines import deadline, lateness
from chaufferie.config.bus import Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    AlarmTransition,
    Context,
    NotificationRecord,
    NotificationStatus,
)
from chaufferie.historian.access_store import InterventionRecord
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.ports import InterventionStore, OccurrenceView, UserStore

CALL_OUT_PRIORITIES = frozenset({1, 2})
ACK_TRIGGER = "acknowledge"  # the alarms machine's trigger name


class InterventionDesk:
    def __init__(
        self, cfg: PlantConfig, store: InterventionStore, users: UserStore, clock: Clock, audit: Audit
    ) -> None:
        self._cfg = cfg
        self._store = store
        self._users = users
        self._clock = clock
        self._audit = audit

    async def open_for(self, occ: OccurrenceView, contact_id: str | None) -> InterventionRecord | None:
        """Open the intervention of an acknowledged P1/P2 occurrence (once)."""
        return await self.open(occ.occurrence_id, occ.code, occ.priority, contact_id)

    async def open(
        self,
        occurrence_id: str,
        code: str,
        priority: int,
        contact_id: str | None,
        *,
        origin: str = "ack",
        at: datetime | None = None,
    ) -> InterventionRecord | None:
        """Open it (at ``at``, default now) unless it is open already (the first event counts)."""
        if priority not in CALL_OUT_PRIORITIES:
            return None
        opened = at or self._clock.now()
        due = deadline(opened, self._cfg.working_hours, self._cfg.site.timezone)
        record = InterventionRecord(occurrence_id, code, priority, opened, due, contact_id, origin=origin)
        await asyncio.to_thread(self._store.open_intervention, record)
        return await asyncio.to_thread(self._store.intervention, occurrence_id)

    async def on_call(self, notification: NotificationRecord) -> None:
        """The plant's call: the first message of a P1/P2 occurrence that reached someone."""
        if notification.status is not NotificationStatus.SENT or notification.occurrence_id is None:
            return
        try:
            alarm = self._cfg.alarm(notification.code or "")
        except KeyError:
            return
        await self.open(
            notification.occurrence_id,
            alarm.code,
            alarm.priority,
            notification.recipient,
            origin="call",
            at=notification.time,
        )

    async def on_transition(self, transition: AlarmTransition) -> None:
        """An acknowledgement from any channel (HMI, link, SMS): a milestone of the intervention,
        which it opens when no call was placed."""
        if transition.trigger != ACK_TRIGGER or transition.priority not in CALL_OUT_PRIORITIES:
            return
        username = transition.context.user
        user = None if username is None else await asyncio.to_thread(self._users.get_user, username)
        contact = None if user is None else user.contact_id
        await self.open(transition.occurrence_id, transition.code, transition.priority, contact)
        await asyncio.to_thread(
            self._store.record_acknowledgement,
            transition.occurrence_id,
            transition.time,
            username,
            transition.context.channel.value,
        )

    async def follow(self, sub: Subscription) -> None:
        """Open interventions for the calls and acknowledgements seen on ``sub`` until cancelled."""
        while True:
            message = await sub.get()
            if isinstance(message, NotificationRecord):
                await self.on_call(message)
            elif isinstance(message, AlarmTransition):
                await self.on_transition(message)

    async def arrive(self, occurrence_id: str, context: Context) -> InterventionRecord | None:
        """Record arrival on site now; None, audited as refused, when there is no intervention
        open for it or its arrival is already recorded (the first arrival counts)."""
        record = await asyncio.to_thread(self._store.intervention, occurrence_id)
        if record is None or record.arrival is not None:
            self._audit.record(
                ActionKind.ARRIVAL_ON_SITE,
                context,
                occurrence_id,
                ActionResult.REFUSED,
                reason="no_open_intervention" if record is None else "already_recorded",
            )
            return None
        now = self._clock.now()
        late = lateness(record.deadline, now, self._cfg.working_hours)
        done = replace(record, arrival=now, late_days=late.late_days, penalty_eur=late.penalty_eur)
        await asyncio.to_thread(self._store.record_arrival, done)
        self._audit.record(
            ActionKind.ARRIVAL_ON_SITE,
            context,
            occurrence_id,
            deadline=record.deadline.isoformat(),
            late_days=late.late_days,
            penalty_eur=late.penalty_eur,
        )
        return done
