"""The logbook's contract card: the commune's indices, the contractor's dispute, the decision.

The contractor (:data:`~chaufferie.alarms.contract.DISPUTE_ROLE`) marks a call « injustifiée »
with a reason; the commune (:data:`~chaufferie.alarms.contract.DECISION_ROLE`) accepts or
rejects it with a note, and enters the current BT40, PPEI and TCH at each anniversary. The
page checks the role; the access layer checks it again, validates, stores and audits.
"""

from __future__ import annotations

from datetime import date

from nicegui import ui

from chaufferie.alarms.contract import DECISION_ROLE, DISPUTE_ROLE, DisputeState
from chaufferie.config.vocabulary import ActionKind
from chaufferie.hmi.pages.frame import PageContext, attempt
from chaufferie.hmi.pages.logbook_calls import intervention_label, notify_outcome


async def contract_card(ctx: PageContext) -> None:
    desk = ctx.services.interventions
    if desk is None or not ctx.can(DISPUTE_ROLE):
        return
    records = await attempt(ctx, desk.all_interventions(), "interventions") or []
    open_to = {r.occurrence_id: intervention_label(r) for r in records if r.dispute is DisputeState.NONE}
    disputed = {r.occurrence_id: intervention_label(r) for r in records if r.dispute is DisputeState.DISPUTED}
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.contract")).classes("font-bold")
        which = ui.select(open_to, value=next(iter(open_to), None), label=ctx.t("log.intervention"))
        which.classes("w-full").mark("dispute-call")
        reason = ui.input(ctx.t("log.dispute_reason")).classes("w-full").mark("dispute-reason")

        async def dispute() -> None:
            occ = which.value or ""
            if occ and desk is not None and await ctx.allowed(DISPUTE_ROLE, ActionKind.CALL_DISPUTED, occ):
                notify_outcome(
                    ctx, await attempt(ctx, desk.dispute(occ, ctx.context, reason.value or ""), "dispute")
                )

        ui.button(ctx.t("log.dispute"), on_click=dispute).mark("dispute-save")
        if ctx.can(DECISION_ROLE):
            _decision(ctx, disputed)
            _indices(ctx)


def _decision(ctx: PageContext, disputed: dict[str, str]) -> None:
    desk = ctx.services.interventions
    which = ui.select(disputed, value=next(iter(disputed), None), label=ctx.t("log.disputed"))
    which.classes("w-full").mark("decide-call")
    note = ui.input(ctx.t("log.decision_note")).classes("w-full").mark("decide-note")

    def decide(accept: bool) -> None:
        kind = ActionKind.DISPUTE_ACCEPTED if accept else ActionKind.DISPUTE_REJECTED

        async def act() -> None:
            occ = which.value or ""
            if occ and desk is not None and await ctx.allowed(DECISION_ROLE, kind, occ):
                answer = desk.decide(occ, ctx.context, accept, note.value or "")
                notify_outcome(ctx, await attempt(ctx, answer, "decision"))

        ui.button(ctx.t("log.accept" if accept else "log.reject"), on_click=act).mark(f"decide-{accept}")

    with ui.row().classes("gap-2"):
        decide(True)
        decide(False)


def _indices(ctx: PageContext) -> None:
    desk = ctx.services.interventions
    ui.label(ctx.t("log.indices")).classes("font-bold")
    with ui.row().classes("items-end gap-2 flex-wrap"):
        effective = ui.input(ctx.t("log.effective"), placeholder="AAAA-MM-JJ").mark("indices-date")
        fields = {name: ui.number(name.upper()).mark(f"indices-{name}") for name in ("bt40", "ppei", "tch")}

    async def save() -> None:
        if desk is None or not await ctx.allowed(DECISION_ROLE, ActionKind.CONTRACT_INDICES):
            return
        try:
            day = date.fromisoformat((effective.value or "").strip())
        except ValueError:
            ui.notify(ctx.t("common.invalid", message="AAAA-MM-JJ / YYYY-MM-DD"), type="warning")
            return
        bt40, ppei, tch = (float(fields[n].value or 0) for n in ("bt40", "ppei", "tch"))
        notify_outcome(
            ctx, await attempt(ctx, desk.enter_indices(ctx.context, day, bt40, ppei, tch), "indices")
        )

    ui.button(ctx.t("log.record"), on_click=save).mark("indices-save")
