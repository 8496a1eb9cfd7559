"""Escalation: who hears about an unacknowledged alarm, and when (``cfg.escalation``).

For each annunciated, unacknowledged occurrence, step 0 is due when it is raised, step k at
``escalate_after_min[k-1]`` minutes later: step 0 calls the on-call person, step 1 the
on-call person again and the second, later steps the manager — on every channel of the
priority's policy the contact has an address for. A working-hours-only priority (P2, P3:
"working hours escalation") sends its first message at once — every oil start must be told
when it happens — and escalates only within working hours. Acknowledging, shelving,
suppressing or closing the occurrence stops it.
Steps already handed to the outbox are saved on the occurrence, so a restart neither
repeats nor forgets them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from chaufferie.alarms.dispatch import Dispatcher, Request
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.rota import RotaInForce, in_working_hours
from chaufferie.config.alarming import Contact
from chaufferie.config.vocabulary import AlarmState, AlarmTransition

log = logging.getLogger(__name__)
_RESTARTS = frozenset({"unshelve", "unsuppress", "return_to_service"})


class Escalator:
    """Turns unacknowledged occurrences into notification requests over time."""

    def __init__(self, engine: AlarmEngine, dispatcher: Dispatcher, rota: RotaInForce) -> None:
        self.engine, self.dispatcher, self.rota = engine, dispatcher, rota
        self.cfg = engine.cfg
        self._plans: dict[str, datetime] = {}
        self._requested: dict[str, set[int]] = {}

    def restore(self) -> None:
        for occ in self.engine.occurrences.values():
            if occ.annunciated and not occ.acked:
                self._plans[occ.id] = occ.raised_at

    def on_transition(self, tr: AlarmTransition, occ: Occurrence) -> None:
        if occ.acked or not occ.annunciated:
            self._drop(occ.id)
            return
        if tr.trigger in _RESTARTS:
            occ.notified_steps.clear()
            self._requested.pop(occ.id, None)
            self._plans[occ.id] = tr.time
        elif occ.id not in self._plans and tr.state is AlarmState.UNACKED:
            self._plans[occ.id] = occ.raised_at
        else:
            return
        self._advance(occ, self._plans[occ.id], tr.time)  # step 0 now, not at the next tick

    def _drop(self, occ_id: str) -> None:
        self._plans.pop(occ_id, None)
        self._requested.pop(occ_id, None)

    def tick(self) -> None:
        now = self.engine.clock.now()
        for occ_id, start in list(self._plans.items()):
            occ = self.engine.get(occ_id)
            if occ is None or occ.acked or not occ.annunciated:
                self._drop(occ_id)
                continue
            self._advance(occ, start, now)

    def _advance(self, occ: Occurrence, start: datetime, now: datetime) -> None:
        """Request every step of ``occ`` that is due at ``now`` and not yet requested."""
        policy = self.cfg.escalation[occ.priority]
        off_hours = policy.working_hours_only and not in_working_hours(
            self.cfg.working_hours, now, self.engine.tz
        )
        offsets = [0.0, *(m * 60 for m in policy.escalate_after_min)]
        done = set(occ.notified_steps) | self._requested.setdefault(occ.id, set())
        for step, offset in enumerate(offsets):
            if step in done or now < start + timedelta(seconds=offset) or (step and off_hours):
                continue
            self._requested[occ.id].add(step)
            for contact in self.recipients(step, now):
                for channel in policy.channels:
                    self.dispatcher.request(Request(occ, step, contact, channel))

    def recipients(self, step: int, now: datetime) -> list[Contact]:
        """Who is called at escalation ``step`` (see module docstring)."""
        oncall = self.rota.oncall  # the rota and contacts in force now
        if oncall is None:
            return list(self.rota.contacts) if step == 0 else []
        duty = oncall.at(now)
        if step == 0:
            ids = [duty.on_call]
        elif step == 1:
            ids = [duty.on_call, *([duty.second] if duty.second else [])]
        else:
            ids = [duty.manager]
        return [oncall.contact(i) for i in ids]
