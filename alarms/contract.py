"""The maintenance contract's money: the indexed penalty and the disputed call (docs/domain.md §4).

Owns two rules of the Joucas tender, as pure functions and data:

* the price revision of §3.11, applied to the 100 € penalty of §3.5:
  ``index = 0,15 + 0,55·BT40'/BT40 + 0,30·(0,65·PPEI'/PPEI + 0,35·TCH'/TCH)``
  (:func:`revision_index`); the index applied to a late intervention is the one in force at
  its deadline date: the entry with the latest effective date on or before that day, 1 when
  there is none or no base is configured (:func:`index_in_force`);
* the disputed call of §3.5 ("si le Titulaire considère que cette intervention ... est
  injustifiée ... pourra donner lieu à une facturation"): ``none → disputed → accepted |
  rejected`` (:data:`DISPUTE_TRANSITIONS`); an accepted dispute removes the penalty and makes
  the call billable, a rejected one keeps it.

:func:`assess` puts them together for one call (late days from :mod:`~chaufferie.alarms.deadlines`):
the desk and the reports both count the money with it. May import :mod:`chaufferie.config` and
:mod:`chaufferie.alarms.deadlines`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from chaufferie.alarms.deadlines import lateness_as_of
from chaufferie.config.alarming import ContractIndices
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Role

CALL_ROLE = Role.OPERATOR
"""Recording a phone call, and a milestone from the HMI (the agent's logbook)."""
DISPUTE_ROLE = Role.TECHNICIAN
"""Marking a call unjustified: the contractor's people sign in as technicians."""
DECISION_ROLE = Role.ADMIN
"""Accepting or rejecting a dispute, entering the indices: the commune (no role between
technician and admin: the commune's manager is an admin; docs/access-security.md)."""

FIXED_PART = 0.15
BT40_WEIGHT = 0.55
PRODUCTS_WEIGHT = 0.30
PPEI_SHARE = 0.65
TCH_SHARE = 0.35


def revision_index(base: ContractIndices, current: ContractIndices) -> float:
    """The §3.11 revision coefficient of ``current`` indices against ``base`` (1 when equal)."""
    products = PPEI_SHARE * current.ppei / base.ppei + TCH_SHARE * current.tch / base.tch
    return FIXED_PART + BT40_WEIGHT * current.bt40 / base.bt40 + PRODUCTS_WEIGHT * products


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """Current index values entered by the commune, in force from ``effective``."""

    effective: date
    values: ContractIndices
    entered_by: str
    entered_at: datetime


def index_in_force(entries: Iterable[IndexEntry], day: date, base: ContractIndices | None) -> float:
    """The revision coefficient on ``day``: from the entry with the latest effective date on or
    before it (the latest entered when two share that date); 1 without one or without a base."""
    candidates = [e for e in entries if e.effective <= day]
    if base is None or not candidates:
        return 1.0
    latest = max(candidates, key=lambda e: (e.effective, e.entered_at))
    return revision_index(base, latest.values)


class DisputeState(StrEnum):
    """Where a call stands between the contractor and the commune."""

    NONE = "none"
    DISPUTED = "disputed"
    """The contractor finds the call unjustified (« injustifiée »), with a reason."""
    ACCEPTED = "accepted"
    """The commune agrees: no penalty, the call may be invoiced."""
    REJECTED = "rejected"
    """The commune disagrees: the penalty stands."""


class DisputeStep(StrEnum):
    DISPUTE = "dispute"
    ACCEPT = "accept"
    REJECT = "reject"


DISPUTE_TRANSITIONS: dict[tuple[DisputeState, DisputeStep], DisputeState] = {
    (DisputeState.NONE, DisputeStep.DISPUTE): DisputeState.DISPUTED,
    (DisputeState.DISPUTED, DisputeStep.ACCEPT): DisputeState.ACCEPTED,
    (DisputeState.DISPUTED, DisputeStep.REJECT): DisputeState.REJECTED,
}
"""(state, step) → next state; any other pair is refused."""


def next_dispute_state(state: DisputeState, step: DisputeStep) -> DisputeState | None:
    """The state after ``step``, or None when ``step`` is not allowed from ``state``."""
    return DISPUTE_TRANSITIONS.get((state, step))


def penalty_waived(state: DisputeState) -> bool:
    """An accepted dispute removes the penalty (and makes the call billable)."""
    return state is DisputeState.ACCEPTED


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a call costs: late days, the index applied and the penalty (after any dispute)."""

    late_days: int
    index: float
    penalty_eur: float


def assess(
    deadline: datetime,
    arrival: datetime | None,
    dispute: DisputeState,
    as_of: datetime,
    entries: Iterable[IndexEntry],
    cfg: PlantConfig,
) -> Assessment:
    """The one rule of the money of a call, for the desk and the reports: late days at the
    arrival or, while nobody has arrived, so far at ``as_of``; each costs
    ``penalty_eur_per_day`` × the index in force at the deadline's local date; nothing once
    the dispute is accepted."""
    day = deadline.astimezone(ZoneInfo(cfg.site.timezone)).date()
    index = index_in_force(entries, day, cfg.contract.base_indices)
    late = lateness_as_of(deadline, arrival, as_of, cfg.working_hours, index, cfg.site.timezone)
    return Assessment(late.late_days, index, 0.0 if penalty_waived(dispute) else late.penalty_eur)
