"""Remote control ("pilotage à distance"): technician only, confirmed, bounded, audited.

Each control asks for confirmation, checks the value against the point's bounds from the
config (and the setpoint against the cascade's min/max), sends one :class:`Command` through
the injected :class:`CommandSender` (the PLC bridge writes it, reads it back and audits the
result as an ``OperatorAction(COMMAND)`` with the page's context: one record per write) and
shows the read-back. A value refused here, before any command, is audited here. The supervisor's manual
mode is not a PLC write: it is a :class:`ManualModeRequest` on the bus that the supervisor
executes and audits (force oil as replacement, or release).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Command,
    CommandResult,
    CommandStatus,
    ManualModeRequest,
    PlantMode,
    Role,
    Scalar,
)
from chaufferie.hmi import format as fmt
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.props import labelled, with_props
from chaufferie.hmi.services import HmiServices

CONTROL_ROLE = Role.TECHNICIAN
MANUAL_FORCE: PlantMode | None = PlantMode.OIL_REPLACEMENT
MANUAL_RELEASE: PlantMode | None = None


def write_range(config: PlantConfig, point: str) -> tuple[float, float] | None:
    """The range a value sent to ``point`` must lie in: the point's write bounds, narrowed
    for the wood boiler's setpoint to the cascade's setpoint limits (``None``: no bounds)."""
    p = config.point(point)
    if p.bounds is None:
        return None
    low, high = p.bounds.min, p.bounds.max
    if point == config.io.wood_setpoint:
        low, high = max(low, config.cascade.setpoint_min_c), min(high, config.cascade.setpoint_max_c)
    return low, high


def check_bounds(config: PlantConfig, point: str, value: Scalar) -> tuple[float, float] | None:
    """``None`` when ``value`` may be written to ``point``, else the bounds it breaks."""
    if not config.point(point).writable:
        return (0.0, 0.0)
    allowed = write_range(config, point)
    if isinstance(value, bool) or allowed is None:
        return None
    if not isinstance(value, int | float) or not allowed[0] <= value <= allowed[1]:
        return allowed
    return None


class CommandPanel:
    """Confirm → check role and bounds → execute → show read-back → audit.

    The outcome of every command (confirmed by read-back, refused and why, out of bounds,
    failed) is shown twice: in the status line at the top of the page, which stays until the
    next command, and as a notification. Both are drawn from the status line's context, which
    lives as long as the page: never from the confirmation dialog, which is gone by then.
    """

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.status = with_props(ui.label(""), role="status", aria_live="polite")
        self.status.classes("hmi-command-outcome").mark("command-outcome")

    def tell(self, text: str, kind: str) -> None:
        """Show an outcome: ``kind`` is ``positive``, ``warning`` or ``negative``."""
        colour = {"positive": "text-positive", "warning": "text-warning"}.get(kind, "text-negative")
        self.status.text = text
        self.status.classes(replace=f"hmi-command-outcome font-bold {colour}")
        with self.status:
            ui.notify(text, type=kind)  # type: ignore[arg-type]

    def label(self, point: str) -> str:
        p = self.ctx.services.config.point(point)
        return p.label_en if self.ctx.lang == "en" else p.label_fr

    async def send(self, point: str, value: Scalar, reason: str = "hmi") -> CommandResult | None:
        ctx, services = self.ctx, self.ctx.services
        if not await ctx.allowed(CONTROL_ROLE, ActionKind.COMMAND, point):
            return None
        broken = check_bounds(services.config, point, value)
        if broken is not None:
            services.publish_action(
                ActionKind.COMMAND,
                ctx.context,
                point,
                {"value": value, "why": "bounds"},
                ActionResult.REFUSED,
            )
            self.tell(ctx.t("ctl.out_of_bounds", min=broken[0], max=broken[1]), "warning")
            return None
        if services.commands is None:
            self.tell(ctx.t("ctl.unavailable"), "warning")
            return None
        command = Command(
            point=point, value=value, time=services.clock.now(), context=ctx.context, reason=reason
        )
        result = await attempt(ctx, services.commands.execute(command), f"command {point}")
        if result is None:
            return None
        self._report(point, value, result)
        return result

    def _report(self, point: str, value: Scalar, result: CommandResult) -> None:
        """Say the outcome; the bridge that executed the command has audited it, with our context."""
        ctx = self.ctx
        if result.status is CommandStatus.CONFIRMED:
            self.tell(ctx.t("ctl.confirmed", value=result.readback), "positive")
        elif result.status is CommandStatus.REFUSED:
            self.tell(ctx.t("ctl.refused", message=result.message), "negative")
        else:
            self.tell(ctx.t("ctl.failed", message=result.message), "negative")

    async def manual_mode(self, mode: PlantMode | None) -> bool:
        """Ask the supervisor (a request, not a write); it audits what it does with it."""
        ctx = self.ctx
        if not await ctx.allowed(CONTROL_ROLE, ActionKind.MANUAL_MODE, "supervisor"):
            return False
        services = ctx.services
        request = ManualModeRequest(mode, services.clock.now(), ctx.context, role=ctx.session.role)
        services.bus.publish(request)
        self.tell(ctx.t("common.done"), "positive")
        return True

    def confirm(self, what: str, value: str, action: Callable[[], Awaitable[object] | object]) -> None:
        """Open the confirmation dialog; ``action`` runs only on "Confirmer"."""
        ctx = self.ctx
        with ui.dialog() as dialog, ui.card().classes("hmi-panel"):
            ui.label(ctx.t("ctl.confirm_title")).classes("font-bold")
            ui.label(ctx.t("ctl.confirm_text", what=what, value=value)).mark("confirm-text")

            async def go() -> None:
                dialog.close()
                try:  # the dialog (this handler's context) lives until the action is over
                    result = action()
                    if isinstance(result, Awaitable):
                        await result
                finally:
                    dialog.delete()

            with ui.row():
                ui.button(ctx.t("common.cancel"), on_click=dialog.delete).props("flat").mark("confirm-cancel")
                ui.button(ctx.t("common.confirm"), on_click=go).mark("confirm-ok")
        dialog.open()


def _current(ctx: PageContext, point: str) -> str:
    shown = fmt.show(
        ctx.services.view.value(point),
        ctx.services.clock.now(),
        ctx.services.config.point(point).unit,
        1,
        ctx.lang,
    )
    return ctx.t("ctl.current", value=shown.text)


def _pulse_button(panel: CommandPanel, key: str, point: str, mark: str) -> None:
    ctx = panel.ctx
    ui.button(
        ctx.t(key), on_click=lambda: panel.confirm(ctx.t(key), "✓", lambda: panel.send(point, True))
    ).props("outline").mark(mark)


def _duty_button(panel: CommandPanel, n: int) -> None:
    ctx, point = panel.ctx, panel.ctx.services.config.io.pump_duty
    ui.button(
        ctx.t("ctl.pump", n=n),
        on_click=lambda: panel.confirm(
            ctx.t("ctl.duty"), ctx.t("ctl.pump", n=n), lambda: panel.send(point, n)
        ),
    ).props("outline").mark(f"duty-{n}")


def _setpoint(panel: CommandPanel) -> None:
    """The setpoint input shows its range and does not clamp: a value out of it is refused
    with the bounds (a silent clamp would send a value the technician never typed)."""
    ctx, io, cfg = panel.ctx, panel.ctx.services.config.io, panel.ctx.services.config
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("ctl.setpoint")).classes("font-bold")
        ui.label(_current(ctx, io.wood_setpoint)).classes("text-sm")
        number = ui.number(
            ctx.t("ctl.setpoint"),
            value=ctx.services.view.number(io.wood_setpoint),
            step=cfg.cascade.setpoint_step_k,
        )
        allowed = write_range(cfg, io.wood_setpoint)
        if allowed is not None:
            hint = ctx.t(
                "set.range",
                low=fmt.number(allowed[0], "", 1, ctx.lang),
                high=fmt.number(allowed[1], "", 1, ctx.lang),
            )
            with_props(number, hint=hint)
        sp = labelled(number, ctx.t("ctl.setpoint")).mark("setpoint-input")
        ui.button(
            ctx.t("ctl.send"),
            on_click=lambda: panel.confirm(
                ctx.t("ctl.setpoint"),
                f"{sp.value} °C",
                lambda: panel.send(io.wood_setpoint, float(sp.value) if sp.value is not None else None),
            ),
        ).mark("setpoint-send")


def _controls(panel: CommandPanel) -> None:
    ctx, io = panel.ctx, panel.ctx.services.config.io
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("ctl.wood_enable")).classes("font-bold")
        ui.label(_current(ctx, io.wood_enable)).classes("text-sm")
        with ui.row():
            ui.button(
                ctx.t("ctl.enable"),
                on_click=lambda: panel.confirm(
                    ctx.t("ctl.wood_enable"), ctx.t("ctl.enable"), lambda: panel.send(io.wood_enable, True)
                ),
            ).mark("wood-enable")
            ui.button(
                ctx.t("ctl.disable"),
                on_click=lambda: panel.confirm(
                    ctx.t("ctl.wood_enable"), ctx.t("ctl.disable"), lambda: panel.send(io.wood_enable, False)
                ),
            ).props("outline").mark("wood-disable")
    _setpoint(panel)
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        ui.label(ctx.t("ctl.duty")).classes("font-bold")
        ui.label(_current(ctx, io.pump_duty)).classes("text-sm")
        with ui.row():
            for n in (1, 2):
                _duty_button(panel, n)
    with ui.card().classes("hmi-panel w-full max-w-xl"):
        _pulse_button(panel, "ctl.screw_test", io.screw_reverse_test, "screw-test")
        _pulse_button(panel, "ctl.fault_reset", io.wood_fault_reset, "fault-reset")
        ui.button(
            ctx.t("ctl.manual"),
            on_click=lambda: panel.confirm(ctx.t("ctl.manual"), "✓", lambda: panel.manual_mode(MANUAL_FORCE)),
        ).props("outline").mark("manual-force")
        ui.button(
            ctx.t("ctl.release"),
            on_click=lambda: panel.confirm(
                ctx.t("ctl.release"), "✓", lambda: panel.manual_mode(MANUAL_RELEASE)
            ),
        ).props("outline").mark("manual-release")


def register(services: HmiServices) -> None:
    @hmi_page(services, "/control", "nav.control", CONTROL_ROLE)
    def control_page(ctx: PageContext) -> None:
        ui.label(ctx.t("ctl.title")).classes("text-lg font-bold")
        _controls(CommandPanel(ctx))
