"""The exchange batch is an ESPI (Green Button) feed valid by the standard's own schema, its
extensions valid by our profile (exchange.xsd), and it round-trips: export → import = same rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import Engine, inspect, select

from chaufferie.cli import main
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, Role
from chaufferie.historian import schema
from chaufferie.historian.database import make_engine
from chaufferie.historian.exchange import ExchangeError, export_batch, import_batch
from chaufferie.historian.history import history
from chaufferie.historian.history_access import withheld_for
from chaufferie.historian.history_export import Selection, history_csv, history_xml
from chaufferie.historian.writer import HistorianWriter
from tests.historian.exchange_schemas import assert_profile_elements_valid, standard, standard_and_profile
from tests.historian.support import ack, alarm, config_file, delivery, every, oil_start, snapshot, tag

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "espi": "http://naesb.org/espi",
    "c": "urn:chaufferie:exchange:1",
}


async def _history(cfg: PlantConfig, bus: Bus, clock: VirtualClock) -> Engine:
    writer = HistorianWriter(cfg, bus, clock)
    async with writer:
        for i, t in enumerate(every(clock.now(), 20.0, 400)):
            writer.accept(tag("buffer.temp_top", 70.0 + i * 0.37, t, Quality.GOOD if i % 50 else Quality.BAD))
            writer.accept(tag("oil.burner_on", i % 90 < 30, t))
        t = clock.now()
        for message in (oil_start(t), alarm(t), ack(t + timedelta(seconds=5)), delivery(t, 2.5)):
            writer.accept(message)
        await writer.flush()
    return writer.engine


async def test_batch_validates_and_round_trips_into_another_database(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    source = await _history(historian_config, bus, clock)
    data = export_batch(source, historian_config)
    assert_profile_elements_valid(etree.fromstring(data))
    target = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    rows = import_batch(target, data)
    assert rows > 800
    expected = snapshot(source)
    assert snapshot(target) == expected
    import_batch(target, data)  # forwarding the same batch twice changes nothing
    assert snapshot(target) == expected
    target.dispose()


async def test_batch_is_espi_valid_by_the_standards_own_schema_and_our_profile(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    source = await _history(historian_config, bus, clock)
    document = etree.fromstring(export_batch(source, historian_config))
    standard().assertValid(document)
    standard_and_profile().assertValid(document)
    kinds = document.xpath("//espi:UsagePoint/espi:ServiceCategory/espi:kind/text()", namespaces=NS)
    assert kinds == ["4"]  # ESPI ServiceKind heat
    document.find(".//c:Sample", NS).set("quality", "excellent")
    assert standard().validate(document)  # ESPI lets its extensions through...
    assert not standard_and_profile().validate(document)  # ...our profile checks them
    document.find(".//espi:IntervalReading/espi:value", NS).text = "70.5"
    assert not standard().validate(document)  # ESPI values are whole numbers
    selection = Selection((("kinds", "alarm"),), withheld_for(Role.VIEWER), 500)
    export = etree.fromstring(history_xml(source, historian_config, history(source), selection))
    standard_and_profile().assertValid(export)  # the history page's XML export is a batch feed too
    assert export.find(".//c:Batch/c:Selection/c:Filter[@name='kinds']", NS) is not None


async def test_batch_carries_site_sequence_numbers_and_units(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    source = await _history(historian_config, bus, clock)
    root = etree.fromstring(export_batch(source, historian_config, from_seq=100, rollups=False))
    batch = root.find("atom:entry/atom:content/espi:UsagePoint/espi:extension/c:Batch", NS)
    assert batch is not None
    assert batch.get("siteId") == "joucas"
    assert int(batch.get("firstSeq")) >= 100
    (temp,) = root.xpath("//espi:ReadingType[espi:extension/c:Point/@name='buffer.temp_top']", namespaces=NS)
    point = temp.find("espi:extension/c:Point", NS)
    assert (point.get("unit"), point.get("resolution")) == ("°C", "raw")
    assert "temp" in point.get("tags").split()
    # ESPI's view: degrees Celsius (UnitSymbolKind 23) in thousandths (10^-3).
    assert (
        temp.findtext("espi:uom", namespaces=NS),
        temp.findtext("espi:powerOfTenMultiplier", namespaces=NS),
    ) == (
        "23",
        "-3",
    )
    samples = root.findall(".//espi:IntervalReading/espi:extension/c:Sample", NS)
    assert samples
    assert min(int(s.get("seq")) for s in samples) >= 100
    assert root.find(".//c:Series[@resolution='minute']", NS) is None
    block = "//espi:IntervalBlock[espi:extension/c:Series/@point='buffer.temp_top']"
    first = root.xpath(f"{block}/espi:IntervalReading", namespaces=NS)[0]
    sample = first.find("espi:extension/c:Sample", NS)
    assert int(first.findtext("espi:value", namespaces=NS)) == round(float(sample.get("value")) * 1000)


def test_import_refuses_a_doctype_and_foreign_documents(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ExchangeError):
        import_batch(engine, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(ExchangeError, match="Atom feed"):
        import_batch(engine, b"<Batch/>")
    with pytest.raises(ExchangeError, match="one UsagePoint"):
        import_batch(engine, b'<feed xmlns="http://www.w3.org/2005/Atom"/>')
    with pytest.raises(ExchangeError):
        import_batch(engine, b"<not xml")
    engine.dispose()


async def test_history_csv_lists_every_entry_in_local_time(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    source = await _history(historian_config, bus, clock)
    entries = history(source)
    data = history_csv(entries, ZoneInfo("Europe/Paris"), "fr")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Type", "Événement"]
    assert len(rows) == 1 + len(entries)
    assert rows[1][0].endswith("+01:00")


async def test_central_database_gathers_batches_of_two_sites(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    """Two sites number their records from 1: (site, seq) keeps them apart in one database."""
    other_site = historian_config.site.model_copy(update={"id": "gordes", "name": "Chaufferie de Gordes"})
    storage = historian_config.storage.model_copy(update={"url": f"sqlite:///{tmp_path / 'gordes.db'}"})
    gordes = historian_config.model_copy(
        update={"site": other_site, "storage": storage, "data_dir": str(tmp_path / "gordes")}
    )
    central = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    for cfg in (historian_config, gordes):
        engine = await _history(cfg, Bus(), clock)
        import_batch(central, export_batch(engine, cfg))
        engine.dispose()
    with central.connect() as conn:
        events = conn.execute(select(schema.plant_events.c.site_id, schema.plant_events.c.seq)).all()
        points = conn.execute(select(schema.points.c.site_id).distinct()).scalars().all()
    assert sorted(site for site, _ in events) == ["gordes", "joucas"]
    assert events[0][1] == events[1][1]  # same sequence number, different sites
    assert sorted(points) == ["gordes", "joucas"]
    central.dispose()


async def test_a_damaged_batch_is_refused_with_a_clear_error(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    """A sample without its instant stops the import before anything is stored."""
    source = await _history(historian_config, bus, clock)
    data = export_batch(source, historian_config, rollups=False)
    document = etree.fromstring(data)
    sample = document.find(".//c:Sample", NS)
    del sample.attrib["time"]
    target = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    with pytest.raises(ExchangeError, match="Sample has no time attribute"):
        import_batch(target, etree.tostring(document))
    assert inspect(target).get_table_names() == []  # refused before the database was touched
    target.dispose()


async def test_the_export_command_writes_a_valid_batch_of_the_month_that_round_trips(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    # The tender's option 1: a site keeping its data locally still hands over standard files.
    source = await _history(historian_config, bus, clock)
    config = config_file(historian_config, tmp_path)
    month = clock.now().astimezone(ZoneInfo(historian_config.site.timezone)).strftime("%Y-%m")
    out = tmp_path / "batch.xml"
    assert main(["export", "--month", month, "--config", str(config), "-o", str(out)]) == 0
    standard_and_profile().assertValid(etree.parse(str(out)))
    target = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    import_batch(target, out.read_bytes())
    assert snapshot(target) == snapshot(source)  # every row of the month, nothing else
    other_month = tmp_path / "other.xml"
    assert main(["export", "--month", "2001-01", "--config", str(config), "-o", str(other_month)]) == 0
    assert etree.parse(str(other_month)).find(".//c:Sample", NS) is None
    last = max(int(s.get("seq", "0")) for s in etree.parse(str(out)).iterfind(".//c:Sample", NS))
    tail = tmp_path / "tail.xml"
    assert main(["export", "--from-seq", str(last), "--config", str(config), "-o", str(tail)]) == 0
    assert [s.get("seq") for s in etree.parse(str(tail)).iterfind(".//c:Sample", NS)] == [str(last)]
    assert main(["export", "--month", "2026-13", "--config", str(config)]) == 2
    target.dispose()
