"""The event history as CSV for the maintenance contractor (French or RFC 4180 style)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from chaufferie.historian.catalogue import Language, text
from chaufferie.historian.history import HistoryEntry
from chaufferie.historian.report_format import CsvStyle, Value, write_csv

COLUMNS = ("time", "type", "kind", "code", "priority", "user", "channel", "oil_role", "message")


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
