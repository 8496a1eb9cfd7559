"""Who is on call now, from the configured weekly rota (DOMAIN.md §4).

Used to decide who may acknowledge an alarm by SMS reply when the notifier does not say
whom it reached: the technician on call, the second (the next one in the cycle, or the
exception's), and the manager. Weeks start at ``handover_weekday`` ``handover_time`` in the
site's time zone; ``anchor`` is the first day of week 0.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chaufferie.config.alarming import Rota
from chaufferie.config.settings import PlantConfig


def week_index(rota: Rota, at: datetime, timezone: str) -> int:
    local = at.astimezone(ZoneInfo(timezone))
    start = datetime.combine(rota.anchor, rota.handover_time, tzinfo=ZoneInfo(timezone))
    return (local.replace(tzinfo=None) - start.replace(tzinfo=None)) // timedelta(days=7)


def on_call(cfg: PlantConfig, at: datetime) -> tuple[str, ...]:
    """Contact ids reachable for an alarm at ``at``: on call, second, manager (no repeats)."""
    rota = cfg.rota
    if rota is None:
        return ()
    today: date = at.astimezone(ZoneInfo(cfg.site.timezone)).date()
    for ex in rota.exceptions:
        if ex.start <= today <= ex.end:
            people = [ex.on_call, ex.second or "", rota.manager]
            return tuple(dict.fromkeys(p for p in people if p))
    i = week_index(rota, at, cfg.site.timezone)
    cycle = rota.cycle
    people = [cycle[i % len(cycle)], cycle[(i + 1) % len(cycle)], rota.manager]
    return tuple(dict.fromkeys(people))
