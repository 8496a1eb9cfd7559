"""What the bridge publishes for each point, and when: the honesty layer.

A :class:`PointTracker` per point turns raw observations into :class:`TagValue` messages:

* a value equal to one of the point's ``sentinels``, NaN or ±Inf is published Bad with no
  value (the PLC says "no measurement");
* a value is published when it moves beyond the point's ``deadband`` from the last published
  one, when its quality or staleness changes, or when ``heartbeat_s`` has passed (so a
  subscriber sees a steady value is still alive);
* when the link fails, :meth:`PointTracker.fail` publishes the last good value Bad and
  ``stale=True``, once.

A :class:`HeartbeatWatch` follows the PLC's life counter: frozen for ``timeout_s`` the whole
link turns Uncertain, for twice that Bad. Times are seconds of the injected clock.

Imports only :mod:`chaufferie.config`.
"""

from __future__ import annotations

import math
from datetime import datetime

from chaufferie.config.points import Point
from chaufferie.config.vocabulary import Quality, Scalar, TagValue

_RANK = {Quality.GOOD: 2, Quality.UNCERTAIN: 1, Quality.BAD: 0}
# Bound once: reading an enum member off its class costs far more than a global, and
# :meth:`PointTracker.observe` runs for every point at every poll.
_GOOD, _BAD = Quality.GOOD, Quality.BAD
_NUMBERS = frozenset((int, float))
_REL_TOL, _ABS_TOL = 1e-9, 1e-12
"""How close a reading must be to a configured sentinel to be taken for it (scaled integers)."""


def worst(a: Quality, b: Quality) -> Quality:
    """The lower of two qualities (Bad < Uncertain < Good)."""
    return a if _RANK[a] <= _RANK[b] else b


def is_number(value: Scalar) -> bool:
    if value.__class__ in _NUMBERS:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


class PointTracker:
    """Decides what to publish for one point (see the module docstring).

    :meth:`observe` runs for every point at every poll, so its common case — same value,
    same quality, heartbeat not due — returns after a few comparisons, creating nothing.
    """

    __slots__ = (
        "_deadband",
        "_heartbeat_s",
        "_numeric",
        "_sentinels",
        "last",
        "last_good",
        "name",
        "observed",
        "published_at",
    )

    def __init__(self, point: Point) -> None:
        self.name = point.name
        self._deadband = point.deadband
        self._heartbeat_s = point.heartbeat_s
        self._numeric = not point.is_bool
        self._sentinels = tuple(
            (s, 2 * (_REL_TOL * abs(s) + _ABS_TOL)) for s in point.sentinels if math.isfinite(s)
        )
        self.last: TagValue | None = None
        self.last_good: tuple[Scalar, datetime] | None = None
        self.published_at = -math.inf
        self.observed: tuple[Scalar, Quality, datetime] | None = None

    @property
    def due_at(self) -> float:
        """When the heartbeat calls for re-publishing the value (clock seconds)."""
        return self.published_at + self._heartbeat_s

    def is_sentinel(self, value: Scalar) -> bool:
        """Does ``value`` mean "no measurement" (a configured sentinel, NaN or ±Inf)?"""
        kind = value.__class__
        if kind is float:
            if not math.isfinite(value):  # type: ignore[arg-type]
                return True
        elif kind is not int:
            return False
        for sentinel, reach in self._sentinels:  # a loop, not any(): this runs for every reading
            # ``reach`` bounds how far isclose() can accept: most readings stop at the subtraction
            if abs(value - sentinel) <= reach and math.isclose(  # type: ignore[operator]
                value,  # type: ignore[arg-type]
                sentinel,
                rel_tol=_REL_TOL,
                abs_tol=_ABS_TOL,
            ):
                return True
        return False

    def observe(
        self,
        value: Scalar,
        quality: Quality,
        source_time: datetime,
        receive_time: datetime,
        now: float,
        link_quality: Quality = _GOOD,
    ) -> TagValue | None:
        """A fresh reading; returns the message to publish, if any."""
        self.observed = (value, quality, source_time)
        if self.is_sentinel(value):
            value, quality = None, _BAD
        elif link_quality is not _GOOD:
            quality = worst(quality, link_quality)
        if quality is _GOOD:
            self.last_good = (value, source_time)
        last = self.last
        if (
            last is not None
            and quality is last.quality
            and not last.stale
            and now - self.published_at < self._heartbeat_s
            and (last.value == value or not self._moved(last.value, value))
        ):
            return None
        return self._publish(TagValue(self.name, value, quality, source_time, receive_time), now)

    def refresh(self, receive_time: datetime, now: float, link_quality: Quality) -> TagValue | None:
        """Re-evaluate the last reading under a new link quality or for the heartbeat."""
        if self.observed is None or (self.last is not None and self.last.stale):
            return None
        value, quality, source_time = self.observed
        if self.is_sentinel(value):
            value, quality = None, Quality.BAD
        quality = worst(quality, link_quality)
        return self._maybe_publish(TagValue(self.name, value, quality, source_time, receive_time), now)

    def fail(self, receive_time: datetime, now: float) -> TagValue | None:
        """The link cannot deliver: last good value, Bad and stale (published once, then heartbeat)."""
        if self.last_good is not None:
            value, source_time = self.last_good
        elif self.last is not None:
            value, source_time = self.last.value, self.last.source_time
        else:
            value, source_time = None, receive_time
        self.observed = None
        candidate = TagValue(self.name, value, Quality.BAD, source_time, receive_time, stale=True)
        return self._maybe_publish(candidate, now)

    def _maybe_publish(self, candidate: TagValue, now: float) -> TagValue | None:
        last = self.last
        if (
            last is None
            or candidate.quality is not last.quality
            or candidate.stale != last.stale
            or self._moved(last.value, candidate.value)
            or now - self.published_at >= self._heartbeat_s
        ):
            return self._publish(candidate, now)
        return None

    def _publish(self, candidate: TagValue, now: float) -> TagValue:
        self.last = candidate
        self.published_at = now
        return candidate

    def _moved(self, old: Scalar, new: Scalar) -> bool:
        if old == new:
            return False
        if self._numeric and is_number(old) and is_number(new):
            delta = abs(float(new) - float(old))  # type: ignore[arg-type]
            return delta > self._deadband if self._deadband > 0 else delta != 0
        return True


class HeartbeatWatch:
    """Follows a PLC life counter: Good while it moves, Uncertain then Bad when it freezes."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._value: Scalar = None
        self._changed_at: float | None = None

    def feed(self, value: Scalar, now: float) -> None:
        if self._changed_at is None or value != self._value:
            self._value = value
            self._changed_at = now

    def reset(self) -> None:
        """Forget the counter (after a reconnect it is judged afresh)."""
        self._value = None
        self._changed_at = None

    def quality(self, now: float) -> Quality:
        if self._changed_at is None:
            return Quality.GOOD
        frozen = now - self._changed_at
        if frozen >= 2 * self.timeout_s:
            return Quality.BAD
        if frozen >= self.timeout_s:
            return Quality.UNCERTAIN
        return Quality.GOOD
