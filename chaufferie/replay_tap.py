"""The bridge's stand-in for the closed-loop replay: plant points to bus messages, no sockets.

:class:`PlantTap` reads the simulated plant's points at each replay step as one poll of the
PLC bridge, and hands each reading to the bridge's own
:class:`~chaufferie.plc_bridge.tracking.PointTracker`, which decides what is published (deadband,
heartbeat re-publication, sentinels and NaN as Bad without a value, last good value Bad and
stale while the link is down). The tap adds only what the plant says about its links: a
:class:`LinkEvent` when the plant makes a link unreachable or gives it back, and Bad quality
for the points the plant reports as not answering (the heat meter on its M-Bus).
:class:`ReplayClock` is a :class:`~chaufferie.config.clock.Clock` whose time the replay sets.

Part of the composition root: it may import every layer (here the ground floor, the bridge's
tracker and the simulator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from chaufferie.config.points import Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Message, Quality
from chaufferie.plc_bridge.tracking import PointTracker
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.tags import READERS

Sink = Callable[[Message], None]


class ReplayClock:
    """Model time set by the replay (``t`` seconds after ``start``)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        raise RuntimeError("the replay clock only moves with the replay; nothing may sleep on it")


class _Watched:
    __slots__ = ("link", "read", "tracker")

    def __init__(self, point: Point, read: Callable[[Plant], Any]) -> None:
        self.tracker = PointTracker(point)
        self.link = point.link
        self.read = read


class PlantTap:
    """Publishes what the bridge's trackers decide for the plant's watched points to ``sinks``."""

    def __init__(self, cfg: PlantConfig, plant: Plant, points: Iterable[str], sinks: Iterable[Sink]) -> None:
        by_name = cfg.points_by_name
        self.plant = plant
        self.sinks = tuple(sinks)
        plc = sorted(n for n in set(points) if by_name[n].source.protocol != "system")  # the plant's
        self.watched = [_Watched(by_name[n], reader(n)) for n in plc]
        self.links_down: set[str] = set()
        self.published = 0

    def poll(self, now: datetime) -> None:
        """Read every watched point, as one bridge poll, and publish what its tracker decides.

        The trackers' clock is the plant's model time (``plant.t``); ``now`` stamps the
        messages (source and receive time, as the bridge stamps a Modbus block).
        """
        plant = self.plant
        t = plant.t
        down = plant.links_down
        if down != self.links_down:
            self._links(now, down)
        bad = plant.bad_points()
        emit = self._emit
        for w in self.watched:
            if w.link in down:
                message = w.tracker.fail(now, t)
            else:
                quality = Quality.BAD if bad and w.tracker.name in bad else Quality.GOOD
                message = w.tracker.observe(w.read(plant), quality, now, now, t)
            if message is not None:
                emit(message)

    def _links(self, now: datetime, down: set[str]) -> None:
        """Link events for the links the plant cut or gave back (their points follow in the poll)."""
        for link in sorted(down ^ self.links_down):
            lost = link in down
            state, previous = (LinkState.DOWN, LinkState.UP) if lost else (LinkState.UP, LinkState.DOWN)
            self._emit(LinkEvent(link=link, state=state, previous=previous, reason="replay", time=now))
        self.links_down = set(down)

    def _emit(self, message: Message) -> None:
        self.published += 1
        for sink in self.sinks:
            sink(message)


def reader(point: str) -> Callable[[Plant], Any]:
    """A fast reader of ``point`` (the simulator's table when it has one)."""
    reader = READERS.get(point)
    if reader is None:
        return lambda plant: plant.read(point)
    return reader
