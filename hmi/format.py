"""How a value reads on screen: number with its unit, and "?" with its age when not Good.

A value from a lost link is never shown as if fresh: :func:`show` returns the last number
followed by ``?`` and how long ago it was read, and ``good=False`` so the caller greys it.
Times are shown in the site's time zone (Europe/Paris), stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chaufferie.config.vocabulary import TagValue

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class Shown:
    """A value ready to draw: its text and whether it is Good."""

    text: str
    good: bool


def number(
    value: float | int | bool | str | None, unit: str = "", decimals: int = 1, lang: str = "fr"
) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        return value
    text = f"{value:.{decimals}f}"
    if lang == "fr":
        text = text.replace(".", ",")
    return f"{text} {unit}".strip()


def age(delta: timedelta) -> str:
    """Short age: ``42 s``, ``5 min``, ``3 h``, ``2 j``."""
    s = max(0, int(delta.total_seconds()))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h"
    return f"{s // 86400} j"


def show(tv: TagValue | None, now: datetime, unit: str = "", decimals: int = 1, lang: str = "fr") -> Shown:
    """The value of ``tv`` with its unit, or ``?`` and its age when not Good."""
    if tv is None:
        return Shown("?", False)
    text = number(tv.value, unit, decimals, lang)
    if tv.good:
        return Shown(text, True)
    return Shown(f"{text} ? ({age(now - tv.receive_time)})", False)


def local_time(t: datetime | None, with_date: bool = True) -> str:
    if t is None:
        return "—"
    local = t.astimezone(PARIS)
    return local.strftime("%d/%m/%Y %H:%M:%S" if with_date else "%H:%M:%S")


def short_time(t: datetime, now: datetime) -> str:
    """``02:14`` the same day as ``now``, ``12/01 02:14`` another day (local time)."""
    local = t.astimezone(PARIS)
    same_day = local.date() == now.astimezone(PARIS).date()
    return local.strftime("%H:%M") if same_day else local.strftime("%d/%m %H:%M")


def local_date(t: datetime | None) -> str:
    return "—" if t is None else t.astimezone(PARIS).strftime("%d/%m/%Y")
