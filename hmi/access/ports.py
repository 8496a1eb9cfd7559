"""The seams of remote acknowledgement: what this package needs from the rest of the system.

* :class:`AlarmActions` and :class:`AlarmLookup` — the alarms service (acknowledge one
  occurrence; describe an occurrence and list the open ones);
* :class:`CommandSender` — the PLC bridge (write one whitelisted point, read it back);
* :class:`SmsSender` — the alarms' Twilio sender (the confirmation SMS);
* :class:`UserStore`, :class:`SmsLedger`, :class:`InterventionStore` — storage, implemented by
  :class:`chaufferie.historian.access_store.AccessStore`.

The composition root injects real implementations; tests inject their own at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chaufferie.alarms.contract import DisputeState, IndexEntry
from chaufferie.config.vocabulary import AlarmState, Command, CommandResult, Context
from chaufferie.historian.access_store import AddressState, InterventionRecord, UserRecord
from chaufferie.historian.intervention_store import Milestone, PhoneCall

NEEDS_ACK = frozenset({AlarmState.UNACKED, AlarmState.RTN_UNACKED, AlarmState.LATCHED})


@dataclass(frozen=True, slots=True)
class OccurrenceView:
    """What the ack page and the SMS webhook need to know about one alarm occurrence.

    ``recipients`` are the contact ids the occurrence was sent to (on call, second,
    manager after escalation): only they may acknowledge it by SMS reply.
    """

    occurrence_id: str
    code: str
    priority: int
    state: AlarmState
    active: bool
    since: datetime
    recipients: tuple[str, ...] = ()
    acked_by: str | None = None
    acked_at: datetime | None = None
    comments: tuple[tuple[datetime, str, str], ...] = ()
    """(time, who, text) of the comments left on the occurrence, oldest first."""

    @property
    def needs_ack(self) -> bool:
        return self.state in NEEDS_ACK and self.acked_by is None


class AlarmActions(Protocol):
    """Acknowledge an occurrence; the alarms service records who, when, how and the comment,
    and publishes the audit ``OperatorAction`` (ACKNOWLEDGE, with the given context)."""

    async def acknowledge(self, occurrence_id: str, context: Context, comment: str = "") -> bool:
        """True if the occurrence was acknowledged now; False if it was not waiting for it."""


class AlarmLookup(Protocol):
    """Read access to alarm occurrences."""

    def occurrence(self, occurrence_id: str) -> OccurrenceView | None: ...

    def open_occurrences(self) -> list[OccurrenceView]: ...


class CommandSender(Protocol):
    """Write a whitelisted PLC point within bounds and report the read-back."""

    async def execute(self, command: Command) -> CommandResult: ...


class SmsSender(Protocol):
    """Send one SMS (the confirmation of an SMS acknowledgement)."""

    async def send_sms(self, to: str, body: str, context: Context) -> None: ...


class UserStore(Protocol):
    def add_user(self, user: UserRecord) -> None: ...

    def get_user(self, username: str) -> UserRecord | None: ...

    def user_by_contact(self, contact_id: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def count_admins(self) -> int: ...

    def save_user(self, user: UserRecord) -> None: ...

    def address_state(self, address: str) -> AddressState: ...

    def save_address_state(self, state: AddressState) -> None: ...


class SmsLedger(Protocol):
    def remember_message(self, message_sid: str, sender: str, at: datetime) -> bool: ...

    def note_sms_event(
        self, kind: str, subjects: list[str], at: datetime, forget_before: datetime
    ) -> None: ...

    def count_sms_events(self, kind: str, subject: str, since: datetime) -> int: ...


class InterventionStore(Protocol):
    def open_intervention(self, record: InterventionRecord) -> bool: ...

    def intervention(self, occurrence_id: str) -> InterventionRecord | None: ...

    def record_arrival(self, record: InterventionRecord) -> None: ...

    def record_acknowledgement(
        self, occurrence_id: str, at: datetime, by: str | None, channel: str
    ) -> bool: ...

    def record_milestone(
        self, occurrence_id: str, milestone: Milestone, at: datetime, by: str | None, channel: str
    ) -> bool: ...

    def record_penalty(
        self, occurrence_id: str, late_days: int | None, penalty_eur: float | None
    ) -> None: ...

    def record_dispute(self, occurrence_id: str, expected: DisputeState, values: dict[str, Any]) -> bool: ...

    def list_interventions(self) -> list[InterventionRecord]: ...

    def add_call(self, call: PhoneCall) -> None: ...

    def calls(self, intervention_id: str) -> list[PhoneCall]: ...

    def add_indices(self, entry: IndexEntry) -> None: ...

    def index_entries(self) -> list[IndexEntry]: ...


class Storage(UserStore, SmsLedger, InterventionStore, Protocol):
    """Everything persisted for access control (the historian's ``AccessStore``)."""

    def burn(self, token_id: str, occurrence_id: str, contact_id: str, at: datetime) -> bool: ...

    def is_burnt(self, token_id: str) -> bool: ...
