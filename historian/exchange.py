"""The XML exchange format (``exchange.xsd``): export a slice of history, import it elsewhere.

:func:`export_batch` writes one site's points (ReadingTypes with units and Haystack tags),
raw samples and rollups (IntervalBlocks, ESPI-style) and every record (Records of typed
Fields) between two instants and/or from a sequence number on. :func:`import_batch` reads
such a document into any historian database, SQLite or PostgreSQL: the same rows, keyed by
(site, seq) and (point, time), so importing twice changes nothing. This is the format a
site forwards to a city's central database.

Documents with a DOCTYPE are refused (no entity tricks); the XML parser is the standard
library's (expat ≥ 2.4 is hardened against entity expansion).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Engine, Float, Integer, RowMapping, Table, select

from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.records import QUALITY_NAMES, Row
from chaufferie.historian.sqltypes import UtcTime
from chaufferie.historian.store import Store

NS = "urn:chaufferie:exchange:1"
Q = f"{{{NS}}}"
QUALITY_CODES = {name: code for code, name in QUALITY_NAMES.items()}
ROLLUPS = (("minute", schema.rollup_minute), ("hour", schema.rollup_hour))
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
) -> bytes:
    """One site's history in [start, end) (and seq ≥ ``from_seq``) as a Batch document."""
    site = cfg.site.id
    root = batch_root(cfg)
    seqs: list[int] = []
    with engine.connect() as conn:
        names = _reading_types(conn, root, site)
        seqs += _samples(conn, root, names, start, end, from_seq)
        if rollups:
            for resolution, table in ROLLUPS:
                _rollups(conn, root, names, table, resolution, start, end)
        for table in schema.RECORD_TABLES:
            seqs += _records(conn, root, table, site, start, end, from_seq)
    return finish_batch(root, seqs)


def batch_root(cfg: PlantConfig) -> ET.Element:
    """An empty Batch of ``cfg``'s site: the root and its Site."""
    site = cfg.site.id
    root = ET.Element(f"{Q}Batch", version="1", siteId=site, created=_iso(datetime.now(UTC)))
    ET.SubElement(root, f"{Q}Site", id=site, name=cfg.site.name, timezone=cfg.site.timezone)
    return root


def finish_batch(root: ET.Element, seqs: list[int]) -> bytes:
    """The Batch document, its firstSeq/lastSeq bounding ``seqs``."""
    if seqs:
        root.set("firstSeq", str(min(seqs)))
        root.set("lastSeq", str(max(seqs)))
    return to_bytes(root)


def to_bytes(root: ET.Element) -> bytes:
    """The document of ``root``, UTF-8 with its XML declaration, our namespace as default."""
    ET.register_namespace("", NS)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _reading_types(conn: Connection, root: ET.Element, site: str) -> dict[int, str]:
    p = schema.points
    names: dict[int, str] = {}
    for row in conn.execute(select(p).where(p.c.site_id == site).order_by(p.c.name)).mappings():
        names[int(row["id"])] = str(row["name"])
        ET.SubElement(
            root,
            f"{Q}ReadingType",
            point=row["name"],
            unit=row["unit"],
            serviceCategory="heat",
            tags=row["tags"],
            labelFr=row["label_fr"],
            labelEn=row["label_en"],
        )
    return names


