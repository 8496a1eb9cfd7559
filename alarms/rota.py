"""Who is on call at an instant, and whether an instant is within working hours.

The rota is weekly: ``cycle[i]`` is on call during the i-th week counted from the first
handover (``handover_weekday`` at ``handover_time``, site time zone, on or after ``anchor``);
the *second* is the next person in the cycle; the manager is fixed. An exception (holiday,
swap) replaces the on-call person for whole days. Handover stays at the local hour across
DST changes. Working hours (weekdays, periods, public holidays of ``country``) decide when
working-hours-only priorities may call people.

:class:`RotaInForce` follows the configuration in force (:mod:`chaufferie.config.live`): the
rota and the address book changed from the HMI apply at the next question, no restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from chaufferie.config.alarming import Contact, Rota, WorkingHours
from chaufferie.config.live import LiveConfig

WEEK_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Duty:
    """Who to call at one instant."""

    on_call: str
    second: str | None
    manager: str


class OnCall:
    """The rota of one site, read from config."""

    def __init__(self, rota: Rota, contacts: tuple[Contact, ...], tz: ZoneInfo) -> None:
        self.rota, self.tz = rota, tz
        self.contacts = {c.id: c for c in contacts}
        first = rota.anchor + timedelta(days=(rota.handover_weekday - rota.anchor.weekday()) % 7)
        self._first = datetime.combine(first, rota.handover_time)

    def week_index(self, t: datetime) -> int:
        """Weeks since the first handover (negative before it), in local wall time."""
        local = t.astimezone(self.tz).replace(tzinfo=None)
        return int((local - self._first).total_seconds() // WEEK_S)

    def at(self, t: datetime) -> Duty:
        cycle = self.rota.cycle
        idx = self.week_index(t) % len(cycle)
        on_call, second = cycle[idx], cycle[(idx + 1) % len(cycle)]
        today = t.astimezone(self.tz).date()
        for ex in self.rota.exceptions:
            if ex.start <= today <= ex.end:
                on_call = ex.on_call
                second = ex.second or (second if second != on_call else cycle[idx])
        return Duty(on_call, second if second != on_call else None, self.rota.manager)

    def contact(self, contact_id: str) -> Contact:
        return self.contacts[contact_id]


class RotaInForce:
    """The on-call rota and contacts of the live configuration, rebuilt when they change."""

    def __init__(self, live: LiveConfig) -> None:
        self.live = live
        self._built_from: tuple[Rota | None, tuple[Contact, ...]] | None = None
        self._oncall: OnCall | None = None

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return self.live.current.contacts

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    @property
    def oncall(self) -> OnCall | None:
        """The rota in force (``None`` when the site has none: every contact is called)."""
        cfg = self.live.current
        source = (cfg.rota, cfg.contacts)
        if self._built_from is None or any(a is not b for a, b in zip(source, self._built_from, strict=True)):
            tz = ZoneInfo(cfg.site.timezone)
            self._oncall = OnCall(cfg.rota, cfg.contacts, tz) if cfg.rota is not None else None
            self._built_from = source
        return self._oncall


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def in_working_hours(hours: WorkingHours, t: datetime, tz: ZoneInfo) -> bool:
    """Whether ``t`` falls in a working period of a working day (public holidays excluded)."""
    local = t.astimezone(tz)
    if local.weekday() not in hours.weekdays or local.date() in _holidays(hours.country, local.year):
        return False
    now = local.time()
    return any(start <= now < end for start, end in hours.periods)
