"""Monthly and seasonal energy reports, computed from the history.

For a period (a local month such as ``2026-01``, or a heating season such as ``2025-2026``,
bounded at local midnight in the site's time zone and queried in UTC):

- heat from wood: the heat meter's energy counter (``meter.energy``, kWh) read at both ends;
- heat from oil: litres burnt (``oil.litres`` counter) × kWh per litre × oil efficiency, or,
  without a litre counter, burner run time × oil boiler capacity;
- wood coverage rate: wood heat / (wood + oil heat);
- chips delivered (logbook) and burnt (``wood.fuel_burnt`` counter, kg), in tonnes;
- seasonal efficiency of the wood boiler: wood heat / (chips burnt × LHV);
- degree-days (DJU, base ``plant.degree_day_base_c``, 18 °C): per local day,
  max(0, base − (Tmin + Tmax) / 2) from the outdoor temperature (Météo-France method), and the
  heat per degree-day;
- heat delivered per building (``config.buildings``, each one's meter), their sum and the share
  of the plant's heat lost before the buildings (buffer, network);
- the chips' humidity (deliveries weighted by mass);
- time with the buffer's outlet within ± ``plant.regulation_band_k`` of the boiler's setpoint
  (:mod:`~chaufferie.historian.levels`);
- the plant room's electricity (``metering.electricity_energy``) with its peak
  (``metering.electricity_power``) and average power; the network's make-up water (litres, the
  leak indicator);
- CO₂ avoided against the same heat from oil alone, and the cost in euros of chips, oil,
  electricity and water, from the factors and prices of ``config.metering``;
- oil starts by kind (replacement / top-up) with their reasons, alarms by priority,
  interventions with late days and penalties.

Figures read from a counter or a run time are None, and listed in ``incomplete`` with the
reason, when the readings do not cover the period (:func:`~chaufferie.historian.readings.shortfall`);
so are the figures computed from them. A report never shows such a figure as 0.

Every figure read from points declares them in ``sources`` (figure key → point names) where it
is computed; :func:`build_report` then gives each such figure its ``coverage`` (the least
covered of its points, with all their gaps: :func:`~chaufferie.historian.readings.coverage`).
A new figure gets its coverage by declaring its points, with no code of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select

from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.contract import contract_calls
from chaufferie.historian.levels import peak, time_within
from chaufferie.historian.periods import Period, PeriodError, months_of, parse_period
from chaufferie.historian.readings import Coverage, Shortfall, counter_delta, coverage, run_hours, shortfall

__all__ = ["EnergyPoints", "EnergyReport", "Period", "PeriodError", "build_report", "parse_period"]


@dataclass(frozen=True)
class EnergyPoints:
    """Which points the report reads (the Joucas names by default)."""

    wood_heat_kwh: str = "meter.energy"
    oil_litres: str = "oil.litres"
    chips_burnt_kg: str = "wood.fuel_burnt"


@dataclass
class EnergyReport:
    """Every figure of one period's report (energies in MWh, masses in tonnes)."""

    site_id: str
    site_name: str
    period: Period
    wood_heat_mwh: float | None = None
    oil_heat_mwh: float | None = None
    oil_litres: float | None = None
    oil_run_hours: float | None = None
    oil_method: str = "litres"
    chips_delivered_t: float = 0.0
    chips_burnt_t: float | None = None
    chips_out_of_contract: int = 0
    """Deliveries whose humidity lies outside the contract's range (``plant.chips_humidity_*``)."""
    chips_humidity_pct: float | None = None
    """Humidity of the chips delivered, weighted by mass (None: no delivery)."""
    degree_days: float = 0.0
    degree_days_missing: int = 0
    building_heat_mwh: dict[str, float | None] = field(default_factory=dict)
    """Building id → heat its meter counted (figure key ``building_heat_mwh.<id>``)."""
    building_names: dict[str, str] = field(default_factory=dict)
    band_share: float | None = None
    """Share of the time (with both readings good) the buffer's outlet was within the band."""
    electricity_kwh: float | None = None
    electricity_peak_kw: float | None = None
    makeup_water_l: float | None = None
    co2_avoided_t: float | None = None
    cost_eur: float | None = None
    oil_starts: dict[str, int] = field(default_factory=dict)
    oil_reasons: dict[str, int] = field(default_factory=dict)
    alarms_by_priority: dict[int, int] = field(default_factory=dict)
    interventions: int = 0
    interventions_late: int = 0
    late_days: int = 0
    penalties_eur: float = 0.0
    months: list[EnergyReport] = field(default_factory=list)
    incomplete: dict[str, Shortfall] = field(default_factory=dict)
    """Figure key → why its readings are not enough (derived figures included)."""
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Figure key → the points it rests on (derived figures included)."""
    coverage: dict[str, Coverage] = field(default_factory=dict)
    """Figure key → how much of the period its points' readings cover (from ``sources``)."""
    point_coverage: dict[str, Coverage] = field(default_factory=dict)
    """Point name → its own coverage (each point behind a figure), for the table of gaps."""

    def partial(self, key: str) -> bool:
        """Whether the figure ``key`` rests on readings that miss part of the period."""
        found = self.coverage.get(key)
        return found is not None and not found.complete

    @property
    def total_heat_mwh(self) -> float | None:
        if self.wood_heat_mwh is None or self.oil_heat_mwh is None:
            return None
        return self.wood_heat_mwh + self.oil_heat_mwh

    @property
    def coverage_rate(self) -> float | None:
        """Share of the heat that came from wood (0–1), None without heat or data."""
        total = self.total_heat_mwh
        return self.wood_heat_mwh / total if total and self.wood_heat_mwh is not None else None

    @property
    def buildings_heat_mwh(self) -> float | None:
        """What the buildings' meters counted together (None without buildings or data)."""
        values = list(self.building_heat_mwh.values())
        return sum(v for v in values if v is not None) if values and None not in values else None

    @property
    def loss_rate(self) -> float | None:
        """Share of the plant's heat that did not reach the buildings' meters."""
        total, buildings = self.total_heat_mwh, self.buildings_heat_mwh
        return 1 - buildings / total if total and buildings is not None else None

    @property
    def hours(self) -> float:
        return (self.period.end - self.period.start).total_seconds() / 3600.0

    @property
    def electricity_avg_kw(self) -> float | None:
        return None if self.electricity_kwh is None or not self.hours else self.electricity_kwh / self.hours

    @property
    def kwh_per_degree_day(self) -> float | None:
        total = self.total_heat_mwh
        return None if total is None or self.degree_days <= 0 else 1000.0 * total / self.degree_days

    @property
    def eur_per_mwh(self) -> float | None:
        total = self.total_heat_mwh
        return None if self.cost_eur is None or not total else self.cost_eur / total

    def efficiency(self, lhv_kwh_per_t: float) -> float | None:
        """Seasonal efficiency of the wood boiler (heat out / chips' energy in)."""
        if self.chips_burnt_t is None or self.wood_heat_mwh is None:
            return None
        fuel_mwh = self.chips_burnt_t * lhv_kwh_per_t / 1000.0
        return self.wood_heat_mwh / fuel_mwh if fuel_mwh > 0 else None


