"""Adapts the alarms service (:class:`~chaufferie.alarms.operations.AlarmOperations`) to
the :class:`~.ports.AlarmActions` and :class:`~.ports.AlarmLookup` seams of this package.

The alarms service audits the acknowledgement and its comment itself (with our context:
user, channel, address); a refusal in its state machine becomes ``False`` here.
``recipients`` says who an occurrence went to; by default whoever the rota puts on call now
(on call, second, manager), until the notifier tells us whom it reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chaufferie.alarms.errors import AlarmError
from chaufferie.alarms.operations import AlarmOperations, AlarmView
from chaufferie.config.vocabulary import Context
from chaufferie.hmi.access.oncall import on_call
from chaufferie.hmi.access.ports import OccurrenceView


class OperationsAccess:
    """``AlarmActions`` + ``AlarmLookup`` over the real alarms service."""

    def __init__(
        self, ops: AlarmOperations, recipients: Callable[[str], Iterable[str]] | None = None
    ) -> None:
        self._ops = ops
        engine = ops.engine
        self._recipients = recipients or (lambda _occ: on_call(engine.cfg, engine.clock.now()))

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> bool:
        try:
            await self._ops.acknowledge(occurrence_id, context, comment)
        except AlarmError:
            return False
        return True

    def occurrence(self, occurrence_id: str) -> OccurrenceView | None:
        try:
            return self._view(self._ops.detail(occurrence_id))
        except AlarmError:
            return None

    def open_occurrences(self) -> list[OccurrenceView]:
        return [self._view(v) for v in self._ops.active()]

    def _view(self, v: AlarmView) -> OccurrenceView:
        return OccurrenceView(
            v.occurrence_id, v.code, v.priority, v.state, v.active, v.raised_at,
            tuple(self._recipients(v.occurrence_id)), v.acked_by, v.acked_at,
        )
