"""Test implementations of the HMI's Protocols still used (no library patched).

The page tests run on the real alarms, sign-in, users and intervention desk
(``tests/hmi/conftest.py``); what remains here stands in for the history queries, the PLC
writes and the simulator's control, and serves the browser server (``browser_server.py``,
whose bench raises one alarm per measurement). The command fake publishes the read-back
value; the history fake filters and exports CSV (French conventions) and XML.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmState,
    AlarmTransition,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    OperatorAction,
    Quality,
    Role,
    TagValue,
)
from chaufferie.hmi.ports import (
    EventQuery,
    ExportFormat,
    HistoryRecord,
    Interval,
    Outcome,
    RecordKind,
    Report,
    Scenario,
    TrendPoint,
    TrendSeries,
    UserInfo,
    UserSession,
)

PASSWORD = "correct horse battery"
PLANT_VALUES: dict[str, float | bool | int] = {
    "wood.state": 2,
    "wood.modulation": 72.0,
    "wood.outlet_temp": 81.2,
    "wood.return_temp": 63.5,
    "wood.flue_temp": 142.0,
    "wood.power": 72.0,
    "wood.fuel_burnt": 12345.0,
    "silo.mass": 2300.0,
    "silo.level": 50.0,
    "screw.running": True,
    "screw.current": 2.4,
    "screw.jammed": False,
    "screw.test_running": False,
    "buffer.temp_top": 76.1,
    "buffer.temp_middle": 70.3,
    "buffer.temp_bottom": 64.8,
    "wood.setpoint": 76.0,
    "pump1.running": True,
    "pump2.running": False,
    "pump1.fault": False,
    "pump2.fault": False,
    "pumps.duty": 1,
    "network.pressure": 2.05,
    "network.supply_temp": 75.4,
    "network.return_temp": 60.1,
    "network.flow": 3.6,
    "network.low_pressure": False,
    "meter.power": 68.5,
    "meter.energy": 123456.0,
    "oil.burner_on": False,
    "oil.fault": False,
    "oil.outlet_temp": 35.0,
    "wood.enable": True,
}
"""A plausible running plant: wood at 72 %, buffer at setpoint, duty pump 1."""

USERS = {"viewer": Role.VIEWER, "operator": Role.OPERATOR, "tech": Role.TECHNICIAN, "admin": Role.ADMIN}


class FakeAuth:
    def __init__(self) -> None:
        self.sessions: dict[str, UserSession] = {}
        self.attempts: list[tuple[str, bool]] = []

    async def login(self, username: str, password: str, address: str | None) -> UserSession | None:
        ok = username in USERS and password == PASSWORD
        self.attempts.append((username, ok))
        if not ok:
            return None
        token = secrets.token_hex(8)
        self.sessions[token] = UserSession(username, USERS[username], token, username.title())
        return self.sessions[token]

    async def resume(self, token: str) -> UserSession | None:
        return self.sessions.get(token)

    async def logout(self, token: str) -> None:
        self.sessions.pop(token, None)


@dataclass
class FakeAlarms:
    bus: Bus
    clock: Clock
    calls: list[tuple[str, str, Context, dict[str, object]]] = field(default_factory=list)
    known: dict[str, AlarmTransition] = field(default_factory=dict)

    def raise_alarm(self, code: str, priority: int, value: float | None = None, occurrence: str = "") -> str:
        occurrence_id = occurrence or f"occ-{code}"
        tr = AlarmTransition(
            code,
            occurrence_id,
            priority,
            AlarmState.NORMAL,
            AlarmState.UNACKED,
            "raise",
            self.clock.now(),
            True,
            value,
        )
        self.known[occurrence_id] = tr
        self.bus.publish(tr)
        return occurrence_id

    def _move(self, occurrence_id: str, state: AlarmState, trigger: str, context: Context) -> Outcome:
        old = self.known.get(occurrence_id)
        if old is None:
            return Outcome(False, "unknown occurrence")
        new = replace(
            old, previous=old.state, state=state, trigger=trigger, time=self.clock.now(), context=context
        )
        self.known[occurrence_id] = new
        self.bus.publish(new)
        return Outcome(True)

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> Outcome:
        self.calls.append(("acknowledge", occurrence_id, context, {"comment": comment}))
        return self._move(occurrence_id, AlarmState.ACKED, "ack", context)

    async def shelve(self, occurrence_id: str, context: Context, reason: str, duration_s: float) -> Outcome:
        self.calls.append(("shelve", occurrence_id, context, {"reason": reason, "duration_s": duration_s}))
        return self._move(occurrence_id, AlarmState.SHELVED, "shelve", context)

    async def unshelve(self, occurrence_id: str, context: Context) -> Outcome:
        self.calls.append(("unshelve", occurrence_id, context, {}))
        return self._move(occurrence_id, AlarmState.UNACKED, "unshelve", context)

    async def comment(self, occurrence_id: str, context: Context, text: str) -> Outcome:
        self.calls.append(("comment", occurrence_id, context, {"text": text}))
        return Outcome(True)

    async def reset(self, occurrence_id: str, context: Context) -> Outcome:
        self.calls.append(("reset", occurrence_id, context, {}))
        return self._move(occurrence_id, AlarmState.NORMAL, "reset", context)


@dataclass
class FakeCommands:
    bus: Bus
    clock: Clock
    commands: list[Command] = field(default_factory=list)

    async def execute(self, command: Command) -> CommandResult:
        """Confirmed at once, and audited as the bridge audits every command it executes."""
        self.commands.append(command)
        now = self.clock.now()
        self.bus.publish(TagValue(command.point, command.value, Quality.GOOD, now, now))
        details = {"command_id": command.id, "value": command.value, "readback": command.value}
        self.bus.publish(
            OperatorAction(ActionKind.COMMAND, now, command.context, command.point, details=details)
        )
        return CommandResult(
            command.id,
            command.point,
            command.value,
            CommandStatus.CONFIRMED,
            now,
            readback=command.value,
            context=command.context,
        )


@dataclass
class FakeHistory:
    clock: Clock
    records: list[HistoryRecord] = field(default_factory=list)
    queries: list[EventQuery] = field(default_factory=list)
    trend_calls: list[tuple[tuple[str, ...], datetime, datetime]] = field(default_factory=list)

    def _match(self, q: EventQuery, r: HistoryRecord) -> bool:
        return (
            q.start <= r.time < q.end
            and (not q.kinds or r.kind in q.kinds)
            and (not q.text or q.text.lower() in f"{r.what} {r.detail}".lower())
            and (q.code is None or r.code == q.code)
            and (q.priority is None or r.priority == q.priority)
            and (q.user is None or r.user == q.user)
        )

    async def events(self, query: EventQuery) -> list[HistoryRecord]:
        self.queries.append(query)
        return [r for r in self.records if self._match(query, r)][: query.limit]

    async def occurrence(self, occurrence_id: str) -> list[HistoryRecord]:
        return [r for r in self.records if r.occurrence_id == occurrence_id]

    async def trend(self, points: Sequence[str], start: datetime, end: datetime) -> list[TrendSeries]:
        self.trend_calls.append((tuple(points), start, end))
        step = max(timedelta(minutes=1), (end - start) / 500)
        out = []
        for k, name in enumerate(points):
            pts, t, i = [], start, 0
            while t <= end:
                good = not (200 <= i < 220)  # a quality gap
                pts.append(
                    TrendPoint(t, 64.0 + 6 * k + (i % 50) / 10 if name != "wood.setpoint" else 75.0, good)
                )
                t += step
                i += 1
            unit = "%" if name == "wood.modulation" else "°C"
            out.append(TrendSeries(name, pts, unit))
        return out

    async def oil_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        mid = start + (end - start) / 2
        return [Interval(mid, mid + (end - start) / 20, "replacement")]

    async def report(self, period: str) -> Report:
        now = self.clock.now()
        return Report(
            f"Rapport {period}",
            now - timedelta(days=30),
            now,
            {"wood_mwh": 21.5, "oil_mwh": 1.2, "coverage_pct": 94.7, "dju": 410.0, "oil_starts": 3},
            {"wood_mwh": [("2026-01", 21.5)], "oil_mwh": [("2026-01", 1.2)]},
        )

    async def export_events(self, query: EventQuery, fmt: ExportFormat) -> bytes:
        rows = await self.events(query)
        if fmt is ExportFormat.XML:
            root = ET.Element("history")
            for r in rows:
                ET.SubElement(root, "record", time=r.time.isoformat(), kind=r.kind.value).text = r.what
            return ET.tostring(root, encoding="utf-8")
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";")
        writer.writerow(["time", "kind", "what", "detail"])
        for r in rows:
            writer.writerow([r.time.isoformat(), r.kind.value, r.what, r.detail])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    async def export_report(self, period: str, fmt: ExportFormat) -> bytes:
        return f"period;{period}\n".encode()


@dataclass
class FakeUsers:
    users_: dict[str, UserInfo] = field(default_factory=lambda: {n: UserInfo(n, r) for n, r in USERS.items()})
    saved: list[tuple[UserInfo, str | None]] = field(default_factory=list)

    async def users(self) -> list[UserInfo]:
        return list(self.users_.values())

    async def save_user(self, user: UserInfo, password: str | None, context: Context) -> Outcome:
        if not user.username:
            return Outcome(False, "username required")
        self.saved.append((user, password))
        self.users_[user.username] = user
        return Outcome(True)

    async def disable_user(self, username: str, context: Context) -> Outcome:
        self.users_[username] = replace(self.users_[username], enabled=False)
        return Outcome(True)


@dataclass
class FakeInterventions:
    arrivals: list[tuple[str, str | None]] = field(default_factory=list)

    async def arrive(self, occurrence_id: str, context: Context) -> Outcome:
        if any(occ == occurrence_id for occ, _ in self.arrivals):
            return Outcome(False, "already recorded")
        self.arrivals.append((occurrence_id, context.user))
        return Outcome(True)


@dataclass
class FakeScenarios:
    started: list[str] = field(default_factory=list)
    speed: float = 1.0

    async def scenarios(self) -> list[Scenario]:
        return [Scenario("wood-fault", "wood boiler fault"), Scenario("cold-snap", "cold spell")]

    async def start(self, name: str, context: Context) -> Outcome:
        self.started.append(name)
        return Outcome(True)

    async def stop(self, context: Context) -> Outcome:
        return Outcome(True)

    async def set_speed(self, factor: float, context: Context) -> Outcome:
        self.speed = factor
        return Outcome(True)

    async def current_speed(self) -> float | None:
        return self.speed or None


def sample_records(now: datetime) -> list[HistoryRecord]:
    """A few days of history: oil start, alarms, acknowledgement, delivery."""
    return [
        HistoryRecord(
            now - timedelta(hours=30),
            RecordKind.ALARM,
            "CHB-DEF Défaut chaudière bois",
            "raised",
            "CHB-DEF",
            1,
            occurrence_id="occ-CHB-DEF",
        ),
        HistoryRecord(now - timedelta(hours=29), RecordKind.OIL, "Démarrage fioul en relève", "wood_fault"),
        HistoryRecord(
            now - timedelta(hours=28),
            RecordKind.ACTION,
            "acquittement",
            "CHB-DEF",
            "CHB-DEF",
            user="tech",
            channel="link",
            occurrence_id="occ-CHB-DEF",
        ),
        HistoryRecord(
            now - timedelta(hours=5),
            RecordKind.PLANT_EVENT,
            "Livraison de plaquettes 4 t (Bois Sud)",
            "chip_delivery",
        ),
        HistoryRecord(
            now - timedelta(hours=2), RecordKind.ALARM, "SIL-BAS Niveau bas silo", "raised", "SIL-BAS", 2
        ),
    ]