def build_report(
    engine: Engine,
    cfg: PlantConfig,
    period: Period,
    points: EnergyPoints | None = None,
    as_of: datetime | None = None,
) -> EnergyReport:
    """The report of ``period``; a season also gets one report per month in ``months``.
    Interventions still open are counted late so far at ``as_of`` (default: the period's end;
    callers give now for a period not over)."""
    points = points or EnergyPoints()
    as_of = period.end if as_of is None else min(as_of, period.end)
    report = EnergyReport(cfg.site.id, cfg.site.name, period)
    with engine.connect() as conn:
        _energy(conn, cfg, points, report)
        _plant_room(conn, cfg, report)
        _events(conn, cfg.site.id, report)
        report.degree_days, report.degree_days_missing = degree_days(conn, cfg, period.start, period.end)
        report.sources.setdefault("degree_days", (cfg.io.outdoor,))
        _money_and_carbon(cfg, report)
        _derived_incomplete(report)
        _coverage(conn, cfg.site.id, report)
    _interventions(engine, cfg, report, as_of)
    if period.kind == "season":
        report.months = [build_report(engine, cfg, month, points, as_of) for month in months_of(period, cfg)]
    return report


DERIVED = {
    "total_heat_mwh": ("wood_heat_mwh", "oil_heat_mwh"),
    "coverage_pct": ("wood_heat_mwh", "oil_heat_mwh"),
    "efficiency_pct": ("wood_heat_mwh", "chips_burnt_t"),
    "kwh_per_degree_day": ("wood_heat_mwh", "oil_heat_mwh", "degree_days"),
    "loss_pct": ("wood_heat_mwh", "oil_heat_mwh", "buildings_heat_mwh"),
    "electricity_avg_kw": ("electricity_kwh",),
    "co2_avoided_t": ("wood_heat_mwh", "oil_heat_mwh", "chips_burnt_t"),
    "cost_eur": ("chips_burnt_t", "oil_heat_mwh", "electricity_kwh", "makeup_water_l"),
    "eur_per_mwh": ("cost_eur", "total_heat_mwh"),
}
"""Figures computed from others (in this order): incomplete when one of those is."""