def _window(time_col: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    cond = []
    if start is not None:
        cond.append(time_col >= start)
    if end is not None:
        cond.append(time_col < end)
    return cond


def _blocks(root: ET.Element, rows: Iterator[tuple[str, dict[str, str]]], resolution: str) -> None:
    block: ET.Element | None = None
    current = None
    for point, attrs in rows:
        if point != current or block is None:
            block = ET.SubElement(root, f"{Q}IntervalBlock", point=point, resolution=resolution)
            current = point
        ET.SubElement(block, f"{Q}IntervalReading", attrs)


def _samples(
    conn: Connection,
    root: ET.Element,
    names: dict[int, str],
    start: datetime | None,
    end: datetime | None,
    from_seq: int | None,
) -> list[int]:
    s = schema.samples
    cond = [s.c.point_id.in_(names), *_window(s.c.time, start, end)]
    if from_seq is not None:
        cond.append(s.c.seq >= from_seq)
    rows = conn.execute(select(s).where(*cond).order_by(s.c.point_id, s.c.time)).mappings().all()

    def readings() -> Iterator[tuple[str, dict[str, str]]]:
        for r in rows:
            attrs = {"start": _iso(r["time"]), "seq": str(r["seq"]), "quality": QUALITY_NAMES[r["quality"]]}
            if r["value"] is not None:
                attrs["value"] = repr(r["value"])
            yield names[r["point_id"]], attrs

    _blocks(root, readings(), "raw")
    return [int(r["seq"]) for r in rows]


def _rollups(
    conn: Connection,
    root: ET.Element,
    names: dict[int, str],
    table: Table,
    resolution: str,
    start: datetime | None,
    end: datetime | None,
) -> None:
    cond = [table.c.point_id.in_(names), *_window(table.c.bucket, start, end)]
    rows = conn.execute(select(table).where(*cond).order_by(table.c.point_id, table.c.bucket)).mappings()

    def readings() -> Iterator[tuple[str, dict[str, str]]]:
        for r in rows:
            attrs = {"start": _iso(r["bucket"]), "count": str(r["count"]), "goodRatio": repr(r["good_ratio"])}
            for key, column in (("value", "mean"), ("min", "min"), ("max", "max"), ("last", "last")):
                if r[column] is not None:
                    attrs[key] = repr(r[column])
            yield names[r["point_id"]], attrs

    _blocks(root, readings(), resolution)


def _records(
    conn: Connection,
    root: ET.Element,
    table: Table,
    site: str,
    start: datetime | None,
    end: datetime | None,
    from_seq: int | None,
) -> list[int]:
    cond = [table.c.site_id == site, *_window(table.c.time, start, end)]
    if from_seq is not None:
        cond.append(table.c.seq >= from_seq)
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
    """(site id, point rows, historian rows) of a Batch document."""
    if b"<!DOCTYPE" in data[:4096].upper():
        raise ExchangeError("documents with a DOCTYPE are refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, expat hardened (module docstring)
    except ET.ParseError as exc:
        raise ExchangeError(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{Q}Batch":
        raise ExchangeError(f"expected a {NS} Batch, found {root.tag}")
    site = root.get("siteId", "")
    points = [
        {
            "site_id": site,
            "name": e.get("point"),
            "unit": e.get("unit", ""),
            "tags": e.get("tags", ""),
            "label_fr": e.get("labelFr", ""),
            "label_en": e.get("labelEn", ""),
        }
        for e in root.iter(f"{Q}ReadingType")
    ]
    rows: list[Row] = []
    for block in root.iter(f"{Q}IntervalBlock"):
        rows += _block_rows(block)
    for record in root.iter(f"{Q}Record"):
        rows.append(_record_row(record, site))
    return site, points, rows


def _block_rows(block: ET.Element) -> list[Row]:
    point, resolution = block.get("point", ""), block.get("resolution", "raw")
    rows: list[Row] = []
    for r in block.iter(f"{Q}IntervalReading"):
        value = r.get("value")
        if resolution == "raw":
            rows.append(
                (
                    "samples",
                    {
                        "point": point,
                        "time": _parse_time(r.get("start", "")),
                        "value": None if value is None else float(value),
                        "quality": QUALITY_CODES[r.get("quality", "good")],
                        "seq": int(r.get("seq", "0")),
                    },
                )
            )
            continue
        extra = {k: None if r.get(k) is None else float(r.get(k, "")) for k in ("min", "max", "last")}
        rows.append(
            (
                f"rollup_{resolution}",
                {
                    "point": point,
                    "bucket": _parse_time(r.get("start", "")),
                    "mean": None if value is None else float(value),
                    **extra,
                    "count": int(r.get("count", "0")),
                    "good_ratio": float(r.get("goodRatio", "0")),
                },
            )
        )
    return rows


def _record_row(record: ET.Element, site: str) -> Row:
    table = record.get("table", "")
    if table not in {t.name for t in schema.RECORD_TABLES}:
        raise ExchangeError(f"unknown record table {table!r}")
    values: dict[str, Any] = {
        "site_id": site,
        "seq": int(record.get("seq", "")),
        "time": _parse_time(record.get("time", "")),
    }
    for field in record.iter(f"{Q}Field"):
        name = field.get("name", "")
        null = field.get("null") in ("true", "1")
        values[name] = None if null else _parse(field.text or "", field.get("type", "string"))
    return (table, values)


def import_batch(engine: Engine, data: bytes) -> int:
    """Write a Batch document's rows into ``engine``'s database; the number of rows read."""
    site, points, rows = parse_batch(data)
    store = Store(engine, site)
    store.prepare()
    store.register_rows(points)
    by_kind: dict[bool, list[Row]] = defaultdict(list)
    for row in rows:
        by_kind[row[0].startswith("rollup_")].append(row)
    store.write(by_kind[False])
    store.write(by_kind[True], replace_rollups=True)
    return len(rows)
