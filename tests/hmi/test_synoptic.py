"""The process graphic: values with units, bad quality greyed with "?" and age, roles, badges."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    OilRole,
    PlantEvent,
    PlantEventKind,
    Quality,
    TagValue,
)
from chaufferie.hmi import synoptic
from chaufferie.hmi.theme import BAD_QUALITY, PRIORITIES
from chaufferie.hmi.viewmodel import PlantView
from tests.hmi.conftest import PLANT_VALUES, publish_values

NS = "{http://www.w3.org/2000/svg}"


def view_with_values(config: PlantConfig, bus: Bus, clock: VirtualClock) -> PlantView:
    view = PlantView(config)
    sub = bus.subscribe()
    publish_values(bus, clock, PLANT_VALUES)
    for m in sub.drain():
        view.apply(m)
    return view


def texts(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG
    return {t.get("data-testid", ""): t for t in root.iter(f"{NS}text") if t.get("data-testid")}


def test_svg_is_well_formed_and_labelled(config: PlantConfig, bus: Bus, clock: VirtualClock) -> None:
    svg = synoptic.render(view_with_values(config, bus, clock), clock.now(), "fr")
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Synoptique de la chaufferie"


def test_values_carry_their_unit_in_french_decimal(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    t = texts(synoptic.render(view_with_values(config, bus, clock), clock.now(), "fr"))
    assert t["v-buffer.temp_top"].text == "haut 76,1 °C"
    assert t["v-network.pressure"].text == "pression 2,05 bar"
    assert t["v-meter.energy"].text == "123,46 MWh"
    assert t["wood-state"].text == "marche"


def test_bad_quality_value_is_grey_with_question_mark_and_age(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    sub = bus.subscribe()
    later = clock.now() + timedelta(minutes=5)
    publish_values(bus, clock, {"buffer.temp_top": 76.1}, Quality.BAD)
    for m in sub.drain():
        view.apply(m)
    t = texts(synoptic.render(view, later, "fr"))
    element = t["v-buffer.temp_top"]
    assert element.text == "haut 76,1 °C ? (5 min)"
    assert element.get("fill") == BAD_QUALITY
    assert element.get("font-style") == "italic"


def test_oil_boiler_is_labelled_with_its_role_and_reason(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    view.apply(
        PlantEvent(PlantEventKind.OIL_STARTED, clock.now(), reason="wood_fault", oil_role=OilRole.REPLACEMENT)
    )
    svg = synoptic.render(view, clock.now(), "fr")
    assert texts(svg)["oil-role"].text == "RELÈVE"
    assert texts(svg)["oil-reason"].text == "chaudière bois en défaut · depuis 03:00"
    view.apply(PlantEvent(PlantEventKind.OIL_STOPPED, clock.now()))
    view.apply(
        PlantEvent(
            PlantEventKind.OIL_STARTED, clock.now(), reason="wood_insufficient", oil_role=OilRole.TOP_UP
        )
    )
    assert texts(synoptic.render(view, clock.now(), "en"))["oil-role"].text == "TOP-UP"


def test_equipment_with_an_alarm_carries_the_priority_badge(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    view.apply(
        AlarmTransition("PMP-BAS", "o1", 2, AlarmState.NORMAL, AlarmState.UNACKED, "raise", clock.now(), True)
    )
    svg = synoptic.render(view, clock.now(), "fr")
    assert f'fill="{PRIORITIES[2].fill}"' in svg
    badges = {k: v.text for k, v in texts(svg).items() if k.startswith("badge-")}
    assert badges == {"badge-pumps": "P2"}
    assert svg.count('class="unacked-svg"') == 1  # blinks until acknowledged
    view.apply(
        AlarmTransition("PMP-BAS", "o1", 2, AlarmState.UNACKED, AlarmState.ACKED, "ack", clock.now(), True)
    )
    assert 'class="unacked-svg"' not in synoptic.render(view, clock.now(), "fr")


def test_setpoint_marker_turns_orange_outside_the_band(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    inside = synoptic.render(view, clock.now(), "fr")
    publish_sub = bus.subscribe()
    publish_values(bus, clock, {"buffer.temp_top": 72.0})
    for m in publish_sub.drain():
        view.apply(m)
    outside = synoptic.render(view, clock.now(), "fr")
    assert inside.count(PRIORITIES[2].fill) == 0
    assert outside.count(PRIORITIES[2].fill) == 1
    assert texts(outside)["setpoint"].text == "consigne 76,0 °C"


def test_silo_shows_tonnes_days_left_and_order_date(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    unavailable = texts(synoptic.render(view, clock.now(), "fr"))
    assert unavailable["silo-days"].text == "prévision indisponible"  # no outdoor temperature yet
    assert "silo-order" not in unavailable
    now = clock.now()
    view.apply(TagValue("outdoor.temp", 6.0, Quality.GOOD, now, now))
    t = texts(synoptic.render(view, clock.now(), "fr"))
    assert t["silo-tonnes"].text == "2,30 t"
    assert t["silo-days"].text is not None
    assert t["silo-days"].text.endswith("j restants")
    assert t["silo-order"].text is not None
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", t["silo-order"].text)


def test_value_outside_its_normal_range_is_bold_with_an_arrow(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    view = view_with_values(config, bus, clock)
    sub = bus.subscribe()
    publish_values(bus, clock, {"network.pressure": 3.8, "buffer.temp_top": 55.0})
    for m in sub.drain():
        view.apply(m)
    t = texts(synoptic.render(view, clock.now(), "fr"))
    assert t["v-network.pressure"].text == "pression 3,80 bar ▲"
    assert t["v-network.pressure"].get("font-weight") == "700"
    assert t["v-buffer.temp_top"].text == "haut 55,0 °C ▼"
    assert t["v-network.flow"].text == "débit 3,60 m³/h"
