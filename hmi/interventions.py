"""Interventions from the HMI: phone calls, milestones, disputes and the contract's indices.

Each action goes to the access layer's desks (:mod:`chaufferie.hmi.access.interventions`,
:mod:`~chaufferie.hmi.access.phone_calls`, :mod:`~chaufferie.hmi.access.contract`), which
check the role, store and audit; the answer is an :class:`Outcome` with a bilingual message
from :mod:`chaufferie.hmi.access.texts`.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from chaufferie.config.vocabulary import Context
from chaufferie.historian.intervention_store import InterventionRecord, Milestone
from chaufferie.hmi.access.contract import ContractDesk
from chaufferie.hmi.access.interventions import DeskAnswer, InterventionDesk
from chaufferie.hmi.access.phone_calls import PhoneCalls
from chaufferie.hmi.access.texts import both
from chaufferie.hmi.records import Outcome

RECORDED = "enregistré / recorded"


def _outcome(answer: DeskAnswer, done: str = RECORDED) -> Outcome:
    if answer.refusal is not None:
        return Outcome(False, both(f"iv.{answer.refusal.value}", detail=answer.detail))
    return Outcome(True, done)


class HmiInterventions:
    """What the logbook page asks of interventions (audited by the desks)."""

    def __init__(self, desk: InterventionDesk) -> None:
        self._desk = desk
        self._calls = PhoneCalls(desk)
        self._contract = ContractDesk(desk)

    async def arrive(self, occurrence_id: str, context: Context) -> Outcome:
        return await self.milestone(occurrence_id, Milestone.ARRIVED, context)

    async def milestone(
        self, occurrence_id: str, milestone: Milestone, context: Context, at: datetime | None = None
    ) -> Outcome:
        """Arrival on site, making safe or end of repair, now or earlier today."""
        answer = await self._desk.milestone(occurrence_id, milestone, context, at)
        record = answer.record
        if answer.refusal is None and record is not None and record.late_days:
            return Outcome(True, f"{RECORDED} — {record.late_days} j de retard / days late")
        return _outcome(answer)

    async def record_call(
        self,
        context: Context,
        *,
        caller: str,
        callee: str,
        reason: str,
        occurrence_id: str | None = None,
        at: datetime | None = None,
    ) -> Outcome:
        """A phone call: opens the intervention (origin phone) or joins the open one."""
        answer = await self._calls.record(
            context, caller=caller, callee=callee, reason=reason, occurrence_id=occurrence_id, at=at
        )
        return _outcome(answer)

    async def dispute(self, occurrence_id: str, context: Context, reason: str) -> Outcome:
        return _outcome(await self._contract.dispute(occurrence_id, context, reason))

    async def decide(self, occurrence_id: str, context: Context, accept: bool, note: str) -> Outcome:
        return _outcome(await self._contract.decide(occurrence_id, context, accept, note))

    async def enter_indices(
        self, context: Context, effective: date, bt40: float, ppei: float, tch: float
    ) -> Outcome:
        answer = await self._contract.enter_indices(context, effective, bt40, ppei, tch)
        return _outcome(answer, f"{RECORDED} — indice / index {answer.detail}")

    async def all_interventions(self) -> list[InterventionRecord]:
        """Every intervention, oldest first."""
        return await asyncio.to_thread(self._desk.store.list_interventions)

    async def open_interventions(self) -> list[InterventionRecord]:
        """Interventions not yet repaired, oldest first (for the page's choices)."""
        records = await asyncio.to_thread(self._desk.store.list_interventions)
        return [r for r in records if r.mark(Milestone.REPAIRED) is None]
