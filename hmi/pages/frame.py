"""The shared page frame: login guard, header that answers the first questions, navigation.

Every page is declared with :func:`hmi_page`: it resolves the logged-in user (session token
in the browser's server-side storage, checked by the :class:`Authenticator` on each page
load and again before every action by :meth:`PageContext.allowed`), sends anonymous
visitors to ``/login``, refuses a page to a role below the page's minimum, and draws the
header: plant mode, unacknowledged alarms by priority (colour, shape and number), link
state, silo days left, language switch and logout. The header and the
page body refresh from the live view on a ``ui.timer`` at ``hmi.refresh_s``, only when the
view changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from nicegui import Client, app, ui

from chaufferie.config.vocabulary import ActionKind, ActionResult, Context, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi.addresses import client_address
from chaufferie.hmi.i18n import link_label, mode_label, tr
from chaufferie.hmi.records import UserSession
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.theme import CSS, PRIMARY, PRIORITIES

AGE_REFRESH_S = 5.0
MIN_TICK_S = 0.1
log = logging.getLogger(__name__)
NAV: tuple[tuple[str, str, Role], ...] = (
    ("/", "nav.overview", Role.VIEWER),
    ("/alarms", "nav.alarms", Role.VIEWER),
    ("/history", "nav.history", Role.VIEWER),
    ("/trends", "nav.trends", Role.VIEWER),
    ("/reports", "nav.reports", Role.VIEWER),
    ("/logbook", "nav.logbook", Role.VIEWER),
    ("/maintenance", "nav.maintenance", Role.VIEWER),
    ("/control", "nav.control", Role.TECHNICIAN),
    ("/settings", "nav.settings", Role.TECHNICIAN),
    ("/commissioning", "nav.commissioning", Role.TECHNICIAN),
)


@dataclass
class PageContext:
    """What a page body is given: services, the user, the language and the client address."""

    services: HmiServices
    session: UserSession
    lang: str
    address: str | None
    refreshers: list[Callable[[], None]] = field(default_factory=list)
    client: Client | None = None
    """The browser's page, for feedback from handlers whose own element is gone (a closed dialog)."""

    def t(self, key: str, **fields: object) -> str:
        return tr(key, self.lang, **fields)

    @property
    def context(self) -> Context:
        return self.services.context(self.session, self.address)

    def can(self, role: Role) -> bool:
        return self.session.can(role)

    async def allowed(self, role: Role, kind: ActionKind, target: str = "") -> bool:
        """True when the user may do this now. Every action passes here: the user is looked
        up again at this moment (still there, enabled, session not expired, role at least
        ``role``), not taken from the copy made when the page loaded. A refusal is audited
        and told; a user who is gone or disabled loses the session and is sent to the login,
        one whose role no longer allows the action gets the page redrawn for the new role."""
        fresh = await self.services.auth.resume(self.session.token)
        if fresh is not None and fresh.can(role):
            self.session = fresh
            return True
        why = "session_ended" if fresh is None else "role"
        details = {"needed": role.value, "why": why}
        self.services.publish_action(kind, self.context, target, details, ActionResult.REFUSED)
        with self.client or contextlib.nullcontext():
            ui.notify(self.t("common.refused"), type="negative")
            if fresh is None:
                app.storage.user.pop("token", None)
                ui.navigate.to("/login")
            elif fresh.role is not self.session.role:
                self.session = fresh
                ui.navigate.reload()
        return False

    def on_refresh(self, refresher: Callable[[], None]) -> None:
        """Call ``refresher`` whenever the live view changed (at ``hmi.refresh_s``)."""
        self.refreshers.append(refresher)


def language() -> str:
    lang = app.storage.user.get("lang")
    return lang if lang in ("fr", "en") else ""


async def current_session(services: HmiServices) -> UserSession | None:
    token = app.storage.user.get("token")
    if not isinstance(token, str) or not token:
        return None
    return await services.auth.resume(token)


PageBody = Callable[[PageContext], Awaitable[None] | None]


def hmi_page(
    services: HmiServices, path: str, title_key: str, min_role: Role = Role.VIEWER
) -> Callable[[PageBody], PageBody]:
    """Declare a framed page at ``path`` open to ``min_role`` and above."""

    def decorate(body: PageBody) -> PageBody:
        @ui.page(path, title=tr(title_key, services.config.hmi.language.value))
        async def page(request: Request) -> None:
            session = await current_session(services)
            if session is None:
                ui.navigate.to(f"/login?next={path}")
                return
            lang = language() or session.language or services.config.hmi.language.value
            address = client_address(request, services.config.hmi.trusted_proxies)
            ctx = PageContext(services, session, lang, address, client=ui.context.client)
            header(ctx)
            with ui.column().classes("w-full p-2 gap-2").props(f'aria-label="{ctx.t(title_key)}"'):
                if not session.can(min_role):
                    services.publish_action(
                        ActionKind.LINK_REFUSED,
                        ctx.context,
                        path,
                        {"needed": min_role.value},
                        ActionResult.REFUSED,
                    )
                    ui.label(ctx.t("common.refused")).classes("text-lg").mark("refused")
                    return
                result = body(ctx)
                if inspect.isawaitable(result):
                    await result
            start_refresh(ctx)

        return body

    return decorate


