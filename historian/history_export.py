"""The event history as the user selected it: CSV for the maintenance contractor (French or
RFC 4180 style) and XML (an exchange batch feed, :mod:`.exchange`, of Records only, whose
``Batch`` header has a ``Selection`` saying which filters were applied and what the reader's
role left out).

Both take the entries :func:`~chaufferie.historian.history.history` found for the history
page's filters, so an export holds exactly the records the page lists.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from chaufferie.config.settings import PlantConfig
from chaufferie.historian.catalogue import Language, text
from chaufferie.historian.exchange import Q, add_record, batch_root, finish_batch
from chaufferie.historian.history import SOURCES, HistoryEntry
from chaufferie.historian.history_access import Withheld
from chaufferie.historian.report_format import CsvStyle, Value, write_csv

COLUMNS = ("time", "type", "kind", "code", "priority", "user", "channel", "oil_role", "message")
TABLES = {s.type: s.table for s in SOURCES}


@dataclass(frozen=True, slots=True)
class Selection:
    """How an export's entries were chosen: the filters as (name, value) and the role's view."""

    filters: Sequence[tuple[str, str]]
    withheld: Withheld
    limit: int


def history_csv(entries: Sequence[HistoryEntry], tz: ZoneInfo, style: CsvStyle = "fr") -> bytes:
    """One line per entry, times ISO 8601 in the site's time zone."""
    language: Language = "fr" if style == "fr" else "en"
    header = [text(f"history_{c}", language) for c in COLUMNS] if style == "fr" else list(COLUMNS)
    rows: list[list[Value]] = [
        [
            e.time.astimezone(tz).isoformat(),
            e.type,
            e.kind,
            e.code,
            e.priority,
            e.user,
            e.channel,
            e.oil_role,
            e.message,
        ]
        for e in entries
    ]
    return write_csv(header, rows, style)


def history_xml(
    engine: Engine, cfg: PlantConfig, entries: Sequence[HistoryEntry], selection: Selection
) -> bytes:
    """The records behind ``entries``, oldest first, as a Batch with its Selection header."""
    root = batch_root(cfg)
    _selection(root, selection, len(entries))
    wanted: dict[str, list[int]] = defaultdict(list)
    for e in entries:
        wanted[e.type].append(e.seq)
    found = []
    with engine.connect() as conn:
        for kind, seqs in wanted.items():
            table = TABLES[kind]
            query = select(table).where(table.c.site_id == cfg.site.id, table.c.seq.in_(seqs))
            found += [(table, row) for row in conn.execute(query).mappings()]
    found.sort(key=lambda item: (item[1]["time"], item[1]["seq"]))
    seqs = [add_record(root, table, row, selection.withheld.fields) for table, row in found]
    return finish_batch(root, seqs)


def _selection(root: ET.Element, selection: Selection, count: int) -> None:
    withheld = selection.withheld
    attrs = {"role": withheld.role.value, "limit": str(selection.limit)}
    attrs["truncated"] = "true" if count >= selection.limit else "false"
    element = ET.SubElement(root, f"{Q}Selection", attrs)
    for name, value in selection.filters:
        ET.SubElement(element, f"{Q}Filter", name=name, value=value)
    for kind in sorted(withheld.action_kinds):
        ET.SubElement(element, f"{Q}Withheld", what="action", name=kind)
    for field in sorted(withheld.fields):
        ET.SubElement(element, f"{Q}Withheld", what="field", name=field)
