"""The ESPI ("Green Button", NAESB REQ.21) Atom feed that carries an exchange batch.

This module owns the standard's side of the format (docs/exchange.md): the Atom feed, its
entries and links, and the ESPI objects — UsagePoint (the site), MeterReading and
ReadingType (one per point and resolution) and IntervalBlock of IntervalReadings. It knows
nothing of the database: :mod:`~chaufferie.historian.exchange` hands it the site's header
(the profile's ``Batch`` element) and its :class:`Series`, and puts the profile's elements
(``Point``, ``Series``, ``Sample``, ``Rollup``) in the ``extension`` element that every
ESPI object inherits from ``Object``, the standard's own extension point.

ESPI's numbers are whole: an IntervalReading's ``value`` is the site's value in
thousandths of its unit (ReadingType ``powerOfTenMultiplier`` says so), its ``timePeriod``
whole seconds since 1970; the exact figures are in the profile's elements.
"""

from __future__ import annotations

import math
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

ATOM = "http://www.w3.org/2005/Atom"
ESPI = "http://naesb.org/espi"
A = f"{{{ATOM}}}"
E = f"{{{ESPI}}}"
ATOM_TYPE = "application/atom+xml"
HEAT_SERVICE = "4"  # ESPI ServiceKind: heat
VALUE_DIGITS = 3  # ESPI values are the site's values in thousandths of their unit
INT48 = 2**47  # ESPI Int48 bounds
# ESPI QualityOfReading: 0 valid, 14 raw (not validated), 10 failed one or more checks.
# A rollup with good and other samples is 13, mixed.
QUALITY = {"good": "0", "uncertain": "14", "bad": "10", "stale": "10", "mixed": "13"}
INTERVAL_SECONDS = {"raw": 0, "minute": 60, "hour": 3600}
# The site's unit → (ESPI UnitSymbolKind, the unit's power of ten over that symbol).
UNITS: dict[str, tuple[str, int]] = {
    "°C": ("23", 0),
    "K": ("6", 0),
    "A": ("5", 0),
    "W": ("38", 0),
    "kW": ("38", 3),
    "MW": ("38", 6),
    "Wh": ("72", 0),
    "kWh": ("72", 3),
    "MWh": ("72", 6),
    "m³": ("42", 0),
    "m³/h": ("125", 0),
    "L": ("134", 0),
    "L/h": ("137", 0),
    "s": ("27", 0),
    "min": ("159", 0),
    "h": ("160", 0),
    "Pa": ("39", 0),
    "bar": ("39", 5),
    "kg": ("3", 3),
    "t": ("3", 6),
}
NO_UNIT = ("0", 0)  # ESPI "none": %, booleans, counts and units ESPI has no symbol for


class Reading(NamedTuple):
    """One IntervalReading: its instant, value (None: no number), quality (a key of
    ``QUALITY``) and the profile element (``Sample`` or ``Rollup``) with the exact figures."""

    time: datetime
    value: float | None
    quality: str
    exact: ET.Element


@dataclass(slots=True)
class Series:
    """One point at one resolution: the profile's ``Point`` (for its ReadingType) and
    ``Series`` (for its IntervalBlock) elements, and its readings in time order."""

    point: ET.Element
    block: ET.Element
    resolution: str
    readings: list[Reading] = field(default_factory=list)


def feed_bytes(batch: ET.Element, series: Sequence[Series], updated: str) -> bytes:
    """The Atom feed of one site: its UsagePoint holding ``batch``, then every series."""
    feed = _Feed(ET.Element(f"{A}feed"), batch.get("siteId", ""), updated)
    _text(feed.element, "id", _urn(feed.site, "feed"))
    _text(feed.element, "title", f"chaufferie {feed.site}")
    _text(feed.element, "updated", updated)
    _link(feed.element, "self", _href(feed.site, "UsagePoint"))
    related = ("UsagePoint/1/MeterReading",)
    usage_point = feed.entry("UsagePoint/1", "UsagePoint", f"UsagePoint {feed.site}", related)
    _extension(usage_point, batch)
    _text(ET.SubElement(usage_point, f"{E}ServiceCategory"), "kind", HEAT_SERVICE, E)
    for number, one in enumerate(series, start=1):
        _series_entries(feed, number, one)
    ET.register_namespace("", ATOM)
    ET.register_namespace("espi", ESPI)
    ET.register_namespace("ch", batch.tag[1 : batch.tag.index("}")])  # the profile's
    data: bytes = ET.tostring(feed.element, encoding="utf-8", xml_declaration=True)
    return data


