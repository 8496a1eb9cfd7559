"""The contract report as HTML (to read), French CSV and XML (for the accounts).

- CSV: one line per call (the ledger the accounts settle on), in the French style of
  :func:`~chaufferie.historian.report_format.write_csv` (``;``, decimal comma, UTF-8 with BOM)
  or RFC 4180; times in the site's time zone, ISO 8601 with their offset.
- XML: a ``ContractReport`` document of ``exchange.xsd`` (the whole period first, then its
  months), each period with its summary figures and its calls.
- HTML: a self-contained printable page, summary by period then the calls, late and disputed
  ones marked in words (not only in colour).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chaufferie.historian.catalogue import (
    CALL_COLUMNS,
    CONTRACT_FIGURES,
    Language,
    call_label,
    contract_label,
    text,
)
from chaufferie.historian.contract import ContractCall, ContractReport
from chaufferie.historian.exchange import NS, to_bytes
from chaufferie.historian.report_format import CsvStyle, Value, rounded, shown, write_csv


def _time(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat()


def call_values(call: ContractCall, tz: ZoneInfo) -> dict[str, Value]:
    """One call by column key (:data:`~chaufferie.historian.catalogue.CALL_COLUMNS`)."""
    return {
        "call_id": call.call_id,
        "origin": call.origin,
        "code": call.code,
        "priority": call.priority,
        "caller": call.caller,
        "opened": _time(call.opened, tz),
        "deadline": _time(call.deadline, tz),
        "acknowledged": _time(call.acknowledged, tz),
        "ack_h": rounded(call.ack_hours, 2),
        "arrival": _time(call.arrival, tz),
        "arrival_h": rounded(call.arrival_hours, 2),
        "made_safe": _time(call.made_safe, tz),
        "repaired": _time(call.repaired, tz),
        "late_days": call.late_days,
        "index": round(call.index, 4),
        "penalty_eur": round(call.penalty_eur, 2),
        "dispute": call.dispute,
        "dispute_reason": call.dispute_reason,
        "dispute_note": call.dispute_note,
    }


def _shown_call(call: ContractCall, tz: ZoneInfo, language: Language) -> dict[str, Value]:
    """:func:`call_values` with origin and dispute in words (CSV and HTML are read by people)."""
    values = call_values(call, tz)
    values["origin"] = text(f"origin_{call.origin}", language)
    values["dispute"] = text(f"dispute_{call.dispute}", language)
    return values


def _summary(values: dict[str, float | int | None]) -> dict[str, float | int | None]:
    return {k: rounded(v, 2) if isinstance(v, float) else v for k, v in values.items()}


def contract_csv(report: ContractReport, tz: ZoneInfo, style: CsvStyle = "fr") -> bytes:
    """The calls of the whole period, one line each."""
    language: Language = "fr" if style == "fr" else "en"
    keys = list(CALL_COLUMNS)
    header = [call_label(k, language) for k in keys] if style == "fr" else keys
    rows = [
        list((_shown_call(c, tz, language) if style == "fr" else call_values(c, tz)).values())
        for c in report.whole.calls
    ]
    return write_csv(header, rows, style)


def contract_xml(report: ContractReport, tz: ZoneInfo, timezone: str) -> bytes:
    """A ``ContractReport`` document of ``exchange.xsd``."""
    root = ET.Element(
        f"{{{NS}}}ContractReport",
        version="1",
        siteId=report.site_id,
        created=datetime.now(UTC).isoformat(),
        asOf=report.as_of.astimezone(tz).isoformat(),
    )
    ET.SubElement(root, f"{{{NS}}}Site", id=report.site_id, name=report.site_name, timezone=timezone)
    for summary in [report.whole, *report.months]:
        period = summary.period
        element = ET.SubElement(
            root,
            f"{{{NS}}}Period",
            label=period.label,
            kind=period.kind,
            start=period.start.astimezone(tz).isoformat(),
            end=period.end.astimezone(tz).isoformat(),
        )
        for key, value in _summary(summary.figures()).items():
            attrs = {"key": key, "unit": CONTRACT_FIGURES[key][0]}
            if value is not None:
                attrs["value"] = str(value)
            ET.SubElement(element, f"{{{NS}}}Figure", attrs)
        for call in summary.calls:
            attrs = {k: str(v) for k, v in call_values(call, tz).items() if v is not None and v != ""}
            ET.SubElement(element, f"{{{NS}}}Call", _xml_names(attrs))
    return to_bytes(root)


def _xml_names(attrs: dict[str, str]) -> dict[str, str]:
    """snake_case keys as the schema's camelCase attribute names."""
    return {_camel(k): v for k, v in attrs.items()}


def _camel(key: str) -> str:
    first, *rest = key.split("_")
    return first + "".join(part.capitalize() for part in rest)


def contract_html(report: ContractReport, tz: ZoneInfo, language: Language = "fr") -> bytes:
    """A self-contained printable HTML page of the report."""
    esc = html.escape
    whole = report.whole
    title = text(f"contract_title_{whole.period.kind}", language)
    periods = report.periods
    values = [_summary(p.figures()) for p in periods]
    head = "<th></th>" + "".join(f"<th>{esc(p.period.label)}</th>" for p in periods)
    body = "".join(
        f"<tr><th>{esc(contract_label(key, language))}</th>"
        + "".join(f"<td>{esc(shown(v[key], language))}</td>" for v in values)
        + "</tr>\n"
        for key in CONTRACT_FIGURES
    )
    keys = list(CALL_COLUMNS)
    call_head = "".join(f"<th>{esc(call_label(k, language))}</th>" for k in keys)
    call_rows = ""
    for call in whole.calls:
        row = _shown_call(call, tz, language)
        marks = " ".join(m for m, on in (("late", call.late), ("disputed", call.dispute != "none")) if on)
        cells = "".join(f"<td>{esc(shown(row[k], language))}</td>" for k in keys)
        call_rows += f'<tr class="{marks}">{cells}</tr>\n'
    as_of = report.as_of.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    rule = text("contract_rule", language).format(
        hours=_short(report.deadline_hours, language), penalty=_short(report.penalty_eur_per_day, language)
    )
    page = f"""<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8"><title>{esc(title)} {esc(whole.period.label)}</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px}}td{{text-align:right}}tr.late td{{font-weight:bold}}</style></head>
<body><h1>{esc(title)} — {esc(report.site_name)} — {esc(whole.period.label)}</h1>
<p>{esc(text("contract_as_of", language))} {esc(as_of)}. {esc(rule)}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}</tbody></table>
<h2>{esc(text("contract_calls_title", language))}</h2>
<table><thead><tr>{call_head}</tr></thead><tbody>
{call_rows}</tbody></table>
</body></html>
"""
    return page.encode()


def _short(value: float, language: Language) -> str:
    """8.0 → "8", 7.5 → "7,5" in French."""
    shown = f"{value:g}"
    return shown.replace(".", ",") if language == "fr" else shown
