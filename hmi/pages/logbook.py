"""The logbook: chip deliveries, ash removals, water make-ups, air purges, interventions
(phone calls and the steps after arrival: :mod:`.logbook_calls`) and meters (replacements
and manual readings: :mod:`.logbook_meters`).

The entries are checked and recorded by :mod:`chaufferie.hmi.conduite` (a :class:`PlantEvent`
and its audit :class:`OperatorAction`; a delivery whose humidity is outside the contract is
recorded and flagged "hors contrat", a physically impossible one refused). Arrival on site for
a call-out (an alarm that calls the contractor out) goes through the injected :class:`Interventions`
(which closes the call and audits it), with the note as a comment on the alarm.
"""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, PlantEvent, PlantEventKind, Role
from chaufferie.hmi import conduite
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.pages.logbook_calls import phone_call_card, steps_card
from chaufferie.hmi.pages.logbook_contract import contract_card
from chaufferie.hmi.pages.logbook_meters import meters_card
from chaufferie.hmi.records import EventQuery, RecordKind
from chaufferie.hmi.services import HmiServices

LOG_ROLE = Role.OPERATOR


def _number(ctx: PageContext, key: str, mark: str, step: float = 1.0) -> ui.number:
    return ui.number(ctx.t(key), step=step).props(f'aria-label="{ctx.t(key)}"').mark(mark)


def _optional(widget: ui.number) -> float | None:
    return None if widget.value is None else float(widget.value)


def _delivery_form(ctx: PageContext) -> None:
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.delivery")).classes("font-bold")
        with ui.row().classes("items-end gap-2 flex-wrap"):
            qty = (
                ui.number(ctx.t("log.quantity"), min=0, step=0.1)
                .props(f'aria-label="{ctx.t("log.quantity")}"')
                .mark("delivery-qty")
            )
            unit = (
                ui.select({"t": "t", "m3": "m³"}, value="t", label=ctx.t("log.unit"))
                .props(f'aria-label="{ctx.t("log.unit")}"')
                .mark("delivery-unit")
            )
            supplier = (
                ui.input(ctx.t("log.supplier"))
                .props(f'aria-label="{ctx.t("log.supplier")}"')
                .mark("delivery-supplier")
            )
            humidity = (
                ui.number(ctx.t("log.humidity"))
                .props(f'aria-label="{ctx.t("log.humidity")}"')
                .mark("delivery-humidity")
            )

        async def save() -> None:
            if not await ctx.allowed(LOG_ROLE, ActionKind.CHIP_DELIVERY, "silo"):
                return
            try:
                d = conduite.delivery(
                    float(qty.value or 0),
                    unit.value,
                    supplier.value or "",
                    _optional(humidity),
                    ctx.services.config.plant,
                )
            except ValueError as exc:
                ui.notify(ctx.t("common.invalid", message=str(exc)), type="warning")
                return
            conduite.record_delivery(ctx.services, ctx.context, d)
            recorded = ctx.t("log.recorded_out_of_contract" if d.out_of_contract else "log.recorded")
            ui.notify(recorded, type="warning" if d.out_of_contract else "positive")
            qty.value = None

        ui.button(ctx.t("log.record"), on_click=save).mark("delivery-save")


def _ash_and_intervention(ctx: PageContext) -> None:
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.ash")).classes("font-bold")
        ash = (
            ui.number(ctx.t("log.ash_kg"), min=0, max=2000)
            .props(f'aria-label="{ctx.t("log.ash_kg")}"')
            .mark("ash-kg")
        )

        async def save_ash() -> None:
            if await ctx.allowed(LOG_ROLE, ActionKind.ASH_REMOVAL, "ash_bin"):
                conduite.record_ash(ctx.services, ctx.context, _optional(ash))
                ui.notify(ctx.t("log.recorded"), type="positive")

        ui.button(ctx.t("log.record"), on_click=save_ash).mark("ash-save")
    _water_and_air(ctx)
    _intervention_card(ctx)


def _water_and_air(ctx: PageContext) -> None:
    """Water make-up (litres, pressure before and after) and air purge (where)."""
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.makeup")).classes("font-bold")
        with ui.row().classes("items-end gap-2 flex-wrap"):
            litres = _number(ctx, "log.litres", "makeup-litres")
            before = _number(ctx, "log.pressure_before", "makeup-before", step=0.1)
            after = _number(ctx, "log.pressure_after", "makeup-after", step=0.1)

        async def save_makeup() -> None:
            if not await ctx.allowed(LOG_ROLE, ActionKind.WATER_MAKEUP, "network"):
                return
            try:
                entry = conduite.water_makeup(float(litres.value or 0), _optional(before), _optional(after))
            except ValueError as exc:
                ui.notify(ctx.t("common.invalid", message=str(exc)), type="warning")
                return
            conduite.record_water_makeup(ctx.services, ctx.context, entry)
            ui.notify(ctx.t("log.recorded"), type="positive")

        ui.button(ctx.t("log.record"), on_click=save_makeup).mark("makeup-save")
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.purge")).classes("font-bold")
        where = ui.input(ctx.t("log.purge_where")).props(f'aria-label="{ctx.t("log.purge_where")}"')
        where.classes("w-full").mark("purge-where")

        async def save_purge() -> None:
            if not await ctx.allowed(LOG_ROLE, ActionKind.AIR_PURGE, "network"):
                return
            try:
                entry = conduite.air_purge(where.value or "")
            except ValueError as exc:
                ui.notify(ctx.t("common.invalid", message=str(exc)), type="warning")
                return
            conduite.record_air_purge(ctx.services, ctx.context, entry)
            ui.notify(ctx.t("log.recorded"), type="positive")
            where.value = ""

        ui.button(ctx.t("log.record"), on_click=save_purge).mark("purge-save")


