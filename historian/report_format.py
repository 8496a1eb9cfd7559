"""The energy report as CSV (French or RFC 4180), XML (``exchange.xsd``) and HTML.

:func:`figures` flattens a report into named figures (the keys of
:data:`~chaufferie.historian.catalogue.FIGURES`), the one list every format writes. Times
are shown in the site's time zone, ISO 8601 with their offset.

CSV variants: ``fr`` for French spreadsheets (``;`` separator, decimal comma, UTF-8 with
BOM, French headings with units) and ``rfc4180`` (``,``, decimal point, CRLF, keys as
headings) for programs.
"""

from __future__ import annotations

import csv
import html
import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from chaufferie.historian.catalogue import BUILDING_FIGURE, Language, figure_label, figure_unit, text
from chaufferie.historian.exchange import NS, to_bytes
from chaufferie.historian.readings import MAX_GAP, Shortfall
from chaufferie.historian.report import EnergyReport

CsvStyle = Literal["fr", "rfc4180"]
Value = str | float | int | None


def rounded(value: float | None, digits: int, scale: float = 1.0) -> float | None:
    """``value`` × ``scale`` to ``digits`` decimals; None stays None (a figure not computed)."""
    return None if value is None else round(scale * value, digits)


def figures(report: EnergyReport, lhv_kwh_per_t: float, tz: ZoneInfo) -> dict[str, Value]:
    """Every figure of ``report`` by key (numbers rounded for reading; None when it cannot be
    computed — see ``report.incomplete`` for those whose data are incomplete). A building's
    heat is ``building_heat_mwh.<id>``, one per building of the configuration, before their sum."""
    buildings: dict[str, Value] = {
        f"{BUILDING_FIGURE}.{b}": rounded(mwh, 3) for b, mwh in report.building_heat_mwh.items()
    }
    return {
        "period": report.period.label,
        "start": report.period.start.astimezone(tz).isoformat(),
        "end": report.period.end.astimezone(tz).isoformat(),
        "wood_heat_mwh": rounded(report.wood_heat_mwh, 3),
        "oil_heat_mwh": rounded(report.oil_heat_mwh, 3),
        "total_heat_mwh": rounded(report.total_heat_mwh, 3),
        **buildings,
        "buildings_heat_mwh": rounded(report.buildings_heat_mwh, 3),
        "loss_pct": rounded(report.loss_rate, 2, 100),
        "coverage_pct": rounded(report.coverage_rate, 2, 100),
        "oil_litres": rounded(report.oil_litres, 1),
        "oil_run_hours": rounded(report.oil_run_hours, 2),
        "chips_delivered_t": round(report.chips_delivered_t, 3),
        "chips_burnt_t": rounded(report.chips_burnt_t, 3),
        "chips_humidity_pct": rounded(report.chips_humidity_pct, 1),
        "chips_out_of_contract": report.chips_out_of_contract,
        "efficiency_pct": rounded(report.efficiency(lhv_kwh_per_t), 2, 100),
        "band_pct": rounded(report.band_share, 2, 100),
        "electricity_kwh": rounded(report.electricity_kwh, 1),
        "electricity_peak_kw": rounded(report.electricity_peak_kw, 2),
        "electricity_avg_kw": rounded(report.electricity_avg_kw, 3),
        "makeup_water_l": rounded(report.makeup_water_l, 1),
        "degree_days": round(report.degree_days, 1),
        "degree_days_missing": report.degree_days_missing,
        "kwh_per_degree_day": rounded(report.kwh_per_degree_day, 1),
        "co2_avoided_t": rounded(report.co2_avoided_t, 2),
        "cost_eur": rounded(report.cost_eur, 2),
        "eur_per_mwh": rounded(report.eur_per_mwh, 2),
        "oil_starts_replacement": report.oil_starts.get("replacement", 0),
        "oil_starts_top_up": report.oil_starts.get("top_up", 0),
        "alarms_p1": report.alarms_by_priority.get(1, 0),
        "alarms_p2": report.alarms_by_priority.get(2, 0),
        "alarms_p3": report.alarms_by_priority.get(3, 0),
        "interventions": report.interventions,
        "interventions_late": report.interventions_late,
        "late_days": report.late_days,
        "penalties_eur": round(report.penalties_eur, 2),
    }


