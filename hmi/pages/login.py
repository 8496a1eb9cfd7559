"""The login page: username and password checked by the injected :class:`Authenticator`.

The session token goes to the browser's server-side storage (``app.storage.user``, signed
cookie); the Authenticator records logins and failures in the audit and enforces lockout.
"""

from __future__ import annotations

from fastapi import Request
from nicegui import app, ui

from chaufferie.hmi.addresses import client_address
from chaufferie.hmi.i18n import tr
from chaufferie.hmi.pages.frame import language
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.theme import CSS, PRIMARY


def safe_next(target: str | None) -> str:
    """Only a local path may follow the login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def register(services: HmiServices) -> None:
    @ui.page("/login", title="Connexion / Log in")
    def login_page(request: Request, next: str = "/") -> None:
        ui.add_css(CSS)
        ui.colors(primary=PRIMARY)
        lang = language() or services.config.hmi.language.value
        address = client_address(request, services.config.hmi.trusted_proxies)
        with ui.card().classes("hmi-panel mx-auto mt-8 w-full").style("max-width:380px"):
            ui.label(services.config.site.name).classes("text-lg font-bold")
            ui.label(tr("login.title", lang)).classes("text-base")
            username = (
                ui.input(tr("login.username", lang))
                .props(f'autocomplete=username aria-label="{tr("login.username", lang)}"')
                .classes("w-full")
                .mark("username")
            )
            password = (
                ui.input(tr("login.password", lang), password=True)
                .props(f'autocomplete=current-password aria-label="{tr("login.password", lang)}"')
                .classes("w-full")
                .mark("password")
            )
            error = ui.label("").classes("text-sm").mark("login-error")

            async def submit() -> None:
                session = await services.auth.login(username.value or "", password.value or "", address)
                if session is None:
                    error.text = tr("login.failed", lang)
                    password.value = ""
                    return
                app.storage.user["token"] = session.token
                ui.navigate.to(safe_next(next))

            password.on("keydown.enter", submit)
            ui.button(tr("login.submit", lang), on_click=submit).classes("w-full").mark("login-submit")
            ui.button(tr("header.lang", lang), on_click=lambda: _switch(lang)).props(
                f'flat dense aria-label="{tr("header.lang_aria", lang)}"'
            )


def _switch(lang: str) -> None:
    app.storage.user["lang"] = "en" if lang == "fr" else "fr"
    ui.navigate.reload()