def start_refresh(ctx: PageContext) -> None:
    """Redraw when the view changed (checked 4 times per ``refresh_s``), and every
    ``AGE_REFRESH_S`` anyway so the age of a stale value keeps counting."""
    services = ctx.services
    seen = {"version": -1, "at": 0.0}

    def tick() -> None:
        services.live.pump()
        now = services.clock.monotonic()
        if services.view.version == seen["version"] and now - seen["at"] < AGE_REFRESH_S:
            return
        seen["version"], seen["at"] = services.view.version, now
        for refresher in ctx.refreshers:
            refresher()

    ui.timer(max(MIN_TICK_S, services.refresh_s / 4), tick)


def _count_badge(ctx: PageContext, priority: int) -> Callable[[int], None]:
    style = PRIORITIES[priority]
    badge = ui.label().classes("hmi-badge").mark(f"count-p{priority}")

    def update(count: int) -> None:
        badge.text = (
            f"{style.glyph} P{priority} : {count}"
            if ctx.lang == "fr"
            else f"{style.glyph} P{priority}: {count}"
        )
        badge.classes(
            replace=f"hmi-badge {style.css_class if count else 'hmi-count-zero'}"
            + (" unacked" if count else "")
        )
        badge.props(f'aria-label="{ctx.t(f"prio.{priority}")}: {count}"')

    return update


def header(ctx: PageContext) -> None:
    """The permanent header; registers its own refresher."""
    ui.add_css(CSS)
    ui.colors(primary=PRIMARY)
    services, view = ctx.services, ctx.services.view
    with ui.header().classes("items-center gap-2 flex-wrap py-1 px-2"):
        ui.label(services.config.site.name).classes("font-bold gt-xs")
        mode = ui.label().classes("hmi-badge hmi-count-zero").mark("mode")
        counts = [_count_badge(ctx, p) for p in (1, 2, 3)]
        links = ui.label().classes("hmi-badge").mark("links")
        silo = ui.label().classes("hmi-badge hmi-count-zero").mark("silo-days")
        ui.space()
        ui.label(
            ctx.t(
                "header.user",
                user=ctx.session.display_name or ctx.session.username,
                role=ctx.t(f"role.{ctx.session.role.value}"),
            )
        ).classes("text-sm gt-sm")
        ui.button(ctx.t("header.lang"), on_click=lambda: switch_language(ctx)).props(
            f'flat dense aria-label="{ctx.t("header.lang_aria")}"'
        ).mark("lang")
        ui.button(ctx.t("header.logout"), on_click=lambda: logout(ctx)).props("flat dense").mark("logout")
    with (
        ui.row()
        .classes("hmi-nav w-full gap-3 px-2 py-1 flex-wrap")
        .props(f'role="navigation" aria-label="{ctx.t("nav.menu")}"')
    ):
        for href, key, role in NAV:
            if ctx.can(role):
                ui.link(ctx.t(key), href).mark(f"nav-{href.strip('/') or 'overview'}")

    def refresh() -> None:
        since = (
            ""
            if view.mode_since is None
            else " " + ctx.t("header.since", time=fmt.short_time(view.mode_since, services.clock.now()))
        )
        mode.text = ctx.t("header.mode_is", mode=mode_label(view.mode, ctx.lang)) + since
        for priority, update in zip((1, 2, 3), counts, strict=True):
            update(view.unacked_by_priority().get(priority, 0))
        bad = [name for name, state in view.links.items() if state.value != "up"]
        links.text = ctx.t("header.links_are", links="") + (
            ", ".join(f"{n} {link_label(view.links[n], ctx.lang)}" for n in bad)
            if bad
            else link_label(next(iter(view.links.values())), ctx.lang)
            if view.links
            else "—"
        )
        links.classes(replace="hmi-badge " + ("hmi-link-down" if bad else "hmi-count-zero"))
        days = view.silo_outlook(services.clock.now()).days_left
        silo.text = (
            ctx.t("header.silo_unknown")
            if days is None
            else ctx.t("header.silo_days", days=fmt.number(days, "", 1, ctx.lang))
        )

    refresh()
    ctx.on_refresh(refresh)


def switch_language(ctx: PageContext) -> None:
    app.storage.user["lang"] = "en" if ctx.lang == "fr" else "fr"
    ui.navigate.reload()


async def logout(ctx: PageContext) -> None:
    token = app.storage.user.pop("token", None)
    if isinstance(token, str):
        await ctx.services.auth.logout(token)
    ui.navigate.to("/login")


T = TypeVar("T")


async def attempt(ctx: PageContext, call: Awaitable[T], what: str) -> T | None:
    """Await a lower layer's answer; if it fails, say so on the page (and log it once) and
    return None, so a database or link hiccup never breaks the screen."""
    try:
        return await call
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the boundary between the HMI and a lower layer
        log.warning("hmi: %s failed: %s", what, exc)
        ui.notify(ctx.t("common.failed", message=str(exc) or type(exc).__name__), type="negative")
        return None


def run_guarded(
    ctx: PageContext, role: Role, kind: ActionKind, target: str, action: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[None]]:
    """An event handler that checks the user and ``role`` again at the click (see
    :meth:`PageContext.allowed`; a forced click is refused and audited)."""

    async def handler() -> None:
        if await ctx.allowed(role, kind, target):
            await action()

    return handler