def _intervention_card(ctx: PageContext) -> None:
    """Arrival on site for a call-out (a P1/P2 alarm), with an optional note on the alarm."""
    calls = {
        r.occurrence_id: f"P{r.priority} {r.code} — {fmt.local_time(r.raised)}"
        for r in ctx.services.view.sorted_alarms()
        if ctx.services.config.calls_out(r.code)
    }
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("log.intervention")).classes("font-bold")
        which = ui.select(calls, value=next(iter(calls), None), label=ctx.t("log.call"))
        which.props(f'aria-label="{ctx.t("log.call")}"').classes("w-full").mark("intervention-call")
        note = ui.textarea(ctx.t("log.note")).props(f'aria-label="{ctx.t("log.note")}"').classes("w-full")
        note.mark("intervention-note")

        async def arrive() -> None:
            occurrence = which.value
            if not occurrence:
                ui.notify(ctx.t("log.no_call"), type="warning")
                return
            if not await ctx.allowed(LOG_ROLE, ActionKind.ARRIVAL_ON_SITE, occurrence):
                return
            desk, alarms = ctx.services.interventions, ctx.services.alarms
            if desk is None:
                ui.notify(ctx.t("ctl.unavailable"), type="warning")
                return
            outcome = await attempt(ctx, desk.arrive(occurrence, ctx.context), "arrival on site")
            if outcome is None:
                return
            text = (note.value or "").strip()
            if outcome.ok and text and alarms is not None:
                await attempt(ctx, alarms.comment(occurrence, ctx.context, text), "comment")
            ui.notify(
                ctx.t("log.recorded") if outcome.ok else ctx.t("common.failed", message=outcome.message),
                type="positive" if outcome.ok else "negative",
            )
            note.value = ""

        ui.button(ctx.t("log.arrival"), on_click=arrive).mark("intervention-save")


LOG_KINDS = (
    PlantEventKind.CHIP_DELIVERY,
    PlantEventKind.ASH_REMOVAL,
    PlantEventKind.WATER_MAKEUP,
    PlantEventKind.AIR_PURGE,
)
PAST_DAYS = 90


def entry_line(ctx: PageContext, e: PlantEvent) -> str:
    """One logbook entry in words: what, how much (or where), flagged when out of contract."""
    v = e.values
    label = ctx.t(f"event.{e.kind.value}")
    if e.kind is PlantEventKind.WATER_MAKEUP:
        litres = v.get("litres")
        amount = fmt.number(litres if isinstance(litres, int | float) else None, "L", 0, ctx.lang)
    elif e.kind is PlantEventKind.AIR_PURGE:
        amount = str(v.get("where") or "")
    else:
        kg = v.get("kg")
        amount = fmt.number(kg if isinstance(kg, int | float) else None, "kg", 0, ctx.lang)
    if v.get("out_of_contract"):
        amount += f"  {ctx.t('log.out_of_contract', humidity=v.get('humidity_pct'))}"
    return f"{fmt.local_time(e.time)}  {label}  {amount}  {e.context.user or ''}"


async def past_entries(ctx: PageContext) -> list[str]:
    """Deliveries and ash removals of the last ``PAST_DAYS`` days from the historian."""
    history = ctx.services.history
    if history is None:
        return []
    end = ctx.services.clock.now()
    query = EventQuery(end - timedelta(days=PAST_DAYS), end, frozenset({RecordKind.PLANT_EVENT}), limit=2000)
    codes = {k.value for k in LOG_KINDS}
    found = await attempt(ctx, history.events(query), "logbook history") or []
    records = [r for r in found if r.detail.split(" ")[0] in codes]
    records.sort(key=lambda r: r.time, reverse=True)
    return [f"{fmt.local_time(r.time)}  {r.what}  {r.user or ''}" for r in records[:50]]


def register(services: HmiServices) -> None:
    @hmi_page(services, "/logbook", "nav.logbook")
    async def logbook_page(ctx: PageContext) -> None:
        ui.label(ctx.t("log.title")).classes("text-lg font-bold")
        if ctx.can(LOG_ROLE):
            _delivery_form(ctx)
            _ash_and_intervention(ctx)
            phone_call_card(ctx)
            await steps_card(ctx)
            await contract_card(ctx)
            await meters_card(ctx, LOG_ROLE)
        ui.label(ctx.t("log.recent")).classes("font-bold")
        recent = ui.column().classes("gap-0 text-sm").mark("log-recent")
        earlier = await past_entries(ctx)
        opened = services.clock.now()

        def refresh() -> None:
            recent.clear()
            with recent:
                for e in reversed(services.view.events):
                    if e.kind in LOG_KINDS and e.time >= opened:
                        ui.label(entry_line(ctx, e))
                for line in earlier:
                    ui.label(line)

        refresh()
        ctx.on_refresh(refresh)