def _derived_incomplete(r: EnergyReport) -> None:
    for key, sources in DERIVED.items():
        problems = [r.incomplete[s] for s in sources if s in r.incomplete]
        if problems:
            r.incomplete[key] = problems[0]


def _coverage(conn: Connection, site: str, r: EnergyReport) -> None:
    """Each figure's coverage from the points it rests on (``r.sources``): the least covered
    point's fraction, with the gaps of all of them."""
    for key in DERIVED:
        if key not in r.sources:
            r.sources[key] = tuple(dict.fromkeys(n for s in DERIVED[key] for n in r.sources.get(s, ())))
    known = r.point_coverage
    for key, names in r.sources.items():
        if not names:
            continue
        for name in names:
            if name not in known:
                known[name] = coverage(conn, site, name, r.period.start, r.period.end)
        r.coverage[key] = Coverage(
            min(known[n].fraction for n in names), tuple(g for n in names for g in known[n].gaps)
        )


def _counter(
    conn: Connection, cfg: PlantConfig, r: EnergyReport, key: str, name: str, scale: float
) -> float | None:
    """What counter ``name`` rose by over the report's period × ``scale``, as figure ``key``;
    None, with the reason in ``r.incomplete``, when its readings cannot be trusted or the
    configuration has no such meter."""
    site, start, end = cfg.site.id, r.period.start, r.period.end
    point = cfg.points_by_name.get(name)
    if point is None:
        r.sources[key] = ()
        r.incomplete[key] = Shortfall.NOT_METERED
        return None
    r.sources[key] = (name,)
    rollover = None if point.counter is None else point.counter.rollover
    problem = shortfall(conn, site, name, start, end, rollover=rollover)
    if problem is not None:
        r.incomplete[key] = problem
        return None
    return counter_delta(conn, site, name, start, end, rollover) * scale


