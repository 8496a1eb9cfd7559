"""Interventions: each acknowledged P1/P2 call opens one with its deadline; arrival closes it.

Acknowledgements are seen on the bus (:meth:`InterventionDesk.follow`: an
:class:`AlarmTransition` with the ``acknowledge`` trigger, whatever the channel) and, for
the phone page, opened at once by the acknowledgement itself (the first one counts).

The deadline is ``working_hours.deadline_hours`` working hours after the acknowledgement
(the call is answered then); late days and penalty come from
:mod:`chaufferie.alarms.deadlines`. Arrival (phone page button or HMI) is audited as
``ARRIVAL_ON_SITE``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chaufferie.alarms.deadlines import deadline, lateness
from chaufferie.config.bus import Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmTransition, Context
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
        self, occurrence_id: str, code: str, priority: int, contact_id: str | None
    ) -> InterventionRecord | None:
        """Open it now unless it is open already (the first acknowledgement counts)."""
        if priority not in CALL_OUT_PRIORITIES:
            return None
        now = self._clock.now()
        due = deadline(now, self._cfg.working_hours, self._cfg.site.timezone)
        record = InterventionRecord(occurrence_id, code, priority, now, due, contact_id)
        await asyncio.to_thread(self._store.open_intervention, record)
        return await asyncio.to_thread(self._store.intervention, occurrence_id)

    async def on_transition(self, transition: AlarmTransition) -> None:
        """An acknowledgement from any channel (HMI, link, SMS) opens the intervention."""
        if transition.trigger != ACK_TRIGGER or transition.priority not in CALL_OUT_PRIORITIES:
            return
        username = transition.context.user
        user = None if username is None else await asyncio.to_thread(self._users.get_user, username)
        contact = None if user is None else user.contact_id
        await self.open(transition.occurrence_id, transition.code, transition.priority, contact)

    async def follow(self, sub: Subscription) -> None:
        """Open interventions for the acknowledgements seen on ``sub`` until cancelled."""
        while True:
            message = await sub.get()
            if isinstance(message, AlarmTransition):
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