def marked_figures(report: EnergyReport, lhv: float, tz: ZoneInfo, language: Language) -> dict[str, Value]:
    """:func:`figures`, those whose data are incomplete replaced by the words saying so."""
    values = figures(report, lhv, tz)
    for key, why in report.incomplete.items():
        values[key] = text(_status(why), language)
    return values


def label(report: EnergyReport, key: str, language: Language) -> str:
    """The heading of figure ``key`` of ``report`` (its buildings named)."""
    return figure_label(key, language, report.building_names)


def _periods(report: EnergyReport) -> list[EnergyReport]:
    return [*report.months, report] if report.months else [report]


def french_number(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", ",") if value == value else ""
    return str(value)


def write_csv(header: Sequence[str], rows: Sequence[Sequence[Value]], style: CsvStyle) -> bytes:
    """A CSV document in ``style`` (see the module docstring)."""
    out = io.StringIO(newline="")
    if style == "fr":
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([french_number(v) for v in row] for row in rows)
        return "\ufeff".encode() + out.getvalue().encode()
    writer = csv.writer(out, delimiter=",", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode()


def report_csv(report: EnergyReport, lhv: float, tz: ZoneInfo, style: CsvStyle = "fr") -> bytes:
    """One line per month (seasonal report) and one for the whole period."""
    keys = list(figures(report, lhv, tz))
    language: Language = "fr" if style == "fr" else "en"
    periods = _periods(report)
    covered = [k for k in keys if any(k in p.coverage for p in periods)]
    header = [label(report, k, "fr") for k in keys] if style == "fr" else list(keys)
    header += (
        [f"{text('coverage', 'fr')} — {label(report, k, 'fr')}" for k in covered]
        if style == "fr"
        else [f"{k}_coverage" for k in covered]
    )
    rows = [
        [
            *marked_figures(p, lhv, tz, language).values(),
            *(rounded(p.coverage[k].fraction, 3) if k in p.coverage else None for k in covered),
        ]
        for p in periods
    ]
    return write_csv(header, rows, style)


def report_xml(report: EnergyReport, lhv: float, tz: ZoneInfo, timezone: str) -> bytes:
    """The report as an ``EnergyReport`` document of ``exchange.xsd``."""
    root = ET.Element(f"{{{NS}}}EnergyReport", version="1", siteId=report.site_id, created=_now())
    ET.SubElement(root, f"{{{NS}}}Site", id=report.site_id, name=report.site_name, timezone=timezone)
    for period in [report, *report.months]:
        element = ET.SubElement(
            root,
            f"{{{NS}}}Period",
            label=period.period.label,
            kind=period.period.kind,
            start=period.period.start.astimezone(tz).isoformat(),
            end=period.period.end.astimezone(tz).isoformat(),
        )
        for key, value in figures(period, lhv, tz).items():
            if key in ("period", "start", "end"):
                continue
            attrs = {"key": key, "unit": figure_unit(key)}
            if value is not None:
                attrs["value"] = str(value)
            if key in period.incomplete:
                why = period.incomplete[key]
                status = _status(why)
                attrs |= {"status": status, "reason": why.value}
                attrs["note"] = f"{text(status, 'fr')} / {text(status, 'en')}"
            covered = period.coverage.get(key)
            if covered is not None:
                attrs["coverage"] = str(round(covered.fraction, 3))
            figure = ET.SubElement(element, f"{{{NS}}}Figure", attrs)
            for gap in covered.gaps if covered is not None else ():
                ET.SubElement(
                    figure,
                    f"{{{NS}}}Gap",
                    start=gap.start.astimezone(tz).isoformat(),
                    end=gap.end.astimezone(tz).isoformat(),
                )
        for reason, count in sorted(period.oil_reasons.items()):
            kind, _, cause = reason.partition(":")
            ET.SubElement(element, f"{{{NS}}}OilStarts", kind=kind, reason=cause, count=str(count))
        for priority, count in sorted(period.alarms_by_priority.items()):
            ET.SubElement(element, f"{{{NS}}}Alarms", priority=str(priority), count=str(count))
    return to_bytes(root)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def report_html(report: EnergyReport, lhv: float, tz: ZoneInfo, language: Language = "fr") -> bytes:
    """A self-contained printable HTML page of the report."""
    esc = html.escape
    title = text(f"report_title_{report.period.kind}", language)
    periods = _periods(report)
    values = [marked_figures(p, lhv, tz, language) for p in periods]
    head = "<th></th>" + "".join(f"<th>{esc(p.period.label)}</th>" for p in periods)
    body = ""
    for key in values[-1]:
        if key in ("period", "start", "end"):
            continue
        cells = "".join(f"<td>{esc(shown(v[key], language))}</td>" for v in values)
        body += f"<tr><th>{esc(label(report, key, language))}</th>{cells}</tr>\n"
    method = text(f"oil_method_{report.oil_method}", language)
    starts = "".join(
        f"<li>{esc(text(kind, language))} — {esc(why)} : {count}</li>"
        for kind, _, why, count in ((*r.partition(":"), n) for r, n in sorted(report.oil_reasons.items()))
    )
    page = f"""<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8"><title>{esc(title)} {esc(report.period.label)}</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px}}td{{text-align:right}}</style></head>
<body><h1>{esc(title)} — {esc(report.site_name)} — {esc(report.period.label)}</h1>
<table><thead><tr>{head}</tr></thead><tbody>
{body}</tbody></table>
<p>{esc(method)}</p>{_incomplete_note(periods, language)}{_coverage_note(periods, tz, language)}
<h2>{esc(text("oil_starts_title", language))}</h2><ul>{starts}</ul>
</body></html>
"""
    return page.encode()


def _incomplete_note(periods: Sequence[EnergyReport], language: Language) -> str:
    """Which figures of which period have incomplete data, and why (empty when none)."""
    items = "".join(
        f"<li>{html.escape(p.period.label)} — {html.escape(label(p, key, language))} : "
        f"{html.escape(text(_status(why), language))} ({html.escape(_reason(why, language))})</li>"
        for p in periods
        for key, why in p.incomplete.items()
    )
    return f"\n<h2>{html.escape(text('incomplete_title', language))}</h2><ul>{items}</ul>" if items else ""


def _coverage_note(periods: Sequence[EnergyReport], tz: ZoneInfo, language: Language) -> str:
    """Each point not fully covered in a period: its coverage and its gaps (empty when none)."""
    esc = html.escape
    items = ""
    for p in periods:
        for name, covered in p.point_coverage.items():
            if covered.complete:
                continue
            gaps = "; ".join(
                text("gap", language).format(
                    days=shown(round(g.days, 1), language),
                    start=g.start.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                    end=g.end.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                )
                for g in covered.gaps
            )
            share = shown(round(100 * covered.fraction), language)
            items += (
                f"<li>{esc(p.period.label)} — {esc(name)} : {share} %{' — ' + esc(gaps) if gaps else ''}</li>"
            )
    return f"\n<h2>{esc(text('coverage_title', language))}</h2><ul>{items}</ul>" if items else ""


def _status(why: Shortfall) -> str:
    return "not_metered" if why is Shortfall.NOT_METERED else "incomplete"


def _reason(why: Shortfall, language: Language) -> str:
    return text(f"shortfall_{why.value}", language).format(hours=round(MAX_GAP.total_seconds() / 3600))


def shown(value: Value, language: Language) -> str:
    """A figure as a cell: decimal comma in French, empty for None."""
    if language == "fr":
        return french_number(value)
    return "" if value is None else str(value)
