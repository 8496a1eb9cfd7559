"""The contract report: calls, deadlines, late days, penalties and disputes, month by month.

What the commune and the contractor settle on (docs/domain.md §4): for a month (``2026-01``) or
a heating season (``2025-2026``), the periods of :func:`~chaufferie.historian.report.parse_period`,
the interventions *opened* in the period (by the plant's call, a phone call recorded by the
agent, or an acknowledgement when no call went), each with its milestones and its money:

- acknowledgement and arrival delays, in real hours from the opening;
- late calendar days: recorded at arrival; for a call with no arrival yet, counted *so far*
  at the report's ``as_of`` instant (a call nobody answers keeps its clock running);
- penalty: late days × ``penalty_eur_per_day`` × the revision index in force at the deadline,
  except when the contractor's dispute was accepted (then 0, and the call is billable);
- the summary of each period: calls by origin, median and longest delays, late calls, days
  and penalties, disputes by outcome.

The figures are read from the interventions table and never stored twice: this module only
counts. Formats (HTML, French CSV, XML of ``exchange.xsd``) are in
:mod:`chaufferie.historian.contract_format`.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from chaufferie.alarms.contract import Assessment, assess
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.access_schema import intervention_calls, interventions
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.intervention_store import InterventionRecord, Milestone
from chaufferie.historian.periods import Period, months_of

ORIGINS = ("call", "phone", "ack")
"""The plant's own call, a phone call recorded by the agent, an acknowledgement with no call."""

DISPUTES = ("none", "disputed", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class ContractCall:
    """One intervention as the contract sees it (times UTC, money in euros)."""

    call_id: str
    origin: str
    code: str | None
    priority: int | None
    opened: datetime
    deadline: datetime
    acknowledged: datetime | None
    arrival: datetime | None
    late_days: int
    index: float
    penalty_eur: float
    dispute: str = "none"
    dispute_reason: str = ""
    dispute_note: str = ""
    caller: str = ""
    made_safe: datetime | None = None
    repaired: datetime | None = None

    @property
    def ack_hours(self) -> float | None:
        return _hours(self.opened, self.acknowledged)

    @property
    def arrival_hours(self) -> float | None:
        return _hours(self.opened, self.arrival)

    @property
    def late(self) -> bool:
        return self.late_days > 0


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start) / timedelta(hours=1)


@dataclass
class ContractSummary:
    """The figures of one period (keys of :data:`~chaufferie.historian.catalogue.CONTRACT_FIGURES`)."""

    period: Period
    calls: list[ContractCall] = field(default_factory=list)

    def by_origin(self) -> dict[str, int]:
        counts = Counter(c.origin for c in self.calls)
        return {origin: counts.get(origin, 0) for origin in ORIGINS}

    def disputes(self) -> dict[str, int]:
        counts = Counter(c.dispute for c in self.calls)
        return {state: counts.get(state, 0) for state in DISPUTES[1:]}

    def figures(self) -> dict[str, float | int | None]:
        acks = [h for c in self.calls if (h := c.ack_hours) is not None]
        arrivals = [h for c in self.calls if (h := c.arrival_hours) is not None]
        late = [c for c in self.calls if c.late]
        return {
            "calls": len(self.calls),
            **{f"calls_{origin}": n for origin, n in self.by_origin().items()},
            "acknowledged": len(acks),
            "ack_median_h": _median(acks),
            "ack_max_h": max(acks, default=None),
            "arrived": len(arrivals),
            "arrival_median_h": _median(arrivals),
            "arrival_max_h": max(arrivals, default=None),
            "late_calls": len(late),
            "late_days": sum(c.late_days for c in self.calls),
            "penalties_eur": round(sum(c.penalty_eur for c in self.calls), 2),
            **{f"disputes_{state}": n for state, n in self.disputes().items()},
        }


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class ContractReport:
    site_id: str
    site_name: str
    as_of: datetime
    whole: ContractSummary
    months: list[ContractSummary] = field(default_factory=list)
    deadline_hours: float = 8.0
    penalty_eur_per_day: float = 100.0
    """The contract's terms in force (``working_hours``), said in the report's header."""

    @property
    def periods(self) -> list[ContractSummary]:
        """The months, then the whole period (one summary when the period is a month)."""
        return [*self.months, self.whole] if self.months else [self.whole]


def summarise(calls: Sequence[ContractCall], period: Period) -> ContractSummary:
    """The calls opened in ``period``, oldest first."""
    inside = sorted((c for c in calls if period.start <= c.opened < period.end), key=lambda c: c.opened)
    return ContractSummary(period, inside)


def build_contract_report(
    engine: Engine, cfg: PlantConfig, period: Period, as_of: datetime
) -> ContractReport:
    """The report of ``period`` with open calls counted up to ``as_of``."""
    calls = contract_calls(engine, cfg, period.start, period.end, as_of)
    whole = summarise(calls, period)
    months = [summarise(calls, month) for month in months_of(period, cfg)] if period.kind == "season" else []
    terms = cfg.working_hours
    return ContractReport(
        cfg.site.id, cfg.site.name, as_of, whole, months, terms.deadline_hours, terms.penalty_eur_per_day
    )


def contract_calls(
    engine: Engine, cfg: PlantConfig, start: datetime, end: datetime, as_of: datetime
) -> list[ContractCall]:
    """The interventions opened in [start, end), their money counted at ``as_of`` by the one
    rule of :func:`~chaufferie.alarms.contract.assess`."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, interventions.name):
            return []
    store = AccessStore(engine)
    entries = store.index_entries()
    callers = _first_callers(engine)
    return [
        _call(record, assess(record.deadline, record.arrival, record.dispute, as_of, entries, cfg), callers)
        for record in store.list_interventions()
        if start <= record.opened_at < end
    ]


def _first_callers(engine: Engine) -> dict[str, str]:
    """Who placed the first phone call of each intervention that has one."""
    t = intervention_calls
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.intervention_id, t.c.caller).order_by(t.c.at.desc())).all()
    return {intervention: caller for intervention, caller in rows}  # the earliest one wins


def _call(record: InterventionRecord, money: Assessment, callers: dict[str, str]) -> ContractCall:
    made_safe, repaired = record.mark(Milestone.MADE_SAFE), record.mark(Milestone.REPAIRED)
    return ContractCall(
        call_id=record.occurrence_id,
        origin=record.origin,
        code=record.code,
        priority=record.priority,
        opened=record.opened_at,
        deadline=record.deadline,
        acknowledged=record.acknowledged_at,
        arrival=record.arrival,
        late_days=money.late_days,
        index=money.index,
        penalty_eur=money.penalty_eur,
        dispute=record.dispute.value,
        dispute_reason=record.dispute_reason or "",
        dispute_note=record.dispute_note or "",
        caller=callers.get(record.occurrence_id, ""),
        made_safe=None if made_safe is None else made_safe.at,
        repaired=None if repaired is None else repaired.at,
    )
