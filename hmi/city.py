"""The city view: every site of a central database side by side (docs/central.md, "Vue ville").

Served by ``chaufferie central serve --hmi-port N`` beside the receiver, with the site HMI's
look (ISA-101 greys, :mod:`.theme`) and French first. Pages:

* ``/login``: users of the central database (``chaufferie user add --db URL``), passwords
  checked as on a site (argon2), five failures lock the account for 15 minutes;
* ``/``: the sites (state, plant mode, active alarms, last data received, data coverage of the
  last 24 h), the city's energy by site, building and month (CSV export), and — admin — the
  upload of an exchange batch (a building without our software, or a site's exported file);
* ``/site/<id>``: one site's trends and its monthly energy report with each meter's coverage,
  and — technician and above — a manual reading for a building fed by readings (kind
  ``meters``).

Every action (login, logout, refusal, export, upload, reading) is authorised by role and
written to the central's audit (:func:`~chaufferie.historian.city.record_action`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from nicegui import app, ui
from nicegui.events import UploadEventArguments
from sqlalchemy import Engine

from chaufferie.config.vocabulary import Role
from chaufferie.historian import city
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.central_receiver import CentralStore, Refused, check_document
from chaufferie.historian.central_registry import list_sites
from chaufferie.historian.meter_feed import MeterFeedError, MeterReading, meter_batch
from chaufferie.historian.trends import trend
from chaufferie.hmi import format as fmt
from chaufferie.hmi.access.passwords import verify
from chaufferie.hmi.app import use_storage_in
from chaufferie.hmi.theme import CSS, PRIMARY

SESSION_TTL = timedelta(hours=12)
MAX_FAILURES, LOCKOUT = 5, timedelta(minutes=15)
MONTHS_SHOWN = 12
TZ = ZoneInfo("Europe/Paris")
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Vue ville — chaufferies et bâtiments", "City view — plants and buildings"),
    "login": ("Connexion", "Sign in"),
    "user": ("Identifiant", "User name"),
    "password": ("Mot de passe", "Password"),
    "bad_login": ("Identifiant ou mot de passe incorrect", "Wrong user name or password"),
    "logout": ("Déconnexion", "Sign out"),
    "sites": ("Sites", "Sites"),
    "site": ("Site", "Site"),
    "kind": ("Type", "Kind"),
    "state": ("État", "State"),
    "alarms": ("Alarmes actives", "Active alarms"),
    "last": ("Dernières données reçues", "Last data received"),
    "coverage": ("Couverture 24 h", "24 h coverage"),
    "plant": ("chaufferie", "plant"),
    "meters": ("compteurs seuls", "meters only"),
    "revoked": ("révoqué", "revoked"),
    "never": ("jamais", "never"),
    "energy": (
        "Énergie de la ville par site, bâtiment et mois (MWh)",
        "City energy by site, building, month (MWh)",
    ),
    "total": ("total", "total"),
    "csv": ("Exporter en CSV", "Export as CSV"),
    "upload": ("Déposer un lot d'échange (XML ESPI)", "Upload an exchange batch (ESPI XML)"),
    "stored": ("Lot enregistré : {rows} lignes de {site}", "Batch stored: {rows} rows of {site}"),
    "refused": ("Lot refusé ({reason}) : {message}", "Batch refused ({reason}): {message}"),
    "forbidden": ("Action non autorisée pour votre rôle", "Not allowed for your role"),
    "trend": ("Tendance (7 jours)", "Trend (7 days)"),
    "point": ("Point", "Point"),
    "report": ("Rapport mensuel d'énergie (MWh)", "Monthly energy report (MWh)"),
    "manual": ("Saisir un relevé", "Enter a reading"),
    "meter": ("Compteur", "Meter"),
    "date": ("Date (heure locale)", "Date (local time)"),
    "index": ("Index", "Index"),
    "unit": ("Unité", "Unit"),
    "save": ("Enregistrer", "Save"),
    "back": ("← Vue ville", "← City view"),
    "unknown": ("Site inconnu", "Unknown site"),
    "na": ("n. c.", "n/a"),
}


@dataclass
class _Session:
    username: str
    role: Role
    expires: datetime


@dataclass
class CityServices:
    """What the city pages need: the central database and the in-memory sessions."""

    engine: Engine
    receiver: str
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        self.users = AccessStore(self.engine)
        self.central = CentralStore(self.engine, self.receiver)
        self.sessions: dict[str, _Session] = {}
        self.failures: dict[str, tuple[int, datetime]] = {}

    def login(self, username: str, password: str) -> str | None:
        """A new session token for valid credentials (audited either way)."""
        now = self.now()
        count, since = self.failures.get(username, (0, now))
        user = self.users.get_user(username)
        locked = count >= MAX_FAILURES and now - since < LOCKOUT
        if locked or user is None or user.disabled or not verify(user.password_hash, password):
            self.failures[username] = (count + 1, since if count else now)
            city.record_action(self.engine, username, "login", "", "refused", {"locked": locked})
            return None
        self.failures.pop(username, None)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = _Session(user.username, user.role, now + SESSION_TTL)
        city.record_action(self.engine, user.username, "login", "", "done", {})
        return token

    def session(self, token: object) -> _Session | None:
        found = self.sessions.get(token) if isinstance(token, str) else None
        if found is None or found.expires <= self.now():
            return None
        user = self.users.get_user(found.username)  # looked up again: disabled or demoted now
        if user is None or user.disabled:
            return None
        found.role = user.role
        return found

    def allowed(self, session: _Session, role: Role, kind: str, target: str) -> bool:
        ok = session.role.at_least(role)
        if not ok:
            city.record_action(self.engine, session.username, kind, target, "refused", {"needed": role.value})
        return ok


def _t(key: str, lang: str, **fields: object) -> str:
    fr, en = TEXTS[key]
    return (fr if lang == "fr" else en).format(**fields)


def _lang() -> str:
    lang = app.storage.user.get("lang")
    return lang if lang in ("fr", "en") else "fr"


def _frame(services: CityServices, lang: str, session: _Session) -> None:
    ui.add_css(CSS)
    ui.colors(primary=PRIMARY)
    with ui.header().classes("items-center gap-2 py-1 px-2"):
        ui.link(_t("title", lang), "/").classes("font-bold text-white")
        ui.space()
        ui.label(f"{session.username} ({session.role.value})")

        def switch() -> None:
            app.storage.user["lang"] = "en" if lang == "fr" else "fr"
            ui.navigate.reload()

        ui.button("EN" if lang == "fr" else "FR", on_click=switch).props("flat color=white")

        def logout() -> None:
            services.sessions.pop(str(app.storage.user.pop("city_token", "")), None)
            city.record_action(services.engine, session.username, "logout", "", "done", {})
            ui.navigate.to("/login")

        ui.button(_t("logout", lang), on_click=logout).props("flat color=white")


def _mwh(value: float | None, lang: str) -> str:
    return _t("na", lang) if value is None else fmt.number(value, "", 2, lang)


def energy_csv(energy: city.CityEnergy, names: dict[str, str]) -> bytes:
    """The city's energy table as French CSV (``;``, decimal comma, UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["site", "compteur", *energy.months])
    for meter in energy.meters:
        values = energy.mwh[(meter.site_id, meter.point)]
        cells = ["" if values[m] is None else f"{values[m]:.3f}".replace(".", ",") for m in energy.months]
        writer.writerow([names.get(meter.site_id, meter.site_id), meter.label, *cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def register(services: CityServices) -> None:
    """Declare the city view's pages on NiceGUI."""

    async def guard(path: str) -> _Session | None:
        session = services.session(app.storage.user.get("city_token"))
        if session is None:
            ui.navigate.to(f"/login?next={path}")
        return session

    @ui.page("/login", title="Vue ville — connexion")
    def login_page(next: str = "/") -> None:
        lang = _lang()
        ui.add_css(CSS)
        ui.colors(primary=PRIMARY)
        with ui.card().classes("mx-auto mt-16 w-80"):
            ui.label(_t("title", lang)).classes("text-lg font-bold")
            user = ui.input(_t("user", lang)).props('autocomplete="username"').mark("user")
            password = ui.input(_t("password", lang), password=True).mark("password")

            async def submit() -> None:
                token = await asyncio.to_thread(services.login, user.value.strip(), password.value)
                if token is None:
                    ui.notify(_t("bad_login", lang), type="negative")
                    return
                app.storage.user["city_token"] = token
                ui.navigate.to(next if next.startswith("/") and not next.startswith("//") else "/")

            password.on("keydown.enter", submit)
            ui.button(_t("login", lang), on_click=submit).mark("submit")

    @ui.page("/", title="Vue ville")
    async def city_page() -> None:
        session = await guard("/")
        if session is None:
            return
        lang = _lang()
        _frame(services, lang, session)
        now = services.now()
        sites = await asyncio.to_thread(city.sites_overview, services.engine, now)
        names = {s.site_id: s.name for s in sites}
        ui.label(_t("sites", lang)).classes("text-lg font-bold")
        columns = [
            {"name": key, "label": _t(key, lang), "field": key, "align": "left"}
            for key in ("site", "kind", "state", "alarms", "last", "coverage")
        ]
        rows = [_site_row(s, lang, now) for s in sites]
        table = ui.table(columns=columns, rows=rows, row_key="id").classes("w-full").mark("sites")
        table.add_slot(
            "body-cell-site",
            '<q-td :props="props"><a :href="\'/site/\' + props.row.id">{{ props.value }}</a></q-td>',
        )
        months = city.last_months(now, MONTHS_SHOWN, TZ)
        energy = await asyncio.to_thread(city.city_energy, services.engine, months, TZ)
        ui.label(_t("energy", lang)).classes("text-lg font-bold")
        _energy_table(energy, names, lang, "energy")

        def export() -> None:
            city.record_action(services.engine, session.username, "export", "city_energy.csv", "done", {})
            ui.download(energy_csv(energy, names), "energie-ville.csv", "text/csv")

        ui.button(_t("csv", lang), on_click=export).mark("csv")
        if session.role.at_least(Role.ADMIN):
            ui.label(_t("upload", lang)).classes("text-lg font-bold")
            ui.upload(on_upload=lambda e: _uploaded(services, session, e, lang), auto_upload=True).props(
                'accept=".xml"'
            ).mark("upload")

    @ui.page("/site/{site_id}", title="Vue ville — site")
    async def site_page(site_id: str) -> None:
        session = await guard(f"/site/{site_id}")
        if session is None:
            return
        lang = _lang()
        _frame(services, lang, session)
        entry = next(
            (s for s in await asyncio.to_thread(list_sites, services.engine) if s.site_id == site_id), None
        )
        ui.link(_t("back", lang), "/")
        if entry is None:
            ui.label(_t("unknown", lang)).mark("unknown")
            return
        ui.label(entry.name).classes("text-xl font-bold").mark("site-name")
        points = await asyncio.to_thread(city.point_names, services.engine, site_id)
        _trend_card(services, site_id, points, lang)
        now = services.now()
        energy = await asyncio.to_thread(
            city.city_energy, services.engine, city.last_months(now, MONTHS_SHOWN, TZ), TZ, site_id
        )
        ui.label(_t("report", lang)).classes("text-lg font-bold")
        _energy_table(energy, {site_id: entry.name}, lang, "report")
        if entry.kind == "meters" and session.role.at_least(Role.TECHNICIAN):
            _manual_reading(services, session, entry.site_id, entry.name, lang)


def _site_row(s: city.SiteOverview, lang: str, now: datetime) -> dict[str, Any]:
    state = _t("revoked", lang) if s.revoked else (s.mode or "—")
    last = _t("never", lang) if s.last_received is None else fmt.local_time(s.last_received)
    return {
        "id": s.site_id,
        "site": s.name,
        "kind": _t(s.kind if s.kind in ("plant", "meters") else "plant", lang),
        "state": state,
        "alarms": ", ".join(s.active_alarms) or "—",
        "last": last,
        "coverage": fmt.number(100.0 * s.coverage_24h, "%", 0, lang),
    }


def _energy_table(energy: city.CityEnergy, names: dict[str, str], lang: str, mark: str) -> None:
    columns = [{"name": "site", "label": _t("site", lang), "field": "site", "align": "left"}]
    columns += [{"name": "meter", "label": _t("meter", lang), "field": "meter", "align": "left"}]
    columns += [{"name": m, "label": m, "field": m} for m in energy.months]
    rows: list[dict[str, str]] = []
    for site in dict.fromkeys(m.site_id for m in energy.meters):
        for meter in (m for m in energy.meters if m.site_id == site):
            values = energy.mwh[(site, meter.point)]
            rows.append(
                {"site": names.get(site, site), "meter": meter.label}
                | {m: _mwh(values[m], lang) for m in energy.months}
            )
        total = {m: _mwh(energy.site_total(site, m), lang) for m in energy.months}
        rows.append({"site": names.get(site, site), "meter": _t("total", lang)} | total)
    ui.table(columns=columns, rows=rows).classes("w-full").props("dense").mark(mark)


def _trend_card(services: CityServices, site: str, points: list[tuple[str, str, str]], lang: str) -> None:
    if not points:
        return
    ui.label(_t("trend", lang)).classes("text-lg font-bold")
    options = {name: f"{label} ({unit})" if unit else label for name, label, unit in points}
    chart = ui.echart({"xAxis": {"type": "time"}, "yAxis": {"type": "value"}, "series": []}).classes(
        "w-full h-64"
    )

    async def show(name: str) -> None:
        end = services.now()
        found = await asyncio.to_thread(trend, services.engine, site, [name], end - timedelta(days=7), end)
        series = found.get(name)
        data = [] if series is None else [[p.time.isoformat(), p.value] for p in series.points]
        chart.options["series"] = [{"type": "line", "name": options[name], "data": data, "showSymbol": False}]
        chart.update()

    first = next(iter(options))
    ui.select(options, value=first, label=_t("point", lang), on_change=lambda e: show(e.value)).mark("point")
    ui.timer(0.1, lambda: show(first), once=True)


def _manual_reading(services: CityServices, session: _Session, site: str, name: str, lang: str) -> None:
    ui.label(_t("manual", lang)).classes("text-lg font-bold")
    with ui.row().classes("items-end"):
        meter = ui.input(_t("meter", lang)).mark("reading-meter")
        when = ui.input(
            _t("date", lang), value=services.now().astimezone(TZ).strftime("%Y-%m-%d %H:%M")
        ).mark("reading-date")
        index = ui.number(_t("index", lang), min=0).mark("reading-index")
        unit = ui.select(["kWh", "MWh", "m³", "L"], value="kWh", label=_t("unit", lang)).mark("reading-unit")

        async def save() -> None:
            if not services.allowed(session, Role.TECHNICIAN, "manual_reading", site):
                ui.notify(_t("forbidden", lang), type="negative")
                return
            try:
                local = datetime.fromisoformat(str(when.value)).replace(tzinfo=TZ)
                reading = MeterReading(
                    str(meter.value).strip(), local.astimezone(UTC), float(index.value), str(unit.value)
                )
                data = meter_batch(site, name, "Europe/Paris", [reading])
                check_document(data)
                accepted = await asyncio.to_thread(services.central.store, data, services.now(), site)
            except (ValueError, TypeError, MeterFeedError) as exc:
                ui.notify(str(exc), type="negative")
                return
            except Refused as exc:
                city.record_action(
                    services.engine, session.username, "manual_reading", site, "refused", {"why": str(exc)}
                )
                ui.notify(_t("refused", lang, reason=exc.reason.value, message=str(exc)), type="negative")
                return
            details = {"meter": reading.meter, "index": reading.index, "time": reading.time.isoformat()}
            city.record_action(services.engine, session.username, "manual_reading", site, "done", details)
            ui.notify(_t("stored", lang, rows=accepted.rows, site=site), type="positive")

        ui.button(_t("save", lang), on_click=save).mark("reading-save")


async def _uploaded(
    services: CityServices, session: _Session, event: UploadEventArguments, lang: str
) -> None:
    name = str(event.file.name)
    if not services.allowed(session, Role.ADMIN, "upload", name):
        ui.notify(_t("forbidden", lang), type="negative")
        return
    data = await _upload_bytes(event)
    try:
        check_document(data)
        accepted = await asyncio.to_thread(services.central.store, data, services.now())
    except Refused as exc:
        reason = exc.reason.value
        city.record_action(services.engine, session.username, "upload", name, "refused", {"reason": reason})
        ui.notify(_t("refused", lang, reason=reason, message=str(exc)), type="negative", multi_line=True)
        return
    city.record_action(
        services.engine,
        session.username,
        "upload",
        name,
        "done",
        {"site": accepted.site, "rows": accepted.rows},
    )
    ui.notify(_t("stored", lang, rows=accepted.rows, site=accepted.site), type="positive")


async def _upload_bytes(event: UploadEventArguments) -> bytes:
    return bytes(await event.file.read())


def mount_city(fastapi_app: FastAPI, services: CityServices, storage_secret: str, storage: Path) -> None:
    """Register the city pages and mount NiceGUI on ``fastapi_app`` (once per process); the
    browsers' storage (their session token) in ``storage``, never the working directory."""
    use_storage_in(storage)
    register(services)
    ui.run_with(
        fastapi_app,
        title="Vue ville",
        storage_secret=storage_secret,
        language="fr",
        favicon="🏙",
        show_welcome_message=False,
        session_middleware_kwargs={"same_site": "strict"},
    )
