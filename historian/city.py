"""What the city view reads from a central database (docs/central.md, "Vue ville / City view").

Every figure comes from the rows the sites sent, through the historian's own rules: a
counter's energy over a month is :func:`~.readings.counter_delta` (replacements, rollovers and
manual readings as on the site), a point's data coverage :func:`~.readings.coverage`. The
overview of a site: its state (active, revoked, meters only), the plant mode of its last mode
change, its alarms still active (the last transition of each alarm), the last batch received,
and the share of the last 24 hours with data. The city's energy: each site's energy counters
(points tagged ``energy``, in kWh or MWh), month by month, in MWh.

The central's own actions (logins, uploads, readings entered) are kept as ``operator_actions``
records of the pseudo-site :data:`CITY_SITE`, numbered like any site's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, insert, select

from chaufferie.historian import schema
from chaufferie.historian.central_schema import central_batches, central_sites
from chaufferie.historian.readings import counter_delta, coverage

CITY_SITE = "ville"
"""The central's own records (its audit) are those of this site id."""
ENERGY_UNITS = {"kWh": 1e-3, "MWh": 1.0}


@dataclass(frozen=True, slots=True)
class SiteOverview:
    site_id: str
    name: str
    kind: str
    revoked: bool
    mode: str | None
    active_alarms: tuple[str, ...]
    last_received: datetime | None
    last_seq: int
    coverage_24h: float


@dataclass(frozen=True, slots=True)
class Meter:
    """An energy counter of a site: its point, label and unit."""

    site_id: str
    point: str
    label: str
    unit: str


@dataclass(slots=True)
class CityEnergy:
    """MWh by (site, point) and month (``YYYY-MM``, local time); None where not known."""

    months: list[str]
    meters: list[Meter]
    mwh: dict[tuple[str, str], dict[str, float | None]] = field(default_factory=dict)

    def site_total(self, site: str, month: str) -> float | None:
        values = [v[month] for (s, _), v in self.mwh.items() if s == site and v.get(month) is not None]
        return sum(v for v in values if v is not None) if values else None


