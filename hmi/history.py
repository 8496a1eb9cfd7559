"""The historian's queries, reports and exports as the HMI's pages ask for them.

Queries run in a worker thread (the database driver is synchronous) so the HMI never blocks
the loop. The listing and both event exports — French CSV (``;``, decimal comma, BOM) and the
XML exchange batch (``historian/exchange.xsd``) with a header naming the filters — hold the
same entries: those the page's filters select, less what the reader's role may not read
(``historian/history_access``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select

from chaufferie.config.clock import Clock, RealClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.contract import build_contract_report
from chaufferie.historian.contract_format import contract_csv, contract_html, contract_xml
from chaufferie.historian.history import HistoryEntry, HistoryFilter, history
from chaufferie.historian.history_access import withheld_for
from chaufferie.historian.history_export import Selection, history_csv, history_xml
from chaufferie.historian.readings import Shortfall
from chaufferie.historian.report import EnergyReport, build_report, parse_period
from chaufferie.historian.report_format import figures, report_csv, report_xml
from chaufferie.historian.trends import trend
from chaufferie.hmi.records import (
    EventQuery,
    ExportFormat,
    HistoryRecord,
    Interval,
    RecordKind,
    Report,
    TrendPoint,
    TrendSeries,
)

_TYPES = {
    RecordKind.PLANT_EVENT: "plant",
    RecordKind.OIL: "plant",
    RecordKind.ALARM: "alarm",
    RecordKind.ACTION: "action",
    RecordKind.NOTIFICATION: "notification",
    RecordKind.LINK: "link",
}
_KINDS = {v: k for k, v in _TYPES.items() if k is not RecordKind.OIL}


def _record(e: HistoryEntry) -> HistoryRecord:
    kind = RecordKind.OIL if e.type == "plant" and e.oil_role else _KINDS.get(e.type, RecordKind.PLANT_EVENT)
    detail = e.kind if not e.oil_role else f"{e.kind} ({e.oil_role})"
    occurrence = e.details.get("occurrence_id") if isinstance(e.details, dict) else None
    return HistoryRecord(
        time=e.time,
        kind=kind,
        what=e.message or e.kind,
        detail=detail,
        code=e.code,
        priority=e.priority,
        user=e.user,
        channel=e.channel,
        occurrence_id=occurrence if isinstance(occurrence, str) else None,
    )


class HmiHistory:
    """Events, trends, reports and exports over the historian's engine."""

    def __init__(self, cfg: PlantConfig, engine: Engine, clock: Clock | None = None) -> None:
        self.cfg = cfg
        self.engine = engine
        self.tz = ZoneInfo(cfg.site.timezone)
        self.clock: Clock = clock or RealClock()
        """Reports count calls still open late up to this clock's now."""

    def _filter(self, q: EventQuery) -> HistoryFilter:
        types = tuple(sorted({_TYPES[k] for k in q.kinds}))
        return HistoryFilter(
            start=q.start,
            end=q.end,
            types=types,
            code=q.code,
            priority=q.priority,
            user=q.user,
            text=q.text or None,
            site_id=self.cfg.site.id,
            hidden_actions=withheld_for(q.role).action_kinds,
        )

    def _entries(self, q: EventQuery) -> list[HistoryEntry]:
        """The entries the page lists and exports for ``q``."""
        entries = history(self.engine, self._filter(q), q.limit)
        if RecordKind.OIL in q.kinds and RecordKind.PLANT_EVENT not in q.kinds:
            entries = [e for e in entries if e.type != "plant" or e.oil_role]
        return entries

    async def events(self, query: EventQuery) -> list[HistoryRecord]:
        entries = await asyncio.to_thread(self._entries, query)
        return [_record(e) for e in entries]

    async def occurrence(self, occurrence_id: str) -> list[HistoryRecord]:
        return await asyncio.to_thread(self._occurrence, occurrence_id)

    def _occurrence(self, occurrence_id: str) -> list[HistoryRecord]:
        t, n, a = schema.alarm_transitions, schema.notifications, schema.operator_actions
        out: list[HistoryRecord] = []
        with self.engine.connect() as conn:
            for row in conn.execute(select(t).where(t.c.occurrence_id == occurrence_id)).mappings():
                out.append(
                    HistoryRecord(
                        row["time"],
                        RecordKind.ALARM,
                        row["message"] or row["state"],
                        f"{row['previous']} → {row['state']} ({row['trigger']})",
                        row["code"],
                        row["priority"],
                        row.get("user"),
                        row.get("channel"),
                        occurrence_id,
                    )
                )
            for row in conn.execute(select(n).where(n.c.occurrence_id == occurrence_id)).mappings():
                out.append(
                    HistoryRecord(
                        row["time"],
                        RecordKind.NOTIFICATION,
                        f"{row['medium']} → {row['recipient']}",
                        row["status"],
                        row["code"],
                        None,
                        None,
                        row["medium"],
                        occurrence_id,
                    )
                )
            actions = select(a).where(or_(a.c.target == occurrence_id))
            for row in conn.execute(actions).mappings():
                out.append(
                    HistoryRecord(
                        row["time"],
                        RecordKind.ACTION,
                        row["kind"],
                        row["result"],
                        None,
                        None,
                        row.get("user"),
                        row.get("channel"),
                        occurrence_id,
                    )
                )
        return sorted(out, key=lambda r: r.time)

    async def trend(self, points: Sequence[str], start: datetime, end: datetime) -> list[TrendSeries]:
        found = await asyncio.to_thread(trend, self.engine, self.cfg.site.id, list(points), start, end)
        units = {p.name: p.unit for p in self.cfg.points}
        return [
            TrendSeries(
                name,
                [
                    TrendPoint(tp.time, tp.value, tp.value is not None and tp.good_ratio >= 0.5)
                    for tp in t.points
                ],
                units.get(name, ""),
            )
            for name, t in found.items()
        ]

    async def oil_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        return await asyncio.to_thread(self._oil_intervals, start, end)

    def _oil_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        p = schema.plant_events
        query = (
            select(p.c.time, p.c.kind, p.c.oil_role)
            .where(p.c.kind.in_(("oil_started", "oil_stopped")), p.c.time < end)
            .order_by(p.c.time)
        )
        out: list[Interval] = []
        opened: tuple[datetime, str] | None = None
        with self.engine.connect() as conn:
            for time, kind, role in conn.execute(query):
                if kind == "oil_started" and opened is None:
                    opened = (time, role or "")
                elif kind == "oil_stopped" and opened is not None:
                    if time > start:
                        out.append(Interval(max(opened[0], start), time, opened[1]))
                    opened = None
        if opened is not None:
            out.append(Interval(max(opened[0], start), end, opened[1]))
        return out

    async def report(self, period: str) -> Report:
        built = await asyncio.to_thread(self._report, period)
        values = figures(built, self.cfg.plant.chips_lhv_kwh_per_t, self.tz)
        series = {
            "wood_mwh": [(m.period.label, m.wood_heat_mwh) for m in built.months],
            "oil_mwh": [(m.period.label, m.oil_heat_mwh) for m in built.months],
        }
        return Report(
            f"{self.cfg.site.name} — {period}",
            built.period.start,
            built.period.end,
            values,
            series,
            {
                "oil_reasons": dict(built.oil_reasons),
                "buildings": dict(built.building_names),
                "incomplete": sorted(built.incomplete),
                "not_metered": sorted(
                    k for k, why in built.incomplete.items() if why is Shortfall.NOT_METERED
                ),
                "coverage": {key: c.fraction for key, c in built.coverage.items()},
                "gaps": [
                    (name, gap.start, gap.end)
                    for name, c in sorted(built.point_coverage.items())
                    for gap in c.gaps
                ],
            },
        )

    async def export_events(self, query: EventQuery, fmt: ExportFormat) -> bytes:
        return await asyncio.to_thread(self._export_events, query, fmt)

    def _export_events(self, query: EventQuery, fmt: ExportFormat) -> bytes:
        entries = self._entries(query)
        if fmt is ExportFormat.XML:
            selection = Selection(self._filters_applied(query), withheld_for(query.role), query.limit)
            return history_xml(self.engine, self.cfg, entries, selection)
        return history_csv(entries, self.tz)

    def _filters_applied(self, q: EventQuery) -> list[tuple[str, str]]:
        """The filters of ``q`` as (name, value), those left empty omitted."""
        applied = {
            "start": q.start.astimezone(self.tz).isoformat(),
            "end": q.end.astimezone(self.tz).isoformat(),
            "kinds": " ".join(sorted(k.value for k in q.kinds)),
            "text": q.text,
            "code": q.code or "",
            "priority": "" if q.priority is None else str(q.priority),
            "user": q.user or "",
        }
        return [(name, value) for name, value in applied.items() if value]

    def _report(self, period: str) -> EnergyReport:
        return build_report(self.engine, self.cfg, parse_period(period, self.cfg), as_of=self.clock.now())

    async def export_report(self, period: str, fmt: ExportFormat) -> bytes:
        built = await asyncio.to_thread(self._report, period)
        lhv = self.cfg.plant.chips_lhv_kwh_per_t
        if fmt is ExportFormat.XML:
            return report_xml(built, lhv, self.tz, self.cfg.site.timezone)
        return report_csv(built, lhv, self.tz)

    async def export_contract(self, period: str, fmt: ExportFormat, lang: str) -> bytes:
        """The maintenance contract's report of ``period``, calls still open counted to now."""
        return await asyncio.to_thread(self._export_contract, period, fmt, lang)

    def _export_contract(self, period: str, fmt: ExportFormat, lang: str) -> bytes:
        as_of = self.clock.now()
        built = build_contract_report(self.engine, self.cfg, parse_period(period, self.cfg), as_of)
        if fmt is ExportFormat.XML:
            return contract_xml(built, self.tz, self.cfg.site.timezone)
        if fmt is ExportFormat.HTML:
            return contract_html(built, self.tz, "en" if lang == "en" else "fr")
        return contract_csv(built, self.tz)
