"""What people do to alarms: the API the HMI and the remote-ack channels call and await.

Acknowledge, comment, shelve (timed, with a reason), unshelve, reset a latched alarm (only
once it is back to normal and acknowledged), take an alarm out of service and back; read the
active list and one occurrence in detail. Each call publishes an :class:`OperatorAction`
with the caller's :class:`Context` (user, channel hmi / link / sms_reply, address) — also when
refused, so the audit log shows attempts too — and returns a frozen :class:`AlarmView`.

Who may do what (roles, PINs, signed links) is checked by the caller before calling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.errors import ActionRefused, UnknownOccurrence
from chaufferie.alarms.machine import ANNUNCIATED, Comment, Occurrence
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    AlarmState,
    Context,
    OilRole,
    OperatorAction,
    Scalar,
)

S = AlarmState


@dataclass(frozen=True)
class AlarmView:
    """A read-only picture of one occurrence for pages and messages."""

    occurrence_id: str
    code: str
    priority: int
    state: AlarmState
    active: bool
    acked: bool
    raised_at: datetime
    label_fr: str
    label_en: str
    message: str
    message_en: str
    value: Scalar
    values: dict[str, Scalar]
    live_values: dict[str, Scalar]
    oil_role: OilRole | None
    latched: bool
    resettable: bool
    chattering: bool
    flood_id: str | None
    acked_by: str | None
    acked_at: datetime | None
    shelved_until: datetime | None
    shelve_reason: str
    shelved_by: str | None
    comments: tuple[Comment, ...]
    recipients: tuple[str, ...] = ()
    """Contacts this occurrence was sent to (ids), in the order they were reached."""


class AlarmOperations:
    """Operator actions on the engine's occurrences (see module docstring)."""

    def __init__(self, engine: AlarmEngine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- reading
    def active(self) -> list[AlarmView]:
        """Open occurrences, most urgent and most recent first."""
        views = [self.view(o) for o in self.engine.occurrences.values()]
        return sorted(views, key=lambda v: (v.priority, -v.raised_at.timestamp()))

    def detail(self, occurrence_id: str) -> AlarmView:
        return self.view(self._get(occurrence_id))

    def view(self, occ: Occurrence) -> AlarmView:
        alarm = self.engine.definitions[occ.code]
        live = {p: tv.value for p in alarm.values if (tv := self.engine.values.get(p)) is not None}
        return AlarmView(
            occ.id,
            occ.code,
            occ.priority,
            occ.state,
            occ.active,
            occ.acked,
            occ.raised_at,
            alarm.label_fr,
            alarm.label_en,
            occ.message,
            occ.message_en,
            occ.value,
            dict(occ.values),
            live,
            occ.oil_role,
            occ.latched,
            alarm.resettable,
            occ.chattering,
            occ.flood_id,
            occ.acked_by,
            occ.acked_at,
            occ.shelved_until,
            occ.shelve_reason,
            occ.shelved_by,
            tuple(occ.comments),
            tuple(occ.recipients),
        )

    # ---------------------------------------------------------------- acting
    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> AlarmView:
        occ = self._get(occurrence_id, ActionKind.ACKNOWLEDGE, context)
        if occ.acked or occ.state not in ANNUNCIATED:
            self._refuse(ActionKind.ACKNOWLEDGE, occ, context, "not_unacked", "nothing to acknowledge")
        occ.acked_by, occ.acked_at = context.user, self.engine.clock.now()
        if comment:
            occ.comments.append(Comment(self.engine.clock.now(), context.user, comment))
        self.engine.fire(occ, "acknowledge", context, {"user": context.user, "comment": comment})
        return self._done(ActionKind.ACKNOWLEDGE, occ, context, comment=comment)

    async def comment(self, occurrence_id: str, context: Context, text: str) -> AlarmView:
        occ = self._get(occurrence_id, ActionKind.COMMENT, context)
        if not text.strip():
            self._refuse(ActionKind.COMMENT, occ, context, "empty_comment", "empty comment")
        occ.comments.append(Comment(self.engine.clock.now(), context.user, text.strip()))
        self.engine.store.save(occ)
        return self._done(ActionKind.COMMENT, occ, context, comment=text.strip())

    async def shelve(self, occurrence_id: str, context: Context, minutes: float, reason: str) -> AlarmView:
        occ = self._get(occurrence_id, ActionKind.SHELVE, context)
        if occ.state not in ANNUNCIATED:
            self._refuse(ActionKind.SHELVE, occ, context, "not_shelvable", f"cannot shelve in {occ.state}")
        if minutes <= 0 or not reason.strip():
            self._refuse(ActionKind.SHELVE, occ, context, "bad_shelve", "needs a duration and a reason")
        occ.shelved_until = self.engine.clock.now() + timedelta(minutes=minutes)
        occ.shelve_reason, occ.shelved_by = reason.strip(), context.user
        self.engine.fire(occ, "shelve", context, {"minutes": minutes, "reason": reason})
        return self._done(ActionKind.SHELVE, occ, context, minutes=minutes, reason=reason)

    async def unshelve(self, occurrence_id: str, context: Context) -> AlarmView:
        occ = self._get(occurrence_id, ActionKind.UNSHELVE, context)
        if occ.state is not S.SHELVED:
            self._refuse(ActionKind.UNSHELVE, occ, context, "not_shelved", "not shelved")
        self.engine.fire(occ, "unshelve", context)
        return self._done(ActionKind.UNSHELVE, occ, context)

    async def reset(self, occurrence_id: str, context: Context) -> AlarmView:
        """Reset a latched alarm: only back to normal and acknowledged (ISA-18.2)."""
        occ = self._get(occurrence_id, ActionKind.RESET, context)
        if occ.state is not S.LATCHED:
            reason = "still_active" if occ.active else "not_latched"
            self._refuse(ActionKind.RESET, occ, context, reason, f"cannot reset in {occ.state}")
        if not occ.acked:
            self._refuse(ActionKind.RESET, occ, context, "not_acked", "acknowledge before reset")
        self.engine.fire(occ, "reset", context)
        return self._done(ActionKind.RESET, occ, context)

    async def set_in_service(self, code: str, context: Context, in_service: bool, reason: str = "") -> None:
        """Take an alarm out of service (maintenance) or put it back."""
        if code not in self.engine.definitions:
            raise UnknownOccurrence(code)
        oos = self.engine.out_of_service
        (oos.discard if in_service else oos.add)(code)
        self.engine.store.set_setting("out_of_service", sorted(oos))
        trigger = "return_to_service" if in_service else "remove_from_service"
        for occ in [o for o in self.engine.occurrences.values() if o.code == code]:
            self.engine.fire(occ, trigger, context, {"reason": reason})
        self.engine.bus.publish(
            OperatorAction(
                ActionKind.SETTING_CHANGED,
                self.engine.clock.now(),
                context,
                target=code,
                details={"in_service": in_service, "reason": reason},
            )
        )

    # ---------------------------------------------------------------- helpers
    def _get(
        self, occurrence_id: str, kind: ActionKind | None = None, context: Context | None = None
    ) -> Occurrence:
        occ = self.engine.get(occurrence_id)
        if occ is None:
            if kind is not None and context is not None:
                self._audit(kind, occurrence_id, context, ActionResult.REFUSED, {"reason": "unknown"})
            raise UnknownOccurrence(occurrence_id)
        return occ

    def _refuse(self, kind: ActionKind, occ: Occurrence, context: Context, reason: str, message: str) -> None:
        self._audit(kind, occ.id, context, ActionResult.REFUSED, {"code": occ.code, "reason": reason})
        raise ActionRefused(reason, f"{occ.code}: {message}")

    def _done(self, kind: ActionKind, occ: Occurrence, context: Context, **details: Any) -> AlarmView:
        self._audit(kind, occ.id, context, ActionResult.OK, {"code": occ.code, **details})
        return self.view(occ)

    def _audit(
        self, kind: ActionKind, target: str, context: Context, result: ActionResult, details: dict[str, Any]
    ) -> None:
        action = OperatorAction(kind, self.engine.clock.now(), context, target, result, details)
        self.engine.bus.publish(action)
