"""The bridge's stand-in for the closed-loop replay: plant points to bus messages, no sockets.

:class:`PlantTap` reads the simulated plant's points the way the PLC bridge mirrors a PLC:
a :class:`TagValue` when a value changes (beyond the point's deadband) or its quality changes,
every point of a link Bad and stale with a :class:`LinkEvent` while the plant makes that link
unreachable, fresh values and ``UP`` when it answers again, and Bad for the points the plant
reports as not answering (the heat meter on its M-Bus). :class:`ReplayClock` is a
:class:`~chaufferie.config.clock.Clock` whose time the replay sets.

Part of the composition root: it may import every layer (here the ground floor and the
simulator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Message, Quality, Scalar, TagValue
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
    __slots__ = ("deadband", "good", "link", "name", "read", "value")

    def __init__(self, name: str, link: str, deadband: float, read: Callable[[Plant], Any]) -> None:
        self.name = name
        self.link = link
        self.deadband = deadband
        self.read = read
        self.value: Scalar = None
        self.good = False


class PlantTap:
    """Publishes the plant's watched points on change to ``sinks``."""

    def __init__(self, cfg: PlantConfig, plant: Plant, points: Iterable[str], sinks: Iterable[Sink]) -> None:
        by_name = cfg.points_by_name
        self.plant = plant
        self.sinks = tuple(sinks)
        self.watched = [
            _Watched(n, by_name[n].link, by_name[n].deadband, reader(n)) for n in sorted(set(points))
        ]
        self.links_down: set[str] = set()
        self.published = 0

    def poll(self, now: datetime) -> None:
        """Compare the plant with what was published and publish the differences."""
        plant = self.plant
        down = plant.links_down
        if down != self.links_down:
            self._links(now, down)
        bad = plant.bad_points()
        all_good = not down and not bad
        for w in self.watched:
            if all_good:
                good = True
            elif w.link in down:
                continue
            else:
                good = w.name not in bad
            value = w.read(plant)
            if good == w.good:
                last = w.value
                if value == last:
                    continue
                if w.deadband and isinstance(value, float) and isinstance(last, float):
                    if abs(value - last) <= w.deadband:
                        continue
            self._publish(w, value, good, now)

    def _links(self, now: datetime, down: set[str]) -> None:
        for link in sorted(down ^ self.links_down):
            lost = link in down
            state, previous = (LinkState.DOWN, LinkState.UP) if lost else (LinkState.UP, LinkState.DOWN)
            self._emit(LinkEvent(link=link, state=state, previous=previous, reason="replay", time=now))
            for w in self.watched:
                if w.link == link:
                    if lost:
                        self._publish(w, w.value, False, now, stale=True)
                    else:
                        w.good = False  # republished fresh by the poll that follows
        self.links_down = set(down)

    def _publish(self, w: _Watched, value: Scalar, good: bool, now: datetime, stale: bool = False) -> None:
        w.value, w.good = value, good
        quality = Quality.GOOD if good else Quality.BAD
        tag = TagValue(
            point=w.name, value=value, quality=quality, source_time=now, receive_time=now, stale=stale
        )
        self._emit(tag)

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
