"""The trend page: any points over any range, drawn by ECharts from the historian's data."""

from __future__ import annotations

from datetime import datetime, timedelta

from nicegui import ui

from chaufferie.hmi import format as fmt
from chaufferie.hmi.charts import trend_options
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.pages.history import day_bounds, parse_day
from chaufferie.hmi.services import HmiServices

RANGES = {"1d": 1, "7d": 7, "30d": 30, "365d": 365}
DEFAULT_POINTS = ("buffer.temp_top", "wood.outlet_temp", "network.supply_temp", "wood.modulation")
SETPOINT = "wood.setpoint"


def numeric_points(services: HmiServices, lang: str) -> dict[str, str]:
    """Point name → label for every point that has a unit (the ones worth a trend)."""
    return {p.name: (p.label_en if lang == "en" else p.label_fr) for p in services.config.points if p.unit}


def time_range(
    services: HmiServices, preset: str, first: str | None, last: str | None
) -> tuple[datetime, datetime]:
    """Both dates given → those local days (inclusive); otherwise the preset up to now."""
    if first and last:
        today = services.clock.now().astimezone(fmt.PARIS).date()
        a, b = parse_day(first, today), parse_day(last, today)
        return day_bounds(min(a, b), max(a, b))
    end = services.clock.now()
    return end - timedelta(days=RANGES.get(preset, 1)), end


def register(services: HmiServices) -> None:
    @hmi_page(services, "/trends", "nav.trends")
    async def trends_page(ctx: PageContext) -> None:
        ui.label(ctx.t("trend.title")).classes("text-lg font-bold")
        history = services.history
        if history is None:
            ui.label(ctx.t("ctl.unavailable"))
            return
        labels = numeric_points(services, ctx.lang)
        with ui.row().classes("w-full items-end gap-2 flex-wrap"):
            points = (
                ui.select(labels, multiple=True, value=list(DEFAULT_POINTS), label=ctx.t("trend.points"))
                .classes("min-w-[280px]")
                .props(f'use-chips aria-label="{ctx.t("trend.points")}"')
                .mark("trend-points")
            )
            span = (
                ui.select({k: ctx.t(f"range.{k}") for k in RANGES}, value="1d", label=ctx.t("trend.range"))
                .props(f'aria-label="{ctx.t("trend.range")}"')
                .mark("trend-range")
            )
            first = ui.input(ctx.t("hist.from")).props(
                f'type=date clearable aria-label="{ctx.t("hist.from")}"'
            )
            last = ui.input(ctx.t("hist.to")).props(f'type=date clearable aria-label="{ctx.t("hist.to")}"')
            first.mark("trend-from")
            last.mark("trend-to")
            draw = ui.button(ctx.t("trend.draw")).mark("trend-draw")
        chart = (
            ui.echart(trend_options([], labels, [], ctx.lang))
            .classes("w-full")
            .style("height:440px")
            .mark("trend-chart")
        )

        async def redraw() -> None:
            start, end = time_range(services, span.value, first.value, last.value)
            names = list(points.value or [])
            wanted = names + ([SETPOINT] if "buffer.temp_top" in names and SETPOINT not in names else [])
            series = await attempt(ctx, history.trend(wanted, start, end), "trend")
            oil = await attempt(ctx, history.oil_intervals(start, end), "oil intervals") or []
            if series is None:
                return
            setpoint = next((s for s in series if s.point == SETPOINT), None)
            shown = [s for s in series if s.point in names]
            chart.options.clear()
            chart.options.update(trend_options(shown, labels, oil, ctx.lang, setpoint))
            chart.update()

        draw.on_click(redraw)
        await redraw()
