"""A month of the plant as the running system writes it into the historian, for the page tests.

Before ``now``: a wood boiler fault (CHB-DEF) answered by the oil boiler in replacement for two
hours, acknowledged through the SMS link by the technician; a chip delivery; a low silo
(SIL-BAS). And 31 days of four temperatures and the modulation every quarter of an hour, with
a day of Bad quality ten days ago (a lost sensor).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    Message,
    OilRole,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    Quality,
    TagValue,
)
from chaufferie.historian.writer import HistorianWriter

FAULT_OCCURRENCE = "occ-CHB-DEF"
TREND_POINTS = ("buffer.temp_top", "wood.outlet_temp", "network.supply_temp", "wood.modulation")
STEP = timedelta(minutes=15)
LOST = (timedelta(days=10), timedelta(days=9))
"""Ago: the span of Bad quality."""


async def record_past(config: PlantConfig, clock: Clock) -> None:
    """Write :func:`past` up to ``clock.now()`` into ``config``'s database, through the
    historian as the running system writes it."""
    async with HistorianWriter(config, Bus(), clock) as writer:
        for message in past(clock.now()):
            writer.accept(message)
        await writer.flush()


def past(now: datetime) -> list[Message]:
    h = timedelta(hours=1)
    tech = Context(origin="access", user="tech", channel=Channel.LINK, address="127.0.0.1")
    agent = Context(origin="hmi", user="operator", channel=Channel.HMI, address="127.0.0.1")
    delivery = {"kg": 4000.0, "supplier": "Bois Sud", "humidity_pct": 25.0}
    story: list[Message] = [
        AlarmTransition(
            "CHB-DEF",
            FAULT_OCCURRENCE,
            1,
            AlarmState.NORMAL,
            AlarmState.UNACKED,
            "activate",
            now - 30 * h,
            True,
            6,
            message="Défaut chaudière bois",
        ),
        PlantEvent(
            PlantEventKind.OIL_STARTED,
            now - 29 * h,
            "wood_fault",
            "oil started as replacement",
            oil_role=OilRole.REPLACEMENT,
        ),
        OperatorAction(
            ActionKind.ACKNOWLEDGE, now - 28 * h, tech, "CHB-DEF", details={"occurrence_id": FAULT_OCCURRENCE}
        ),
        PlantEvent(
            PlantEventKind.OIL_STOPPED, now - 27 * h, "wood_back", "oil stopped", oil_role=OilRole.REPLACEMENT
        ),
        PlantEvent(
            PlantEventKind.CHIP_DELIVERY,
            now - 5 * h,
            "logbook",
            "Livraison de plaquettes 4 t (Bois Sud)",
            values=delivery,
            context=agent,
        ),
        AlarmTransition(
            "SIL-BAS",
            "occ-SIL-BAS",
            2,
            AlarmState.NORMAL,
            AlarmState.UNACKED,
            "activate",
            now - 2 * h,
            True,
            True,
            message="Niveau bas silo",
        ),
    ]
    return [*_samples(now), *story]


def _samples(now: datetime) -> Iterator[TagValue]:
    t, i = now - timedelta(days=31), 0
    while t < now:
        lost = now - LOST[0] <= t < now - LOST[1]
        quality = Quality.BAD if lost else Quality.GOOD
        for k, point in enumerate(TREND_POINTS):
            value = 60.0 + (i % 48) / 4 if point == "wood.modulation" else 64.0 + 6 * k + (i % 50) / 10
            yield TagValue(point, value, quality, t, t, stale=lost)
        t += STEP
        i += 1
