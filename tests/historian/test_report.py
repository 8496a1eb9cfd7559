"""Energy reports: degree-days by hand, wood and oil MWh from counters, CSV columns, XML, HTML."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from chaufferie.cli import main
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, Channel, Context, OilRole, OperatorAction
from chaufferie.historian.readings import Shortfall
from chaufferie.historian.report import EnergyReport, PeriodError, build_report, parse_period
from chaufferie.historian.report_format import report_csv, report_html, report_xml
from chaufferie.historian.writer import HistorianWriter
from tests.historian.support import alarm, config_file, delivery, every, oil_start, tag

PARIS = ZoneInfo("Europe/Paris")
XSD = Path(__file__).parents[2] / "historian" / "exchange.xsd"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


# Outdoor fixture: (local time, °C); by hand, DJU base 18 = max(0, 18 - (Tmin + Tmax) / 2)
OUTDOOR = [
    (local(2026, 1, 5, 0, 10), 4.0),
    (local(2026, 1, 5, 6, 0), 2.0),
    (local(2026, 1, 5, 15, 0), 10.0),
    (local(2026, 1, 5, 23, 50), 1.0),  # still the 5th in Paris (22:50 UTC): Tmin 1, Tmax 10 -> 12.5
    (local(2026, 1, 6, 0, 30), -3.0),
    (local(2026, 1, 6, 14, 0), 5.0),  # -> 17.0
    (local(2026, 1, 7, 3, 0), 16.0),
    (local(2026, 1, 7, 15, 0), 24.0),  # mean 20 -> 0
]
HAND_DJU = 12.5 + 17.0 + 0.0


async def _fill_january(writer: HistorianWriter) -> None:
    for t, value in OUTDOOR:
        writer.accept(tag("outdoor.temp", value, t))
    counters = {
        "meter.energy": (1000.0, 41000.0),
        "oil.litres": (100.0, 600.0),
        "wood.fuel_burnt": (0.0, 12000.0),
    }
    hours = every(local(2026, 1, 1, 0, 30), 3600.0, 31 * 24)  # a reading every hour: enough data
    for point, (first, last) in counters.items():
        writer.accept(tag(point, first - 5.0, local(2025, 12, 31, 20, 0)))
        writer.accept(tag(point, first, local(2025, 12, 31, 23, 30)))  # the value at the month's start
        for i, t in enumerate(hours):
            writer.accept(tag(point, first + (last - first) * i / len(hours), t))
        writer.accept(tag(point, last, local(2026, 1, 31, 23, 59)))
        writer.accept(tag(point, last + 99.0, local(2026, 2, 1, 0, 30)))  # February: not counted
    for t, role in (
        (local(2026, 1, 6, 7), OilRole.REPLACEMENT),
        (local(2026, 1, 9, 7), OilRole.REPLACEMENT),
        (local(2026, 1, 20, 7), OilRole.TOP_UP),
    ):
        writer.accept(
            oil_start(t, role, "wood_fault" if role is OilRole.REPLACEMENT else "wood_insufficient")
        )
    writer.accept(alarm(local(2026, 1, 6, 6), "CHB-DEF", 1))
    writer.accept(alarm(local(2026, 1, 8, 6), "CHB-DEF", 1))
    writer.accept(alarm(local(2026, 1, 8, 9), "SIL-BAS", 2))
    writer.accept(delivery(local(2026, 1, 12, 10), 4.6))
    writer.accept(delivery(local(2025, 12, 12, 10), 9.9))  # December: not counted
    await writer.flush()


@pytest.fixture
async def january(historian_config: PlantConfig, bus: Bus, clock: VirtualClock) -> EnergyReport:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        await _fill_january(writer)
        return build_report(writer.engine, historian_config, parse_period("2026-01", historian_config))


async def test_degree_days_match_the_hand_computation_in_local_days(january: EnergyReport) -> None:
    assert january.degree_days == pytest.approx(HAND_DJU)
    assert january.degree_days_missing == 31 - 3


async def test_monthly_report_figures_come_from_counters_and_events(
    january: EnergyReport, historian_config: PlantConfig
) -> None:
    plant = historian_config.plant
    assert january.wood_heat_mwh == pytest.approx(40.0)
    assert january.oil_litres == pytest.approx(500.0)
    assert january.oil_heat_mwh == pytest.approx(500 * plant.oil_kwh_per_litre * plant.oil_efficiency / 1000)
    assert january.coverage_rate == pytest.approx(40.0 / (40.0 + january.oil_heat_mwh))
    assert january.chips_burnt_t == pytest.approx(12.0)
    assert january.chips_delivered_t == pytest.approx(4.6)
    assert january.efficiency(plant.chips_lhv_kwh_per_t) == pytest.approx(40.0 / (12.0 * 3.5))
    assert january.oil_starts == {"replacement": 2, "top_up": 1}
    assert january.oil_reasons == {"replacement:wood_fault": 2, "top_up:wood_insufficient": 1}
    assert january.alarms_by_priority == {1: 2, 2: 1}


async def test_french_csv_has_bom_semicolons_decimal_commas_and_labelled_columns(
    january: EnergyReport,
) -> None:
    data = report_csv(january, 3500.0, PARIS, "fr")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, values = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:4] == ["Période", "Début", "Fin", "Chaleur bois (MWh)"]
    assert "Degrés-jours unifiés (base 18 °C) (DJU)" in header
    assert values["Chaleur bois (MWh)"] == "40,0"
    assert values["Début"] == "2026-01-01T00:00:00+01:00"


async def test_rfc4180_csv_uses_commas_points_crlf_and_keys(january: EnergyReport) -> None:
    data = report_csv(january, 3500.0, PARIS, "rfc4180")
    assert b"\r\n" in data
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert float(rows[0]["wood_heat_mwh"]) == 40.0
    assert rows[0]["period"] == "2026-01"


async def test_report_xml_validates_against_the_xsd(january: EnergyReport) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(report_xml(january, 3500.0, PARIS, "Europe/Paris"))
    schema.assertValid(document)
    ns = {"c": "urn:chaufferie:exchange:1"}
    wood = document.find(".//c:Figure[@key='wood_heat_mwh']", ns)
    assert wood is not None
    assert float(wood.get("value")) == 40.0


async def test_report_html_is_a_page_with_the_figures(january: EnergyReport) -> None:
    page = report_html(january, 3500.0, PARIS, "fr").decode()
    assert page.startswith("<!DOCTYPE html>")
    assert "Rapport énergétique mensuel" in page
    assert "<td>40,0</td>" in page


def test_season_runs_october_to_may_in_local_time(config: PlantConfig) -> None:
    season = parse_period("2025-2026", config)
    assert season.start == local(2025, 10, 1)
    assert season.end == local(2026, 6, 1)
    with pytest.raises(PeriodError):
        parse_period("2026-13", config)
    with pytest.raises(PeriodError):
        parse_period("janvier", config)


async def test_seasonal_report_has_one_line_per_month_and_a_total(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        await _fill_january(writer)
        season = build_report(writer.engine, historian_config, parse_period("2025-2026", historian_config))
    assert [m.period.label for m in season.months][:4] == ["2025-10", "2025-11", "2025-12", "2026-01"]
    assert len(season.months) == 8
    by_month = {m.period.label: m for m in season.months}
    assert by_month["2026-01"].wood_heat_mwh == pytest.approx(40.0)
    assert by_month["2025-10"].incomplete["wood_heat_mwh"] is Shortfall.NO_READINGS
    assert by_month["2026-02"].incomplete["wood_heat_mwh"] is Shortfall.GAP  # one reading on the 1st
    assert season.wood_heat_mwh is None  # months without readings: the season is incomplete too
    assert season.incomplete["coverage_pct"] is Shortfall.GAP
    rows = report_csv(season, 3500.0, PARIS, "rfc4180").decode().splitlines()
    assert len(rows) == 1 + 8 + 1


async def test_report_command_writes_csv_xml_and_html(
    historian_config: PlantConfig,
    bus: Bus,
    clock: VirtualClock,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        await _fill_january(writer)
    config = config_file(historian_config, tmp_path)
    assert main(["report", "--month", "2026-01", "--format", "csv", "--config", str(config)]) == 0
    assert "Chaleur bois (MWh)" in capsysbinary.readouterr().out.decode("utf-8-sig")
    out = tmp_path / "report.xml"
    assert (
        main(["report", "--month", "2026-01", "--format", "xml", "--config", str(config), "-o", str(out)])
        == 0
    )
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.parse(str(out)))
    assert main(["report", "--season", "2025-2026", "--format", "html", "--config", str(config)]) == 0
    assert b"2026-01" in capsysbinary.readouterr().out
    assert main(["report", "--month", "2026-1", "--config", str(config)]) == 2


async def test_the_chips_humidity_is_weighted_by_the_mass_of_the_periods_deliveries(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    def delivered(t: datetime, tonnes: float, humidity: float | None) -> OperatorAction:
        details: dict[str, object] = {"tonnes": tonnes, "supplier": "Bois du Ventoux"}
        if humidity is not None:
            details["humidity"] = humidity
        ctx = Context(origin="hmi", user="agent", channel=Channel.HMI)
        return OperatorAction(ActionKind.CHIP_DELIVERY, t, ctx, details=details)

    async with HistorianWriter(historian_config, bus, clock) as writer:
        writer.accept(delivered(local(2026, 1, 5, 10), 4.0, 25.0))
        writer.accept(delivered(local(2026, 1, 19, 10), 1.0, 35.0))
        writer.accept(delivered(local(2026, 1, 26, 10), 2.0, None))  # humidity not measured
        writer.accept(delivered(local(2025, 12, 20, 10), 9.0, 50.0))  # December: not counted
        await writer.flush()
        report = build_report(writer.engine, historian_config, parse_period("2026-01", historian_config))
    assert report.chips_delivered_t == pytest.approx(7.0)
    assert report.chips_humidity_pct == pytest.approx((4.0 * 25 + 1.0 * 35) / 5.0)
