"""The supervisor's picture of the plant: the latest value and quality of each role.

:class:`Inputs` is fed the same :class:`TagValue` and :class:`LinkEvent` messages the PLC
bridge publishes (``apply``/``apply_link``); the core reads it by :class:`Signal`. Only
``GOOD`` and fresh values count as known (``good[...]``): a stale value keeps its last number
for display but never drives a decision.

Imports: the ground floor only.
"""

from __future__ import annotations

from enum import IntEnum

from chaufferie.config.plant import SupervisorIO
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Scalar, TagValue


class Signal(IntEnum):
    """Index of each role of :class:`SupervisorIO` in :attr:`Inputs.values`."""

    WOOD_STATE = 0
    WOOD_FAULT_CODE = 1
    WOOD_MODULATION = 2
    WOOD_ENABLE = 3
    WOOD_SETPOINT = 4
    BUFFER_OUTLET = 5
    OUTDOOR = 6
    OIL_ENABLE = 7
    OIL_BURNER = 8
    OIL_FAULT = 9
    PUMP1_RUNNING = 10
    PUMP1_FAULT = 11
    PUMP2_RUNNING = 12
    PUMP2_FAULT = 13
    PUMP_DUTY = 14
    NETWORK_FLOW = 15
    SCREW_JAMMED = 16
    SCREW_TEST_RUNNING = 17
    SCREW_TEST_FAILED = 18
    SCREW_CUTOFF = 19
    SILO_LEVEL = 20
    SILO_EMPTY = 21

    @property
    def role(self) -> str:
        """The :class:`SupervisorIO` field naming this signal's point."""
        return self.name.lower()


class Inputs:
    """Latest value and goodness of every supervisor signal, plus the wood link's state."""

    __slots__ = ("_index", "good", "points", "values", "wood_link", "wood_link_up")

    def __init__(self, io: SupervisorIO, wood_link: str) -> None:
        self.points: tuple[str, ...] = tuple(getattr(io, s.role) for s in Signal)
        self._index: dict[str, list[int]] = {}
        for i, point in enumerate(self.points):
            self._index.setdefault(point, []).append(i)
        self.values: list[Scalar] = [None] * len(Signal)
        self.good: list[bool] = [False] * len(Signal)
        self.wood_link = wood_link
        self.wood_link_up = True

    @classmethod
    def for_config(cls, cfg: PlantConfig) -> Inputs:
        return cls(cfg.io, cfg.point(cfg.io.wood_state).link)

    def wants(self, point: str) -> bool:
        return point in self._index

    def apply(self, tag: TagValue) -> bool:
        """Take a value from the bus; False when the point plays no role."""
        indexes = self._index.get(tag.point)
        if indexes is None:
            return False
        good = tag.quality == "good" and not tag.stale
        for i in indexes:
            self.values[i] = tag.value
            self.good[i] = good
        return True

    def apply_link(self, event: LinkEvent) -> None:
        """Follow the wood boiler link: anything but UP counts as lost."""
        if event.link == self.wood_link:
            self.wood_link_up = event.state is LinkState.UP

    def number(self, signal: Signal) -> float | None:
        """The signal's value as a float when good and numeric, else None."""
        if not self.good[signal]:
            return None
        value = self.values[signal]
        if isinstance(value, bool | int | float):
            return float(value)
        return None

    def flag(self, signal: Signal) -> bool:
        """True only for a good, truthy value (a Bad flag is never taken as set)."""
        return self.good[signal] and bool(self.values[signal])
