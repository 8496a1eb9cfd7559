"""What the plant did lately, told in one line ("fioul en relève depuis 02:14").

Follows :class:`~chaufferie.config.vocabulary.PlantEvent` messages on the bus and keeps the
last oil start or stop; the ack page shows it in site local time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.vocabulary import OilRole, PlantEvent, PlantEventKind
from chaufferie.hmi.access import texts

_OIL = frozenset({PlantEventKind.OIL_STARTED, PlantEventKind.OIL_STOPPED})


class PlantStory:
    """Last oil event, fed by :meth:`observe` (or :meth:`run` on the bus)."""

    def __init__(self, timezone: str = "Europe/Paris") -> None:
        self._tz = ZoneInfo(timezone)
        self.last_oil: PlantEvent | None = None

    def observe(self, event: PlantEvent) -> None:
        if event.kind in _OIL:
            self.last_oil = event

    async def run(self, bus: Bus) -> None:
        """Follow the bus until cancelled."""
        with bus.subscribe(PlantEvent, maxsize=1000, name="access.plant_story") as sub:
            await self.consume(sub)

    async def consume(self, sub: Subscription) -> None:
        """Observe the plant events of ``sub`` until cancelled."""
        while True:
            message = await sub.get()
            if isinstance(message, PlantEvent):
                self.observe(message)

    def lines(self) -> list[tuple[str, str]]:
        """``(french, english)`` lines, empty when nothing worth telling."""
        event = self.last_oil
        if event is None:
            return []
        at = self._hhmm(event.time)
        if event.kind is PlantEventKind.OIL_STOPPED:
            key = "oil.stopped"
        else:
            key = "oil.replacement" if event.oil_role is OilRole.REPLACEMENT else "oil.top_up"
        return [(f"{texts.fr(key)} {at}", f"{texts.en(key)} {at}")]

    def _hhmm(self, when: datetime) -> str:
        return when.astimezone(self._tz).strftime("%H:%M")
