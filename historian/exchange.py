"""The exchange format: export a slice of history, import it elsewhere (docs/exchange.md).

A batch is a NAESB REQ.21 ESPI ("Green Button") Atom feed (:mod:`.espi_feed`) that
validates against the standard's own schema; the site's own data rides in ESPI's
``extension`` elements, as the elements of ``exchange.xsd``, a documented profile of ESPI.
:func:`export_batch` writes one site's points (ReadingTypes with units and Haystack tags),
raw samples and rollups (IntervalBlocks) and every record (Records of typed Fields, in the
UsagePoint's extension) between two instants and/or from a sequence number on.
:func:`import_batch` reads such a document into any historian database, SQLite or
PostgreSQL: the same rows, keyed by (site, seq) and (point, time), so importing twice
changes nothing. This is the format a site forwards to a city's central database.

Documents with a DOCTYPE are refused (no entity tricks); the XML parser is the standard
library's (expat ≥ 2.4 is hardened against entity expansion).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Engine,
    Float,
    Integer,
    RowMapping,
    Table,
    func,
    select,
    union_all,
)

from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.espi_feed import ATOM, A, E, Reading, Series, feed_bytes
from chaufferie.historian.records import QUALITY_NAMES, Row
from chaufferie.historian.sqltypes import UtcTime
from chaufferie.historian.store import Store

NS = "urn:chaufferie:exchange:1"
Q = f"{{{NS}}}"
QUALITY_CODES = {name: code for code, name in QUALITY_NAMES.items()}
ROLLUPS = (("minute", schema.rollup_minute), ("hour", schema.rollup_hour))
ROLLUP_VALUES = ("mean", "min", "max", "last")
RECORD_KEYS = ("site_id", "seq", "time")


class ExchangeError(ValueError):
    """A document that is not a valid exchange batch."""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _field_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, UtcTime):
        return "time"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Float):
        return "float"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, JSON):
        return "json"
    return "string"


def _format(value: Any, kind: str) -> str:
    if kind == "time":
        return _iso(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "json":
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return repr(value) if kind == "float" else str(value)


def _parse(text: str, kind: str) -> Any:
    parsers: dict[str, Callable[[str], Any]] = {
        "time": _parse_time,
        "bool": lambda t: t == "true",
        "json": json.loads,
        "float": float,
        "int": int,
    }
    return parsers.get(kind, str)(text)


def export_batch(
    engine: Engine,
    cfg: PlantConfig,
    start: datetime | None = None,
    end: datetime | None = None,
    from_seq: int | None = None,
    rollups: bool = True,
    to_seq: int | None = None,
) -> bytes:
    """One site's history in [start, end) (and ``from_seq`` ≤ seq ≤ ``to_seq``) as a batch feed."""
    site = cfg.site.id
    batch = batch_root(cfg)
    seqs: list[int] = []
    with engine.connect() as conn:
        points = _points(conn, site)
        series = {point_id: _new_series(row, "raw") for point_id, row in points.items()}
        seqs += _samples(conn, series, start, end, (from_seq, to_seq))
        all_series = list(series.values())
        if rollups:
            for resolution, table in ROLLUPS:
                all_series += _rollups(conn, points, table, resolution, start, end)
        for table in schema.RECORD_TABLES:
            seqs += _records(conn, batch, table, site, start, end, (from_seq, to_seq))
    return finish_batch(batch, seqs, all_series)


def batch_root(cfg: PlantConfig) -> ET.Element:
    """An empty Batch header of ``cfg``'s site: the profile's Batch and its Site."""
    site = cfg.site.id
    root = ET.Element(f"{Q}Batch", version="1", siteId=site, created=_iso(datetime.now(UTC)))
    ET.SubElement(root, f"{Q}Site", id=site, name=cfg.site.name, timezone=cfg.site.timezone)
    return root


def finish_batch(batch: ET.Element, seqs: list[int], series: Sequence[Series] = ()) -> bytes:
    """The batch feed: ``batch`` (firstSeq/lastSeq bounding ``seqs``) then ``series``."""
    if seqs:
        batch.set("firstSeq", str(min(seqs)))
        batch.set("lastSeq", str(max(seqs)))
    return feed_bytes(batch, series, batch.get("created", ""))


def to_bytes(root: ET.Element) -> bytes:
    """The document of ``root``, UTF-8 with its XML declaration, our namespace as default."""
    ET.register_namespace("", NS)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _points(conn: Connection, site: str) -> dict[int, RowMapping]:
    p = schema.points
    query = select(p).where(p.c.site_id == site).order_by(p.c.name)
    return {int(row["id"]): row for row in conn.execute(query).mappings()}


def _new_series(row: RowMapping, resolution: str) -> Series:
    """The empty ``resolution`` series of ``row`` (a points row), its Point and Series."""
    point = ET.Element(
        f"{Q}Point",
        name=row["name"],
        unit=row["unit"],
        tags=row["tags"],
        labelFr=row["label_fr"],
        labelEn=row["label_en"],
        resolution=resolution,
    )
    block = ET.Element(f"{Q}Series", point=row["name"], resolution=resolution)
    return Series(point, block, resolution)