@dataclass(frozen=True, slots=True)
class _Feed:
    """The feed being written: its element, the site and the instant of every entry."""

    element: ET.Element
    site: str
    updated: str

    def entry(self, path: str, kind: str, title: str, related: Sequence[str] = ()) -> ET.Element:
        """A new entry (id, links self, up and ``related``, title, dates); its empty ESPI ``kind``.

        Atom's schema wants an entry's links side by side (two at least), so all come first.
        """
        entry = ET.SubElement(self.element, f"{A}entry")
        _text(entry, "id", _urn(self.site, path))
        _link(entry, "self", _href(self.site, path))
        _link(entry, "up", _href(self.site, path.rsplit("/", 1)[0]))
        for other in related:
            _link(entry, "related", _href(self.site, other))
        _text(entry, "title", title)
        _text(entry, "published", self.updated)
        _text(entry, "updated", self.updated)
        return ET.SubElement(ET.SubElement(entry, f"{A}content"), f"{E}{kind}")


def _series_entries(feed: _Feed, number: int, series: Series) -> None:
    """The MeterReading, ReadingType and (with readings) IntervalBlock entries of ``series``."""
    title = f"{series.point.get('name')} ({series.resolution})"
    meter = f"UsagePoint/1/MeterReading/{number}"
    feed.entry(meter, "MeterReading", title, (f"ReadingType/{number}", f"{meter}/IntervalBlock"))
    _reading_type(feed.entry(f"ReadingType/{number}", "ReadingType", title), series)
    if series.readings:
        _interval_block(feed.entry(f"{meter}/IntervalBlock/1", "IntervalBlock", title), series)


def _reading_type(espi: ET.Element, series: Series) -> None:
    _extension(espi, series.point)
    symbol, power = UNITS.get(series.point.get("unit", ""), NO_UNIT)
    if series.resolution != "raw":
        _text(espi, "intervalLength", str(INTERVAL_SECONDS[series.resolution]), E)
    if power != VALUE_DIGITS:
        _text(espi, "powerOfTenMultiplier", str(power - VALUE_DIGITS), E)
    _text(espi, "uom", symbol, E)


def _interval_block(espi: ET.Element, series: Series) -> None:
    _extension(espi, series.block)
    step = INTERVAL_SECONDS[series.resolution]
    first, last = series.readings[0][0], series.readings[-1][0]
    _period(espi, "interval", first, int(last.timestamp()) - int(first.timestamp()) + step)
    for time, value, quality, exact in series.readings:
        reading = ET.SubElement(espi, f"{E}IntervalReading")
        _extension(reading, exact)
        _text(ET.SubElement(reading, f"{E}ReadingQuality"), "quality", QUALITY[quality], E)
        _period(reading, "timePeriod", time, step)
        if value is not None and math.isfinite(value) and abs(value) * 10**VALUE_DIGITS < INT48:
            _text(reading, "value", str(round(value * 10**VALUE_DIGITS)), E)


def _period(parent: ET.Element, name: str, start: datetime, duration: int) -> None:
    period = ET.SubElement(parent, f"{E}{name}")
    _text(period, "duration", str(duration), E)
    _text(period, "start", str(int(start.timestamp())), E)


def _extension(espi: ET.Element, element: ET.Element) -> None:
    ET.SubElement(espi, f"{E}extension").append(element)


def _text(parent: ET.Element, name: str, text: str, prefix: str = A) -> None:
    ET.SubElement(parent, f"{prefix}{name}").text = text


def _link(parent: ET.Element, rel: str, href: str) -> None:
    ET.SubElement(parent, f"{A}link", rel=rel, href=href, type=ATOM_TYPE)


def _href(site: str, path: str) -> str:
    return f"/espi/1_1/resource/chaufferie/{site}/{path}"


def _urn(site: str, path: str) -> str:
    """A stable Atom id: the same site and resource give the same id in every batch."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:chaufferie:{site}:{path}").urn
