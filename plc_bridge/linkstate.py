"""Link state of a source, as data, and the reconnect backoff.

The machine (one per link)::

    state        trigger      → state       meaning
    connecting   connected    → up          first connection made
    connecting   failed       → down        first connection refused / timed out
    up           degraded     → degraded    some blocks fail, or the PLC heartbeat froze
    up           lost         → down        timeout, connection lost, session dropped
    degraded     recovered    → up
    degraded     lost         → down
    down         connected    → up          back again (logged once)
    down         failed       → down        (no event: the loss was logged once)

Any pair not in the table is ignored. Every real change is published as a
:class:`LinkEvent` and logged in one line, so a link that stays down while retrying logs its
loss once and its recovery once.

:class:`Backoff` gives the waits between reconnect attempts: exponential, bounded, with
jitter (each wait drawn in [½, 1] of the nominal delay) and reset on success. It remembers
only its last :data:`RECENT_DELAYS` waits (and counts them all), so a link down for months
does not grow its memory with every retry.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable
from enum import StrEnum

from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import LinkEvent, LinkState

log = logging.getLogger(__name__)

RECENT_DELAYS = 32
"""How many of the last waits a :class:`Backoff` keeps (for the logs and the tests)."""


class Trigger(StrEnum):
    CONNECTED = "connected"
    FAILED = "failed"
    DEGRADED = "degraded"
    RECOVERED = "recovered"
    LOST = "lost"


S, T = LinkState, Trigger
TRANSITIONS: dict[tuple[LinkState, Trigger], LinkState] = {
    (S.CONNECTING, T.CONNECTED): S.UP,
    (S.CONNECTING, T.FAILED): S.DOWN,
    (S.CONNECTING, T.LOST): S.DOWN,
    (S.UP, T.DEGRADED): S.DEGRADED,
    (S.UP, T.LOST): S.DOWN,
    (S.UP, T.FAILED): S.DOWN,
    (S.DEGRADED, T.RECOVERED): S.UP,
    (S.DEGRADED, T.LOST): S.DOWN,
    (S.DEGRADED, T.FAILED): S.DOWN,
    (S.DOWN, T.CONNECTED): S.UP,
}


class LinkStateMachine:
    """The state of one link; ``publish`` receives each :class:`LinkEvent`."""

    def __init__(self, link: str, clock: Clock, publish: Callable[[LinkEvent], None]) -> None:
        self.link = link
        self.state = LinkState.CONNECTING
        self._clock = clock
        self._publish = publish

    def fire(self, trigger: Trigger, reason: str) -> LinkEvent | None:
        """Apply ``trigger``; publish and log the change if there is one."""
        target = TRANSITIONS.get((self.state, trigger))
        if target is None or target is self.state:
            return None
        event = LinkEvent(self.link, target, self.state, reason, self._clock.now())
        self.state = target
        level = logging.INFO if target is LinkState.UP else logging.WARNING
        log.log(level, "link %s %s → %s: %s", self.link, event.previous.value, target.value, reason)
        self._publish(event)
        return event


class Backoff:
    """Bounded exponential backoff with jitter.

    ``delays`` holds the last :data:`RECENT_DELAYS` waits handed out, ``attempts`` counts them all.
    """

    def __init__(
        self,
        initial_s: float,
        maximum_s: float,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if initial_s <= 0 or maximum_s < initial_s or factor < 1:
            raise ValueError("backoff needs 0 < initial_s <= maximum_s and factor >= 1")
        self.initial_s = initial_s
        self.maximum_s = maximum_s
        self.factor = factor
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
        self._nominal = initial_s
        self.delays: deque[float] = deque(maxlen=RECENT_DELAYS)
        self.attempts = 0

    @property
    def nominal_s(self) -> float:
        """The nominal delay of the next wait (before jitter)."""
        return self._nominal

    def next_delay(self) -> float:
        """The next wait: the nominal delay with jitter; the nominal then grows up to the bound."""
        delay = self._nominal * self._rng.uniform(0.5, 1.0)
        self._nominal = min(self._nominal * self.factor, self.maximum_s)
        self.delays.append(delay)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self._nominal = self.initial_s
