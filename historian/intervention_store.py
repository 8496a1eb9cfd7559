"""Interventions as stored: opening, milestones, phone calls, dispute; the contract's indices.

One row of ``interventions`` per call-out, keyed by its alarm occurrence or, for a phone call
without an alarm, by ``call-<uuid>``. The milestones — acknowledgement, arrival on site,
making safe (« mise en sécurité »), end of repair (« fin de dépannage ») — are columns of
that row (when, who, channel), not rows of a table of their own: there are four, each
happens once (the first record counts, a later one is refused), and the report and the
deadline read them beside the deadline in one row; a fifth kind would be a migration either
way. What may happen many times has its own table: the phone calls about an intervention
(``intervention_calls``) and the commune's index entries (``contract_indices``). The
dispute (state, reason, who and when on each side) is on the row as well: one per call.

:class:`InterventionTables` is the part of
:class:`~chaufferie.historian.access_store.AccessStore` that owns these tables (a mixin on
its engine). Times are stored in UTC and returned timezone-aware. May import
:mod:`chaufferie.config`, :mod:`chaufferie.alarms`, :mod:`chaufferie.historian` and SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from chaufferie.alarms.contract import DisputeState, IndexEntry
from chaufferie.config.alarming import ContractIndices
from chaufferie.historian.access_schema import contract_indices, intervention_calls, interventions


class Milestone(StrEnum):
    """The steps of an intervention after its opening, each recorded once."""

    ACKNOWLEDGED = "acknowledged"
    ARRIVED = "arrived"
    MADE_SAFE = "made_safe"
    """« mise en sécurité »: the plant left safe, the cause not yet removed."""
    REPAIRED = "repaired"
    """« fin de dépannage »."""


MILESTONE_COLUMNS: dict[Milestone, tuple[str, str, str]] = {
    Milestone.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by", "ack_channel"),
    Milestone.ARRIVED: ("arrival", "arrival_by", "arrival_channel"),
    Milestone.MADE_SAFE: ("safe_at", "safe_by", "safe_channel"),
    Milestone.REPAIRED: ("repaired_at", "repaired_by", "repaired_channel"),
}
"""Each milestone's (when, who, channel) columns on ``interventions``."""


@dataclass(frozen=True, slots=True)
class MilestoneMark:
    """When a milestone was reached, who recorded it and by which channel."""

    at: datetime
    by: str | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class InterventionRecord:
    """One call-out: deadline from the call, milestones, lateness, dispute."""

    occurrence_id: str
    """The alarm occurrence, or ``call-<uuid>`` for a phone call without an alarm."""
    code: str | None
    priority: int | None
    opened_at: datetime
    deadline: datetime
    contact_id: str | None = None
    arrival: datetime | None = None
    late_days: int | None = None
    penalty_eur: float | None = None
    """Assessed at arrival (index in force at the deadline), cleared by an accepted dispute."""
    origin: str = "ack"
    """``call``: the plant's first notification; ``ack``: an acknowledgement; ``phone``: a phone
    call recorded by the agent."""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_channel: str | None = None
    milestones: dict[Milestone, MilestoneMark] = field(default_factory=dict)
    """Every milestone reached (the acknowledgement and arrival also have their fields above)."""
    dispute: DisputeState = DisputeState.NONE
    dispute_reason: str | None = None
    disputed_by: str | None = None
    disputed_at: datetime | None = None
    dispute_note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    def mark(self, milestone: Milestone) -> MilestoneMark | None:
        return self.milestones.get(milestone)

    @property
    def billable(self) -> bool:
        """An accepted dispute: the call was unjustified and may be invoiced (§3.5)."""
        return self.dispute is DisputeState.ACCEPTED


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """A phone call about an intervention, recorded by the agent."""

    id: str
    intervention_id: str
    at: datetime
    caller: str
    callee: str
    reason: str
    recorded_by: str | None
    channel: str
    recorded_at: datetime


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _intervention(row: Any) -> InterventionRecord:
    m = row._mapping
    opened, due = utc(m["opened_at"]), utc(m["deadline"])
    if opened is None or due is None:
        raise ValueError(f"intervention {m['occurrence_id']} lacks its opening time or deadline")
    marks = {}
    for milestone, (at, by, channel) in MILESTONE_COLUMNS.items():
        when = utc(m[at])
        if when is not None:
            marks[milestone] = MilestoneMark(when, m[by], m[channel])
    return InterventionRecord(
        occurrence_id=m["occurrence_id"],
        code=m["code"],
        priority=None if m["priority"] is None else int(m["priority"]),
        opened_at=opened,
        deadline=due,
        contact_id=m["contact_id"],
        arrival=utc(m["arrival"]),
        late_days=m["late_days"],
        penalty_eur=m["penalty_eur"],
        origin=m["origin"],
        acknowledged_at=utc(m["acknowledged_at"]),
        acknowledged_by=m["acknowledged_by"],
        ack_channel=m["ack_channel"],
        milestones=marks,
        dispute=DisputeState(m["dispute"] or DisputeState.NONE),
        dispute_reason=m["dispute_reason"],
        disputed_by=m["disputed_by"],
        disputed_at=utc(m["disputed_at"]),
        dispute_note=m["dispute_note"],
        decided_by=m["decided_by"],
        decided_at=utc(m["decided_at"]),
    )


