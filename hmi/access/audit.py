"""The audit trail: every access-related action becomes an ``OperatorAction`` on the bus.

The historian records what is published (append-only); nothing here writes to the database.
Details never carry a secret (no password, PIN, token or signature).
"""

from __future__ import annotations

import logging
from typing import Any

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context, OperatorAction

log = logging.getLogger(__name__)


class Audit:
    """Publishes operator actions with the injected clock's time."""

    def __init__(self, bus: Bus, clock: Clock) -> None:
        self._bus = bus
        self._clock = clock

    def record(
        self,
        kind: ActionKind,
        context: Context,
        target: str = "",
        result: ActionResult = ActionResult.OK,
        **details: Any,
    ) -> OperatorAction:
        action = OperatorAction(
            kind=kind, time=self._clock.now(), context=context, target=target, result=result, details=details
        )
        self._bus.publish(action)
        if result is not ActionResult.OK:
            log.info(
                "%s %s by %s from %s via %s: %s",
                kind.value,
                result.value,
                context.user or "?",
                context.address or "?",
                context.channel.value,
                details.get("reason", ""),
            )
        return action