def sites_overview(engine: Engine, now: datetime) -> list[SiteOverview]:
    s, q, b = central_sites, schema.site_sequences, central_batches
    last_batch = select(b.c.site_id, func.max(b.c.received_at).label("at")).group_by(b.c.site_id).subquery()
    query = (
        select(s, q.c.last_seq, last_batch.c.at)
        .outerjoin(q, q.c.site_id == s.c.site_id)
        .outerjoin(last_batch, last_batch.c.site_id == s.c.site_id)
        .order_by(s.c.name)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        alarms = _active_alarms(conn)
        modes = _modes(conn)
        covered = {row.site_id: _hours_with_data(conn, row.site_id, now) for row in rows}
    return [
        SiteOverview(
            row.site_id,
            row.name,
            row.kind,
            row.revoked_at is not None,
            modes.get(row.site_id),
            tuple(sorted(alarms.get(row.site_id, ()))),
            _utc(row.at),
            int(row.last_seq or 0),
            covered[row.site_id],
        )
        for row in rows
    ]


def _active_alarms(conn: Any) -> dict[str, list[str]]:
    t = schema.alarm_transitions
    last = (
        select(t.c.site_id, t.c.code, func.max(t.c.seq).label("seq"))
        .group_by(t.c.site_id, t.c.code)
        .subquery()
    )
    query = select(t.c.site_id, t.c.code).join(
        last, and_(t.c.site_id == last.c.site_id, t.c.code == last.c.code, t.c.seq == last.c.seq)
    )
    out: dict[str, list[str]] = {}
    for site, code in conn.execute(query.where(t.c.active.is_(True))):
        out.setdefault(site, []).append(code)
    return out


def _modes(conn: Any) -> dict[str, str]:
    e = schema.plant_events
    with_mode = (
        select(e.c.site_id, func.max(e.c.seq).label("seq")).where(e.c.mode.is_not(None)).group_by(e.c.site_id)
    )
    last = with_mode.subquery()
    query = select(e.c.site_id, e.c.mode).join(
        last, and_(e.c.site_id == last.c.site_id, e.c.seq == last.c.seq)
    )
    return {site: str(mode) for site, mode in conn.execute(query)}


def _hours_with_data(conn: Any, site: str, now: datetime) -> float:
    """The share of the last 24 hours in which the site sent at least one sample."""
    h, p = schema.rollup_hour, schema.points
    since = now - timedelta(hours=24)
    query = (
        select(func.count(func.distinct(h.c.bucket)))
        .join(p, p.c.id == h.c.point_id)
        .where(p.c.site_id == site, h.c.bucket >= since, h.c.bucket < now)
    )
    return min(1.0, float(conn.execute(query).scalar_one()) / 24.0)


def energy_meters(engine: Engine, site: str | None = None) -> list[Meter]:
    p, registered = schema.points, select(central_sites.c.site_id)
    query = select(p.c.site_id, p.c.name, p.c.label_fr, p.c.unit, p.c.tags).where(
        p.c.unit.in_(ENERGY_UNITS), p.c.site_id.in_(registered)
    )
    if site is not None:
        query = query.where(p.c.site_id == site)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(p.c.site_id, p.c.name)).all()
    return [
        Meter(r.site_id, r.name, r.label_fr or r.name, r.unit) for r in rows if "energy" in r.tags.split()
    ]


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=tz)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def last_months(now: datetime, count: int, tz: ZoneInfo) -> list[str]:
    local = now.astimezone(tz)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def city_energy(engine: Engine, months: list[str], tz: ZoneInfo, site: str | None = None) -> CityEnergy:
    """Each energy counter's MWh in each month (None when its readings do not cover it)."""
    meters = energy_meters(engine, site)
    energy = CityEnergy(months, meters)
    with engine.connect() as conn:
        for meter in meters:
            values: dict[str, float | None] = {}
            for month in months:
                start, end = month_bounds(month, tz)
                if coverage(conn, meter.site_id, meter.point, start, end).fraction <= 0.0:
                    values[month] = None
                    continue
                delta = counter_delta(conn, meter.site_id, meter.point, start, end)
                values[month] = delta * ENERGY_UNITS[meter.unit]
            energy.mwh[(meter.site_id, meter.point)] = values
    return energy


def point_names(engine: Engine, site: str) -> list[tuple[str, str, str]]:
    """(name, French label, unit) of a site's points."""
    p = schema.points
    with engine.connect() as conn:
        rows = conn.execute(
            select(p.c.name, p.c.label_fr, p.c.unit).where(p.c.site_id == site).order_by(p.c.name)
        )
        return [(r.name, r.label_fr or r.name, r.unit) for r in rows]


def record_action(
    engine: Engine, user: str, kind: str, target: str, result: str, details: dict[str, Any]
) -> None:
    """One entry of the central's audit: an ``operator_actions`` record of :data:`CITY_SITE`."""
    q, a = schema.site_sequences, schema.operator_actions
    now = datetime.now(UTC)
    with engine.begin() as conn:
        last = conn.execute(select(q.c.last_seq).where(q.c.site_id == CITY_SITE).with_for_update()).scalar()
        seq = int(last or 0) + 1
        if last is None:
            conn.execute(insert(q).values(site_id=CITY_SITE, last_seq=seq))
        else:
            conn.execute(q.update().where(q.c.site_id == CITY_SITE).values(last_seq=seq))
        conn.execute(
            insert(a).values(
                site_id=CITY_SITE,
                seq=seq,
                time=now,
                action_id=str(uuid.uuid4()),
                kind=kind,
                target=target[:128],
                result=result,
                details=details,
                origin="city",
                user=user,
                channel="hmi",
            )
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
