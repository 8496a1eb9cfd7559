"""The contract's side of interventions: the commune's index entries and the disputed call.

* **Indices** (§3.11): at each anniversary the commune (role
  :data:`~chaufferie.alarms.contract.DECISION_ROLE`) enters the current BT40, PPEI and TCH
  with the date they take effect; each must be above zero and finite (the configuration's
  :class:`~chaufferie.config.alarming.ContractIndices` decides), otherwise nothing is
  stored. Entries need the base indices of the configuration (``contract.base_indices``).
* **Dispute** (§3.5): the contractor (:data:`~chaufferie.alarms.contract.DISPUTE_ROLE`) marks
  a call « injustifiée » with a reason; the commune accepts or rejects it with a note, never
  the person who disputed it. The transitions are
  :data:`~chaufferie.alarms.contract.DISPUTE_TRANSITIONS`; an accepted dispute waives the
  penalty (stored again when the technician has arrived) and makes the call billable.

Every change, accepted or refused, is an audited ``OperatorAction``.
"""

from __future__ import annotations

import asyncio
from datetime import date

from pydantic import ValidationError

from chaufferie.alarms.contract import (
    DECISION_ROLE,
    DISPUTE_ROLE,
    DisputeStep,
    IndexEntry,
    next_dispute_state,
    revision_index,
)
from chaufferie.config.alarming import ContractIndices
from chaufferie.config.vocabulary import ActionKind, Context
from chaufferie.hmi.access.interventions import DeskAnswer, InterventionDesk, Refusal

STEP_ACTIONS = {
    DisputeStep.DISPUTE: ActionKind.CALL_DISPUTED,
    DisputeStep.ACCEPT: ActionKind.DISPUTE_ACCEPTED,
    DisputeStep.REJECT: ActionKind.DISPUTE_REJECTED,
}
TEXT_MAX = 2000


class ContractDesk:
    """Enter the contract's indices; dispute a call and decide on the dispute."""

    def __init__(self, desk: InterventionDesk) -> None:
        self._desk = desk

    async def enter_indices(
        self, context: Context, effective: date, bt40: float, ppei: float, tch: float
    ) -> DeskAnswer:
        """Store the current indices from ``effective``; ``detail`` is the resulting index."""
        desk, kind = self._desk, ActionKind.CONTRACT_INDICES
        target = effective.isoformat()
        _, refusal = await desk.check(context, DECISION_ROLE)
        base = desk.cfg.contract.base_indices
        if refusal is None and base is None:
            refusal = Refusal.NO_BASE
        if refusal is not None or base is None:
            return desk.refuse(kind, context, target, refusal or Refusal.NO_BASE)
        try:
            values = ContractIndices(bt40=bt40, ppei=ppei, tch=tch)
        except ValidationError as exc:
            wrong = ", ".join(f"{e['loc'][0]}={e['input']!r}" for e in exc.errors())
            answer = desk.refuse(kind, context, target, Refusal.BAD_INDEX)
            return DeskAnswer(refusal=answer.refusal, detail=wrong)
        entry = IndexEntry(effective, values, context.user or "", desk.clock.now())
        await asyncio.to_thread(desk.store.add_indices, entry)
        index = revision_index(base, values)
        desk.audit.record(kind, context, target, bt40=bt40, ppei=ppei, tch=tch, index=round(index, 6))
        return DeskAnswer(detail=f"{index:.4f}")

    async def dispute(self, occurrence_id: str, context: Context, reason: str) -> DeskAnswer:
        """The contractor marks the call unjustified (« injustifiée »); ``reason`` is required."""
        return await self._step(occurrence_id, context, DisputeStep.DISPUTE, reason)

    async def decide(self, occurrence_id: str, context: Context, accept: bool, note: str) -> DeskAnswer:
        """The commune accepts (penalty waived, call billable) or rejects (penalty kept) it."""
        step = DisputeStep.ACCEPT if accept else DisputeStep.REJECT
        return await self._step(occurrence_id, context, step, note)

    async def _step(self, occurrence_id: str, context: Context, step: DisputeStep, text: str) -> DeskAnswer:
        desk, kind = self._desk, STEP_ACTIONS[step]
        role = DISPUTE_ROLE if step is DisputeStep.DISPUTE else DECISION_ROLE
        now, refusal = await desk.check(context, role)
        text = text.strip()
        record = await asyncio.to_thread(desk.store.intervention, occurrence_id)
        state = None if record is None else next_dispute_state(record.dispute, step)
        if refusal is None and not text:
            refusal = Refusal.REASON_REQUIRED
        elif refusal is None and len(text) > TEXT_MAX:
            refusal = Refusal.TOO_LONG
        elif refusal is None and record is None:
            refusal = Refusal.NO_INTERVENTION
        elif refusal is None and state is None:
            refusal = Refusal.DISPUTE_STATE
        elif refusal is None and record is not None and step is not DisputeStep.DISPUTE:
            refusal = Refusal.OWN_DISPUTE if record.disputed_by == context.user else None
        if refusal is not None or record is None or state is None:
            return desk.refuse(kind, context, occurrence_id, refusal or Refusal.DISPUTE_STATE)
        if step is DisputeStep.DISPUTE:
            values = {"dispute_reason": text, "disputed_by": context.user, "disputed_at": now}
        else:
            values = {"dispute_note": text, "decided_by": context.user, "decided_at": now}
        if not await asyncio.to_thread(
            desk.store.record_dispute, occurrence_id, record.dispute, {"dispute": state.value, **values}
        ):
            return desk.refuse(kind, context, occurrence_id, Refusal.DISPUTE_STATE)
        decided = await asyncio.to_thread(desk.store.intervention, occurrence_id)
        if decided is None:
            return desk.refuse(kind, context, occurrence_id, Refusal.NO_INTERVENTION)
        late = await desk.assess(decided)
        if decided.arrival is not None and step is not DisputeStep.DISPUTE:
            await asyncio.to_thread(
                desk.store.record_penalty, occurrence_id, late.late_days, late.penalty_eur
            )
            decided = await asyncio.to_thread(desk.store.intervention, occurrence_id)
        desk.audit.record(kind, context, occurrence_id, text=text, penalty_eur=late.penalty_eur)
        return DeskAnswer(decided)
