"""The settings page: cascade thresholds, heating curve and heating season (technician), on-call rota,
contacts and users (admin). Every change goes through :mod:`hmi.settings_edit` (validated,
applied live, audited) or the injected :class:`UserAdmin`.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from chaufferie.config.plant import CascadeSettings, HeatingCurvePoint
from chaufferie.config.ranges import field_range
from chaufferie.config.season import SeasonSettings, SummerMode
from chaufferie.config.settings import setpoint_write_range
from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi import settings_edit
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.props import labelled, with_props
from chaufferie.hmi.records import Outcome, UserInfo
from chaufferie.hmi.services import HmiServices

TUNE_ROLE = Role.TECHNICIAN
ADMIN_ROLE = Role.ADMIN


def _report(ctx: PageContext, outcome: Outcome) -> None:
    if outcome.ok:
        ui.notify(ctx.t("set.saved"), type="positive")
    else:
        ui.notify(ctx.t("common.invalid", message=outcome.message), type="negative")


async def _apply(
    ctx: PageContext, kind: ActionKind, section: str, values: dict[str, Any], role: Role
) -> None:
    if await ctx.allowed(role, kind, section):
        _report(ctx, await settings_edit.apply(ctx.services, section, values, ctx.context))


def _bound(value: float | None, lang: str) -> str:
    return "—" if value is None else fmt.number(value, "", 0 if value.is_integer() else 1, lang)


def range_hint(
    ctx: PageContext, model: type[CascadeSettings | HeatingCurvePoint | SeasonSettings], name: str
) -> str:
    """The range a field accepts, read from the model (narrowed, for the cascade's setpoint
    limits, to the setpoints' write bounds of the point map): "plage : 0 à 86400"."""
    low, high = field_range(model, name)
    allowed = setpoint_write_range(ctx.services.config)
    if model is CascadeSettings and name in ("setpoint_min_c", "setpoint_max_c") and allowed is not None:
        low = allowed[0] if low is None else max(low, allowed[0])
        high = allowed[1] if high is None else min(high, allowed[1])
    return ctx.t("set.range", low=_bound(low, ctx.lang), high=_bound(high, ctx.lang))


def _number(label: str, value: float, hint: str, mark: str) -> ui.number:
    """A number input with its accessible name and its accepted range shown under it."""
    return with_props(labelled(ui.number(label, value=value), label), hint=hint).mark(mark)


def _rejected_notice(ctx: PageContext) -> None:
    store = ctx.services.settings_store
    notice = None if store is None else store.notice
    if notice:
        banner = with_props(ui.label(notice), role="alert")
        banner.classes("hmi-panel text-negative").mark("settings-rejected")


def _cascade(ctx: PageContext) -> None:
    cascade = settings_edit.current(ctx.services, "cascade")
    if not isinstance(cascade, CascadeSettings):
        return
    with ui.card().classes("hmi-panel w-full max-w-2xl"):
        ui.label(ctx.t("set.cascade")).classes("font-bold")
        inputs = {}
        with ui.grid(columns=2).classes("w-full gap-2"):
            for name in settings_edit.CASCADE_FIELDS:
                hint = range_hint(ctx, CascadeSettings, name)
                inputs[name] = _number(ctx.t(f"set.{name}"), getattr(cascade, name), hint, f"set-{name}")

        async def save() -> None:
            values = {k: w.value for k, w in inputs.items() if w.value is not None}
            await _apply(ctx, ActionKind.SETTING_CHANGED, "cascade", values, TUNE_ROLE)

        ui.button(ctx.t("common.apply"), on_click=save).mark("cascade-save")
    with ui.card().classes("hmi-panel w-full max-w-2xl"):
        ui.label(ctx.t("set.curve")).classes("font-bold")
        curve = []
        hint = range_hint(ctx, HeatingCurvePoint, "setpoint_c")
        for p in cascade.heating_curve:
            label = ctx.t("set.curve_point", outdoor=p.outdoor_c)
            number = _number(label, p.setpoint_c, hint, f"curve-{p.outdoor_c:g}")
            curve.append((p.outdoor_c, number.classes("min-w-[280px]")))

        async def save_curve() -> None:
            points = tuple(HeatingCurvePoint(outdoor_c=o, setpoint_c=float(w.value or 0)) for o, w in curve)
            await _apply(ctx, ActionKind.SETTING_CHANGED, "cascade", {"heating_curve": points}, TUNE_ROLE)

        ui.button(ctx.t("common.apply"), on_click=save_curve).mark("curve-save")


def _season(ctx: PageContext) -> None:
    """The heating season's dates agreed with the subscriber, and the summer mode."""
    season = settings_edit.current(ctx.services, "season")
    if not isinstance(season, SeasonSettings):
        return
    with ui.card().classes("hmi-panel w-full max-w-2xl"):
        ui.label(ctx.t("season.title")).classes("font-bold")
        with ui.grid(columns=2).classes("w-full gap-2"):
            start = labelled(ui.input(ctx.t("season.start"), value=season.start), ctx.t("season.start"))
            stop = labelled(ui.input(ctx.t("season.stop"), value=season.stop), ctx.t("season.stop"))
            modes = {m.value: ctx.t(f"season.summer_{m.value}") for m in SummerMode}
            summer = labelled(
                ui.select(modes, value=season.summer.value, label=ctx.t("season.summer")),
                ctx.t("season.summer"),
            )
            hint = range_hint(ctx, SeasonSettings, "dhw_setpoint_c")
            dhw = _number(ctx.t("season.dhw_setpoint_c"), season.dhw_setpoint_c, hint, "season-dhw")
        start.mark("season-start")
        stop.mark("season-stop")
        summer.mark("season-summer-mode")

        async def save() -> None:
            values = {"start": start.value or "", "stop": stop.value or "", "summer": summer.value}
            if dhw.value is not None:
                values["dhw_setpoint_c"] = dhw.value
            await _apply(ctx, ActionKind.SETTING_CHANGED, "season", values, TUNE_ROLE)

        ui.button(ctx.t("common.apply"), on_click=save).mark("season-save")


def _rota(ctx: PageContext) -> None:
    cfg = ctx.services.config
    names = {c.id: c.name for c in cfg.contacts}
    rota = settings_edit.current(ctx.services, "rota")
    with ui.card().classes("hmi-panel w-full max-w-2xl"):
        ui.label(ctx.t("set.rota")).classes("font-bold")
        cycle = (
            labelled(
                ui.select(
                    names, multiple=True, value=list(getattr(rota, "cycle", ())), label=ctx.t("set.on_call")
                ),
                ctx.t("set.on_call"),
            )
            .props("use-chips")
            .classes("w-full")
            .mark("rota-cycle")
        )

        async def save_rota() -> None:
            await _apply(
                ctx, ActionKind.CONFIG_CHANGED, "rota", {"cycle": tuple(cycle.value or ())}, ADMIN_ROLE
            )

        ui.button(ctx.t("common.apply"), on_click=save_rota).mark("rota-save")
        for contact in cfg.contacts:
            _contact_row(ctx, contact.model_dump())


def _contact_row(ctx: PageContext, contact: dict[str, Any]) -> None:
    with ui.row().classes("items-end gap-2 flex-wrap"):
        ui.label(contact["name"]).classes("min-w-[140px]")
        phone = labelled(
            ui.input(ctx.t("set.phone"), value=contact.get("phone") or ""),
            f"{ctx.t('set.phone')} {contact['name']}",
        ).mark(f"phone-{contact['id']}")
        email = labelled(
            ui.input(ctx.t("set.email"), value=contact.get("email") or ""),
            f"{ctx.t('set.email')} {contact['name']}",
        ).mark(f"email-{contact['id']}")

        async def save() -> None:
            if await ctx.allowed(ADMIN_ROLE, ActionKind.CONFIG_CHANGED, "contacts"):
                changed = {**contact, "phone": phone.value or None, "email": email.value or None}
                _report(ctx, await settings_edit.save_contact(ctx.services, changed, ctx.context))

        ui.button(ctx.t("common.save"), on_click=save).props("outline dense").mark(
            f"contact-save-{contact['id']}"
        )


async def _users(ctx: PageContext) -> None:
    admin = ctx.services.users
    with ui.card().classes("hmi-panel w-full max-w-2xl"):
        ui.label(ctx.t("set.users")).classes("font-bold")
        if admin is None:
            ui.label(ctx.t("ctl.unavailable"))
            return
        listing = ui.column().classes("gap-1 w-full").mark("user-list")

        async def reload() -> None:
            listing.clear()
            for user in await attempt(ctx, admin.users(), "users") or []:
                with listing, ui.row().classes("items-center gap-2"):
                    state = "" if user.enabled else " (—)"
                    ui.label(f"{user.username} · {ctx.t(f'role.{user.role.value}')}{state}")
                    if user.enabled:
                        handler = _disable(ctx, user.username, reload)
                        button = ui.button(ctx.t("set.disable"), on_click=handler)
                        labelled(button.props("dense flat"), f"{ctx.t('set.disable')} {user.username}").mark(
                            f"disable-{user.username}"
                        )

        with ui.row().classes("items-end gap-2 flex-wrap"):
            username = labelled(ui.input(ctx.t("login.username")), ctx.t("login.username")).mark(
                "new-username"
            )
            roles = {r.value: ctx.t(f"role.{r.value}") for r in Role}
            role = labelled(
                ui.select(roles, value=Role.VIEWER.value, label=ctx.t("set.role")), ctx.t("set.role")
            ).mark("new-role")
            password = labelled(
                ui.input(ctx.t("login.password"), password=True), ctx.t("login.password")
            ).mark("new-password")

            async def save() -> None:
                if not await ctx.allowed(ADMIN_ROLE, ActionKind.USER_CHANGED, username.value or ""):
                    return
                info = UserInfo((username.value or "").strip(), Role(role.value))
                saved = await attempt(ctx, admin.save_user(info, password.value or None, ctx.context), "user")
                if saved is not None:
                    _report(ctx, saved)
                await reload()

            ui.button(ctx.t("set.user_add"), on_click=save).mark("user-save")
        await reload()


def _disable(ctx: PageContext, username: str, reload: Any) -> Any:
    async def handler() -> None:
        if (
            await ctx.allowed(ADMIN_ROLE, ActionKind.USER_CHANGED, username)
            and ctx.services.users is not None
        ):
            done = await attempt(ctx, ctx.services.users.disable_user(username, ctx.context), "user")
            if done is not None:
                _report(ctx, done)
            await reload()

    return handler


def register(services: HmiServices) -> None:
    @hmi_page(services, "/settings", "nav.settings", TUNE_ROLE)
    async def settings_page(ctx: PageContext) -> None:
        ui.label(ctx.t("set.title")).classes("text-lg font-bold")
        _rejected_notice(ctx)
        _cascade(ctx)
        _season(ctx)
        if ctx.can(ADMIN_ROLE):
            _rota(ctx)
            await _users(ctx)
