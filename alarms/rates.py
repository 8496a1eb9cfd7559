"""Counting activations in a sliding window: chattering alarms and alarm floods.

EEMUA 191 / ISA-18.2 figures come from config: an alarm activated ``chatter_count`` times
within ``chatter_window_s`` is *chattering*; ``flood_count`` new alarms within
``flood_window_s`` is a *flood*, which gets an id so its alarms can be grouped, and ends when
the rate falls back under the threshold.
"""

from __future__ import annotations

from collections import deque

from chaufferie.config.vocabulary import new_id


class WindowCounter:
    """Events within the last ``window_s`` seconds (monotonic times)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def add(self, t: float) -> int:
        self._times.append(t)
        return self.count(t)

    def count(self, t: float) -> int:
        while self._times and self._times[0] <= t - self.window_s:
            self._times.popleft()
        return len(self._times)


class Rise:
    """How much a counter rose within the last ``window_s`` seconds, from its readings.

    It keeps the readings of the window and the last one before it (the window's starting
    value); a reading below the one before is a new meter or a reset: the window starts again
    from it.
    """

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._readings: deque[tuple[float, float]] = deque()

    def add(self, t: float, value: float) -> float:
        """Take the reading ``value`` at time ``t`` (seconds); return the rise in the window."""
        if self._readings and value < self._readings[-1][1]:
            self._readings.clear()
        self._readings.append((t, value))
        while len(self._readings) > 1 and self._readings[1][0] <= t - self.window_s:
            self._readings.popleft()
        return value - self._readings[0][1]


class FloodDetector:
    """Flood state of the whole alarm system: ``flood_id`` while a flood lasts, else None."""

    def __init__(self, count: int, window_s: float) -> None:
        self.threshold = count
        self._counter = WindowCounter(window_s)
        self.flood_id: str | None = None
        self.flood_alarms = 0

    def new_alarm(self, t: float) -> str | None:
        """Count one new alarm; the flood id when it belongs to a flood."""
        if self._counter.add(t) >= self.threshold and self.flood_id is None:
            self.flood_id = new_id()
            self.flood_alarms = 0
        if self.flood_id is not None:
            self.flood_alarms += 1
        return self.flood_id

    def update(self, t: float) -> bool:
        """Re-check at ``t``; True when a flood has just ended."""
        if self.flood_id is not None and self._counter.count(t) < self.threshold:
            self.flood_id = None
            return True
        return False

    @property
    def active(self) -> bool:
        return self.flood_id is not None
