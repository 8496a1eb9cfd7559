"""The preventive maintenance plan as the Maintenance page shows it, and "done" from the page.

Reads :class:`~chaufferie.historian.maintenance.MaintenanceService` (status and history) and
turns it into plain rows in the user's language; records a task done through it (the service
audits it), with the time the user typed read in the site's time zone. A refusal (unknown
task, time in the future, note too long) comes back as an :class:`Outcome` in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from chaufferie.config.maintenance import Trigger
from chaufferie.config.vocabulary import Context
from chaufferie.historian.maintenance import DoneRefused, MaintenanceService, TaskView
from chaufferie.historian.maintenance_plan import Stage, TriggerState
from chaufferie.historian.maintenance_store import DoneRecord
from chaufferie.hmi import format as fmt
from chaufferie.hmi.i18n import tr
from chaufferie.hmi.records import Outcome

UNITS = {Trigger.RUN_HOURS: "h", Trigger.TONNES: "t", Trigger.DAYS: "j"}
UNITS_EN = {Trigger.RUN_HOURS: "h", Trigger.TONNES: "t", Trigger.DAYS: "d"}
URGENT = (Stage.DUE, Stage.OVERDUE)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One line of the plan: the task, where it stands, what was used, its last done."""

    task_id: str
    label: str
    stage: Stage
    stage_text: str
    progress: str
    last: str

    @property
    def urgent(self) -> bool:
        return self.stage in URGENT


@dataclass(frozen=True, slots=True)
class DoneRow:
    """One task done, for the history list."""

    task_id: str
    label: str
    done_at: datetime
    done_by: str
    note: str


def trigger_text(state: TriggerState, lang: str) -> str:
    """``12,5 h / 20 h`` (used over interval), ``? / 20 h`` when the counter was never read."""
    unit = (UNITS_EN if lang == "en" else UNITS)[state.trigger]
    used = "?" if state.used is None else fmt.number(state.used, "", 1, lang)
    return f"{used} / {fmt.number(state.interval, '', 0, lang)} {unit}"


def task_row(view: TaskView, lang: str) -> TaskRow:
    last = view.last
    return TaskRow(
        task_id=view.task.id,
        label=view.task.label(lang),
        stage=view.stage,
        stage_text=tr(f"maint.stage.{view.stage.value}", lang),
        progress=" · ".join(trigger_text(s, lang) for s in view.assessment.triggers),
        last=tr("maint.never", lang) if last is None else f"{fmt.local_date(last.done_at)} ({last.done_by})",
    )


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """``AAAA-MM-JJ`` or ``AAAA-MM-JJ HH:MM`` in the site's time; empty: now. ``ValueError``
    when it is not a date (a date alone means noon, unless that is later than now)."""
    text = text.strip()
    if not text:
        return now
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: AAAA-MM-JJ [HH:MM]") from None
    if when.tzinfo is not None:
        return when
    if len(text) <= len("2026-01-01"):
        day = date.fromisoformat(text)
        noon = datetime.combine(day, time(12), tzinfo=tz)
        return min(noon, now) if day == now.astimezone(tz).date() else noon
    return when.replace(tzinfo=tz)


class HmiMaintenance:
    """The page's access to the maintenance plan (see module docstring)."""

    def __init__(self, service: MaintenanceService) -> None:
        self._service = service

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self._service.cfg.site.timezone)

    async def rows(self, lang: str) -> list[TaskRow]:
        return [task_row(v, lang) for v in await self._service.status()]

    async def history(self, lang: str) -> list[DoneRow]:
        labels = {t.id: t.label(lang) for t in self._service.plan.tasks}
        done: list[DoneRecord] = await self._service.history()
        return [
            DoneRow(d.task_id, labels.get(d.task_id, d.task_id), d.done_at, d.done_by, d.note) for d in done
        ]

    async def done(self, task_id: str, when: str, note: str, context: Context, lang: str) -> Outcome:
        """Record ``task_id`` done at ``when`` (site time, empty: now) with ``note``."""
        now = self._service.clock.now()
        try:
            at = parse_when(when, self.tz, now)
        except ValueError as exc:
            return Outcome(False, tr("common.invalid", lang, message=str(exc)))
        try:
            await self._service.done(task_id, context, at=at, note=note)
        except DoneRefused as refused:
            return Outcome(False, tr(f"maint.refused.{refused.reason}", lang))
        return Outcome(True, tr("maint.recorded", lang))
