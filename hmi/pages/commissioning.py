"""The commissioning page: trigger simulator scenarios and watch every point live.

Scenarios go through :class:`~chaufferie.hmi.simulator_control.SimulatorControl` (the simulator's runtime
control); without one the page says the simulator is not connected. The speed selector and
the line beside it show the speed in force as read back from the simulator (the system's
clock follows it: one clock for plant and system), never an assumed ×1. Every action is
audited as a ``COMMAND`` action with target ``simulator``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.records import Outcome
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.simulator_control import SimulatorControl

COMMISSION_ROLE = Role.TECHNICIAN
SPEEDS = (1.0, 10.0, 60.0, 600.0)


def _report(ctx: PageContext, outcome: Outcome) -> None:
    ui.notify(
        ctx.t("common.done") if outcome.ok else ctx.t("common.failed", message=outcome.message),
        type="positive" if outcome.ok else "negative",
    )


def _start(ctx: PageContext, runner: SimulatorControl, name: str) -> Callable[[], Awaitable[None]]:
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


async def _scenarios(ctx: PageContext, runner: SimulatorControl) -> None:
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

    with ui.row().classes("items-end gap-2"):
        ui.button(ctx.t("com.stop"), on_click=stop).mark("scenario-stop")
        await _speed_control(ctx, runner)


async def _speed_control(ctx: PageContext, runner: SimulatorControl) -> None:
    """The speed selector and the speed in force, both as read back from the simulator."""

    async def shown_speed() -> float | None:
        return await attempt(ctx, runner.current_speed(), "speed")

    in_force = await shown_speed()

    async def speed(factor: float) -> None:
        nonlocal in_force
        if factor == in_force:
            return  # the selector showing the speed read back, not a request
        if await ctx.allowed(COMMISSION_ROLE, ActionKind.COMMAND, "simulator"):
            outcome = await attempt(ctx, runner.set_speed(factor, ctx.context), "speed")
            if outcome is not None:
                ctx.services.publish_action(
                    ActionKind.COMMAND,
                    ctx.context,
                    "simulator",
                    {"speed": factor, "ok": outcome.ok, "message": outcome.message},
                )
                _report(ctx, outcome)
        in_force = await shown_speed()
        show(in_force)

    factor = (
        ui.select(_speed_options(in_force), value=in_force, label=ctx.t("com.speed"))
        .classes("min-w-[160px]")
        .props(f'aria-label="{ctx.t("com.speed")}"')
        .mark("speed")
    )
    label = ui.label().mark("speed-in-force")

    def show(value: float | None) -> None:
        factor.set_options(_speed_options(value), value=value)
        label.text = ctx.t("com.speed_in_force", speed=_times(value) if value else ctx.t("com.speed_unknown"))

    show(in_force)
    factor.on_value_change(lambda e: speed(float(e.value)) if e.value is not None else None)


def _times(value: float) -> str:
    return f"×{value:g}"


def _speed_options(in_force: float | None) -> dict[float, str]:
    """The usual speeds, plus the one in force when it is another (``--speed 30``)."""
    speeds = sorted({*SPEEDS, *([in_force] if in_force else [])})
    return {s: _times(s) for s in speeds}


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
