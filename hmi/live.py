"""The service that keeps the :class:`~chaufferie.hmi.viewmodel.PlantView` up to date.

It subscribes to the bus (values, link events, plant events, alarm transitions), starts from
the bus's latest values, and folds each message into the view. It is an async context
manager with a ``run()`` like every service; the pages only read the view.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.vocabulary import AlarmTransition, LinkEvent, Message, PlantEvent, TagValue
from chaufferie.hmi.viewmodel import PlantView

log = logging.getLogger(__name__)


class LiveModel:
    """Feeds ``view`` from ``bus``; ``seed`` adds messages the bus no longer holds."""

    def __init__(self, bus: Bus, view: PlantView, queue_size: int = 20_000) -> None:
        self.bus = bus
        self.view = view
        self._queue_size = queue_size
        self._sub: Subscription | None = None

    def seed(self, messages: Iterable[Message]) -> None:
        """Start from known state (active alarms, last mode) given by the composition root."""
        for message in messages:
            self.view.apply(message)

    def attach(self) -> None:
        """Subscribe now (idempotent): nothing published from here on is missed."""
        if self._sub is not None:
            return
        self._sub = self.bus.subscribe(
            TagValue, LinkEvent, PlantEvent, AlarmTransition, maxsize=self._queue_size, name="hmi"
        )
        for tv in self.bus.snapshot().values():
            self.view.apply(tv)

    async def __aenter__(self) -> Self:
        self.attach()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None

    def pump(self) -> int:
        """Apply everything queued now (tests and the page timer call it); returns the count."""
        if self._sub is None:
            return 0
        items = self._sub.drain()
        for message in items:
            self.view.apply(message)
        return len(items)

    async def run(self) -> None:
        if self._sub is None:
            raise RuntimeError("LiveModel.run() outside its context")
        log.info("hmi live model running")
        while True:
            message = await self._sub.get()
            self.view.apply(message)
            self.pump()
