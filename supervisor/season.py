"""The heating season as the supervisor keeps it: in season or in summer, since when, by whom.

The dates agreed with the subscriber are settings (:mod:`chaufferie.config.season`); nothing
changes on a date by itself. On and after a scheduled start or stop the HMI shows
:func:`pending` ("Arrêt de saison prévu aujourd'hui — confirmer le passage en mode été") until
the agent confirms; the confirmation is a :class:`~chaufferie.config.vocabulary.SeasonRequest`
on the bus, which the supervisor judges (:func:`judge`: role at least ``operator``, a change
of state), audits (:func:`audit`: one ``OperatorAction(SEASON_CHANGE)``, accepted or refused
with ``details["reason"]``) and executes: the :class:`SeasonState` changes and the plant goes
into or out of the ``summer`` mode (:mod:`.modes`). The agent may confirm before or after the
date; a change confirmed on or after the scheduled date answers it.

Durable: each change is a ``SEASON_CHANGED`` plant event, recorded by the historian; at start
the composition root reads the last one back (:meth:`SeasonState.from_values`), so a restart
resumes the summer mode without asking again.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chaufferie.config.season import SeasonSettings, last_scheduled
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    OperatorAction,
    Role,
    Scalar,
    SeasonRequest,
    new_id,
)
from chaufferie.supervisor.manual import authorised
from chaufferie.supervisor.reasons import Reason

CONFIRM_ROLE = Role.OPERATOR
"""The municipal agent confirms the season's start and stop."""


@dataclass(frozen=True, slots=True)
class SeasonState:
    """In season (``summer`` False) or in summer mode, since the local day ``changed_on``."""

    summer: bool = False
    changed_on: date | None = None
    by: str | None = None

    def values(self) -> dict[str, Scalar]:
        """What a ``SEASON_CHANGED`` event carries (read back by :meth:`from_values`)."""
        return {
            "summer": self.summer,
            "changed_on": self.changed_on.isoformat() if self.changed_on else None,
            "user": self.by,
        }

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SeasonState:
        """The state a ``SEASON_CHANGED`` event recorded; ``ValueError`` if it is not one."""
        summer = values.get("summer")
        if not isinstance(summer, bool):
            raise ValueError(f"not a season change: {dict(values)!r}")
        on = values.get("changed_on")
        user = values.get("user")
        return cls(summer, date.fromisoformat(on) if isinstance(on, str) else None, user or None)


@dataclass(frozen=True, slots=True)
class Pending:
    """A scheduled change the agent has not confirmed yet: a stop (``summer``) or a start."""

    summer: bool
    on: date


def pending(season: SeasonSettings, today: date, state: SeasonState) -> Pending | None:
    """The change to confirm ``today``: the latest scheduled start or stop on or before today,
    when the plant is not in the state it asks for and no change was confirmed since."""
    scheduled = last_scheduled(season, today)
    if scheduled is None or scheduled.summer == state.summer:
        return None
    if state.changed_on is not None and state.changed_on >= scheduled.on:
        return None  # the agent decided otherwise after the date (a late cold spell)
    return Pending(scheduled.summer, scheduled.on)


def judge(request: SeasonRequest, state: SeasonState) -> Reason | None:
    """Why ``request`` is refused, or None when it is to be executed."""
    if not authorised(request, CONFIRM_ROLE):
        return Reason.NOT_AUTHORISED
    if request.summer == state.summer:
        return Reason.UNCHANGED
    return None


def audit(request: SeasonRequest, refused: Reason | None, due: Pending | None) -> OperatorAction:
    """The one audit record of ``request``: what was asked, when it was due, or why refused."""
    details: dict[str, Any] = {
        "summer": request.summer,
        "scheduled_on": due.on.isoformat() if due is not None and due.summer == request.summer else None,
    }
    if request.role is not None:
        details["role"] = request.role.value
    if refused is not None:
        details["reason"] = refused.value
    return OperatorAction(
        kind=ActionKind.SEASON_CHANGE,
        time=request.time,
        context=request.context.child("supervisor"),
        target="supervisor",
        result=ActionResult.OK if refused is None else ActionResult.REFUSED,
        details=details,
        id=new_id(),
    )
