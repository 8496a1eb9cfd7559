"""Physics of the plant model (no sockets), at the configured step (simulation.step_s = 10 s)."""

from __future__ import annotations

import operator
from collections.abc import Callable

import pytest

from chaufferie.config.alarming import (
    BadQualityCondition,
    DeviationCondition,
    LinkDownCondition,
    PointCondition,
)
from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.faults import FAULTS
from chaufferie.simulations.headless import fixed_load_check
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import SCENARIOS, get_scenario
from chaufferie.simulations.wood import FaultCode, WoodState, efficiency

HOUR = 3600.0
OPS: dict[str, Callable[[object, object], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _run(cfg: PlantConfig, scenario: str, hours: float) -> Plant:
    plant = Plant(cfg)
    plant.apply_scenario(scenario)
    plant.step(hours * HOUR)
    return plant


@pytest.mark.parametrize(
    ("scenario", "hours"),
    [
        ("nominal", 48),
        ("cold-snap", 120),
        ("wood-fault", 12),
        ("screw-jam", 8),
        ("silo-empty", 48),
        ("pump-failure", 26),
    ],
)
def test_energy_is_conserved_within_one_percent(config: PlantConfig, scenario: str, hours: float) -> None:
    c = _run(config, scenario, hours).counters
    assert c.balance_error() < 0.01
    assert c.heat_wood_kwh > 0
    mean_efficiency = c.heat_wood_kwh / c.fuel_wood_kwh
    assert (
        config.plant.wood_efficiency_min_load - 1e-9
        <= mean_efficiency
        <= config.plant.wood_efficiency_nominal
    )
    assert c.unmet_kwh == pytest.approx(c.demand_kwh - c.delivered_kwh, rel=1e-6)


def test_efficiency_curve_runs_from_min_load_to_nominal(config: PlantConfig) -> None:
    p = config.plant
    assert efficiency(p, p.wood_min_modulation) == pytest.approx(0.85)
    assert efficiency(p, 1.0) == pytest.approx(0.90)
    loads = [0.3 + 0.05 * i for i in range(15)]
    values = [efficiency(p, x) for x in loads]
    assert values == sorted(values)


def test_silo_autonomy_at_80_percent_load_matches_first_principles(config: PlantConfig) -> None:
    p = config.plant
    first_principles_h = (
        p.silo_useful_m3 * p.chips_bulk_density_kg_m3 * p.chips_lhv_kwh_per_t / 1000 * 0.90 / 80
    )
    result = fixed_load_check(config, 0.8)
    assert result["silo_autonomy_h"] == pytest.approx(first_principles_h, rel=0.05)
    assert result["silo_low_level_h"] == pytest.approx(
        first_principles_h * (1 - p.silo_low_level_fraction), rel=0.05
    )
    assert result["chip_consumption_kg_h"] == pytest.approx(80 / (3.5 * 0.90), rel=0.05)


def test_ash_bin_holds_three_weeks_at_80_percent_load(config: PlantConfig) -> None:
    assert fixed_load_check(config, 0.8)["ash_bin_autonomy_h"] >= 21 * 24


def test_buffer_outlet_within_1_5_k_of_setpoint_95_percent_of_steady_state_time(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.apply_scenario("nominal")
    plant.step(2 * HOUR)  # settle
    inside = total = 0
    while plant.t < 48 * HOUR:
        plant.step(config.simulation.step_s)
        total += 1
        inside += abs(plant.buffer.temp_c - plant.wood.setpoint_c) <= 1.5
    assert inside / total >= 0.95
    assert plant.wood.state in (WoodState.RUNNING, WoodState.DE_ASHING)


def test_buffer_stays_in_band_when_the_boiler_cycles_at_low_load(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.fixed_demand_kw = 14.0  # below 30 % of nominal: on/off cycling
    plant.resettle()
    plant.step(6 * HOUR)
    temps = []
    for _ in range(24 * 360):
        plant.step(10)
        temps.append(plant.buffer.temp_c)
    assert max(abs(t - plant.wood.setpoint_c) for t in temps) <= 1.5
    assert plant.wood.ignitions > 10


def test_cold_snap_demand_exceeds_the_wood_boiler_so_top_up_is_needed(config: PlantConfig) -> None:
    plant = _run(config, "cold-snap", 36)
    assert plant.demand_kw > config.plant.wood_nominal_kw
    assert plant.read("wood.modulation") >= 95
    assert plant.read("buffer.temp_top") < plant.wood.setpoint_c - config.cascade.topup_drop_k
    assert plant.read("outdoor.temp") < -4


def test_oil_boiler_fires_after_its_start_delay_and_restores_the_buffer(config: PlantConfig) -> None:
    plant = _run(config, "cold-snap", 24)
    plant.write("oil.enable", True)
    plant.step(config.simulation.oil_start_delay_s - 20)
    assert not plant.read("oil.burner_on")
    plant.step(60)
    assert plant.read("oil.burner_on")
    plant.step(2 * HOUR)
    assert abs(plant.buffer.temp_c - plant.wood.setpoint_c) < 4
    c = plant.counters
    assert c.oil_litres == pytest.approx(c.fuel_oil_kwh / config.plant.oil_kwh_per_litre)
    assert c.heat_oil_kwh == pytest.approx(c.fuel_oil_kwh * config.plant.oil_efficiency)


def test_oil_aquastat_holds_its_own_setpoint_below_the_wood_one(config: PlantConfig) -> None:
    plant = _run(config, "cold-snap", 24)
    assert plant.read("oil.setpoint") == pytest.approx(plant.wood.setpoint_c), "starts at the wood setpoint"
    oil_sp = plant.wood.setpoint_c - 3.0
    assert plant.write("oil.setpoint", oil_sp)
    assert not plant.write("oil.setpoint", 95.0), "outside the point's bounds"
    plant.write("oil.enable", True)
    plant.step(HOUR)
    unmet_before = plant.counters.unmet_kwh
    temps, modulation = [], []
    for _ in range(360):
        plant.step(10)
        temps.append(plant.buffer.temp_c)
        modulation.append(plant.read("wood.modulation"))
    sim = config.simulation
    assert oil_sp - sim.oil_on_below_k - 1.0 <= min(temps)
    assert max(temps) <= oil_sp + sim.oil_off_above_k + 0.5
    assert min(modulation) >= 90, "below its setpoint the wood boiler stays near full fire"
    assert plant.counters.unmet_kwh - unmet_before == pytest.approx(0.0, abs=0.01)


def test_wood_fault_keeps_the_boiler_from_running_until_cleared(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.apply_scenario("wood-fault")
    plant.step(1.5 * HOUR)
    while plant.t < 6.9 * HOUR:
        plant.step(60)
        assert plant.wood.state is not WoodState.RUNNING
        assert plant.read("wood.modulation") < 1
    assert plant.read("wood.state") == WoodState.FAULT
    assert plant.read("wood.ignition_failed") is True
    plant.write("wood.fault_reset", True)  # the cause is still there: the next ignition fails again
    plant.step(0.05 * HOUR)
    assert plant.wood.state is not WoodState.RUNNING
    plant.step(1.5 * HOUR)  # cleared by the scenario at 7 h
    assert plant.wood.state is WoodState.RUNNING


def test_screw_jam_cuts_off_and_starves_the_boiler(config: PlantConfig) -> None:
    plant = _run(config, "screw-jam", 2)
    assert plant.read("screw.jammed") is True
    assert plant.read("screw.running") is False
    assert plant.read("wood.state") == WoodState.FAULT
    assert plant.read("wood.fault_code") == FaultCode.SCREW_JAM
    plant.step(4 * HOUR)
    assert plant.read("screw.jammed") is False
    assert plant.read("wood.state") == WoodState.RUNNING


def test_silo_runs_low_then_empty_then_is_refilled(config: PlantConfig) -> None:
    plant = _run(config, "silo-empty", 3)
    assert plant.read("silo.low_level") is True
    assert plant.read("silo.empty") is False
    plant.step(40 * HOUR)
    assert plant.read("silo.empty") is True
    assert plant.read("wood.fault_code") == FaultCode.SILO_EMPTY
    plant.step(3 * HOUR)
    assert plant.read("silo.level") > 95
    assert plant.read("wood.state") in (WoodState.RUNNING, WoodState.IGNITION)


def test_pump_failure_stops_the_flow_until_the_standby_pump_is_selected(config: PlantConfig) -> None:
    plant = _run(config, "pump-failure", 1.1)
    assert plant.read("pump1.fault") is True
    assert plant.read("network.flow") == 0
    assert plant.write("pumps.duty", 2)
    plant.step(60)
    assert plant.read("pump2.running") is True
    assert plant.read("network.flow") > 4


def test_leak_trips_the_low_pressure_switch(config: PlantConfig) -> None:
    plant = _run(config, "low-pressure", 1)
    assert plant.read("network.low_pressure") is False
    plant.step(2 * HOUR)
    assert plant.read("network.low_pressure") is True
    plant.step(4 * HOUR)
    assert plant.read("network.low_pressure") is False


def _alarm_active(plant: Plant, code: str) -> bool:
    cond = plant.cfg.alarm(code).condition
    if isinstance(cond, PointCondition):
        return OPS[cond.op](plant.read(cond.point), cond.value)
    if isinstance(cond, DeviationCondition):
        return abs(float(plant.read(cond.point)) - float(plant.read(cond.reference))) > cond.band
    if isinstance(cond, LinkDownCondition):
        return cond.link in plant.links_down
    if isinstance(cond, BadQualityCondition):
        return cond.point in plant.bad_points()
    raise AssertionError(f"{code}: not a plant condition")


PLANT_ALARMS = sorted(code for code in FAULTS if not code.startswith(("PMP-", "EAU-")))
"""The faults whose alarm reads the plant at one instant (EAU-APP's is a day's make-up water: its
own test, below)."""


@pytest.mark.parametrize("code", PLANT_ALARMS)
def test_every_injected_fault_raises_its_alarm_condition_and_clears(config: PlantConfig, code: str) -> None:
    plant = Plant(config)
    plant.step(HOUR)
    assert not _alarm_active(plant, code)
    plant.inject(code)
    plant.step(2 * HOUR)
    assert _alarm_active(plant, code)
    plant.clear(code)
    plant.step(2 * HOUR)  # the buffer needs about an hour to recover from a starved boiler
    assert not _alarm_active(plant, code), code


def test_pump_faults_show_on_the_pump_points(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.inject("PMP-2DF")
    plant.step(60)
    assert plant.read("pump1.fault")
    assert plant.read("pump2.fault")
    assert plant.read("network.flow") == 0
    plant.clear("PMP-2DF")
    plant.step(60)
    assert plant.read("network.flow") > 4


def test_every_catalogue_alarm_the_plant_causes_has_a_fault(config: PlantConfig) -> None:
    internal = {a.code for a in config.alarms if a.condition.kind == "internal"}  # chaufferie's own
    system_raised = {"FIO-REL", "FIO-APP", "SUP-LOC", "PMP-BAS", "PMP-2DF"} | internal
    assert {"SUP-HBT", "NOT-DEF", "HIS-PER", "NOT-GSM"} <= internal
    assert {a.code for a in config.alarms} - system_raised <= set(FAULTS)


def test_every_scenario_runs_and_conserves_energy(config: PlantConfig) -> None:
    for name in SCENARIOS:
        if name == "season":
            continue
        plant = _run(config, name, min(get_scenario(name).duration_h, 24))
        assert plant.counters.balance_error() < 0.01, name


def test_comm_loss_scenario_cuts_each_link_for_a_while(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.apply_scenario("comm-loss")
    seen: dict[str, list[float]] = {"boiler": [], "hydraulic": [], "meter": []}
    while plant.t < 4 * HOUR:
        plant.step(30)
        for link in plant.links_down:
            seen[link].append(plant.t)
        if plant.bad_points():
            seen["meter"].append(plant.t)
    assert min(seen["boiler"]) == pytest.approx(HOUR, abs=60)
    assert max(seen["boiler"]) - min(seen["boiler"]) == pytest.approx(600, abs=60)
    assert min(seen["hydraulic"]) == pytest.approx(2 * HOUR, abs=60)
    assert max(seen["meter"]) - min(seen["meter"]) == pytest.approx(1800, abs=60)
    assert not plant.links_down


def test_a_running_pump_without_flow_shows_no_fault_but_no_flow(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.inject("PMP-FLOW")
    plant.step(60)
    assert plant.read("pump1.running") is True
    assert plant.read("pump1.fault") is False
    assert plant.read("network.flow") == 0
    plant.write("pumps.duty", 2)
    plant.step(60)
    assert plant.read("network.flow") > 4


def test_a_month_of_season_conserves_energy_with_deliveries_and_ash_removal(config: PlantConfig) -> None:
    plant = _run(config, "season", 31 * 24)
    c = plant.counters
    assert c.balance_error() < 0.01
    assert c.chips_kg > config.plant.silo_full_kg  # more than one silo burnt: chips were delivered
    assert plant.read("silo.level") > 15
    assert plant.now.month == 11  # October done
    assert c.delivered_kwh == pytest.approx(c.demand_kwh, rel=0.02)  # October: wood alone suffices


def test_a_slow_leak_made_up_by_the_filling_unit_shows_only_on_the_make_up_water_meter(
    config: PlantConfig,
) -> None:
    """EAU-APP: 5 L an hour put back by the filling unit; the pressure stays normal, so only the
    make-up water meter tells (EAU-APP's 50 L a day is crossed within the day)."""
    plant = Plant(config)
    plant.inject("EAU-APP")
    plant.step(12 * HOUR)
    water = plant.meters.meters["water"]
    assert water.index == pytest.approx(60.0, rel=0.01)
    assert not plant.network.low_pressure
    plant.clear("EAU-APP")
    plant.step(HOUR)
    assert water.index == pytest.approx(60.0, rel=0.01)
