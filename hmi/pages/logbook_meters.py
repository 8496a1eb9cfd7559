"""The logbook's meters card: suspected replacements, a replacement confirmed, a manual reading.

Lists the suspected replacements of the last days (point, when, the index before and after)
so the agent knows what to confirm; records a replacement (the old meter's final index and
the new one's initial index) or an index read by hand. The page checks the role
(:data:`~chaufferie.hmi.pages.logbook.LOG_ROLE`, given by the caller); :mod:`chaufferie.hmi.meters`
and the historian check the entry, store it and audit it.
"""

from __future__ import annotations

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.hmi.meters import HmiMeters
from chaufferie.hmi.pages.frame import PageContext, attempt
from chaufferie.hmi.records import Outcome


def _notify(ctx: PageContext, outcome: Outcome | None) -> bool:
    """Say the outcome (the refusal's own words); whether it was recorded."""
    if outcome is None:
        return False
    ui.notify(outcome.message, type="positive" if outcome.ok else "warning")
    return outcome.ok


def _number(ctx: PageContext, key: str, mark: str) -> ui.number:
    return ui.number(ctx.t(key), min=0).props(f'aria-label="{ctx.t(key)}"').mark(mark)


async def meters_card(ctx: PageContext, role: Role) -> None:
    meters = ctx.services.meters
    if meters is None:
        return
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("meter.title")).classes("font-bold")
        await _suspects(ctx, meters)
        counters = meters.counters(ctx.lang)
        with ui.row().classes("items-end gap-2 flex-wrap"):
            point = ui.select(counters, value=next(iter(counters), None), label=ctx.t("meter.point"))
            point.props(f'aria-label="{ctx.t("meter.point")}"').classes("w-full").mark("meter-point")
            when = (
                ui.input(ctx.t("meter.when")).props(f'aria-label="{ctx.t("meter.when")}"').mark("meter-when")
            )
        _replacement_form(ctx, meters, role, point, when)
        _reading_form(ctx, meters, role, point, when)


async def _suspects(ctx: PageContext, meters: HmiMeters) -> None:
    ui.label(ctx.t("meter.suspects")).classes("text-sm font-bold")
    rows = await attempt(ctx, meters.suspects(ctx.lang), "suspected replacements") or []
    with ui.column().classes("gap-0 text-sm").mark("meter-suspects"):
        for r in rows:
            ui.label(ctx.t("meter.suspect", at=r.at, label=r.label, before=r.before, after=r.after))
        if not rows:
            ui.label(ctx.t("meter.no_suspect"))


def _replacement_form(
    ctx: PageContext, meters: HmiMeters, role: Role, point: ui.select, when: ui.input
) -> None:
    with ui.row().classes("items-end gap-2 flex-wrap"):
        old = _number(ctx, "meter.old_final", "meter-old")
        new = _number(ctx, "meter.new_initial", "meter-new")
    comment = ui.input(ctx.t("meter.comment")).props(f'aria-label="{ctx.t("meter.comment")}"')
    comment.classes("w-full").mark("meter-comment")

    async def confirm() -> None:
        name = point.value or ""
        if not name or old.value is None or new.value is None:
            ui.notify(ctx.t("common.invalid", message=ctx.t("meter.old_final")), type="warning")
            return
        if not await ctx.allowed(role, ActionKind.METER_REPLACEMENT, name):
            return
        answer = meters.replacement(
            name,
            when.value or "",
            float(old.value),
            float(new.value),
            comment.value or "",
            ctx.context,
            ctx.lang,
        )
        if _notify(ctx, await attempt(ctx, answer, "meter replacement")):
            old.value = new.value = None
            comment.value = ""

    ui.button(ctx.t("meter.confirm"), on_click=confirm).mark("meter-replace")


def _reading_form(ctx: PageContext, meters: HmiMeters, role: Role, point: ui.select, when: ui.input) -> None:
    index = _number(ctx, "meter.index", "meter-index")

    async def save() -> None:
        name = point.value or ""
        if not name or index.value is None:
            ui.notify(ctx.t("common.invalid", message=ctx.t("meter.index")), type="warning")
            return
        if not await ctx.allowed(role, ActionKind.MANUAL_READING, name):
            return
        answer = meters.reading(name, when.value or "", float(index.value), ctx.context, ctx.lang)
        if _notify(ctx, await attempt(ctx, answer, "manual reading")):
            index.value = None

    ui.button(ctx.t("meter.read"), on_click=save).mark("meter-read")
