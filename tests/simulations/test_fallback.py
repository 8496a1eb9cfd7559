"""The hydraulic PLC's local fallback when the supervisor falls silent (docs/domain.md §6)."""

from __future__ import annotations

from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.fallback import LocalMode
from chaufferie.simulations.plant import Plant

BEAT_S = 10.0


def supervised(plant: Plant, seconds: float, counter: int = 0) -> int:
    """``seconds`` of model time with the supervisor writing its counter every 10 s."""
    for _ in range(int(seconds / BEAT_S)):
        counter += 1
        assert plant.write("hydraulic.supervisor_heartbeat", counter)
        plant.step(BEAT_S)
    return counter


def test_a_plant_never_supervised_is_left_to_the_commands_it_receives(config: PlantConfig) -> None:
    plant = Plant(config)
    plant.apply_scenario("wood-fault")
    plant.step(6 * 3600)
    assert plant.read("hydraulic.local_mode") == LocalMode.OFF  # not armed: commissioning
    assert not plant.read("oil.enable")


def test_silent_supervisor_during_a_wood_fault_the_plc_goes_local_and_oil_keeps_the_buffer(
    config: PlantConfig,
) -> None:
    sim = config.simulation
    plant = Plant(config)
    plant.apply_scenario("wood-fault")  # the flame is lost at 1 h, every ignition fails
    counter = supervised(plant, 1800)
    plant.step(sim.fallback_after_s - BEAT_S)  # the supervisor dies: not yet
    assert plant.read("hydraulic.local_mode") == LocalMode.OFF
    plant.step(2 * BEAT_S)
    assert plant.read("hydraulic.local_mode") == LocalMode.SUPERVISOR_LOST
    setpoint = plant.read("wood.setpoint")
    lowest = float("inf")
    for _ in range(6 * 360):  # six hours alone
        plant.step(BEAT_S)
        lowest = min(lowest, float(plant.read("buffer.temp_top")))
    assert plant.read("hydraulic.local_oil_starts") >= 1
    assert plant.read("oil.enable")
    assert plant.read("hydraulic.local_mode_s") >= 6 * 3600
    # the local aquastat holds the buffer within its band (plus the oil boiler's start delay)
    assert lowest > setpoint - sim.local_band_k - 3.0, (lowest, setpoint)
    served = plant.counters.unmet_kwh / max(1.0, plant.counters.demand_kwh)
    assert served < 0.005
    # the supervisor is back: heard first, then asks; nothing is switched at the hand-back
    assert plant.write("hydraulic.remote_request", True)
    assert plant.read("hydraulic.local_mode") == LocalMode.SUPERVISOR_LOST  # not heard yet
    counter = supervised(plant, BEAT_S, counter)
    starts = plant.read("hydraulic.local_oil_starts")
    assert plant.write("hydraulic.remote_request", True)
    assert plant.read("hydraulic.local_mode") == LocalMode.OFF
    assert plant.read("hydraulic.local_mode_s") == 0
    assert plant.read("oil.enable")  # oil keeps running: no second start
    supervised(plant, 600, counter)
    assert plant.read("hydraulic.local_oil_starts") == starts


def test_a_counter_that_stops_changing_is_silence(config: PlantConfig) -> None:
    plant = Plant(config)
    supervised(plant, 60)
    for _ in range(int(config.simulation.fallback_after_s / BEAT_S) + 1):
        plant.write("hydraulic.supervisor_heartbeat", 6)  # the same value again and again
        plant.step(BEAT_S)
    assert plant.read("hydraulic.local_mode") == LocalMode.SUPERVISOR_LOST


def test_in_local_mode_the_standby_pump_takes_over_a_failed_duty_pump(config: PlantConfig) -> None:
    plant = Plant(config)
    supervised(plant, 60)
    plant.step(config.simulation.fallback_after_s + BEAT_S)
    plant.inject("PMP-BAS")
    plant.step(BEAT_S)
    assert plant.read("pumps.duty") == 2
    assert plant.read("network.flow") > 1
