"""Heating curve writes, duty/standby pumps and transfer-screw tests and jams."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaufferie.config.plant import HeatingCurvePoint
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import CommandStatus, PlantEventKind, PlantMode
from chaufferie.supervisor.inputs import Signal
from chaufferie.supervisor.wood import curve_setpoint
from tests.supervisor.rig import SP, Rig, with_cascade

CURVE = (HeatingCurvePoint(outdoor_c=-7, setpoint_c=85), HeatingCurvePoint(outdoor_c=15, setpoint_c=65))


@pytest.mark.parametrize(
    ("outdoor", "low", "high", "expected"),
    [
        (-7, 60, 90, 85),
        (-20, 60, 90, 85),
        (15, 60, 90, 65),
        (30, 60, 90, 65),
        (4, 60, 90, 75),
        (-7, 60, 80, 80),
        (15, 70, 90, 70),
    ],
)
def test_heating_curve_interpolates_and_clamps(
    outdoor: float, low: float, high: float, expected: float
) -> None:
    assert curve_setpoint(CURVE, outdoor, low, high) == pytest.approx(expected)


def test_setpoint_written_only_when_it_moves_more_than_the_step(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1)
    point = config.io.wood_setpoint
    assert [c.value for c in rig.commands(point)] == [SP]
    rig.set(Signal.OUTDOOR, 4.55).run(10)  # 75.0 -> 74.5: exactly the step, not more
    assert len(rig.commands(point)) == 1
    rig.set(Signal.OUTDOOR, 4.6).run(10)  # -> 74.45 rounded 74.5... still 0.5
    assert len(rig.commands(point)) == 1
    rig.set(Signal.OUTDOOR, 4.7).run(10)  # -> 74.4: moved 0.6
    assert [c.value for c in rig.commands(point)] == [SP, 74.4]
    [_, change] = rig.events(PlantEventKind.SETPOINT_CHANGED)
    assert change.values == {"outdoor_c": 4.7, "setpoint_c": 74.4, "previous_c": SP}


def test_bad_outdoor_keeps_the_setpoint(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).bad(Signal.OUTDOOR).run(60)
    assert len(rig.commands(config.io.wood_setpoint)) == 1
    assert rig.core.setpoint.value == SP


def test_setpoint_clamped_to_configured_bounds(config: PlantConfig) -> None:
    rig = Rig(with_cascade(config, setpoint_max_c=80.0)).healthy().set(Signal.OUTDOOR, -15).run(1)
    assert [c.value for c in rig.commands(config.io.wood_setpoint)] == [80.0]


# ---- pumps ----------------------------------------------------------------------------------
def test_duty_pump_fault_switches_to_standby_after_confirmation(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.PUMP1_FAULT, True).run(29)
    assert rig.commands(config.io.pump_duty) == []
    rig.run(1)
    assert [c.value for c in rig.commands(config.io.pump_duty)] == [2]
    [switch] = rig.events(PlantEventKind.PUMP_SWITCHED)
    assert switch.reason == "pump_fault"
    assert (switch.values["from"], switch.values["to"]) == (1, 2)
    rig.set(Signal.PUMP_DUTY, 2).run(600)
    assert len(rig.events(PlantEventKind.PUMP_SWITCHED)) == 1


def test_no_flow_while_commanded_switches_pump(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.NETWORK_FLOW, 0.4).run(30)
    [switch] = rig.events(PlantEventKind.PUMP_SWITCHED)
    assert switch.reason == "pump_no_flow"


def test_flow_exactly_at_threshold_is_flow(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.NETWORK_FLOW, 0.5).run(600)
    assert rig.events(PlantEventKind.PUMP_SWITCHED) == []


def test_both_pumps_failed_is_one_event_and_recovery_switches_back(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear()
    rig.set(Signal.PUMP1_FAULT, True).run(30).set(Signal.PUMP_DUTY, 2)
    rig.set(Signal.PUMP2_FAULT, True).run(600)
    assert len(rig.events(PlantEventKind.PUMPS_BOTH_FAILED)) == 1
    assert len(rig.events(PlantEventKind.PUMP_SWITCHED)) == 1
    rig.set(Signal.PUMP1_FAULT, False).run(1)
    switches = rig.events(PlantEventKind.PUMP_SWITCHED)
    assert [(e.values["from"], e.values["to"]) for e in switches] == [(1, 2), (2, 1)]


def test_standby_pump_in_fault_is_not_switched_to(config: PlantConfig) -> None:
    rig = Rig(config).healthy().set(Signal.PUMP2_FAULT, True).run(1).clear()
    rig.set(Signal.PUMP1_FAULT, True).run(60)
    assert rig.commands(config.io.pump_duty) == []
    assert len(rig.events(PlantEventKind.PUMPS_BOTH_FAILED)) == 1


def test_weekly_duty_swap_on_monday_six_local_time(config: PlantConfig) -> None:
    start = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # Sunday (DST began this morning in Paris)
    rig = Rig(config, start=start, step_s=60).healthy().run(60).clear()
    swap_s = rig.core.base.to_s(datetime(2026, 3, 30, 4, 0, tzinfo=UTC))  # Monday 06:00 CEST
    rig.run_until(swap_s - 60)
    assert rig.events(PlantEventKind.PUMP_DUTY_SWAPPED) == []
    rig.run(60)
    [swap] = rig.events(PlantEventKind.PUMP_DUTY_SWAPPED)
    assert swap.time == datetime(2026, 3, 30, 4, 0, tzinfo=UTC)
    assert swap.reason == "weekly_swap"
    assert [c.value for c in rig.commands(config.io.pump_duty)] == [2]
    rig.run(7 * 86400 - 60)
    assert len(rig.events(PlantEventKind.PUMP_DUTY_SWAPPED)) == 1
    rig.run(60)
    assert [c.value for c in rig.commands(config.io.pump_duty)] == [2, 1]


# ---- screws ---------------------------------------------------------------------------------
def _test_time_rig(config: PlantConfig) -> tuple[Rig, float]:
    start = datetime(2026, 1, 13, 1, 0, tzinfo=UTC)  # 02:00 in Paris
    rig = Rig(config, start=start).healthy().run(1).clear()
    return rig, rig.core.base.to_s(datetime(2026, 1, 13, 2, 0, tzinfo=UTC))


def test_daily_reverse_test_passes_when_the_plc_runs_it(config: PlantConfig) -> None:
    rig, at = _test_time_rig(config)
    rig.run_until(at - 1)
    assert rig.commands(config.io.screw_reverse_test) == []
    rig.run(1)
    assert [c.value for c in rig.commands(config.io.screw_reverse_test)] == [True]
    assert [e.reason for e in rig.events(PlantEventKind.SCREW_TEST_STARTED)] == ["scheduled_test"]
    rig.set(Signal.SCREW_TEST_RUNNING, True).run(20).set(Signal.SCREW_TEST_RUNNING, False).run(1)
    [passed] = rig.events(PlantEventKind.SCREW_TEST_PASSED)
    assert passed.reason == "test_completed"


def test_reverse_test_failure_reported_by_the_plc(config: PlantConfig) -> None:
    rig, at = _test_time_rig(config)
    rig.run_until(at).set(Signal.SCREW_TEST_RUNNING, True).run(10)
    rig.set(Signal.SCREW_TEST_FAILED, True).set(Signal.SCREW_TEST_RUNNING, False).run(1)
    [failed] = rig.events(PlantEventKind.SCREW_TEST_FAILED)
    assert failed.reason == "test_reported_failed"
    assert rig.events(PlantEventKind.SCREW_TEST_PASSED) == []


def test_reverse_test_without_answer_times_out(config: PlantConfig) -> None:
    rig, at = _test_time_rig(config)
    rig.run_until(at + config.cascade.screw_test_timeout_s - 1)
    assert rig.events(PlantEventKind.SCREW_TEST_FAILED) == []
    rig.run(1)
    [failed] = rig.events(PlantEventKind.SCREW_TEST_FAILED)
    assert failed.reason == "test_timeout"


def test_only_an_operators_confirmed_write_starts_an_on_demand_test(config: PlantConfig) -> None:
    """Who may write is the HMI's and the bridge's to decide (and audit); the supervisor follows."""
    rig = Rig(config).healthy().run(1).clear()
    target = config.io.screw_reverse_test
    rig.written(target, True, CommandStatus.REFUSED).written(target, True, CommandStatus.FAILED).run(1)
    rig.written(target, True, CommandStatus.CONFIRMED, origin="supervisor").run(1)
    assert rig.events(PlantEventKind.SCREW_TEST_STARTED) == []
    rig.written(target, True, CommandStatus.CONFIRMED).run(1)
    [start] = rig.events(PlantEventKind.SCREW_TEST_STARTED)
    assert start.reason == "on_demand_test"
    assert start.context.user == "julien"


def test_screw_jam_cuts_off_and_leads_to_replacement_when_the_boiler_starves(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.SCREW_JAMMED, True).run(600)
    assert len(rig.events(PlantEventKind.SCREW_JAMMED)) == 1
    assert [c.value for c in rig.commands(config.io.screw_cutoff)] == [True]
    assert rig.mode is PlantMode.WOOD, "buffer still warm"
    rig.set(Signal.BUFFER_OUTLET, SP - 4).run(120)
    assert rig.modes() == [(PlantMode.OIL_REPLACEMENT, "screw_jam")]
    rig.set(Signal.SCREW_JAMMED, False).run(1)
    assert [c.value for c in rig.commands(config.io.screw_cutoff)] == [True, False]


def test_silo_empty_leads_to_replacement_when_the_buffer_cools(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.SILO_EMPTY, True).set(Signal.BUFFER_OUTLET, SP - 4)
    rig.run(120)
    assert rig.modes() == [(PlantMode.OIL_REPLACEMENT, "silo_empty")]


def test_operator_written_test_is_followed_without_a_second_pulse(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).clear().set(Signal.SCREW_TEST_RUNNING, True)
    target = config.io.screw_reverse_test
    rig.written(target, True, CommandStatus.CONFIRMED).run(30)
    assert rig.commands(target) == []
    assert [e.reason for e in rig.events(PlantEventKind.SCREW_TEST_STARTED)] == ["on_demand_test"]
    rig.set(Signal.SCREW_TEST_RUNNING, False).run(1)
    assert len(rig.events(PlantEventKind.SCREW_TEST_PASSED)) == 1
