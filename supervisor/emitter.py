"""What the core decides, as bus messages: :class:`PlantEvent` and :class:`Command`.

:class:`Emitter` stamps each message with the wall time of the evaluation and a
:class:`Context` of origin ``supervisor`` (child of the operator's context when an operator
caused it), and collects them until the core hands them out. :class:`Outputs` keeps the
level-driven command points (wood enable, oil enable, screw cut-off): a command goes out only
when the wanted value differs from the last one sent, and again after ``command_retry_s`` when
a write failed or was refused.

Imports: the ground floor and :mod:`.timers`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from chaufferie.config.vocabulary import (
    Command,
    Context,
    OilRole,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Scalar,
)
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import TimeBase

log = logging.getLogger("chaufferie.supervisor")

ORIGIN = "supervisor"
Decision = PlantEvent | Command | OperatorAction
NO_DECISIONS: tuple[Decision, ...] = ()
_UNSET = object()


class Emitter:
    """Builds the messages of one evaluation, stamped with its time."""

    __slots__ = ("_base", "_out", "_wall", "now_s")

    def __init__(self, base: TimeBase) -> None:
        self._base = base
        self._out: list[Decision] = []
        self._wall: datetime | None = None
        self.now_s = base.epoch_s

    def begin(self, now_s: float) -> None:
        self.now_s = now_s
        self._wall = None

    @property
    def wall(self) -> datetime:
        if self._wall is None:
            self._wall = self._base.wall(self.now_s)
        return self._wall

    def take(self) -> list[Decision] | tuple[Decision, ...]:
        """Everything emitted since the last call (a shared empty tuple when nothing)."""
        if not self._out:
            return NO_DECISIONS
        out, self._out = self._out, []
        return out

    def event(
        self,
        kind: PlantEventKind,
        reason: Reason | str,
        values: Mapping[str, Scalar] | None = None,
        *,
        mode: PlantMode | None = None,
        previous_mode: PlantMode | None = None,
        oil_role: OilRole | None = None,
        parent: Context | None = None,
        message: str = "",
    ) -> None:
        context = parent.child(ORIGIN) if parent is not None else Context(origin=ORIGIN)
        event = PlantEvent(
            kind=kind,
            time=self.wall,
            reason=str(reason),
            message=message,
            mode=mode,
            previous_mode=previous_mode,
            oil_role=oil_role,
            values=dict(values or {}),
            context=context,
        )
        level = logging.DEBUG if kind is PlantEventKind.SETPOINT_CHANGED else logging.INFO
        log.log(level, "%s %s%s %s", kind.value, reason, f" ({oil_role.value})" if oil_role else "", message)
        self._out.append(event)

    def command(self, point: str, value: Scalar, reason: Reason | str, parent: Context | None = None) -> None:
        context = parent.child(ORIGIN) if parent is not None else Context(origin=ORIGIN)
        self._out.append(
            Command(point=point, value=value, time=self.wall, context=context, reason=str(reason))
        )

    def audit(self, action: OperatorAction) -> None:
        self._out.append(action)


class Outputs(InForce):
    """Level-driven command points: send on change, retry after a failed write."""

    __slots__ = ("_retry_after", "_sent")

    def __init__(self, held: Held) -> None:
        super().__init__(held)
        self._sent: dict[str, Scalar] = {}
        self._retry_after: dict[str, float] = {}

    def want(self, emit: Emitter, point: str, value: Scalar, reason: Reason | str) -> None:
        """Ask for ``point`` = ``value``; a command goes out only if that is new."""
        if self._sent.get(point, _UNSET) == value:
            return
        if self._retry_after.get(point, -1.0) > emit.now_s:
            return
        self._sent[point] = value
        emit.command(point, value, reason)

    def failed(self, point: str, now_s: float) -> None:
        """A write of ``point`` failed or was refused: send it again after ``command_retry_s``."""
        self._sent.pop(point, None)
        self._retry_after[point] = now_s + self._held.s.command_retry_s

    def last(self, point: str) -> Scalar:
        return self._sent.get(point)
