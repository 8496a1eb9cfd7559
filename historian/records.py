"""Turning bus messages into rows: one function per vocabulary type.

A :class:`Row` is ``(table name, column values)``. Samples and rollups (made by the writer
and :mod:`.sampling`) name their point (``"point"``) rather than its database id, so a row
means the same thing in the spool, in another database and in the XML exchange format;
:mod:`.store` maps names to ids. A sample's ``time`` may be an int of microseconds since the
epoch (the writer's fast path) or an aware datetime.

Chip deliveries and ash removals come from the logbook entries operators make
(:class:`~chaufferie.config.vocabulary.OperatorAction` of kind ``chip_delivery`` /
``ash_removal``) with ``details`` holding ``mass_kg`` or ``tonnes`` or ``volume_m3``, and
optionally ``supplier`` and ``humidity``. The action itself is also kept in the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmTransition,
    Command,
    CommandResult,
    Context,
    LinkEvent,
    Message,
    NotificationRecord,
    OperatorAction,
    PlantEvent,
    Quality,
)

Row = tuple[str, dict[str, Any]]

QUALITY_CODES = {Quality.GOOD: 0, Quality.UNCERTAIN: 1, Quality.BAD: 2}
STALE = 3
"""Quality code of a stale value (bad, last good number kept)."""
QUALITY_NAMES = {0: "good", 1: "uncertain", 2: "bad", STALE: "stale"}


def plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of ``data`` (unknown objects become their text)."""
    result: dict[str, Any] = json.loads(json.dumps(dict(data), default=str))
    return result


def context_columns(ctx: Context) -> dict[str, Any]:
    return {
        "origin": ctx.origin,
        "user": ctx.user,
        "channel": ctx.channel.value,
        "address": ctx.address,
        "context_id": ctx.id,
        "parent_id": ctx.parent_id,
    }


class RecordMaker:
    """Builds the rows of one site's records, numbering them with ``next_seq``."""

    def __init__(self, site_id: str, next_seq: Callable[[], int], bulk_density_kg_m3: float) -> None:
        self.site_id = site_id
        self.next_seq = next_seq
        self.bulk_density = bulk_density_kg_m3

    def _base(self, time: Any, ctx: Context | None) -> dict[str, Any]:
        base = {"site_id": self.site_id, "seq": self.next_seq(), "time": time}
        if ctx is not None:
            base.update(context_columns(ctx))
        return base

    def rows(self, message: Message) -> list[Row]:
        """The rows recording ``message`` (TagValues are handled by the sample filter)."""
        if isinstance(message, PlantEvent):
            return [self.plant_event(message)]
        if isinstance(message, AlarmTransition):
            return [self.alarm_transition(message)]
        if isinstance(message, NotificationRecord):
            return [self.notification(message)]
        if isinstance(message, OperatorAction):
            return self.operator_action(message)
        if isinstance(message, LinkEvent):
            return [self.link_event(message)]
        if isinstance(message, Command | CommandResult):
            return [self.command(message)]
        return []

    def plant_event(self, e: PlantEvent) -> Row:
        row = self._base(e.time, e.context)
        row.update(
            event_id=e.id,
            kind=e.kind.value,
            reason=e.reason,
            message=e.message,
            mode=e.mode.value if e.mode else None,
            previous_mode=e.previous_mode.value if e.previous_mode else None,
            oil_role=e.oil_role.value if e.oil_role else None,
            values=plain(e.values),
        )
        return ("plant_events", row)

    def alarm_transition(self, t: AlarmTransition) -> Row:
        row = self._base(t.time, t.context)
        row.update(
            code=t.code,
            occurrence_id=t.occurrence_id,
            priority=t.priority,
            previous=t.previous.value,
            state=t.state.value,
            trigger=t.trigger,
            active=t.active,
            value=t.value,
            message=t.message,
            oil_role=t.oil_role.value if t.oil_role else None,
            details=plain(t.details),
        )
        return ("alarm_transitions", row)

    def notification(self, n: NotificationRecord) -> Row:
        row = self._base(n.time, n.context)
        row.update(
            key=n.key,
            medium=n.channel,
            via=n.via,
            recipient=n.recipient,
            status=n.status.value,
            occurrence_id=n.occurrence_id,
            code=n.code,
            body=n.body,
            attempts=n.attempts,
            error=n.error,
        )
        return ("notifications", row)

    def operator_action(self, a: OperatorAction) -> list[Row]:
        row = self._base(a.time, a.context)
        details = plain(a.details)
        row.update(action_id=a.id, kind=a.kind.value, target=a.target, result=a.result.value, details=details)
        rows: list[Row] = [("operator_actions", row)]
        if a.kind is ActionKind.CHIP_DELIVERY:
            rows.append(("chip_deliveries", self._delivery(a, details)))
        elif a.kind is ActionKind.ASH_REMOVAL:
            extra = self._base(a.time, a.context)
            extra.update(mass_kg=_mass_kg(details, None), action_id=a.id)
            rows.append(("ash_removals", extra))
        return rows

    def _delivery(self, a: OperatorAction, details: dict[str, Any]) -> dict[str, Any]:
        volume = _number(details.get("volume_m3"))
        mass = _mass_kg(details, None if volume is None else volume * self.bulk_density)
        row = self._base(a.time, a.context)
        row.update(
            mass_kg=mass or 0.0,
            volume_m3=volume,
            supplier=str(details.get("supplier", "")),
            humidity=_number(details.get("humidity")),
            action_id=a.id,
        )
        return row

    def link_event(self, e: LinkEvent) -> Row:
        row = self._base(e.time, e.context)
        row.update(link=e.link, state=e.state.value, previous=e.previous.value, reason=e.reason)
        return ("link_events", row)

    def command(self, c: Command | CommandResult) -> Row:
        row = self._base(c.time, c.context)
        if isinstance(c, Command):
            row.update(command_id=c.id, point=c.point, value=c.value, status="requested", message=c.reason)
            row["readback"] = None
        else:
            row.update(command_id=c.command_id, point=c.point, value=c.value, status=c.status.value)
            row.update(message=c.message, readback=c.readback)
        return ("commands", row)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _mass_kg(details: Mapping[str, Any], fallback: float | None) -> float | None:
    mass = _number(details.get("mass_kg"))
    if mass is not None:
        return mass
    tonnes = _number(details.get("tonnes"))
    return tonnes * 1000.0 if tonnes is not None else fallback
