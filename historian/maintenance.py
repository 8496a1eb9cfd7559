"""The preventive maintenance follow-up (Joucas tender §3.7): due, overdue, mailed once, done.

``async with MaintenanceService(...) as plan: await plan.run()`` — every
``maintenance.check_s`` of the injected clock it reads, for each task of the plan in the
configuration (:mod:`chaufferie.config.maintenance`), what was used since the task was last
done (the run-hours and chips counters of the history, and the calendar), and judges it with
:func:`~chaufferie.historian.maintenance_plan.assess`. A task that became due, then one that
became overdue, is mailed to the contacts of ``maintenance.notify`` through the alarms'
outbox (persisted, retried, recorded as a notification); the notice is remembered per
(task, cycle, stage) in the database, so it goes once, across restarts. The outbox key is the
same notice's, so a crash between the two sends nothing twice either.

:meth:`MaintenanceService.done` records a task done (who, when — now or earlier, never in the
future —, a note, the counters then): it starts the task's next cycle. It is the one that
executes it, so it writes the audit record (:class:`OperatorAction` ``MAINTENANCE_DONE``),
accepted or refused with its reason. :meth:`MaintenanceService.status` is what the HMI shows.

Lives in the historian's layer: it reads the history and writes its own tables; the outbox is
reached through the small :class:`Mailbox` seam (the root gives the alarms' outbox).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time
from types import TracebackType
from typing import Protocol, Self
from zoneinfo import ZoneInfo

from chaufferie.alarms.catalogue import Texts, text
from chaufferie.alarms.store import OutboxItem
from chaufferie.alarms.templates import render_plain
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.maintenance import MaintenanceSettings, MaintenanceTask, Trigger
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context, OperatorAction
from chaufferie.historian.maintenance_plan import MAILED, Assessment, Stage, assess
from chaufferie.historian.maintenance_store import NEVER_DONE, DoneRecord, MaintenanceStore

log = logging.getLogger(__name__)

NOTE_MAX = 2000
"""The longest note a task done may carry (characters)."""

MAIL: Texts = {
    "subject.due": {"fr": "[{site}] Entretien à faire : {task}", "en": "[{site}] Maintenance due: {task}"},
    "subject.overdue": {
        "fr": "[{site}] Entretien en retard : {task}",
        "en": "[{site}] Maintenance overdue: {task}",
    },
    "body": {
        "fr": "{site} : l'entretien « {task} » est {stage} ({why}).\nDernière fois : {last}.\n"
        "Une fois fait, l'enregistrer sur l'IHM, page Maintenance : {url}",
        "en": "{site}: maintenance task '{task}' is {stage} ({why}).\nLast done: {last}.\n"
        "Once done, record it on the HMI, Maintenance page: {url}",
    },
    "stage.due": {"fr": "à faire", "en": "due"},
    "stage.overdue": {"fr": "en retard", "en": "overdue"},
    "never": {"fr": "jamais enregistrée", "en": "never recorded"},
    "last": {"fr": "{when} par {who}", "en": "{when} by {who}"},
    "trigger.run_hours": {
        "fr": "{used} h de marche sur {interval} h",
        "en": "{used} run hours of {interval}",
    },
    "trigger.tonnes": {
        "fr": "{used} t de plaquettes sur {interval} t",
        "en": "{used} t of chips of {interval}",
    },
    "trigger.days": {"fr": "{used} jours sur {interval}", "en": "{used} days of {interval}"},
}
"""The mails' texts, French first (the contact's language picks one)."""


class DoneRefused(ValueError):
    """A task done that cannot be recorded; ``reason``: ``unknown_task``, ``future``,
    ``note_too_long`` or ``no_user`` (the HMI says it in words)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class Mailbox(Protocol):
    """Where mails go: the alarms' outbox (``False``: that key was queued already)."""

    def enqueue(self, item: OutboxItem) -> bool: ...


