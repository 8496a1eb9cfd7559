"""The live view model: what every page reads, updated from the bus, with no UI code.

:class:`PlantView` folds the bus vocabulary into the picture the screens answer from:
latest value of each point, state of each link, plant mode and why the oil boiler runs,
active alarms (one :class:`AlarmRow` per occurrence) with the count of unacknowledged ones by
priority, the last plant events, and the silo and ash bin outlooks. ``version`` increases on every
change so a page redraws only when something moved. Imports only ``config`` and ``hmi.silo``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    LinkEvent,
    LinkState,
    Message,
    OilRole,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Scalar,
    TagValue,
)
from chaufferie.hmi.silo import AshForecast, AshOutlook, SiloForecast, SiloOutlook

UNACKED_STATES = frozenset({AlarmState.UNACKED, AlarmState.RTN_UNACKED})
GONE_STATES = frozenset({AlarmState.NORMAL})
RECENT_EVENTS = 50


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """One active (or not yet acknowledged) alarm occurrence as the alarm list shows it."""

    occurrence_id: str
    code: str
    priority: int
    state: AlarmState
    raised: datetime
    changed: datetime
    active: bool
    value: Scalar = None
    message: str = ""
    oil_role: OilRole | None = None
    acked_by: str | None = None
    acked_via: str | None = None

    @property
    def unacked(self) -> bool:
        return self.state in UNACKED_STATES


@dataclass(frozen=True, slots=True)
class OilStatus:
    """Why the oil boiler runs (role and reason) and since when; ``role=None`` when off."""

    role: OilRole | None = None
    reason: str = ""
    since: datetime | None = None


class PlantView:
    """Current picture of the plant; ``apply`` one bus message at a time."""

    def __init__(self, config: PlantConfig) -> None:
        self.config = config
        self.values: dict[str, TagValue] = {}
        self.links: dict[str, LinkState] = dict.fromkeys(config.links, LinkState.CONNECTING)
        self.mode: PlantMode | None = None
        self.mode_since: datetime | None = None
        self.oil = OilStatus()
        self.alarms: dict[str, AlarmRow] = {}
        self.events: deque[PlantEvent] = deque(maxlen=RECENT_EVENTS)
        self.silo = SiloForecast(config.plant)
        self.ash = AshForecast(config.plant)
        self.version = 0
        self.alarm_version = 0

    # ---- folding the bus ------------------------------------------------------------
    def apply(self, message: Message) -> None:
        """Fold one bus message into the picture (other message types are ignored)."""
        if isinstance(message, TagValue):
            self._apply_value(message)
        elif isinstance(message, LinkEvent):
            self.links[message.link] = message.state
        elif isinstance(message, PlantEvent):
            self._apply_event(message)
        elif isinstance(message, AlarmTransition):
            self._apply_alarm(message)
            self.alarm_version += 1
        else:
            return
        self.version += 1

    def _apply_value(self, tv: TagValue) -> None:
        self.values[tv.point] = tv
        if tv.point == "wood.fuel_burnt":
            self.silo.observe_burnt(tv)
            self.ash.observe_burnt(tv)
        elif tv.point == self.config.io.outdoor:
            self.silo.observe_outdoor(tv)

    def _apply_event(self, event: PlantEvent) -> None:
        self.events.append(event)
        if event.mode is not None and event.kind is PlantEventKind.MODE_CHANGED:
            self.mode = event.mode
            self.mode_since = event.time
        if event.kind is PlantEventKind.OIL_STARTED:
            self.oil = OilStatus(event.oil_role, event.reason, event.time)
        elif event.kind is PlantEventKind.OIL_STOPPED:
            self.oil = OilStatus()
        elif event.kind is PlantEventKind.ASH_REMOVAL:
            self.ash.emptied()
        elif event.kind is PlantEventKind.CHIP_DELIVERY:
            kg = event.values.get("kg")
            if isinstance(kg, int | float):
                stock, _ = self.silo.stock_kg(self.values.get("silo.mass"), self.values.get("silo.level"))
                self.silo.delivery(event.time, float(kg), stock)

    def _apply_alarm(self, tr: AlarmTransition) -> None:
        if tr.state in GONE_STATES:
            self.alarms.pop(tr.occurrence_id, None)
            return
        old = self.alarms.get(tr.occurrence_id) or AlarmRow(
            tr.occurrence_id,
            tr.code,
            tr.priority,
            tr.state,
            tr.time,
            tr.time,
            tr.active,
            tr.value,
            tr.message,
            tr.oil_role,
        )
        acked = tr.previous in UNACKED_STATES and tr.state not in UNACKED_STATES and tr.context.user
        self.alarms[tr.occurrence_id] = replace(
            old,
            state=tr.state,
            changed=tr.time,
            active=tr.active,
            value=tr.value if tr.value is not None else old.value,
            acked_by=tr.context.user if acked else old.acked_by,
            acked_via=tr.context.channel.value if acked else old.acked_via,
        )

    # ---- questions the pages ask ----------------------------------------------------
    def value(self, point: str) -> TagValue | None:
        return self.values.get(point)

    def number(self, point: str) -> float | None:
        """The point's value as a float when Good, else None."""
        tv = self.values.get(point)
        if tv is None or not tv.good or isinstance(tv.value, str) or tv.value is None:
            return None
        return float(tv.value)

    def unacked_by_priority(self) -> dict[int, int]:
        counts = {1: 0, 2: 0, 3: 0}
        for row in self.alarms.values():
            if row.unacked:
                counts[row.priority] = counts.get(row.priority, 0) + 1
        return counts

    def sorted_alarms(self) -> list[AlarmRow]:
        """Unacknowledged first, then by priority, newest first."""
        return sorted(
            self.alarms.values(),
            key=lambda r: (not r.unacked, r.priority, -r.raised.timestamp()),
        )

    @property
    def links_ok(self) -> bool:
        return all(state is LinkState.UP for state in self.links.values())

    def silo_outlook(self, now: datetime) -> SiloOutlook:
        return self.silo.outlook(now, self.values.get("silo.mass"), self.values.get("silo.level"))

    def ash_outlook(self) -> AshOutlook:
        return self.ash.outlook()
