"""The root of the plant configuration and its cross-references.

:class:`PlantConfig` gathers every section. Field-level rules live on each model;
rules that tie sections together (an alarm naming an unknown point, two Modbus points
sharing a register, a rota naming an unknown contact) are checked by
:func:`cross_references`, which returns each problem with the path of the field at fault so
the loader can name file, line, field and value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field

from chaufferie.config.alarming import (
    AlarmDefinition,
    BadQualityCondition,
    Contact,
    ContractSettings,
    DeviationCondition,
    Escalation,
    EventCondition,
    IncreaseCondition,
    Language,
    LinkDownCondition,
    NotifierSettings,
    PointCondition,
    Rota,
    WorkingHours,
)
from chaufferie.config.forwarding import ForwardingSettings
from chaufferie.config.maintenance import MaintenanceSettings, Trigger
from chaufferie.config.metering import SHARE_TOLERANCE, Building, MeteringSettings
from chaufferie.config.plant import CascadeSettings, PlantSettings, SimulationSettings, SupervisorIO
from chaufferie.config.points import (
    SYSTEM_LINK,
    Frozen,
    Link,
    MbusSource,
    ModbusLink,
    ModbusSource,
    OpcUaLink,
    Point,
)
from chaufferie.config.ranges import Days, Hours, Minutes
from chaufferie.config.season import SeasonSettings


def _time_zone(name: str) -> str:
    """``name`` if it is an IANA time zone known here (else every local time would fail later)."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone (IANA name expected, e.g. Europe/Paris): {name!r}") from None
    return name


