"""Start the live view from the alarms' own picture (after a restart the bus holds none of it).

:func:`alarm_transitions` turns the alarm operations' open occurrences into the
:class:`AlarmTransition` messages the view model folds, so the root can pass
``initial=lambda: alarm_transitions(alarms.operations.active())`` to :class:`HmiServices`.
Imports ``config`` and the read-only view type of ``alarms`` (a lower layer).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chaufferie.alarms.operations import AlarmView
from chaufferie.config.vocabulary import AlarmState, AlarmTransition, Channel, Context


def alarm_transitions(views: Iterable[AlarmView]) -> list[AlarmTransition]:
    """Per open occurrence: its raise, then (if acknowledged) its acknowledgement by whom."""
    out = []
    for v in views:
        acked = v.acked_by is not None and v.acked_at is not None and v.state is not AlarmState.UNACKED
        first = AlarmState.UNACKED if acked else v.state
        out.append(_transition(v, AlarmState.NORMAL, first, v.raised_at, None))
        if acked and v.acked_at is not None:
            out.append(_transition(v, AlarmState.UNACKED, v.state, v.acked_at, v.acked_by))
    return out


def _transition(
    v: AlarmView, previous: AlarmState, state: AlarmState, time: datetime, user: str | None
) -> AlarmTransition:
    return AlarmTransition(
        code=v.code,
        occurrence_id=v.occurrence_id,
        priority=v.priority,
        previous=previous,
        state=state,
        trigger="restore",
        time=time,
        active=v.active,
        value=v.value,
        message=v.message,
        oil_role=v.oil_role,
        context=Context(origin="hmi.seed", user=user, channel=Channel.SYSTEM),
    )