@dataclass(frozen=True, slots=True)
class TaskView:
    """One task as the HMI shows it: where it stands, since when it counts, its last done."""

    task: MaintenanceTask
    assessment: Assessment
    since: datetime
    last: DoneRecord | None

    @property
    def cycle(self) -> int:
        return NEVER_DONE if self.last is None else self.last.id

    @property
    def stage(self) -> Stage:
        return self.assessment.stage


class MaintenanceService:
    """See module docstring."""

    def __init__(
        self,
        cfg: PlantConfig | LiveConfig,
        bus: Bus,
        clock: Clock,
        store: MaintenanceStore,
        mailbox: Mailbox | None = None,
    ) -> None:
        self.live = as_live(cfg)
        self.bus, self.clock, self.store, self.mailbox = bus, clock, store, mailbox
        self._failing = False
        self._checking = 0

    @property
    def cfg(self) -> PlantConfig:
        return self.live.current

    @property
    def plan(self) -> MaintenanceSettings:
        return self.cfg.maintenance

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def run(self) -> None:
        """Check the plan now, then every ``maintenance.check_s``, until cancelled."""
        next_at = self.clock.monotonic()
        while True:
            try:
                await self.check()
            except Exception:
                if not self._failing:  # logged once, and its recovery once
                    log.exception("maintenance check failed")
                self._failing = True
            else:
                if self._failing:
                    log.info("maintenance check working again")
                self._failing = False
            next_at = max(next_at + self.plan.check_s, self.clock.monotonic())
            await self.clock.sleep(next_at - self.clock.monotonic())

    @property
    def busy(self) -> bool:
        """A check is in progress (tests wait for it before moving time on)."""
        return self._checking > 0

    # ------------------------------------------------------------------ status
    async def status(self) -> list[TaskView]:
        """Every task of the plan, in its order, with where it stands now."""
        return await asyncio.to_thread(self._status, self.clock.now())

    def _status(self, now: datetime) -> list[TaskView]:
        last = self.store.last_done()
        start = self._plan_start()
        views = []
        for task in self.plan.tasks:
            done = last.get(task.id)
            since = done.done_at if done is not None else start or now
            views.append(TaskView(task, assess(task, self.store.usage(since, now)), since, done))
        return views

    def _plan_start(self) -> datetime | None:
        """Where tasks never done count from: ``maintenance.since`` (local midnight), else the
        first record of the counters."""
        day = self.plan.since
        if day is not None:
            return datetime.combine(day, time(), tzinfo=ZoneInfo(self.cfg.site.timezone))
        return self.store.first_record()

    async def history(self, task_id: str | None = None) -> list[DoneRecord]:
        """Tasks done, latest first (of one task when given)."""
        return await asyncio.to_thread(self.store.history, task_id)

    # ------------------------------------------------------------------ notices
    async def check(self) -> int:
        """Mail what became due or overdue since the last check; the number of mails queued."""
        if self.mailbox is None:
            return 0
        self._checking += 1
        try:
            now = self.clock.now()
            views = await asyncio.to_thread(self._status, now)
            sent = await asyncio.to_thread(self.store.notices)
            queued = 0
            for view in views:
                if view.stage in MAILED and (view.task.id, view.cycle, view.stage.value) not in sent:
                    queued += await self._notify(view, now)
            return queued
        finally:
            self._checking -= 1

    async def _notify(self, view: TaskView, now: datetime) -> int:
        """Mail ``view`` (found due or overdue at ``now``) to the contacts of ``notify``, once."""
        assert self.mailbox is not None  # noqa: S101  (checked by check())
        contacts = [c for c in self.cfg.contacts if c.id in self.plan.notify and c.email]
        items = [self._mail(view, c.id, c.email or "", c.language.value, now) for c in contacts]
        queued = sum(self.mailbox.enqueue(item) for item in items)
        if items:
            await asyncio.to_thread(self.store.note_notice, view.task.id, view.cycle, view.stage, now)
            log.info(
                "maintenance task %s %s: mailed to %s",
                view.task.id,
                view.stage.value,
                ", ".join(c.id for c in contacts),
            )
        return queued

    def _mail(self, view: TaskView, contact_id: str, address: str, lang: str, now: datetime) -> OutboxItem:
        return maintenance_mail(self.cfg, view, contact_id, address, lang, now)

    # ------------------------------------------------------------------ done
    async def done(
        self, task_id: str, context: Context, *, at: datetime | None = None, note: str = ""
    ) -> DoneRecord:
        """Record ``task_id`` done at ``at`` (default now) by ``context.user``; audited.
        :class:`DoneRefused` (audited as refused) for an unknown task, a time in the future,
        a note too long or no user."""
        now = self.clock.now()
        when = at or now
        note = note.strip()
        refusal = self._refusal(task_id, when, now, note, context)
        if refusal is not None:
            self._audit(context, task_id, ActionResult.REFUSED, reason=refusal[0], done_at=when.isoformat())
            raise DoneRefused(*refusal)
        user = context.user or ""
        record = await asyncio.to_thread(self.store.record_done, task_id, when, user, note, now)
        self._audit(
            context,
            task_id,
            ActionResult.OK,
            done_at=when.isoformat(),
            note=note,
            run_hours=record.run_hours,
            fuel_burnt_kg=record.fuel_burnt_kg,
        )
        log.info("maintenance task %s done at %s by %s", task_id, when.isoformat(), user)
        return record

    def _refusal(
        self, task_id: str, when: datetime, now: datetime, note: str, context: Context
    ) -> tuple[str, str] | None:
        if all(t.id != task_id for t in self.plan.tasks):
            return "unknown_task", f"no task {task_id!r} in the plan"
        if when.tzinfo is None or when > now:
            return "future", f"{when.isoformat()} is after now ({now.isoformat()})"
        if len(note) > NOTE_MAX:
            return "note_too_long", f"{len(note)} characters, at most {NOTE_MAX}"
        if not context.user:
            return "no_user", "who did it is not known"
        return None

    def _audit(self, context: Context, task_id: str, result: ActionResult, **details: object) -> None:
        self.bus.publish(
            OperatorAction(
                kind=ActionKind.MAINTENANCE_DONE,
                time=self.clock.now(),
                context=context,
                target=task_id,
                result=result,
                details=details,
            )
        )


