"""The alarm engine: definitions from config in, ISA-18.2 occurrences and transitions out.

Inputs (from the bus, or called directly): :class:`TagValue` (point, deviation and
bad-quality conditions), :class:`LinkEvent` (link down), :class:`PlantEvent` (event alarms
such as FIO-REL / FIO-APP, and MODE_CHANGED for suppression by design) and internal signals
(NOT-DEF, SUP-HBT). On- and off-delays, shelving expiry and flood end are checked by
:meth:`AlarmEngine.tick`, which the service calls every second of the injected clock.

Every change of an occurrence is an :class:`AlarmTransition` on the bus and is handed to the
listeners (escalation) synchronously; open occurrences are saved to the :class:`AlarmStore`
so they survive a restart. Operator actions are in :mod:`~chaufferie.alarms.operations`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from chaufferie.alarms.conditions import evaluate, increased, link_down, watched_points
from chaufferie.alarms.machine import SET_ASIDE, Occurrence, build_machine
from chaufferie.alarms.oil import oil_start_extra
from chaufferie.alarms.rates import FloodDetector, Rise, WindowCounter
from chaufferie.alarms.readings import Reading, Tracker, readings, snapshot
from chaufferie.alarms.store import AlarmStore
from chaufferie.config.alarming import (
    AlarmDefinition,
    EventCondition,
    IncreaseCondition,
    InternalCondition,
    Suppression,
)
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    SYSTEM,
    AlarmState,
    AlarmTransition,
    Context,
    LinkEvent,
    Message,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Scalar,
    SystemEvent,
    TagValue,
    new_id,
)

log = logging.getLogger(__name__)
S = AlarmState
Listener = Callable[[AlarmTransition, Occurrence], None]

_SUPPRESSING_MODES: dict[Suppression, frozenset[PlantMode]] = {
    Suppression.PLANT_STOPPED: frozenset({PlantMode.STOPPED}),
    Suppression.WOOD_OFF: frozenset({PlantMode.STOPPED, PlantMode.OIL_REPLACEMENT}),
    Suppression.OIL_OFF: frozenset({PlantMode.STOPPED, PlantMode.WOOD, PlantMode.SUMMER}),
    Suppression.SUMMER: frozenset({PlantMode.SUMMER}),
}


class AlarmEngine:
    """Evaluates every alarm definition and drives their occurrences (see module docstring)."""

    def __init__(
        self,
        cfg: PlantConfig,
        bus: Bus,
        clock: Clock,
        store: AlarmStore,
        alarms: Iterable[AlarmDefinition] | None = None,
    ) -> None:
        self.cfg, self.bus, self.clock, self.store = cfg, bus, clock, store
        self.tz = ZoneInfo(cfg.site.timezone)
        n = cfg.notifiers
        self.definitions = {a.code: a for a in (cfg.alarms if alarms is None else alarms)}
        self.trackers = {
            c: Tracker(a, WindowCounter(n.chatter_window_s), rise=_rise(a))
            for c, a in self.definitions.items()
        }
        self.flood = FloodDetector(n.flood_count, n.flood_window_s)
        self.chatter_count = n.chatter_count
        self.occurrences: dict[str, Occurrence] = {}
        self.values: dict[str, TagValue] = {}
        self.mode: PlantMode | None = None
        self.out_of_service: set[str] = set()
        self.listeners: list[Listener] = []
        self.evaluations = 0
        self.last_tick = clock.monotonic()
        self._machine = build_machine()
        self._pending: set[str] = set()
        self._by_point: dict[str, list[Tracker]] = {}
        self._by_kind: dict[str, list[Tracker]] = {}
        for t in self.trackers.values():
            for p in watched_points(t.alarm):
                self._by_point.setdefault(p, []).append(t)
            self._by_kind.setdefault(t.alarm.condition.kind, []).append(t)

    # ---------------------------------------------------------------- lifecycle
    def restore(self) -> None:
        """Reload open occurrences and settings saved before a restart."""
        mode = self.store.get_setting("plant_mode")
        self.mode = PlantMode(mode) if mode else None
        self.out_of_service = set(self.store.get_setting("out_of_service") or [])
        for occ in self.store.load_open():
            tracker = self.trackers.get(occ.code)
            if tracker is None:
                log.warning("alarm %s no longer in config: occurrence %s dropped", occ.code, occ.id)
                continue
            self._machine.add_model(occ, initial=occ.state)
            self.occurrences[occ.id] = occ
            tracker.open.append(occ.id)
        if self.occurrences:
            log.info("restored %d open alarm occurrences", len(self.occurrences))

    def handle(self, message: Message) -> None:
        """One message from the bus."""
        if isinstance(message, TagValue):
            self.on_tag(message)
        elif isinstance(message, LinkEvent):
            self.on_link(message)
        elif isinstance(message, PlantEvent):
            self.on_plant(message)
        elif isinstance(message, SystemEvent):
            self.signal(message.signal, message.active, message.detail_fr, message.detail_en)

    def handle_batch(self, messages: Iterable[Message]) -> None:
        """Messages that arrived together, one :func:`~.readings.readings` item at a time."""
        for item in readings(messages):
            try:
                self._on_reading(item) if isinstance(item, dict) else self.handle(item)
            except Exception:
                log.exception("alarm engine failed on %r", item)

    # ---------------------------------------------------------------- inputs
    def on_tag(self, tv: TagValue) -> None:
        self._on_reading({tv.point: tv})

    def _on_reading(self, reading: Reading) -> None:
        self.values.update(reading)
        for tv in reading.values():
            for tracker in self._by_point.get(tv.point, ()):
                self.evaluations += 1
                bad_quality = tracker.alarm.condition.kind == "bad_quality"
                tracker.value = tv.quality.value if bad_quality else tv.value
                c = tracker.alarm.condition
                if isinstance(c, IncreaseCondition) and tracker.rise is not None:
                    self._update(tracker, _increased(c, tracker, tracker.rise, tv))
                else:
                    self._update(tracker, evaluate(tracker.alarm, self.values, tracker.raw))

    def on_link(self, ev: LinkEvent) -> None:
        for tracker in self._by_kind.get("link_down", ()):
            down = link_down(tracker.alarm, ev.link, ev.state)
            if down is not None:
                self.evaluations += 1
                tracker.value = ev.state.value
                self._update(tracker, down)

    def on_plant(self, ev: PlantEvent) -> None:
        if ev.kind is PlantEventKind.MODE_CHANGED and ev.mode is not None:
            self.set_mode(ev.mode)
        if ev.kind is PlantEventKind.SUPERVISOR_STARTED:
            # a (re)started supervisor announces again what holds (an oil start...): an
            # event-held alarm restored from before cannot wait for a stop it will never see
            for tracker in self._by_kind.get("event", ()):
                self._clear(tracker)
        for tracker in self._by_kind.get("event", ()):
            cond = tracker.alarm.condition
            if not isinstance(cond, EventCondition):
                continue
            if cond.oil_role is not None and ev.oil_role not in (None, cond.oil_role):
                continue
            if ev.kind is cond.event and (cond.oil_role is None or ev.oil_role is cond.oil_role):
                self._raise_event(tracker, ev)
            elif ev.kind is cond.clear_on:
                self._clear(tracker)

    def signal(self, name: str, active: bool, detail: str = "", detail_en: str = "") -> None:
        """An internal condition (``notification_failed``, ``watchdog``) changed."""
        for tracker in self._by_kind.get("internal", ()):
            cond = tracker.alarm.condition
            if isinstance(cond, InternalCondition) and cond.signal == name:
                tracker.value = detail or None
                if active and not self._active(tracker):
                    a, extra = tracker.alarm, {}
                    if detail:
                        extra = {
                            "message": f"{a.label_fr} : {detail}",
                            "detail": detail,
                            "message_en": f"{a.label_en}: {detail_en or detail}",
                        }
                    self._activate(tracker, extra=extra)
                elif not active and self._active(tracker):
                    self._clear(tracker)

    def set_mode(self, mode: PlantMode) -> None:
        """The plant mode changed: apply or lift suppression by design."""
        if mode is self.mode:
            return
        self.mode = mode
        self.store.set_setting("plant_mode", mode.value)
        for occ in list(self.occurrences.values()):
            suppressed = self.suppressed(self.definitions[occ.code])
            if suppressed and occ.annunciated:
                self.fire(occ, "suppress", trigger_info={"mode": mode.value})
            elif not suppressed and occ.state is S.SUPPRESSED:
                self.fire(occ, "unsuppress", trigger_info={"mode": mode.value})

    def suppressed(self, alarm: AlarmDefinition) -> bool:
        return any(self.mode in _SUPPRESSING_MODES[s] for s in alarm.suppress_when)

    def tick(self) -> None:
        """Timers: on/off delays, shelving expiry, flood end. Called every second."""
        now = self.clock.monotonic()
        self.last_tick = now
        for code in list(self._pending):
            self._check_delays(self.trackers[code], now)
        wall = self.clock.now()
        for occ in list(self.occurrences.values()):
            if occ.state is S.SHELVED and occ.shelved_until is not None and occ.shelved_until <= wall:
                self.fire(occ, "unshelve", trigger_info={"expired": True})
        if self.flood.update(now):
            log.info("alarm flood over")

    # ---------------------------------------------------------------- conditions → occurrences
    def _update(self, tracker: Tracker, raw: bool | None) -> None:
        if raw is None or raw == tracker.raw:
            return
        tracker.raw = raw
        now = self.clock.monotonic()
        active = self._active(tracker)
        tracker.pending_on = now if raw and not active else None
        tracker.pending_off = now if not raw and active else None
        self._pending.add(tracker.alarm.code)
        self._check_delays(tracker, now)

    def _check_delays(self, tracker: Tracker, now: float) -> None:
        a = tracker.alarm
        if tracker.pending_on is not None and now - tracker.pending_on >= a.on_delay_s:
            tracker.pending_on = None
            self._activate(tracker)
        if tracker.pending_off is not None and now - tracker.pending_off >= a.off_delay_s:
            tracker.pending_off = None
            self._clear(tracker)
        if tracker.pending_on is None and tracker.pending_off is None:
            self._pending.discard(a.code)

    def _active(self, tracker: Tracker) -> bool:
        return any(self.occurrences[i].active for i in tracker.open)

    def _raise_event(self, tracker: Tracker, ev: PlantEvent) -> None:
        cond = tracker.alarm.condition
        extra: dict[str, Any] = {"event_id": ev.id, "reason": ev.reason}
        if ev.oil_role is not None:
            buffer = ev.values.get(self.cfg.io.buffer_outlet)
            if buffer is None and (tv := self.values.get(self.cfg.io.buffer_outlet)) is not None:
                buffer = tv.value
            extra |= oil_start_extra(ev, self.tz, buffer)
        occ = self._activate(tracker, extra=extra, values=dict(ev.values), new=True, context=ev.context)
        if isinstance(cond, EventCondition) and cond.clear_on is None and occ is not None:
            self._clear_one(occ)

    def _activate(
        self,
        tracker: Tracker,
        *,
        extra: dict[str, Any] | None = None,
        values: dict[str, Scalar] | None = None,
        new: bool = False,
        context: Context = SYSTEM,
    ) -> Occurrence | None:
        a = tracker.alarm
        now = self.clock.monotonic()
        chattering = tracker.chatter.add(now) >= self.chatter_count
        reopen = [self.occurrences[i] for i in tracker.open if not self.occurrences[i].active]
        if reopen and not new:
            occ = reopen[-1]
            occ.active, occ.chattering = True, occ.chattering or chattering
            occ.value = tracker.value
            occ.values |= snapshot(a, self.values)  # this activation's values, not the last one's
            if not self.fire(occ, "activate", context=context):
                self._persist(occ)
            return occ
        extra = extra or {}
        occ = Occurrence(
            id=new_id(),
            code=a.code,
            priority=a.priority,
            raised_at=self.clock.now(),
            latched=a.latched,
            value=tracker.value,
            message=extra.pop("message", a.label_fr),
            message_en=extra.pop("message_en", a.label_en),
            short=extra.pop("short", {}),
            oil_role=extra.pop("oil_role", None),
            values={**snapshot(a, self.values), **(values or {})},
            chattering=chattering,
            flood_id=self._flood_id(now),
        )
        state = S.UNACKED
        if a.code in self.out_of_service:
            state = S.OUT_OF_SERVICE
        elif self.suppressed(a):
            state = S.SUPPRESSED
        occ.state = state
        self._machine.add_model(occ, initial=state)
        self.occurrences[occ.id] = occ
        tracker.open.append(occ.id)
        self._publish(occ, S.NORMAL, "activate", context, extra)
        return occ

    def _flood_id(self, now: float) -> str | None:
        was = self.flood.active
        flood_id = self.flood.new_alarm(now)
        if flood_id is not None and not was:
            log.warning(
                "alarm flood: %d new alarms within %.0f s",
                self.flood.threshold,
                self.cfg.notifiers.flood_window_s,
            )
        return flood_id

    def _clear(self, tracker: Tracker) -> None:
        for occ_id in list(tracker.open):
            occ = self.occurrences[occ_id]
            if occ.active:
                self._clear_one(occ)

    def _clear_one(self, occ: Occurrence) -> None:
        occ.active = False
        occ.cleared_at = self.clock.now()
        if occ.state in SET_ASIDE:
            self._persist(occ)
            return
        self.fire(occ, "clear")

    # ---------------------------------------------------------------- transitions
    def fire(
        self,
        occ: Occurrence,
        trigger: str,
        context: Context = SYSTEM,
        trigger_info: dict[str, Any] | None = None,
    ) -> bool:
        """Fire ``trigger`` on ``occ``; publish and persist when something changed."""
        before = (occ.state, occ.acked)
        getattr(occ, trigger)()
        if (occ.state, occ.acked) == before:
            return False
        self._publish(occ, before[0], trigger, context, trigger_info or {})
        return True

    def _publish(
        self, occ: Occurrence, previous: AlarmState, trigger: str, context: Context, info: dict[str, Any]
    ) -> None:
        details: dict[str, Any] = {
            "acked": occ.acked,
            "chattering": occ.chattering,
            "flood_id": occ.flood_id,
            "message_en": occ.message_en,
            "label_fr": self.definitions[occ.code].label_fr,
            "label_en": self.definitions[occ.code].label_en,
            **info,
        }
        tr = AlarmTransition(
            code=occ.code,
            occurrence_id=occ.id,
            priority=occ.priority,
            previous=previous,
            state=occ.state,
            trigger=trigger,
            time=self.clock.now(),
            active=occ.active,
            value=occ.value,
            message=occ.message,
            oil_role=occ.oil_role,
            details=details,
            context=context,
        )
        log.info("alarm %s %s: %s -> %s (%s)", occ.code, occ.id[:8], previous, occ.state, trigger)
        self._persist(occ)
        self.bus.publish(tr)
        for listener in self.listeners:
            try:
                listener(tr, occ)
            except Exception:
                log.exception("alarm listener failed on %s", occ.code)
        if occ.closed:
            self._close(occ)

    def _persist(self, occ: Occurrence) -> None:
        self.store.save(occ)

    def _close(self, occ: Occurrence) -> None:
        self.occurrences.pop(occ.id, None)
        self.trackers[occ.code].open.remove(occ.id)
        self._machine.remove_model(occ)

    def get(self, occurrence_id: str) -> Occurrence | None:
        return self.occurrences.get(occurrence_id)


def _rise(alarm: AlarmDefinition) -> Rise | None:
    c = alarm.condition
    return Rise(c.window_s) if isinstance(c, IncreaseCondition) else None


def _increased(c: IncreaseCondition, tracker: Tracker, rise: Rise, tv: TagValue) -> bool | None:
    """An ``increase`` condition after the reading ``tv`` of its counter (stamped at the source)."""
    value = tv.value
    if not tv.good or isinstance(value, bool) or not isinstance(value, int | float):
        return increased(c, None, tracker.alarm.deadband, tracker.raw)
    risen = rise.add(tv.source_time.timestamp(), float(value))
    return increased(c, risen, tracker.alarm.deadband, tracker.raw)
