"""Readings of a building without our plant software, as an exchange batch (docs/central.md).

A building that only has meters — read by hand, or by a meter that already writes files —
reaches the city's central database in the same format as a plant: this module turns a CSV
of readings (one line per reading: meter, local date and time, index, unit) into a batch feed
(docs/exchange.md) that ``chaufferie central import`` loads.

Sequence numbers: a building without our software keeps no sequence of its own, so a reading's
number is made from its instant and its meter, ``unix seconds × 1000 + the meter's rank`` —
the same reading always has the same number (importing it twice changes nothing) and a later
reading a larger one. The central keeps readings of a site in order: a file whose readings are
older than the last one stored is refused as ``replayed``.

The CSV may be French (``;`` and decimal comma, as a spreadsheet writes it) or plain
(``,`` and dot); its first line names the columns ``compteur``/``meter``, ``date``,
``index``, ``unité``/``unit``. A bad line is refused with its number and why.
"""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chaufferie.historian.espi_feed import Reading, Series
from chaufferie.historian.exchange import Q, finish_batch

MAX_METERS = 1000
COLUMNS = {
    "compteur": "meter",
    "meter": "meter",
    "date": "date",
    "index": "index",
    "unité": "unit",
    "unite": "unit",
    "unit": "unit",
}
UNIT_TAGS = {"kWh": "energy", "MWh": "energy", "m³": "volume", "L": "volume", "h": "runtime"}


class MeterFeedError(ValueError):
    """A CSV of readings that cannot be read, saying where and why."""


@dataclass(frozen=True, slots=True)
class MeterReading:
    meter: str
    time: datetime
    index: float
    unit: str


def read_csv(text: str, timezone: str) -> list[MeterReading]:
    """The readings of a CSV (see the module docstring), times in ``timezone`` made UTC."""
    tz = ZoneInfo(timezone)
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise MeterFeedError("empty file: expected a header line compteur;date;index;unité")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [COLUMNS.get(name.strip().lower(), "") for name in rows[0]]
    missing = {"meter", "date", "index", "unit"} - set(header)
    if missing:
        raise MeterFeedError(
            f"line 1: missing column(s) {', '.join(sorted(missing))} (compteur;date;index;unité)"
        )
    readings = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        readings.append(_reading(cells, number, tz, decimal_comma=delimiter == ";"))
    if not readings:
        raise MeterFeedError("no reading in the file")
    if len({r.meter for r in readings}) > MAX_METERS:
        raise MeterFeedError(f"more than {MAX_METERS} meters in one file")
    return readings


def _reading(cells: dict[str, str], number: int, tz: ZoneInfo, decimal_comma: bool) -> MeterReading:
    meter = cells.get("meter", "")
    if not meter or len(meter) > 128 or any(c.isspace() for c in meter):
        raise MeterFeedError(f"line {number}: meter name {meter!r}: 1 to 128 characters, no space")
    try:
        local = datetime.fromisoformat(cells.get("date", ""))
    except ValueError as exc:
        raise MeterFeedError(f"line {number}: date {cells.get('date')!r}: expected 2026-01-31 08:00") from exc
    when = local.replace(tzinfo=tz) if local.tzinfo is None else local
    text = cells.get("index", "").replace(" ", "").replace("\u202f", "")
    try:
        index = float(text.replace(",", ".") if decimal_comma else text)
    except ValueError as exc:
        raise MeterFeedError(f"line {number}: index {cells.get('index')!r} is not a number") from exc
    if not math.isfinite(index) or index < 0:
        raise MeterFeedError(f"line {number}: index {index} must be a finite number ≥ 0")
    unit = cells.get("unit", "")
    if not unit:
        raise MeterFeedError(f"line {number}: no unit")
    return MeterReading(meter, when.astimezone(UTC), index, unit)


def meter_batch(site: str, name: str, timezone: str, readings: list[MeterReading]) -> bytes:
    """The batch feed of ``site`` holding ``readings`` (each meter a point, each reading a sample)."""
    ranks = {meter: rank for rank, meter in enumerate(sorted({r.meter for r in readings}))}
    units: dict[str, str] = {}
    for r in readings:
        if units.setdefault(r.meter, r.unit) != r.unit:
            raise MeterFeedError(f"meter {r.meter}: two units, {units[r.meter]} and {r.unit}")
    created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    batch = ET.Element(f"{Q}Batch", version="1", siteId=site, created=created)
    ET.SubElement(batch, f"{Q}Site", id=site, name=name, timezone=timezone)
    series: dict[str, Series] = {}
    for meter in sorted(ranks):
        tags = " ".join(t for t in ("his point sensor meter", UNIT_TAGS.get(units[meter], "")) if t)
        point = ET.Element(
            f"{Q}Point",
            name=meter,
            unit=units[meter],
            tags=tags,
            labelFr=f"Compteur {meter} (relevé)",
            labelEn=f"Meter {meter} (read)",
            resolution="raw",
        )
        series[meter] = Series(point, ET.Element(f"{Q}Series", point=meter, resolution="raw"), "raw")
    seqs = []
    for r in sorted(readings, key=lambda r: (r.time, r.meter)):
        seq = int(r.time.timestamp()) * MAX_METERS + ranks[r.meter]
        exact = ET.Element(f"{Q}Sample", seq=str(seq), time=r.time.isoformat().replace("+00:00", "Z"))
        exact.set("quality", "good")
        exact.set("value", repr(r.index))
        series[r.meter].readings.append(Reading(r.time, r.index, "good", exact))
        seqs.append(seq)
    return finish_batch(batch, seqs, list(series.values()))
