"""In-process publish/subscribe bus for the shared vocabulary.

``publish()`` never blocks and never fails because of a subscriber: each subscriber has its
own bounded queue. When a queue is full the oldest message is dropped and counted (logged
once per overflow episode), so a slow HMI cannot stall the PLC bridge. Subscribers that
must not lose anything (the historian) ask for a large queue and drain it quickly.

The bus also keeps the latest :class:`~chaufferie.config.vocabulary.TagValue` of every
point, so a late subscriber (a page just opened) can start from the current picture.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from chaufferie.config.vocabulary import Message, TagValue

log = logging.getLogger(__name__)


class Subscription:
    """A subscriber's bounded queue, filtered by message type. Use as an async iterator."""

    def __init__(self, bus: Bus, types: tuple[type[Any], ...], maxsize: int, name: str) -> None:
        self._bus = bus
        self.types = types
        self.name = name
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0
        self._overflowing = False
        self.closed = False

    def wants(self, message: Message) -> bool:
        return not self.types or isinstance(message, self.types)

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
            self._overflowing = False
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(message)
            self.dropped += 1
            if not self._overflowing:
                self._overflowing = True
                log.warning("bus subscriber %s overflowing: dropping oldest messages", self.name)

    async def get(self) -> Message:
        return await self.queue.get()

    def get_nowait(self) -> Message | None:
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def drain(self) -> list[Message]:
        """Everything queued now, without waiting."""
        items: list[Message] = []
        while (item := self.get_nowait()) is not None:
            items.append(item)
        return items

    def close(self) -> None:
        self.closed = True
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while not self.closed:
            yield await self.queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus:
    """Fan-out of messages to subscribers, each with its own bounded queue."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._latest: dict[str, TagValue] = {}
        self.published = 0

    def subscribe(self, *types: type[Any], maxsize: int = 10_000, name: str = "subscriber") -> Subscription:
        """Subscribe to messages of ``types`` (all messages when none given)."""
        sub = Subscription(self, types, maxsize, name)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def publish(self, message: Message) -> None:
        """Hand ``message`` to every interested subscriber; never blocks."""
        self.published += 1
        if isinstance(message, TagValue):
            self._latest[message.point] = message
        for sub in tuple(self._subscriptions):
            if sub.wants(message):
                sub.offer(message)

    def publish_many(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self.publish(message)

    def latest(self, point: str) -> TagValue | None:
        """The last value published for ``point`` (None if never)."""
        return self._latest.get(point)

    def snapshot(self) -> dict[str, TagValue]:
        """The last value of every point published so far."""
        return dict(self._latest)

    @property
    def queue_sizes(self) -> dict[str, int]:
        """Current queue length of each subscriber (for health and soak checks)."""
        return {s.name: s.queue.qsize() for s in self._subscriptions}
