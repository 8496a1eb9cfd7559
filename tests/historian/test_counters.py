"""Counters you can trust and the coverage of every figure (issue 19, items 3–4).

A meter that wraps past its ``counter.rollover`` index is counted through without any action;
a drop that is not a rollover stays a reset (données incomplètes). Every figure read from
points carries the share of the period its readings cover and the gaps longer than MAX_GAP.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from pydantic import ValidationError

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import CounterSpec
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.readings import Gap, Shortfall, increment, wrapped
from chaufferie.historian.report import EnergyReport, build_report, parse_period
from chaufferie.historian.report_format import report_csv, report_html, report_xml
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.pages.reports import figure_rows, gap_rows
from tests.historian.support import tag

PARIS = ZoneInfo("Europe/Paris")
XSD = Path(__file__).parents[2] / "historian" / "exchange.xsd"
NS = {"c": "urn:chaufferie:exchange:1"}
ROLLOVER = 99999.0


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def with_rollover(cfg: PlantConfig, name: str = "meter.energy") -> PlantConfig:
    points = tuple(
        p.model_copy(update={"counter": CounterSpec(rollover=ROLLOVER)}) if p.name == name else p
        for p in cfg.points
    )
    return cfg.model_copy(update={"points": points})


async def _report(
    cfg: PlantConfig, bus: Bus, clock: VirtualClock, readings: list[tuple[datetime, float]], month: str
) -> EnergyReport:
    async with HistorianWriter(cfg, bus, clock) as writer:
        for t, value in readings:
            writer.accept(tag("meter.energy", value, t))
        await writer.flush()
        return build_report(writer.engine, cfg, parse_period(month, cfg))


def hourly(start: datetime, hours: int, first: float, step: float) -> list[tuple[datetime, float]]:
    return [(start + timedelta(hours=i), first + step * i) for i in range(hours)]


def test_the_rollover_rule() -> None:
    assert wrapped(99990.0, 5.0, ROLLOVER)
    assert increment(99990.0, 5.0, ROLLOVER) == pytest.approx(15.0)
    assert not wrapped(50000.0, 5.0, ROLLOVER)  # a drop from mid-range: a replacement, not a wrap
    assert not wrapped(99990.0, 5.0, None)
    assert increment(100.0, 130.0, ROLLOVER) == pytest.approx(30.0)


async def test_a_month_with_a_three_day_gap_is_covered_at_90_percent_and_names_the_gap(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    start = local(2026, 10, 31, 23, 30)  # November 2026: 30 days, no clock change
    readings = [
        (t, v)
        for t, v in hourly(start, 30 * 24 + 1, 1000.0, 10.0)
        if not local(2026, 11, 10) <= t < local(2026, 11, 13)
    ]
    november = await _report(historian_config, bus, clock, readings, "2026-11")
    wood = november.coverage["wood_heat_mwh"]
    assert wood.fraction == pytest.approx(27 / 30)
    assert wood.gaps == (Gap(local(2026, 11, 10), local(2026, 11, 13)),)
    assert wood.gaps[0].days == pytest.approx(3.0)
    assert november.partial("wood_heat_mwh")
    assert november.incomplete["wood_heat_mwh"] is Shortfall.GAP  # marked, never a silent figure
    # a derived figure rests on the points of its inputs, and so carries the gap too
    assert Gap(local(2026, 11, 10), local(2026, 11, 13)) in november.coverage["coverage_pct"].gaps
    assert november.sources["coverage_pct"][0] == "meter.energy"

    document = etree.fromstring(report_xml(november, 3500.0, PARIS, "Europe/Paris"))
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(document)
    figure = document.find("c:Period/c:Figure[@key='wood_heat_mwh']", NS)
    assert figure is not None
    assert figure.get("coverage") == "0.9"
    gap = figure.find("c:Gap", NS)
    assert gap is not None
    assert gap.get("start") == local(2026, 11, 10).astimezone(PARIS).isoformat()
    assert gap.get("end") == local(2026, 11, 13).astimezone(PARIS).isoformat()


async def test_a_month_without_data_has_no_figure_and_no_coverage(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    readings = hourly(local(2026, 10, 31, 23, 30), 24, 1000.0, 10.0)
    december = await _report(historian_config, bus, clock, readings, "2026-12")
    assert december.wood_heat_mwh is None
    assert december.incomplete["wood_heat_mwh"] is Shortfall.NO_READINGS
    assert december.coverage["wood_heat_mwh"].fraction == 0.0
    assert december.coverage["wood_heat_mwh"].gaps == (Gap(local(2026, 12, 1), local(2027, 1, 1)),)


async def test_a_complete_month_is_fully_covered(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    november = await _report(
        historian_config,
        bus,
        clock,
        hourly(local(2026, 10, 31, 23, 30), 30 * 24 + 1, 1000.0, 10.0),
        "2026-11",
    )
    assert november.wood_heat_mwh == pytest.approx(7.2)
    assert november.coverage["wood_heat_mwh"].complete
    assert not november.partial("wood_heat_mwh")


def _wrapping_january() -> list[tuple[datetime, float]]:
    """January 2026, 10 kWh an hour from 99 000: the 5-digit meter wraps on the 5th."""
    true = hourly(local(2025, 12, 31, 23, 30), 31 * 24 + 1, 99000.0, 10.0)
    return [(t, v % (ROLLOVER + 1)) for t, v in true]


async def test_a_rollover_is_counted_through_without_any_action(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    january = await _report(with_rollover(historian_config), bus, clock, _wrapping_january(), "2026-01")
    assert "wood_heat_mwh" not in january.incomplete
    assert january.wood_heat_mwh == pytest.approx(31 * 24 * 10 / 1000.0)  # the true consumption


async def test_without_a_rollover_index_the_wrap_is_a_reset(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    january = await _report(historian_config, bus, clock, _wrapping_january(), "2026-01")
    assert january.wood_heat_mwh is None
    assert january.incomplete["wood_heat_mwh"] is Shortfall.RESET


async def test_a_drop_from_mid_range_is_a_suspected_replacement_not_a_rollover(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    before = hourly(local(2025, 12, 31, 23, 30), 15 * 24, 50000.0, 10.0)
    after = hourly(local(2026, 1, 15, 23, 30), 16 * 24 + 1, 3.0, 10.0)  # the new meter
    january = await _report(with_rollover(historian_config), bus, clock, before + after, "2026-01")
    assert january.wood_heat_mwh is None
    assert january.incomplete["wood_heat_mwh"] is Shortfall.RESET


async def test_the_reports_page_shows_each_figures_coverage_and_the_gaps(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    readings = [
        (t, v)
        for t, v in hourly(local(2026, 10, 31, 23, 30), 30 * 24 + 1, 1000.0, 10.0)
        if not local(2026, 11, 10) <= t < local(2026, 11, 13)
    ]
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for t, value in readings:
            writer.accept(tag("meter.energy", value, t))
        await writer.flush()
        report = await HmiHistory(historian_config, writer.engine).report("2026-11")
    for lang, name, share, words in (
        ("fr", "Chaleur bois (MWh)", "90 %", "données incomplètes"),
        ("en", "Heat from wood (MWh)", "90 %", "incomplete data"),
    ):
        rows = {row["name"]: row for row in figure_rows(report, lang)}
        assert rows[name]["coverage"] == share
        assert rows[name]["value"] == words
        gaps = [row for row in gap_rows(report, lang) if row["point"] == "meter.energy"]
        assert gaps == [
            {
                "point": "meter.energy",
                "from": "10/11/2026 00:00:00",
                "to": "13/11/2026 00:00:00",
                "days": "3,0" if lang == "fr" else "3.0",
            }
        ]


async def test_csv_and_html_carry_the_coverage_and_name_the_gap(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    readings = [
        (t, v)
        for t, v in hourly(local(2026, 10, 31, 23, 30), 30 * 24 + 1, 1000.0, 10.0)
        if not local(2026, 11, 10) <= t < local(2026, 11, 13)
    ]
    november = await _report(historian_config, bus, clock, readings, "2026-11")
    french = next(
        csv.DictReader(io.StringIO(report_csv(november, 3500.0, PARIS).decode("utf-8-sig")), delimiter=";")
    )
    assert french["Couverture — Chaleur bois (MWh)"] == "0,9"
    plain = next(csv.DictReader(io.StringIO(report_csv(november, 3500.0, PARIS, "rfc4180").decode())))
    assert plain["wood_heat_mwh_coverage"] == "0.9"
    page = report_html(november, 3500.0, PARIS, "fr").decode()
    assert "meter.energy : 90 % — trou de 3,0 jours du 10/11/2026 00:00 au 13/11/2026 00:00" in page
    english = report_html(november, 3500.0, PARIS, "en").decode()
    assert "gap of 3.0 days from 10/11/2026 00:00 to 13/11/2026 00:00" in english


def test_a_rollover_index_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="rollover"):
        CounterSpec(rollover=0)
