"""ISA-18.2 alarm states in virtual time: delays, deadband, latching, shelving, suppression."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaufferie.alarms.errors import ActionRefused
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    AlarmState,
    LinkEvent,
    LinkState,
    OilRole,
    OperatorAction,
    PlantEventKind,
    PlantMode,
    Quality,
)
from tests.alarms.helpers import TECH, Rig

S = AlarmState


@pytest.fixture
def rig(config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path) -> Rig:
    return Rig(config, clock, bus, tmp_path / "alarms.db")


async def test_on_delay_raises_only_after_the_delay(rig: Rig) -> None:
    rig.tag("silo.low_level", True)
    await rig.advance(59)
    assert rig.states("SIL-BAS") == []
    await rig.advance(1)
    assert rig.states("SIL-BAS") == [S.UNACKED]


async def test_condition_gone_before_on_delay_raises_nothing(rig: Rig) -> None:
    rig.tag("silo.low_level", True)
    await rig.advance(30)
    rig.tag("silo.low_level", False)
    await rig.advance(120)
    assert rig.states("SIL-BAS") == []


async def test_ack_then_return_to_normal_closes_the_occurrence(rig: Rig) -> None:
    rig.tag("wood.state", 7)
    [occ] = rig.open("CHB-DEF")
    view = await rig.ops.acknowledge(occ, TECH, "vu")
    assert view.state is S.ACKED
    assert view.acked_by == "tech-martin"
    rig.tag("wood.state", 2)
    assert rig.states("CHB-DEF") == [S.UNACKED, S.ACKED, S.NORMAL]
    assert rig.open("CHB-DEF") == []


async def test_return_to_normal_unacked_then_reactivation_reuses_the_occurrence(rig: Rig) -> None:
    rig.tag("wood.state", 7)
    rig.tag("wood.state", 2)
    rig.tag("wood.state", 6)
    [occ] = rig.open("CHB-DEF")
    assert rig.states("CHB-DEF") == [S.UNACKED, S.RTN_UNACKED, S.UNACKED]
    assert {t.occurrence_id for t in rig.transitions("CHB-DEF")} == {occ}
    rig.tag("wood.state", 2)
    await rig.ops.acknowledge(occ, TECH)
    assert rig.states("CHB-DEF")[-2:] == [S.RTN_UNACKED, S.NORMAL]


async def test_deadband_keeps_flue_alarm_until_value_is_back_past_it(rig: Rig) -> None:
    rig.tag("wood.flue_temp", 225.0)
    await rig.advance(60)
    assert rig.states("FUM-HT") == [S.UNACKED]
    rig.tag("wood.flue_temp", 215.0)  # below the limit but inside the 10 K deadband
    await rig.advance(5)
    assert rig.states("FUM-HT") == [S.UNACKED]
    rig.tag("wood.flue_temp", 209.0)
    assert rig.states("FUM-HT") == [S.UNACKED, S.RTN_UNACKED]


async def test_a_value_at_the_limit_published_again_keeps_the_alarm_active(rig: Rig) -> None:
    """CHB-DEF is ``wood.state >= 6``: the bridge re-publishes a steady 6 every heartbeat."""
    for _ in range(3):
        rig.tag("wood.state", 6)
        await rig.advance(60)
    assert rig.states("CHB-DEF") == [S.UNACKED]


async def test_bad_quality_neither_raises_nor_clears_a_value_alarm(rig: Rig) -> None:
    rig.tag("wood.state", 7)
    rig.tag("wood.state", 0, Quality.BAD)
    assert rig.states("CHB-DEF") == [S.UNACKED]
    rig.tag("meter.energy", 0, Quality.BAD)
    await rig.advance(60)
    assert rig.states("COM-CPT") == [S.UNACKED]


async def test_latched_stb_resets_only_after_return_to_normal_and_ack(rig: Rig) -> None:
    rig.tag("wood.stb_tripped", True)
    [occ] = rig.open("CHB-STB")
    with pytest.raises(ActionRefused) as still_active:
        await rig.ops.reset(occ, TECH)
    assert still_active.value.reason == "still_active"
    rig.tag("wood.stb_tripped", False)
    assert rig.states("CHB-STB") == [S.UNACKED, S.LATCHED]
    with pytest.raises(ActionRefused) as not_acked:
        await rig.ops.reset(occ, TECH)
    assert not_acked.value.reason == "not_acked"
    view = await rig.ops.acknowledge(occ, TECH)
    assert view.state is S.LATCHED
    assert view.acked
    await rig.ops.reset(occ, TECH)
    assert rig.states("CHB-STB") == [S.UNACKED, S.LATCHED, S.LATCHED, S.NORMAL]


async def test_latched_alarm_acked_while_active_latches_on_return(rig: Rig) -> None:
    rig.tag("wood.stb_tripped", True)
    [occ] = rig.open("CHB-STB")
    await rig.ops.acknowledge(occ, TECH)
    rig.tag("wood.stb_tripped", False)
    assert rig.states("CHB-STB") == [S.UNACKED, S.ACKED, S.LATCHED]
    await rig.ops.reset(occ, TECH)
    assert rig.states("CHB-STB")[-1] is S.NORMAL


async def test_shelving_expires_back_to_unacked_while_active(rig: Rig) -> None:
    rig.tag("wood.state", 7)
    [occ] = rig.open("CHB-DEF")
    view = await rig.ops.shelve(occ, TECH, minutes=30, reason="maintenance chaudière")
    assert view.state is S.SHELVED
    assert view.shelved_by == "tech-martin"
    await rig.advance(29 * 60)
    assert rig.states("CHB-DEF") == [S.UNACKED, S.SHELVED]
    await rig.advance(60)
    assert rig.states("CHB-DEF") == [S.UNACKED, S.SHELVED, S.UNACKED]


async def test_shelved_alarm_that_cleared_ends_normal_at_expiry(rig: Rig) -> None:
    rig.tag("wood.state", 7)
    [occ] = rig.open("CHB-DEF")
    await rig.ops.shelve(occ, TECH, minutes=10, reason="essai")
    rig.tag("wood.state", 2)
    await rig.advance(600)
    assert rig.states("CHB-DEF") == [S.UNACKED, S.SHELVED, S.NORMAL]
    assert rig.open("CHB-DEF") == []


async def test_unshelve_by_hand_and_refusals_are_audited(rig: Rig) -> None:
    audit = rig.bus.subscribe(OperatorAction)
    rig.tag("wood.state", 7)
    [occ] = rig.open("CHB-DEF")
    with pytest.raises(ActionRefused):
        await rig.ops.unshelve(occ, TECH)
    await rig.ops.shelve(occ, TECH, minutes=10, reason="essai")
    await rig.ops.unshelve(occ, TECH)
    actions = [(a.kind, a.result) for a in audit.drain() if isinstance(a, OperatorAction)]
    assert actions == [
        (ActionKind.UNSHELVE, ActionResult.REFUSED),
        (ActionKind.SHELVE, ActionResult.OK),
        (ActionKind.UNSHELVE, ActionResult.OK),
    ]
    assert rig.states("CHB-DEF")[-1] is S.UNACKED


async def test_pump_alarm_is_suppressed_while_plant_is_stopped(rig: Rig) -> None:
    rig.mode(PlantMode.STOPPED)
    rig.event(PlantEventKind.PUMPS_BOTH_FAILED)
    assert rig.states("PMP-2DF") == [S.SUPPRESSED]
    rig.mode(PlantMode.WOOD)
    assert rig.states("PMP-2DF") == [S.SUPPRESSED, S.UNACKED]
    rig.mode(PlantMode.STOPPED)
    assert rig.states("PMP-2DF")[-1] is S.SUPPRESSED
    rig.event(PlantEventKind.PUMP_SWITCHED)  # clear_on while suppressed
    rig.mode(PlantMode.WOOD)
    assert rig.states("PMP-2DF")[-1] is S.NORMAL


async def test_out_of_service_alarm_is_set_aside_and_returns(rig: Rig) -> None:
    rig.tag("oil.fault", True)
    await rig.ops.set_in_service("FIO-DEF", TECH, in_service=False, reason="brûleur déposé")
    rig.tag("oil.fault", False)
    rig.tag("oil.fault", True)
    assert rig.states("FIO-DEF") == [S.UNACKED, S.OUT_OF_SERVICE]
    await rig.ops.set_in_service("FIO-DEF", TECH, in_service=True)
    assert rig.states("FIO-DEF") == [S.UNACKED, S.OUT_OF_SERVICE, S.UNACKED]


async def test_alarm_raised_three_times_in_a_minute_is_flagged_chattering(rig: Rig) -> None:
    for _ in range(3):
        rig.tag("oil.fault", True)
        await rig.advance(5)
        rig.tag("oil.fault", False)
        await rig.advance(5)
    raised = [t for t in rig.transitions("FIO-DEF") if t.state is S.UNACKED]
    assert [t.details["chattering"] for t in raised] == [False, False, True]


async def test_ten_alarms_in_ten_minutes_make_a_flood_with_one_id(
    config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path
) -> None:
    base = config.alarm("FIO-DEF")
    extra = [base.model_copy(update={"code": f"TST-{i:03d}"}) for i in range(12)]
    cfg = config.model_copy(update={"alarms": (*config.alarms, *extra)})
    rig = Rig(cfg, clock, bus, tmp_path / "a.db")
    for a in extra:
        rig.engine._activate(rig.engine.trackers[a.code])
        await rig.advance(30)
    floods = [t.details["flood_id"] for t in rig.transitions() if t.code.startswith("TST")]
    assert floods[:9] == [None] * 9
    assert floods[9] is not None
    assert len(set(floods[9:])) == 1
    await rig.advance(600)
    assert not rig.engine.flood.active


async def test_link_down_alarm_after_its_delay(rig: Rig) -> None:
    now = rig.clock.now()
    rig.engine.on_link(LinkEvent("boiler", LinkState.DOWN, LinkState.UP, "timeout", now))
    await rig.advance(30)
    rig.engine.on_link(LinkEvent("boiler", LinkState.UP, LinkState.DOWN, "back", rig.clock.now()))
    assert rig.states("COM-API") == [S.UNACKED, S.RTN_UNACKED]
    assert rig.states("COM-HYD") == []


async def test_each_oil_start_is_one_fio_rel_alarm_with_role_reason_and_time(rig: Rig) -> None:
    rig.oil(OilRole.REPLACEMENT, "ignition_failure", **{"buffer.temp_top": 71.2})
    [tr] = rig.transitions("FIO-REL")
    # 02:00 UTC in January is 03:00 in Europe/Paris
    assert tr.message == (
        "Chaudière fioul en RELÈVE : défaut chaudière bois (échec d'allumage) depuis 03:00 – ballon 71 °C"
    )
    assert tr.details["message_en"].startswith("Oil boiler in REPLACEMENT: wood boiler failed")
    assert tr.oil_role is OilRole.REPLACEMENT
    assert rig.states("FIO-APP") == []
    rig.event(PlantEventKind.OIL_STOPPED, oil_role=OilRole.REPLACEMENT)
    rig.oil(OilRole.REPLACEMENT, "comm_loss")
    assert rig.states("FIO-REL") == [S.UNACKED, S.RTN_UNACKED, S.UNACKED]
    assert len({t.occurrence_id for t in rig.transitions("FIO-REL")}) == 2


async def test_a_restarted_supervisor_returns_held_oil_alarms_to_normal(rig: Rig) -> None:
    rig.oil(OilRole.REPLACEMENT, "wood_fault")
    rig.event(PlantEventKind.SUPERVISOR_STARTED)
    assert rig.states("FIO-REL") == [S.UNACKED, S.RTN_UNACKED]


async def test_top_up_start_raises_fio_app_saying_appoint(rig: Rig) -> None:
    rig.oil(OilRole.TOP_UP, "wood_insufficient", **{"buffer.temp_top": 78.0})
    [tr] = rig.transitions("FIO-APP")
    assert tr.message == (
        "Chaudière fioul en APPOINT : chaudière bois insuffisante depuis 03:00 – ballon 78 °C"
    )


async def test_open_occurrences_and_mode_survive_a_restart(
    config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path
) -> None:
    first = Rig(config, clock, bus, tmp_path / "a.db")
    first.mode(PlantMode.WOOD)
    first.tag("wood.stb_tripped", True)
    first.tag("wood.stb_tripped", False)
    [occ] = first.open("CHB-STB")
    first.store.close()
    second = Rig(config, clock, bus, tmp_path / "a.db")
    assert second.engine.mode is PlantMode.WOOD
    assert second.ops.detail(occ).state is S.LATCHED
    await second.ops.acknowledge(occ, TECH)
    await second.ops.reset(occ, TECH)
    assert second.open("CHB-STB") == []


async def test_make_up_water_over_50_litres_within_a_day_raises_the_leak_alarm(rig: Rig) -> None:
    """EAU-APP (increase of ``water.makeup``): 30 L then 30 L more within 24 h raises it; once
    the day's window holds less than the limit it clears; a new meter starts again."""

    async def reading(after_h: float, litres: float) -> list[S]:
        await rig.clock.advance(after_h * 3600)
        rig.tag("water.makeup", litres)
        rig.engine.tick()
        return rig.states("EAU-APP")

    assert await reading(0, 1_000.0) == []
    assert await reading(6, 1_030.0) == []  # 30 L: a top-up after a purge
    assert await reading(12, 1_060.0) == [S.UNACKED]  # 60 L within 18 h: a leak
    assert await reading(11, 1_060.0) == [S.UNACKED]  # the last 24 h (from 5 h) still hold 60 L
    assert await reading(2, 1_060.0) == [S.UNACKED, S.RTN_UNACKED]  # from 7 h: 30 L
    assert await reading(1, 4.0) == [S.UNACKED, S.RTN_UNACKED]  # a new meter, index 4: no rise
    assert await reading(1, 40.0) == [S.UNACKED, S.RTN_UNACKED]  # 36 L on the new meter
    rig.tag("water.makeup", 90.0, Quality.BAD)  # a reading that is not good changes nothing
    assert rig.states("EAU-APP") == [S.UNACKED, S.RTN_UNACKED]
    assert await reading(1, 100.0) == [S.UNACKED, S.RTN_UNACKED, S.UNACKED]  # 96 L since the new meter
