"""Whether an alarm's condition holds, from the latest values: comparison, deadband, quality.

Pure functions of (condition, values, previous result). A numeric comparison trips at its
limit and clears only once the value is back past the limit by the alarm's deadband
(``>``: active above 220, cleared at or below 210 with a deadband of 10). A value that is not
Good neither raises nor clears a value alarm (the previous result holds, ``None`` when there
is none): losing a link is the business of ``bad_quality`` and ``link_down`` alarms.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

from chaufferie.config.alarming import (
    AlarmDefinition,
    BadQualityCondition,
    DeviationCondition,
    IncreaseCondition,
    LinkDownCondition,
    PointCondition,
)
from chaufferie.config.vocabulary import LinkState, Scalar, TagValue

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
DOWN_STATES = frozenset({LinkState.DOWN, LinkState.CONNECTING})


def watched_points(alarm: AlarmDefinition) -> tuple[str, ...]:
    """The points whose values change this alarm's condition."""
    c = alarm.condition
    if isinstance(c, PointCondition | BadQualityCondition | IncreaseCondition):
        return (c.point,)
    if isinstance(c, DeviationCondition):
        return (c.point, c.reference)
    return ()


def evaluate(alarm: AlarmDefinition, values: Mapping[str, TagValue], was: bool | None) -> bool | None:
    """The condition's state now (``None``: unknown, no Good value yet)."""
    c = alarm.condition
    if isinstance(c, BadQualityCondition):
        tv = values.get(c.point)
        return None if tv is None else not tv.good
    if isinstance(c, PointCondition):
        return _compare(c, values.get(c.point), alarm.deadband, was)
    if isinstance(c, DeviationCondition):
        return _deviation(c, values.get(c.point), values.get(c.reference), alarm.deadband, was)
    return was


def increased(c: IncreaseCondition, rise: float | None, deadband: float, was: bool | None) -> bool | None:
    """Whether the counter rose by more than the limit in its window (``rise`` None: the
    reading was not Good, the previous result holds); clears below the limit by the deadband."""
    if rise is None:
        return was
    return rise > (c.limit - deadband if was else c.limit)


def link_down(alarm: AlarmDefinition, link: str, state: LinkState) -> bool | None:
    """For a ``link_down`` alarm on ``link``: whether it is down (None if not concerned)."""
    c = alarm.condition
    if not isinstance(c, LinkDownCondition) or c.link != link:
        return None
    return state in DOWN_STATES


def _number(v: Scalar) -> float | None:
    if isinstance(v, bool | int | float):
        return float(v)
    return None


def _compare(c: PointCondition, tv: TagValue | None, deadband: float, was: bool | None) -> bool | None:
    if tv is None or not tv.good:
        return was
    if c.op in ("==", "!="):
        equal = tv.value == c.value if isinstance(c.value, bool) else _number(tv.value) == c.value
        return equal if c.op == "==" else not equal
    value, limit = _number(tv.value), float(c.value)
    if value is None:
        return was
    if was:
        # stay active until the value is back past the limit by the deadband (with the same
        # operator: a ">=" alarm at exactly its limit stays active when the value comes again)
        above = c.op in (">", ">=")
        limit = limit - deadband if above else limit + deadband
    return _OPS[c.op](value, limit)


def _deviation(
    c: DeviationCondition, tv: TagValue | None, ref: TagValue | None, deadband: float, was: bool | None
) -> bool | None:
    if tv is None or ref is None or not (tv.good and ref.good):
        return was
    value, reference = _number(tv.value), _number(ref.value)
    if value is None or reference is None:
        return was
    band = c.band - deadband if was else c.band
    return abs(value - reference) > band
