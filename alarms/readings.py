"""What the alarm engine keeps per alarm, and how values arriving together are read.

A PLC read publishes its points one after the other (the wood boiler's state, then its fault
code); what the alarm service finds queued at once came together. :func:`readings` groups a
run of tag values of distinct points into one reading (point → value), which the engine
stores whole before it evaluates any condition, so an occurrence raised by one value
snapshots the others read with it (:func:`snapshot`), never older ones. A repeated point, or
a message of another kind, starts a new run; order is kept. :class:`Tracker` is the live
condition of one alarm definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from chaufferie.alarms.conditions import watched_points
from chaufferie.alarms.rates import Rise, WindowCounter
from chaufferie.config.alarming import AlarmDefinition
from chaufferie.config.vocabulary import Message, Scalar, TagValue

Reading = dict[str, TagValue]


@dataclass
class Tracker:
    """The live condition of one alarm definition (raw state, pending delays, occurrences)."""

    alarm: AlarmDefinition
    chatter: WindowCounter
    raw: bool | None = None
    pending_on: float | None = None
    pending_off: float | None = None
    open: list[str] = field(default_factory=list)
    value: Scalar = None
    rise: Rise | None = None
    """For an ``increase`` condition: the counter's rise within its window."""


def readings(messages: Iterable[Message]) -> Iterator[Reading | Message]:
    """``messages`` in order, runs of distinct-point tag values gathered into readings."""
    run: Reading = {}
    for message in messages:
        if isinstance(message, TagValue) and message.point not in run:
            run[message.point] = message
            continue
        if run:
            yield run
        run = {}
        if isinstance(message, TagValue):
            run[message.point] = message
        else:
            yield message
    if run:
        yield run


def snapshot(alarm: AlarmDefinition, values: Mapping[str, TagValue]) -> dict[str, Scalar]:
    """The values an occurrence reports: the condition's own points first, then ``values``."""
    points = dict.fromkeys((*watched_points(alarm), *alarm.values))
    return {p: tv.value for p in points if (tv := values.get(p)) is not None}
