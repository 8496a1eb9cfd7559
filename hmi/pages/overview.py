"""The overview: the synoptic process graphic and the latest plant events, live; and the
heating season's notice, with the agent's confirmation (operator and above, audited by the
supervisor that executes it; see :mod:`chaufferie.hmi.season`)."""

from __future__ import annotations

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, PlantEvent
from chaufferie.hmi import format as fmt
from chaufferie.hmi import synoptic
from chaufferie.hmi.i18n import mode_label, oil_role_label, reason_label, tr
from chaufferie.hmi.pages.frame import PageContext, hmi_page
from chaufferie.hmi.props import with_props
from chaufferie.hmi.season import CONFIRM_ROLE
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.texts import TEXTS


def event_line(ctx: PageContext, event: PlantEvent) -> str:
    """One plant event in words."""
    key = f"event.{event.kind.value}"
    what = tr(key, ctx.lang) if key in TEXTS else event.kind.value
    if event.mode is not None:
        what = ctx.t("header.mode_is", mode=mode_label(event.mode, ctx.lang))
    if event.oil_role is not None:
        what = f"{what} — {oil_role_label(event.oil_role, ctx.lang)}"
    reason = f" ({reason_label(event.reason, ctx.lang)})" if event.reason else ""
    return f"{fmt.local_time(event.time)}  {what}{reason}"


KEY_FIGURES: tuple[tuple[str, str, int], ...] = (
    ("key.buffer_top", "buffer.temp_top", 1),
    ("key.setpoint", "wood.setpoint", 1),
    ("key.wood_modulation", "wood.modulation", 0),
    ("key.network_pressure", "network.pressure", 2),
    ("key.network_supply", "network.supply_temp", 1),
    ("key.meter_power", "meter.power", 0),
)
"""The phone's first lines (shown below the md breakpoint, above the scrollable graphic)."""


def _season(ctx: PageContext) -> None:
    """The season's notice when a start or stop waits, and the confirmation buttons."""
    season = ctx.services.season
    if season is None:
        return
    box = ui.column().classes("hmi-panel w-full p-2 gap-1").mark("season")

    async def confirm(summer: bool) -> None:
        if season is None or not await ctx.allowed(CONFIRM_ROLE, ActionKind.SEASON_CHANGE, "supervisor"):
            return
        await season.confirm(summer, ctx.context, ctx.session.role)
        ui.notify(ctx.t("common.done"), type="positive")

    shown: list[object] = [None]

    def refresh() -> None:
        notice, state = season.notice(), season.state()
        signature = (notice, state)
        if signature == shown[0]:
            return
        shown[0] = signature
        box.clear()
        with box:
            if notice is not None:
                text = ctx.t(notice.text_key(), date=notice.on.strftime("%d/%m/%Y"))
                with_props(ui.label(text), role="alert").classes("font-bold").mark("season-notice")
            elif state.summer and state.changed_on is not None:
                ui.label(ctx.t("season.in_summer", date=state.changed_on.strftime("%d/%m/%Y")))
            if ctx.can(CONFIRM_ROLE):
                key, mark = (
                    ("season.to_heating", "season-heat")
                    if state.summer
                    else ("season.to_summer", "season-summer")
                )
                ui.button(ctx.t(key), on_click=lambda: confirm(not state.summer)).props("outline").mark(mark)

    refresh()
    ctx.on_refresh(refresh)


def register(services: HmiServices) -> None:
    @hmi_page(services, "/", "nav.overview")
    def overview(ctx: PageContext) -> None:
        view = ctx.services.view
        _season(ctx)
        with ui.column().classes("hmi-panel w-full p-2 gap-0 lt-md").mark("key-figures"):
            figures = [ui.label().classes("text-base") for _ in KEY_FIGURES]
        with ui.element("div").classes("hmi-panel w-full p-1").style("overflow-x:auto"):
            graphic = ui.html("", sanitize=False).classes("w-full").style("min-width:720px").mark("synoptic")
        with ui.column().classes("hmi-panel w-full p-2 gap-0"):
            ui.label(ctx.t("syn.recent")).classes("font-bold")
            events = ui.column().classes("gap-0 text-sm").mark("events")

        shown: list[object] = [None]
        units = {p.name: p.unit for p in ctx.services.config.points}

        def refresh() -> None:
            now = ctx.services.clock.now()
            for label, (key, point, decimals) in zip(figures, KEY_FIGURES, strict=True):
                shown_value = fmt.show(view.value(point), now, units.get(point, ""), decimals, ctx.lang)
                label.text = (
                    f"{ctx.t(key)} : {shown_value.text}"
                    if ctx.lang == "fr"
                    else (f"{ctx.t(key)}: {shown_value.text}")
                )
                label.classes(replace="text-base" + ("" if shown_value.good else " hmi-bad"))
            graphic.content = synoptic.render_shared(view, ctx.services.clock.now(), ctx.lang)
            latest = sorted(view.events, key=lambda e: e.time, reverse=True)[:8]
            signature = [e.id for e in latest]
            if signature == shown[0]:
                return
            shown[0] = signature
            events.clear()
            with events:
                for event in latest:
                    ui.label(event_line(ctx, event))

        refresh()
        ctx.on_refresh(refresh)
