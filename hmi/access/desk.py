"""The acknowledgement itself, shared by the link page and the SMS reply.

Checks the role (technician or admin), asks the alarms service to acknowledge (it audits
the acknowledgement and the comment with our context), opens the intervention and, when
asked and allowed (the one rule of :mod:`chaufferie.alarms.permissions`), sends the remote
fault reset to the PLC bridge as a :class:`Command`.
The role refusal and the reset are audited here.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaufferie.alarms.permissions import ACK_ROLE, RESET_ROLE, remote_reset_refusal
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Command,
    CommandResult,
    CommandStatus,
    Context,
)
from chaufferie.historian.access_store import InterventionRecord, UserRecord
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.interventions import InterventionDesk
from chaufferie.hmi.access.ports import AlarmActions, CommandSender, OccurrenceView


@dataclass(frozen=True, slots=True)
class AckOutcome:
    acknowledged: bool = False
    refusal: str | None = None
    reset: CommandResult | None = None
    reset_refusal: str | None = None
    intervention: InterventionRecord | None = None


class AckDesk:
    def __init__(
        self,
        cfg: PlantConfig,
        alarms: AlarmActions,
        interventions: InterventionDesk,
        audit: Audit,
        clock: Clock,
        commands: CommandSender | None = None,
    ) -> None:
        self._cfg = cfg
        self._alarms = alarms
        self._commands = commands
        self._interventions = interventions
        self._audit = audit
        self._clock = clock

    def reset_refusal(self, occ: OccurrenceView, user: UserRecord) -> str | None:
        """Why ``user`` may not reset ``occ`` remotely (None: allowed)."""
        refusal = remote_reset_refusal(self._cfg, occ.code, plc_link=self._commands is not None)
        if refusal is not None:
            return refusal.value
        if not user.role.at_least(RESET_ROLE):
            return "role"
        return None

    async def acknowledge(
        self, occ: OccurrenceView, user: UserRecord, context: Context, comment: str = "", reset: bool = False
    ) -> AckOutcome:
        target = f"{occ.code}/{occ.occurrence_id}"
        if not user.role.at_least(ACK_ROLE):
            self._audit.record(ActionKind.ACKNOWLEDGE, context, target, ActionResult.REFUSED, reason="role")
            if reset:
                self._audit.record(ActionKind.RESET, context, target, ActionResult.REFUSED, reason="role")
            return AckOutcome(refusal="role")
        done = await self._alarms.acknowledge(occ.occurrence_id, context, comment)  # audits itself
        intervention = await self._interventions.open_for(occ, user.contact_id) if done else None
        result, refusal = (await self._reset(occ, user, context, target)) if reset else (None, None)
        return AckOutcome(done, None, result, refusal, intervention)

    async def _reset(
        self, occ: OccurrenceView, user: UserRecord, context: Context, target: str
    ) -> tuple[CommandResult | None, str | None]:
        refusal = self.reset_refusal(occ, user)
        if refusal is not None or self._commands is None:
            self._audit.record(ActionKind.RESET, context, target, ActionResult.REFUSED, reason=refusal)
            return None, refusal
        alarm = self._cfg.alarm(occ.code)
        point = alarm.reset_point or self._cfg.io.wood_fault_reset
        reason = f"remote reset {occ.code}"
        command = Command(point, True, self._clock.now(), context.child("access.reset"), reason)
        result = await self._commands.execute(command)
        ok = result.status is CommandStatus.CONFIRMED
        self._audit.record(
            ActionKind.RESET,
            context,
            target,
            ActionResult.OK if ok else ActionResult.FAILED,
            point=point,
            status=result.status.value,
            message=result.message,
        )
        return result, None