class Site(Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    timezone: Annotated[str, AfterValidator(_time_zone)] = "Europe/Paris"
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class Retention(Frozen):
    raw_days: Days | None = 90
    minute_days: Days | None = 730
    hour_days: Days | None = None


class StorageSettings(Frozen):
    """Where history goes. ``url`` may use ``{data_dir}``; PostgreSQL for a central historian."""

    url: str = "sqlite:///{data_dir}/chaufferie.db"
    spool_dir: str = "spool"
    spool_max_mb: Annotated[float, Field(gt=0, le=1e6)] = 256.0
    queue_size: Annotated[int, Field(ge=100, le=10_000_000)] = 100_000
    batch_size: Annotated[int, Field(ge=1, le=1_000_000)] = 5_000
    flush_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    retention: Retention = Retention()
    password_env: str | None = "CHAUFFERIE_DB_PASSWORD"


def _proxy_networks(entries: tuple[str, ...]) -> tuple[str, ...]:
    """Each trusted proxy is an IP address or network (``ValueError`` names the bad one)."""
    for entry in entries:
        ipaddress.ip_network(entry.strip(), strict=False)
    return entries


class HmiSettings(Frozen):
    """The web interface and the links sent in messages."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8080"
    language: Language = Language.FR
    secret_key_env: str = "CHAUFFERIE_SECRET_KEY"
    ack_link_ttl_h: Annotated[float, Field(gt=0, le=72)] = 24.0
    session_ttl_h: Hours = 12.0
    login_max_failures: Annotated[int, Field(ge=1, le=100)] = 5
    login_lockout_min: Minutes = 15.0
    trusted_proxies: Annotated[tuple[str, ...], AfterValidator(_proxy_networks)] = ()
    """Reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed (addresses or networks)."""
    refresh_s: Annotated[float, Field(gt=0, le=60)] = 1.0


def _default_escalation() -> dict[int, Escalation]:
    return {
        1: Escalation(channels=("sms", "email"), escalate_after_min=(15, 30)),
        2: Escalation(channels=("sms", "email"), escalate_after_min=(60,), working_hours_only=True),
        3: Escalation(channels=("email",), working_hours_only=True),
    }


class PlantConfig(Frozen):
    """The whole configuration of one site: the single source of truth."""

    site: Site
    data_dir: str = "data"
    links: dict[str, Link]
    points: tuple[Point, ...] = Field(min_length=1)
    plant: PlantSettings = PlantSettings()
    simulation: SimulationSettings = SimulationSettings()
    cascade: CascadeSettings = CascadeSettings()
    season: SeasonSettings = SeasonSettings()
    io: SupervisorIO = SupervisorIO()
    alarms: tuple[AlarmDefinition, ...] = ()
    contacts: tuple[Contact, ...] = ()
    rota: Rota | None = None
    escalation: dict[int, Escalation] = Field(default_factory=_default_escalation)
    working_hours: WorkingHours = WorkingHours()
    contract: ContractSettings = ContractSettings()
    notifiers: NotifierSettings = NotifierSettings()
    storage: StorageSettings = StorageSettings()
    hmi: HmiSettings = HmiSettings()
    maintenance: MaintenanceSettings = MaintenanceSettings()
    buildings: tuple[Building, ...] = ()
    """The buildings of the heat network, each with its heat meter (none: a plant alone)."""
    metering: MeteringSettings = MeteringSettings()
    forwarding: ForwardingSettings = ForwardingSettings()
    """The central receivers the site forwards its history to (none: kept locally)."""

    def point(self, name: str) -> Point:
        """The point called ``name`` (KeyError if unknown)."""
        return self.points_by_name[name]

    @property
    def points_by_name(self) -> dict[str, Point]:
        return {p.name: p for p in self.points}

    def points_of(self, link: str) -> list[Point]:
        return [p for p in self.points if p.link == link]

    def alarm(self, code: str) -> AlarmDefinition:
        for a in self.alarms:
            if a.code == code:
                return a
        raise KeyError(code)

    def calls_out(self, code: str | None) -> bool:
        """Whether alarm ``code`` calls the contractor out (False for no or an unknown code)."""
        return any(a.code == code and a.calls_out for a in self.alarms)

    def contact(self, contact_id: str) -> Contact:
        for c in self.contacts:
            if c.id == contact_id:
                return c
        raise KeyError(contact_id)

    def data_path(self, relative: str) -> Path:
        """A path under the data directory (absolute paths are kept as they are)."""
        path = Path(relative)
        return path if path.is_absolute() else Path(self.data_dir) / path

    @property
    def storage_url(self) -> str:
        return self.storage.url.replace("{data_dir}", str(Path(self.data_dir).resolve()))


@dataclass(frozen=True)
class Problem:
    """A configuration problem at ``path`` (keys and list indexes from the file's root)."""

    path: tuple[str | int, ...]
    message: str
    value: Any

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.path)
        return f"{where}: {self.message} ({self.value!r})"


def cross_references(cfg: PlantConfig) -> list[Problem]:
    """Every rule that spans sections; an empty list means the file is coherent."""
    return [
        *_point_problems(cfg),
        *_modbus_overlaps(cfg),
        *_alarm_problems(cfg),
        *_io_problems(cfg),
        *_setpoint_problems(cfg),
        *_people_problems(cfg),
        *_route_problems(cfg),
        *_maintenance_problems(cfg),
        *_building_problems(cfg),
        *_mbus_problems(cfg),
    ]


def section_problems(cfg: PlantConfig, section: str) -> list[Problem]:
    """The cross-reference problems of one section (a settings change is checked with these)."""
    return [p for p in cross_references(cfg) if p.path[:1] == (section,)]


def _point_problems(cfg: PlantConfig) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, p in enumerate(cfg.points):
        if p.name in seen:
            yield Problem(("points", i, "name"), "duplicate point name", p.name)
        seen.add(p.name)
        link = cfg.links.get(p.link)
        if p.source.protocol == "system" or p.link == SYSTEM_LINK:
            if (p.source.protocol == "system") != (p.link == SYSTEM_LINK):
                yield Problem(("points", i, "link"), f"a system point is on link '{SYSTEM_LINK}'", p.link)
        elif link is None:
            yield Problem(("points", i, "link"), "unknown link", p.link)
        elif link.protocol != p.source.protocol:
            yield Problem(
                ("points", i, "source", "protocol"),
                f"link '{p.link}' speaks {link.protocol}",
                p.source.protocol,
            )
    names = {p.name for p in cfg.points}
    for name, link in cfg.links.items():
        if not isinstance(link, ModbusLink | OpcUaLink):
            continue
        if link.heartbeat_point is not None and link.heartbeat_point not in names:
            yield Problem(("links", name, "heartbeat_point"), "unknown point", link.heartbeat_point)
        yield from _supervisor_heartbeat(cfg, name, link)


def _supervisor_heartbeat(cfg: PlantConfig, name: str, link: ModbusLink | OpcUaLink) -> Iterator[Problem]:
    """The life counter the supervisor writes to this link's PLC (docs/domain.md §6): a writable
    whole-number point of that same link, writable at least as often as it is to be written."""
    point_name = link.supervisor_heartbeat_point
    if point_name is None:
        return
    where = ("links", name, "supervisor_heartbeat_point")
    point = cfg.points_by_name.get(point_name)
    if point is None:
        yield Problem(where, "unknown point", point_name)
    elif point.link != name:
        yield Problem(where, f"point of link '{point.link}', not of this link", point_name)
    elif not point.writable:
        yield Problem(where, "read-only point: the supervisor must be able to write it", point_name)
    elif point.is_bool or point.bounds is None or point.bounds.max < 2:
        yield Problem(
            where, "a counter is needed (a whole-number point with bounds 0..N, N >= 2)", point_name
        )
    elif point.write_min_interval_s > link.heartbeat_write_s:
        yield Problem(
            ("links", name, "heartbeat_write_s"),
            f"shorter than write_min_interval_s of '{point_name}' ({point.write_min_interval_s:g} s)",
            link.heartbeat_write_s,
        )
    fields = (
        ("local_mode_point", False),
        ("local_seconds_point", False),
        ("local_oil_starts_point", False),
        ("remote_request_point", True),
    )
    for field_name, wanted in fields:
        other = getattr(link, field_name)
        if other is None:
            continue
        found = cfg.points_by_name.get(other)
        if found is None or found.link != name:
            yield Problem(("links", name, field_name), f"no such point on link '{name}'", other)
        elif wanted and not (found.writable and found.pulse):
            yield Problem(("links", name, field_name), "a writable pulse point is needed", other)


def _modbus_overlaps(cfg: PlantConfig) -> Iterator[Problem]:
    used: dict[tuple[str, str, int], tuple[str, int | None]] = {}
    for i, p in enumerate(cfg.points):
        src = p.source
        if not isinstance(src, ModbusSource):
            continue
        for reg in range(src.address, src.address + src.count):
            key = (p.link, src.table.value, reg)
            owner = used.get(key)
            if owner is not None and (src.bit is None or owner[1] is None or owner[1] == src.bit):
                yield Problem(
                    ("points", i, "source", "address"),
                    f"{src.table.value} {reg} already used by '{owner[0]}'",
                    src.address,
                )
                break
            used[key] = (p.name, src.bit)


def _alarm_problems(cfg: PlantConfig) -> Iterator[Problem]:
    names = {p.name for p in cfg.points}
    codes: set[str] = set()
    for i, a in enumerate(cfg.alarms):
        if a.code in codes:
            yield Problem(("alarms", i, "code"), "duplicate alarm code", a.code)
        codes.add(a.code)
        cond = a.condition
        if (
            isinstance(cond, PointCondition | BadQualityCondition | IncreaseCondition)
            and cond.point not in names
        ):
            yield Problem(("alarms", i, "condition", "point"), "unknown point", cond.point)
        if isinstance(cond, DeviationCondition):
            for key in ("point", "reference"):
                if getattr(cond, key) not in names:
                    yield Problem(("alarms", i, "condition", key), "unknown point", getattr(cond, key))
        if isinstance(cond, LinkDownCondition) and cond.link not in cfg.links:
            yield Problem(("alarms", i, "condition", "link"), "unknown link", cond.link)
        if isinstance(cond, EventCondition) and a.latched and cond.clear_on is None:
            yield Problem(("alarms", i, "latched"), "an event alarm that latches needs clear_on", True)
        if a.reset_point is not None and a.reset_point not in names:
            yield Problem(("alarms", i, "reset_point"), "unknown point", a.reset_point)
        for j, v in enumerate(a.values):
            if v not in names:
                yield Problem(("alarms", i, "values", j), "unknown point", v)
    for prio in (1, 2, 3):
        if prio not in cfg.escalation:
            yield Problem(("escalation",), f"no escalation policy for priority {prio}", None)


def _io_problems(cfg: PlantConfig) -> Iterator[Problem]:
    names = {p.name for p in cfg.points}
    for field_name, point_name in cfg.io.model_dump().items():
        if point_name not in names:
            yield Problem(("io", field_name), "unknown point", point_name)


def setpoint_write_range(cfg: PlantConfig) -> tuple[float, float] | None:
    """The range the cascade's setpoints must lie in: the write bounds of the setpoints it
    commands (the wood boiler's, and the oil boiler's, which holds the same setpoint in
    replacement), from the point map; ``None`` when neither has bounds."""
    points = cfg.points_by_name
    bounds = [
        point.bounds
        for point in (points.get(cfg.io.wood_setpoint), points.get(cfg.io.oil_setpoint))
        if point is not None and point.bounds is not None
    ]
    if not bounds:
        return None
    return max(b.min for b in bounds), min(b.max for b in bounds)


def _setpoint_problems(cfg: PlantConfig) -> Iterator[Problem]:
    allowed = setpoint_write_range(cfg)
    if allowed is None:
        return
    low, high = allowed
    for key in ("setpoint_min_c", "setpoint_max_c"):
        value = getattr(cfg.cascade, key)
        if not low <= value <= high:
            yield Problem(("cascade", key), f"outside the setpoints' write bounds [{low:g}, {high:g}]", value)
    if not low <= cfg.season.dhw_setpoint_c <= high:
        where = ("season", "dhw_setpoint_c")
        yield Problem(
            where, f"outside the setpoints' write bounds [{low:g}, {high:g}]", cfg.season.dhw_setpoint_c
        )


def _people_problems(cfg: PlantConfig) -> Iterator[Problem]:
    ids = {c.id for c in cfg.contacts}
    if cfg.rota is None:
        return
    for i, cid in enumerate(cfg.rota.cycle):
        if cid not in ids:
            yield Problem(("rota", "cycle", i), "unknown contact", cid)
    if cfg.rota.manager not in ids:
        yield Problem(("rota", "manager"), "unknown contact", cfg.rota.manager)
    for i, ex in enumerate(cfg.rota.exceptions):
        for key in ("on_call", "second"):
            value = getattr(ex, key)
            if value is not None and value not in ids:
                yield Problem(("rota", "exceptions", i, key), "unknown contact", value)


def _route_problems(cfg: PlantConfig) -> Iterator[Problem]:
    """The channel policy names configured transports and known contacts."""
    n, ids = cfg.notifiers, {c.id for c in cfg.contacts}
    configured = {"twilio": n.sms is not None, "modem": n.modem is not None}
    for i, route in enumerate(n.sms_routes):
        for j, transport in enumerate(route.via):
            if not configured[transport]:
                section = "sms" if transport == "twilio" else "modem"
                where = ("notifiers", "sms_routes", i, "via", j)
                yield Problem(where, f"transport not configured (notifiers.{section} is not set)", transport)
        for j, cid in enumerate(route.contacts):
            if cid not in ids:
                yield Problem(("notifiers", "sms_routes", i, "contacts", j), "unknown contact", cid)


def _maintenance_problems(cfg: PlantConfig) -> Iterator[Problem]:
    """The plan's task ids are unique; it names known contacts, and the counters its triggers read."""
    m = cfg.maintenance
    seen: set[str] = set()
    for i, task in enumerate(m.tasks):
        if task.id in seen:
            yield Problem(("maintenance", "tasks", i, "id"), "duplicate task id", task.id)
        seen.add(task.id)
    ids = {c.id for c in cfg.contacts}
    for i, cid in enumerate(m.notify):
        if cid not in ids:
            yield Problem(("maintenance", "notify", i), "unknown contact", cid)
    names = cfg.points_by_name
    needed = {trigger for task in m.tasks for trigger in task.intervals}
    for key, trigger in (("run_hours_point", Trigger.RUN_HOURS), ("fuel_burnt_point", Trigger.TONNES)):
        if trigger in needed and getattr(m, key) not in names:
            yield Problem(("maintenance", key), "unknown point", getattr(m, key))


def _building_problems(cfg: PlantConfig) -> Iterator[Problem]:
    """Unique ids, a known counter point each, shares adding up to 1."""
    seen: set[str] = set()
    for i, b in enumerate(cfg.buildings):
        if b.id in seen:
            yield Problem(("buildings", i, "id"), "duplicate building", b.id)
        seen.add(b.id)
        if b.energy_point not in cfg.points_by_name:
            yield Problem(("buildings", i, "heat_point"), "unknown point", b.energy_point)
    total = sum(b.share for b in cfg.buildings)
    if cfg.buildings and abs(total - 1) > SHARE_TOLERANCE:
        yield Problem(("buildings",), "the shares must add up to 1", round(total, 4))


def _mbus_problems(cfg: PlantConfig) -> Iterator[Problem]:
    """Two points on one record of one meter: one would be a copy of the other."""
    seen: dict[tuple[str, str, int], str] = {}
    for i, p in enumerate(cfg.points):
        if isinstance(p.source, MbusSource):
            key = (p.link, p.source.meter, p.source.record)
            if key in seen:
                yield Problem(
                    ("points", i, "source"), f"same meter record as point {seen[key]}", p.source.meter
                )
            seen.setdefault(key, p.name)
