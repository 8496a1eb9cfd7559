"""The logbook: chip deliveries, ash removals and interventions, recorded by the operator
(phone calls and the steps after arrival: :mod:`.logbook_calls`).

Each entry becomes a :class:`PlantEvent` (``CHIP_DELIVERY`` / ``ASH_REMOVAL``, which reset
the silo forecast and feed the report) and an :class:`OperatorAction` (the audit: who, from
where) on the bus. Arrival on site for a call-out (an acknowledged P1/P2 alarm) goes through
the injected :class:`Interventions` (which closes the call and audits it), with the note as
a comment on the alarm. Quantities are checked against the plant's figures (a delivery
cannot exceed twice the silo, humidity 5–60 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from nicegui import ui

from chaufferie.config.plant import PlantSettings
from chaufferie.config.vocabulary import ActionKind, PlantEvent, PlantEventKind, Role, Scalar
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.pages.logbook_calls import phone_call_card, steps_card
from chaufferie.hmi.pages.logbook_contract import contract_card
from chaufferie.hmi.records import EventQuery, RecordKind
from chaufferie.hmi.services import HmiServices

LOG_ROLE = Role.OPERATOR
HUMIDITY_RANGE = (5.0, 60.0)


@dataclass(frozen=True, slots=True)
class Delivery:
    kg: float
    m3: float
    supplier: str
    humidity_pct: float | None


def delivery(
    quantity: float, unit: str, supplier: str, humidity: float | None, plant: PlantSettings
) -> Delivery:
    """Validate a delivery and convert it (t or m³) to kg and m³; ``ValueError`` when wrong."""
    if unit not in ("t", "m3"):
        raise ValueError(f"unit must be t or m3, not {unit!r}")
    if not quantity > 0:
        raise ValueError("quantity must be positive")
    kg = quantity * 1000 if unit == "t" else quantity * plant.chips_bulk_density_kg_m3
    if kg > 2 * plant.silo_full_kg:
        raise ValueError(f"{kg:.0f} kg is more than twice the silo ({plant.silo_full_kg:.0f} kg)")
    if humidity is not None and not HUMIDITY_RANGE[0] <= humidity <= HUMIDITY_RANGE[1]:
        raise ValueError(f"humidity {humidity} % outside {HUMIDITY_RANGE[0]:.0f}–{HUMIDITY_RANGE[1]:.0f} %")
    return Delivery(kg, kg / plant.chips_bulk_density_kg_m3, supplier.strip(), humidity)


def record_delivery(ctx: PageContext, d: Delivery) -> None:
    services = ctx.services
    context = ctx.context
    values: dict[str, Scalar] = {
        "kg": round(d.kg, 1),
        "m3": round(d.m3, 2),
        "supplier": d.supplier,
        "humidity_pct": d.humidity_pct,
    }
    services.bus.publish(
        PlantEvent(
            PlantEventKind.CHIP_DELIVERY,
            services.clock.now(),
            reason="logbook",
            message=f"chip delivery {d.kg:.0f} kg",
            values=values,
            context=context,
        )
    )
    services.publish_action(ActionKind.CHIP_DELIVERY, context, "silo", values)


def record_ash(ctx: PageContext, kg: float | None) -> None:
    services = ctx.services
    values: dict[str, Scalar] = {"kg": kg}
    services.bus.publish(
        PlantEvent(
            PlantEventKind.ASH_REMOVAL,
            services.clock.now(),
            reason="logbook",
            message="ash removal",
            values=values,
            context=ctx.context,
        )
    )
    services.publish_action(ActionKind.ASH_REMOVAL, ctx.context, "ash_bin", values)


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
                ui.number(ctx.t("log.humidity"), min=0, max=100)
                .props(f'aria-label="{ctx.t("log.humidity")}"')
                .mark("delivery-humidity")
            )

        async def save() -> None:
            if not await ctx.allowed(LOG_ROLE, ActionKind.CHIP_DELIVERY, "silo"):
                return
            try:
                d = delivery(
                    float(qty.value or 0),
                    unit.value,
                    supplier.value or "",
                    None if humidity.value is None else float(humidity.value),
                    ctx.services.config.plant,
                )
            except ValueError as exc:
                ui.notify(ctx.t("common.invalid", message=str(exc)), type="warning")
                return
            record_delivery(ctx, d)
            ui.notify(ctx.t("log.recorded"), type="positive")
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
                record_ash(ctx, None if ash.value is None else float(ash.value))
                ui.notify(ctx.t("log.recorded"), type="positive")

        ui.button(ctx.t("log.record"), on_click=save_ash).mark("ash-save")
    _intervention_card(ctx)


def _calls_out(ctx: PageContext, code: str) -> bool:
    try:
        return ctx.services.config.alarm(code).calls_out
    except KeyError:
        return False


def _intervention_card(ctx: PageContext) -> None:
    """Arrival on site for a call-out (a P1/P2 alarm), with an optional note on the alarm."""
    calls = {
        r.occurrence_id: f"P{r.priority} {r.code} — {fmt.local_time(r.raised)}"
        for r in ctx.services.view.sorted_alarms()
        if _calls_out(ctx, r.code)
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


LOG_KINDS = (PlantEventKind.CHIP_DELIVERY, PlantEventKind.ASH_REMOVAL)
PAST_DAYS = 90


def entry_line(ctx: PageContext, e: PlantEvent) -> str:
    kg = e.values.get("kg")
    amount = fmt.number(kg if isinstance(kg, int | float) else None, "kg", 0, ctx.lang)
    label = ctx.t("log.delivery" if e.kind is PlantEventKind.CHIP_DELIVERY else "log.ash")
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