def _energy(conn: Connection, cfg: PlantConfig, points: EnergyPoints, r: EnergyReport) -> None:
    site, start, end = cfg.site.id, r.period.start, r.period.end

    def counter(key: str, name: str, scale: float) -> float | None:
        return _counter(conn, cfg, r, key, name, scale)

    r.wood_heat_mwh = counter("wood_heat_mwh", points.wood_heat_kwh, 1 / 1000.0)
    r.chips_burnt_t = counter("chips_burnt_t", points.chips_burnt_kg, 1 / 1000.0)
    r.oil_litres = counter("oil_litres", points.oil_litres, 1.0)
    r.sources["oil_run_hours"] = (cfg.io.oil_burner,)
    run_problem = shortfall(conn, site, cfg.io.oil_burner, start, end, counter=False)
    if run_problem is None:
        r.oil_run_hours = run_hours(conn, site, cfg.io.oil_burner, start, end)
    else:
        r.incomplete["oil_run_hours"] = run_problem
    _oil_heat(cfg, r)
    t = schema.chip_deliveries
    delivered = conn.execute(
        select(func.coalesce(func.sum(t.c.mass_kg), 0.0)).where(
            t.c.site_id == site, t.c.time >= start, t.c.time < end
        )
    ).scalar_one()
    r.chips_delivered_t = float(delivered) / 1000.0
    if delivered:
        weighted, weighed = conn.execute(
            select(func.sum(t.c.mass_kg * t.c.humidity), func.sum(t.c.mass_kg)).where(
                t.c.site_id == site, t.c.time >= start, t.c.time < end, t.c.humidity.is_not(None)
            )
        ).one()
        r.chips_humidity_pct = float(weighted) / float(weighed) if weighed else None
    plant = cfg.plant
    r.chips_out_of_contract = conn.execute(
        select(func.count()).where(
            t.c.site_id == site,
            t.c.time >= start,
            t.c.time < end,
            (t.c.humidity < plant.chips_humidity_min_pct) | (t.c.humidity > plant.chips_humidity_max_pct),
        )
    ).scalar_one()


def _plant_room(conn: Connection, cfg: PlantConfig, r: EnergyReport) -> None:
    """Heat per building, time in the regulation band, electricity and make-up water."""
    site, start, end, m = cfg.site.id, r.period.start, r.period.end, cfg.metering
    for b in cfg.buildings:
        r.building_names[b.id] = b.name
        key = f"building_heat_mwh.{b.id}"
        r.building_heat_mwh[b.id] = _counter(conn, cfg, r, key, b.energy_point, 1 / 1000.0)
    if cfg.buildings:
        keys = [f"building_heat_mwh.{b.id}" for b in cfg.buildings]
        r.sources["buildings_heat_mwh"] = tuple(n for k in keys for n in r.sources[k])
        missing = [r.incomplete[k] for k in keys if k in r.incomplete]
        if missing:
            r.incomplete["buildings_heat_mwh"] = missing[0]
    else:
        r.sources["buildings_heat_mwh"] = ()
        r.incomplete["buildings_heat_mwh"] = Shortfall.NOT_METERED
    level, reference = cfg.io.buffer_outlet, cfg.io.wood_setpoint
    r.sources["band_pct"] = (level, reference)
    r.band_share = time_within(conn, site, level, reference, cfg.plant.regulation_band_k, start, end).share
    if r.band_share is None:
        r.incomplete["band_pct"] = Shortfall.NO_READINGS
    r.electricity_kwh = _counter(conn, cfg, r, "electricity_kwh", m.electricity_energy, 1.0)
    if m.electricity_power in cfg.points_by_name:
        r.sources["electricity_peak_kw"] = (m.electricity_power,)
        r.electricity_peak_kw = peak(conn, site, m.electricity_power, start, end)
    else:
        r.sources["electricity_peak_kw"] = ()
        r.incomplete["electricity_peak_kw"] = Shortfall.NOT_METERED
    r.makeup_water_l = _counter(conn, cfg, r, "makeup_water_l", m.makeup_water, 1.0)


def _money_and_carbon(cfg: PlantConfig, r: EnergyReport) -> None:
    """CO₂ avoided against an all-oil plant and the cost of the period (``config.metering``)."""
    plant, m = cfg.plant, cfg.metering
    total = r.total_heat_mwh
    oil_fuel_kwh = None if r.oil_heat_mwh is None else 1000.0 * r.oil_heat_mwh / plant.oil_efficiency
    if total is not None and oil_fuel_kwh is not None and r.chips_burnt_t is not None:
        all_oil = 1000.0 * total / plant.oil_efficiency * m.co2_oil_kg_per_kwh
        wood = r.chips_burnt_t * plant.chips_lhv_kwh_per_t * m.co2_wood_kg_per_kwh
        r.co2_avoided_t = (all_oil - wood - oil_fuel_kwh * m.co2_oil_kg_per_kwh) / 1000.0
    chips, kwh, water = r.chips_burnt_t, r.electricity_kwh, r.makeup_water_l
    if chips is None or oil_fuel_kwh is None or kwh is None or water is None:
        return
    r.cost_eur = (
        chips * m.chips_eur_per_t
        + oil_fuel_kwh / plant.oil_kwh_per_litre * m.oil_eur_per_litre
        + kwh * m.electricity_eur_per_kwh
        + water / 1000.0 * m.water_eur_per_m3
    )


