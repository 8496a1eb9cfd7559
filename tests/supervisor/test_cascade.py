"""Cascade rules of docs/domain.md §2 in virtual time: replacement, recovery, top-up, boundaries."""

from __future__ import annotations

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import OilRole, PlantEventKind, PlantMode
from chaufferie.supervisor.inputs import Signal
from tests.supervisor.rig import (
    BURN_OUT,
    DE_ASHING,
    FAULT,
    IGNITION,
    LOCKOUT,
    RUNNING,
    SP,
    STANDBY,
    Rig,
    with_cascade,
)

M = PlantMode


def started(cfg: PlantConfig, **healthy: float) -> Rig:
    rig = Rig(cfg).healthy(**healthy).run(1)
    assert rig.mode is M.WOOD
    return rig.clear()


def test_supervisor_takes_control_in_wood_once_outlet_known(config: PlantConfig) -> None:
    rig = Rig(config).run(5)
    assert rig.mode is M.STOPPED
    assert rig.decisions == []
    rig.healthy().run(1)
    assert rig.modes() == [(M.WOOD, "supervisor_start")]
    assert [c.value for c in rig.commands(config.io.wood_enable)] == [True]
    assert [c.value for c in rig.commands(config.io.oil_enable)] == [False]
    assert [c.value for c in rig.commands(config.io.wood_setpoint)] == [SP]


@pytest.mark.parametrize(
    ("state", "fault_code", "reason"),
    [
        (FAULT, 0, "wood_fault"),
        (LOCKOUT, 0, "wood_lockout"),
        (FAULT, 1, "ignition_failure"),
        (FAULT, 4, "screw_jam"),
        (FAULT, 5, "silo_empty"),
        (LOCKOUT, 2, "wood_lockout"),
    ],
)
def test_wood_fault_with_cold_outlet_starts_oil_replacement_after_confirmation(
    config: PlantConfig, state: int, fault_code: int, reason: str
) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, state).set(Signal.WOOD_FAULT_CODE, fault_code)
    rig.set(Signal.BUFFER_OUTLET, SP - 3.1)
    rig.run(119)
    assert rig.mode is M.WOOD, "just before the 120 s confirmation"
    rig.run(1)
    assert rig.mode is M.OIL_REPLACEMENT
    assert rig.modes() == [(M.OIL_REPLACEMENT, reason)]
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason) == (OilRole.REPLACEMENT, reason)
    assert start.values[config.io.buffer_outlet] == SP - 3.1
    assert start.values["setpoint_c"] == SP
    assert [c.value for c in rig.commands(config.io.oil_enable)] == [True]


def test_outlet_exactly_at_replacement_threshold_does_not_start_oil(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 3.0).run(600)
    assert rig.mode is M.WOOD
    assert rig.oil_starts() == []


def test_wood_fault_with_warm_buffer_starts_no_oil(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 1).run(3600)
    assert rig.oil_starts() == []


def test_confirmation_restarts_when_the_outlet_recovers_in_between(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 4).run(100)
    rig.set(Signal.BUFFER_OUTLET, SP - 2).run(1)
    rig.set(Signal.BUFFER_OUTLET, SP - 4).run(119)
    assert rig.mode is M.WOOD
    rig.run(1)
    assert rig.mode is M.OIL_REPLACEMENT


@pytest.mark.parametrize("phase", [IGNITION, BURN_OUT, DE_ASHING, STANDBY])
def test_normal_phases_are_not_faults(config: PlantConfig, phase: int) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, phase).set(Signal.BUFFER_OUTLET, SP - 10).run(4 * 3600)
    assert rig.oil_starts() == []
    assert rig.mode is M.WOOD


def test_no_running_within_startup_grace_is_a_start_timeout(config: PlantConfig) -> None:
    rig = Rig(config).healthy(outlet=SP - 5).set(Signal.WOOD_STATE, IGNITION).run(1)
    assert rig.mode is M.WOOD  # start request at t = 0
    rig.run_until(1800 + 120)
    assert rig.mode is M.WOOD, "grace is 'up to 30 min', then 120 s confirmation"
    rig.run(1)
    assert rig.modes()[-1] == (M.OIL_REPLACEMENT, "start_timeout")


def test_reaching_running_within_grace_then_standby_is_fine(config: PlantConfig) -> None:
    rig = Rig(config).healthy(outlet=SP - 5).set(Signal.WOOD_STATE, IGNITION).run(600)
    rig.set(Signal.WOOD_STATE, RUNNING).run(10).set(Signal.WOOD_STATE, STANDBY).run(7200)
    assert rig.oil_starts() == []


