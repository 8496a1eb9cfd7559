"""The conduite records of the logbook: water make-ups, air purges, chip deliveries checked
against the contract's humidity range, and the ash bin's fill forecast."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    Channel,
    Context,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    Quality,
    TagValue,
)
from chaufferie.historian.report import Period, build_report
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi import conduite
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.silo import AshForecast
from tests.hmi.conftest import login

AGENT = Context(origin="hmi", user="operator", channel=Channel.HMI, address="127.0.0.1")


def _burnt(kg: float) -> TagValue:
    t = datetime(2026, 1, 12, tzinfo=UTC)
    return TagValue("wood.fuel_burnt", kg, Quality.GOOD, t, t)


def test_a_physically_impossible_humidity_is_refused_and_nothing_is_recorded(services: HmiServices) -> None:
    sub = services.bus.subscribe(PlantEvent, OperatorAction, name="test")
    for impossible in (150.0, 100.0, -1.0):
        with pytest.raises(ValueError, match="humidité") as info:
            conduite.delivery(4, "t", "Bois Sud", impossible, services.config.plant)
        assert f"humidity {impossible:g} % impossible" in str(info.value)
    assert sub.drain() == []


def test_a_delivery_at_40_percent_is_recorded_and_flagged_out_of_contract(services: HmiServices) -> None:
    plant = services.config.plant
    assert (plant.chips_humidity_min_pct, plant.chips_humidity_max_pct) == (20.0, 35.0)
    assert not conduite.delivery(4, "t", "Bois Sud", 35, plant).out_of_contract  # bounds included
    assert conduite.delivery(4, "t", "Bois Sud", 19.5, plant).out_of_contract
    sub = services.bus.subscribe(PlantEvent, OperatorAction, name="test")
    wet = conduite.delivery(4, "t", "Bois Sud", 40, plant)
    assert wet.out_of_contract
    conduite.record_delivery(services, AGENT, wet)
    event, action = sub.drain()
    assert isinstance(event, PlantEvent)
    assert isinstance(action, OperatorAction)
    assert event.kind is PlantEventKind.CHIP_DELIVERY
    assert (event.values["kg"], event.values["out_of_contract"]) == (4000.0, True)
    assert "hors contrat" in event.message  # what the history's line reads
    assert action.kind is ActionKind.CHIP_DELIVERY
    assert (action.details["mass_kg"], action.details["humidity"]) == (4000.0, 40.0)


async def test_the_report_counts_the_deliveries_out_of_contract(config: PlantConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config.data_path(".").mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = VirtualClock(datetime(2026, 1, 12, 9, tzinfo=UTC))
    async with HistorianWriter(config, Bus(), clock) as writer:
        for humidity in (25.0, 40.0, None):
            d = conduite.delivery(2, "t", "Bois Sud", humidity, config.plant)
            details = {"mass_kg": d.kg, "supplier": d.supplier, "humidity": d.humidity_pct}
            writer.accept(
                OperatorAction(ActionKind.CHIP_DELIVERY, clock.now(), AGENT, "silo", details=details)
            )
        await writer.flush()
        report = build_report(
            writer.engine, config, Period("2026-01", start, datetime(2026, 2, 1, tzinfo=UTC), "month")
        )
    assert report.chips_delivered_t == pytest.approx(6.0)
    assert report.chips_out_of_contract == 1


def test_water_make_up_and_air_purge_are_checked_then_recorded(services: HmiServices) -> None:
    sub = services.bus.subscribe(PlantEvent, OperatorAction, name="test")
    with pytest.raises(ValueError, match="appoint de"):
        conduite.water_makeup(0, 1.2, 1.8)
    with pytest.raises(ValueError, match="pression après"):
        conduite.water_makeup(50, 1.2, 30)
    with pytest.raises(ValueError, match="lieu de la purge"):
        conduite.air_purge("   ")
    assert sub.drain() == []
    conduite.record_water_makeup(services, AGENT, conduite.water_makeup(50, 1.2, 1.8))
    conduite.record_water_makeup(services, AGENT, conduite.water_makeup(20, None, None))
    conduite.record_air_purge(services, AGENT, conduite.air_purge(" purgeur haut, école "))
    events = [m for m in sub.drain() if isinstance(m, PlantEvent)]
    assert [(e.kind, dict(e.values)) for e in events] == [
        (PlantEventKind.WATER_MAKEUP, {"litres": 50.0, "before_bar": 1.2, "after_bar": 1.8}),
        (PlantEventKind.WATER_MAKEUP, {"litres": 20.0, "before_bar": None, "after_bar": None}),
        (PlantEventKind.AIR_PURGE, {"where": "purgeur haut, école"}),
    ]
    assert all(e.context.user == "operator" for e in events)


def test_ash_bin_fill_is_the_chips_burnt_since_the_last_removal_times_the_ash_content(
    config: PlantConfig,
) -> None:
    plant = config.plant.model_copy(update={"ash_fraction": 0.01, "ash_bin_capacity_kg": 200.0})
    ash = AshForecast(plant)
    ash.observe_burnt(_burnt(3000.0))
    assert ash.outlook().fill_pct is None  # no removal seen yet: unknown, not zero
    ash.emptied()
    ash.observe_burnt(_burnt(13000.0))  # 10 t burnt since, 1 % ash: 100 kg in a 200 kg bin
    out = ash.outlook()
    assert (out.burnt_kg, out.fill_pct) == (10000.0, pytest.approx(50.0))
    ash.observe_burnt(_burnt(500.0))  # the PLC's counter was reset: count from there
    ash.observe_burnt(_burnt(4500.0))
    assert ash.outlook().fill_pct == pytest.approx(50.0 + 20.0)


async def test_the_logbook_page_records_a_wet_delivery_flagged_and_a_make_up(
    hmi_user, services: HmiServices
) -> None:  # type: ignore[no-untyped-def]
    sub = services.bus.subscribe(PlantEvent, name="test")
    async with hmi_user() as user:
        await login(user, "operator", path="/logbook")
        user.find(marker="delivery-qty").type("4")
        user.find(marker="delivery-humidity").type("40")
        user.find(marker="delivery-save").click()
        await user.should_see("Enregistré — humidité hors contrat, livraison signalée")
        services.live.pump()  # the live view takes the bus's news (a timer does it in the browser)
        await user.should_see("HORS CONTRAT (humidité 40.0 %)", retries=50)
        user.find(marker="makeup-litres").type("50")
        user.find(marker="makeup-save").click()
        await user.should_see("Enregistré")
        services.live.pump()
        await user.should_see("appoint d'eau", retries=50)
        user.find(marker="delivery-qty").type("4")
        user.find(marker="delivery-humidity").clear().type("150")
        user.find(marker="delivery-save").click()
        await user.should_see("humidity 150 % impossible")
    kinds = [m.kind for m in sub.drain() if isinstance(m, PlantEvent)]
    assert kinds == [PlantEventKind.CHIP_DELIVERY, PlantEventKind.WATER_MAKEUP]


def test_the_synoptic_shows_the_ash_bin_fill_beside_the_silo(config: PlantConfig) -> None:
    from chaufferie.hmi import synoptic
    from chaufferie.hmi.viewmodel import PlantView
    from tests.hmi.test_synoptic import texts

    cfg = config.model_copy(
        update={"plant": config.plant.model_copy(update={"ash_fraction": 0.01, "ash_bin_capacity_kg": 200.0})}
    )
    view = PlantView(cfg)
    now = datetime(2026, 1, 12, tzinfo=UTC)
    assert texts(synoptic.render(view, now, "fr"))["ash-fill"].text == "bac à cendres : ?"
    view.apply(_burnt(3000.0))
    view.apply(PlantEvent(PlantEventKind.ASH_REMOVAL, now, reason="logbook", context=AGENT))
    view.apply(_burnt(13000.0))
    assert texts(synoptic.render(view, now, "fr"))["ash-fill"].text == "bac à cendres : 50 %"