def _call(row: Any) -> PhoneCall:
    m = row._mapping
    at, recorded = utc(m["at"]), utc(m["recorded_at"])
    if at is None or recorded is None:
        raise ValueError(f"phone call {m['id']} lacks its time")
    return PhoneCall(
        m["id"], m["intervention_id"], at, m["caller"], m["callee"], m["reason"],
        m["recorded_by"], m["channel"], recorded,
    )  # fmt: skip


class InterventionTables:
    """Persistence of interventions, their phone calls and the contract's index entries."""

    engine: Engine

    def open_intervention(self, record: InterventionRecord) -> bool:
        """Open the intervention of an occurrence; False if one is already open."""
        row = {
            "occurrence_id": record.occurrence_id,
            "code": record.code,
            "priority": record.priority,
            "contact_id": record.contact_id,
            "opened_at": record.opened_at,
            "deadline": record.deadline,
            "origin": record.origin,
        }
        return self._insert_once(insert(interventions).values(**row))

    def record_milestone(
        self, occurrence_id: str, milestone: Milestone, at: datetime, by: str | None, channel: str
    ) -> bool:
        """Record ``milestone`` on an open intervention; False when it has none or it is already
        recorded (the first one counts)."""
        when, who, how = MILESTONE_COLUMNS[milestone]
        column = interventions.c[when]
        with self.engine.begin() as conn:
            done = conn.execute(
                update(interventions)
                .where(interventions.c.occurrence_id == occurrence_id)
                .where(column.is_(None))
                .values({when: at, who: by, how: channel})
            )
        return bool(done.rowcount)

    def record_acknowledgement(self, occurrence_id: str, at: datetime, by: str | None, channel: str) -> bool:
        """The acknowledgement milestone of an open intervention (the first one counts)."""
        return self.record_milestone(occurrence_id, Milestone.ACKNOWLEDGED, at, by, channel)

    def intervention(self, occurrence_id: str) -> InterventionRecord | None:
        with self.engine.connect() as conn:
            q = select(interventions).where(interventions.c.occurrence_id == occurrence_id)
            row = conn.execute(q).first()
        return None if row is None else _intervention(row)

    def list_interventions(self) -> list[InterventionRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(interventions).order_by(interventions.c.opened_at)).all()
        return [_intervention(r) for r in rows]

    def record_arrival(self, record: InterventionRecord) -> None:
        """Store the arrival (with who and channel when given), late days and penalty of ``record``."""
        mark = record.mark(Milestone.ARRIVED)
        values = {
            "arrival": record.arrival,
            "arrival_by": None if mark is None else mark.by,
            "arrival_channel": None if mark is None else mark.channel,
            "late_days": record.late_days,
            "penalty_eur": record.penalty_eur,
        }
        self._update(record.occurrence_id, values)

    def record_penalty(self, occurrence_id: str, late_days: int | None, penalty_eur: float | None) -> None:
        self._update(occurrence_id, {"late_days": late_days, "penalty_eur": penalty_eur})

    def record_dispute(self, occurrence_id: str, expected: DisputeState, values: dict[str, Any]) -> bool:
        """Move the dispute of ``occurrence_id`` from ``expected`` (``values`` holds the new
        ``dispute`` state and its who/when/text); False when it was not in ``expected``."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(interventions)
                .where(interventions.c.occurrence_id == occurrence_id)
                .where(interventions.c.dispute == expected.value)
                .values(**values)
            )
        return bool(done.rowcount)

    # -- phone calls --------------------------------------------------------------------
    def add_call(self, call: PhoneCall) -> None:
        row = {
            "id": call.id,
            "intervention_id": call.intervention_id,
            "at": call.at,
            "caller": call.caller,
            "callee": call.callee,
            "reason": call.reason,
            "recorded_by": call.recorded_by,
            "channel": call.channel,
            "recorded_at": call.recorded_at,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(intervention_calls).values(**row))

    def calls(self, intervention_id: str) -> list[PhoneCall]:
        t = intervention_calls
        with self.engine.connect() as conn:
            query = select(t).where(t.c.intervention_id == intervention_id).order_by(t.c.at)
            rows = conn.execute(query).all()
        return [_call(r) for r in rows]

    # -- contract indices ---------------------------------------------------------------
    def add_indices(self, entry: IndexEntry) -> None:
        row = {
            "effective": entry.effective,
            "bt40": entry.values.bt40,
            "ppei": entry.values.ppei,
            "tch": entry.values.tch,
            "entered_by": entry.entered_by,
            "entered_at": entry.entered_at,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(contract_indices).values(**row))

    def index_entries(self) -> list[IndexEntry]:
        t = contract_indices
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.effective, t.c.entered_at)).mappings().all()
        return [
            IndexEntry(
                _date(r["effective"]),
                ContractIndices(bt40=r["bt40"], ppei=r["ppei"], tch=r["tch"]),
                r["entered_by"],
                utc(r["entered_at"]) or datetime.now(UTC),
            )
            for r in rows
        ]

    def _update(self, occurrence_id: str, values: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(interventions).where(interventions.c.occurrence_id == occurrence_id).values(**values)
            )

    def _insert_once(self, statement: Any) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(statement)
        except IntegrityError:
            return False
        return True


def _date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