@pytest.mark.parametrize(
    ("lost_s", "outlet", "replaced"),
    [
        (120, SP - 10, False),  # lost for exactly 120 s: not "more than"
        (100, SP - 10, False),
        (3600, SP - 1, False),  # long loss but the buffer holds: nothing
        (241, SP - 3.5, True),  # 121 s to be lost + 120 s confirmation
    ],
)
def test_comm_loss_starts_replacement_only_when_long_and_buffer_cools(
    config: PlantConfig, lost_s: float, outlet: float, replaced: bool
) -> None:
    rig = started(config)
    rig.set(Signal.BUFFER_OUTLET, outlet).link(up=False).bad(Signal.WOOD_STATE)
    rig.run(lost_s)
    assert (rig.mode is M.OIL_REPLACEMENT) is replaced
    if replaced:
        assert rig.modes() == [(M.OIL_REPLACEMENT, "comm_loss")]
    rig.link(up=True).set(Signal.WOOD_STATE, RUNNING).run(1)


def test_comm_loss_just_before_the_confirmation_starts_nothing(config: PlantConfig) -> None:
    rig = started(config, outlet=SP - 4)
    rig.link(up=False).run(240)
    assert rig.mode is M.WOOD


def test_replacement_ends_after_wood_ran_fifteen_minutes_near_setpoint(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120)
    assert rig.mode is M.OIL_REPLACEMENT
    rig.set(Signal.WOOD_STATE, RUNNING).set(Signal.BUFFER_OUTLET, SP - 1.0).clear()
    rig.run(899)
    assert rig.mode is M.OIL_REPLACEMENT
    rig.run(1)
    assert rig.modes() == [(M.WOOD, "wood_recovered")]
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert (stop.oil_role, stop.reason) == (OilRole.REPLACEMENT, "wood_recovered")


def test_replacement_needs_the_wood_boiler_to_run_again(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120)
    rig.set(Signal.WOOD_STATE, STANDBY).set(Signal.BUFFER_OUTLET, SP).run(3600)
    assert rig.mode is M.OIL_REPLACEMENT
    rig.set(Signal.WOOD_STATE, RUNNING).run(900)
    assert rig.mode is M.WOOD


def test_outlet_dips_while_oil_holds_the_buffer_do_not_restart_the_recovery(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120)
    rig.set(Signal.WOOD_STATE, RUNNING).set(Signal.BUFFER_OUTLET, SP - 1.5).run(300)
    rig.set(Signal.WOOD_STATE, STANDBY).set(Signal.BUFFER_OUTLET, SP + 2).run(599)
    assert rig.mode is M.OIL_REPLACEMENT
    rig.run(1)
    assert rig.mode is M.WOOD


def test_replacement_holds_while_outlet_below_end_margin(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120)
    rig.set(Signal.WOOD_STATE, RUNNING).set(Signal.BUFFER_OUTLET, SP - 1.1).run(3600)
    assert rig.mode is M.OIL_REPLACEMENT


def _insufficient(rig: Rig, modulation: float = 95.0, outlet: float = SP - 2.6) -> Rig:
    return rig.set(Signal.WOOD_MODULATION, modulation).set(Signal.BUFFER_OUTLET, outlet)


def test_topup_starts_after_full_modulation_and_low_outlet_delays(config: PlantConfig) -> None:
    rig = started(config)
    _insufficient(rig).run(1199)
    assert rig.mode is M.WOOD
    rig.run(1)
    assert rig.modes() == [(M.WOOD_WITH_TOPUP, "wood_insufficient")]
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason) == (OilRole.TOP_UP, "wood_insufficient")


@pytest.mark.parametrize(
    ("modulation", "outlet", "topup"),
    [(94.9, SP - 5, False), (100, SP - 2.5, False), (100, SP - 2.51, True), (95.0, SP - 2.6, True)],
)
def test_topup_thresholds(config: PlantConfig, modulation: float, outlet: float, topup: bool) -> None:
    rig = _insufficient(started(config), modulation, outlet).run(1200)
    assert (rig.mode is M.WOOD_WITH_TOPUP) is topup


def test_topup_needs_the_outlet_low_for_ten_minutes(config: PlantConfig) -> None:
    rig = _insufficient(started(config), outlet=SP - 1).run(1200)
    _insufficient(rig).run(599)
    assert rig.mode is M.WOOD
    rig.run(1)
    assert rig.mode is M.WOOD_WITH_TOPUP


@pytest.mark.parametrize(("outdoor", "topup"), [(5.0, False), (4.9, True)])
def test_topup_outdoor_permit(config: PlantConfig, outdoor: float, topup: bool) -> None:
    rig = started(with_cascade(config, topup_outdoor_permit_c=5.0))
    _insufficient(rig, outlet=SP - 5).set(Signal.OUTDOOR, outdoor).run(1200)
    assert (rig.mode is M.WOOD_WITH_TOPUP) is topup


def test_topup_ends_when_outlet_back_near_setpoint_for_ten_minutes(config: PlantConfig) -> None:
    rig = _insufficient(started(config)).run(1200).clear()
    rig.set(Signal.BUFFER_OUTLET, SP - 0.5).run(599)
    assert rig.mode is M.WOOD_WITH_TOPUP
    rig.run(1)
    assert rig.modes() == [(M.WOOD, "topup_no_longer_needed")]
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert (stop.oil_role, stop.reason) == (OilRole.TOP_UP, "topup_no_longer_needed")


