"""Overview, history, trends, reports, logbook: live values, filters, exports, entries."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, OperatorAction, PlantEvent, PlantEventKind, Quality
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.conduite import delivery
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login, publish_values
from tests.support.alarms import PlantAlarms

PARIS = ZoneInfo("Europe/Paris")
PATIENCE = 50
"""Retries of 0.1 s for a page that queries the real database in a worker thread."""


def synoptic_svg(user) -> str:
    element = user.find(marker="synoptic").elements.pop()
    assert isinstance(element, ui.html)
    return element.content


async def test_synoptic_updates_when_a_value_changes(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer")
        assert "haut 76,1 °C" in synoptic_svg(user)
        publish_values(services.bus, services.clock, {"buffer.temp_top": 79.4})  # type: ignore[arg-type]
        for _ in range(30):
            if "haut 79,4 °C" in synoptic_svg(user):
                break
            await asyncio.sleep(0.1)
        assert "haut 79,4 °C" in synoptic_svg(user)


async def test_lost_link_value_is_shown_with_question_mark(hmi_user, services: HmiServices) -> None:
    publish_values(services.bus, services.clock, {"network.pressure": 2.05}, Quality.BAD)  # type: ignore[arg-type]
    async with hmi_user() as user:
        await login(user, "viewer")
        assert "pression 2,05 bar ? (0 s)" in synoptic_svg(user)


async def test_history_filters_by_kind_and_text(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/history")
        await user.should_see("6 enregistrements", retries=PATIENCE)  # the last 8 days of tests/hmi/past.py
        user.find(marker="hist-text").type("chaudière")
        user.find(marker="hist-search").click()
        await user.should_see("1 enregistrements", retries=PATIENCE)
        table = user.find(marker="hist-table").elements.pop()
        assert isinstance(table, ui.table)
        assert [r["what"] for r in table.rows] == ["P1 Défaut chaudière bois"]


async def test_history_exports_csv_with_the_filtered_records(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/history")
        user.find(marker="hist-code").type("chb-def")
        user.find(marker="hist-csv").click()
        response = await user.download.next()
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Date;Type;Événement;Code;Priorité")  # the historian's French export
        assert len(lines) == 3, lines  # header + the alarm and its acknowledgement
        assert all("CHB-DEF" in line for line in lines[1:])


async def test_history_kind_filter_reaches_the_query(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/history")
        kinds = user.find(marker="hist-kinds").elements.pop()
        kinds.set_value(["oil"])
        user.find(marker="hist-search").click()
        await user.should_see("2 enregistrements", retries=PATIENCE)  # the oil start and stop
        kinds.set_value(["action"])
        user.find(marker="hist-user").type("tech")
        user.find(marker="hist-search").click()
        await user.should_see("1 enregistrements", retries=PATIENCE)  # the acknowledgement
        user.find(marker="hist-priority").elements.pop().set_value(1)
        kinds.set_value(["alarm"])
        user.find(marker="hist-user").clear()
        user.find(marker="hist-search").click()
        await user.should_see("1 enregistrements", retries=PATIENCE)  # CHB-DEF, not SIL-BAS (P2)


async def _drawn(user, first_before: datetime, last_before: datetime) -> list[dict]:  # type: ignore[no-untyped-def]
    """The chart's series once the historian's answer for the range asked is drawn (the page
    draws its default range on opening)."""
    chart = user.find(marker="trend-chart").elements.pop()
    assert isinstance(chart, ui.echart)
    for _ in range(PATIENCE):
        series = chart.options.get("series") or []
        data = series[0].get("data") if series else None
        if (
            data
            and data[0][0] < first_before.timestamp() * 1000
            and data[-1][0] < last_before.timestamp() * 1000
        ):
            return list(series)
        await asyncio.sleep(0.1)
    raise AssertionError("the range asked was not drawn")


async def test_trend_of_30_days_draws_the_historians_data_with_gaps_band_and_oil(
    hmi_user, services: HmiServices
) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/trends")
        user.find(marker="trend-range").elements.pop().set_value("30d")
        user.find(marker="trend-draw").click()
        await user.should_see(marker="trend-chart")
        now = services.clock.now()
        series = await _drawn(user, now - timedelta(days=29), now + timedelta(hours=1))
    top = series[0]
    times = [t for t, _ in top["data"]]
    now_ms = services.clock.now().timestamp() * 1000
    assert now_ms - times[0] <= 30 * 86_400_000 + 3_600_000  # the range asked, from the rollups
    assert any(v is None for _, v in top["data"]), "the day of Bad quality is a gap"
    assert any(v is not None for _, v in top["data"])
    assert top["connectNulls"] is False
    [(start, end)] = [(a["xAxis"], b["xAxis"]) for a, b in top["markArea"]["data"]]  # oil running
    assert (now_ms - start, now_ms - end) == (29 * 3_600_000, 27 * 3_600_000)
    assert any(s["name"] == "consigne ± 1,5 °C" for s in series)


async def test_report_shows_the_months_figures_and_downloads_its_csv(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/reports")
        await user.should_see(f"{services.config.site.name} — 2025-12", retries=PATIENCE)
        await user.should_see(marker="report-chart")
        user.find(marker="report-csv").click()
        response = await user.download.next()
    text = response.content.decode("utf-8-sig")
    assert "2025-12" in text
    assert "incompl" in text  # half a month of readings: said, never a silent zero


async def test_report_refuses_a_malformed_period(hmi_user) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/reports")
        user.find(marker="report-period").clear().type("janvier")
        user.find(marker="report-show").click()
        await user.should_see("Valeur invalide : janvier")


async def test_viewer_gets_no_logbook_form_but_sees_past_deliveries(hmi_user) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/logbook")
        await user.should_see(marker="log-recent")
        await user.should_not_see(marker="delivery-save")
        await user.should_see("Livraison de plaquettes 4 t (Bois Sud)")


def test_history_details_read_in_words() -> None:
    from chaufferie.hmi.pages.history import detail_label

    assert detail_label("oil_started (replacement)", "fr") == "démarrage fioul (RELÈVE)"
    assert detail_label("acknowledge", "en") == "acknowledgement"
    assert detail_label("wood.setpoint", "fr") == "wood.setpoint"


async def test_chip_delivery_in_m3_becomes_a_plant_event_and_an_audited_action(
    hmi_user, services: HmiServices
) -> None:
    sub = services.bus.subscribe(PlantEvent, OperatorAction, name="test")
    async with hmi_user() as user:
        await login(user, "operator", path="/logbook")
        user.find(marker="delivery-qty").type("20")
        user.find(marker="delivery-unit").elements.pop().set_value("m3")
        user.find(marker="delivery-supplier").type("Bois du Ventoux")
        user.find(marker="delivery-humidity").type("24")
        user.find(marker="delivery-save").click()
        await user.should_see("Enregistré")
        services.live.pump()
        assert services.view.silo.last_delivery == services.clock.now()
    messages = sub.drain()
    event = next(m for m in messages if isinstance(m, PlantEvent))
    action = next(m for m in messages if isinstance(m, OperatorAction) and m.kind is not ActionKind.LOGIN)
    assert event.kind is PlantEventKind.CHIP_DELIVERY
    assert event.values["kg"] == 4600.0
    assert event.values["supplier"] == "Bois du Ventoux"
    assert (action.kind, action.context.user) == (ActionKind.CHIP_DELIVERY, "operator")


async def test_delivery_beyond_twice_the_silo_is_refused(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "operator", path="/logbook")
        user.find(marker="delivery-qty").type("50")
        user.find(marker="delivery-save").click()
        await user.should_see("Valeur invalide : 50000 kg is more than twice the silo (4600 kg)")


def test_delivery_conversion_and_humidity_bounds(services: HmiServices) -> None:
    plant = services.config.plant
    assert delivery(4, "t", " X ", 25, plant).m3 == 4000 / 230
    for bad in ((0, "t", 25), (4, "kg", 25), (4, "t", 150), (4, "t", -1)):
        try:
            delivery(bad[0], bad[1], "", bad[2], plant)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")


async def test_trend_of_any_range_between_two_dates(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "viewer", path="/trends")
        user.find(marker="trend-from").type("2025-12-01")
        user.find(marker="trend-to").type("2025-12-31")
        user.find(marker="trend-draw").click()
        series = await _drawn(user, datetime(2025, 12, 13, tzinfo=PARIS), datetime(2026, 1, 1, tzinfo=PARIS))
    times = [datetime.fromtimestamp(t / 1000, PARIS) for t, _ in series[0]["data"]]
    assert times[0] >= datetime(2025, 12, 12, tzinfo=PARIS)  # the history begins on the 12th
    assert times[-1] < datetime(2026, 1, 1, tzinfo=PARIS)
    assert times[-1] >= datetime(2025, 12, 31, tzinfo=PARIS)  # the 31st is in


class BrokenHistory:
    """A historian whose database is locked."""

    async def events(self, query):  # type: ignore[no-untyped-def]
        raise OSError("database is locked")


async def test_a_failing_historian_is_reported_on_the_page_not_a_crash(
    hmi_user, services: HmiServices
) -> None:
    services.history = BrokenHistory()  # type: ignore[assignment]
    async with hmi_user() as user:
        await login(user, "viewer", path="/history")
        await user.should_see("Échec : database is locked")
        await user.should_see("0 enregistrements")
        user.find(marker="hist-search").click()
        await user.should_see(marker="hist-table")


async def test_arrival_on_site_closes_the_call_once_and_comments_the_alarm(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms, access: AccessServices
) -> None:
    occ = await plant_alarms.raise_alarm("FIO-REL")
    await access.interventions.open(occ, "FIO-REL", 1, "tech-martin")  # as its acknowledgement does
    services.live.pump()
    async with hmi_user() as user:
        await login(user, "tech", path="/logbook")
        user.find(marker="intervention-note").type("brûleur bois nettoyé")
        user.find(marker="intervention-save").click()
        await user.should_see("Enregistré")
        user.find(marker="intervention-save").click()
        await user.should_see("Échec : Étape déjà enregistrée. / Step already recorded.")
    [record] = access.store.list_interventions()
    assert (record.occurrence_id, record.arrival) == (occ, services.clock.now())
    occurrence = plant_alarms.engine.get(occ)
    assert occurrence is not None
    assert [(c.user, c.text) for c in occurrence.comments] == [("tech", "brûleur bois nettoyé")]


async def test_overview_lists_the_key_figures_for_a_phone(hmi_user) -> None:
    from chaufferie.hmi.pages.overview import KEY_FIGURES
    from chaufferie.hmi.texts import TEXTS

    assert all(key in TEXTS for key, _, _ in KEY_FIGURES)
    async with hmi_user() as user:
        await login(user, "viewer")
        await user.should_see("Ballon tampon haut : 76,1 °C")
        await user.should_see("Pression réseau : 2,05 bar")


async def test_the_agent_records_a_phone_call_from_the_logbook_and_it_opens_an_intervention(
    hmi_user, services: HmiServices, access: AccessServices
) -> None:
    async with hmi_user() as user:
        await login(user, "operator", path="/logbook")
        user.find(marker="call-caller").type("Mairie")
        user.find(marker="call-callee").type("Julien Martin")
        user.find(marker="call-reason").type("Radiateurs froids à l'école")
        user.find(marker="call-save").click()
        await user.should_see("Enregistré")
        user.find(marker="call-save").click()  # the reason was cleared: refused, nothing more stored
        await user.should_see("Indiquez qui a appelé qui, et pourquoi.")
    [record] = access.store.list_interventions()
    assert (record.origin, record.code, record.opened_at) == ("phone", None, services.clock.now())
    [call] = access.store.calls(record.occurrence_id)
    assert (call.caller, call.recorded_by, call.reason) == (
        "Mairie",
        "operator",
        "Radiateurs froids à l'école",
    )


async def test_the_commune_enters_indices_from_the_logbook_and_a_bad_one_is_refused(
    hmi_user, access: AccessServices
) -> None:
    async with hmi_user() as user:
        await login(user, "admin", path="/logbook")
        await user.should_see("Contrat : appels contestés")
        user.find(marker="indices-date").type("2026-01-01")
        user.find(marker="indices-bt40").type("110")
        user.find(marker="indices-ppei").type("0")
        user.find(marker="indices-tch").type("102")
        user.find(marker="indices-save").click()
        await user.should_see("Base indices missing from the configuration")  # the test plant has none
    assert access.store.index_entries() == []