def _window(time_col: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    cond = []
    if start is not None:
        cond.append(time_col >= start)
    if end is not None:
        cond.append(time_col < end)
    return cond


def _seq_window(seq_col: Any, seq_range: tuple[int | None, int | None]) -> list[Any]:
    first, last = seq_range
    return [
        c
        for c in (None if first is None else seq_col >= first, None if last is None else seq_col <= last)
        if c is not None
    ]


def slice_end(engine: Engine, site: str, after: int, rows: int) -> int | None:
    """The sequence number that ends a batch of at most ``rows`` samples and records of
    ``site`` numbered after ``after`` (None: nothing after it)."""
    s, p = schema.samples, schema.points
    site_points = select(p.c.id).where(p.c.site_id == site).scalar_subquery()
    parts = [
        select(s.c.seq).where(s.c.point_id.in_(site_points), s.c.seq > after).order_by(s.c.seq).limit(rows)
    ]
    parts += [
        select(t.c.seq).where(t.c.site_id == site, t.c.seq > after).order_by(t.c.seq).limit(rows)
        for t in schema.RECORD_TABLES
    ]
    union = union_all(*(part.subquery().select() for part in parts)).subquery()
    query = select(union.c.seq).order_by(union.c.seq).offset(rows - 1).limit(1)
    with engine.connect() as conn:
        end = conn.execute(query).scalar()
        if end is None:  # fewer than ``rows`` left: all of them
            end = conn.execute(select(func.max(union.c.seq))).scalar()
    return None if end is None else int(end)


def _samples(
    conn: Connection,
    series: dict[int, Series],
    start: datetime | None,
    end: datetime | None,
    seq_range: tuple[int | None, int | None],
) -> list[int]:
    """Each point's raw samples into its series; their sequence numbers."""
    s = schema.samples
    cond = [s.c.point_id.in_(series), *_window(s.c.time, start, end), *_seq_window(s.c.seq, seq_range)]
    seqs = []
    for r in conn.execute(select(s).where(*cond).order_by(s.c.point_id, s.c.time)).mappings():
        quality = QUALITY_NAMES[r["quality"]]
        exact = ET.Element(f"{Q}Sample", seq=str(r["seq"]), time=_iso(r["time"]), quality=quality)
        if r["value"] is not None:
            exact.set("value", repr(r["value"]))
        series[r["point_id"]].readings.append(Reading(r["time"], r["value"], quality, exact))
        seqs.append(int(r["seq"]))
    return seqs


def _rollups(
    conn: Connection,
    points: dict[int, RowMapping],
    table: Table,
    resolution: str,
    start: datetime | None,
    end: datetime | None,
) -> list[Series]:
    """The series of ``table``'s rollups, one per point that has some."""
    cond = [table.c.point_id.in_(points), *_window(table.c.bucket, start, end)]
    series: dict[int, Series] = {}
    for r in conn.execute(select(table).where(*cond).order_by(table.c.point_id, table.c.bucket)).mappings():
        if r["point_id"] not in series:
            series[r["point_id"]] = _new_series(points[r["point_id"]], resolution)
        one = series[r["point_id"]]
        exact = ET.Element(f"{Q}Rollup", bucket=_iso(r["bucket"]), count=str(r["count"]))
        exact.set("goodRatio", repr(r["good_ratio"]))
        for column in ROLLUP_VALUES:
            if r[column] is not None:
                exact.set(column, repr(r[column]))
        one.readings.append(Reading(r["bucket"], r["mean"], _rollup_quality(r["good_ratio"]), exact))
    return list(series.values())


def _rollup_quality(good_ratio: float) -> str:
    """good when every sample was, bad when none was, else mixed."""
    return "good" if good_ratio >= 1.0 else "bad" if good_ratio <= 0.0 else "mixed"


def _records(
    conn: Connection,
    root: ET.Element,
    table: Table,
    site: str,
    start: datetime | None,
    end: datetime | None,
    seq_range: tuple[int | None, int | None],
) -> list[int]:
    cond = [table.c.site_id == site, *_window(table.c.time, start, end), *_seq_window(table.c.seq, seq_range)]
    seqs = []
    for row in conn.execute(select(table).where(*cond).order_by(table.c.seq)).mappings():
        seqs.append(add_record(root, table, row))
    return seqs


def add_record(root: ET.Element, table: Table, row: RowMapping, withheld: Collection[str] = ()) -> int:
    """Append ``row`` of ``table`` as a Record (without the columns in ``withheld``); its seq."""
    attrs = {"table": table.name, "seq": str(row["seq"]), "time": _iso(row["time"])}
    record = ET.SubElement(root, f"{Q}Record", attrs)
    for column in table.columns:
        if column.name in RECORD_KEYS or column.name in withheld:
            continue
        kind = _field_type(column)
        field = ET.SubElement(record, f"{Q}Field", name=column.name, type=kind)
        value = row[column.name]
        if value is None:
            field.set("null", "true")
        else:
            field.text = _format(value, kind)
    return int(row["seq"])


def parse_batch(data: bytes) -> tuple[str, list[dict[str, Any]], list[Row]]:
    """(site id, point rows, historian rows) of a batch feed; ExchangeError if it is none."""
    batch, root = _batch(data)
    site = _attr(batch, "siteId")
    try:
        points = {_attr(e, "name"): _point_row(e, site) for e in root.iter(f"{Q}Point")}
        rows = [row for block in root.iter(f"{E}IntervalBlock") for row in _block_rows(block)]
        rows += [_record_row(record, site) for record in batch.iter(f"{Q}Record")]
    except ExchangeError:
        raise
    except (KeyError, ValueError) as exc:
        raise ExchangeError(f"a value of the batch is not of its type: {exc}") from exc
    return site, list(points.values()), rows


def _batch(data: bytes) -> tuple[ET.Element, ET.Element]:
    """(the profile's Batch, the feed) of ``data``, refused unless it is a batch feed."""
    if b"<!DOCTYPE" in data[:4096].upper():
        raise ExchangeError("documents with a DOCTYPE are refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, expat hardened (module docstring)
    except ET.ParseError as exc:
        raise ExchangeError(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{A}feed":
        raise ExchangeError(f"expected an Atom feed ({ATOM} feed), found {root.tag}")
    found = root.findall(f"{A}entry/{A}content/{E}UsagePoint/{E}extension/{Q}Batch")
    if len(found) != 1:
        raise ExchangeError(f"expected one UsagePoint whose extension is a {NS} Batch, found {len(found)}")
    return found[0], root


def _attr(element: ET.Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise ExchangeError(f"{element.tag} has no {name} attribute")
    return value


def _number(element: ET.Element, name: str) -> float | None:
    value = element.get(name)
    return None if value is None else float(value)


def _point_row(point: ET.Element, site: str) -> dict[str, Any]:
    columns = {"name": "name", "unit": "unit", "tags": "tags", "label_fr": "labelFr", "label_en": "labelEn"}
    return {"site_id": site} | {column: _attr(point, name) for column, name in columns.items()}


def _block_rows(block: ET.Element) -> list[Row]:
    """The samples or rollups of an IntervalBlock, read from the profile's elements."""
    series = block.find(f"{E}extension/{Q}Series")
    if series is None:
        raise ExchangeError(f"an IntervalBlock has no {NS} Series in its extension")
    point, resolution = _attr(series, "point"), _attr(series, "resolution")
    exact = "Sample" if resolution == "raw" else "Rollup"
    rows: list[Row] = []
    for reading in block.iter(f"{E}IntervalReading"):
        found = reading.find(f"{E}extension/{Q}{exact}")
        if found is None:
            raise ExchangeError(f"an IntervalReading of {point} ({resolution}) has no {exact}")
        rows.append(_sample(point, found) if exact == "Sample" else _rollup(point, resolution, found))
    return rows


def _sample(point: str, sample: ET.Element) -> Row:
    values = {
        "point": point,
        "time": _parse_time(_attr(sample, "time")),
        "value": _number(sample, "value"),
        "quality": QUALITY_CODES[_attr(sample, "quality")],
        "seq": int(_attr(sample, "seq")),
    }
    return ("samples", values)


def _rollup(point: str, resolution: str, rollup: ET.Element) -> Row:
    values: dict[str, Any] = {"point": point, "bucket": _parse_time(_attr(rollup, "bucket"))}
    values |= {column: _number(rollup, column) for column in ROLLUP_VALUES}
    values |= {"count": int(_attr(rollup, "count")), "good_ratio": float(_attr(rollup, "goodRatio"))}
    return (f"rollup_{resolution}", values)


def _record_row(record: ET.Element, site: str) -> Row:
    table = _attr(record, "table")
    if table not in {t.name for t in schema.RECORD_TABLES}:
        raise ExchangeError(f"unknown record table {table!r}")
    values: dict[str, Any] = {
        "site_id": site,
        "seq": int(_attr(record, "seq")),
        "time": _parse_time(_attr(record, "time")),
    }
    for field in record.iter(f"{Q}Field"):
        name = _attr(field, "name")
        null = field.get("null") in ("true", "1")
        values[name] = None if null else _parse(field.text or "", field.get("type", "string"))
    return (table, values)


def import_batch(engine: Engine, data: bytes) -> int:
    """Write a Batch document's rows into ``engine``'s database, all or none; the rows read."""
    site, points, rows = parse_batch(data)
    store = Store(engine, site)
    store.prepare()
    with engine.begin() as conn:
        write_rows(store, conn, points, rows)
    return len(rows)


def write_rows(store: Store, conn: Connection, points: list[dict[str, Any]], rows: list[Row]) -> None:
    """A parsed batch's points and rows written by ``store`` in the transaction ``conn``:
    samples and records kept once by (site, seq) and (point, time), rollups replaced."""
    store.register_rows_in(conn, points)
    by_kind: dict[bool, list[Row]] = defaultdict(list)
    for row in rows:
        by_kind[row[0].startswith("rollup_")].append(row)
    store.write_in(conn, by_kind[False])
    store.write_in(conn, by_kind[True], replace_rollups=True)