@pytest.mark.parametrize(("modulation", "ends"), [(80.0, False), (79.9, True)])
def test_topup_ends_when_wood_modulation_drops(config: PlantConfig, modulation: float, ends: bool) -> None:
    rig = _insufficient(started(config)).run(1200).clear()
    rig.set(Signal.WOOD_MODULATION, modulation).run(1)
    assert (rig.mode is M.WOOD) is ends
    if ends:
        assert rig.modes() == [(M.WOOD, "wood_modulation_low")]


def test_wood_fault_during_topup_turns_it_into_replacement_without_a_new_start(config: PlantConfig) -> None:
    rig = _insufficient(started(config)).run(1200).clear()
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 4).run(120)
    assert rig.modes() == [(M.OIL_REPLACEMENT, "wood_fault")]
    stopped = rig.events(PlantEventKind.OIL_STOPPED)
    started_ = rig.oil_starts()
    assert [(e.oil_role, e.values["handover"]) for e in stopped] == [(OilRole.TOP_UP, True)]
    assert [(e.oil_role, e.values["handover"]) for e in started_] == [(OilRole.REPLACEMENT, True)]
    assert rig.commands(config.io.oil_enable) == []


def test_bad_outlet_degrades_and_keeps_oil_running(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120).clear()
    rig.bad(Signal.BUFFER_OUTLET).run(3600)
    assert rig.modes() == [(M.DEGRADED, "input_bad")]
    assert [e.kind for e in rig.events(PlantEventKind.INPUT_BAD)] == [PlantEventKind.INPUT_BAD]
    assert rig.events(PlantEventKind.OIL_STOPPED) == []
    assert rig.core.oil.on
    rig.set(Signal.BUFFER_OUTLET, SP - 5).run(1)
    assert rig.modes()[-1] == (M.OIL_REPLACEMENT, "input_restored")
    assert len(rig.events(PlantEventKind.INPUT_RESTORED)) == 1


def test_bad_outlet_never_starts_oil(config: PlantConfig) -> None:
    rig = started(config)
    rig.set(Signal.WOOD_STATE, FAULT).bad(Signal.BUFFER_OUTLET).run(3600)
    rig.link(up=False).bad(Signal.WOOD_STATE).run(3600)
    assert rig.mode is M.DEGRADED
    assert rig.oil_starts() == []
    assert rig.commands(config.io.oil_enable) == []


def test_degraded_from_wood_returns_to_wood(config: PlantConfig) -> None:
    rig = started(config)
    rig.bad(Signal.BUFFER_OUTLET).run(5).set(Signal.BUFFER_OUTLET, SP).run(1)
    assert rig.modes() == [(M.DEGRADED, "input_bad"), (M.WOOD, "input_restored")]


def test_outlet_never_known_at_start_degrades_after_the_comm_loss_delay(config: PlantConfig) -> None:
    rig = Rig(config).run(119)
    assert rig.mode is M.STOPPED
    rig.run(1)
    assert rig.modes() == [(M.DEGRADED, "input_bad")]
    assert rig.commands(config.io.wood_enable)[-1].value is True


def test_degraded_during_topup_keeps_the_topup_and_returns_to_it(config: PlantConfig) -> None:
    rig = _insufficient(started(config)).run(1200).clear()
    rig.bad(Signal.BUFFER_OUTLET).run(1800)
    assert rig.modes() == [(M.DEGRADED, "input_bad")]
    assert rig.core.oil.role is OilRole.TOP_UP
    assert rig.events(PlantEventKind.OIL_STOPPED) == []
    rig.set(Signal.BUFFER_OUTLET, SP - 2.6).run(1)
    assert rig.modes()[-1] == (M.WOOD_WITH_TOPUP, "input_restored")


def test_a_trigger_fired_by_hand_obeys_the_guards_of_the_table(config: PlantConfig) -> None:
    from chaufferie.supervisor.cascade import Facts

    rig = started(config)
    facts = Facts()
    facts.outlet_good = True
    rig.core.modes.trigger("wood_failed", facts=facts, reason="wood_fault", values={})
    assert rig.mode is M.WOOD
    facts.replacement_due = True
    rig.core.modes.trigger("wood_failed", facts=facts, reason="wood_fault", values={})
    assert rig.mode is M.OIL_REPLACEMENT


def test_every_mode_has_a_way_out_and_every_row_a_guard() -> None:
    from chaufferie.supervisor.modes import OPERATOR_TRANSITIONS, TRANSITIONS

    sources = {m for row in TRANSITIONS for m in row.source} | {M.MANUAL, M.SUMMER}
    assert sources == set(PlantMode)
    assert all(row.guards for row in TRANSITIONS)
    operator = {t: source for t, source, _ in OPERATOR_TRANSITIONS}
    assert set(operator) == {"manual", "manual_ended", "manual_ended_summer", "season_stop", "season_start"}
    assert operator["season_start"] == (M.SUMMER,)  # summer lasts until the agent confirms the start