def maintenance_mail(
    cfg: PlantConfig, view: TaskView, contact_id: str, address: str, lang: str, now: datetime
) -> OutboxItem:
    """The mail of ``view`` (found due or overdue at ``now``) to one contact, in ``lang``."""
    task, stage = view.task, view.stage.value
    label = task.label(lang)
    why = ", ".join(_trigger_text(s.trigger, s.used, s.interval, lang) for s in view.assessment.triggers)
    last = view.last
    rendered = render_plain(
        text(MAIL, f"subject.{stage}", lang, site=cfg.site.name, task=label),
        text(
            MAIL,
            "body",
            lang,
            site=cfg.site.name,
            task=label,
            stage=text(MAIL, f"stage.{stage}", lang),
            why=why,
            last=text(MAIL, "never", lang)
            if last is None
            else text(MAIL, "last", lang, when=_local(last.done_at, cfg), who=last.done_by),
            url=f"{cfg.hmi.public_url.rstrip('/')}/maintenance",
        ),
    )
    return OutboxItem(
        key=f"maintenance/{task.id}/{view.cycle}/{stage}/{contact_id}/email",
        channel="email",
        contact_id=contact_id,
        address=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        created_at=now.timestamp(),  # the instant it was found due, not the queueing's
    )


def _number(value: float, lang: str) -> str:
    shown = f"{value:.1f}".removesuffix(".0")
    return shown.replace(".", ",") if lang == "fr" else shown


def _trigger_text(trigger: Trigger, used: float | None, interval: float, lang: str) -> str:
    shown = "?" if used is None else _number(used, lang)
    return text(MAIL, f"trigger.{trigger.value}", lang, used=shown, interval=_number(interval, lang))


def _local(t: datetime, cfg: PlantConfig) -> str:
    return t.astimezone(ZoneInfo(cfg.site.timezone)).strftime("%d/%m/%Y %H:%M")
