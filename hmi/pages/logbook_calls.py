"""The logbook's phone-call card and the intervention steps after arrival.

The agent records a phone call (who called whom, when — now or earlier today —, why, about
which alarm if any) and, for an open intervention, making safe and end of repair. Every
action is checked here by role (:data:`~chaufferie.alarms.contract.CALL_ROLE`) and again,
stored and audited by the access layer through :class:`~chaufferie.hmi.interventions.HmiInterventions`.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from nicegui import ui

from chaufferie.alarms.contract import CALL_ROLE
from chaufferie.config.vocabulary import ActionKind
from chaufferie.historian.intervention_store import InterventionRecord, Milestone
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt
from chaufferie.hmi.records import Outcome

STEP_KINDS = {Milestone.MADE_SAFE: ActionKind.MAKING_SAFE, Milestone.REPAIRED: ActionKind.END_OF_REPAIR}


def call_time(text: str, now: datetime, timezone: str) -> datetime | None:
    """``HH:MM`` today on the site's clock (empty: None, meaning now); ``ValueError`` if malformed."""
    text = text.strip()
    if not text:
        return None
    at = time.fromisoformat(text)
    tz = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(tz).date(), at, tzinfo=tz)


def intervention_label(r: InterventionRecord) -> str:
    what = f"P{r.priority} {r.code}" if r.code else "appel / call"
    return f"{what} — {fmt.local_time(r.opened_at)}"


def notify_outcome(ctx: PageContext, outcome: Outcome | None) -> None:
    if outcome is not None:
        ok = outcome.ok
        text = ctx.t("log.recorded") if ok else ctx.t("common.failed", message=outcome.message)
        ui.notify(text, type="positive" if ok else "negative")


def phone_call_card(ctx: PageContext) -> None:
    services = ctx.services
    alarms = {
        r.occurrence_id: f"P{r.priority} {r.code} — {fmt.local_time(r.raised)}"
        for r in services.view.sorted_alarms()
    }
    names = [c.name for c in services.config.contacts]
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.phone_call")).classes("font-bold")
        caller = (
            ui.input(ctx.t("log.caller")).props(f'aria-label="{ctx.t("log.caller")}"').mark("call-caller")
        )
        callee = ui.input(ctx.t("log.callee"), autocomplete=names).props(
            f'aria-label="{ctx.t("log.callee")}"'
        )
        callee.mark("call-callee")
        when = ui.input(ctx.t("log.call_time"), placeholder="HH:MM").mark("call-time")
        which = ui.select({"": ctx.t("log.no_alarm"), **alarms}, value="", label=ctx.t("log.call_alarm"))
        which.classes("w-full").mark("call-alarm")
        reason = ui.textarea(ctx.t("log.call_reason")).classes("w-full").mark("call-reason")

        async def save() -> None:
            if not await ctx.allowed(CALL_ROLE, ActionKind.PHONE_CALL, which.value or ""):
                return
            desk = services.interventions
            if desk is None:
                ui.notify(ctx.t("ctl.unavailable"), type="warning")
                return
            try:
                at = call_time(when.value or "", services.clock.now(), services.config.site.timezone)
            except ValueError:
                ui.notify(ctx.t("common.invalid", message="HH:MM"), type="warning")
                return
            call = desk.record_call(
                ctx.context,
                caller=caller.value or "",
                callee=callee.value or "",
                reason=reason.value or "",
                occurrence_id=which.value or None,
                at=at,
            )
            outcome = await attempt(ctx, call, "phone call")
            notify_outcome(ctx, outcome)
            if outcome is not None and outcome.ok:
                reason.value = ""

        ui.button(ctx.t("log.record"), on_click=save).mark("call-save")


async def steps_card(ctx: PageContext) -> None:
    """Making safe and end of repair for an intervention not yet repaired."""
    desk = ctx.services.interventions
    if desk is None:
        return
    records = await attempt(ctx, desk.open_interventions(), "interventions") or []
    choices = {r.occurrence_id: intervention_label(r) for r in records}
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.steps")).classes("font-bold")
        which = ui.select(choices, value=next(iter(choices), None), label=ctx.t("log.intervention"))
        which.classes("w-full").mark("step-intervention")

        def step(milestone: Milestone) -> None:
            async def record() -> None:
                occurrence = which.value
                if not occurrence or desk is None:
                    ui.notify(ctx.t("log.no_call"), type="warning")
                    return
                if await ctx.allowed(CALL_ROLE, STEP_KINDS[milestone], occurrence):
                    answer = desk.milestone(occurrence, milestone, ctx.context)
                    notify_outcome(ctx, await attempt(ctx, answer, "step"))

            ui.button(ctx.t(f"log.{milestone.value}"), on_click=record).mark(f"step-{milestone.value}")

        with ui.row().classes("gap-2"):
            for milestone in STEP_KINDS:
                step(milestone)
