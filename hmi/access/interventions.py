"""Interventions: opened by the call, with its deadline; milestones; lateness as of an instant.

As the tender says ("sur simple appel téléphonique ... ou de la centrale interne du module de
production"), a call-out (an alarm whose catalogue entry ``calls_out``: P1 and P2 unless it says
otherwise) starts at the plant's own call: the first notification of the
occurrence delivered to someone (a :class:`NotificationRecord` SENT, seen on the bus; origin
``call``), so a call nobody answers still has its clock running and its deadline. An
acknowledgement (an :class:`AlarmTransition` with the ``acknowledge`` trigger, any channel, or
the phone page at once) is recorded on it with who, when and the channel; it opens the
intervention itself only when no call was placed (origin ``ack``: acknowledged on the HMI
before any message went). A phone call recorded by the agent opens one too (origin ``phone``,
:mod:`.phone_calls`).

The deadline is ``working_hours.deadline_hours`` working hours (*jours ouvrables*) after the
opening. The milestones after the acknowledgement — arrival on site, making safe, end of
repair — are recorded once each, with who, when and channel (storage:
:mod:`chaufferie.historian.intervention_store`), from the HMI logbook or the technician's
phone page; each is audited. Late days and penalty (indexed, waived by an accepted dispute)
come from :func:`chaufferie.alarms.contract.assess`, the one rule (also the reports'), stored
for the audit at arrival and at the
dispute's decision, and computed "so far" for a call nobody reached.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from chaufferie.alarms.contract import CALL_ROLE, assess
from chaufferie.alarms.deadlines import Lateness, deadline
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
    Role,
)
from chaufferie.historian.intervention_store import InterventionRecord, Milestone, MilestoneMark
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.ports import AlarmLookup, InterventionStore, OccurrenceView, UserStore

ACK_TRIGGER = "acknowledge"  # the alarms machine's trigger name

MILESTONE_ACTIONS = {
    Milestone.ARRIVED: ActionKind.ARRIVAL_ON_SITE,
    Milestone.MADE_SAFE: ActionKind.MAKING_SAFE,
    Milestone.REPAIRED: ActionKind.END_OF_REPAIR,
}
"""The milestones a person records (the acknowledgement is the alarm's own) and their audit."""


class Refusal(StrEnum):
    """Why an intervention action was refused; the value is the audit reason and the key of
    its bilingual message (``iv.<value>`` in :mod:`.texts`)."""

    ROLE = "role"
    NO_INTERVENTION = "no_open_intervention"
    ALREADY = "already_recorded"
    UNKNOWN_ALARM = "unknown_alarm"
    BAD_TIME = "bad_time"
    MISSING = "missing_text"
    TOO_LONG = "too_long"
    REASON_REQUIRED = "reason_required"
    DISPUTE_STATE = "dispute_state"
    OWN_DISPUTE = "own_dispute"
    NO_BASE = "no_base_indices"
    BAD_INDEX = "bad_index"


@dataclass(frozen=True, slots=True)
class DeskAnswer:
    """The intervention after the action, or why it was refused."""

    record: InterventionRecord | None = None
    refusal: Refusal | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.refusal is None


class InterventionDesk:
    def __init__(
        self,
        cfg: PlantConfig,
        store: InterventionStore,
        users: UserStore,
        clock: Clock,
        audit: Audit,
        lookup: AlarmLookup | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.users = users
        self.clock = clock
        self.audit = audit
        self.lookup = lookup

    async def open_for(self, occ: OccurrenceView, contact_id: str | None) -> InterventionRecord | None:
        """Open the intervention of an acknowledged P1/P2 occurrence (once)."""
        return await self.open(occ.occurrence_id, occ.code, occ.priority, contact_id)

    async def open(
        self,
        occurrence_id: str,
        code: str | None,
        priority: int | None,
        contact_id: str | None,
        *,
        origin: str = "ack",
        at: datetime | None = None,
    ) -> InterventionRecord | None:
        """Open it (at ``at``, default now) unless it is open already (the first event counts).
        The plant's call and the acknowledgement open only a call-out alarm's
        (:attr:`~chaufferie.config.alarming.AlarmDefinition.calls_out`); a phone call opens any."""
        if origin != "phone" and not self.cfg.calls_out(code):
            return None
        opened = at or self.clock.now()
        due = deadline(opened, self.cfg.working_hours, self.cfg.site.timezone)
        record = InterventionRecord(occurrence_id, code, priority, opened, due, contact_id, origin=origin)
        await asyncio.to_thread(self.store.open_intervention, record)
        return await asyncio.to_thread(self.store.intervention, occurrence_id)

    async def on_call(self, notification: NotificationRecord) -> None:
        """The plant's call: the first message of a call-out occurrence that reached someone."""
        if notification.status is not NotificationStatus.SENT or notification.occurrence_id is None:
            return
        try:
            alarm = self.cfg.alarm(notification.code or "")
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
        if transition.trigger != ACK_TRIGGER or not self.cfg.calls_out(transition.code):
            return
        username = transition.context.user
        user = None if username is None else await asyncio.to_thread(self.users.get_user, username)
        contact = None if user is None else user.contact_id
        await self.open(transition.occurrence_id, transition.code, transition.priority, contact)
        await asyncio.to_thread(
            self.store.record_acknowledgement,
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

    # -- lateness ------------------------------------------------------------------------
    async def assess(self, record: InterventionRecord, as_of: datetime | None = None) -> Lateness:
        """Late days and penalty of ``record`` at its arrival or, while nobody has arrived, so
        far at ``as_of`` (default now): :func:`~chaufferie.alarms.contract.assess`."""
        entries = await asyncio.to_thread(self.store.index_entries)
        money = assess(
            record.deadline, record.arrival, record.dispute, as_of or self.clock.now(), entries, self.cfg
        )
        return Lateness(money.late_days > 0, money.late_days, money.penalty_eur)

    # -- milestones ----------------------------------------------------------------------
    async def arrive(self, occurrence_id: str, context: Context) -> InterventionRecord | None:
        """Record arrival on site now (None when refused: see :meth:`milestone`)."""
        return (await self.milestone(occurrence_id, Milestone.ARRIVED, context)).record

    async def milestone(
        self, occurrence_id: str, milestone: Milestone, context: Context, at: datetime | None = None
    ) -> DeskAnswer:
        """Record ``milestone`` (arrival, making safe, end of repair) at ``at`` (default now;
        earlier today allowed), by the context's user; audited, refused when there is no
        intervention for it or the milestone is already recorded (the first one counts).
        Arrival stores the late days and the penalty."""
        kind = MILESTONE_ACTIONS[milestone]
        when, refusal = await self.check(context, CALL_ROLE, at)
        record = await asyncio.to_thread(self.store.intervention, occurrence_id)
        if refusal is None and record is None:
            refusal = Refusal.NO_INTERVENTION
        elif refusal is None and record is not None and record.mark(milestone) is not None:
            refusal = Refusal.ALREADY
        if refusal is not None or record is None:
            return self.refuse(kind, context, occurrence_id, refusal or Refusal.NO_INTERVENTION)
        channel = context.channel.value
        if milestone is Milestone.ARRIVED:
            return await self._arrival(record, when, context)
        recorded = await asyncio.to_thread(
            self.store.record_milestone, occurrence_id, milestone, when, context.user, channel
        )
        if not recorded:
            return self.refuse(kind, context, occurrence_id, Refusal.ALREADY)
        self.audit.record(kind, context, occurrence_id, at=when.isoformat())
        return DeskAnswer(await asyncio.to_thread(self.store.intervention, occurrence_id))

    async def _arrival(self, record: InterventionRecord, when: datetime, context: Context) -> DeskAnswer:
        mark = MilestoneMark(when, context.user, context.channel.value)
        arrived = replace(record, arrival=when, milestones={**record.milestones, Milestone.ARRIVED: mark})
        late = await self.assess(arrived, when)
        done = replace(arrived, late_days=late.late_days, penalty_eur=late.penalty_eur)
        await asyncio.to_thread(self.store.record_arrival, done)
        self.audit.record(
            ActionKind.ARRIVAL_ON_SITE,
            context,
            record.occurrence_id,
            at=when.isoformat(),
            deadline=record.deadline.isoformat(),
            late_days=late.late_days,
            penalty_eur=late.penalty_eur,
        )
        return DeskAnswer(done)

    # -- shared checks -------------------------------------------------------------------
    async def check(
        self, context: Context, role: Role, at: datetime | None = None
    ) -> tuple[datetime, Refusal | None]:
        """The instant of the action (``at`` or now) and why ``context`` may not act (None:
        it may): its user must hold ``role``; ``at`` must be earlier today, not in the future."""
        now = self.clock.now()
        user = None if context.user is None else await asyncio.to_thread(self.users.get_user, context.user)
        if user is None or user.disabled or not user.role.at_least(role):
            return now, Refusal.ROLE
        if at is None:
            return now, None
        tz = ZoneInfo(self.cfg.site.timezone)
        if at.tzinfo is None or at > now or at.astimezone(tz).date() != now.astimezone(tz).date():
            return now, Refusal.BAD_TIME
        return at, None

    def refuse(self, kind: ActionKind, context: Context, target: str, refusal: Refusal) -> DeskAnswer:
        self.audit.record(kind, context, target, ActionResult.REFUSED, reason=refusal.value)
        return DeskAnswer(refusal=refusal)
