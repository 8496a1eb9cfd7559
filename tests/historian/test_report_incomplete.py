"""Not enough readings is said, not summed: "données incomplètes" / "incomplete data".

January 2026 is read every hour; February has no readings; in March the heat meter goes
back to 0 on the 15th (replaced). February and March must read "données incomplètes" (French)
and "incomplete data" (English) in every format — CSV, XML, HTML, the ``chaufferie report``
command and the HMI's report page through the real adapter — never 0,0 MWh.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import Engine

from chaufferie.cli import main
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.database import make_engine
from chaufferie.historian.readings import Shortfall
from chaufferie.historian.report import build_report, parse_period
from chaufferie.historian.report_format import report_csv, report_html, report_xml
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.charts import report_options
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.pages.reports import figure_rows
from tests.historian.support import config_file, winter_readings

PARIS = ZoneInfo("Europe/Paris")
XSD = Path(__file__).parents[2] / "historian" / "exchange.xsd"
NS = {"c": "urn:chaufferie:exchange:1"}
FR, EN = "données incomplètes", "incomplete data"
LACKING = [("2026-02", {"no_readings", "gap"}), ("2026-03", {"reset"})]


@pytest.fixture
async def winter(historian_config: PlantConfig, bus: Bus, clock: VirtualClock) -> AsyncIterator[Engine]:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for value in winter_readings(PARIS):
            writer.accept(value)
        await writer.flush()
    engine = make_engine(historian_config.storage_url)
    yield engine
    engine.dispose()


async def test_a_month_read_every_hour_is_complete(winter: Engine, historian_config: PlantConfig) -> None:
    january = build_report(winter, historian_config, parse_period("2026-01", historian_config))
    assert january.wood_heat_mwh == pytest.approx(7.43)
    recorded = {"wood_heat_mwh", "oil_heat_mwh", "total_heat_mwh", "coverage_pct", "oil_litres"}
    assert not recorded & set(january.incomplete)  # oil from litres; no burner point recorded
    meters = {
        "electricity_kwh",
        "makeup_water_l",
        *(f"building_heat_mwh.{b.id}" for b in historian_config.buildings),
    }
    assert {key: why for key, why in january.incomplete.items() if key in meters} == dict.fromkeys(
        meters, Shortfall.NO_READINGS
    )  # the shipped plant has its M-Bus meters, which this history never read: not 0
    without = cfg_without_meters(historian_config)
    bare = build_report(winter, without, parse_period("2026-01", without))
    assert {
        key: bare.incomplete[key] for key in ("electricity_kwh", "makeup_water_l", "buildings_heat_mwh")
    } == (
        dict.fromkeys(("electricity_kwh", "makeup_water_l", "buildings_heat_mwh"), Shortfall.NOT_METERED)
    )  # a plant without those meters: "non mesuré"


def cfg_without_meters(cfg: PlantConfig) -> PlantConfig:
    """``cfg`` without its M-Bus link, its points and its buildings (a plant alone)."""
    links = {name: link for name, link in cfg.links.items() if name != "meters"}
    points = tuple(p for p in cfg.points if p.link != "meters")
    alarms = tuple(a for a in cfg.alarms if a.code not in ("COM-MBS", "EAU-APP"))
    return cfg.model_copy(update={"links": links, "points": points, "buildings": (), "alarms": alarms})


@pytest.mark.parametrize(("month", "reasons"), LACKING)
async def test_csv_xml_and_html_say_incomplete_data_not_zero(
    winter: Engine, historian_config: PlantConfig, month: str, reasons: set[str]
) -> None:
    report = build_report(winter, historian_config, parse_period(month, historian_config))
    assert report.wood_heat_mwh is None
    assert getattr(report, "incomplete", {}).get("wood_heat_mwh") in reasons

    french = next(
        csv.DictReader(io.StringIO(report_csv(report, 3500.0, PARIS).decode("utf-8-sig")), delimiter=";")
    )
    for column in ("Chaleur bois (MWh)", "Chaleur totale (MWh)", "Taux de couverture bois (%)"):
        assert french[column] == FR
    plain = next(csv.DictReader(io.StringIO(report_csv(report, 3500.0, PARIS, "rfc4180").decode())))
    assert plain["wood_heat_mwh"] == EN

    document = etree.fromstring(report_xml(report, 3500.0, PARIS, "Europe/Paris"))
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(document)
    wood = document.find("c:Period/c:Figure[@key='wood_heat_mwh']", NS)
    assert wood is not None
    assert wood.get("value") is None
    assert (wood.get("status"), wood.get("reason")) == (
        "incomplete",
        report.incomplete["wood_heat_mwh"].value,
    )
    assert wood.get("note") == f"{FR} / {EN}"

    for language, words in (("fr", FR), ("en", EN)):
        page = report_html(report, 3500.0, PARIS, language).decode()
        label = "Chaleur bois (MWh)" if language == "fr" else "Heat from wood (MWh)"
        cell = re.search(rf"<tr><th>{re.escape(label)}</th><td>([^<]*)</td>", page)
        assert cell is not None
        assert cell[1] == words


async def test_march_oil_is_still_counted_when_only_the_heat_meter_was_reset(
    winter: Engine, historian_config: PlantConfig
) -> None:
    march = build_report(winter, historian_config, parse_period("2026-03", historian_config))
    assert march.oil_litres is not None
    # from March's own first reading (00:30 on the 1st), not January's last one a month before;
    # 10 L an hour over 742 hours (March has 743 with summer time, the last begins at 23:30)
    assert march.oil_litres == pytest.approx(7420.0)


async def test_report_command_writes_incomplete_data(
    winter: Engine, historian_config: PlantConfig, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    config = str(config_file(historian_config, tmp_path))
    assert main(["report", "--month", "2026-02", "--format", "csv", "--config", config]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(out), delimiter=";"))["Chaleur bois (MWh)"] == FR
    assert main(["report", "--month", "2026-03", "--format", "html", "--lang", "en", "--config", config]) == 0
    assert EN in capsysbinary.readouterr().out.decode()


async def test_hmi_report_shows_incomplete_data_and_draws_no_bar(
    winter: Engine, historian_config: PlantConfig
) -> None:
    history = HmiHistory(historian_config, winter)
    for month in ("2026-02", "2026-03"):
        report = await history.report(month)
        for language, words, name in (("fr", FR, "Chaleur bois (MWh)"), ("en", EN, "Heat from wood (MWh)")):
            rows = {row["name"]: row["value"] for row in figure_rows(report, language)}
            assert rows[name] == words
    season = await history.report("2025-2026")
    bars = dict(
        zip(
            report_options(season.series, "fr")["xAxis"]["data"],
            report_options(season.series, "fr")["series"][0]["data"],
            strict=True,
        )
    )
    assert bars["2026-01"] == pytest.approx(7.43)
    assert bars["2026-02"] is None
    assert bars["2026-03"] is None