def _oil_heat(cfg: PlantConfig, r: EnergyReport) -> None:
    """Oil heat from litres when the litre counter is trusted and moved, else from run time;
    incomplete when neither can be trusted."""
    plant = cfg.plant
    if r.oil_litres is not None and (r.oil_litres > 0 or r.oil_run_hours is None):
        r.sources["oil_heat_mwh"] = r.sources["oil_litres"]
        r.oil_heat_mwh = r.oil_litres * plant.oil_kwh_per_litre * plant.oil_efficiency / 1000.0
        r.oil_method = "litres"
    elif r.oil_run_hours is not None:
        r.sources["oil_heat_mwh"] = r.sources["oil_run_hours"]
        r.oil_heat_mwh = r.oil_run_hours * plant.oil_capacity_kw / 1000.0
        r.oil_method = "run_time"
    else:
        r.sources["oil_heat_mwh"] = r.sources["oil_litres"]
        r.incomplete["oil_heat_mwh"] = r.incomplete["oil_litres"]


def _events(conn: Connection, site: str, r: EnergyReport) -> None:
    start, end = r.period.start, r.period.end
    e = schema.plant_events
    starts = conn.execute(
        select(e.c.oil_role, e.c.reason).where(
            e.c.site_id == site, e.c.kind == "oil_started", e.c.time >= start, e.c.time < end
        )
    ).all()
    r.oil_starts = dict(Counter(str(role or "unknown") for role, _ in starts))
    r.oil_reasons = dict(Counter(f"{role or 'unknown'}:{reason or 'unknown'}" for role, reason in starts))
    a = schema.alarm_transitions
    rows = conn.execute(
        select(a.c.priority, func.count(func.distinct(a.c.occurrence_id)))
        .where(a.c.site_id == site, a.c.active.is_(True), a.c.time >= start, a.c.time < end)
        .group_by(a.c.priority)
    ).all()
    r.alarms_by_priority = {int(p): int(n) for p, n in rows}


def _interventions(engine: Engine, cfg: PlantConfig, r: EnergyReport, as_of: datetime) -> None:
    """The contract report's figures of the same calls (one rule: :mod:`~chaufferie.historian.contract`)."""
    calls = contract_calls(engine, cfg, r.period.start, r.period.end, as_of)
    r.interventions = len(calls)
    r.interventions_late = sum(1 for c in calls if c.late)
    r.late_days = sum(c.late_days for c in calls)
    r.penalties_eur = round(sum(c.penalty_eur for c in calls), 2)


def degree_days(conn: Connection, cfg: PlantConfig, start: datetime, end: datetime) -> tuple[float, int]:
    """DJU over [start, end) and the number of local days without outdoor data."""
    tz = ZoneInfo(cfg.site.timezone)
    t, p = schema.rollup_hour, schema.points
    rows = conn.execute(
        select(t.c.bucket, t.c.min, t.c.max)
        .join(p, p.c.id == t.c.point_id)
        .where(p.c.site_id == cfg.site.id, p.c.name == cfg.io.outdoor, t.c.bucket >= start, t.c.bucket < end)
    ).all()
    extremes: dict[date, list[float]] = defaultdict(list)
    for bucket, low, high in rows:
        if low is not None and high is not None:
            extremes[bucket.astimezone(tz).date()].extend((low, high))
    base = cfg.plant.degree_day_base_c
    total = sum(max(0.0, base - (min(v) + max(v)) / 2.0) for v in extremes.values())
    days = round((end - start).total_seconds() / 86400)
    return round(total, 2), max(0, days - len(extremes))
