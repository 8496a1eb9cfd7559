"""The HMI's seams: the small Protocols the lower layers implement and the root injects.

Pages never reach into the alarms, historian or PLC bridge: an operator action goes through
one of these Protocols, each taking the :class:`~chaufferie.config.vocabulary.Context` of
the logged-in user so the lower layer can audit it (who, from where, by which channel).

- :class:`Authenticator` — login, session resume and logout (the access-control layer).
- :class:`AlarmActions` — acknowledge, shelve, unshelve, comment, reset (the alarms layer).
- :class:`CommandSender` — one whitelisted PLC write, confirmed by read-back (the bridge).
- :class:`HistoryQueries` — events, trends, reports and exports (the historian).
- :class:`UserAdmin` — list and change users (the access-control layer).
- :class:`ScenarioRunner` — the simulator's runtime control (commissioning only).
- :class:`Interventions` — record the technician's arrival on site for a call-out.
- :class:`SettingsStore` — persist a validated settings change.

Every method is async and must not raise for an expected refusal: it returns an
:class:`Outcome` whose message the page shows. This module imports only ``config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from chaufferie.config.vocabulary import Command, CommandResult, Context, Role, Scalar


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


@runtime_checkable
class Authenticator(Protocol):
    """Checks credentials and sessions; records logins and failures in the audit itself."""

    async def login(self, username: str, password: str, address: str | None) -> UserSession | None: ...

    async def resume(self, token: str) -> UserSession | None:
        """The session's user as the user store has them *now* (role included); None when the
        session expired or the user was disabled or removed. Called at each page load and
        before each action, so a change takes effect at the next click."""

    async def logout(self, token: str) -> None: ...


@runtime_checkable
class AlarmActions(Protocol):
    """Operator actions on one alarm occurrence (audited by the implementation)."""

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> Outcome: ...

    async def shelve(
        self, occurrence_id: str, context: Context, reason: str, duration_s: float
    ) -> Outcome: ...

    async def unshelve(self, occurrence_id: str, context: Context) -> Outcome: ...

    async def comment(self, occurrence_id: str, context: Context, text: str) -> Outcome: ...

    async def reset(self, occurrence_id: str, context: Context) -> Outcome: ...


@runtime_checkable
class CommandSender(Protocol):
    """Writes one whitelisted point within its bounds and confirms it by reading it back."""

    async def execute(self, command: Command) -> CommandResult: ...


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


@runtime_checkable
class HistoryQueries(Protocol):
    """Read side of the historian."""

    async def events(self, query: EventQuery) -> list[HistoryRecord]: ...

    async def occurrence(self, occurrence_id: str) -> list[HistoryRecord]: ...

    async def trend(self, points: Sequence[str], start: datetime, end: datetime) -> list[TrendSeries]: ...

    async def oil_intervals(self, start: datetime, end: datetime) -> list[Interval]: ...

    async def report(self, period: str) -> Report: ...

    async def export_events(self, query: EventQuery, fmt: ExportFormat) -> bytes: ...

    async def export_report(self, period: str, fmt: ExportFormat) -> bytes: ...


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    role: Role
    display_name: str = ""
    enabled: bool = True
    contact_id: str | None = None


@runtime_checkable
class UserAdmin(Protocol):
    """User management for admins (audited by the implementation)."""

    async def users(self) -> list[UserInfo]: ...

    async def save_user(self, user: UserInfo, password: str | None, context: Context) -> Outcome: ...

    async def disable_user(self, username: str, context: Context) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str = ""


@runtime_checkable
class ScenarioRunner(Protocol):
    """The simulator's runtime control, for the commissioning page."""

    async def scenarios(self) -> list[Scenario]: ...

    async def start(self, name: str, context: Context) -> Outcome: ...

    async def stop(self, context: Context) -> Outcome: ...

    async def set_speed(self, factor: float, context: Context) -> Outcome: ...

    async def current_speed(self) -> float | None:
        """The speed in force, read back from the simulator (None: unknown or unreachable)."""
        ...


@runtime_checkable
class Interventions(Protocol):
    """Call-outs opened by acknowledgements; arrival on site closes one (audited there)."""

    async def arrive(self, occurrence_id: str, context: Context) -> Outcome: ...


@runtime_checkable
class SettingsStore(Protocol):
    """Persists a validated settings change (the supervisor and alarms read it live)."""

    notice: str | None
    """Saved settings refused at start (shown to technicians and administrators), or None."""

    async def save(self, section: str, values: Mapping[str, Any], context: Context) -> Outcome: ...
