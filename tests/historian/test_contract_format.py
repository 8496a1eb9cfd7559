"""The contract report's figures and formats from calls counted by hand (the season test in
tests/access/test_contract_report.py builds them from a replay through the interventions table)."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from chaufferie.historian.contract import ContractCall, ContractReport, summarise
from chaufferie.historian.contract_format import contract_csv, contract_html, contract_xml
from chaufferie.historian.report import Period

PARIS = ZoneInfo("Europe/Paris")
XSD = Path(__file__).parents[2] / "historian" / "exchange.xsd"
H = timedelta(hours=1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def call(call_id: str, opened: datetime, **kw: object) -> ContractCall:
    values: dict[str, object] = {
        "origin": "call",
        "code": "CHB-DEF",
        "priority": 1,
        "deadline": opened + 8 * H,
        "acknowledged": opened + 0.5 * H,
        "arrival": opened + 3 * H,
        "late_days": 0,
        "index": 1.0735,
        "penalty_eur": 0.0,
    } | kw
    return ContractCall(call_id, opened=opened, **values)  # type: ignore[arg-type]


SEASON = Period("2025-2026", local(2025, 10, 1), local(2026, 6, 1), "season")
OCTOBER = Period("2025-10", local(2025, 10, 1), local(2025, 11, 1), "month")
NOVEMBER = Period("2025-11", local(2025, 11, 1), local(2025, 12, 1), "month")
CALLS = [
    call("a", local(2025, 10, 4, 22, 0), acknowledged=None, arrival=None, late_days=3, penalty_eur=322.05),
    call("b", local(2025, 10, 8, 9, 0), origin="phone", code=None, priority=None, caller="Mairie"),
    call(
        "c",
        local(2025, 11, 3, 10, 0),
        arrival=local(2025, 11, 5, 10, 0),
        late_days=1,
        penalty_eur=0.0,
        dispute="accepted",
        dispute_reason="défaut d'alimentation électrique",
    ),
    call(
        "d",
        local(2025, 11, 10, 10, 0),
        acknowledged=local(2025, 11, 10, 12, 0),
        arrival=local(2025, 11, 12, 10, 0),
        late_days=1,
        penalty_eur=107.35,
        dispute="rejected",
        dispute_reason="appel inutile",
    ),
]


def report() -> ContractReport:
    months = [summarise(CALLS, OCTOBER), summarise(CALLS, NOVEMBER)]
    return ContractReport(
        "joucas", "Chaufferie de Joucas", local(2025, 12, 1), summarise(CALLS, SEASON), months
    )


def test_summary_counts_calls_by_origin_delays_late_days_penalties_and_disputes() -> None:
    whole, october, november = (p.figures() for p in (report().whole, *report().months))
    assert whole["calls"] == 4
    assert whole["calls_call"] == 3
    assert whole["calls_phone"] == 1
    assert whole["acknowledged"] == 3  # "a" was never acknowledged
    assert whole["ack_median_h"] == 0.5
    assert whole["ack_max_h"] == 2.0
    assert whole["arrived"] == 3
    assert whole["arrival_max_h"] == 48.0
    assert whole["late_calls"] == 3
    assert whole["late_days"] == 5
    assert whole["penalties_eur"] == round(322.05 + 107.35, 2)
    assert whole["disputes_accepted"] == 1
    assert whole["disputes_rejected"] == 1
    assert october["calls"] == 2
    assert november["calls"] == 2
    assert october["penalties_eur"] + november["penalties_eur"] == whole["penalties_eur"]


def test_csv_is_french_one_line_per_call() -> None:
    data = contract_csv(report(), PARIS)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, lines = rows[0], rows[1:]
    assert len(lines) == 4
    line = dict(zip(header, lines[0], strict=True))
    assert line["Origine"] == "centrale"
    assert line["Appel"] == "2025-10-04T22:00:00+02:00"
    assert line["Pénalité (€)"] == "322,05"
    assert line["Coefficient de révision"] == "1,0735"
    assert line["Acquittement"] == ""  # never acknowledged: empty, not 0
    disputed = dict(zip(header, lines[2], strict=True))
    assert disputed["Contestation"] == "injustifiée (acceptée)"


def test_xml_validates_against_the_published_schema() -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(contract_xml(report(), PARIS, "Europe/Paris"))
    schema.assertValid(document)
    ns = {"c": "urn:chaufferie:exchange:1"}
    periods = document.findall("c:Period", ns)
    assert [p.get("label") for p in periods] == ["2025-2026", "2025-10", "2025-11"]
    calls = periods[0].findall("c:Call", ns)
    assert [c.get("callId") for c in calls] == ["a", "b", "c", "d"]
    assert calls[0].get("acknowledged") is None
    assert calls[0].get("lateDays") == "3"
    penalties = periods[0].find("c:Figure[@key='penalties_eur']", ns)
    assert penalties is not None
    assert penalties.get("value") == "429.4"


def test_html_names_late_and_disputed_calls_in_words() -> None:
    page = contract_html(report(), PARIS).decode()
    assert html.escape("Rapport du contrat d'exploitation — saison de chauffe") in page
    assert "contestation rejetée" in page
    assert "injustifiée (acceptée)" in page
    assert page.count('class="late') == 3
    english = contract_html(report(), PARIS, "en").decode()
    assert "Disputes accepted" in english
