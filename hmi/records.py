"""What the pages show and what an action answers: plain records, no behaviour.

The pages call the services the composition root hands them in
:class:`~chaufferie.hmi.services.HmiServices` (the alarm operations, the historian's
queries, the PLC bridge, the access layer, the simulator's control) through the HMI's own
classes beside this module (:mod:`~chaufferie.hmi.alarm_actions`,
:mod:`~chaufferie.hmi.history`, :mod:`~chaufferie.hmi.interventions`,
:mod:`~chaufferie.hmi.settings_store`, :mod:`~chaufferie.hmi.simulator_control`,
:mod:`~chaufferie.hmi.access.hmi_adapter`). Each action takes the
:class:`~chaufferie.config.vocabulary.Context` of the signed-in user, so the service that
executes it audits who, from where and by which channel, and none raises for an expected
refusal: it returns an :class:`Outcome` whose message the page shows. This module imports
only ``config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chaufferie.config.vocabulary import Role, Scalar


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of an operator action: ``ok`` or refused/failed with a short message."""

    ok: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class UserSession:
    """A logged-in user as the HMI sees it."""

    username: str
    role: Role
    token: str
    display_name: str = ""
    language: str | None = None

    def can(self, needed: Role) -> bool:
        return self.role.at_least(needed)


class RecordKind(StrEnum):
    """The kinds of history records the HMI filters on."""

    PLANT_EVENT = "plant_event"
    ALARM = "alarm"
    OIL = "oil"
    ACTION = "action"
    NOTIFICATION = "notification"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class EventQuery:
    """A history filter: time range, kinds, text, alarm code, priority, user; and who reads."""

    start: datetime
    end: datetime
    kinds: frozenset[RecordKind] = frozenset()
    text: str = ""
    code: str | None = None
    priority: int | None = None
    user: str | None = None
    limit: int = 500
    role: Role = Role.VIEWER
    """The reader's role: what it may not read is left out (``historian/history_access``)."""


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One line of the history, already flattened for display and export."""

    time: datetime
    kind: RecordKind
    what: str
    detail: str = ""
    code: str | None = None
    priority: int | None = None
    user: str | None = None
    channel: str | None = None
    occurrence_id: str | None = None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    time: datetime
    value: float | None
    good: bool = True


@dataclass(frozen=True, slots=True)
class TrendSeries:
    """One point's samples over a range; ``value=None`` or ``good=False`` draws a gap."""

    point: str
    points: Sequence[TrendPoint]
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Interval:
    """A time span (oil running, say) drawn as a shaded band."""

    start: datetime
    end: datetime
    label: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """A monthly or seasonal report: named figures and a few series for charts."""

    title: str
    period_start: datetime
    period_end: datetime
    figures: Mapping[str, Scalar]
    series: Mapping[str, Sequence[tuple[str, float | None]]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


class ExportFormat(StrEnum):
    CSV = "csv"
    XML = "xml"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    role: Role
    display_name: str = ""
    enabled: bool = True
    contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str = ""
