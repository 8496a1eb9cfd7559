"""Limits on SMS reply codes: failures per sender and per occurrence, and rationed answers.

A code that matches no open occurrence (or one the sender is not a recipient of) is a
*failure*, counted against the sender and against each occurrence the guess could have been
aimed at. After ``hmi.login_max_failures`` failures within ``hmi.login_lockout_min`` minutes,
the sender, or the occurrence, is locked: every reply is refused, even with the right code,
until the window has slid past those failures. Refusals are answered by SMS at most once per
sender per window, so a guessing script or an auto-responder gets no feedback loop.

Counters live in the access store (table ``sms_reply_events``), so a restart does not hand a
guesser a fresh set of attempts. Calls are synchronous (the webhook runs them in a thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from chaufferie.config.clock import Clock
from chaufferie.config.settings import HmiSettings
from chaufferie.hmi.access.ports import SmsLedger

FAILURE = "failure"
ANSWER = "answer"


def sender_key(phone: str) -> str:
    return f"sender:{phone}"


def occurrence_key(occurrence_id: str) -> str:
    return f"occurrence:{occurrence_id}"


class SmsGuard:
    """Failure counters and the answer ration of the SMS webhook (see module docstring)."""

    def __init__(self, store: SmsLedger, clock: Clock, settings: HmiSettings) -> None:
        self._store = store
        self._clock = clock
        self.limit = settings.login_max_failures
        self.window = timedelta(minutes=settings.login_lockout_min)

    @property
    def minutes(self) -> str:
        """The window in whole minutes, as the answers say it."""
        return f"{self.window.total_seconds() / 60:g}"

    def _since(self) -> datetime:
        return self._clock.now() - self.window

    def sender_locked(self, phone: str) -> bool:
        return self._store.count_sms_events(FAILURE, sender_key(phone), self._since()) >= self.limit

    def occurrence_locked(self, occurrence_id: str) -> bool:
        key = occurrence_key(occurrence_id)
        return self._store.count_sms_events(FAILURE, key, self._since()) >= self.limit

    def failed(self, phone: str, occurrence_ids: Iterable[str]) -> None:
        """Count one failure against ``phone`` and each of ``occurrence_ids``."""
        subjects = [sender_key(phone), *(occurrence_key(o) for o in occurrence_ids)]
        self._store.note_sms_event(FAILURE, subjects, self._clock.now(), self._since())

    def may_answer(self, phone: str) -> bool:
        """True (and counted) if no refusal was answered to ``phone`` within the window."""
        if self._store.count_sms_events(ANSWER, sender_key(phone), self._since()) > 0:
            return False
        self._store.note_sms_event(ANSWER, [sender_key(phone)], self._clock.now(), self._since())
        return True
