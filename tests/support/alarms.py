"""The real alarm engine behind a test, and how to raise a given alarm from its plant input.

:class:`PlantAlarms` raises an alarm the way the plant does: the value of the point its
condition watches (or the plant event it listens to), then the on-delay on the virtual clock,
so the occurrence, its values, its transitions on the bus and its audit records are the
engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.vocabulary import (
    Context,
    OilRole,
    PlantEvent,
    PlantEventKind,
    Quality,
    Scalar,
    TagValue,
)

TRIGGERS: dict[str, tuple[str, Scalar]] = {
    "CHB-DEF": ("wood.state", 6),
    "CHB-STB": ("wood.stb_tripped", True),
    "FIO-DEF": ("oil.fault", True),
    "VIS-BLQ": ("screw.jammed", True),
    "VIS-INV": ("screw.test_failed", True),
    "CEN-PLN": ("ash.bin_full", True),
    "SIL-BAS": ("silo.low_level", True),
    "PRS-BAS": ("network.low_pressure", True),
    "PRS-HT": ("network.pressure", 3.62),
}
"""For each alarm raised from a point: the point and a value that meets its condition."""

EVENTS: dict[str, tuple[PlantEventKind, OilRole | None]] = {
    "FIO-REL": (PlantEventKind.OIL_STARTED, OilRole.REPLACEMENT),
    "FIO-APP": (PlantEventKind.OIL_STARTED, OilRole.TOP_UP),
}
"""For each alarm raised by a plant event: the event and the oil boiler's role in it."""


@dataclass
class PlantAlarms:
    """The real engine and its operations, on the test's bus and virtual clock."""

    engine: AlarmEngine
    bus: Bus
    clock: VirtualClock

    def __post_init__(self) -> None:
        self.operations = AlarmOperations(self.engine)

    async def raise_alarm(self, code: str, value: Scalar = None) -> str:
        """Make ``code`` active as the plant would; the id of its open occurrence."""
        now = self.clock.now()
        if code in EVENTS:
            kind, role = EVENTS[code]
            event = PlantEvent(kind, now, "wood_fault", oil_role=role, context=Context(origin="supervisor"))
            self.engine.handle(event)
            self.bus.publish(event)
        else:
            point, trigger = TRIGGERS[code]
            tag = TagValue(point, trigger if value is None else value, Quality.GOOD, now, now)
            self.engine.handle(tag)
            self.bus.publish(tag)
            delay = self.engine.definitions[code].on_delay_s
            if delay:
                await self.clock.advance(delay + 1)
                self.engine.tick()
        return next(o.id for o in self.engine.occurrences.values() if o.code == code and o.active)
