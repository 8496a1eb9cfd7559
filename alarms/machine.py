"""The ISA-18.2 / IEC 62682 state machine of one alarm occurrence, as data.

An *occurrence* is born when its alarm becomes active and ends when it is back to NORMAL
(inactive and acknowledged, and reset if it latches). One :class:`transitions.Machine`
(``queued=True``) drives every :class:`Occurrence` model; the table below is the whole
behaviour. Guards are pure properties of the occurrence.

====================  ===========================================  ======================
trigger               from                                         to
====================  ===========================================  ======================
activate              RTN_UNACKED, LATCHED                         UNACKED
clear                 UNACKED, ACKED (latching alarm)              LATCHED
clear                 UNACKED                                      RTN_UNACKED
clear                 ACKED                                        NORMAL
acknowledge           UNACKED                                      ACKED
acknowledge           RTN_UNACKED                                  NORMAL
acknowledge           LATCHED                                      LATCHED (marks acked)
reset                 LATCHED, if acknowledged                     NORMAL
shelve / suppress /   any annunciated state                        SHELVED / SUPPRESSED /
remove_from_service                                                OUT_OF_SERVICE
unshelve / unsuppress SHELVED / SUPPRESSED / OUT_OF_SERVICE        UNACKED if active,
/ return_to_service                                                else NORMAL
====================  ===========================================  ======================

The engine sets ``active`` before firing ``activate``/``clear`` and ``acked`` on
``acknowledge``; the state alone says what the operator sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from transitions import Machine

from chaufferie.config.vocabulary import AlarmState, OilRole, Scalar

S = AlarmState
ANNUNCIATED = (S.UNACKED, S.ACKED, S.RTN_UNACKED, S.LATCHED)
SET_ASIDE = (S.SHELVED, S.SUPPRESSED, S.OUT_OF_SERVICE)
"""States in which an occurrence is not annunciated (no notification, no escalation)."""


def _return(trigger: str, source: AlarmState) -> list[dict[str, Any]]:
    return [
        {
            "trigger": trigger,
            "source": source,
            "dest": S.UNACKED,
            "conditions": "is_active",
            "before": "forget_ack",
        },
        {"trigger": trigger, "source": source, "dest": S.NORMAL},
    ]


TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "activate", "source": [S.RTN_UNACKED, S.LATCHED], "dest": S.UNACKED, "before": "forget_ack"},
    {"trigger": "clear", "source": [S.UNACKED, S.ACKED], "dest": S.LATCHED, "conditions": "latching"},
    {"trigger": "clear", "source": S.UNACKED, "dest": S.RTN_UNACKED},
    {"trigger": "clear", "source": S.ACKED, "dest": S.NORMAL},
    {"trigger": "acknowledge", "source": S.UNACKED, "dest": S.ACKED, "before": "mark_acked"},
    {"trigger": "acknowledge", "source": S.RTN_UNACKED, "dest": S.NORMAL, "before": "mark_acked"},
    {"trigger": "acknowledge", "source": S.LATCHED, "dest": None, "before": "mark_acked"},
    {"trigger": "reset", "source": S.LATCHED, "dest": S.NORMAL, "conditions": "is_acked"},
    {"trigger": "shelve", "source": list(ANNUNCIATED), "dest": S.SHELVED},
    {"trigger": "suppress", "source": [*ANNUNCIATED, S.SHELVED], "dest": S.SUPPRESSED},
    {
        "trigger": "remove_from_service",
        "source": [*ANNUNCIATED, S.SHELVED, S.SUPPRESSED],
        "dest": S.OUT_OF_SERVICE,
    },
    *_return("unshelve", S.SHELVED),
    *_return("unsuppress", S.SUPPRESSED),
    *_return("return_to_service", S.OUT_OF_SERVICE),
]


@dataclass
class Comment:
    time: datetime
    user: str | None
    text: str


@dataclass(eq=False)
class Occurrence:
    """One alarm occurrence: the model the shared machine drives (see module table).

    Compared by identity: the machine keeps its models in a list.
    """

    id: str
    code: str
    priority: int
    raised_at: datetime
    latched: bool = False
    state: AlarmState = S.UNACKED
    active: bool = True
    acked: bool = False
    value: Scalar = None
    message: str = ""
    message_en: str = ""
    short: dict[str, str] = field(default_factory=dict)
    oil_role: OilRole | None = None
    values: dict[str, Scalar] = field(default_factory=dict)
    acked_by: str | None = None
    acked_at: datetime | None = None
    cleared_at: datetime | None = None
    shelved_until: datetime | None = None
    shelve_reason: str = ""
    shelved_by: str | None = None
    chattering: bool = False
    flood_id: str | None = None
    notified_steps: list[int] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    # guards (pure) and actions named in TRANSITIONS
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_acked(self) -> bool:
        return self.acked

    @property
    def latching(self) -> bool:
        return self.latched

    def mark_acked(self) -> None:
        self.acked = True

    def forget_ack(self) -> None:
        self.acked = False

    @property
    def closed(self) -> bool:
        return self.state is S.NORMAL

    @property
    def annunciated(self) -> bool:
        return self.state in ANNUNCIATED


def build_machine() -> Machine:
    """The one machine for every occurrence (add models with ``add_model(occ, initial=...)``)."""
    return Machine(
        model=None,
        states=AlarmState,
        transitions=TRANSITIONS,
        initial=S.NORMAL,
        queued=True,
        auto_transitions=False,
        ignore_invalid_triggers=True,
        model_attribute="state",
    )
