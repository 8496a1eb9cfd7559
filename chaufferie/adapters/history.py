"""The historian behind the HMI's ``HistoryQueries`` port.

Queries run in a worker thread (the database driver is synchronous) so the HMI never blocks
the loop. Event exports: French CSV (``;``, decimal comma, BOM) or the XML exchange batch
(``historian/exchange.xsd``) of the same time range.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select

from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.exchange import export_batch
from chaufferie.historian.history import HistoryEntry, HistoryFilter, history
from chaufferie.historian.history_export import history_csv
from chaufferie.historian.report import build_report, parse_period
from chaufferie.historian.report_format import figures, report_csv, report_xml
from chaufferie.historian.trends import trend
from chaufferie.hmi.ports import (
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
    """``HistoryQueries`` over the historian's engine."""

    def __init__(self, cfg: PlantConfig, engine: Engine) -> None:
        self.cfg = cfg
        self.engine = engine
        self.tz = ZoneInfo(cfg.site.timezone)

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
        )

    async def events(self, query: EventQuery) -> list[HistoryRecord]:
        entries = await asyncio.to_thread(history, self.engine, self._filter(query), query.limit)
        records = [_record(e) for e in entries]
        if query.kinds == frozenset({RecordKind.OIL}):
            records = [r for r in records if r.kind is RecordKind.OIL]
        return records

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
        built = await asyncio.to_thread(build_report, self.engine, self.cfg, parse_period(period, self.cfg))
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
            {"oil_reasons": dict(built.oil_reasons)},
        )

    async def export_events(self, query: EventQuery, fmt: ExportFormat) -> bytes:
        if fmt is ExportFormat.XML:
            return await asyncio.to_thread(export_batch, self.engine, self.cfg, query.start, query.end)
        entries = await asyncio.to_thread(history, self.engine, self._filter(query), query.limit)
        return history_csv(entries, self.tz)

    async def export_report(self, period: str, fmt: ExportFormat) -> bytes:
        built = await asyncio.to_thread(build_report, self.engine, self.cfg, parse_period(period, self.cfg))
        lhv = self.cfg.plant.chips_lhv_kwh_per_t
        if fmt is ExportFormat.XML:
            return report_xml(built, lhv, self.tz, self.cfg.site.timezone)
        return report_csv(built, lhv, self.tz)
