"""The commissioning page: trigger simulator scenarios and watch every point live.

Scenarios go through the injected :class:`ScenarioRunner` (the simulator's runtime
control); without one the page says the simulator is not connected. Every action is audited
as a ``COMMAND`` action with target ``simulator``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.ports import Outcome, ScenarioRunner
from chaufferie.hmi.services import HmiServices

COMMISSION_ROLE = Role.TECHNICIAN


def _report(ctx: PageContext, outcome: Outcome) -> None:
    ui.notify(
        ctx.t("common.done") if outcome.ok else ctx.t("common.failed", message=outcome.message),
        type="positive" if outcome.ok else "negative",
    )


def _start(ctx: PageContext, runner: ScenarioRunner, name: str) -> Callable[[], Awaitable[None]]:
    async def handler() -> None:
        if await ctx.allowed(COMMISSION_ROLE, ActionKind.COMMAND, "simulator"):
            outcome = await attempt(ctx, runner.start(name, ctx.context), "scenario")
            if outcome is None:
                return
            ctx.services.publish_action(
                ActionKind.COMMAND,
                ctx.context,
                "simulator",
                {"scenario": name, "ok": outcome.ok, "message": outcome.message},
            )
            _report(ctx, outcome)

    return handler


async def _scenarios(ctx: PageContext, runner: ScenarioRunner) -> None:
    with ui.row().classes("gap-2 flex-wrap"):
        for scenario in await attempt(ctx, runner.scenarios(), "scenarios") or []:
            ui.button(
                f"{ctx.t('com.start')} : {scenario.name}", on_click=_start(ctx, runner, scenario.name)
            ).props(
                f'outline aria-label="{ctx.t("com.start")} {scenario.name}" title="{scenario.description}"'
            ).mark(f"scenario-{scenario.name}")

    async def stop() -> None:
        if await ctx.allowed(COMMISSION_ROLE, ActionKind.COMMAND, "simulator"):
            if (outcome := await attempt(ctx, runner.stop(ctx.context), "scenario stop")) is not None:
                _report(ctx, outcome)

    async def speed(factor: float) -> None:
        if await ctx.allowed(COMMISSION_ROLE, ActionKind.COMMAND, "simulator"):
            if (outcome := await attempt(ctx, runner.set_speed(factor, ctx.context), "speed")) is not None:
                _report(ctx, outcome)

    with ui.row().classes("items-end gap-2"):
        ui.button(ctx.t("com.stop"), on_click=stop).mark("scenario-stop")
        factor = (
            ui.select({1: "×1", 10: "×10", 60: "×60", 600: "×600"}, value=1, label=ctx.t("com.speed"))
            .classes("min-w-[160px]")
            .props(f'aria-label="{ctx.t("com.speed")}"')
            .mark("speed")
        )
        factor.on_value_change(lambda e: speed(float(e.value)))


def register(services: HmiServices) -> None:
    @hmi_page(services, "/commissioning", "nav.commissioning", COMMISSION_ROLE)
    async def commissioning_page(ctx: PageContext) -> None:
        ui.label(ctx.t("com.title")).classes("text-lg font-bold")
        if services.scenarios is None:
            ui.label(ctx.t("com.unavailable")).mark("sim-unavailable")
        else:
            await _scenarios(ctx, services.scenarios)
        ui.label(ctx.t("com.points")).classes("font-bold")
        columns = [
            {"name": n, "label": ctx.t(f"com.col.{n}"), "field": n, "align": "left"}
            for n in ("point", "label", "value")
        ]
        table = (
            ui.table(columns=columns, rows=[], row_key="point")
            .classes("w-full")
            .props("dense")
            .mark("points-table")
        )

        def refresh() -> None:
            now = services.clock.now()
            rows = []
            for p in services.config.points:
                shown = fmt.show(services.view.value(p.name), now, p.unit, 2, ctx.lang)
                rows.append(
                    {
                        "point": p.name,
                        "label": p.label_en if ctx.lang == "en" else p.label_fr,
                        "value": shown.text,
                    }
                )
            table.rows = rows
            table.update()

        refresh()
        ctx.on_refresh(refresh)
