"""The Maintenance page: the preventive maintenance plan, what is due, and "done" with a note.

Every role reads the plan (each task, where it stands in words — à jour, bientôt, À FAIRE,
EN RETARD —, what was used since it was last done, and when that was) and the tasks done.
The municipal agent (operator) and the contractor (technician) record a task done: the task,
when (now or earlier) and a note; the maintenance service checks and audits it
(:mod:`chaufferie.historian.maintenance`). Due and overdue stand out by a bold outline and the
word, not by colour (colours mean alarm priorities, docs/hmi.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi.maintenance import HmiMaintenance, TaskRow
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.services import HmiServices

DONE_ROLE = Role.OPERATOR
"""Who records a task done: the agent (operator) and the contractor (technician) up."""


def _columns(ctx: PageContext) -> list[dict[str, str]]:
    return [
        {"name": key, "label": ctx.t(label), "field": key, "align": "left"}
        for key, label in (
            ("label", "maint.task"),
            ("stage", "maint.state"),
            ("progress", "maint.progress"),
            ("last", "maint.last"),
        )
    ]


def _table_rows(rows: list[TaskRow]) -> list[dict[str, str]]:
    return [
        {
            "id": r.task_id,
            "label": r.label,
            "stage": r.stage_text,
            "progress": r.progress,
            "last": r.last,
            "urgent": "1" if r.urgent else "",
        }
        for r in rows
    ]


STAGE_CELL = (
    '<q-td :props="props">'
    '<b v-if="props.row.urgent" class="hmi-badge" style="outline:2px solid currentColor">'
    "{{ props.value }}</b><span v-else>{{ props.value }}</span></q-td>"
)
"""Due and overdue in bold with an outline (the word says which); the others plain."""


def _done_form(
    ctx: PageContext, plan: HmiMaintenance, rows: list[TaskRow], reload: Callable[[], Awaitable[object]]
) -> None:
    tasks = {r.task_id: r.label for r in rows}
    first = next((r.task_id for r in rows if r.urgent), next(iter(tasks), None))
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("maint.done_title")).classes("font-bold")
        which = ui.select(tasks, value=first, label=ctx.t("maint.task")).classes("w-full")
        which.props(f'aria-label="{ctx.t("maint.task")}"').mark("maint-task")
        when = ui.input(ctx.t("maint.when")).props(f'aria-label="{ctx.t("maint.when")}"').mark("maint-when")
        note = ui.textarea(ctx.t("maint.note")).props(f'aria-label="{ctx.t("maint.note")}"').classes("w-full")
        note.mark("maint-note")

        async def save() -> None:
            task = which.value or ""
            if not await ctx.allowed(DONE_ROLE, ActionKind.MAINTENANCE_DONE, task):
                return
            outcome = await attempt(
                ctx,
                plan.done(task, when.value or "", note.value or "", ctx.context, ctx.lang),
                "maintenance done",
            )
            if outcome is None:
                return
            ui.notify(outcome.message, type="positive" if outcome.ok else "negative")
            if outcome.ok:
                note.value, when.value = "", ""
                await reload()

        ui.button(ctx.t("maint.done"), on_click=save).mark("maint-save")


def register(services: HmiServices) -> None:
    @hmi_page(services, "/maintenance", "nav.maintenance")
    async def maintenance_page(ctx: PageContext) -> None:
        ui.label(ctx.t("maint.title")).classes("text-lg font-bold")
        plan = services.maintenance
        if plan is None:
            ui.label(ctx.t("maint.unavailable"))
            return
        summary = ui.label("").classes("hmi-badge hmi-count-zero").mark("maint-summary")
        table = ui.table(columns=_columns(ctx), rows=[], row_key="id").classes("w-full")
        table.props("dense flat wrap-cells").mark("maint-table")
        table.add_slot("body-cell-stage", STAGE_CELL)
        ui.label(ctx.t("maint.history")).classes("font-bold")
        done_list = ui.column().classes("gap-0 text-sm").mark("maint-history")

        async def reload() -> list[TaskRow]:
            rows = await attempt(ctx, plan.rows(ctx.lang), "maintenance status")
            if rows is None:
                return []
            table.rows = _table_rows(rows)
            table.update()
            due = sum(1 for r in rows if r.stage.value == "due")
            overdue = sum(1 for r in rows if r.stage.value == "overdue")
            summary.text = ctx.t("maint.summary", due=due, overdue=overdue)
            history = await attempt(ctx, plan.history(ctx.lang), "maintenance history") or []
            done_list.clear()
            with done_list:
                if not history:
                    ui.label(ctx.t("maint.none_done"))
                for d in history[:50]:
                    note = f" — {d.note}" if d.note else ""
                    ui.label(f"{fmt.local_time(d.done_at)}  {d.label}  ({d.done_by}){note}")
            return rows

        rows = await reload()
        if ctx.can(DONE_ROLE):
            _done_form(ctx, plan, rows, reload)
