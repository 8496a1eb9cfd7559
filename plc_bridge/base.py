"""What every source (one per link) shares: the :class:`TagSource` protocol and :class:`SourceCore`.

A source reads the points of one link and publishes them; :class:`SourceCore` holds the
parts that do not depend on the protocol: one :class:`~.tracking.PointTracker` per point,
the link-state machine, the PLC heartbeat watch and the reconnect backoff. It publishes on
the bus and reads the injected clock, nothing else.

Imports only :mod:`chaufferie.config` and sibling modules.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Protocol

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.points import Point
from chaufferie.config.vocabulary import LinkState, Quality, Scalar
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.linkstate import Backoff, LinkStateMachine, Trigger
from chaufferie.plc_bridge.tracking import HeartbeatWatch, PointTracker

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 30.0
"""Longest wait between two reconnect attempts."""


class TagSource(Protocol):
    """A link's client: reads its points onto the bus and writes whitelisted points."""

    name: str

    @property
    def state(self) -> LinkState: ...

    async def run(self) -> None:
        """Connect, read and publish until cancelled; reconnect on failures."""

    async def write(self, point: Point, value: Scalar) -> Scalar:
        """Write ``value`` to ``point`` and return the value read back (LinkError on failure)."""

    async def close(self) -> None:
        """Drop the connection."""


class LinkSource:
    """What both sources share: the state read from the core, and :meth:`run` = supervised sessions."""

    core: SourceCore

    @property
    def state(self) -> LinkState:
        return self.core.machine.state

    async def run(self) -> None:
        """Hold sessions until cancelled; on failure mark everything Bad, back off and reconnect."""
        await self.core.supervise(self._session, self.close)

    async def _session(self) -> None:
        raise NotImplementedError

    async def poll_once(self) -> None:
        raise NotImplementedError

    async def _poll_every(self, period_s: float) -> None:
        """:meth:`poll_once` every ``period_s`` of the core's clock, until it raises."""
        clock = self.core.clock
        deadline = clock.monotonic()
        while True:
            await self.poll_once()
            deadline += period_s
            now = clock.monotonic()
            if deadline < now:  # a slow poll: skip the missed periods rather than burst
                deadline = now
            await clock.sleep(deadline - now)

    async def close(self) -> None:
        raise NotImplementedError


class SourceCore:
    """Trackers, link state, heartbeat watch and backoff of one link."""

    def __init__(
        self,
        name: str,
        points: Iterable[Point],
        bus: Bus,
        clock: Clock,
        *,
        heartbeat_point: str | None,
        heartbeat_timeout_s: float,
        backoff_initial_s: float,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.bus = bus
        self.clock = clock
        self.trackers = {p.name: PointTracker(p) for p in points}
        self.machine = LinkStateMachine(name, clock, bus.publish)
        self.heartbeat_point = heartbeat_point
        self.heartbeat = HeartbeatWatch(heartbeat_timeout_s) if heartbeat_point else None
        self.backoff = Backoff(backoff_initial_s, max(BACKOFF_MAX_S, backoff_initial_s), rng=rng)

    def link_quality(self) -> Quality:
        """Quality imposed on every point by the PLC heartbeat (Good without one)."""
        if self.heartbeat is None:
            return Quality.GOOD
        return self.heartbeat.quality(self.clock.monotonic())

    def accept(
        self, point: str, value: Scalar, quality: Quality = Quality.GOOD, source_time: datetime | None = None
    ) -> None:
        """A fresh reading of ``point``: feed the heartbeat watch, publish if the tracker says so."""
        self.accept_many(((point, value),), quality, source_time)

    def accept_many(
        self,
        readings: Iterable[tuple[str, Scalar]],
        quality: Quality = Quality.GOOD,
        source_time: datetime | None = None,
    ) -> None:
        """Fresh readings taken together (one block): one clock reading for all of them."""
        now = self.clock.monotonic()
        received = self.clock.now()
        stamp = source_time if source_time is not None else received
        link_quality = self.link_quality()
        trackers = self.trackers
        publish = self.bus.publish
        for point, value in readings:
            tracker = trackers.get(point)
            if tracker is None:
                continue
            if point == self.heartbeat_point and self.heartbeat is not None and quality is Quality.GOOD:
                self.heartbeat.feed(value, now)
            message = tracker.observe(value, quality, stamp, received, now, link_quality)
            if message is not None:
                publish(message)

    def next_heartbeat(self, points: Iterable[str]) -> float:
        """When the first of ``points`` is due to be re-published (clock seconds)."""
        return min((self.trackers[p].due_at for p in points), default=float("inf"))

    def fail(self, points: Iterable[str]) -> None:
        """These points cannot be read: last good value, Bad, stale."""
        now = self.clock.monotonic()
        received = self.clock.now()
        for name in points:
            message = self.trackers[name].fail(received, now)
            if message is not None:
                self.bus.publish(message)

    def fail_all(self) -> None:
        self.fail(self.trackers)

    def refresh_all(self) -> None:
        """Re-publish what the link quality or the heartbeat periods call for (OPC UA tick)."""
        now = self.clock.monotonic()
        received = self.clock.now()
        quality = self.link_quality()
        for tracker in self.trackers.values():
            message = tracker.refresh(received, now, quality)
            if message is not None:
                self.bus.publish(message)

    def settle_state(self, problems: list[str]) -> None:
        """After a successful exchange: up, or degraded for ``problems`` (plus a frozen heartbeat)."""
        quality = self.link_quality()
        if quality is not Quality.GOOD:
            problems = [*problems, f"PLC heartbeat {self.heartbeat_point} frozen ({quality.value})"]
        self.machine.fire(Trigger.CONNECTED, "connected")
        if problems:
            self.machine.fire(Trigger.DEGRADED, "; ".join(problems))
        else:
            self.machine.fire(Trigger.RECOVERED, "all points read")
        self.backoff.reset()

    async def supervise(
        self, session: Callable[[], Awaitable[None]], close: Callable[[], Awaitable[None]]
    ) -> None:
        """Run ``session`` again and again until cancelled: on failure, points Bad, back off, retry.

        A :class:`LinkError` is the expected failure; any other exception is a bug, logged with
        its traceback, and handled the same way so that one link never stops the others.
        """
        try:
            while True:
                try:
                    await session()
                    reason = "session ended"
                except LinkError as exc:
                    reason = str(exc)
                except Exception as exc:
                    log.exception("unexpected error on link %s", self.name)
                    reason = f"unexpected error: {exc!r}"
                wait = self.lost(reason)  # points Bad first: closing a dead link may take a while
                await close()
                await self.clock.sleep(wait)
        finally:
            await close()

    def lost(self, reason: str) -> float:
        """The link failed: points Bad and stale, state down; returns the wait before retrying."""
        self.machine.fire(Trigger.LOST, reason)
        if self.heartbeat is not None:
            self.heartbeat.reset()
        self.fail_all()
        return self.backoff.next_delay()
