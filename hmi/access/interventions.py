"""Interventions: each acknowledged P1/P2 call opens one with its deadline; arrival closes it.

The deadline is ``working_hours.deadline_hours`` working hours after the acknowledgement
(the call is answered then); late days and penalty come from
:mod:`chaufferie.alarms.deadlines`. Arrival (phone page button or HMI) is audited as
``ARRIVAL_ON_SITE``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chaufferie.alarms.deadlines import deadline, lateness
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context
from chaufferie.historian.access_store import InterventionRecord
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.ports import InterventionStore, OccurrenceView

CALL_OUT_PRIORITIES = frozenset({1, 2})


class InterventionDesk:
    def __init__(self, cfg: PlantConfig, store: InterventionStore, clock: Clock, audit: Audit) -> None:
        self._cfg = cfg
        self._store = store
        self._clock = clock
        self._audit = audit

    async def open_for(self, occ: OccurrenceView, contact_id: str | None) -> InterventionRecord | None:
        """Open the intervention of an acknowledged P1/P2 occurrence (once)."""
        if occ.priority not in CALL_OUT_PRIORITIES:
            return None
        now = self._clock.now()
        due = deadline(now, self._cfg.working_hours, self._cfg.site.timezone)
        record = InterventionRecord(occ.occurrence_id, occ.code, occ.priority, now, due, contact_id)
        await asyncio.to_thread(self._store.open_intervention, record)
        return await asyncio.to_thread(self._store.intervention, occ.occurrence_id)

    async def arrive(self, occurrence_id: str, context: Context) -> InterventionRecord | None:
        """Record arrival on site now; None if there is no open intervention for it."""
        record = await asyncio.to_thread(self._store.intervention, occurrence_id)
        if record is None or record.arrival is not None:
            self._audit.record(
                ActionKind.ARRIVAL_ON_SITE, context, occurrence_id, ActionResult.REFUSED,
                reason="no_open_intervention" if record is None else "already_recorded",
            )
            return record
        now = self._clock.now()
        late = lateness(record.deadline, now, self._cfg.working_hours)
        done = replace(record, arrival=now, late_days=late.late_days, penalty_eur=late.penalty_eur)
        await asyncio.to_thread(self._store.record_arrival, done)
        self._audit.record(
            ActionKind.ARRIVAL_ON_SITE, context, occurrence_id,
            deadline=record.deadline.isoformat(), late_days=late.late_days, penalty_eur=late.penalty_eur,
        )
        return done
