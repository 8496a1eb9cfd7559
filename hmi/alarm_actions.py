"""The alarm page's actions: the alarm operations, and the PLC bridge for a remote reset.

Acknowledge, shelve, unshelve and comment go to the alarm operations (which audit them).
*Reset* means two things in the plant: a latched alarm (STB, burn-back) is reset in the alarm
state machine once it is back to normal and acknowledged; a resettable PLC fault (wood boiler
fault, jammed screw, oil boiler fault) is reset by pulsing its reset point through the bridge,
confirmed by read-back, when :func:`~chaufferie.alarms.permissions.remote_reset_refusal` allows
it (the one rule the acknowledgement page follows too). Alarms that are neither are refused.
"""

from __future__ import annotations

from collections.abc import Awaitable

from chaufferie.alarms.errors import AlarmError
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.permissions import ResetRefusal, remote_reset_refusal
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState, Command, CommandStatus, Context
from chaufferie.hmi.records import Outcome
from chaufferie.plc_bridge.service import Bridge

REFUSALS = {
    ResetRefusal.UNKNOWN_ALARM: "alarme inconnue / unknown alarm",
    ResetRefusal.NOT_RESETTABLE: "réarmement à distance non autorisé / remote reset not allowed",
    ResetRefusal.NO_PLC_LINK: "liaison automate indisponible / PLC link unavailable",
}


class HmiAlarmActions:
    """Acknowledge, shelve, unshelve, comment and reset over :class:`AlarmOperations` and the bridge."""

    def __init__(self, cfg: PlantConfig, ops: AlarmOperations, commands: Bridge | None) -> None:
        self._cfg = cfg
        self._ops = ops
        self._commands = commands

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> Outcome:
        return await _outcome(self._ops.acknowledge(occurrence_id, context, comment))

    async def shelve(self, occurrence_id: str, context: Context, reason: str, duration_s: float) -> Outcome:
        return await _outcome(self._ops.shelve(occurrence_id, context, duration_s / 60.0, reason))

    async def unshelve(self, occurrence_id: str, context: Context) -> Outcome:
        return await _outcome(self._ops.unshelve(occurrence_id, context))

    async def comment(self, occurrence_id: str, context: Context, text: str) -> Outcome:
        return await _outcome(self._ops.comment(occurrence_id, context, text))

    async def reset(self, occurrence_id: str, context: Context) -> Outcome:
        try:
            view = self._ops.detail(occurrence_id)
            if view.state is AlarmState.LATCHED:
                await self._ops.reset(occurrence_id, context)
                return Outcome(True)
        except AlarmError as exc:
            return Outcome(False, str(exc))
        refusal = remote_reset_refusal(self._cfg, view.code, plc_link=self._commands is not None)
        if refusal is not None or self._commands is None:
            return Outcome(False, REFUSALS[refusal or ResetRefusal.NO_PLC_LINK])
        alarm = self._cfg.alarm(view.code)
        point = alarm.reset_point or self._cfg.io.wood_fault_reset
        now = self._ops.engine.clock.now()
        command = Command(point, True, now, context.child("hmi.reset"), f"reset {view.code}")
        result = await self._commands.execute(command)
        if result.status is not CommandStatus.CONFIRMED:
            return Outcome(False, result.message or result.status.value)
        return Outcome(True, f"{point} réarmé / reset")


async def _outcome(action: Awaitable[object]) -> Outcome:
    """Run one alarm operation: a refusal from the alarms becomes a refused ``Outcome``."""
    try:
        await action
    except AlarmError as exc:
        return Outcome(False, str(exc))
    return Outcome(True)
